"""A govsite spider whose analysis raises on chosen pages, as a bug or an odd page would (test_sharded.py).

Loaded by a crawl with `-s SPIDER_MODULES=crawler.spiders,tests.raising_spider`; `-a raise_on=TEXT` makes the
parse of every page whose URL contains TEXT raise after the response arrived.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from crawler.spiders.govsite import GovsiteSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.http import Response

logger = logging.getLogger(__name__)


class RaisingGovsiteSpider(GovsiteSpider):
    name = "govsite_raising"

    def __init__(self, *args: Any, raise_on: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raise_on = raise_on

    async def parse(self, response: Response) -> AsyncIterator[Any]:
        if self.raise_on and self.raise_on in response.url:
            logger.warning("Raising in the parse of %(url)s", {"url": response.url})
            raise RuntimeError(f"planted failure in the parse of {response.url}")
        async for item in super().parse(response):
            yield item
