"""A case's whole life on the farm: found, notified, fixed by the site, re-checked, closed; a false alarm
stays closed; a repeat reopens. Also `scrapy recheck` and `scrapy notify` on bad input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import openpyxl
import pytest

from crawler.cases import CaseStore, case_id
from tests.conftest import crawl_and_report, run_farm

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from crawler.scheduler.frontier import Frontier
    from tests.conftest import Env, RunningFarm

OWNER = ("王敏", "028-87654321", "成都市政务服务管理局")


@pytest.fixture(scope="module")
def small_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with run_farm(tmp_path_factory.mktemp("recheck-farm"), sites=3, seed=5, base_ip="127.0.7.1",
                  extra=("--slow-seconds", "3", "--slow-home-seconds", "0")) as farm:
        yield farm


def _site_with_home_404s(farm: RunningFarm) -> dict[str, Any]:
    """A reachable farm site with a broken homepage link to a 404 page of its own, and another one."""
    for site in farm.truth["sites"]:
        home = [link for link in site["dead_links"] if link["on_homepage"]]
        own = [link for link in home if "/notfound/" in link["url"]
               and urlsplit(link["url"]).netloc == urlsplit(site["url"]).netloc]
        if not site["down"] and own and len(home) >= 2:
            return site
    pytest.fail("the farm has no site with broken homepage links, one to its own /notfound/ page")


def _registry(path: Path, site: dict[str, Any]) -> Path:
    path.write_text("site_id,name,url,level,region,department,owner,contact,supervisor\n"
                    f"{site['site_id']},{site['name']},{site['url']},{site['level']},{site['region']},"
                    f"{site['department']},{','.join(OWNER)}\n", encoding="utf-8")
    return path


def _crawl_and_report(env: Env, work: Path, name: str) -> dict[str, Any]:
    report, printed = crawl_and_report(env, work, name)
    assert "case ledger updated" in printed
    [site] = report["sites"]
    return dict(site)


def _case(site: dict[str, Any], identifier: str) -> dict[str, Any] | None:
    return next((case for case in site["cases"] if case["case_id"] == identifier), None)


def _overturn(env: Env, worklist: Path, identifier: str, *, reviewer: str) -> None:
    """Draw the quarter's worklist, overturn the row of one case, import it."""
    drawn = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "1", "--seed", "1", "-o", str(worklist),
                       timeout=120)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    book = openpyxl.load_workbook(worklist)
    [row] = [row for row in book["抽查"].iter_rows(min_row=2) if row[17].value == identifier]
    row[13].value, row[14].value = "推翻", reviewer
    book.save(worklist)
    imported = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert imported.returncode == 0, imported.stderr[-2000:]


def test_a_case_from_found_to_fixed_and_back(env: Env, small_farm: RunningFarm, es_client: Elasticsearch,
                                             tmp_path: Path) -> None:
    truth = _site_with_home_404s(small_farm)
    link = next(link for link in truth["dead_links"] if link["on_homepage"] and "/notfound/" in link["url"])
    fixed_id = case_id(truth["site_id"], "D-LINK-HOME", f"{link['url']} {link['found_on']}")
    assert env.scrapy("seed", str(_registry(tmp_path / "registry.csv", truth))).returncode == 0

    # Found: the first crawl's report opens a case per broken homepage link.
    first = _crawl_and_report(env, tmp_path, "first")
    opened = _case(first, fixed_id)
    assert opened is not None and opened["status"] == "open", first["cases"]
    assert first["owner"] == OWNER[0]
    score_before = first["score"]
    alarm_id = next(case["case_id"] for case in first["cases"]
                    if case["check"] == "D-LINK-HOME" and case["case_id"] != fixed_id)

    # Notified: the owner's notice lists it, and the ledger says so.
    notices = tmp_path / "notices"
    notified = env.scrapy("notify", "-o", str(notices), timeout=120)
    assert notified.returncode == 0, notified.stderr[-2000:]
    [sheet_path] = notices.glob("*.xlsx")
    assert OWNER[0] in sheet_path.name and (notices / f"{sheet_path.stem}.html").is_file()
    rows = list(openpyxl.load_workbook(sheet_path)["整改通知"].iter_rows(min_row=3, values_only=True))
    assert fixed_id in {row[-1] for row in rows}
    assert all(row[7] == "待整改" for row in rows)
    store = CaseStore(es_client, env.es_prefix)
    assert store.by_ids([fixed_id])[fixed_id].status == "notified"

    # The quarter's spot check: a reviewer overturns another link's finding (a false alarm).
    _overturn(env, tmp_path / "worklist.xlsx", alarm_id, reviewer="李审核")
    assert store.by_ids([alarm_id])[alarm_id].decided_by == "李审核"

    # The site fixes the link. Without a re-check the next crawl has nothing due and nothing changes.
    path = urlsplit(link["url"]).path
    ip = urlsplit(truth["url"]).hostname
    assert small_farm.call("POST", f"fix/{ip}{path}")["ok"]
    idle = _crawl_and_report(env, tmp_path, "idle")
    still = _case(idle, fixed_id)
    assert still is not None and still["status"] == "notified"

    # Re-check: the whole cycle is due now; the crawl no longer finds the link and the case is fixed.
    recheck = env.scrapy("recheck", truth["site_id"], timeout=120)
    assert recheck.returncode == 0, recheck.stderr[-2000:]
    assert "Re-check of 1 sites is due now" in recheck.stderr
    after = _crawl_and_report(env, tmp_path, "after")
    fixed = _case(after, fixed_id)
    assert fixed is not None and fixed["status"] == "fixed" and fixed["fixed_at"], after["cases"]
    assert all(finding["key"] != fixed["subject"] for finding in after["findings"])
    # The false alarm is still found but stays closed, and no longer costs points.
    alarm_after = _case(after, alarm_id)
    assert alarm_after is not None and alarm_after["status"] == "false_alarm"
    assert all(finding["key"] != alarm_after["subject"] for finding in after["findings"])
    assert after["score"] >= score_before

    # The link breaks again: the same case reopens, flagged as a repeat.
    assert small_farm.call("POST", f"unfix/{ip}{path}")["ok"]
    assert env.scrapy("recheck", "--region", truth["region"], timeout=120).returncode == 0
    again = _crawl_and_report(env, tmp_path, "again")
    reopened = _case(again, fixed_id)
    assert reopened is not None and (reopened["status"], reopened["repeat"]) == ("reopened", True)
    history = store.by_ids([fixed_id])[fixed_id].history
    assert [entry["to"] for entry in history] == ["open", "notified", "fixed", "reopened"]
    assert [entry["by"] for entry in history] == ["系统", "scrapy notify", "系统", "系统"]


