"""Redis failover through Sentinel (GOVCRAWL_REDIS_SENTINELS): clients follow the primary Sentinel names.

Each test starts its own primary, replica and Sentinel on free loopback ports (with passwords, as in
production), kills the primary with SIGKILL and checks that govcrawl's blocking and asyncio clients,
built by crawler/connections.py, carry on against the promoted replica with nothing lost that was
replicated. The shared Redis on 6479 is not touched.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import redis
import redis.asyncio
from scrapy.settings import Settings

from crawler import connections, defaults
from tests.conftest import CRAWL_SETTINGS, run_farm

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

PASSWORD = "replica-pass-1"
SENTINEL_PASSWORD = "sentinel-pass-1"
# Bounds of the waits below, not expectations: a failover here takes a few seconds.
WAIT_SECONDS = 60.0
FAILOVER_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                   redis.exceptions.ReadOnlyError, redis.exceptions.ResponseError)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(slots=True)
class Replication:
    """A primary, its replica and one Sentinel watching them, all processes of this test."""

    primary: subprocess.Popen[bytes]
    primary_port: int
    replica_port: int
    sentinel_port: int

    def settings(self) -> Settings:
        settings = Settings()
        settings.setmodule(defaults)
        # The URL's host is not used: the primary's address comes from the Sentinel.
        settings.set("GOVCRAWL_REDIS_URL", "redis://unused.invalid:1/0")
        settings.set("GOVCRAWL_REDIS_PASSWORD", PASSWORD)
        settings.set("GOVCRAWL_REDIS_SENTINELS", f"127.0.0.1:{self.sentinel_port}")
        settings.set("GOVCRAWL_REDIS_SENTINEL_PASSWORD", SENTINEL_PASSWORD)
        return settings


def _redis(port: int, directory: Path, *extra: str) -> subprocess.Popen[bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory), "--save", "",
         "--appendonly", "no", "--requirepass", PASSWORD, "--masterauth", PASSWORD, *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except FAILOVER_ERRORS:
            pass
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


@pytest.fixture
def replication(tmp_path: Path) -> Iterator[Replication]:
    primary_port, replica_port, sentinel_port = _free_port(), _free_port(), _free_port()
    processes = [_redis(primary_port, tmp_path / "primary")]
    processes.append(_redis(replica_port, tmp_path / "replica", "--replicaof", "127.0.0.1",
                            str(primary_port)))
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"bind 127.0.0.1\nport {sentinel_port}\ndir {tmp_path}\nrequirepass {SENTINEL_PASSWORD}\n"
        f"sentinel monitor {defaults.GOVCRAWL_REDIS_SENTINEL_SERVICE} 127.0.0.1 {primary_port} 1\n"
        f"sentinel auth-pass {defaults.GOVCRAWL_REDIS_SENTINEL_SERVICE} {PASSWORD}\n"
        f"sentinel down-after-milliseconds {defaults.GOVCRAWL_REDIS_SENTINEL_SERVICE} 1000\n"
        f"sentinel failover-timeout {defaults.GOVCRAWL_REDIS_SENTINEL_SERVICE} 5000\n",
        encoding="utf-8")
    processes.append(subprocess.Popen(["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    try:
        primary = redis.Redis(port=primary_port, password=PASSWORD)
        _until(lambda: primary.info("replication").get("slave0", {}).get("state") == "online",
               "the replica to be in sync")
        primary.close()
        sentinel = redis.Redis(port=sentinel_port, password=SENTINEL_PASSWORD)
        _until(lambda: len(sentinel.sentinel_slaves(defaults.GOVCRAWL_REDIS_SENTINEL_SERVICE)) == 1,
               "the Sentinel to know the replica")
        sentinel.close()
        yield Replication(processes[0], primary_port, replica_port, sentinel_port)
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)


def test_the_blocking_client_follows_the_primary_through_a_failover(replication: Replication) -> None:
    client = connections.redis_sync(replication.settings())
    try:
        assert client.set("govcrawl:failover:before", "1")
        assert client.wait(1, 5000) == 1, "the write did not reach the replica"
        replication.primary.kill()
        replication.primary.wait(timeout=30)
        _until(lambda: bool(client.set("govcrawl:failover:after", "1")), "a write after the failover")
        assert client.get("govcrawl:failover:before") == b"1"
        promoted = redis.Redis(port=replication.replica_port, password=PASSWORD)
        assert promoted.info("replication")["role"] == "master"
        assert promoted.get("govcrawl:failover:after") == b"1", "the write went elsewhere"
        promoted.close()
    finally:
        client.close()


async def _retrying(operation: Callable[[], Awaitable[Any]]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return await operation()
        except FAILOVER_ERRORS:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def test_the_asyncio_client_made_before_a_failover_carries_on_after_it(replication: Replication) -> None:
    async def scenario() -> tuple[Any, Any]:
        client = connections.redis_async(replication.settings())
        try:
            await client.set("govcrawl:failover:async", "1")
            assert await client.wait(1, 5000) == 1
            replication.primary.kill()
            replication.primary.wait(timeout=30)
            await _retrying(lambda: client.set("govcrawl:failover:async-after", "1"))
            # Many callers at once wait for a connection of the pool instead of failing.
            values = await asyncio.gather(*(client.get("govcrawl:failover:async") for _ in range(200)))
            return values[0], set(values)
        finally:
            await client.aclose()

    first, every = asyncio.run(scenario())
    assert first == b"1" and every == {b"1"}
    promoted = redis.Redis(port=replication.replica_port, password=PASSWORD)
    assert promoted.get("govcrawl:failover:async-after") == b"1"
    promoted.close()


def test_a_crawl_finds_its_redis_through_sentinel(replication: Replication, env: Env, tmp_path: Path,
                                                  es_client: Elasticsearch,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker's whole Redis traffic (frontier scripts, leases, the asyncio waiting pool) through the
    # Sentinel; GOVCRAWL_REDIS_URL keeps pointing at the shared server, whose address is then unused.
    monkeypatch.setenv("GOVCRAWL_REDIS_SENTINELS", f"127.0.0.1:{replication.sentinel_port}")
    monkeypatch.setenv("GOVCRAWL_REDIS_SENTINEL_PASSWORD", SENTINEL_PASSWORD)
    monkeypatch.setenv("GOVCRAWL_REDIS_PASSWORD", PASSWORD)
    clean = ("--fault-rate", "0")
    with run_farm(tmp_path / "farm", sites=2, seed=32, base_ip="127.0.24.1", extra=clean) as farm:
        seeded = env.scrapy("seed", str(farm.registry))
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
    primary = redis.Redis(port=replication.primary_port, password=PASSWORD)
    shared = redis.Redis.from_url(env.redis_url)
    try:
        pattern = f"{env.redis_prefix}:*"
        assert list(primary.scan_iter(match=pattern, count=1000)), "nothing reached the primary"
        assert not list(shared.scan_iter(match=pattern, count=1000)), "the URL's server was used"
    finally:
        primary.close()
        shared.close()
    es_client.indices.refresh(index=f"{env.es_prefix}-pages")
    assert es_client.count(index=f"{env.es_prefix}-pages")["count"] > 10


def test_a_malformed_sentinel_list_is_refused_with_one_line() -> None:
    settings = Settings()
    settings.setmodule(defaults)
    settings.set("GOVCRAWL_REDIS_SENTINELS", "sentinel-0:26379,sentinel-1")
    with pytest.raises(ValueError, match="'sentinel-1' is not host:port") as refused:
        connections.redis_sync(settings)
    assert "\n" not in str(refused.value)
