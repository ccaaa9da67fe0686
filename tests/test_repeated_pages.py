"""Pages that repeat one another (monthly bulletins differing only in their numbers) are not followed into
their URL pattern, but the broken links they show are still reported, each on the page that shows it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from elasticsearch import helpers

from tests.conftest import CRAWL_SETTINGS, crawl_and_report, page_server, seed_one_county_site

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

_MONTHS = range(1, 7)
_MENU = ('<div class="nav"><a href="/">首页</a><a href="/col/bjtj/index.html">办件统计</a>'
         '<a href="/col/bsfw/index.html">办事服务</a></div>')  # 办事服务 is gone: 404
_FOOTER = '<div class="footer">主办单位：测试县人民政府办公室 网站标识码：5100000098</div>'


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f"<h2>测试县人民政府</h2>{_MENU}{body}{_FOOTER}</body></html>")


def _body(path: str) -> str | None:
    # The list shows the newest bulletin; each bulletin links the one before (上一篇): those are reached
    # as plain links, not as a list's entries, so the look-alikes are judged repeats.
    newest = _MONTHS[-1]
    entries = (f'<li><a href="/col/bjtj/2026/t{newest}.html">2026年{newest}月政务服务办件统计</a>'
               f"<span>2026-{newest + 1:02d}-01</span></li>")
    if path == "/":
        return _page("测试县人民政府", f'<div class="block"><h3>办件统计</h3><ul>{entries}</ul></div>')
    if path == "/col/bjtj/index.html":
        return _page("办件统计", f'<ul class="list">{entries}</ul>')
    for month in _MONTHS:
        if path == f"/col/bjtj/2026/t{month}.html":
            # The same bulletin every month: only the numbers change.
            title = f"2026年{month}月政务服务办件统计"
            return _page(title, f"<h1>{title}</h1><div>发布日期：2026-{month + 1:02d}-01</div>"
                                f"<p>本月共受理办件{100 + month}件，办结{90 + month}件，"
                                f"按时办结率{90 + month}%。</p>"
                                f"<p>其中即办件{10 + month}件，承诺件{80 + month}件。</p>"
                                + (f'<a href="/col/bjtj/2026/t{month - 1}.html">上一篇</a>'
                                   if month > 1 else ""))
    return None


@pytest.fixture
def site_url() -> Iterator[str]:
    with page_server("127.0.33.1", _body) as url:
        yield url


def test_a_dead_link_on_pages_that_repeat_each_other_is_reported_on_each(
        env: Env, site_url: str, es_client: Elasticsearch, tmp_path: Path) -> None:
    seed_one_county_site(env, tmp_path, site_url, "5100000098")
    report, _ = crawl_and_report(env, tmp_path, "report")
    es_client.indices.refresh(index=f"{env.es_prefix}-pages")
    pages = {hit["_source"]["url"]: hit["_source"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}
    # The newest bulletin, a list's entry, is an item of its own; the one before it, reached by its 上一篇
    # link, repeats it: stored, but the way on into the pattern is cut there (the older ones are not read).
    newest, before = (f"{site_url}col/bjtj/2026/t{month}.html" for month in (_MONTHS[-1], _MONTHS[-2]))
    assert not pages[newest]["repeated"] and pages[before]["repeated"]
    bulletins = {newest, before}
    assert {url for url in pages if "/col/bjtj/2026/" in url} == bulletins
    [found] = report["sites"]
    gone = f"{site_url}col/bsfw/index.html"
    dead = {link["found_on"] for link in found["dead_links"] if link["url"] == gone}
    assert dead == {site_url, f"{site_url}col/bjtj/index.html", *bulletins}


_DAYS = range(1, 29)
_TOPICS = ("冬季森林防火", "农村饮水安全", "义务教育招生", "城乡低保年审", "防汛抗旱", "安全生产大检查",
           "秋冬季疫情防控", "返乡创业扶持", "耕地保护督查", "食品安全抽检", "消防隐患排查", "河长制巡河")
_NOTICES = {n: f"关于做好{topic}工作的通知" for n, topic in enumerate(_TOPICS, start=1)}


def _daily_body(path: str) -> str | None:
    """A 大汉-style site whose articles all live under /art/: a daily air-quality report (the same page
    every day but its numbers) and a column of ordinary notices."""
    menu = '<a href="/col/col1/index.html">空气质量日报</a><a href="/col/col2/index.html">通知公告</a>'
    reports = "".join(f'<li><a href="/art/2026/11/{day}/art_1_{day}.html">{day}日空气质量日报</a>'
                      f"<span>2026-11-{day:02d}</span></li>" for day in _DAYS)

    def notices(numbers: range) -> str:
        return "".join(f'<li><a href="/art/2026/10/{n}/art_2_{n}.html">{_NOTICES[n]}</a>'
                       f"<span>2026-10-{n:02d}</span></li>" for n in numbers)

    if path == "/":
        return _page("测试县人民政府", f'<div class="nav">{menu}</div>')
    if path == "/col/col1/index.html":
        return _page("空气质量日报", f'<ul class="list">{reports}</ul>')
    if path == "/col/col2/index.html":  # the newest six; the older ones on its second page
        return _page("通知公告", f'<ul class="list">{notices(range(12, 6, -1))}</ul>'
                                f'<div class="page"><a href="/col/col2/index_2.html">下一页</a></div>')
    if path == "/col/col2/index_2.html":
        return _page("通知公告", f'<ul class="list">{notices(range(6, 0, -1))}</ul>'
                                f'<div class="page"><a href="/col/col2/index.html">上一页</a></div>')
    for day in _DAYS:
        if path == f"/art/2026/11/{day}/art_1_{day}.html":
            title = f"2026年11月{day}日空气质量日报"
            return _page(title, f"<h1>{title}</h1><div>发布日期：2026-11-{day:02d}</div>"
                                f"<p>全县空气质量指数（AQI）为{40 + day}，首要污染物为细颗粒物，"
                                f"空气质量等级为良。PM2.5浓度{20 + day}微克/立方米。</p>")
    for n, title in _NOTICES.items():
        if path == f"/art/2026/10/{n}/art_2_{n}.html":
            return _page(title, f"<h1>{title}</h1><div>发布日期：2026-10-{n:02d}</div>"
                                f"<p>各乡镇、县级各部门：为切实做好{title[4:-5]}工作，现将有关事项通知如下。"
                                f"请各单位高度重视，明确责任人，于{n}日前报送工作开展情况。</p>")
    return None


def test_articles_a_column_lists_are_crawled_however_alike_they_look(
        env: Env, es_client: Elasticsearch, tmp_path: Path) -> None:
    """Repeats close a URL pattern as a trap; but a column's list naming each report is the site saying
    they are distinct items, so a run of look-alike reports does not cut the site's other articles."""
    with page_server("127.0.33.2", _daily_body) as url:
        seed_one_county_site(env, tmp_path, url, "5100000099")
        crawl_and_report(env, tmp_path, "report")
    es_client.indices.refresh(index=f"{env.es_prefix}-pages")
    stored = {hit["_source"]["url"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}
    articles = {f"{url}art/2026/11/{day}/art_1_{day}.html" for day in _DAYS} | {
        f"{url}art/2026/10/{n}/art_2_{n}.html" for n in _NOTICES}
    assert articles - stored == set()


_ARTICLES = range(1, 61)


def _views_body(path: str) -> str | None:
    """A column of sixty notices; each notice links its own print and font-size views (the same page with a
    parameter added) and shows a picture that is gone."""
    menu = '<div class="nav"><a href="/">首页</a><a href="/col/tzgg/index.html">通知公告</a></div>'
    if path == "/":
        return _page("测试县人民政府", menu)
    if path == "/col/tzgg/index.html":
        return _page("通知公告", menu + '<ul class="list">' + "".join(
            f'<li><a href="/col/tzgg/2026/t{n}.html">第{n}号通知：{_TOPICS[n % len(_TOPICS)]}工作安排</a>'
            f"<span>2026-10-{1 + n % 28:02d}</span></li>" for n in _ARTICLES) + "</ul>")
    for n in _ARTICLES:
        if path == f"/col/tzgg/2026/t{n}.html":
            topic = _TOPICS[n % len(_TOPICS)]
            title = f"第{n}号通知：{topic}工作安排"
            return _page(title, f"{menu}<h1>{title}</h1><div>发布日期：2026-10-{1 + n % 28:02d}"
                                f' <a href="/col/tzgg/2026/t{n}.html?print=1">【打印】</a>'
                                f' <a href="/col/tzgg/2026/t{n}.html?fontsize=16">大</a></div>'
                                f"<p>各乡镇：第{n}号通知，请于{n}日前报送{topic}工作开展情况。</p>"
                                f'<p><img src="/uploads/t{n}.jpg" alt="现场图片"></p>')
    return None


def test_views_of_a_page_do_not_spend_the_link_checks_its_pictures_need(
        env: Env, es_client: Elasticsearch, tmp_path: Path) -> None:
    """Print and font-size views repeat their page, so their URL pattern closes as a trap. A view of the
    page that links it answers as that page did: it is not checked, or one check per article would use up
    the host's link-check budget before the pictures the articles show (each one gone, each one reported)."""
    with page_server("127.0.34.1", _views_body) as url:
        seed_one_county_site(env, tmp_path, url, "5100000097")
        crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=300, settings=(
            *CRAWL_SETTINGS, "-s", f"GOVCRAWL_CRAWL_MAX_CHECKS_PER_HOST={len(_ARTICLES) + 10}"))
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        report_path = tmp_path / "report.json"
        assert env.scrapy("report", "-o", str(report_path)).returncode == 0
    [site] = json.loads(report_path.read_text(encoding="utf-8"))["sites"]
    gone = {link["url"] for link in site["dead_links"]}
    assert {f"{url}uploads/t{n}.jpg" for n in _ARTICLES} <= gone
    assert "govcrawl/skipped/check_budget" not in crawl.stderr
