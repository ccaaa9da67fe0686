"""The backdating guard (docs/checks.md §2): the rule itself, and crawls of a small real site between which
items appear, some with forged dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import helpers

from crawler.backdating import BackdatingRule
from crawler.clock import SHANGHAI
from tests.conftest import crawl_and_report, page_server, run_farm

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env, RunningFarm

DAY = 86400.0
# 2026-12-01 12:00 in Shanghai (04:00 UTC).
NOON = datetime(2026, 12, 1, 12, tzinfo=SHANGHAI).timestamp()


@pytest.mark.parametrize(("published", "first_seen", "list_read", "backdated"), [
    # Dated 20 days before it appeared, on a list read 10 days before it appeared: forged.
    (date(2026, 11, 11), NOON, NOON - 10 * DAY, True),
    # Dated 8 days before it appeared, the list read in between: forged (more than 7 days).
    (date(2026, 11, 23), NOON, NOON - 3 * DAY, True),
    # Exactly 7 days before: within the allowance.
    (date(2026, 11, 24), NOON, NOON - 3 * DAY, False),
    # The list was read the day after the date only: the grace day (a static site regenerating late).
    (date(2026, 11, 11), NOON, datetime(2026, 11, 12, 9, tzinfo=SHANGHAI).timestamp(), False),
    # ... two days after: it should have been there.
    (date(2026, 11, 11), NOON, datetime(2026, 11, 13, 9, tzinfo=SHANGHAI).timestamp(), True),
    # The list was last read before the date: nothing says it was missing.
    (date(2026, 11, 11), NOON, NOON - 25 * DAY, False),
    # Unknown first sighting, unknown list read, no date: no verdict.
    (date(2026, 11, 11), None, NOON - 10 * DAY, False),
    (date(2026, 11, 11), NOON, None, False),
    (None, NOON, NOON - 10 * DAY, False),
    # Read within the hour it was first offered (first sightings are kept to the hour): still counts.
    (date(2026, 11, 11), NOON, NOON + 1800, True),
    # Read after it was first offered: it was seen before that read.
    (date(2026, 11, 11), NOON, NOON + 2 * 3600, False),
])
def test_the_rule(published: date | None, first_seen: float | None, list_read: float | None,
                  backdated: bool) -> None:
    assert BackdatingRule().backdated(published, first_seen, list_read) is backdated


def test_an_item_older_than_everything_the_list_showed_is_not_judged() -> None:
    """It would have been on a later page (or the list is a selection: 热点, 推荐), so its absence from the
    earlier read proves nothing."""
    rule, published, list_read = BackdatingRule(), date(2026, 11, 1), NOON - 10 * DAY
    assert rule.backdated(published, NOON, list_read, list_oldest=date(2026, 10, 20))
    assert not rule.backdated(published, NOON, list_read, list_oldest=date(2026, 11, 1))  # same day: maybe
    assert not rule.backdated(published, NOON, list_read, list_oldest=date(2026, 11, 2))


def test_an_item_that_moved_down_a_paginated_list_is_not_judged() -> None:
    """Page 2 of a list showed items dated 10-20 October: an item dated 25 October appearing there came
    from page 1 as new items pushed it down; one dated 15 October was inserted (forged)."""
    rule, list_read = BackdatingRule(), NOON - 10 * DAY
    bounds = {"list_oldest": date(2026, 10, 10), "list_newest": date(2026, 10, 20)}
    assert not rule.backdated(date(2026, 10, 25), NOON, list_read, **bounds)
    assert not rule.backdated(date(2026, 10, 20), NOON, list_read, **bounds)
    assert rule.backdated(date(2026, 10, 15), NOON, list_read, **bounds)


def test_the_rule_follows_its_settings() -> None:
    published, first_seen, list_read = date(2026, 11, 21), NOON, NOON - 5 * DAY
    assert BackdatingRule(days=7).backdated(published, first_seen, list_read)
    assert not BackdatingRule(days=14).backdated(published, first_seen, list_read)
    assert not BackdatingRule(grace_days=7).backdated(published, first_seen, list_read)


# --- two crawls of a small site -----------------------------------------------------------------------

_CHROME = ('<div class="top">测试县人民政府 门户网站</div><div class="nav"><ul><li><a href="/">首页</a></li>'
           '<li><a href="/tzgg/">通知公告</a></li><li><a href="/zwdt/">政务动态</a></li>'
           '<li><a href="/gsgg/">公示公告</a></li></ul></div>')
_FOOTER = ('<div class="footer"><p>主办单位：测试县人民政府办公室 网站标识码：5100000099</p>'
           '<p>蜀ICP备12345678号 川公网安备 51000002000001号</p></div>')


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'{_CHROME}{body}{_FOOTER}</body></html>')


class _Site:
    """The site's pages; the test publishes items between crawls."""

    def __init__(self, today: date) -> None:
        self.today = today
        # column slug -> [(article number, title, printed date, whether the list prints the date)]
        self.columns: dict[str, list[tuple[int, str, date, bool]]] = {
            "tzgg": [(n, f"关于做好第{n}批民生项目申报工作的通知", today - timedelta(days=2 + 3 * n), True)
                     for n in range(1, 7)],
            "zwdt": [(n, f"县政府召开第{n}次常务会议研究部署重点工作", today - timedelta(days=1 + 4 * n),
                      True) for n in range(1, 7)],
            # A list that prints no dates: only the item's own page shows one.
            "gsgg": [(n, f"第{n}批公示名单", today - timedelta(days=3 + 2 * n), False) for n in range(1, 5)],
        }
        self.names = {"tzgg": "通知公告", "zwdt": "政务动态", "gsgg": "公示公告"}
        # Items shown only in the home page's 热点 block (never on a list read before): old and popular.
        self.popular: list[tuple[str, int, str, date]] = []

    def publish(self, slug: str, number: int, title: str, printed: date) -> None:
        self.columns[slug].insert(0, (number, title, printed, self.columns[slug][0][3]))

    def _entries(self, slug: str) -> str:
        rows = "".join(
            f'<li><a href="/{slug}/{number}.html">{title}</a>'
            + (f'<span class="date">{printed.isoformat()}</span>' if dated else "") + "</li>"
            for number, title, printed, dated in self.columns[slug])
        return f'<ul class="list">{rows}</ul>'

    def body(self, path: str) -> str | None:
        if path in ("/", "/index.html"):
            blocks = "".join(
                f'<div class="block"><h3>{self.names[slug]}</h3>{self._entries(slug)}'
                f'<a href="/{slug}/">更多</a></div>' for slug in ("tzgg", "zwdt"))
            if self.popular:
                rows = "".join(f'<li><a href="/{slug}/{number}.html">{title}</a>'
                               f'<span>{printed.isoformat()}</span></li>'
                               for slug, number, title, printed in self.popular)
                blocks += f'<div class="block"><h3>热点排行</h3><ul>{rows}</ul></div>'
            return _page("测试县人民政府", f'<div class="main">{blocks}</div>')
        for slug, name in self.names.items():
            if path == f"/{slug}/":
                crumb = f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; {name}</div>'
                return _page(f"{name}_测试县人民政府",
                             f'{crumb}<div class="main">{self._entries(slug)}</div>')
            shown = [(number, title, printed) for number, title, printed, _ in self.columns[slug]]
            shown += [(number, title, printed)
                      for where, number, title, printed in self.popular if where == slug]
            for number, title, printed in shown:
                if path == f"/{slug}/{number}.html":
                    crumb = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; '
                             f'<a href="/{slug}/">{name}</a></div>')
                    text = "".join(f"<p>{title}。为进一步做好相关工作，现将有关事项通知如下：第{k}条，"
                                   "各单位要高度重视，认真组织实施，确保各项任务落到实处。</p>"
                                   for k in range(1, 6))
                    return _page(f"{title}_测试县人民政府",
                                 f'{crumb}<div class="article"><h1>{title}</h1><div class="info">发布日期：'
                                 f'{printed.isoformat()} 来源：县政府办公室</div>'
                                 f'<div class="content">{text}</div></div>')
        return None


