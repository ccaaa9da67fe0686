"""A Prometheus endpoint per worker: fetches, items, link checks, errors, buffers (GOVCRAWL_METRICS_*)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Self

import redis
from prometheus_client import CollectorRegistry
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import metrics_catalog as catalog
from crawler.items import AckItem, PageItem
from crawler.metrics import WorkerMetrics, new_family, serve, status_class
from crawler.scheduler.session import worker_session
from pipelines.indexing import IndexingPipeline

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from threading import Thread
    from wsgiref.simple_server import WSGIServer

    from prometheus_client.core import Metric
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_LINK_CHECKED = "govcrawl/links/checked/"
_CRAWL_FAILED = "govcrawl/crawl/failed/"
_SKIPPED = "govcrawl/skipped/"
# Stats counted as errors besides failed fetches (kind label value: stats key).
_OTHER_ERRORS = {"redis": "govcrawl/frontier/redis_error_count", "spider": "spider_exceptions/count"}
# Shard handovers of the load balancing (direction label value: stats key).
_HANDOVERS = {"out": "govcrawl/frontier/handed_over_count", "in": "govcrawl/frontier/handed_in_count"}
# How often the bound port is written again into the worker's Redis hash (it is lost if the hash expires).
_ANNOUNCE_SECONDS = 30.0


def item_type(item: object) -> str | None:
    """The `type` label of an item (PageItem -> "page"); None for frontier bookkeeping (AckItem)."""
    if isinstance(item, AckItem):
        return None
    name = type(item).__name__
    return name.removesuffix("Item").lower() or name.lower()


def stat_counts(stats: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """The numeric stats under `prefix`, keyed by the rest of their key."""
    return {key.removeprefix(prefix): float(value) for key, value in stats.items()
            if key.startswith(prefix) and isinstance(value, int | float)}


class WorkerCollector:
    """Values read when Prometheus scrapes: stats-kept counters, scheduler and indexing buffers."""

    def __init__(self, extension: MetricsExtension) -> None:
        self.extension = extension
        self._spooled_since: float | None = None

    def collect(self) -> Iterator[Metric]:
        worker = self.extension.worker
        stats_collector = self.extension.crawler.stats
        # dict.copy() is atomic under the GIL: the reactor thread may be updating the stats.
        stats = dict(stats_collector.get_stats().copy()) if stats_collector is not None else {}
        checks = new_family(catalog.LINK_CHECKS_TOTAL)
        for result, count in sorted(stat_counts(stats, _LINK_CHECKED).items()):
            checks.add_metric([worker, result], count)
        yield checks
        errors = new_family(catalog.ERRORS_TOTAL)
        for kind, count in sorted(stat_counts(stats, _CRAWL_FAILED).items()):
            errors.add_metric([worker, kind], count)
        for kind, key in _OTHER_ERRORS.items():
            if isinstance(stats.get(key), int | float):
                errors.add_metric([worker, kind], float(stats[key]))
        yield errors
        skipped = new_family(catalog.SKIPPED_TOTAL)
        for reason, count in sorted(stat_counts(stats, _SKIPPED).items()):
            skipped.add_metric([worker, reason], count)
        yield skipped
        failed = new_family(catalog.ES_FAILED_ITEMS_TOTAL)
        failed.add_metric([worker], float(stats.get("govcrawl/es/failed_count", 0)))
        yield failed
        handovers = new_family(catalog.SHARD_HANDOVERS_TOTAL)
        for direction, key in _HANDOVERS.items():
            handovers.add_metric([worker, direction], float(stats.get(key, 0)))
        yield handovers
        buffered = new_family(catalog.WORKER_BUFFERED_REQUESTS)
        buffered.add_metric([worker], float(self.extension.session.buffer.size))
        yield buffered
        yield from self._indexing(worker)

    def _indexing(self, worker: str) -> Iterator[Metric]:
        pipeline = self.extension.indexing
        if pipeline is None:
            return
        pending = pipeline.buffered_count
        spooled = len(pipeline.spool)
        now = time.monotonic()
        if spooled and self._spooled_since is None:
            self._spooled_since = now
        elif not spooled:
            self._spooled_since = None
        lag = pipeline.seconds_since_flush if pending else 0.0
        if self._spooled_since is not None:
            lag = max(lag, now - self._spooled_since)
        for spec, value in ((catalog.ES_BUFFERED_ITEMS, pending), (catalog.ES_SPOOLED_ITEMS, spooled),
                            (catalog.ES_WRITE_LAG, lag)):
            family = new_family(spec)
            family.add_metric([worker], float(value))
            yield family


class MetricsExtension:
    """Serves this worker's metrics on its own port; label `worker` = the session's worker id."""

    def __init__(self, crawler: Crawler, *, address: str, port: int, port_tries: int) -> None:
        self.crawler = crawler
        self.address = address
        self.port = port
        self.port_tries = port_tries
        self.registry = CollectorRegistry()
        self.metrics = WorkerMetrics.declare(self.registry)
        self.worker = ""
        self.bound_port: int | None = None
        self.session = worker_session(crawler)
        self.indexing: IndexingPipeline | None = None
        self._server: WSGIServer | None = None
        self._thread: Thread | None = None
        self._announcer: asyncio.Task[None] | None = None
        self._responded: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("GOVCRAWL_METRICS_ENABLED"):
            raise NotConfigured("GOVCRAWL_METRICS_ENABLED is off: this worker serves no metrics")
        port = settings.getint("GOVCRAWL_METRICS_PORT")
        tries = settings.getint("GOVCRAWL_METRICS_PORT_TRIES")
        if not 0 <= port <= 65535 or tries < 1:
            raise ValueError(f"GOVCRAWL_METRICS_PORT is {port} and GOVCRAWL_METRICS_PORT_TRIES {tries}: "
                             "the port must be 0 (any free port) to 65535 and the tries at least 1")
        extension = cls(crawler, address=str(settings.get("GOVCRAWL_METRICS_ADDRESS")), port=port,
                        port_tries=tries)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.request_left_downloader, signal=signals.request_left_downloader)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    # --- lifecycle ----------------------------------------------------------------------------------
    def spider_opened(self) -> None:
        self.worker = self.session.worker_id
        store = self.session.store
        self.indexing = store if isinstance(store, IndexingPipeline) else None
        self.registry.register(WorkerCollector(self))
        self._server, self._thread, self.bound_port = serve(self.registry, self.address, self.port,
                                                            self.port_tries)
        logger.info("Metrics of worker %(worker)s at http://%(address)s:%(port)d/metrics",
                    {"worker": self.worker, "address": self.address, "port": self.bound_port})
        if self.session.frontier is not None:
            self._announcer = asyncio.get_running_loop().create_task(self._announce())

    def spider_closed(self) -> None:
        if self._announcer is not None:
            self._announcer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    async def _announce(self) -> None:
        """Write the bound port into the worker's Redis hash, where `scrapy status` and discovery read it."""
        frontier = self.session.frontier
        assert frontier is not None
        key = frontier.keys.worker(self.worker)
        ttl_ms = int(frontier.config.lease_seconds * 4000)
        while True:
            try:
                pipe = frontier.client.pipeline(transaction=False)
                pipe.hset(key, mapping={"metrics_address": self.address,
                                        "metrics_port": str(self.bound_port)})
                pipe.pexpire(key, ttl_ms)
                await pipe.execute()
            except (redis.RedisError, OSError) as exc:
                logger.warning("Could not write the metrics port to Redis (%(error)s): retrying in %(s).0fs",
                               {"error": exc, "s": _ANNOUNCE_SECONDS})
            await asyncio.sleep(_ANNOUNCE_SECONDS)

    # --- signals (reactor thread; counters are thread-safe) ---------------------------------------
    def response_downloaded(self, response: Response, request: Request) -> None:
        with self._lock:
            self._responded.add(id(request))
        self.metrics.responses.labels(self.worker, status_class(response.status)).inc()
        latency = request.meta.get("download_latency")
        if isinstance(latency, int | float):
            self.metrics.fetch_duration.labels(self.worker).observe(latency)

    def request_left_downloader(self, request: Request) -> None:
        with self._lock:
            responded = id(request) in self._responded
            self._responded.discard(id(request))
        if not responded:
            # Left the downloader without a response: DNS, refused, timeout, TLS, ...
            self.metrics.responses.labels(self.worker, "error").inc()

    def item_scraped(self, item: object) -> None:
        kind = item_type(item)
        if kind is None:
            return
        self.metrics.items.labels(self.worker, kind).inc()
        if isinstance(item, PageItem):
            self.metrics.pages.labels(self.worker, item.page_kind).inc()
