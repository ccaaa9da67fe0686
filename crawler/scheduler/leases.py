"""LeaseKeeper: renews this worker's shard leases from a thread of its own, whatever the reactor is doing.

Settings: GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS (renewal period), GOVCRAWL_FRONTIER_LEASE_SECONDS,
GOVCRAWL_FRONTIER_MAX_STALL_SECONDS (how long a blocked reactor keeps its leases).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING

import redis

from crawler.scheduler import lua

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.statscollectors import StatsCollector

    from crawler.scheduler.frontier import Keys

logger = logging.getLogger(__name__)

_TICK_SECONDS = 0.1  # how often the reactor shows the keeper it is alive (and how finely stalls are timed)
_JOIN_SECONDS = 15.0  # longest wait for the thread at close: one Redis call (socket timeout 10 s)


class LeaseKeeper:
    """Keeps the leases of the shards this worker owns alive while its reactor is busy.

    The scheduler's heartbeat renews leases on the reactor, so a callback that held the reactor longer
    than a lease (a parse of a huge page) used to let another worker take the shard and fetch the same
    pages again. This thread renews, every heartbeat and over its own Redis connection, only the leases
    this worker still holds (never one that expired or went to another worker: taking those back is
    the heartbeat's job), and keeps the worker in the live set. A reactor blocked for longer than
    `max_stall_seconds` is presumed stuck: the thread stops renewing, so the shards go to other workers.
    A tick on the reactor times every stall (stat govcrawl/frontier/reactor_stall_max_ms).
    """

    def __init__(self, client: redis.Redis, keys: Keys, worker_id: str, *, lease_seconds: float,
                 interval_seconds: float, max_stall_seconds: float, stats: StatsCollector) -> None:
        self.client = client
        self.keys = keys
        self.worker_id = worker_id
        self.lease_ms = int(lease_seconds * 1000)
        self.interval_seconds = interval_seconds
        self.max_stall_seconds = max_stall_seconds
        self.stats = stats
        self._renew = client.register_script(lua.RENEW_HELD)
        self._shards: tuple[int, ...] = ()
        self._reactor_seen = time.monotonic()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick: asyncio.Task[None] | None = None
        self._given_up = False

    def start(self) -> None:
        """Start the thread and the reactor's tick; call on the reactor, with its loop running."""
        self._reactor_seen = time.monotonic()
        self._tick = asyncio.get_running_loop().create_task(self._run_tick())
        self._thread = threading.Thread(target=self._run, name=f"lease-keeper-{self.worker_id}", daemon=True)
        self._thread.start()

    def hold(self, shards: Iterable[int]) -> None:
        """The shards whose leases to renew: those this worker owns now (draining ones included)."""
        self._shards = tuple(sorted(shards))  # one assignment: the thread reads either tuple whole

    async def stop(self) -> None:
        """Stop renewing (before the shards are released and the worker leaves the live set)."""
        self._stopping.set()
        if self._tick is not None:
            self._tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, _JOIN_SECONDS)
        self.client.close()

    # --- the reactor side ---------------------------------------------------------------------------
    async def _run_tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(_TICK_SECONDS)
            now = time.monotonic()
            stall = now - last - _TICK_SECONDS
            last = self._reactor_seen = now
            if stall <= 0:
                continue
            self.stats.max_value("govcrawl/frontier/reactor_stall_max_ms", int(stall * 1000))
            if stall > self.interval_seconds:
                self.stats.inc_value("govcrawl/frontier/reactor_stall_count")
                leases = ("left to expire (GOVCRAWL_FRONTIER_MAX_STALL_SECONDS)"
                          if stall > self.max_stall_seconds else "renewed by the lease thread")
                logger.warning("The reactor was blocked for %(seconds).1f s (a callback or page analysis "
                               "that long; a heartbeat is %(beat).1f s): this worker's leases were "
                               "%(leases)s",
                               {"seconds": stall, "beat": self.interval_seconds, "leases": leases})

    # --- the thread ---------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            self._renew_once()

    def _renew_once(self) -> None:
        stalled = time.monotonic() - self._reactor_seen
        if stalled > self.max_stall_seconds:
            if not self._given_up:
                self._given_up = True
                logger.error("The reactor has been blocked for %(seconds).0f s "
                             "(GOVCRAWL_FRONTIER_MAX_STALL_SECONDS is %(limit).0f): this worker's leases are "
                             "left to expire, so other workers take its shards; look for a callback that "
                             "never returns", {"seconds": stalled, "limit": self.max_stall_seconds})
            return
        if self._given_up:
            self._given_up = False
            logger.warning("The reactor runs again: the lease thread renews this worker's leases again")
        shards = self._shards
        leases = [self.keys.lease(shard) for shard in shards]
        try:
            self._renew(keys=[self.keys.workers, self.keys.worker(self.worker_id), *leases],
                        args=[self.worker_id, int(time.time() * 1000), self.lease_ms])
        except redis.RedisError as exc:
            # The scheduler's pump reports Redis trouble and takes expired leases back once Redis answers.
            logger.debug("Lease renewal failed (%(error)s): retrying in %(seconds).1f s",
                         {"error": exc, "seconds": self.interval_seconds})
