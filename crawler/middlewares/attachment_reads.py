"""One GET checks and reads an attachment: conditional on its last reading, cut short when the file is
larger than the read or unchanged (GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES, GOVCRAWL_CRAWL_CONDITIONAL_ENABLED).

The spider fetches the site's own PDF/DOC/DOCX/XLS/XLSX attachments with one GET (meta `govcrawl_read`)
instead of a HEAD and a second GET. Scrapy's download_maxsize would fail a larger file and lose its HTTP
status, so the body is cut here, from Scrapy's `headers_received` and `bytes_received` signals with
`StopDownload(fail=False)`: the spider gets the response with its real status, the part of the body that
arrived and the flag "download_stopped", and checks the link without reading the file. An answer that is
a web page (a login wall, an error page) is never cut: the spider classifies it from its body.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, Self
from urllib.parse import urlsplit

import redis
from scrapy import signals
from scrapy.exceptions import NotConfigured, StopDownload

from crawler.extract.attachments import attachment_limits
from crawler.extract.links import extension_of
from crawler.scheduler.session import worker_session

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http.headers import Headers

    from crawler.scheduler.session import WorkerSession

logger = logging.getLogger(__name__)

# What one answer of a read left in its request's meta; a redirect's next hop starts without it.
ANSWERED: Final = "govcrawl_read_answered"  # headers arrived: the server answered
STOPPED: Final = "govcrawl_read_stopped"  # why the body was cut: "too_large" or "unchanged"
LAST_READ: Final = "govcrawl_last_read"  # (etag, modified, length) of the last reading, or Nones
_FILE = "govcrawl_read_file"  # the answer is not a web page: its bytes are counted
_RECEIVED = "govcrawl_read_bytes"
_ANSWER_STATE: Final = (ANSWERED, STOPPED, _FILE, _RECEIVED)
# Whose length says nothing of their content: OLE compound files (.doc, .xls) grow in 512-byte sectors,
# so an edit (numbers masked, say) mostly leaves the size as it was. Read again unless validators say no.
_LENGTH_SAYS_NOTHING: Final = frozenset({"doc", "xls"})


class AttachmentReadMiddleware:
    """Adds the last reading's validators to attachment reads; stops their downloads early."""

    def __init__(self, session: WorkerSession, *, max_bytes: int, conditional: bool) -> None:
        self.session = session
        self.max_bytes = max_bytes
        self.conditional = conditional

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        limits = attachment_limits(crawler.settings)
        if limits is None:
            raise NotConfigured("GOVCRAWL_CONTENT_ENABLED is off or GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES "
                                "is 0: attachments are only link-checked")
        middleware = cls(worker_session(crawler), max_bytes=limits.max_bytes,
                         conditional=crawler.settings.getbool("GOVCRAWL_CRAWL_CONDITIONAL_ENABLED"))
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    async def process_request(self, request: Request) -> None:
        meta = request.meta
        if not meta.get("govcrawl_read"):
            return
        for key in _ANSWER_STATE:
            meta.pop(key, None)
        frontier = self.session.frontier
        if not self.conditional or frontier is None or LAST_READ in meta:  # a redirect hop: asked already
            return
        url = meta["govcrawl_url"]
        try:
            etag, modified, length = await frontier.stored_validators(url, urlsplit(url).hostname or "")
        except redis.RedisError as exc:
            logger.debug("No validators for %(url)s (%(error)s): read in full",
                         {"url": request.url, "error": exc})
            return
        meta[LAST_READ] = (etag, modified, length)
        if etag is not None:
            request.headers[b"If-None-Match"] = etag
        if modified is not None:
            request.headers[b"If-Modified-Since"] = modified

    def headers_received(self, headers: Headers, body_length: Any, request: Request, **_: Any) -> None:
        meta = request.meta
        if not meta.get("govcrawl_read"):
            return
        meta[ANSWERED] = True
        if "html" in _header(headers, b"Content-Type").lower() or body_length == 0:
            return  # a web page where a file was linked is read whole; an empty body needs no cut
        meta[_FILE] = True
        meta[_RECEIVED] = 0
        length = body_length if isinstance(body_length, int) else None  # else twisted's UNKNOWN_LENGTH
        if length is not None and length > self.max_bytes:
            _stop(meta, "too_large")
        if _unchanged(meta.get(LAST_READ), headers, length, meta["govcrawl_url"]):
            _stop(meta, "unchanged")

    def bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        meta = request.meta
        if not meta.get(_FILE):
            return
        meta[_RECEIVED] += len(data)
        if meta[_RECEIVED] > self.max_bytes:  # a file sent without its length
            _stop(meta, "too_large")


def _header(headers: Headers, name: bytes) -> str:
    return (headers.get(name) or b"").decode("latin-1")


def _stop(meta: dict[str, Any], reason: str) -> None:
    meta[STOPPED] = reason
    raise StopDownload(fail=False)


def _unchanged(last: tuple[str | None, str | None, int | None] | None, headers: Headers, length: int | None,
               url: str) -> bool:
    """The answer announces the file read last time: its ETag (or, without one, its Last-Modified) again,
    for a server that ignored the conditional request; or, where the server sends neither, its length."""
    if not last:
        return False
    etag, modified, last_length = last
    now_etag, now_modified = _header(headers, b"ETag") or None, _header(headers, b"Last-Modified") or None
    if etag is not None:
        return now_etag == etag
    if modified is not None:
        return now_etag is None and now_modified == modified
    return now_etag is None and now_modified is None and length is not None and length == last_length \
        and extension_of(url) not in _LENGTH_SAYS_NOTHING
