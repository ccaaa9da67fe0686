"""Meta refresh: followed as Scrapy follows it, without decoding the pages that cannot hold one."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.middlewares.meta_refresh import QuickMetaRefreshMiddleware, may_refresh

_REFRESH_PAGE = '<html><head><meta http-equiv="Refresh" content="0; url=/index.html"><title>跳转</title>'
_PLAIN_PAGE = "<html><head><title>通知公告</title></head><body><p>关于开展专项检查的通知</p></body></html>"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_refresh_is_seen_in_the_raw_bytes_of_any_encoding(encoding: str) -> None:
    assert may_refresh(_REFRESH_PAGE.encode(encoding))
    assert may_refresh(_REFRESH_PAGE.upper().encode(encoding))
    assert not may_refresh(_PLAIN_PAGE.encode(encoding))


def test_only_the_head_scrapy_reads_is_searched() -> None:
    far = ("<p>" + "政务公开" * 5000 + "</p>").encode("utf-8") + _REFRESH_PAGE.encode("utf-8")
    assert not may_refresh(far)  # past 4,096 characters: Scrapy's own middleware would not follow it either


def _middleware() -> QuickMetaRefreshMiddleware:
    return QuickMetaRefreshMiddleware.from_crawler(get_crawler())


def test_a_page_with_a_meta_refresh_is_redirected() -> None:
    request = Request("http://127.0.0.1/old.html")
    response = HtmlResponse(request.url, body=_REFRESH_PAGE.encode("gbk"), encoding="gbk", request=request)
    redirected = _middleware().process_response(request, response)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://127.0.0.1/index.html"
    assert redirected.meta["redirect_reasons"] == ["meta refresh"]


def test_a_page_without_one_is_passed_on_undecoded() -> None:
    request = Request("http://127.0.0.1/notice.html")
    response = HtmlResponse(request.url, body=_PLAIN_PAGE.encode("utf-8"), request=request)
    assert _middleware().process_response(request, response) is response
    assert response._cached_ubody is None  # the decoding this middleware saves