@pytest.fixture
def site() -> Iterator[tuple[_Site, str]]:
    pages = _Site(datetime.now(SHANGHAI).date())
    with page_server("127.0.31.1", pages.body) as url:
        yield pages, url


def _crawl_and_report(env: Env, work: Path, name: str) -> dict[str, Any]:
    [found] = crawl_and_report(env, work, name)[0]["sites"]
    return dict(found)


def _pages(es: Elasticsearch, env: Env) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=f"{env.es_prefix}-pages")
    return {hit["_source"]["url"].split("/", 3)[3]: hit["_source"] for hit in helpers.scan(
        es, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}


def _columns(es: Elasticsearch, env: Env) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=f"{env.es_prefix}-columns")
    return {hit["_source"]["url"].split("/", 3)[3]: hit["_source"] for hit in helpers.scan(
        es, index=f"{env.es_prefix}-columns", query={"query": {"match_all": {}}})}


def _backdating_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [finding for finding in report["findings"] if finding["key"] == "backdated"]


def test_items_with_forged_dates_are_found_on_the_next_crawl_and_stay_found(
        env: Env, site: tuple[_Site, str], es_client: Elasticsearch, tmp_path: Path) -> None:
    pages, url = site
    today = pages.today
    registry = tmp_path / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        f"5100000099,测试县人民政府,{url},county,成都市,\n", encoding="utf-8")
    assert env.scrapy("seed", str(registry)).returncode == 0, "seed failed"

    # First crawl: everything is new to the crawler, old dates included; nothing is backdated.
    first = _crawl_and_report(env, tmp_path, "first")
    assert not _backdating_findings(first)
    stored = _pages(es_client, env)
    articles = {path: page for path, page in stored.items() if page["page_kind"] == "article"}
    assert len(articles) == 16, sorted(stored)
    assert all(page.get("first_seen_at") and not page.get("backdated") for page in articles.values())
    zwdt_before = _columns(es_client, env)["zwdt/"]["latest_date"]

    # Between the crawls: a notice dated today (honest), one dated 30 days back on the notices list and the
    # home page (forged), one dated 5 days back (within the allowance), a news item dated 20 days back
    # (forged: the news column's freshness must count it on the day it appeared, not on its date), and a
    # 公示 dated 40 days back whose list prints no date (only its own page shows the forged date).
    pages.publish("tzgg", 100, "关于开展冬季安全生产大检查的通知", today)
    pages.publish("tzgg", 101, "关于印发年度重点工作任务分工方案的通知", today - timedelta(days=30))
    pages.publish("tzgg", 102, "关于调整部分公交线路的通告", today - timedelta(days=5))
    pages.publish("zwdt", 103, "县领导调研乡村振兴重点项目建设", today - timedelta(days=20))
    pages.publish("gsgg", 104, "拟表彰先进集体和个人名单公示", today - timedelta(days=40))
    # Not backdated: an old item surfacing in a 热点 block, older than anything the home page listed.
    pages.popular.append(("zwdt", 105, "我县入选全国乡村治理示范县", today - timedelta(days=60)))
    recheck = env.scrapy("recheck", "5100000099", timeout=120)
    assert recheck.returncode == 0, recheck.stderr[-2000:]
    second = _crawl_and_report(env, tmp_path, "second")

    stored = _pages(es_client, env)
    backdated = {path for path, page in stored.items() if page.get("backdated")}
    assert backdated == {"tzgg/101.html", "zwdt/103.html", "gsgg/104.html"}, [
        (path, stored[path]["content_issues"]) for path in sorted(backdated)]
    assert stored["zwdt/105.html"]["page_kind"] == "article"  # the 热点 item was read, and not flagged
    forged = stored["tzgg/101.html"]
    assert forged["pub_date"] == (today - timedelta(days=30)).isoformat()
    first_seen = datetime.fromisoformat(forged["first_seen_at"]).astimezone(SHANGHAI).date()
    assert today - timedelta(days=1) <= first_seen <= today
    [issue] = forged["content_issues"]
    assert (issue["kind"], issue["severity"], issue["found"]) == ("backdated", "serious",
                                                                  (today - timedelta(days=30)).isoformat())
    # Articles of the first crawl keep their first sighting; none of them is backdated.
    assert stored["tzgg/1.html"]["first_seen_at"] == articles["tzgg/1.html"]["first_seen_at"]

    # Freshness: the news column counts the forged item on the day it appeared.
    columns = _columns(es_client, env)
    assert zwdt_before == (today - timedelta(days=5)).isoformat()
    assert columns["zwdt/"]["latest_date"] == datetime.fromisoformat(
        stored["zwdt/103.html"]["first_seen_at"]).astimezone(SHANGHAI).date().isoformat()
    assert columns["zwdt/"]["stale"] is False

    # One V-SEVERE candidate for the site, naming the forged pages, to be confirmed by a person.
    [finding] = _backdating_findings(second)
    assert (finding["check"], finding["confidence"]) == ("V-SEVERE", "suspected")
    assert "发布日期倒填" in finding["detail"] and "3 个页面" in finding["detail"]
    assert {f"{url}{path}" for path in backdated} <= set(finding["evidence"])

    # The verdict is kept: a third crawl (the list now shows the items it showed) still finds them.
    assert env.scrapy("recheck", "5100000099", timeout=120).returncode == 0
    third = _crawl_and_report(env, tmp_path, "third")
    assert {path for path, page in _pages(es_client, env).items() if page.get("backdated")} == backdated
    assert len(_backdating_findings(third)) == 1


