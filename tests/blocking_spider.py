"""A govsite spider whose parse holds the reactor once, as a parse of a huge page would (test_distributed.py).

Loaded by a crawl with `-s SPIDER_MODULES=crawler.spiders,tests.blocking_spider`; `-a block_at=N` picks the
response whose parse blocks, `-a block_seconds=S` for how long.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from crawler.spiders.govsite import GovsiteSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.http import Response

logger = logging.getLogger(__name__)


def hold_the_interpreter(seconds: float) -> int:
    """Compute in pure Python for `seconds` (the GIL is taken back every few ms, as by a parse)."""
    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline:
        rounds += sum(range(10_000)) > 0
    return rounds


class BlockingGovsiteSpider(GovsiteSpider):
    name = "govsite_blocking"

    def __init__(self, *args: Any, block_at: str = "1", block_seconds: str = "0", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.block_at = int(block_at)
        self.block_seconds = float(block_seconds)
        self._parsed = 0

    async def parse(self, response: Response) -> AsyncIterator[Any]:
        self._parsed += 1
        if self._parsed == self.block_at:
            logger.warning("Blocking the reactor for %(seconds).0f s in the parse of %(url)s",
                           {"seconds": self.block_seconds, "url": response.url})
            hold_the_interpreter(self.block_seconds)
        async for item in super().parse(response):
            yield item
