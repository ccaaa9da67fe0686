"""Tests for crawler.extract.links: link extraction over CMS samples and link-check classification."""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from OpenSSL import SSL
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawler.extract.links import (
    Link,
    LinkStatus,
    absolute_url,
    canonical_url,
    classify_exception,
    classify_response,
    element_text,
    extract_links,
    parse_html,
    trs_page_urls,
)

DATA = Path(__file__).parent / "data" / "links"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _by_url(links: list[Link]) -> dict[str, Link]:
    return {link.url: link for link in links}


def test_an_address_a_script_builds_is_no_link() -> None:
    """A jump-to-page button concatenates its literal with a number: the literal alone is no address."""
    html = ("<html><body><a onclick=\"location.href='list.shtml?page='+document.getElementById('n').value\">"
            "跳转</a><span onclick=\"window.open('list.shtml?page=2')\">第2页</span>"
            "<span onclick='window.open( \"/show.php?id=\" + 7)'>x</span></body></html>")
    links = _by_url(extract_links(html, "http://www.mzs.gov.cn/bm/list.shtml", site_host="www.mzs.gov.cn"))
    assert list(links) == ["http://www.mzs.gov.cn/bm/list.shtml?page=2"]


def test_a_jump_menus_options_are_links() -> None:
    html = ("<html><body>"
            "<select name='sldd' onchange='location.href=this.options[this.selectedIndex].value;'>"
            "<option value='list_3_1.html' selected>1</option>"
            "<option value='list_3_2.html'>2</option></select>"
            "<select onchange=\"window.open(this.value)\"><option value=''>--友情链接--</option>"
            "<option value='http://www.sc.gov.cn/'>四川省人民政府</option></select>"
            "<select onchange=\"location.href='list.asp?page='+this.value\">"
            "<option value='2'>2</option></select>"
            "<select name='type'><option value='news.html'>新闻</option></select></body></html>")
    links = _by_url(extract_links(html, "http://www.mzs.gov.cn/a/xwzx/", site_host="www.mzs.gov.cn"))
    assert sorted(links) == ["http://www.mzs.gov.cn/a/xwzx/list_3_1.html",
                             "http://www.mzs.gov.cn/a/xwzx/list_3_2.html", "http://www.sc.gov.cn/"]
    assert links["http://www.sc.gov.cn/"].kind == "external"


def test_a_page_of_the_site_shown_in_a_frame_is_marked_framed() -> None:
    html = ('<html><body><iframe src="/inc/gsgg.html"></iframe><iframe src="http://map.example.com/x"></iframe>'
            '<iframe src="/inc/ldjh.html"></iframe><a href="/inc/ldjh.html">领导讲话</a></body></html>')
    links = _by_url(extract_links(html, "http://www.mzs.gov.cn/", site_host="www.mzs.gov.cn"))
    assert {url: (link.kind, link.framed) for url, link in links.items()} == {
        "http://www.mzs.gov.cn/inc/gsgg.html": ("page", True),
        "http://map.example.com/x": ("frame", False),
        # also an anchor: a page a reader is sent to, not only a part of this one
        "http://www.mzs.gov.cn/inc/ldjh.html": ("page", False),
    }


