"""A callback that raises still records its page, settles its URL and acknowledges its request.

Without this, an exception in a spider callback (a bug, or a page no rule foresaw) yields nothing: the
request stays held by the worker, its shard can never be handed over and a `once=1` crawl never ends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


@runtime_checkable
class Recovering(Protocol):
    def recover(self, request: Request, response: Response, exception: Exception) -> AsyncIterator[Any]:
        """The records of a fetched request whose callback raised: page, settle, acknowledgement."""
        ...


class AcknowledgeFailedCallbacks:
    """Spider middleware: turns a callback's exception into the records of a page that could not be read.

    Only frontier requests (those carrying a `govcrawl_token`) are handled; anything else propagates as
    Scrapy would have it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> AsyncIterator[Any] | None:
        spider = self.crawler.spider
        request = response.request
        if request is None or "govcrawl_token" not in request.meta or not isinstance(spider, Recovering):
            return None
        logger.error("The analysis of %(url)s failed (%(error)s): recorded as parse_error and acknowledged",
                     {"url": request.meta.get("govcrawl_url", request.url),
                      "error": f"{type(exception).__name__}: {exception}"}, exc_info=exception)
        return spider.recover(request, response, exception)
