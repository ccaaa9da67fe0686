"""A column is a page whose content is a list of entries, however the site links it: an old county site
whose menu is a bare <table> (no nav/menu markup, no "更多" blocks) still has its columns judged, while a
list the home page shows in an iframe is a box of the home page, not a column; and a list that shows no
dates, or shows its newest item only on a later page, is dated by its items' own pages (a letters column
by its newest reply too)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from crawler import es_schema
from crawler.items import ColumnItem, MessageItem, PageItem
from crawler.site_state import CheckPoint, RegisteredSite, _one_spelling, build_site_states
from pipelines.indexing import to_action
from tests.conftest import crawl_and_report, page_server, seed_one_county_site

if TYPE_CHECKING:
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

_COLUMNS = (("xwzx", "新闻中心", 11), ("tzgg", "通知公告", 10), ("zcwj", "政策文件", 1))
_MENU = "".join(f'<td><a href="/{slug}/index.htm">{name}</a></td>' for slug, name, _ in _COLUMNS)
_FOOTER = "<table><tr><td>主办单位：测试县人民政府办公室 网站标识码：5100000096</td></tr></table>"


def _page(title: str, body: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<table width="100%"><tr><td><img src="/images/banner.gif" alt=""></td></tr></table>'
            f'<table><tr><td><a href="/index.htm">首页</a></td>{_MENU}</tr></table>'
            f"{body}{_FOOTER}</body></html>")


def _body(path: str) -> str | None:
    if path in ("/", "/index.htm"):
        return _page("测试县人民政府", "<table><tr><td>欢迎访问测试县人民政府网站。热门搜索："
                                 '<a href="/plus/search.php?keyword=防汛">防汛</a></td></tr></table>'
                                 '<iframe src="/inc/tzgg.htm" width="360" height="200"></iframe>')
    if path == "/inc/tzgg.htm":  # the home page's notices box: the newest notices, shown in an iframe
        items = "".join(f'<li><a href="/tzgg/202610{day:02d}_{day}.htm" target="_blank">通知公告第{day}期工作'
                        f"情况通报</a><span>10-{day:02d}</span></li>" for day in range(10, 4, -1))
        return (f'<html><head><meta charset="utf-8"><title>通知公告</title></head>'
                f"<body><ul>{items}</ul></body></html>")
    if path == "/plus/search.php":  # a search's results list dated items, but are no column
        rows = "".join(f'<tr><td><a href="/tzgg/202610{day:02d}_{day}.htm">防汛工作通报</a></td>'
                       f"<td>2024-06-{day:02d}</td></tr>" for day in range(1, 6))
        return _page("搜索结果", f"<table>{rows}</table>")
    for slug, name, month in _COLUMNS:
        days = range(1, 11)
        if path == f"/{slug}/index.htm":
            rows = "".join(f'<tr><td><a href="/{slug}/2026{month:02d}{day:02d}_{day}.htm">{name}第{day}期工作'
                           f"情况通报</a></td><td>2026-{month:02d}-{day:02d}</td></tr>" for day in days)
            return _page(name, f'<table width="760">{rows}</table>')
        for day in days:
            if path == f"/{slug}/2026{month:02d}{day:02d}_{day}.htm":
                title = f"{name}第{day}期工作情况通报"
                return _page(title, f'<table><tr><td>当前位置：<a href="/">首页</a> &gt; '
                                    f'<a href="/{slug}/index.htm">{name}</a></td></tr></table>'
                                    f"<h1>{title}</h1><div>发布时间：2026-{month:02d}-{day:02d}</div>"
                                    f"<p>本期通报了全县{name}相关工作的进展情况，请各单位对照落实。</p>")
    return None


def test_lists_linked_from_a_bare_table_menu_are_columns(env: Env, tmp_path: Path) -> None:
    with page_server("127.0.33.4", _body) as url:
        seed_one_county_site(env, tmp_path, url, "5100000096")
        report, _ = crawl_and_report(env, tmp_path, "report")
    [site] = report["sites"]
    columns = {column["url"].removeprefix(url): column for column in site["columns"]}
    assert sorted(columns) == sorted(f"{slug}/index.htm" for slug, _, _ in _COLUMNS)
    assert {path: (column["latest_date"], column["entries"]) for path, column in columns.items()} == {
        f"{slug}/index.htm": (f"2026-{month:02d}-10", 10) for slug, _, month in _COLUMNS}
    # A policy column last updated in January is stale at any later date of the year (six months).
    assert columns["zcwj/index.htm"]["stale"] is True


def test_a_column_is_as_new_as_its_newest_item(env: Env, es_client: Elasticsearch) -> None:
    es_schema.install_templates(es_client, env.es_prefix)
    site = RegisteredSite(site_id="5100000095", name="测试县人民政府", url="http://www.csx.gov.cn/",
                          region="成都市", level="county")
    checked = datetime(2026, 12, 6, 2, tzinfo=UTC)

    def column(path: str, entries: int, shown: date | None = None) -> ColumnItem:
        return ColumnItem(site_id=site.site_id, url=f"{site.url}{path}", name=path, type="notice", level=1,
                          checked_at=checked, latest_date=shown, entries=entries, stale=True,
                          empty=entries == 0)

    def article(path: str, number: int, day: date, source: str = "label") -> PageItem:
        return PageItem(site_id=site.site_id, url=f"{site.url}{path}{number}.html", status=200,
                        fetched_at=checked, page_kind="article", column_url=f"{site.url}{path}", pub_date=day,
                        pub_date_source=source)

    def letter(number: int, asked: date, answered: date | None) -> MessageItem:
        return MessageItem(site_id=site.site_id, column_url=f"{site.url}xj/",
                           url=f"{site.url}xj/{number}.html", title=f"来信{number}", asked_at=asked,
                           answered_at=answered, answered=bool(answered), checked_at=checked)

    # asc/ lists its oldest items first: its first page shows 2025-01-01, its newest item is on a later page.
    # xj/ (letters) shows letters asked until 2026-11-10 first; an older letter, on its second page, was
    # answered on 2026-12-01; a reply dated after the check point's day is no date.
    records = [column("fresh/", 3), column("old/", 2, date(2025, 12, 1)), column("none/", 0),
               column("asc/", 15, date(2025, 1, 1)), column("xj/", 10, date(2026, 11, 10)),
               letter(1, date(2026, 11, 10), None), letter(2, date(2026, 8, 3), date(2026, 12, 1)),
               letter(3, date(2026, 9, 1), date(2027, 1, 2)),
               article("asc/", 1, date(2025, 1, 1)), article("asc/", 30, date(2026, 11, 20)),
               article("fresh/", 1, date(2026, 11, 30)), article("fresh/", 2, date(2026, 3, 1)),
               article("fresh/", 3, date(2027, 1, 1)),  # a date after the check point's day is no date
               article("old/", 1, date(2025, 12, 1)),
               # dated only by a home box of month-days (their years guessed): old/'s own list printed its
               # newest date in full, so the guess does not count there; fresh/'s list shows no dates
               article("old/", 2, date(2026, 11, 8), "listing_guessed"),
               article("fresh/", 4, date(2026, 12, 2), "listing_guessed")]
    for record in records:
        action = to_action(record, env.es_prefix)
        es_client.index(index=action["_index"], id=action["_id"], document=action["_source"], refresh=True)
    [state] = build_site_states(es_client, env.es_prefix, [site], CheckPoint.at(date(2026, 12, 6), checked))
    judged = {column.url.removeprefix(site.url): (column.latest_date, column.stale)
              for column in state.columns}
    assert judged == {"fresh/": (date(2026, 12, 2), False), "old/": (date(2025, 12, 1), True),
                      "none/": (None, True), "asc/": (date(2026, 11, 20), False),
                      "xj/": (date(2026, 12, 1), False)}


def test_a_column_spelled_in_gbk_and_in_utf8_is_one_column() -> None:
    gbk = "http://a.gov.cn/xwzx/%CF%E7%D5%F2%B6%AF%CC%AC.htm"  # 乡镇动态 as GBK bytes
    utf8 = "http://a.gov.cn/xwzx/%E4%B9%A1%E9%95%87%E5%8A%A8%E6%80%81.htm"  # the same name as UTF-8
    other = "http://a.gov.cn/b.htm"
    sources = [{"site_id": "1", "url": gbk}, {"site_id": "1", "url": utf8}, {"site_id": "1", "url": other},
               {"site_id": "2", "url": gbk}]
    assert [(source["site_id"], source["url"]) for source in _one_spelling(sources)] == [
        ("1", utf8), ("1", other), ("2", gbk)]