def test_trs_list_page_links() -> None:
    links = _by_url(
        extract_links(
            _read("trs_list.html"), "http://www.mzs.gov.cn/zwgk/tzgg/index.html", site_host="www.mzs.gov.cn"
        )
    )
    expected = {
        "http://www.mzs.gov.cn/zwgk/tzgg/202611/t20261120_1001.html": ("page", False),
        "http://www.mzs.gov.cn/zwgk/tzgg/202611/t20261118_1000.html": ("page", False),  # fragment dropped
        "http://www.mzs.gov.cn/zwgk/tzgg/202611/P020261118.pdf": ("attachment", False),
        "http://www.mzs.gov.cn/zwgk/tzgg/202611/t20261101_999.html": ("page", False),  # onclick
        "http://www.mzs.gov.cn/zwgk/tzgg/index_1.html": ("page", False),  # createPageHTML
        "http://www.mzs.gov.cn/zwgk/tzgg/index_3.html": ("page", False),
        "http://www.mzs.gov.cn/css/style.css": ("stylesheet", False),
        "http://www.mzs.gov.cn/js/jquery.js": ("script", False),
        "http://www.mzs.gov.cn/images/logo.png": ("image", True),
        "http://map.example.com/embed?x=1": ("frame", False),
        "http://www.mzs.gov.cn/": ("page", True),
        "http://www.gov.cn/": ("external", True),
        "http://bszs.conac.cn/sitename?id=1&method=show": ("external", True),  # query canonicalised
    }
    for url, (kind, nav) in expected.items():
        assert url in links, url
        assert (links[url].kind, links[url].in_nav) == (kind, nav), url
    assert "http://www.mzs.gov.cn/zwgk/tzgg/index_4.html" not in links  # 4 pages: index, _1.._3
    assert "http://www.mzs.gov.cn/favicon.ico" not in links  # rel=icon is not a stylesheet
    assert not [url for url in links if url.startswith(("mailto", "tel", "javascript"))]
    assert (
        links["http://www.mzs.gov.cn/zwgk/tzgg/202611/t20261120_1001.html"].anchor_text
        == "关于开展冬季安全检查的通知"
    )


def test_hanweb_datastore_records() -> None:
    links = _by_url(
        extract_links(
            _read("hanweb_list.html"), "http://www.hw.gov.cn/col/col338977/index.html", site_host="hw.gov.cn"
        )
    )
    record = links["http://www.hw.gov.cn/art/2026/11/20/art_338977_101.html"]
    assert (record.kind, record.anchor_text, record.in_nav) == ("page", "市政府召开常务会议", False)
    assert "http://www.hw.gov.cn/art/2026/11/19/art_338977_100.html" in links
    assert any("dataproxy.jsp" in url and "page=1" in url for url in links)


def test_accepts_parsed_tree_and_empty_input() -> None:
    tree = parse_html(_read("hanweb_list.html"))
    assert len(extract_links(tree, "http://www.hw.gov.cn/", site_host="www.hw.gov.cn")) == 3
    assert extract_links("", "http://www.hw.gov.cn/", site_host="www.hw.gov.cn") == []
    assert extract_links(b"   ", "http://www.hw.gov.cn/", site_host="www.hw.gov.cn") == []


