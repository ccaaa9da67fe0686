"""The worker session: this worker's part in the cluster, one per crawler (see docs/frontier.md).

It owns the frontier client, the shard leases and their heartbeat, rebalancing and handover (deciding
with the pure `crawler.scheduler.balance.plan`), the acknowledgement ledger, due cycles and probes, the
registry copy, Redis outage backoff and the end of a `once=1` crawl. It runs one pump task on the
reactor. Scrapy components reach it through `worker_session(crawler)` in their own `from_crawler`: the
scheduler and its queue (crawler/scheduler/sharded.py), the spider, the conditional-request middleware,
the indexing pipeline and the metrics extension.

Settings: GOVCRAWL_FRONTIER_* (shards, leases, prefetch, revisit intervals), GOVCRAWL_CRAWL_*. Leases are
also renewed by a thread of their own (crawler/scheduler/leases.py), so a long callback never loses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import Counter, OrderedDict, deque
from typing import TYPE_CHECKING, Any, Protocol, Self
from urllib.parse import urlsplit

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_from_dict

from crawler import connections
from crawler.extensions.gc_tuning import gc_thresholds
from crawler.items import AckItem
from crawler.registry import Site, read_sites_async
from crawler.scheduler import balance, codec
from crawler.scheduler.frontier import CYCLE, Frontier, FrontierConfig, Offer
from crawler.scheduler.leases import LeaseKeeper

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

_ACQUIRE_RETRY_SECONDS = 0.5  # how often a worker short of its share looks for free shards, and one
# whose queues are empty for shards handed to it
_SITES_RELOAD_SECONDS = 60.0
_DUE_CHECK_SECONDS = 1.0


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
            "a day (V-AVAIL), so it must be at most 4320"
        )
    return config


def check_worker_settings(settings: BaseSettings) -> tuple[FrontierConfig, float]:
    """The frontier's settings, the stall limit and the collector's thresholds, checked (ValueError
    naming the setting)."""
    config = frontier_config_from_settings(settings)
    if thresholds := settings.getlist("GOVCRAWL_CRAWL_GC_THRESHOLDS"):
        gc_thresholds(thresholds)
    max_stall_seconds = settings.getfloat("GOVCRAWL_FRONTIER_MAX_STALL_SECONDS")
    if max_stall_seconds < config.lease_seconds:
        raise ValueError(f"GOVCRAWL_FRONTIER_MAX_STALL_SECONDS is {max_stall_seconds}: it must be at "
                         f"least GOVCRAWL_FRONTIER_LEASE_SECONDS ({config.lease_seconds})")
    return config, max_stall_seconds


class ItemStore(Protocol):
    """What stores items and says when their requests may be acknowledged (pipelines.indexing)."""

    def store_soon(self) -> None:
        """Store buffered items now rather than at the next periodic flush."""
        ...


class PrefetchBuffer:
    """Requests taken from the owned shards, per host, handed out round-robin across hosts."""

    def __init__(self) -> None:
        self._hosts: OrderedDict[str, deque[Request]] = OrderedDict()
        self.size = 0

    def add(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        self._hosts.setdefault(host, deque()).append(request)
        self.size += 1

    def pop(self, busy: Callable[[str], bool]) -> Request | None:
        """The next request of the first host (in rotation) that is not `busy`; None if every host is."""
        for host in list(self._hosts):
            if busy(host):
                self._hosts.move_to_end(host)
                continue
            queue = self._hosts[host]
            request = queue.popleft()
            self.size -= 1
            if queue:
                self._hosts.move_to_end(host)
            else:
                del self._hosts[host]
            return request
        return None

    def drop_shard(self, shard: int) -> int:
        """Forget the buffered requests of a shard; returns how many."""
        dropped = 0
        for host in list(self._hosts):
            queue = self._hosts[host]
            kept = deque(request for request in queue if request.meta["govcrawl_token"][0] != shard)
            dropped += len(queue) - len(kept)
            if kept:
                self._hosts[host] = kept
            else:
                del self._hosts[host]
        self.size -= dropped
        return dropped


def worker_session(crawler: Crawler) -> WorkerSession:
    """This crawler's session, created by whichever component asks first."""
    session: WorkerSession | None = getattr(crawler, "govcrawl_session", None)
    if session is None:
        session = WorkerSession.from_crawler(crawler)
        crawler.govcrawl_session = session  # type: ignore[attr-defined]  # one per crawler
    return session


