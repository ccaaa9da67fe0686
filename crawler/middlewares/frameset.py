"""A home page made of frames is read as what its frames show, together.

An old county site's home page is often a `<frameset>`: a menu frame (top.htm), a content frame
(main.htm) with the news boxes, a footer frame (bottom.htm) with the 标识码 and ICP marks. The home page
itself shows no menu, no dated list and no footer, so read on its own it has no columns, no news and
none of the marks, and every such site would get false vetoes (V-HOME, V-CHANNEL, D-ID). A reader sees
the frames; so does the crawl: the answer to a home-page request whose body is a frameset is replaced by
one page holding the bodies of its same-site frames in order (their links made absolute), each frame
also kept as an `<iframe>` so it is still crawled and checked as a link. Each frame's body sits in an
element marked with the frame's URL (links.FRAME_ATTRIBUTE): a broken link in it is reported found on
the frame page, whose file holds it (and on the home page's list, since the home page shows it).
"""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING, Final, Self
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.extract.encoding import decode_html
from crawler.extract.links import COMBINED_ATTRIBUTE, FRAME_ATTRIBUTE, absolute_url, parse_html, same_site

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_FRAMESET: Final = re.compile(rb"<frameset", re.IGNORECASE)
_HEAD_BYTES: Final = 16 * 1024
MAX_FRAMES: Final = 6  # a frameset of more frames than this reads only the first ones


def is_frameset(body: bytes) -> bool:
    """Whether the start of a body could hold a <frameset> (a cheap look at the bytes)."""
    return _FRAMESET.search(body, 0, _HEAD_BYTES) is not None


def frame_sources(tree: HtmlElement, base_url: str) -> list[str]:
    """The frame sources of a page on its own site, in order (at most MAX_FRAMES)."""
    host = urlsplit(base_url).netloc
    sources: list[str] = []
    for frame in tree.iter("frame"):
        url = absolute_url(frame.get("src"), base_url)
        if url is not None and same_site(url, host) and url not in sources:
            sources.append(url)
    return sources[:MAX_FRAMES]


def combined_page(home: str, head_html: str, frames: list[tuple[str, str | None]]) -> str:
    """One page: the home page's head, then each frame's body (None: it could not be read) in order, in
    an element marked with the frame's URL, links absolute, each frame also as an <iframe>."""
    parts = [f'<html {COMBINED_ATTRIBUTE}=""><head>{head_html}</head><body>']
    for url, text in frames:
        parts.append(f'<iframe src="{html.escape(url)}"></iframe>')
        if text is None:
            continue
        tree = parse_html(text)
        tree.make_links_absolute(url, resolve_base_href=True, handle_failures="discard")
        body = tree.find("body")
        if body is not None:
            inner = html.escape(body.text or "") + "".join(
                lxml.html.tostring(child, encoding="unicode") for child in body)
            parts.append(f'<div {FRAME_ATTRIBUTE}="{html.escape(url)}">{inner}</div>')
    parts.append("</body></html>")
    logger.debug("Home page %(url)s read through its %(count)d frames", {"url": home, "count": len(frames)})
    return "".join(parts)


class FramesetHomeMiddleware:
    """Downloader middleware: a home page that is a frameset is answered with its frames' contents."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("page_kind") != "home" or not isinstance(response, HtmlResponse) \
                or response.status != 200 or not is_frameset(response.body):
            return response
        home = parse_html(_text(response))
        sources = frame_sources(home, response.url)
        if not sources:
            return response
        engine = self.crawler.engine
        assert engine is not None
        frames: list[tuple[str, str | None]] = []
        for url in sources:
            frames.append((url, await self._frame_text(engine, url, request)))
        try:
            head = home.find("head")
            kept = [child for child in (() if head is None else head)
                    if child.tag in ("title", "meta") and not _declares_charset(child)]
            head_html = "".join(lxml.html.tostring(child, encoding="unicode") for child in kept)
            body = combined_page(response.url, head_html, frames).encode("utf-8")
        except (ValueError, lxml.etree.LxmlError) as exc:
            logger.warning("Home page %(url)s is a frameset whose frames could not be put together "
                           "(%(error)s): read as it is", {"url": response.url, "error": exc})
            return response
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("govcrawl/home/framesets")
        headers = {**response.headers.to_unicode_dict(), "Content-Type": "text/html; charset=utf-8"}
        return response.replace(body=body, encoding="utf-8", headers=headers)

    @staticmethod
    async def _frame_text(engine: ExecutionEngine, url: str, home: Request) -> str | None:
        try:
            answer = await engine.download_async(Request(url, dont_filter=True,
                                                         meta={"govcrawl_frame_of": home.url}))
        except Exception as exc:  # refusals, timeouts, Twisted's connection errors: any failure
            logger.info("Frame %(url)s of home page %(home)s not read (%(error)s)",
                        {"url": url, "home": home.url, "error": exc})
            return None
        return _text(answer) if answer.status == 200 else None


def _text(response: Response) -> str:
    return decode_html(response.body, (response.headers.get(b"Content-Type") or b"").decode("latin-1")).text


def _declares_charset(element: lxml.html.HtmlElement) -> bool:
    return element.tag == "meta" and (element.get("charset") is not None
                                      or (element.get("http-equiv") or "").lower() == "content-type")
