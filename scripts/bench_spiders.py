"""Baseline spiders and the stats recorder of scripts/bench.py (BENCH_STATS_FILE, GOVCRAWL_CRAWL_MAX_*)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import TextResponse

from crawler.extract.links import extract_links

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response

# The callback that parses HTML pages, in govcrawl's spider and in the baselines alike.
PAGE_CALLBACK = "parse"


class BenchStatsExtension:
    """Counts parsed HTML pages and writes the crawl's stats as JSON at close (BENCH_STATS_FILE)."""

    def __init__(self, crawler: Crawler, stats_path: Path) -> None:
        self.crawler = crawler
        self.stats_path = stats_path
        self.first_response_monotonic: float | None = None
        self.last_response_monotonic: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("BENCH_STATS_FILE")
        if not path:
            raise NotConfigured("BENCH_STATS_FILE is not set: no benchmark stats are written")
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def response_received(self, response: Response, request: scrapy.Request) -> None:
        now = time.monotonic()
        if self.first_response_monotonic is None:
            self.first_response_monotonic = now
        self.last_response_monotonic = now
        callback = request.callback
        name = getattr(callback, "__name__", callback)
        if name == PAGE_CALLBACK and response.status < 400:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("bench/html_pages")

    def spider_closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        stats: dict[str, Any] = dict(self.crawler.stats.get_stats())
        stats["bench/close_reason"] = reason
        if self.first_response_monotonic is not None and self.last_response_monotonic is not None:
            window = self.last_response_monotonic - self.first_response_monotonic
            stats["bench/response_window_seconds"] = window
        self.stats_path.write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")


def registry_urls(path: Path) -> list[str]:
    """Home-page URLs of a registry CSV (the `url` column), in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["url"] for row in csv.DictReader(handle) if row.get("url")]


class PlainBaselineSpider(scrapy.Spider):
    """Plain Scrapy: follows same-host page links up to the depth limit; stores nothing, checks nothing."""

    name = "bench_plain"
    custom_settings: dict[str, Any] = {  # noqa: RUF012  (Scrapy reads it as a class attribute)
        "SCHEDULER": "scrapy.core.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy.dupefilters.RFPDupeFilter",
        "ITEM_PIPELINES": {},
        "DOWNLOADER_MIDDLEWARES": {},
        "SPIDER_MIDDLEWARES": {},
    }

    def __init__(self, *args: Any, registry: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not registry:
            raise ValueError("give the registry CSV: -a registry=PATH")
        self.registry_path = Path(registry)
        # Distinct page URLs offered per host, for the page budget only: every link still goes through
        # the scheduler's dupefilter, as it would without a budget.
        self.pages_per_host: dict[str, set[str]] = {}
        self.max_depth = 0
        self.max_pages_per_site = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = crawler.settings.getint("GOVCRAWL_CRAWL_MAX_DEPTH")
        spider.max_pages_per_site = crawler.settings.getint("GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE")
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for url in registry_urls(self.registry_path):
            host = urlsplit(url).hostname or ""
            self.pages_per_host[host] = {url}
            yield scrapy.Request(url, callback=self.parse, meta={"bench_depth": 0})

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status >= 400 or not isinstance(response, TextResponse):
            return
        depth = response.meta["bench_depth"] + 1
        if depth > self.max_depth:
            return
        host = urlsplit(response.url).hostname or ""
        offered = self.pages_per_host.setdefault(host, set())
        for link in extract_links(response.text, response.url, site_host=host):
            # Only same-host pages are fetched: attachments, images and other hosts are not parsed.
            if link.kind != "page" or urlsplit(link.url).hostname != host:
                continue
            if link.url not in offered:
                if len(offered) >= self.max_pages_per_site:
                    continue
                offered.add(link.url)
            yield scrapy.Request(link.url, callback=self.parse, meta={"bench_depth": depth})


class RedisBaselineSpider(PlainBaselineSpider):
    """The same spider on stock scrapy-redis: its Scheduler, priority queue and RFPDupeFilter set."""

    name = "bench_scrapy_redis"
    custom_settings: dict[str, Any] = {  # noqa: RUF012
        **PlainBaselineSpider.custom_settings,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        # Stock scrapy-redis's own queue, not the project's SessionQueue.
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # Kept after the crawl so the benchmark can measure the dupefilter; bench.py deletes it.
        "SCHEDULER_PERSIST": True,
    }
