"""ShardedScheduler: scrapy-redis scheduler with shard leases, acknowledged delivery and a prefetch buffer.

Settings: GOVCRAWL_FRONTIER_* (shards, leases, prefetch, revisit intervals), GOVCRAWL_CRAWL_*. Leases are
also renewed by a thread of their own (crawler/scheduler/leases.py), so a long callback never loses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections import Counter, OrderedDict, deque
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import redis
import redis.asyncio
import scrapy_redis.scheduler
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_from_dict

from crawler import connections
from crawler.items import AckItem
from crawler.registry import Site, read_sites_async
from crawler.scheduler import codec
from crawler.scheduler.frontier import CYCLE, Frontier, FrontierConfig, Link
from crawler.scheduler.leases import LeaseKeeper

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

_ACQUIRE_RETRY_SECONDS = 0.5  # how often a worker short of its share looks for free shards, and one
# whose queues are empty for shards handed to it
# Load balancing: the most loaded worker hands shards to the least loaded one when their loads (requests
# queued in their shards or held) differ by more than this share of its own (and by more than its
# prefetch buffer).
_BALANCE_SHARE = 0.1

# Sent by the indexing pipeline once the items of these requests are stored (or durably spooled).
requests_stored = object()
# Sent by the scheduler while it hands shards over: store buffered items now, so their requests are
# acknowledged and the shards can go without waiting for the next periodic flush.
store_requested = object()


def frontier_config_from_settings(settings: BaseSettings) -> FrontierConfig:
    """The frontier's settings, checked once (a bad value raises ValueError naming the setting)."""
    config = FrontierConfig(
        prefix=settings.get("GOVCRAWL_REDIS_PREFIX"),
        shards=settings.getint("GOVCRAWL_FRONTIER_SHARDS"),
        seen_buckets=settings.getint("GOVCRAWL_FRONTIER_SEEN_BUCKETS"),
        lease_seconds=settings.getfloat("GOVCRAWL_FRONTIER_LEASE_SECONDS"),
        max_pages_per_site=settings.getint("GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE"),
        max_checks_per_host=settings.getint("GOVCRAWL_CRAWL_MAX_CHECKS_PER_HOST"),
        cycle_seconds=settings.getfloat("GOVCRAWL_FRONTIER_CYCLE_SECONDS"),
        probe_seconds=settings.getfloat("GOVCRAWL_FRONTIER_PROBE_SECONDS"),
        column_min_seconds=settings.getfloat("GOVCRAWL_FRONTIER_COLUMN_MIN_SECONDS"),
        column_max_seconds=settings.getfloat("GOVCRAWL_FRONTIER_COLUMN_MAX_SECONDS"),
        article_seconds=settings.getfloat("GOVCRAWL_FRONTIER_ARTICLE_SECONDS"),
    )
    if config.shards < 1 or config.seen_buckets < 1:
        raise ValueError("GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1")
    if config.probe_seconds > 86400 / 20:
        raise ValueError(
            f"GOVCRAWL_FRONTIER_PROBE_SECONDS is {config.probe_seconds}: home pages need at least 20 probes "
            "a day (indicators.md V-AVAIL), so it must be at most 4320"
        )
    return config