class WorkerSession:
    """This worker's leases, shards, acknowledgements and schedule; see the module docstring."""

    def __init__(self, crawler: Crawler, config: FrontierConfig, *, prefetch: int, heartbeat_seconds: float,
                 per_host: int, retry_max_seconds: float, max_stall_seconds: float) -> None:
        self.crawler = crawler
        self.config = config
        self.prefetch = prefetch
        self.heartbeat_seconds = heartbeat_seconds
        self.per_host = per_host
        self.retry_max_seconds = retry_max_seconds
        self.max_stall_seconds = max_stall_seconds
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.frontier: Frontier | None = None
        self.sites: dict[str, Site] = {}
        self.buffer = PrefetchBuffer()
        self.store: ItemStore | None = None  # set by the indexing pipeline when it opens
        self.spider: Spider | None = None
        self.once = False
        self.done = False
        # Shard state. owned: leased by this worker; draining: owned, being given up (no new requests
        # taken); handing: draining shards promised to a named worker; held: requests taken from a shard
        # and not yet acknowledged; depths: queue depth of each active shard at the last heartbeat.
        self.owned: set[int] = set()
        self.draining: set[int] = set()
        self.handing: dict[int, str] = {}
        self.held: Counter[int] = Counter()
        self.depths: dict[int, int] = {}
        self.target = config.shards  # this worker's share of the shards, set at every heartbeat
        self.workers = 1
        # Waiting to reach Redis: links to admit, acknowledgements, validators of column pages and of
        # attachments read (url, etag, last-modified, length).
        self._outgoing: list[Offer] = []
        self._acks: list[tuple[int, bytes]] = []
        self._validators: list[tuple[str, str | None, str | None, int | None]] = []
        self._leases: LeaseKeeper | None = None
        self._timers = _Timers()
        self._hungry = False  # the last refill found nothing in any owned shard
        self._pump: asyncio.Task[None] | None = None
        self._closing = False
        self._wake = asyncio.Event()
        self._redis_down_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        config, max_stall_seconds = check_worker_settings(settings)
        session = cls(
            crawler, config,
            prefetch=settings.getint("GOVCRAWL_FRONTIER_PREFETCH"),
            heartbeat_seconds=settings.getfloat("GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS"),
            per_host=settings.getint("GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST"),
            retry_max_seconds=settings.getfloat("GOVCRAWL_REDIS_RETRY_MAX_SECONDS"),
            max_stall_seconds=max_stall_seconds,
        )
        return session

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    # --- life ---------------------------------------------------------------------------------------
    async def open(self, spider: Spider) -> None:
        """Start this worker's part (the scheduler calls it). Until then the session changes nothing:
        a crawl with another scheduler (the benchmark's plain contestants) closes as Scrapy would."""
        self.spider = spider
        self.once = bool(getattr(spider, "once", False))
        events = self.crawler.signals
        events.connect(self._on_spider_idle, signal=signals.spider_idle)
        if not self.crawler.settings.getbool("GOVCRAWL_ES_ENABLED"):
            # Nothing is stored: a request is done once its items left the pipelines.
            events.connect(self._on_item_scraped, signal=signals.item_scraped)
        self.frontier = Frontier(connections.redis_async(self.crawler.settings), self.config)
        await self.frontier.check_shard_count()
        await self._load_sites()
        # Announce this worker, then wait one heartbeat before taking shards: workers started together
        # see each other and each takes its share, instead of the first taking all and handing half over
        # as its requests are acknowledged (about 7 s on the 100-site farm).
        await self._heartbeat()
        self._leases = LeaseKeeper(connections.redis_sync(self.crawler.settings), self.frontier.keys,
                                   self.worker_id, lease_seconds=self.config.lease_seconds,
                                   interval_seconds=self.heartbeat_seconds,
                                   max_stall_seconds=self.max_stall_seconds, stats=self.stats)
        self._leases.start()
        self._timers.joined(time.monotonic() + self.heartbeat_seconds)
        self._pump = asyncio.get_running_loop().create_task(self._run())
        logger.info(
            "Worker %(worker)s: %(shards)d shards, lease %(lease).0fs, prefetch %(prefetch)d, %(mode)s",
            {"worker": self.worker_id, "shards": self.config.shards, "lease": self.config.lease_seconds,
             "prefetch": self.prefetch, "mode": "one cycle (once=1)" if self.once else "continuous"},
        )

    async def close(self, reason: str) -> None:
        self._closing = True
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self.frontier is None:
            return
        if self._leases is not None:
            await self._leases.stop()  # before the shards go: it would keep this worker in the live set
        released = len(self.owned)
        try:
            await self._flush()
            for shard in sorted(self.owned):
                await self.frontier.release(shard, self.worker_id)
            await self.frontier.client.zrem(self.frontier.keys.workers, self.worker_id)
        except redis.RedisError as exc:
            logger.error("Could not release shards at close (%(error)s): they are taken over when their "
                         "leases expire", {"error": exc})
        logger.info("Worker %(worker)s closed (%(reason)s): released %(count)d shards",
                    {"worker": self.worker_id, "reason": reason, "count": released})
        self.owned.clear()
        await self.frontier.client.aclose()

    # --- what the scheduler asks --------------------------------------------------------------------
    def offer(self, request: Request) -> bool:
        """A request from the engine: a redirect or retry of a held one stays here, anything else is
        admitted to the frontier (and fetched by whichever worker owns its host)."""
        if "govcrawl_token" in request.meta:
            self.buffer.add(request)
            return True
        host = urlparse_cached(request).hostname
        if not host:
            return False
        self._outgoing.append(Offer(url=request.url, host=host, site_id=request.meta.get("site_id", ""),
                                   request=codec.jsonable_request(request.to_dict(spider=self.spider)),
                                   interval_seconds=self.config.cycle_seconds))
        self._wake.set()
        return True

    def next_request(self) -> Request | None:
        """The next buffered request whose host has fewer than its limit of downloads in flight."""
        if not self.buffer.size:
            return None
        engine = self.crawler.engine
        slots = engine.downloader.slots if engine is not None else {}

        def busy(host: str) -> bool:
            slot = slots.get(host)
            return slot is not None and len(slot.active) >= self.per_host

        request = self.buffer.pop(busy)
        if request is not None and self.buffer.size < self.prefetch // 2:
            self._wake.set()
        return request

    def pending(self) -> int:
        """Requests this worker has to hand out or to pass to Redis."""
        return self.buffer.size + len(self._outgoing)

    # --- acknowledgements ---------------------------------------------------------------------------
    def requests_stored(self, tokens: Iterable[AckItem]) -> None:
        """The items of these requests are stored (or durably spooled): acknowledge them."""
        for token in tokens:
            self._acks.append((token.shard, token.fp))
            if token.url and (token.etag or token.modified or token.length is not None):
                self._validators.append((token.url, token.etag, token.modified, token.length))
        self._wake.set()

    def _on_item_scraped(self, item: Any) -> None:
        if isinstance(item, AckItem):
            self.requests_stored([item])

    def _on_spider_idle(self) -> None:
        if self.once and self.done:
            return
        raise DontCloseSpider

    # --- the pump -----------------------------------------------------------------------------------
    async def _run(self) -> None:
        timers = self._timers
        while not self._closing:
            self._wake.clear()
            if self._leases is not None:
                self._leases.hold(self.owned)
            try:
                now = time.monotonic()
                if timers.due("beat", now, self.heartbeat_seconds):
                    await self._heartbeat()
                    await self._rebalance()
                await self._flush()
                # Between heartbeats too: a drained shard goes back at once, and a worker short of its
                # share keeps looking, so a joining worker is at full speed within a heartbeat or two.
                if self.draining:
                    await self._release_drained()
                    if self.draining and timers.due("store", now, _ACQUIRE_RETRY_SECONDS) \
                            and self.store is not None:
                        self.store.store_soon()
                if self._hungry and timers.due("adopt", now, _ACQUIRE_RETRY_SECONDS):
                    await self._adopt()
                if len(self.owned) < self.target and timers.due("acquire", now, _ACQUIRE_RETRY_SECONDS):
                    await self._acquire()
                if timers.due("due", now, _DUE_CHECK_SECONDS):
                    await self._schedule_due()
                if timers.due("sites", now, _SITES_RELOAD_SECONDS):
                    await self._load_sites()
                if self.buffer.size < self.prefetch // 2:
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
            self.stats.inc_value("govcrawl/frontier/acked_count", len(batch_acks))
        if self._validators:
            validators, self._validators = self._validators, []
            try:
                for url, etag, modified, length in validators:
                    host = urlsplit(url).hostname or ""
                    await self.frontier.store_validators(url, host, etag, modified, length)
            except redis.RedisError:
                self._validators[:0] = validators
                raise

    # --- shards -------------------------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        assert self.frontier is not None
        active = sorted(self.owned - self.draining)
        self.depths = dict(zip(active, await self.frontier.queue_depths(active), strict=True))
        started = self.stats.get_value("start_time")
        info = {"owned": len(self.owned), "buffered": self.buffer.size, "held": sum(self.held.values()),
                "queued": sum(self.depths.values()), "started": int(started.timestamp()) if started else 0}
        lost, retaken = await self.frontier.heartbeat(self.worker_id, sorted(self.owned), info)
        if retaken:
            self.stats.inc_value("govcrawl/frontier/lease_retaken_count", len(retaken))
            logger.warning("Leases on %(count)d shards had expired (Redis restarted, or this worker missed "
                           "its heartbeats); no other worker held them: this worker holds them again",
                           {"count": len(retaken)})
        for shard in lost:
            logger.warning("Lease on shard %(shard)d lost: another worker took it over", {"shard": shard})
            self._forget(shard)

    async def _rebalance(self) -> None:
        """Carry out `balance.plan`: drain the surplus, adopt and acquire up to the share, hand over work."""
        assert self.frontier is not None
        live = await self.frontier.live_workers()
        self.workers = len(live)
        self.target = balance.share_of(self.config.shards, len(live))
        loads = None
        if not self.handing and self._timers.ready("balance", time.monotonic()) and len(live) >= 2:
            loads = await self.frontier.worker_loads([worker for worker in live if worker != self.worker_id])
        decision = balance.plan(me=self.worker_id, owned=self.owned, draining=self.draining, held=self.held,
                                depths=self.depths, target=self.target, loads=loads, prefetch=self.prefetch)
        for shard in (*decision.drain, *decision.hand):
            self.draining.add(shard)
            self._drop_buffered(shard)
        self.handing.update(decision.hand)
        if decision.hand:
            receiver = next(iter(decision.hand.values()))
            assert loads is not None
            logger.info("Handing %(count)d shards (%(given)d queued requests) to %(receiver)s: it has "
                        "%(theirs)d requests queued or held, this worker %(mine)d",
                        {"count": len(decision.hand), "given": decision.handed_requests, "receiver": receiver,
                         "theirs": loads[receiver],
                         "mine": sum(self.depths.values()) + sum(self.held.values())})
        await self._release_drained()
        await self._adopt()
        await self._acquire()

    async def _release_drained(self) -> None:
        """Hand back draining shards as soon as everything taken from them is acknowledged."""
        assert self.frontier is not None
        for shard in sorted(self.draining):
            if self.held.get(shard, 0) > 0:
                continue
            receiver = self.handing.get(shard)
            released = await self.frontier.release(shard, self.worker_id, to=receiver)
            if receiver is None:
                logger.info("Released shard %(shard)d to rebalance over %(workers)d workers",
                            {"shard": shard, "workers": self.workers})
            elif released:
                self.stats.inc_value("govcrawl/frontier/handed_over_count")
                logger.info("Handed shard %(shard)d to %(receiver)s", {"shard": shard, "receiver": receiver})
            self._forget(shard)
            if receiver is not None and released and not self.handing:
                # The receiver's load report must count the shards before this worker compares again.
                self._timers.hold("balance", time.monotonic() + 3 * self.heartbeat_seconds)

    async def _adopt(self) -> None:
        """Own the shards other workers handed to this one.

        Asked at every heartbeat, and every 0.5 s while this worker's own queues are empty.
        """
        assert self.frontier is not None
        self._timers.hold("adopt", time.monotonic() + _ACQUIRE_RETRY_SECONDS)
        for shard in await self.frontier.take_handed(self.worker_id):
            if shard in self.owned:
                continue
            self.owned.add(shard)
            self.stats.inc_value("govcrawl/frontier/handed_in_count")
            logger.info("Shard %(shard)d handed to this worker: owns %(owned)d",
                        {"shard": shard, "owned": len(self.owned)})
            # Its load report must count the shard before it compares itself with the others.
            self._timers.hold("balance", time.monotonic() + 3 * self.heartbeat_seconds)

    async def _acquire(self) -> None:
        """Take free shards (in this worker's own preference order) until it owns its share."""
        assert self.frontier is not None
        self._timers.hold("acquire", time.monotonic() + _ACQUIRE_RETRY_SECONDS)
        if len(self.owned) >= self.target:
            return
        owners = await self.frontier.lease_owners()
        free = [shard for shard, owner in enumerate(owners) if owner is None]
        rank = {shard: codec.shard_of(f"{self.worker_id}/{shard}", 1 << 30) for shard in free}
        before = len(self.owned)
        for shard in sorted(free, key=rank.__getitem__):
            if len(self.owned) >= self.target:
                break
            recovered = await self.frontier.try_acquire(shard, self.worker_id)
            if recovered is None:
                continue
            self.owned.add(shard)
            if recovered:
                self.stats.inc_value("govcrawl/frontier/recovered_count", recovered)
                logger.warning("Shard %(shard)d taken over: %(count)d unacknowledged requests redelivered",
                               {"shard": shard, "count": recovered})
        if len(self.owned) > before:
            logger.info("Took %(count)d shards: owns %(owned)d, its share over %(workers)d workers is "
                        "%(target)d", {"count": len(self.owned) - before, "owned": len(self.owned),
                                       "workers": self.workers, "target": self.target})

    def _forget(self, shard: int) -> None:
        """This worker no longer owns the shard (released, handed over or lost)."""
        self._drop_buffered(shard)
        self.owned.discard(shard)
        self.draining.discard(shard)
        self.handing.pop(shard, None)
        self.held.pop(shard, None)

    def _drop_buffered(self, shard: int) -> None:
        """Buffered requests of a shard leave the buffer; in Redis they stay in flight until its release."""
        dropped = self.buffer.drop_shard(shard)
        if dropped:
            self.held[shard] -= dropped

    # --- feeding ------------------------------------------------------------------------------------
    async def _refill(self) -> None:
        assert self.frontier is not None
        shards = sorted(self.owned - self.draining)
        if not shards:
            self._hungry = True
            return
        per_shard = max(2, (self.prefetch - self.buffer.size) // len(shards))
        added = 0
        popped = await self.frontier.pop_many(shards, self.worker_id, per_shard)
        for shard, taken in popped.items():
            for fp, data in taken or ():
                try:
                    request = request_from_dict(data, spider=self.spider)
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    request = self._stand_in(data, exc)
                request.meta["govcrawl_token"] = (shard, fp)
                self.held[shard] += 1
                self.buffer.add(request)
                added += 1
        self._hungry = not added
        if added:
            self.stats.inc_value("govcrawl/frontier/dequeued_count", added)
            self._poke_engine()

    def _stand_in(self, data: Any, exc: Exception) -> Request:
        """A local `data:` request in place of a stored one Scrapy cannot rebuild (a port out of range).

        It carries the stored meta to the spider's `parse_unbuildable`, which records the failure for
        the site and acknowledges it: one bad request never stops a worker's feed.
        """
        stored = data if isinstance(data, dict) else {}
        meta = dict(stored.get("meta") or {})
        meta.setdefault("govcrawl_url", str(stored.get("url", "")))
        meta["dont_obey_robotstxt"] = True
        self.stats.inc_value("govcrawl/frontier/unbuildable_count")
        logger.error("Dropped a stored request Scrapy cannot rebuild (%(error)s): %(url)s of site %(site)s; "
                     "recorded as invalid_url", {"error": exc, "url": meta["govcrawl_url"],
                                                 "site": meta.get("site_id") or "?"})
        # parse_unbuildable is GovsiteSpider's; the session holds it as a plain Spider.
        return Request("data:,", callback=self.spider.parse_unbuildable,  # type: ignore[union-attr]
                       errback=getattr(self.spider, "on_error", None), meta=meta, dont_filter=True)

    def _poke_engine(self) -> None:
        """Ask the engine for requests now instead of at its next 5-second heartbeat.

        Scrapy has no public call for this; `engine._slot.nextcall` is what its own scheduler path uses.
        """
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and hasattr(slot, "nextcall"):
            slot.nextcall.schedule()

    async def _schedule_due(self) -> None:
        """Start the cycles and probes of owned sites whose time has come."""
        assert self.frontier is not None
        now = time.time()
        links: list[Offer] = []
        taken = []
        for shard in sorted(self.owned - self.draining):
            due = await self.frontier.take_due(shard, now=now, cycles_only=self.once)
            for kind, site_id, cycle in due:
                site = self.sites.get(site_id)
                if site is None:
                    continue  # removed from the registry since it was scheduled
                links.append(self._home_link(site, probe=kind != CYCLE, cycle=cycle))
            if due:
                taken.append((shard, due))
        cycles = sum(1 for _, due in taken for kind, _, _ in due if kind == CYCLE)
        if cycles:
            self.stats.inc_value("govcrawl/frontier/cycles_started_count", cycles)
        if links:
            await self.frontier.admit(links)
            self._wake.set()
        # Only now that the home pages are queued: until then the cycles stay due (and unfinished).
        for shard, due in taken:
            await self.frontier.reschedule(shard, due, now=now)

    def _home_link(self, site: Site, *, probe: bool, cycle: int) -> Offer:
        # home_request is GovsiteSpider's; the session holds it as a plain Spider.
        data: dict[str, Any] = self.spider.home_request(  # type: ignore[union-attr]
            site, probe=probe, cycle=cycle)
        return Offer(url=data["meta"]["govcrawl_url"], host=site.host, site_id="" if probe else site.site_id,
                    request=data,
                    interval_seconds=self.config.probe_seconds if probe else self.config.cycle_seconds,
                    force=True)

    async def _load_sites(self) -> None:
        assert self.frontier is not None
        sites = await read_sites_async(self.frontier.client, self.config.prefix)
        self.sites = {site.site_id: site for site in sites}

    async def _check_done(self) -> None:
        assert self.frontier is not None
        local = self.buffer.size + len(self._outgoing) + len(self._acks) + sum(self.held.values())
        if local:
            return
        if await self.frontier.pending_work(now=time.time(), cycles_only=True) == 0:
            self.done = True
            logger.info("Every registered site's cycle is done: this worker stops (once=1)")
            self._poke_engine()


class _Timers:
    """When each periodic step of the pump runs next (monotonic seconds)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {"sites": time.monotonic() + _SITES_RELOAD_SECONDS}

    def joined(self, at: float) -> None:
        """No heartbeat, shard taking or balancing before `at`: workers started together split at once."""
        for name in ("beat", "acquire"):
            self._next[name] = at

    def due(self, name: str, now: float, every: float) -> bool:
        """Whether the step runs now; if so, its next run is `every` seconds later."""
        if now < self._next.get(name, 0.0):
            return False
        self._next[name] = now + every
        return True

    def ready(self, name: str, now: float) -> bool:
        return now >= self._next.get(name, 0.0)

    def hold(self, name: str, until: float) -> None:
        self._next[name] = until