HTML = "text/html; charset=utf-8"
# (status, final url, body sample or inline text, content type, redirect chain, expected status)
RESPONSE_CASES = [
    (
        200,
        "http://a.gov.cn/x.html",
        "article_mentions_404.html",
        HTML,
        (),
        LinkStatus(True, 200, None, False),
    ),
    (200, "http://a.gov.cn/x.html", "short_real.html", HTML, (), LinkStatus(True, 200, None, False)),
    (200, "http://a.gov.cn/x.html", "js_redirect.html", HTML, (), LinkStatus(True, 200, None, False)),
    (200, "http://a.gov.cn/x.html", "soft404_zh.html", HTML, (), LinkStatus(False, 200, "soft404", False)),
    (200, "http://a.gov.cn/x.html", "soft404_title.html", HTML, (), LinkStatus(False, 200, "soft404", False)),
    (200, "http://a.gov.cn/x.html", "tiny_blank.html", HTML, (), LinkStatus(False, 200, "soft404", False)),
    (
        200,
        "http://a.gov.cn/404.html",
        "short_real.html",
        HTML,
        ("http://a.gov.cn/old.html",),
        LinkStatus(False, 200, "soft404", False),
    ),
    (
        200,
        "http://a.gov.cn/error/notfound.jsp",
        "short_real.html",
        HTML,
        ("http://a.gov.cn/o.html",),
        LinkStatus(False, 200, "soft404", False),
    ),
    (
        200,
        "http://a.gov.cn/zwgk/index.html",
        "short_real.html",
        HTML,
        ("http://a.gov.cn/zwgk/",),
        LinkStatus(True, 200, None, False),
    ),
    (404, "http://a.gov.cn/x.html", "soft404_title.html", HTML, (), LinkStatus(False, 404, "http", True)),
    (410, "http://a.gov.cn/x.html", "", HTML, (), LinkStatus(False, 410, "http", True)),
    (403, "http://a.gov.cn/x.html", "", HTML, (), LinkStatus(False, 403, "http", True)),
    (500, "http://a.gov.cn/x.html", "", HTML, (), LinkStatus(False, 500, "http", False)),
    (429, "http://a.gov.cn/x.html", "", HTML, (), LinkStatus(False, 429, "http", False)),
    # Attachments: tiny files are never soft 404s; a web page in place of the file is a soft 404 of the
    # download (D-ATTACH), but a real file mislabelled text/html is not.
    (
        200,
        "http://a.gov.cn/f.pdf",
        "%PDF-1.4 tiny",
        "application/pdf",
        (),
        LinkStatus(True, 200, None, False),
    ),
    (200, "http://a.gov.cn/f.doc", "tiny_blank.html", HTML, (),
     LinkStatus(False, 200, "soft404", False, True)),
    (200, "http://a.gov.cn/f.pdf", "", HTML, (), LinkStatus(False, 200, "soft404", False, True)),  # HEAD
    (200, "http://a.gov.cn/f.pdf", "%PDF-1.4 tiny", HTML, (), LinkStatus(True, 200, None, False)),
    (
        200,
        "http://a.gov.cn/f.xls",
        "soft404_zh.html",
        HTML,
        (),
        LinkStatus(False, 200, "soft404", False, True),
    ),
    (404, "http://a.gov.cn/f.docx", "", HTML, (), LinkStatus(False, 404, "http", True, True)),
]


@pytest.mark.parametrize("case", RESPONSE_CASES)
def test_classify_response(case: tuple[int, str, str, str, tuple[str, ...], LinkStatus]) -> None:
    status, url, body, content_type, redirects, expected = case
    text = _read(body) if body.endswith(".html") else body
    assert classify_response(status, url, text, content_type, redirects) == expected


@pytest.mark.parametrize(("body", "error"), [
    ("<script>alert('该信息不存在或已被删除！');location.href='/';</script>", "soft404"),
    ('<html><body><script>alert("参数错误");history.back();</script></body></html>', "soft404"),
    # A script that only sends the reader on (a home page's redirect), or says something else, is no error.
    ("<script>window.location.href='/zwgk/index.html';</script>", None),
    ("<script>alert('请输入关键字');location.href='/';</script>", None),
])
def test_a_tiny_page_whose_script_says_the_item_is_gone_is_a_soft_404(body: str, error: str | None) -> None:
    assert classify_response(200, "http://a.gov.cn/show.asp?id=9", body, HTML).error == error


def test_short_page_with_numbers_is_not_soft404() -> None:
    body = (
        "<html><title>收费标准</title><body><table><tr><td>办证费</td><td>500</td></tr></table></body></html>"
    )
    assert classify_response(200, "http://a.gov.cn/fee.html", body, HTML).ok


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    """lxml refuses a str that starts with an XML declaration naming an encoding: the declaration is dropped
    (a link check on such a page raised ValueError in the spider's callback)."""
    declared = '<?xml version="1.0" encoding="gb2312"?>\n'
    gone = f"{declared}<html><head><title>提示</title></head><body><p>该信息不存在或已被删除</p></body>"
    outcome = classify_response(200, "http://a.gov.cn/Item/7.aspx", gone, HTML)
    assert (outcome.ok, outcome.error) == (False, "soft404")
    page = f"{declared}<html><body><p>正文\x00内容</p></body></html>"
    assert element_text(parse_html(page)) == "正文内容"


def test_soft404_size_rule_uses_full_size_when_only_head_was_read() -> None:
    head = _read("tiny_blank.html")
    assert classify_response(200, "http://a.gov.cn/", head, HTML).error == "soft404"
    assert classify_response(200, "http://a.gov.cn/", head, HTML, body_size_bytes=40_000).ok


