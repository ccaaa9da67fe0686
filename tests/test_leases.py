"""Tests for crawler.scheduler.leases: the thread renews only what its worker holds and lets go when stuck."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.scheduler.frontier import Keys
from crawler.scheduler.leases import LeaseKeeper

if TYPE_CHECKING:
    import pytest
    import redis

LEASE_MS = 60_000


def _keeper(redis_client: redis.Redis, prefix: str, *, max_stall_seconds: float = 300) -> LeaseKeeper:
    return LeaseKeeper(redis_client, Keys(prefix), "me", lease_seconds=LEASE_MS / 1000, interval_seconds=1,
                       max_stall_seconds=max_stall_seconds, stats=MemoryStatsCollector(get_crawler()))


def test_only_leases_still_held_are_renewed(redis_client: redis.Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    redis_client.set(keys.lease(0), "me", px=1000)
    redis_client.set(keys.lease(1), "other", px=1000)  # went to another worker meanwhile
    keeper = _keeper(redis_client, redis_prefix)
    keeper.hold([0, 1, 2])  # shard 2's lease expired: taking it back is the heartbeat's job
    keeper._renew_once()
    assert redis_client.pttl(keys.lease(0)) > LEASE_MS - 5_000
    assert redis_client.pttl(keys.lease(1)) <= 1000 and redis_client.get(keys.lease(1)) == b"other"
    assert redis_client.exists(keys.lease(2)) == 0
    assert redis_client.zscore(keys.workers, "me") is not None


def test_a_reactor_stuck_past_the_limit_lets_the_leases_go(redis_client: redis.Redis, redis_prefix: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    keys = Keys(redis_prefix)
    redis_client.set(keys.lease(0), "me", px=1000)
    keeper = _keeper(redis_client, redis_prefix, max_stall_seconds=5)
    keeper.hold([0])
    keeper._reactor_seen = time.monotonic() - 6
    with caplog.at_level(logging.ERROR, logger="crawler.scheduler.leases"):
        keeper._renew_once()
        keeper._renew_once()
    assert redis_client.pttl(keys.lease(0)) <= 1000
    assert redis_client.zscore(keys.workers, "me") is None
    assert [record.getMessage() for record in caplog.records] == [
        "The reactor has been blocked for 6 s (GOVCRAWL_FRONTIER_MAX_STALL_SECONDS is 5): this worker's "
        "leases are left to expire, so other workers take its shards; look for a callback that never returns"]
    keeper._reactor_seen = time.monotonic()
    keeper._renew_once()  # the reactor runs again
    assert redis_client.pttl(keys.lease(0)) > LEASE_MS - 5_000
