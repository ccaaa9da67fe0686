"""Conditional requests for column pages: If-None-Match / If-Modified-Since from their last answer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

import redis
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler.scheduler.session import worker_session

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.scheduler.frontier import Frontier
    from crawler.scheduler.session import WorkerSession

logger = logging.getLogger(__name__)

# Column pages are revisited adaptively; a 304 tells the spider nothing changed without a download.
# Home pages are not made conditional: every cycle re-discovers the columns that are due from them.
_CONDITIONAL_KINDS = frozenset({"column"})


class ConditionalRequestMiddleware:
    """Adds validators to column requests; hands the ones servers answer with to the spider."""

    def __init__(self, session: WorkerSession) -> None:
        self.session = session

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("GOVCRAWL_CRAWL_CONDITIONAL_ENABLED"):
            raise NotConfigured(
                "GOVCRAWL_CRAWL_CONDITIONAL_ENABLED is off: column pages are always refetched"
            )
        return cls(worker_session(crawler))

    def _frontier(self) -> Frontier | None:
        return self.session.frontier

    async def process_request(self, request: Request) -> None:
        frontier = self._frontier()
        if frontier is None or request.meta.get("page_kind") not in _CONDITIONAL_KINDS:
            return
        try:
            etag, modified = await frontier.validators(request.meta["govcrawl_url"],
                                                       urlparse_cached(request).hostname or "")
        except redis.RedisError as exc:
            logger.debug("No validators for %(url)s (%(error)s): fetched in full",
                         {"url": request.url, "error": exc})
            return
        if etag is not None:
            request.headers[b"If-None-Match"] = etag
        if modified is not None:
            request.headers[b"If-Modified-Since"] = modified

    async def process_response(self, request: Request, response: Response) -> Response:
        frontier = self._frontier()
        if frontier is None or request.meta.get("page_kind") not in _CONDITIONAL_KINDS:
            return response
        if response.status == 304:
            self.session.stats.inc_value("govcrawl/crawl/not_modified_count")
            return response
        if response.status == 200:
            # Stored only when the request is acknowledged (its items stored, its links in the
            # frontier): a worker killed before that must not leave validators behind, or the
            # redelivered fetch would get a 304 and the page's items and links would be lost.
            etag = response.headers.get(b"ETag")
            modified = response.headers.get(b"Last-Modified")
            if etag or modified:
                request.meta["govcrawl_validators"] = (
                    etag.decode("latin-1") if etag else None,
                    modified.decode("latin-1") if modified else None,
                )
        return response
