"""One crawl cycle of the farm, end to end: seed, crawl, report; compared with the farm's ground truth."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import helpers
from w3lib.url import canonicalize_url

from scripts import accuracy
from tests.conftest import CRAWL_SETTINGS, Env, service_prefixes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import redis
    from elasticsearch import Elasticsearch

    from tests.conftest import RunningFarm


def indexed(es: Elasticsearch, index: str) -> list[dict[str, Any]]:
    """Every document, as searchable now: no refresh here, the crawl refreshed what it wrote as it ended."""
    return [hit["_source"] for hit in helpers.scan(es, index=index, query={"query": {"match_all": {}}})]


@pytest.fixture(scope="module")
def crawled(crawl_farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory, redis_url: str, es_url: str
            ) -> Iterator[dict[str, Any]]:
    """Seed, crawl one cycle, report: shared by the tests of this module (it takes ~20 s)."""
    work = tmp_path_factory.mktemp("crawl")
    with service_prefixes(redis_url, es_url) as (redis_prefix, es_prefix):
        yield _crawl_once(Env(redis_url, es_url, redis_prefix, es_prefix, work / "spool"), crawl_farm, work)


def _crawl_once(env: Env, crawl_farm: RunningFarm, work: Path) -> dict[str, Any]:
    seeded = env.scrapy("seed", str(crawl_farm.registry))
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=300)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    report_path = work / "report.json"
    report = env.scrapy("report", "-o", str(report_path))
    assert report.returncode == 0, report.stderr[-3000:]
    return {"env": env, "log": crawl.stderr, "report": json.loads(report_path.read_text(encoding="utf-8"))}


def test_every_reachable_page_is_indexed_exactly_once(crawled: dict[str, Any], crawl_farm: RunningFarm,
                                                      es_client: Elasticsearch) -> None:
    env: Env = crawled["env"]
    pages = indexed(es_client, f"{env.es_prefix}-pages")
    urls = Counter(canonicalize_url(page["url"]) for page in pages)
    assert max(urls.values()) == 1, urls.most_common(3)
    expected = {canonicalize_url(url) for url in crawl_farm.crawlable_pages()}
    missing = expected - set(urls)
    assert not missing, sorted(missing)[:10]
    # Beyond the truth's pages only dead links (soft 404s answer 200) and the first steps into traps appear.
    dead = {canonicalize_url(link["url"])
            for site in crawl_farm.truth["sites"] for link in site["dead_links"]}
    traps = ("/calendar/", "/trap/", "/search")
    unexplained = [page["url"] for page in pages
                   if canonicalize_url(page["url"]) not in expected | dead and page["status"] == 200
                   and not any(trap in page["url"] for trap in traps)]
    assert not unexplained, unexplained[:10]
    assert "Every registered site's cycle is done" in crawled["log"]


def test_the_crawl_log_shows_no_deprecation_warning(crawled: dict[str, Any]) -> None:
    """Operators read this log: a library's deprecation notice is not theirs to act on."""
    assert "DeprecationWarning" not in crawled["log"]


def test_dead_links_match_the_truth(crawled: dict[str, Any], crawl_farm: RunningFarm) -> None:
    score = accuracy.dead_links(crawled["report"], crawl_farm.truth)
    assert score.precision >= 0.99 and score.recall >= 0.99, str(score)


def test_stale_and_empty_columns_match_the_truth(crawled: dict[str, Any], crawl_farm: RunningFarm) -> None:
    stale = accuracy.columns(crawled["report"], crawl_farm.truth, "stale")
    empty = accuracy.columns(crawled["report"], crawl_farm.truth, "empty")
    assert stale.f1 >= 0.98, str(stale)
    assert empty.f1 >= 0.98, str(empty)


# (what is compared, the farm's truth scorer, fewest true cases for the comparison to mean something)
EXACT_FINDINGS = [
    ("footer marks (D-ID, D-ERRLINK)", accuracy.identity, 3),
    ("pages with personal data (I-PRIVACY)", accuracy.personal_data, 2),
    ("broken service forms (D-ATTACH)", accuracy.service_forms, 2),
    ("stale service statistics (D-SVC-STATS)", accuracy.service_statistics, 1),
    ("service vetoes (V-SERVICE)", accuracy.service_vetoes, 1),
]


@pytest.mark.parametrize(("what", "scorer", "fewest"), EXACT_FINDINGS, ids=[row[0] for row in EXACT_FINDINGS])
def test_findings_match_the_truth_exactly(crawled: dict[str, Any], crawl_farm: RunningFarm, what: str,
                                          scorer: Callable[[dict[str, Any], dict[str, Any]], accuracy.Score],
                                          fewest: int) -> None:
    score = scorer(crawled["report"], crawl_farm.truth)
    assert score.true >= fewest, f"the farm has too few {what} to test: {score}"
    assert score.precision == 1.0 and score.recall == 1.0, f"{what}: {score}"


