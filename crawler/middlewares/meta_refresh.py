"""Scrapy's meta-refresh redirects, without decoding every page to look for one.

Scrapy's MetaRefreshMiddleware decodes the whole body of every HTML answer (detecting its charset when
neither the headers nor the page declare one) to look for `<meta http-equiv="refresh">` in the first
4,096 characters. Few pages have one, so the raw bytes are searched first: a body whose first 16 KiB
(4,096 characters of at most 4 bytes each) do not hold the word "refresh" in any ASCII-compatible
encoding, UTF-16 or UTF-32 has no meta refresh to follow, and is passed on untouched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

# The letters of "refresh", each followed by up to three NUL bytes (UTF-16 and UTF-32, either byte order).
_REFRESH: Final = re.compile(b"\\x00{0,3}".join(bytes([letter]) for letter in b"refresh"), re.IGNORECASE)
_HEAD_BYTES: Final = 4096 * 4


def may_refresh(body: bytes) -> bool:
    """Whether the start of a body could hold a meta refresh that Scrapy would follow."""
    return _REFRESH.search(body, 0, _HEAD_BYTES) is not None


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    """MetaRefreshMiddleware that skips pages whose first bytes cannot hold a meta refresh."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if isinstance(response, HtmlResponse) and not may_refresh(response.body):
            return response
        return super().process_response(request, response)
