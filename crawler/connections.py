"""The only code that builds Redis and Elasticsearch clients (GOVCRAWL_REDIS_*, GOVCRAWL_ES_*)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

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


def redis_sync(settings: BaseSettings) -> redis.Redis:
    """A blocking client, for commands and threads (never the reactor thread)."""
    return redis.Redis.from_url(_redis_url(settings), socket_timeout=10, socket_connect_timeout=5)


def redis_async(settings: BaseSettings) -> redis.asyncio.Redis:
    """An asyncio client for components running on the reactor.

    Its pool makes callers wait for a free connection (every concurrent callback of a crawl talks to
    the frontier) instead of failing with "Too many connections".
    """
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        _redis_url(settings), max_connections=64, timeout=None, socket_timeout=10, socket_connect_timeout=5
    )
    return redis.asyncio.Redis.from_pool(pool)


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
    user = settings.get("GOVCRAWL_ES_USER")
    if user is not None:
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
    return str(settings.get("GOVCRAWL_ES_URL"))
