"""The garbage collector of a crawling worker, set for its allocation pattern (EXTENSIONS).

With Python's default thresholds (700, 10, 10) a worker spent about a sixth of its CPU in the
collector: every page allocates many short-lived containers (requests, meta dicts, links, items), so
young collections ran thousands of times and promoted enough survivors to trigger ~80 full collections
of ~90 ms each in a one-minute crawl of 14,000 pages. A young generation of 20,000 objects lets those
containers die by reference count before a collection looks at them: the collector's time fell from
11.3 s to 0.9 s in that crawl (docs/benchmarks.md). Cyclic garbage is still collected, only less often.

GOVCRAWL_CRAWL_GC_THRESHOLDS sets them while the spider runs (empty: Python's defaults are kept); the
previous thresholds come back when it closes, so a crawl run inside another process leaves it as it was.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def gc_thresholds(values: list[str] | list[int]) -> tuple[int, ...]:
    """The thresholds a setting gives: one to three positive whole numbers (young generation first)."""
    try:
        thresholds = tuple(int(value) for value in values)
    except ValueError:
        thresholds = ()
    if not 1 <= len(thresholds) <= 3 or any(value < 1 for value in thresholds):
        raise ValueError(f"GOVCRAWL_CRAWL_GC_THRESHOLDS={','.join(map(str, values))} is not one to three "
                         "positive whole numbers (e.g. 20000,20,10)")
    return thresholds


class GcTuning:
    """Sets the collector's thresholds when the engine starts and restores them when the spider closes."""

    def __init__(self, thresholds: tuple[int, ...]) -> None:
        self.thresholds = thresholds
        self.previous: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        values = crawler.settings.getlist("GOVCRAWL_CRAWL_GC_THRESHOLDS")
        if not values:
            raise NotConfigured("GOVCRAWL_CRAWL_GC_THRESHOLDS is empty: Python's thresholds are kept")
        extension = cls(gc_thresholds(values))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        self.previous = gc.get_threshold()
        gc.set_threshold(*self.thresholds)
        logger.debug("Collector thresholds %(thresholds)s (were %(previous)s)",
                     {"thresholds": self.thresholds, "previous": self.previous})

    def spider_closed(self) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            self.previous = None
