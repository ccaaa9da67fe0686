"""Tests for crawler.traps and crawler.extract.content: traps and soft 404s told by what pages say."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.extract.links import canonical_url
from crawler.page_analysis import PageAnalysis, analyze_page, not_found_features, same_page_address, sent_home
from crawler.registry import Site
from crawler.traps import ContentTraps, Repeat, is_view_of, not_found_url, split_by_own_pattern, url_pattern

SITE = Site(site_id="5101000001", name="测试市人民政府", url="http://127.0.9.1/", level="city",
            region="成都市", department="")
TODAY = date(2026, 12, 6)
MENU = "".join(f"<li><a href='/col/{i}/index.html'>{name}</a></li>"
               for i, name in enumerate(["政务公开", "新闻中心", "政务服务", "互动交流", "通知公告"]))
FOOTER = "<div class='ft'>主办：测试市人民政府办公室 地址：测试市人民路1号 电话：028-12345678</div>"


def _page(main: str, title: str = "测试市人民政府") -> bytes:
    return (f"<html><head><title>{title}</title></head><body><div class='top'><ul>{MENU}</ul></div>"
            f"<div class='main'>{main}</div>{FOOTER}</body></html>").encode()


HOME = _page("<ul>" + "".join(f"<li><a href='/art/{i}.html'>首页新闻标题第{i}条</a> 2026-12-0{i}</li>"
                              for i in range(1, 6)) + "</ul>")


def _analyze(body: bytes, url: str, *, kind: str = "page", traps: ContentTraps | None = None,
             final_url: str | None = None) -> PageAnalysis:
    template = traps.template(SITE.site_id, 1) if traps is not None else None
    return analyze_page(body=body, url=url, final_url=final_url or url, status=200,
                        content_type="text/html; charset=utf-8", site=SITE, page_kind=kind, depth=1,
                        column_name=None, column_level=None, column_url=None, listing_date=None, today=TODAY,
                        fetched_at=datetime(2026, 12, 6, tzinfo=UTC), template=template)


def _traps() -> ContentTraps:
    traps = ContentTraps(similar=0.8, min_pages=8, repeat_ratio=0.75)
    traps.read(SITE.site_id, 1, SITE.url, _analyze(HOME, SITE.url, kind="home"), home=True)
    return traps


ERROR_PAGES = [
    pytest.param("<p>对不起，您访问的信息已删除或不存在！</p><p><a href='/'>返回首页</a></p>", id="deleted"),
    pytest.param("<div class='box'><h3>温馨提示</h3><p>该信息不存在或已过期。</p></div>", id="expired"),
    pytest.param("<table><tr><td><img src='/images/404.png'></td><td>您访问的页面不存在</td></tr></table>",
                 id="image-and-phrase"),
    pytest.param("<div class='tips'><h3>提示信息</h3><p>参数错误！</p><a href='/'>返回首页</a></div>",
                 id="bad-parameter"),
]


@pytest.mark.parametrize("main", ERROR_PAGES)
def test_an_error_message_inside_the_full_template_is_a_soft_404(main: str) -> None:
    analysis = _analyze(_page(main), "http://127.0.9.1/content.jsp?id=404", traps=_traps())
    assert analysis.soft404
    assert analysis.links == []


def test_without_the_template_a_long_page_with_an_error_line_is_judged_as_before() -> None:
    body = _page("<p>该信息不存在或已过期。</p>" + "".join(f"<p>栏目介绍段落{i}</p>" for i in range(300)))
    assert not _analyze(body, "http://127.0.9.1/content.jsp?id=404").soft404


def test_a_tiny_real_page_is_not_an_error_page() -> None:
    traps = _traps()
    traps.learn_not_found(SITE.site_id, 1, not_found_features(
        body=_page("<p>您访问的页面不存在</p>"), status=200, content_type="text/html",
        template=traps.template(SITE.site_id, 1)))
    tiny = _page("<h1>联系我们</h1><p>电话：028-12345678</p><a href='/col/1/index.html'>政务公开</a>")
    assert not _analyze(tiny, "http://127.0.9.1/lxwm.html", traps=traps).soft404


def test_a_page_like_the_sites_answer_to_a_missing_page_is_a_soft_404() -> None:
    traps = _traps()
    missing = _page("<div class='err'><span>抱歉</span><span>您要找的内容可能走丢了</span></div>")
    traps.learn_not_found(SITE.site_id, 1, not_found_features(
        body=missing, status=200, content_type="text/html", template=traps.template(SITE.site_id, 1)))
    deleted = _page("<div class='err'><span>抱歉</span><span>您要找的内容可能走丢了</span></div>")
    assert _analyze(deleted, "http://127.0.9.1/show.aspx?id=77", traps=traps).soft404
    article = _page("<h1>关于开展安全检查的通知</h1>" + "".join(f"<p>第{i}条 各单位要落实责任。</p>"
                                                              for i in range(10)))
    assert not _analyze(article, "http://127.0.9.1/show.aspx?id=78", traps=traps).soft404


def test_an_honest_404_teaches_nothing() -> None:
    assert not_found_features(body=b"<html>not here</html>", status=404, content_type="text/html",
                              template=None) is None


def test_a_link_redirected_to_the_home_page_is_a_soft_404() -> None:
    analysis = _analyze(HOME, "http://127.0.9.1/content.jsp?id=9", final_url="http://127.0.9.1/")
    assert analysis.soft404
    # The rule a link check applies too (the spider's _link_status): only another page sent home counts.
    assert sent_home("http://127.0.9.1/content.jsp?id=9", "http://127.0.9.1/index.html", SITE)
    assert not sent_home("http://127.0.9.1/", "http://127.0.9.1/index.html", SITE)
    assert not sent_home("http://127.0.9.1/a.html", "http://127.0.9.1/b.html", SITE)
    assert not sent_home("http://127.0.9.1/a.html", "http://www.sc.gov.cn/", SITE)
    # A request read the page it asked for when it ended at that directory's index file.
    assert same_page_address("http://127.0.9.1/", "http://127.0.9.1/index.html")
    assert same_page_address("http://127.0.9.1/col/zwgk/", "http://127.0.9.1/col/zwgk/Default.htm")
    assert not same_page_address("http://127.0.9.1/", "http://127.0.9.1/index2.htm")
    assert not same_page_address("http://127.0.9.1/col/", "http://127.0.9.1/col/zwgk/index.html")
    assert not same_page_address("http://127.0.9.1/a.html", "http://127.0.9.1/index.html")
    # By way of the home page: a splash home page leads on to index2.htm.
    assert sent_home("http://127.0.9.1/a.html", "http://127.0.9.1/index2.htm", SITE,
                     via=("http://127.0.9.1/a.html", "http://127.0.9.1/"))
    assert not sent_home("http://127.0.9.1/a.html", "http://127.0.9.1/index2.htm", SITE,
                         via=("http://127.0.9.1/a.html", "http://127.0.9.1/b.html"))


def test_session_ids_are_not_part_of_a_page_url() -> None:
    assert canonical_url("http://a.gov.cn/content.jsp;jsessionid=AB12?id=5") == "http://a.gov.cn/content.jsp?id=5"
    assert canonical_url("http://a.gov.cn/x.php?PHPSESSID=zz&id=2") == "http://a.gov.cn/x.php?id=2"
    assert canonical_url("http://a.gov.cn/list.jsp?sid=3&page=2") == "http://a.gov.cn/list.jsp?page=2&sid=3"


def test_url_patterns_ignore_values() -> None:
    assert url_pattern("http://h/content.jsp?id=5") == url_pattern("http://h/content.jsp?id=6")
    assert url_pattern("http://h/tag/a/?sort=1") == url_pattern("http://h/tag/b/?sort=2")
    assert url_pattern("http://h/list.jsp?cid=1&page=2") != url_pattern("http://h/list.jsp?cid=1")
    assert url_pattern("http://h/docs/a1/") == url_pattern("http://h/docs/a1/b2/c3/")
    assert url_pattern("http://h/xwzx/a.html") != url_pattern("http://h/xxgk/a.html")
    assert not_found_url(SITE.url, SITE.site_id) == not_found_url(SITE.url, SITE.site_id)


@pytest.mark.parametrize(("link", "page"), [
    ("http://h/a/2026/1118/661.html?print=1", "http://h/a/2026/1118/661.html"),
    ("http://h/a/661.html?fontsize=16", "http://h/a/661.html?print=1"),  # one view links the other
    ("http://h/content.jsp?id=5&print=1", "http://h/content.jsp?id=5"),
    ("http://h/list.jsp?cid=5&page=2", "http://h/list.jsp?cid=5"),
])
def test_the_same_path_with_parameters_added_or_swapped_is_a_view_of_the_page(link: str, page: str) -> None:
    assert is_view_of(link, page)


@pytest.mark.parametrize(("link", "page"), [
    ("http://h/content.jsp?id=6", "http://h/content.jsp?id=5"),  # another item of the path
    ("http://h/content.jsp?id=6&print=1", "http://h/content.jsp?id=5"),
    ("http://h/a/662.html?print=1", "http://h/a/661.html"),  # another page's view
    ("http://h/a/661.html", "http://h/a/661.html"),  # the page itself
    ("http://g/a/661.html?print=1", "http://h/a/661.html"),
])
def test_another_item_or_another_page_is_no_view(link: str, page: str) -> None:
    assert not is_view_of(link, page)


def _calendar(day: int) -> bytes:
    links = (f"<a href='/calendar/?date=2026-11-{day - 1:02d}'>前一天</a>"
             f"<a href='/calendar/?date=2026-11-{day + 1:02d}'>后一天</a>")
    return _page(f"<h2>2026年11月{day}日 活动安排</h2><p>今日暂无活动安排。</p>{links}")


def test_a_calendar_repeats_itself_and_its_pattern_closes() -> None:
    traps = _traps()
    repeated = []
    for day in range(2, 14):
        url = f"http://127.0.9.1/calendar/?date=2026-11-{day:02d}"
        analysis = _analyze(_calendar(day), url, traps=traps)
        repeated.append(traps.read(SITE.site_id, 1, url, analysis, home=False))
    assert repeated == [Repeat.NO] + [Repeat.SIMILAR] * 11
    assert traps.closed(SITE.site_id, 1, "http://127.0.9.1/calendar/?date=2026-12-25")
    assert not traps.closed(SITE.site_id, 1, "http://127.0.9.1/content.jsp?id=1")
    url = "http://127.0.9.1/calendar/?date=2026-11-05"
    analysis = _analyze(_calendar(5), url, traps=traps)
    assert split_by_own_pattern(url, analysis) == (
        [link for link in analysis.links if "/calendar/" not in link.url],
        [link for link in analysis.links if "/calendar/" in link.url])


def _article(number: int) -> bytes:
    return _page(f"<h1>第{number}号 {'春夏秋冬'[number % 4]}季工作安排</h1>"
                 + "".join(f"<p>{'甲乙丙丁戊己庚辛壬癸'[(number + i) % 10]}项工作由"
                           f"{'东西南北'[i % 4]}区负责落实。</p>" for i in range(number % 5 + 3))
                 + f"<p>附件：<a href='/upload/{number}.pdf'>第{number}号安排表</a></p>")


def test_thousands_of_distinct_ids_on_one_path_are_no_trap() -> None:
    traps = _traps()
    verdicts = []
    for number in range(1, 200):
        url = f"http://127.0.9.1/content.jsp?id={number}"
        analysis = _analyze(_article(number), url, traps=traps)
        verdicts.append(traps.read(SITE.site_id, 1, url, analysis, home=False))
    assert verdicts.count(Repeat.NO) >= 0.95 * len(verdicts)
    assert not traps.closed(SITE.site_id, 1, "http://127.0.9.1/content.jsp?id=5000")


def test_look_alike_pages_a_list_names_do_not_close_their_pattern() -> None:
    """Daily reports that differ only in their numbers look like one another; reached as a list's entries
    they are the site's own items: no repeats, and the pattern stays open for its other articles."""
    traps = _traps()
    verdicts = []
    for day in range(2, 14):
        url = f"http://127.0.9.1/calendar/?date=2026-11-{day:02d}"
        analysis = _analyze(_calendar(day), url, traps=traps)
        verdicts.append(traps.read(SITE.site_id, 1, url, analysis, home=False, listed=True))
    assert verdicts == [Repeat.NO] * 12  # items of their own: their links are followed
    assert not traps.closed(SITE.site_id, 1, "http://127.0.9.1/calendar/?date=2026-12-25")
    # The same pages reached otherwise (a link of a link) close it.
    for day in range(2, 14):
        url = f"http://127.0.9.1/calendar/?date=2026-11-{day:02d}"
        traps.read(SITE.site_id, 1, url, _analyze(_calendar(day), url, traps=traps), home=False)
    assert traps.closed(SITE.site_id, 1, "http://127.0.9.1/calendar/?date=2026-12-25")


