"""The only code that builds Redis and Elasticsearch clients (GOVCRAWL_REDIS_*, GOVCRAWL_ES_*)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit, urlunsplit

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
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
    sentinels = _sentinel_addresses(settings)
    if sentinels is not None:
        service, options, sentinel_options = _sentinel_options(settings)
        sentinel = redis.sentinel.Sentinel(sentinels, sentinel_kwargs=sentinel_options, **options)
        return cast("redis.Redis", sentinel.master_for(service, redis_class=_SentinelClient))
    return redis.Redis.from_url(_redis_url(settings), socket_timeout=10, socket_connect_timeout=5,
                                **_redis_options(settings))


class _SentinelClient(redis.Redis):
    """A client of the primary Sentinel names; closing it also closes its connections to the Sentinels."""

    def close(self) -> None:
        super().close()
        pool = cast("redis.sentinel.SentinelConnectionPool", self.connection_pool)
        for sentinel in pool.sentinel_manager.sentinels:
            sentinel.close()


class _AsyncSentinelClient(redis.asyncio.Redis):
    """The asyncio client of the primary Sentinel names; closing it also closes the Sentinel connections."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        pool = cast("redis.asyncio.sentinel.SentinelConnectionPool", self.connection_pool)
        for sentinel in pool.sentinel_manager.sentinels:
            await sentinel.aclose()


class _BlockingSentinelPool(redis.asyncio.sentinel.SentinelConnectionPool,
                            redis.asyncio.BlockingConnectionPool):
    """Connections to the primary Sentinel names, waiting for a free one as BlockingConnectionPool does."""


def redis_async(settings: BaseSettings) -> redis.asyncio.Redis:
    """An asyncio client for components running on the reactor.

    Its pool makes callers wait for a free connection (every concurrent callback of a crawl talks to
    the frontier) instead of failing with "Too many connections".
    """
    sentinels = _sentinel_addresses(settings)
    if sentinels is not None:
        service, options, sentinel_options = _sentinel_options(settings)
        sentinel = redis.asyncio.sentinel.Sentinel(sentinels, sentinel_kwargs=sentinel_options, **options)
        return cast("redis.asyncio.Redis", sentinel.master_for(
            service, redis_class=_AsyncSentinelClient, connection_pool_class=_BlockingSentinelPool,
            max_connections=64, timeout=None))
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        _redis_url(settings), max_connections=64, timeout=None, socket_timeout=10, socket_connect_timeout=5,
        **_redis_options(settings),
    )
    return redis.asyncio.Redis.from_pool(pool)


def _sentinel_addresses(settings: BaseSettings) -> list[tuple[str, int]] | None:
    """The Sentinels of GOVCRAWL_REDIS_SENTINELS (host:port,host:port), or None to connect directly."""
    listed = settings.get("GOVCRAWL_REDIS_SENTINELS")
    if not listed:
        return None
    addresses = []
    for entry in str(listed).split(","):
        host, colon, port = entry.strip().rpartition(":")
        if not colon or not host or not port.isdigit():
            raise ValueError(f"GOVCRAWL_REDIS_SENTINELS: {entry.strip()!r} is not host:port "
                             "(e.g. redis-sentinel-0:26379,redis-sentinel-1:26379)")
        addresses.append((host.strip("[]"), int(port)))
    return addresses


def _sentinel_options(settings: BaseSettings) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The service name, the options of connections to the primary, and those of connections to Sentinels.

    GOVCRAWL_REDIS_URL still gives the database, the credentials and TLS (rediss://); the primary's
    address comes from the Sentinels, which take TLS like Redis and their own password.
    """
    url = _redis_url(settings)
    parts = urlsplit(url)
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ValueError(f"GOVCRAWL_REDIS_URL ({describe_redis(settings)}) names no database number")
    options: dict[str, Any] = {"db": int(database or 0), "socket_timeout": 10, "socket_connect_timeout": 5}
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["password"] = unquote(parts.password)
    options.update(_redis_options(settings))
    sentinel_options: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 5}
    password = settings.get("GOVCRAWL_REDIS_SENTINEL_PASSWORD")
    if password is not None:
        sentinel_options["password"] = str(password)
    if urlsplit(url).scheme == "rediss":
        options["ssl"] = True
        sentinel_options.update(ssl=True, **{key: value for key, value in options.items()
                                            if key.startswith("ssl_")})
    return str(settings.get("GOVCRAWL_REDIS_SENTINEL_SERVICE")), options, sentinel_options


def describe_redis(settings: BaseSettings) -> str:
    """The Redis address without credentials, for logs and errors."""
    address = _without_credentials(str(settings.get("GOVCRAWL_REDIS_URL")))
    if settings.get("GOVCRAWL_REDIS_SENTINELS"):
        return (f"{address} (primary {settings.get('GOVCRAWL_REDIS_SENTINEL_SERVICE')} from the Sentinels "
                f"{settings.get('GOVCRAWL_REDIS_SENTINELS')})")
    return address


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
