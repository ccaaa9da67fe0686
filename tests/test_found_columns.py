"""A column is a page whose content is a list of entries, however the site links it: an old county site
whose menu is a bare <table> (no nav/menu markup, no "更多" blocks) still has its columns judged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import crawl_and_report, page_server

if TYPE_CHECKING:
    from pathlib import Path

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
        return _page("测试县人民政府", "<table><tr><td>欢迎访问测试县人民政府网站。</td></tr></table>")
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
        registry = tmp_path / "registry.csv"
        registry.write_text("site_id,name,url,level,region,department\n"
                            f"5100000096,测试县人民政府,{url},county,成都市,\n", encoding="utf-8")
        assert env.scrapy("seed", str(registry)).returncode == 0, "seed failed"
        report, _ = crawl_and_report(env, tmp_path, "report")
    [site] = report["sites"]
    columns = {column["url"].removeprefix(url): column for column in site["columns"]}
    assert sorted(columns) == sorted(f"{slug}/index.htm" for slug, _, _ in _COLUMNS)
    assert {path: (column["latest_date"], column["entries"]) for path, column in columns.items()} == {
        f"{slug}/index.htm": (f"2026-{month:02d}-10", 10) for slug, _, month in _COLUMNS}
    # A policy column last updated in January is stale at any later date of the year (six months).
    assert columns["zcwj/index.htm"]["stale"] is True