def test_a_new_cycle_forgets_the_patterns() -> None:
    traps = _traps()
    for day in range(2, 14):
        url = f"http://127.0.9.1/calendar/?date=2026-11-{day:02d}"
        traps.read(SITE.site_id, 1, url, _analyze(_calendar(day), url, traps=traps), home=False)
    traps.read(SITE.site_id, 2, SITE.url, _analyze(HOME, SITE.url, kind="home"), home=True)
    assert not traps.closed(SITE.site_id, 2, "http://127.0.9.1/calendar/?date=2026-12-25")


def _section_list(column: int) -> bytes:
    """A list page of one section: the section's long left menu, and a short list of its own."""
    menu = "".join(f"<li><a href='/list.aspx?ClassID={i}'>栏目{chr(0x4E00 + i)}</a></li>" for i in range(30))
    entries = "".join(f"<li><a href='/show.aspx?id={column * 100 + i}'>第{column}栏目第{i}篇文章的标题</a>"
                      f"<span>2026-11-0{i + 1}</span></li>" for i in range(2))
    return _page(f"<div class='left'><ul>{menu}</ul></div><div class='list'><ul>{entries}</ul></div>")


def test_list_pages_of_one_section_are_told_apart_by_their_entries() -> None:
    traps = _traps()
    repeated = []
    for column in range(1, 20):
        url = f"http://127.0.9.1/list.aspx?ClassID={column}"
        analysis = _analyze(_section_list(column), url, kind="column", traps=traps)
        repeated.append(traps.read(SITE.site_id, 1, url, analysis, home=False))
    assert set(repeated) == {Repeat.NO}
    assert not traps.closed(SITE.site_id, 1, "http://127.0.9.1/list.aspx?ClassID=99")