# --- the farm: items published between two crawls ------------------------------------------------------


@pytest.fixture(scope="module")
def publish_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with run_farm(tmp_path_factory.mktemp("publish-farm"), sites=4, seed=5, base_ip="127.0.32.1",
                  extra=("--slow-seconds", "1")) as farm:
        yield farm


def test_on_the_farm_only_the_backdated_items_are_found(env: Env, publish_farm: RunningFarm,
                                                        es_client: Elasticsearch, tmp_path: Path) -> None:
    """Every farm page is dated, most of them long before the first crawl: none of them is backdated on
    either crawl; of the items two sites publish between the crawls, exactly the backdated ones are."""
    assert env.scrapy("seed", str(publish_farm.registry)).returncode == 0
    first = {site["site_id"]: site for site in _farm_crawl(env, tmp_path, "first")}
    assert not any(_backdating_findings(site) for site in first.values())
    up = [site for site in publish_farm.truth["sites"] if not site["down"] and site["role"] is None]
    published: list[dict[str, Any]] = []
    for site in up:
        answer = publish_farm.call("POST", f"publish/{site['url'].split('//')[1].split(':')[0]}")
        assert answer["ok"], answer
        published += answer["published"]
    recheck = env.scrapy("recheck", *(site["site_id"] for site in publish_farm.truth["sites"]), timeout=120)
    assert recheck.returncode == 0, recheck.stderr[-2000:]
    second = {site["site_id"]: site for site in _farm_crawl(env, tmp_path, "second")}

    es_client.indices.refresh(index=f"{env.es_prefix}-pages")
    pages = {hit["_source"]["url"]: hit["_source"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}
    assert all(item["url"] in pages for item in published), "a published item was not crawled"
    flagged = {url for url, page in pages.items() if page.get("backdated")}
    assert flagged == {item["url"] for item in published if item["backdated"]}
    assert sum(1 for page in pages.values() if page["page_kind"] == "article") > 150  # the clean pages
    with_findings = {site_id for site_id, site in second.items() if _backdating_findings(site)}
    assert with_findings == {site["site_id"] for site in up}


def _farm_crawl(env: Env, work: Path, name: str) -> list[dict[str, Any]]:
    return list(crawl_and_report(env, work, name)[0]["sites"])