def _ssl_error() -> SSL.Error:
    return SSL.Error([("SSL routines", "", "certificate verify failed")])


def _chained(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except BaseException as raised:
        return raised


EXCEPTION_CASES: list[tuple[BaseException, str, bool]] = [
    (tx_error.DNSLookupError("no such host"), "dns", True),
    (_chained(CannotResolveHostError("x"), tx_error.DNSLookupError("x")), "dns", True),
    (tx_error.TimeoutError(), "timeout", True),  # type: ignore[no-untyped-call]
    (tx_error.TCPTimedOutError(), "timeout", True),  # type: ignore[no-untyped-call]
    (DownloadTimeoutError("Getting http://a took longer than 15.0 seconds."), "timeout", True),
    (tx_error.ConnectionRefusedError(), "refused", False),  # type: ignore[no-untyped-call]
    (DownloadConnectionRefusedError("refused"), "refused", False),
    (ResponseNeverReceived([Failure(_ssl_error())]), "tls", False),  # type: ignore[no-untyped-call]
    (ssl.SSLError(1, "wrong version number"), "tls", False),
    (ResponseNeverReceived([Failure(tx_error.ConnectionLost())]), "other", False),  # type: ignore[no-untyped-call]
    (ValueError("unexpected"), "other", False),
]


@pytest.mark.parametrize(("exc", "error", "confirmed"), EXCEPTION_CASES)
def test_classify_exception(exc: BaseException, error: str, confirmed: bool) -> None:
    assert classify_exception(exc) == LinkStatus(False, None, error, confirmed)  # type: ignore[arg-type]
    assert classify_exception(Failure(exc)).error == error  # type: ignore[no-untyped-call]


def _follow_redirects(locations: list[str], max_times: int) -> tuple[IgnoreRequest, Request]:
    """Drive Scrapy's real RedirectMiddleware until it gives up."""
    crawler = get_crawler(settings_dict={"REDIRECT_MAX_TIMES": max_times})
    middleware = RedirectMiddleware.from_crawler(crawler)
    request = Request(locations[0], dont_filter=True)
    for hop in range(100):
        target = locations[(hop + 1) % len(locations)] if len(locations) > 1 else f"{locations[0]}?n={hop}"
        response = Response(request.url, status=302, headers={"Location": target}, request=request)
        try:
            result = middleware.process_response(request, response)
        except IgnoreRequest as exc:
            return exc, request
        assert isinstance(result, Request)
        request = result
    raise AssertionError("RedirectMiddleware never gave up")


def test_redirect_loop_from_real_redirect_middleware() -> None:
    exc, request = _follow_redirects(["http://a.gov.cn/a", "http://a.gov.cn/b"], max_times=5)
    status = classify_exception(exc, url=request.url, redirect_urls=request.meta["redirect_urls"])
    assert status == LinkStatus(False, None, "redirect_loop", False)


def test_too_many_redirects_from_real_redirect_middleware() -> None:
    exc, request = _follow_redirects(["http://a.gov.cn/chain"], max_times=5)
    status = classify_exception(exc, url=request.url, redirect_urls=request.meta["redirect_urls"])
    assert status == LinkStatus(False, None, "too_many_redirects", False)


def test_a_download_past_the_size_limit_is_too_large() -> None:
    announced = DownloadCancelledError("Expected to receive 200000 bytes, larger than download max size")
    assert classify_exception(Failure(announced)) == LinkStatus(False, None, "too_large", False)
    assert classify_exception(defer.CancelledError()) == LinkStatus(False, None, "too_large", False)


def test_a_decompression_bomb_is_its_own_kind_even_on_a_redirect_url() -> None:
    bomb = IgnoreRequest("Ignored response <200 http://a.gov.cn/redirect/> because its body (5 B compressed, "
                         "100 B decompressed so far) exceeded DOWNLOAD_MAXSIZE (10 B) during decompression.")
    assert classify_exception(bomb) == LinkStatus(False, None, "decompression_limit", False)


def test_http_error_from_httperror_middleware_uses_response() -> None:
    body = _read("soft404_title.html").encode()
    response = HtmlResponse(
        "http://a.gov.cn/x",
        status=404,
        body=body,
        headers={"Content-Type": HTML},
        request=Request("http://a.gov.cn/x"),
    )
    assert classify_exception(HttpError(response, "Ignoring non-200 response")) == LinkStatus(
        False, 404, "http", True
    )


def test_trs_count_page_pagers_announce_their_pages() -> None:
    script = ('<html><body><script>var countPage = 3//共多少页\nvar currentPage = 0;var prePage = "index";'
              'var fileExt = "shtml";</script></body></html>')
    assert trs_page_urls(script, "http://a.gov.cn/xwzx/bmdt/index.shtml") == [
        "http://a.gov.cn/xwzx/bmdt/index_1.shtml", "http://a.gov.cn/xwzx/bmdt/index_2.shtml"]
    assert trs_page_urls("<script>var countPage = 2;</script>", "http://a.gov.cn/x/index_1.htm") == [
        "http://a.gov.cn/x/index_1.htm"]


@pytest.mark.parametrize("base", [
    "http://www.a.gov.cn/xxgk/zwdt/index.html", "https://a.gov.cn:8443/col/col12/index.html?uid=3&page=2",
    "http://127.0.1.5:8800/", "http://a.gov.cn", "http://a.gov.cn/a/b/c;p?q=1#f",
])
@pytest.mark.parametrize("href", [
    "/xxgk/t20261201_1.html", "/a/../b/./c.html", "//cdn.a.gov.cn/x.js", "../up.html", "./same.html",
    "next.html", "?page=3", "http://www.a.gov.cn/x?", "HTTPS://B.gov.cn/Y", "https://a.gov.cn:8443/z",
    "http://a.gov.cn/p;params?q#frag", "ftp://a.gov.cn/f", "/", "  /spaced.html  ", "http:relative.html",
    "/中文/路径.html", "/a b.html", "https://a.gov.cn/%E4%B8%AD",
])
def test_resolving_an_href_gives_what_a_plain_join_gives(href: str, base: str) -> None:
    """absolute_url joins a repeated href once per site, not once per page: the result must be the join's."""
    joined = urljoin(base, href.strip())
    expected = canonical_url(joined) if urlsplit(joined).scheme in ("http", "https") else None
    assert absolute_url(href, base) == expected


def test_an_error_page_with_scripts_is_read_without_them_and_the_tree_is_left_whole() -> None:
    html = ("<html><head><title>某县人民政府</title></head><body><div class='main'>"
            "<p>对不起，您访问的页面不存在<script>var menu = '政务公开 新闻中心 办事服务 互动交流 ' + "
            "new Date();</script><style>p{color:red}</style></p></div></body></html>")
    tree = parse_html(html)
    before = len(list(tree.iter()))
    outcome = classify_response(200, "http://127.0.0.1/a.html", html, "text/html", tree=tree)
    assert (outcome.ok, outcome.error) == (False, "soft404")
    assert len(list(tree.iter())) == before  # the analysis reads the same tree afterwards
    # Shown as text, the script's words would make it more than "an error message with little else".
    scriptless = html.replace("<script>", "<span>").replace("</script>", "</span>")
    assert classify_response(200, "http://127.0.0.1/a.html", scriptless, "text/html").ok


@pytest.mark.parametrize("markup", [
    "<a> 政务  公开 </a>", "<a></a>", "<a><!-- 注释 --></a>", "<a>新闻<b>中心</b> 更多</a>",
    "<a>\n\t办事\u3000服务 </a>", "<a><img alt='首页'>首页</a>",
])
def test_element_text_is_the_text_content_with_blanks_collapsed(markup: str) -> None:
    element = parse_html(f"<html><body>{markup}</body></html>").find(".//a")
    assert element_text(element) == " ".join(element.text_content().split())