def test_recheck_refuses_unknown_sites_and_regions_naming_them(env: Env, small_farm: RunningFarm,
                                                               tmp_path: Path) -> None:
    truth = _site_with_home_404s(small_farm)
    assert env.scrapy("seed", str(_registry(tmp_path / "registry.csv", truth))).returncode == 0
    unknown = env.scrapy("recheck", truth["site_id"], "5199999999", timeout=120)
    assert unknown.returncode == 1
    assert "1 site id(s) are not registered: 5199999999" in unknown.stderr
    assert "Re-check of" not in unknown.stderr and "Traceback" not in unknown.stderr
    region = env.scrapy("recheck", "--region", "成都", timeout=120)
    assert region.returncode == 1
    assert f"--region '成都' is not a city of the registry; known: {truth['region']}" in region.stderr
    both = env.scrapy("recheck", truth["site_id"], "--region", truth["region"], timeout=120)
    assert both.returncode == 2 and "not both" in both.stderr


def test_notify_with_a_file_for_a_directory_is_one_error(env: Env, tmp_path: Path) -> None:
    target = tmp_path / "notices"
    target.write_text("x", encoding="utf-8")
    result = env.scrapy("notify", "-o", str(target), timeout=120)
    assert result.returncode == 2
    assert "is a file: give a directory" in result.stderr and "Traceback" not in result.stderr


def test_recheck_makes_known_urls_and_the_cycle_due_now(redis_url: str, redis_prefix: str) -> None:
    from crawler.registry import Site  # noqa: PLC0415
    from crawler.scheduler import codec  # noqa: PLC0415
    from crawler.scheduler.frontier import CYCLE, QUEUED, Offer  # noqa: PLC0415
    from tests.test_frontier import NOW, run  # noqa: PLC0415

    site = Site(site_id="s1", name="某县", url="http://a.gov.cn/", level="county", region="成都市",
                department="")
    page, check = "http://a.gov.cn/1.html", "http://b.gov.cn/x.pdf"

    def link(url: str, host: str, site_id: str) -> Offer:
        return Offer(url=url, host=host, site_id=site_id, request={"url": url, "callback": "parse"},
                    interval_seconds=86400.0)

    async def body(frontier: Frontier) -> None:
        await frontier.schedule_sites([site], now=NOW)
        first = [link(page, "a.gov.cn", "s1"), link(check + "#govcrawl-check", "b.gov.cn", "@check")]
        assert await frontier.admit(first, now=NOW) == [QUEUED, QUEUED]
        shard = frontier.shard("a.gov.cn")
        await frontier.try_acquire(shard, "w1")
        await frontier.pop(shard, "w1", 10)
        await frontier.settle(url=page, host="a.gov.cn", status=codec.OK, kind_interval_seconds=86400.0,
                              now=NOW + 1)
        await frontier.store_validators(page, "a.gov.cn", '"etag-1"', None)
        await frontier.reschedule(shard, [(CYCLE, "s1", 1)], now=NOW + 2)
        # Within the cycle both are known: nothing is fetched again, the cycle is not due.
        assert await frontier.admit([link(page, "a.gov.cn", "s1")], now=NOW + 60) == [codec.OK]
        assert await frontier.take_due(shard, now=NOW + 60, cycles_only=True) == []

        assert await frontier.recheck_sites([site], [page, check, "http://a.gov.cn/never.html"],
                                            now=NOW + 60) == (1, 2)
        due = await frontier.take_due(shard, now=NOW + 61, cycles_only=True)
        assert [kind for kind, _, _ in due] == [CYCLE]
        again = [link(page, "a.gov.cn", "s1"), link(check + "#govcrawl-check", "b.gov.cn", "@check")]
        assert await frontier.admit(again, now=NOW + 61) == [QUEUED, QUEUED]
        assert await frontier.validators(page, "a.gov.cn") == (None, None)

    run(redis_url, redis_prefix, body)