def test_login_walled_forms_are_soft_404s_of_the_download(crawled: dict[str, Any]) -> None:
    login_walled = [finding for site in crawled["report"]["sites"] for finding in site["findings"]
                    if finding["check"] == "D-ATTACH" and "/download/" in finding["evidence"][0]]
    assert login_walled and all("soft404 200" in finding["detail"] for finding in login_walled)


def test_publish_dates_match_the_truth_and_none_is_invented(crawled: dict[str, Any], crawl_farm: RunningFarm,
                                                            es_client: Elasticsearch) -> None:
    env: Env = crawled["env"]
    by_url = {canonicalize_url(page["url"]): page for page in indexed(es_client, f"{env.es_prefix}-pages")}
    dated = right = invented = undated = 0
    for url, truth in crawl_farm.crawlable_pages().items():
        if truth["kind"] != "article":
            continue
        page = by_url[canonicalize_url(url)]
        if truth["pub_date"] is None:
            undated += 1
            invented += page["pub_date"] is not None
        else:
            dated += 1
            right += page["pub_date"] == truth["pub_date"]
    assert dated > 100 and undated > 5
    assert right / dated >= 0.98, f"{right} of {dated} article dates right"
    assert invented == 0, f"{invented} of {undated} undated articles got a date"


def test_report_rows_show_what_the_farm_did(crawled: dict[str, Any], crawl_farm: RunningFarm) -> None:
    report = crawled["report"]
    assert report["schema"] == "govcrawl.report/1"
    rows = {site["site_id"]: site for site in report["sites"]}
    assert set(rows) == {site["site_id"] for site in crawl_farm.truth["sites"]}
    for site in crawl_farm.truth["sites"]:
        row = rows[site["site_id"]]
        assert row["reachable"] is (not site["down"]), site["site_id"]
        if not site["down"]:
            expected = site["homepage_latest_date"]
            assert row["homepage_latest_date"] == expected, site["site_id"]
    down = [site for site in crawl_farm.truth["sites"] if site["down"]]
    assert down and all(rows[site["site_id"]]["availability"] == 0.0 for site in down)


def test_a_second_once_run_finds_nothing_due(crawled: dict[str, Any]) -> None:
    """The cycle is done: nothing is fetched twice within it."""
    env: Env = crawled["env"]
    again = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "'downloader/request_count'" not in again.stderr
    assert "Every registered site's cycle is done" in again.stderr


def test_today_is_the_farms_today(crawl_farm: RunningFarm, crawled: dict[str, Any]) -> None:
    # Staleness is judged on the same day on both sides, or the comparisons above mean nothing.
    assert crawled["report"]["as_of"] == crawl_farm.truth["as_of"] == str(date.fromisoformat(
        crawl_farm.truth["as_of"]))


def test_crawl_refuses_private_addresses_unless_allowed(env: Env, crawl_farm: RunningFarm, tmp_path: Path
                                                        ) -> None:
    registry = tmp_path / "one.csv"
    site = crawl_farm.truth["sites"][0]
    registry.write_text("site_id,name,url,level,region,department\n"
                        f"{site['site_id']},{site['name']},{site['url']},{site['level']},{site['region']},\n",
                        encoding="utf-8")
    assert env.scrapy("seed", str(registry)).returncode == 0
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=("-s", "LOG_LEVEL=INFO"), timeout=120)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert "'govcrawl/guard/blocked_count': 1" in crawl.stderr
    assert "'downloader/request_count'" not in crawl.stderr


def test_column_pages_are_refetched_conditionally(crawled: dict[str, Any], crawl_farm: RunningFarm,
                                                  redis_client: redis.Redis) -> None:
    """Runs last: forgets what was seen, so the next cycle refetches columns and the attachments it read
    with their validators (the farm answers 304 to both: every 200 of it carries an ETag)."""
    env: Env = crawled["env"]
    assert list(redis_client.scan_iter(match=f"{env.redis_prefix}:validators:*"))
    for key in redis_client.scan_iter(match=f"{env.redis_prefix}:seen:*"):
        redis_client.delete(key)
    before = crawl_farm.call("GET", "stats")["not_modified"]
    assert env.scrapy("seed", str(crawl_farm.registry)).returncode == 0
    again = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    answered = crawl_farm.call("GET", "stats")["not_modified"] - before
    first, stats = ({name: int(count) for name, count in re.findall(
        r"'govcrawl/(crawl/not_modified_count|content/attachment_unchanged|content/attachment_read)': (\d+)",
        log)} for log in (crawled["log"], again.stderr))
    assert stats["crawl/not_modified_count"] > 20, stats
    # The attachments read by the first cycle (those still linked from pages parsed again: a column that
    # answers 304 is not parsed) answered 304: none was read again.
    assert 0 < stats["content/attachment_unchanged"] <= first["content/attachment_read"], (first, stats)
    assert "content/attachment_read" not in stats
    assert stats["crawl/not_modified_count"] + stats["content/attachment_unchanged"] == answered
