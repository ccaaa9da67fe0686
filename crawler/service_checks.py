"""The one place operator commands check that Redis and Elasticsearch answer.

An unreachable service is an expected failure: the command says so in one line (which address, what
went wrong, what to do) and exits 1, never with a traceback. Commands call `redis_client` or
`elasticsearch_client` and let `ServiceUnavailable` reach `run_command`, which logs it.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

import redis
from elastic_transport import TransportError
from elasticsearch import ApiError, AuthenticationException, AuthorizationException

from crawler import connections

if TYPE_CHECKING:
    from collections.abc import Callable

    from elasticsearch import Elasticsearch
    from scrapy.commands import ScrapyCommand
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

START_HINT = "start it (scripts/services.sh start) or fix"


class ServiceUnavailable(Exception):
    """Redis or Elasticsearch did not answer; the message is the one line an operator reads."""


def redis_client(settings: BaseSettings) -> redis.Redis:
    """A blocking Redis client that has answered a PING."""
    address = connections.describe_redis(settings)
    try:
        client = connections.redis_sync(settings)
        client.ping()
    except ValueError as exc:
        raise ServiceUnavailable(str(exc)) from exc
    except redis.AuthenticationError as exc:
        raise ServiceUnavailable(f"Redis at {address} refused the credentials "
                                 f"({reason(exc)}): fix GOVCRAWL_REDIS_USERNAME / GOVCRAWL_REDIS_PASSWORD"
                                 ) from exc
    except redis.ResponseError as exc:
        if "NOAUTH" in str(exc) or "NOPERM" in str(exc):
            raise ServiceUnavailable(f"Redis at {address} wants other credentials "
                                     f"({reason(exc)}): set GOVCRAWL_REDIS_USERNAME / GOVCRAWL_REDIS_PASSWORD"
                                     ) from exc
        raise ServiceUnavailable(f"Redis at {address} refused PING ({reason(exc)})") from exc
    except (redis.RedisError, OSError) as exc:
        raise ServiceUnavailable(f"Redis at {address} is unreachable ({reason(exc)}): "
                                 f"{START_HINT} GOVCRAWL_REDIS_URL") from exc
    return client


def elasticsearch_client(settings: BaseSettings) -> Elasticsearch:
    """A blocking Elasticsearch client whose cluster has answered a health request."""
    try:
        client = connections.elasticsearch_sync(settings)
    except ValueError as exc:
        raise ServiceUnavailable(str(exc)) from exc
    # The node pool warns at every retry; the one line below says it all.
    logging.getLogger("elastic_transport.node_pool").setLevel(logging.ERROR)
    address = connections.describe_es(settings)
    try:
        client.cluster.health()
    except (AuthenticationException, AuthorizationException) as exc:
        client.close()
        raise ServiceUnavailable(f"Elasticsearch at {address} refused the credentials "
                                 f"(HTTP {exc.status_code}): fix GOVCRAWL_ES_USER / GOVCRAWL_ES_PASSWORD "
                                 "or GOVCRAWL_ES_API_KEY") from exc
    except (TransportError, ApiError) as exc:
        client.close()
        raise ServiceUnavailable(f"Elasticsearch at {address} is unreachable ({reason(exc)}): "
                                 f"{START_HINT} GOVCRAWL_ES_URL") from exc
    return client


def elasticsearch_or_explain(command: ScrapyCommand) -> Elasticsearch | None:
    """The command's Elasticsearch client, or None after saying in one line why not (exit status 1)."""
    assert command.settings is not None
    try:
        return elasticsearch_client(command.settings)
    except ServiceUnavailable as exc:
        logger.error("%(error)s", {"error": exc})
        command.exitcode = 1
        return None


def run_command(command: ScrapyCommand, body: Callable[[], None]) -> None:
    """Run a command's body; an unreachable service or a bad setting ends it with one line and exit 1."""
    try:
        body()
    except (ServiceUnavailable, ValueError) as exc:
        logger.error("%(error)s", {"error": exc})
        command.exitcode = 1
    except BrokenPipeError:
        # The reader went away (`scrapy status | head`): nothing more to say, and nothing at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def reason(exc: BaseException) -> str:
    """What went wrong, in a few words: the innermost cause's OS error if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        errors = getattr(current, "errors", ())
        inner = errors[0] if errors and isinstance(errors[0], BaseException) else None
        current = inner or current.__cause__ or current.__context__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