class ShardedScheduler(scrapy_redis.scheduler.Scheduler):  # type: ignore[misc]  # scrapy-redis is untyped
    """Feeds the engine from the Redis shards this worker leases; see the README's frontier section."""

    def __init__(self, crawler: Crawler, server: redis.Redis, config: FrontierConfig, *, prefetch: int,
                 heartbeat_seconds: float, per_host: int, retry_max_seconds: float,
                 max_stall_seconds: float) -> None:
        super().__init__(server=server, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.prefetch = prefetch
        self.heartbeat_seconds = heartbeat_seconds
        self.per_host = per_host
        self.retry_max_seconds = retry_max_seconds
        self.max_stall_seconds = max_stall_seconds
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.frontier: Frontier | None = None
        self.leases: LeaseKeeper | None = None
        self.once = False
        self.done = False
        self.owned: set[int] = set()
        self.draining: set[int] = set()
        self._handing: dict[int, str] = {}  # draining shards that go to another worker: shard -> receiver
        self._depths: dict[int, int] = {}  # queue depth of each active shard at the last heartbeat
        self._next_balance = 0.0
        self._hungry = False  # the last refill found nothing in any owned shard
        self._next_adopt = 0.0
        self._target = config.shards  # this worker's share of the shards, set at every heartbeat
        self._workers = 1
        self._next_acquire = 0.0
        self._join_until = 0.0  # no shards taken before: workers started together split them at once
        self._next_store_request = 0.0
        self.held: Counter[int] = Counter()  # requests of a shard handed out and not yet acknowledged
        self._buffer: OrderedDict[str, deque[Request]] = OrderedDict()
        self._buffered = 0
        self._acks: list[tuple[int, bytes]] = []
        self._validators: list[tuple[str, str | None, str | None]] = []
        self._outgoing: list[Link] = []
        self._sites: dict[str, Site] = {}
        self._pump: asyncio.Task[None] | None = None
        self._closing = False
        self._wake = asyncio.Event()
        self._redis_down_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        server = connections.redis_sync(settings)
        try:
            server.ping()
        except redis.RedisError as exc:
            raise ValueError(f"Redis at GOVCRAWL_REDIS_URL is unreachable ({exc}): start it "
                             "(scripts/services.sh start) or fix GOVCRAWL_REDIS_URL") from exc
        config = frontier_config_from_settings(settings)
        max_stall_seconds = settings.getfloat("GOVCRAWL_FRONTIER_MAX_STALL_SECONDS")
        if max_stall_seconds < config.lease_seconds:
            raise ValueError(f"GOVCRAWL_FRONTIER_MAX_STALL_SECONDS is {max_stall_seconds}: it must be at "
                             f"least GOVCRAWL_FRONTIER_LEASE_SECONDS ({config.lease_seconds})")
        scheduler = cls(
            crawler, server, config,
            prefetch=settings.getint("GOVCRAWL_FRONTIER_PREFETCH"),
            heartbeat_seconds=settings.getfloat("GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS"),
            per_host=settings.getint("GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST"),
            retry_max_seconds=settings.getfloat("GOVCRAWL_REDIS_RETRY_MAX_SECONDS"),
            max_stall_seconds=max_stall_seconds,
        )
        crawler.signals.connect(scheduler._on_stored, signal=requests_stored)
        crawler.signals.connect(scheduler._on_spider_idle, signal=signals.spider_idle)
        if not settings.getbool("GOVCRAWL_ES_ENABLED"):
            # Nothing is stored: a request is done once its items left the pipelines.
            crawler.signals.connect(scheduler._on_item_scraped, signal=signals.item_scraped)
        return scheduler

    # --- Scrapy scheduler interface ---------------------------------------------------------------
    def open(self, spider: Spider) -> Deferred[None]:
        self.spider = spider
        self.once = bool(getattr(spider, "once", False))
        client = connections.redis_async(self.crawler.settings)
        self.frontier = Frontier(client, self.config)
        spider.frontier = self.frontier  # type: ignore[attr-defined]  # a GovsiteSpider attribute
        return deferred_from_coro(self._open())

    async def _open(self) -> None:
        assert self.frontier is not None
        await self.frontier.check_shard_count()
        await self._load_sites()
        # Announce this worker, then wait one heartbeat before taking shards: workers started together
        # see each other and each takes its share, instead of the first taking all and handing half over
        # as its requests are acknowledged (about 7 s on the 100-site farm).
        await self._heartbeat()
        assert self.stats is not None
        self.leases = LeaseKeeper(connections.redis_sync(self.crawler.settings), self.frontier.keys,
                                  self.worker_id, lease_seconds=self.config.lease_seconds,
                                  interval_seconds=self.heartbeat_seconds,
                                  max_stall_seconds=self.max_stall_seconds, stats=self.stats)
        self.leases.start()
        self._join_until = self._next_acquire = time.monotonic() + self.heartbeat_seconds
        self._pump = asyncio.get_running_loop().create_task(self._run())
        logger.info(
            "Worker %(worker)s: %(shards)d shards, lease %(lease).0fs, prefetch %(prefetch)d, %(mode)s",
            {"worker": self.worker_id, "shards": self.config.shards, "lease": self.config.lease_seconds,
             "prefetch": self.prefetch, "mode": "one cycle (once=1)" if self.once else "continuous"},
        )

    def close(self, reason: str) -> Deferred[None]:
        return deferred_from_coro(self._close(reason))

    async def _close(self, reason: str) -> None:
        self._closing = True
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        assert self.frontier is not None
        if self.leases is not None:
            await self.leases.stop()  # before the shards go: it would keep this worker in the live set
        try:
            await self._flush()
            for shard in sorted(self.owned):
                await self.frontier.release(shard, self.worker_id)
            await self.frontier.client.zrem(self.frontier.keys.workers, self.worker_id)
        except redis.RedisError as exc:
            logger.error("Could not release shards at close (%(error)s): they are taken over when their "
                         "leases expire", {"error": exc})
        logger.info("Worker %(worker)s closed (%(reason)s): released %(count)d shards",
                    {"worker": self.worker_id, "reason": reason, "count": len(self.owned)})
        self.owned.clear()
        await self.frontier.client.aclose()

    def enqueue_request(self, request: Request) -> bool:
        if "govcrawl_token" in request.meta:
            # A redirect or retry of a request this worker holds: it stays here under the same token.
            self._buffer_request(request)
            return True
        link = self._link_for(request)
        if link is None:
            return False
        self._outgoing.append(link)
        self._wake.set()
        return True

    def next_request(self) -> Request | None:
        if not self._buffered:
            return None
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        for host in list(self._buffer):
            queue = self._buffer[host]
            if downloader is not None:
                slot = downloader.slots.get(host)
                if slot is not None and len(slot.active) >= self.per_host:
                    self._buffer.move_to_end(host)
                    continue
            request = queue.popleft()
            self._buffered -= 1
            if queue:
                self._buffer.move_to_end(host)
            else:
                del self._buffer[host]
            if self._buffered < self.prefetch // 2:
                self._wake.set()
            return request
        return None

    def has_pending_requests(self) -> bool:
        return self._buffered > 0 or bool(self._outgoing)

    def __len__(self) -> int:
        return self._buffered

    def flush(self) -> None:
        """The stored crawl is shared by the cluster: closing a worker never clears it."""

    # --- acknowledgements -------------------------------------------------------------------------
    def _on_stored(self, tokens: list[AckItem]) -> None:
        self._acks.extend((token.shard, token.fp) for token in tokens)
        self._validators.extend((token.url, token.etag, token.modified) for token in tokens
                                if token.url and (token.etag or token.modified))
        self._wake.set()

    def _on_item_scraped(self, item: Any) -> None:
        if isinstance(item, AckItem):
            self._on_stored([item])

    # --- the pump -----------------------------------------------------------------------------------
    async def _run(self) -> None:
        next_beat = self._join_until  # _open announced this worker; the next beat counts who else came
        next_due = 0.0
        next_sites = time.monotonic() + 60
        while not self._closing:
            self._wake.clear()
            if self.leases is not None:
                self.leases.hold(self.owned)
            try:
                now = time.monotonic()
                if now >= next_beat:
                    await self._heartbeat()
                    await self._rebalance()
                    next_beat = now + self.heartbeat_seconds
                await self._flush()
                # Between heartbeats too: a drained shard goes back at once, and a worker short of its
                # share keeps looking, so a joining worker is at full speed within a heartbeat or two.
                if self.draining:
                    await self._release_drained()
                    if self.draining and now >= self._next_store_request:
                        self._next_store_request = now + _ACQUIRE_RETRY_SECONDS
                        self.crawler.signals.send_catch_log(signal=store_requested)
                if self._hungry and now >= self._next_adopt:
                    await self._adopt()
                if len(self.owned) < self._target and now >= self._next_acquire:
                    await self._acquire()
                if now >= next_due:
                    await self._schedule_due()
                    next_due = now + 1.0
                if now >= next_sites:
                    await self._load_sites()
                    next_sites = now + 60
                if self._buffered < self.prefetch // 2:
                    await self._refill()
                if self.once and not self.done:
                    await self._check_done()
                self._redis_back()
            except (redis.RedisError, OSError) as exc:
                await self._redis_trouble(exc)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=0.2)

    async def _redis_trouble(self, exc: Exception) -> None:
        now = time.monotonic()
        if self._redis_down_since is None:
            self._redis_down_since = now
            logger.warning("Redis unreachable (%(error)s): holding work in memory and retrying",
                           {"error": exc})
        assert self.stats is not None
        self.stats.inc_value("govcrawl/frontier/redis_error_count")
        backoff = min(self.retry_max_seconds, 0.5 * 2 ** min(6, int(now - self._redis_down_since)))
        await asyncio.sleep(backoff)

    def _redis_back(self) -> None:
        if self._redis_down_since is not None:
            logger.warning("Redis reachable again after %(seconds).1fs",
                           {"seconds": time.monotonic() - self._redis_down_since})
            self._redis_down_since = None

    async def _flush(self) -> None:
        """Children reach Redis before their parent is acknowledged, so a crash loses neither."""
        assert self.frontier is not None
        if self._outgoing:
            batch, self._outgoing = self._outgoing, []
            try:
                await self.frontier.admit(batch)
            except redis.RedisError:
                self._outgoing[:0] = batch
                raise
        if self._acks:
            batch_acks, self._acks = self._acks, []
            try:
                await self.frontier.ack(batch_acks)
            except redis.RedisError:
                self._acks[:0] = batch_acks
                raise
            for shard, _ in batch_acks:
                self.held[shard] -= 1
                if self.held[shard] <= 0:
                    del self.held[shard]
            assert self.stats is not None
            self.stats.inc_value("govcrawl/frontier/acked_count", len(batch_acks))
        if self._validators:
            validators, self._validators = self._validators, []
            try:
                for url, etag, modified in validators:
                    host = urlsplit(url).hostname or ""
                    await self.frontier.store_validators(url, host, etag, modified)
            except redis.RedisError:
                self._validators[:0] = validators
                raise

    async def _heartbeat(self) -> None:
        assert self.frontier is not None
        active = sorted(self.owned - self.draining)
        self._depths = dict(zip(active, await self.frontier.queue_depths(active), strict=True))
        info = {"owned": len(self.owned), "buffered": self._buffered, "held": sum(self.held.values()),
                "queued": sum(self._depths.values()),
                "started": int(self.crawler.stats.get_value("start_time").timestamp())
                if self.crawler.stats and self.crawler.stats.get_value("start_time") else 0}
        lost, retaken = await self.frontier.heartbeat(self.worker_id, sorted(self.owned), info)
        if retaken:
            assert self.stats is not None
            self.stats.inc_value("govcrawl/frontier/lease_retaken_count", len(retaken))
            logger.warning("Leases on %(count)d shards had expired (Redis restarted, or this worker missed "
                           "its heartbeats); no other worker held them: this worker holds them again",
                           {"count": len(retaken)})
        for shard in lost:
            logger.warning("Lease on shard %(shard)d lost: another worker took it over", {"shard": shard})
            self._drop_shard(shard)
            self.owned.discard(shard)
            self.draining.discard(shard)
            self._handing.pop(shard, None)
            self.held.pop(shard, None)

    async def _rebalance(self) -> None:
        """Aim at an equal share of the shards and of the queued work.

        Drain the surplus (the shards with the least work), adopt shards handed to this worker, take
        free shards up to the share, and hand work to the least loaded worker if this one is the most.
        """
        assert self.frontier is not None
        workers = await self.frontier.live_workers()
        self._workers = len(workers)
        self._target = math.ceil(self.config.shards / max(1, len(workers)))
        active = self.owned - self.draining
        if len(active) > self._target:
            def work(shard: int) -> tuple[int, int]:
                return self._depths.get(shard, 0) + self.held.get(shard, 0), -shard

            for shard in sorted(active, key=work)[: len(active) - self._target]:
                self.draining.add(shard)
                self._drop_shard(shard)
        await self._release_drained()
        await self._adopt()
        await self._acquire()
        await self._balance(workers)

    async def _balance(self, workers: list[str]) -> None:
        """Hand shards to the least loaded worker when this one has the most work (queued or held).

        Hosts hash to shards whatever their size, so one worker's queues can run dry while another's
        are long: at the end of a cycle it would sit idle. The most loaded worker (ties by id, so there
        is one) gives non-empty shards worth about half the difference; the receiver, now above its
        share of shards, drains its emptiest one back, so the shard counts stay even. A shard moves
        only once nothing taken from it is in flight, so each host is still fetched by one worker.
        """
        assert self.frontier is not None
        now = time.monotonic()
        if self._handing or now < self._next_balance or len(workers) < 2:
            return
        loads = await self.frontier.worker_loads(workers)
        loads[self.worker_id] = mine = sum(self._depths.values()) + sum(self.held.values())
        donor = max(loads, key=lambda worker: (loads[worker], worker))
        receiver = min(loads, key=lambda worker: (loads[worker], worker))
        gap = mine - loads[receiver]
        if donor != self.worker_id or gap <= max(self.prefetch, _BALANCE_SHARE * mine):
            return
        given = 0
        for depth, shard in sorted(((depth, shard) for shard, depth in self._depths.items()
                                    if depth and shard not in self.draining), reverse=True):
            if given + depth <= gap // 2:
                given += depth
                self._handing[shard] = receiver
                self.draining.add(shard)
                self._drop_shard(shard)
        if self._handing:
            logger.info("Handing %(count)d shards (%(given)d queued requests) to %(receiver)s: it has "
                        "%(theirs)d requests queued or held, this worker %(mine)d",
                        {"count": len(self._handing), "given": given, "receiver": receiver,
                         "theirs": loads[receiver], "mine": mine})
            await self._release_drained()

    async def _release_drained(self) -> None:
        """Hand back draining shards as soon as everything taken from them is acknowledged."""
        assert self.frontier is not None
        for shard in sorted(self.draining):
            if self.held.get(shard, 0) > 0:
                continue
            receiver = self._handing.pop(shard, None)
            released = await self.frontier.release(shard, self.worker_id, to=receiver)
            if receiver is None:
                logger.info("Released shard %(shard)d to rebalance over %(workers)d workers",
                            {"shard": shard, "workers": self._workers})
            elif released:
                assert self.stats is not None
                self.stats.inc_value("govcrawl/frontier/handed_over_count")
                logger.info("Handed shard %(shard)d to %(receiver)s", {"shard": shard, "receiver": receiver})
                if not self._handing:
                    # The receiver's load report must count the shards before this worker compares again.
                    self._next_balance = time.monotonic() + 3 * self.heartbeat_seconds
            self.owned.discard(shard)
            self.draining.discard(shard)
            self.held.pop(shard, None)

    async def _adopt(self) -> None:
        """Own the shards other workers handed to this one (see `_balance`).

        Asked at every heartbeat, and every 0.5 s while this worker's own queues are empty.
        """
        assert self.frontier is not None
        self._next_adopt = time.monotonic() + _ACQUIRE_RETRY_SECONDS
        for shard in await self.frontier.take_handed(self.worker_id):
            if shard in self.owned:
                continue
            self.owned.add(shard)
            assert self.stats is not None
            self.stats.inc_value("govcrawl/frontier/handed_in_count")
            logger.info("Shard %(shard)d handed to this worker: owns %(owned)d",
                        {"shard": shard, "owned": len(self.owned)})
            # Its load report must count the shard before it compares itself with the others.
            self._next_balance = time.monotonic() + 3 * self.heartbeat_seconds

    async def _acquire(self) -> None:
        """Take free shards (in this worker's own preference order) until it owns its share."""
        assert self.frontier is not None
        self._next_acquire = time.monotonic() + _ACQUIRE_RETRY_SECONDS
        if len(self.owned) >= self._target:
            return
        owners = await self.frontier.lease_owners()
        free = [shard for shard, owner in enumerate(owners) if owner is None]
        rank = {shard: codec.shard_of(f"{self.worker_id}/{shard}", 1 << 30) for shard in free}
        before = len(self.owned)
        for shard in sorted(free, key=rank.__getitem__):
            if len(self.owned) >= self._target:
                break
            recovered = await self.frontier.try_acquire(shard, self.worker_id)
            if recovered is None:
                continue
            self.owned.add(shard)
            if recovered:
                assert self.stats is not None
                self.stats.inc_value("govcrawl/frontier/recovered_count", recovered)
                logger.warning("Shard %(shard)d taken over: %(count)d unacknowledged requests redelivered",
                               {"shard": shard, "count": recovered})
        if len(self.owned) > before:
            logger.info("Took %(count)d shards: owns %(owned)d, its share over %(workers)d workers is "
                        "%(target)d", {"count": len(self.owned) - before, "owned": len(self.owned),
                                       "workers": self._workers, "target": self._target})

    def _drop_shard(self, shard: int) -> None:
        """Forget buffered requests of a shard; they stay in flight in Redis and go back on release."""
        dropped = 0
        for host in list(self._buffer):
            queue = self._buffer[host]
            kept = deque(request for request in queue if request.meta["govcrawl_token"][0] != shard)
            dropped += len(queue) - len(kept)
            if kept:
                self._buffer[host] = kept
            else:
                del self._buffer[host]
        self._buffered -= dropped
        self.held[shard] -= dropped

    async def _refill(self) -> None:
        assert self.frontier is not None
        shards = sorted(self.owned - self.draining)
        if not shards:
            self._hungry = True
            return
        want = self.prefetch - self._buffered
        per_shard = max(2, want // len(shards))
        added = 0
        popped = await self.frontier.pop_many(shards, self.worker_id, per_shard)
        for shard, held in popped.items():
            for fp, data in held or ():
                try:
                    request = request_from_dict(data, spider=self.spider)
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    request = self._stand_in(data, exc)
                request.meta["govcrawl_token"] = (shard, fp)
                self.held[shard] += 1
                self._buffer_request(request)
                added += 1
        self._hungry = not added
        if added:
            assert self.stats is not None
            self.stats.inc_value("govcrawl/frontier/dequeued_count", added)
            self._poke_engine()

    def _stand_in(self, data: Any, exc: Exception) -> Request:
        """A local `data:` request in place of a stored one Scrapy cannot rebuild (a port out of range).

        It carries the stored meta to the spider's `parse_unbuildable`, which records the failure for
        the site and acknowledges it: one bad request never stops a worker's feed.
        """
        stored = data if isinstance(data, dict) else {}
        meta = dict(stored.get("meta") or {})
        url = str(stored.get("url", ""))
        meta.setdefault("govcrawl_url", url)
        meta["dont_obey_robotstxt"] = True
        assert self.stats is not None
        self.stats.inc_value("govcrawl/frontier/unbuildable_count")
        logger.error("Dropped a stored request Scrapy cannot rebuild (%(error)s): %(url)s of site %(site)s; "
                     "recorded as invalid_url", {"error": exc, "url": meta["govcrawl_url"],
                                                 "site": meta.get("site_id") or "?"})
        # parse_unbuildable is GovsiteSpider's; the scheduler holds it as a plain Spider.
        return Request("data:,", callback=self.spider.parse_unbuildable,  # type: ignore[attr-defined]
                       errback=getattr(self.spider, "on_error", None), meta=meta, dont_filter=True)

    def _buffer_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        self._buffer.setdefault(host, deque()).append(request)
        self._buffered += 1

    def _poke_engine(self) -> None:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is not None and hasattr(slot, "nextcall"):
            slot.nextcall.schedule()

    async def _schedule_due(self) -> None:
        """Start the cycles and probes of owned sites whose time has come."""
        assert self.frontier is not None
        now = time.time()
        links: list[Link] = []
        taken = []
        for shard in sorted(self.owned - self.draining):
            due = await self.frontier.take_due(shard, now=now, cycles_only=self.once)
            for kind, site_id, cycle in due:
                site = self._sites.get(site_id)
                if site is None:
                    continue  # removed from the registry since it was scheduled
                links.append(self._home_link(site, probe=kind != CYCLE, cycle=cycle))
            if due:
                taken.append((shard, due))
        if links:
            await self.frontier.admit(links)
            self._wake.set()
        # Only now that the home pages are queued: until then the cycles stay due (and unfinished).
        for shard, due in taken:
            await self.frontier.reschedule(shard, due, now=now)

    def _home_link(self, site: Site, *, probe: bool, cycle: int) -> Link:
        # home_request is GovsiteSpider's; the scheduler holds it as a plain Spider.
        data: dict[str, Any] = self.spider.home_request(site, probe=probe, cycle=cycle)  # type: ignore[attr-defined]
        return Link(url=data["meta"]["govcrawl_url"], host=site.host, site_id="" if probe else site.site_id,
                    request=data,
                    interval_seconds=self.config.probe_seconds if probe else self.config.cycle_seconds,
                    force=True)

    def _link_for(self, request: Request) -> Link | None:
        host = urlparse_cached(request).hostname
        if not host:
            return None
        return Link(url=request.url, host=host, site_id=request.meta.get("site_id", ""),
                    request=codec.jsonable_request(request.to_dict(spider=self.spider)),
                    interval_seconds=self.config.cycle_seconds)

    async def _load_sites(self) -> None:
        assert self.frontier is not None
        sites = await read_sites_async(self.frontier.client, self.config.prefix)
        self._sites = {site.site_id: site for site in sites}
        self.spider.sites = self._sites  # type: ignore[attr-defined]  # a GovsiteSpider attribute

    async def _check_done(self) -> None:
        assert self.frontier is not None
        local = self._buffered + len(self._outgoing) + len(self._acks) + sum(self.held.values())
        if local:
            return
        if await self.frontier.pending_work(now=time.time(), cycles_only=True) == 0:
            self.done = True
            logger.info("Every registered site's cycle is done: this worker stops (once=1)")
            self._poke_engine()

    def _on_spider_idle(self) -> None:
        if self.once and self.done:
            return
        raise DontCloseSpider
