"""Progress lines for operators, in place of Scrapy's bare "Crawled N pages" counters (EXTENSIONS).

Every LOGSTATS_INTERVAL seconds a crawl logs one line: site cycles started of the registered sites,
pages fetched and their rate, link checks, errors, the cluster's remaining work (queued and in flight
in the frontier) and, from the recent rate of this worker times the live workers, an estimate of the
time left. At the end, one summary line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Self

import redis
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.scheduler.session import WorkerSession, worker_session

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CYCLES_STARTED = "govcrawl/frontier/cycles_started_count"


def counts(stats: Mapping[str, object]) -> tuple[int, int, int]:
    """(pages fetched, link checks, errors) from the crawl's stats."""
    def number(value: object) -> int:
        return int(value) if isinstance(value, int | float) else 0

    def total(prefix: str) -> int:
        return sum(number(value) for key, value in stats.items() if key.startswith(prefix))

    pages = number(stats.get("response_received_count")) - total("govcrawl/links/checked/")
    return max(0, pages), total("govcrawl/links/checked/"), total("govcrawl/crawl/failed/")


def minutes_left(remaining: int, rate_per_minute: float) -> str:
    if remaining == 0:
        return "nothing left"
    if rate_per_minute <= 0:
        return "time left unknown"
    minutes = remaining / rate_per_minute
    return "under a minute left" if minutes < 1 else f"about {minutes:.0f} min left"


class CrawlProgress:
    """Logs the crawl's progress every `interval` seconds and a summary when it ends."""

    def __init__(self, crawler: Crawler, session: WorkerSession, interval: float) -> None:
        self.crawler = crawler
        self.session = session
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("LOGSTATS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("LOGSTATS_INTERVAL is 0: no progress lines")
        progress = cls(crawler, worker_session(crawler), interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self) -> None:
        self._started = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        previous_pages, previous_at = 0, time.monotonic()
        while True:
            await asyncio.sleep(self.interval)
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            pages, checks, errors = counts(stats)
            now = time.monotonic()
            rate = (pages + checks - previous_pages) * 60 / max(now - previous_at, 1e-6)
            previous_pages, previous_at = pages + checks, now
            remaining = await self._remaining()
            left = "" if remaining is None else (
                f"; frontier: {remaining:,} requests queued or in flight, "
                f"{minutes_left(remaining, rate * max(1, self.session.workers))}")
            logger.info("Progress: %(started)d of %(sites)d site cycles started, %(pages)s pages, "
                        "%(checks)s link checks (%(rate).0f/min), %(errors)s errors%(left)s",
                        {"started": stats.get(CYCLES_STARTED, 0), "sites": len(self.session.sites),
                         "pages": f"{pages:,}", "checks": f"{checks:,}", "rate": rate,
                         "errors": f"{errors:,}", "left": left})

    async def _remaining(self) -> int | None:
        frontier = self.session.frontier
        if frontier is None:
            return None
        pipe = frontier.client.pipeline(transaction=False)
        for shard in range(frontier.config.shards):
            pipe.zcard(frontier.keys.queue(shard))
            pipe.hlen(frontier.keys.inflight(shard))
        try:
            return sum(int(count) for count in await pipe.execute())
        except (redis.RedisError, OSError):
            return None  # the session says what is wrong with Redis

    async def spider_closed(self, reason: str) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        pages, checks, errors = counts(stats)
        seconds = time.monotonic() - self._started
        logger.info("Crawl ended (%(reason)s) after %(minutes)dm%(seconds)02ds: %(started)d site cycles "
                    "started, %(pages)s pages, %(checks)s link checks, %(errors)s errors",
                    {"reason": reason, "minutes": seconds // 60, "seconds": seconds % 60,
                     "started": stats.get(CYCLES_STARTED, 0), "pages": f"{pages:,}",
                     "checks": f"{checks:,}", "errors": f"{errors:,}"})
