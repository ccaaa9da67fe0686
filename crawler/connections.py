"""The only code that builds Redis and Elasticsearch clients (GOVCRAWL_REDIS_*, GOVCRAWL_ES_*)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from elasticsearch import AsyncElasticsearch, Elasticsearch

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def _redis_url(settings: BaseSettings) -> str:
    url = settings.get("GOVCRAWL_REDIS_URL")
    if not url:
        raise ValueError("GOVCRAWL_REDIS_URL is empty: set it to the Redis address, e.g. redis://127.0.0.1:6479/0")
    return str(url)


def _redis_options(settings: BaseSettings) -> dict[str, Any]:
    """Credentials and TLS options for redis-py's from_url (GOVCRAWL_REDIS_USERNAME ... _CLIENT_KEY).

    TLS options need a rediss:// URL: redis-py's plain connection refuses them, and a CA given for a
    plain-text URL would silently protect nothing.
    """
    url = _redis_url(settings)
    options: dict[str, Any] = {}
    username = settings.get("GOVCRAWL_REDIS_USERNAME")
    if username is not None:
        options["username"] = str(username)
    password = settings.get("GOVCRAWL_REDIS_PASSWORD")
    if password is not None:
        options["password"] = str(password)
    tls = {
        "ssl_ca_certs": settings.get("GOVCRAWL_REDIS_CA_CERTS"),
        "ssl_certfile": settings.get("GOVCRAWL_REDIS_CLIENT_CERT"),
        "ssl_keyfile": settings.get("GOVCRAWL_REDIS_CLIENT_KEY"),
    }
    given = {name: str(value) for name, value in tls.items() if value is not None}
    if given and urlsplit(url).scheme != "rediss":
        raise ValueError("GOVCRAWL_REDIS_CA_CERTS / _CLIENT_CERT / _CLIENT_KEY are set but GOVCRAWL_REDIS_URL"
                         f" ({describe_redis(settings)}) is not a TLS address: use rediss://")
    if ("ssl_certfile" in given) != ("ssl_keyfile" in given):
        raise ValueError("GOVCRAWL_REDIS_CLIENT_CERT and GOVCRAWL_REDIS_CLIENT_KEY go together: "
                         "set both or neither")
    options.update(given)
    return options


def redis_sync(settings: BaseSettings) -> redis.Redis:
    """A blocking client, for commands and threads (never the reactor thread)."""
    return redis.Redis.from_url(_redis_url(settings), socket_timeout=10, socket_connect_timeout=5,
                                **_redis_options(settings))


def redis_async(settings: BaseSettings) -> redis.asyncio.Redis:
    """An asyncio client for components running on the reactor.

    Its pool makes callers wait for a free connection (every concurrent callback of a crawl talks to
    the frontier) instead of failing with "Too many connections".
    """
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        _redis_url(settings), max_connections=64, timeout=None, socket_timeout=10, socket_connect_timeout=5,
        **_redis_options(settings),
    )
    return redis.asyncio.Redis.from_pool(pool)


def describe_redis(settings: BaseSettings) -> str:
    """The Redis address without credentials, for logs and errors."""
    return _without_credentials(str(settings.get("GOVCRAWL_REDIS_URL")))


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit(parts._replace(netloc=netloc))


def _quiet_transport_log() -> None:
    # The transport logs every request at INFO (a crawl makes thousands) and every retry at WARNING with
    # a traceback; the node pool still warns when a node fails, and our callers say what failed.
    logging.getLogger("elastic_transport.transport").setLevel(logging.ERROR)


def _es_options(settings: BaseSettings) -> dict[str, Any]:
    _quiet_transport_log()
    url = settings.get("GOVCRAWL_ES_URL")
    if not url:
        raise ValueError("GOVCRAWL_ES_URL is empty: set it to the Elasticsearch address, e.g. http://127.0.0.1:9250")
    options: dict[str, Any] = {
        "hosts": [str(url)],
        "request_timeout": settings.getfloat("GOVCRAWL_ES_REQUEST_TIMEOUT_SECONDS"),
    }
    api_key = settings.get("GOVCRAWL_ES_API_KEY")
    user = settings.get("GOVCRAWL_ES_USER")
    if api_key is not None and user is not None:
        raise ValueError("GOVCRAWL_ES_API_KEY and GOVCRAWL_ES_USER are both set: give Elasticsearch one "
                         "credential (unset GOVCRAWL_ES_USER / GOVCRAWL_ES_PASSWORD to use the API key)")
    if api_key is not None:
        options["api_key"] = str(api_key)
    elif user is not None:
        options["basic_auth"] = (str(user), str(settings.get("GOVCRAWL_ES_PASSWORD") or ""))
    ca_certs = settings.get("GOVCRAWL_ES_CA_CERTS")
    if ca_certs is not None:
        options["ca_certs"] = str(ca_certs)
    return options


def elasticsearch_sync(settings: BaseSettings) -> Elasticsearch:
    """A blocking client, for commands (report, sample, templates)."""
    return Elasticsearch(**_es_options(settings))


def elasticsearch_async(settings: BaseSettings) -> AsyncElasticsearch:
    """An asyncio client for pipelines running on the reactor."""
    return AsyncElasticsearch(**_es_options(settings))


def describe_es(settings: BaseSettings) -> str:
    """The Elasticsearch address without credentials, for logs and errors."""
    return _without_credentials(str(settings.get("GOVCRAWL_ES_URL")))
