"""Dark links and defacement (crawler/extract/darklinks.py): hidden injected links, home-page fingerprints."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import lxml.html
import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import defaults, es_schema
from crawler.extract.darklinks import dark_links, home_change, sketch, sketch_similarity
from crawler.extract.wording import DEFAULT_DICTIONARY_DIR, Dictionaries, dictionaries_at
from crawler.items import PageItem
from pipelines.home_change import HomeChangePipeline
from pipelines.indexing import to_action
from tests.conftest import crawl_and_report, run_farm

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env, RunningFarm

SITE = "www.cdjj.gov.cn"
BASE = f"http://{SITE}/index.html"


@pytest.fixture(scope="module")
def shipped() -> Dictionaries:
    return dictionaries_at(str(DEFAULT_DICTIONARY_DIR))


def _dark(body: str, dictionaries: Dictionaries) -> list[tuple[str, str]]:
    tree = lxml.html.document_fromstring(f"<html><body><p>正文</p>{body}</body></html>")
    return [(link.url, link.method) for link in dark_links(tree, BASE, SITE, dictionaries)]


def _three(style: str, tag: str = "div") -> str:
    links = "".join(f'<a href="http://spam{n}.example.com/">链接{n}</a>' for n in range(3))
    return f'<{tag} style="{style}">{links}</{tag}>'


@pytest.mark.parametrize(("body", "method", "count"), [
    # injected: a gambling term or a blocklisted domain makes any hiding count, one link is enough
    ('<div style="display:none"><a href="http://x.example.com/">澳门新葡京</a></div>', "display:none", 1),
    ('<a href="http://www.casino-farm.test/" style="visibility: hidden">体育</a>', "visibility:hidden", 1),
    ('<div hidden><a href="http://x.example.com/">百家乐官网</a></div>', "hidden", 1),
    ('<div style="height:0;overflow:hidden"><a href="http://x.example.com/">成人视频</a></div>',
     "zero-size", 1),
    # hidden only by methods injections use: three links to other hosts count
    (_three("position:absolute; left:-9999px"), "off-screen", 3),
    (_three("text-indent:-2000px"), "off-screen", 3),
    (_three("color:#fff;background-color:#FFFFFF"), "same-colour", 3),
    (_three("", tag="marquee height=1 width=1"), "tiny-marquee", 3),
    ("<style>.yqlj{position:absolute;top:-600px}</style>" + _three("").replace("<div ", '<div class="yqlj" '),
     "off-screen", 3),
    ("<style>@media screen{#dl{display:none}}</style>"
     '<div id="dl"><a href="http://x.example.com/">真人视讯</a></div>', "display:none", 1),
])
def test_injected_hidden_links_are_found(shipped: Dictionaries, body: str, method: str, count: int) -> None:
    found = _dark(body, shipped)
    assert len(found) == count and {found_method for _, found_method in found} == {method}


@pytest.mark.parametrize("body", [
    # a drop-down menu of links to other sites: hidden, but only the way menus hide
    _three("display:none"),
    _three("height:0;overflow:hidden"),
    # a screen-reader link or two is no injection
    '<a href="http://www.qq.com/accessibility.htm" style="position:absolute;left:-9999px">无障碍说明</a>',
    # the site's own domain and government sites are never dark links
    _three("position:absolute;left:-9999px").replace("spam", "news.cdjj.gov.cn/").replace(".example.com", ""),
    '<div style="position:absolute;left:-999px">' + "".join(
        f'<a href="http://www.sc{n}.gov.cn/">四川{n}</a>' for n in range(5)) + "</div>",
    # a gambling word in a visible link is an anchor matter, not a dark link
    '<a href="http://x.example.com/">澳门新葡京</a>',
    # relative links stay on the site
    '<div style="display:none"><a href="/bocai.html">百家乐</a></div>',
])
def test_what_menus_and_sites_hide_on_purpose_is_no_dark_link(shipped: Dictionaries, body: str) -> None:
    assert _dark(body, shipped) == []


def test_a_dark_link_says_how_it_was_hidden_and_why_it_counts(shipped: Dictionaries) -> None:
    tree = lxml.html.document_fromstring(
        '<div style="display:none"><a href="http://x.example.com/b">澳门新葡京娱乐城</a></div>')
    [link] = dark_links(tree, BASE, SITE, shipped)
    assert link.evidence() == ('隐藏方式 display:none；隐藏链接含“澳门新葡京”：'
                               '<a href="http://x.example.com/b">澳门新葡京娱乐城</a>')


def test_sketches_estimate_how_alike_two_visits_are() -> None:
    menus = [f"http://{SITE}/col{n}/" for n in range(60)]
    monday = sketch(menus + [f"http://{SITE}/art/{n}.html" for n in range(20)])
    tuesday = sketch(menus + [f"http://{SITE}/art/{n}.html" for n in range(5, 25)])
    defaced = sketch([f"http://bad.example.com/{n}" for n in range(30)])
    assert sketch_similarity(monday, monday) == 1.0
    assert sketch_similarity(monday, defaced) == 0.0
    assert 0.7 < (sketch_similarity(monday, tuesday) or 0) < 1.0
    assert sketch_similarity(monday, []) is None
    assert len(monday) == 64 and monday == sorted(monday)
    assert home_change((monday, monday), (tuesday, tuesday), 0.2) is None
    assert home_change((monday, monday), (defaced, defaced), 0.2) == (
        "与上次访问相比，链接相似度 0.00，内容相似度 0.00（低于 0.20）")
    # links alike, text replaced (or the reverse) is a redesign or a news day, not a defacement
    assert home_change((monday, monday), (monday, defaced), 0.2) is None


def _home(url: str, links: list[int], text: list[int]) -> PageItem:
    return PageItem(site_id="s", url=url, status=200, fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
                    page_kind="home", home_links_sketch=links, home_text_sketch=text)


def _pipeline(env: Env, **overrides: Any) -> HomeChangePipeline:
    settings = {name: getattr(defaults, name) for name in dir(defaults) if name.startswith("GOVCRAWL_")}
    settings.update(GOVCRAWL_ES_URL=env.es_url, GOVCRAWL_ES_INDEX_PREFIX=env.es_prefix)
    settings.update(overrides)
    return HomeChangePipeline.from_crawler(get_crawler(settings_dict=settings))


def test_a_home_page_is_compared_with_the_previous_visit_stored(env: Env, es_client: Elasticsearch) -> None:
    es_schema.install_templates(es_client, env.es_prefix)
    usual = sketch(f"http://{SITE}/col{n}/" for n in range(80))
    defaced = sketch(f"http://bad.example.com/{n}" for n in range(40))
    for url in ("http://a.gov.cn/", "http://b.gov.cn/"):
        action = to_action(_home(url, usual, usual), env.es_prefix)
        es_client.index(index=action["_index"], id=action["_id"], document=action["_source"], refresh=True)

    async def visit() -> list[PageItem]:
        pipeline = _pipeline(env)
        try:
            return [await pipeline.process_item(item) for item in (  # type: ignore[misc]
                _home("http://a.gov.cn/", defaced, defaced), _home("http://b.gov.cn/", usual, usual),
                _home("http://c.gov.cn/", defaced, defaced))]
        finally:
            await pipeline.close_spider()

    changed, same, first_visit = asyncio.run(visit())
    [issue] = changed.content_issues
    assert (issue["kind"], issue["severity"], issue["where"]) == ("defacement", "serious", "home")
    assert issue["evidence"].startswith("与上次访问相比，链接相似度 0.00")
    assert same.content_issues == [] and first_visit.content_issues == []
    assert dataclasses.replace(changed, content_issues=[]) == _home("http://a.gov.cn/", defaced, defaced)


def test_without_elasticsearch_the_home_page_passes_unjudged(env: Env,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    async def visit() -> PageItem:
        pipeline = _pipeline(env, GOVCRAWL_ES_URL="http://127.0.0.1:9", GOVCRAWL_ES_MAX_RETRIES=0,
                             GOVCRAWL_ES_REQUEST_TIMEOUT_SECONDS=2.0)
        try:
            return await pipeline.process_item(_home("http://a.gov.cn/", [1], [1]))  # type: ignore[return-value]
        finally:
            await pipeline.close_spider()

    with caplog.at_level(logging.WARNING, logger="crawler.extract.darklinks"):
        item = asyncio.run(visit())
    assert item.content_issues == []
    assert "Previous home page http://a.gov.cn/ not read" in caplog.text


def test_the_home_page_comparison_is_off_with_the_content_checks(env: Env) -> None:
    with pytest.raises(NotConfigured, match="GOVCRAWL_CONTENT_ENABLED is off"):
        _pipeline(env, GOVCRAWL_CONTENT_ENABLED=False)


# --- a defaced home page on the farm, end to end ---------------------------------------------------------


@pytest.fixture(scope="module")
def deface_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with run_farm(tmp_path_factory.mktemp("deface-farm"), sites=3, seed=5, base_ip="127.0.19.1",
                  extra=("--slow-seconds", "1")) as farm:
        yield farm


def _crawl(env: Env, work: Path, name: str) -> dict[str, Any]:
    return {site["site_id"]: site for site in crawl_and_report(env, work, name)[0]["sites"]}


def _defacements(site: dict[str, Any]) -> list[str]:
    return [finding["key"] for finding in site["findings"]
            if finding["check"] == "V-SEVERE" and finding["key"].startswith("defacement ")]


def test_a_home_page_defaced_between_two_visits_is_a_severe_candidate(
        env: Env, deface_farm: RunningFarm, tmp_path: Path) -> None:
    assert env.scrapy("seed", str(deface_farm.registry)).returncode == 0
    first = _crawl(env, tmp_path, "first")
    assert not any(_defacements(site) for site in first.values())
    target = next(site for site in deface_farm.truth["sites"] if not site["down"] and site["role"] is None)
    ip = target["url"].split("//")[1].split(":")[0]
    assert deface_farm.call("POST", f"deface/{ip}")["ok"]
    try:
        every_site = [site["site_id"] for site in deface_farm.truth["sites"]]
        recheck = env.scrapy("recheck", *every_site, timeout=120)
        assert recheck.returncode == 0, recheck.stderr[-2000:]
        second = _crawl(env, tmp_path, "second")
    finally:
        deface_farm.call("POST", f"restore/{ip}")
    assert {site_id: _defacements(site) for site_id, site in second.items() if _defacements(site)} == {
        target["site_id"]: [f"defacement {target['url']}"]}
    [finding] = [finding for finding in second[target["site_id"]]["findings"]
                 if finding["key"] == f"defacement {target['url']}"]
    assert finding["confidence"] == "suspected"
    assert finding["evidence"][0].startswith("与上次访问相比，链接相似度 0.0")  # three links of ~100 kept
    assert second[target["site_id"]]["verdict"] != "PASS"