def _sorted_list(order: str) -> bytes:
    rows = [(f"/show-{i}.html", f"第{i}条公告的标题文字", f"2026-11-{i + 10}") for i in range(5)]
    rows = rows if order == "asc" else rows[::-1]
    return _page("<ul>" + "".join(f"<li><a href='{url}'>{title}</a><span>{day}</span></li>"
                                  for url, title, day in rows) + "</ul>")


def test_a_list_re_sorted_by_a_query_is_its_path_again_at_the_first_variant() -> None:
    traps = _traps()
    base = "http://127.0.9.1/list-14-1.html"
    first = _analyze(_sorted_list("asc"), base, kind="column", traps=traps)
    assert traps.read(SITE.site_id, 1, base, first, home=False) is Repeat.NO
    variant = base + "?order=desc&sid=0A0F3&sort=title"
    analysis = _analyze(_sorted_list("desc"), variant, kind="column", traps=traps)
    assert traps.read(SITE.site_id, 1, variant, analysis, home=False) is Repeat.SAME
    again = _analyze(_sorted_list("asc"), base, kind="column", traps=traps)
    # The same URL read again (a column revisited within the cycle) repeats nothing.
    assert traps.read(SITE.site_id, 1, base, again, home=False) is Repeat.NO


def test_a_worker_that_never_read_the_home_page_closes_no_pattern() -> None:
    # A shard handed over mid-cycle: another worker read the site's home page and its answer to a missing
    # page. Without the template, menus and footers counted as every page's own content, articles looked
    # alike, and their pattern was closed as a trap: 14 real articles of a farm site were never fetched.
    menu = "".join(f"<li><a href='/col/{i}/index.html'>政务公开专题栏目{chr(0x4E00 + i)}</a></li>"
                   for i in range(40))

    def article(number: int) -> bytes:
        return _page(f"<div class='side'><ul>{menu}</ul></div>" + _article(number).decode().split(
            "<div class='main'>", 1)[1].split("</div>", 1)[0])

    traps = ContentTraps(similar=0.8, min_pages=8, repeat_ratio=0.75)
    traps.learn_not_found(SITE.site_id, 1, None)
    verdicts = []
    for number in range(1, 40):
        url = f"http://127.0.9.1/content.jsp?id={number}"
        analysis = _analyze(article(number), url, traps=traps)
        verdicts.append(traps.read(SITE.site_id, 1, url, analysis, home=False))
    assert set(verdicts) == {Repeat.NO}
    assert not traps.closed(SITE.site_id, 1, "http://127.0.9.1/content.jsp?id=99")
