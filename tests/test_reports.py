"""`scrapy report` against the real Elasticsearch: JSON rows, XLSX sheets, HTML summary, stored findings."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from elasticsearch.helpers import bulk

from crawler.es_schema import install_templates
from crawler.items import ColumnItem, LinkItem, MessageItem, PageItem, ProbeItem, SiteItem
from crawler.naming import index_name
from crawler.reports import site_record
from crawler.scoring import DeadLink, SiteResult, SiteState
from pipelines.indexing import to_action

if TYPE_CHECKING:
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

AS_OF = date(2026, 11, 27)
END = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 24:00 Asia/Shanghai, the end of AS_OF


def _probes(site_id: str, url: str, count: int, failed: int) -> list[ProbeItem]:
    step = timedelta(days=7) / count
    return [ProbeItem(site_id=site_id, url=url, started_at=END - step * number - timedelta(seconds=1),
                      ok=number >= failed, elapsed_ms=120, http_status=200 if number >= failed else 503)
            for number in range(count)]


def _column(site_id: str, url: str, name: str, kind: Any, latest: date | None, *, empty: bool = False,
            level: int = 1) -> ColumnItem:
    return ColumnItem(site_id=site_id, url=url, name=name, type=kind, level=level, checked_at=END,
                      latest_date=latest, entries=0 if empty else 20, empty=empty)


def _home(site_id: str, url: str, newest: date | None) -> PageItem:
    return PageItem(site_id=site_id, url=url, status=200, fetched_at=END - timedelta(hours=3),
                    page_kind="home", pub_date=newest)


def _link(site_id: str, url: str, found_on: str, *, home: bool, status: int | None = 404,
          error: Any = "http", confirmed: bool = True, ok: bool = False) -> LinkItem:
    return LinkItem(site_id=site_id, url=url, found_on=found_on, on_homepage=home, target_kind="page",
                    checked_at=END - timedelta(hours=2), ok=ok, status=status, error=None if ok else error,
                    confirmed=confirmed)


def known_sites() -> list[object]:
    """Four sites whose report rows are worked out by hand in the tests below."""
    cd1, cd2 = "http://www.chengdu.gov.cn/", "http://www.jinniu.gov.cn/"
    zg1, zg2 = "http://fgw.zg.gov.cn/", "http://www.zg.gov.cn/"
    items: list[object] = [
        SiteItem(site_id="5101000001", name="成都市人民政府", url=cd1, level="city", region="成都市"),
        SiteItem(site_id="5101060001", name="金牛区人民政府", url=cd2, level="county", region="成都市"),
        SiteItem(site_id="5103000010", name="自贡市发展和改革委员会", url=zg1, level="department",
                 region="自贡市"),
        SiteItem(site_id="5103000001", name="自贡市人民政府", url=zg2, level="city", region="自贡市"),
        # 1: healthy; one broken homepage link (seen twice from the same page), one elsewhere, one fixed link.
        *_probes("5101000001", cd1, 168, 0),
        _home("5101000001", cd1, AS_OF - timedelta(days=2)),
        _column("5101000001", cd1 + "xwdt/", "新闻动态", "news", AS_OF - timedelta(days=1)),
        _column("5101000001", cd1 + "tzgg/", "通知公告", "notice", AS_OF - timedelta(days=30)),
        _column("5101000001", cd1 + "xx/", "领导信箱", "consult", AS_OF - timedelta(days=3)),
        _column("5101000001", cd1 + "bs/", "办事服务", "service", AS_OF - timedelta(days=3)),
        _link("5101000001", cd1 + "gone.html", cd1, home=True),
        _link("5101000001", cd1 + "gone.html", cd1, home=True),
        _link("5101000001", "http://old.example.cn/x.pdf", cd1 + "tzgg/1.html", home=False, status=None,
              error="dns"),
        _link("5101000001", cd1 + "fine.html", cd1, home=True, ok=True, status=200),
        MessageItem(site_id="5101000001", column_url=cd1 + "xx/", url=cd1 + "xx/1.html", title="咨询",
                    asked_at=date(2026, 11, 1), answered_at=date(2026, 11, 3), answered=True, checked_at=END),
        # 2: homepage 20 days old, 10 of 140 probes failed (the newest too), two stale news columns.
        *_probes("5101060001", cd2, 140, 10),
        _home("5101060001", cd2, AS_OF - timedelta(days=20)),
        _column("5101060001", cd2 + "a/", "工作动态", "news", AS_OF - timedelta(days=20)),
        _column("5101060001", cd2 + "b/", "部门动态", "news", AS_OF - timedelta(days=40)),
        _column("5101060001", cd2 + "c/", "政务咨询", "consult", AS_OF - timedelta(days=3)),
        _column("5101060001", cd2 + "d/", "办事指南", "service", AS_OF - timedelta(days=3)),
        # 3: registered, never crawled nor probed.
        # 4: three empty columns, fresh otherwise, a department-free city site.
        *_probes("5103000001", zg2, 24, 0),
        _home("5103000001", zg2, AS_OF - timedelta(days=1)),
        _column("5103000001", zg2 + "n/", "要闻", "news", AS_OF - timedelta(days=1)),
        _column("5103000001", zg2 + "x/", "市长信箱", "consult", AS_OF - timedelta(days=1)),
        _column("5103000001", zg2 + "s/", "政务服务", "service", AS_OF - timedelta(days=1)),
        *(_column("5103000001", zg2 + f"e{number}/", f"空栏目{number}", "other", None, empty=True)
          for number in range(3)),
    ]
    return items


def load(es_client: Elasticsearch, prefix: str, items: list[object]) -> None:
    install_templates(es_client, prefix)
    bulk(es_client, (to_action(item, prefix) for item in items), refresh=True)


def run_report(env: Env, path: Path, *extra: str) -> Any:
    result = env.scrapy("report", "-o", str(path), "--as-of", AS_OF.isoformat(), *extra, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture
def loaded(es_client: Elasticsearch, es_prefix: str) -> str:
    load(es_client, es_prefix, known_sites())
    return es_prefix


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {site["site_id"]: site for site in report["sites"]}


def test_json_report_rows(env: Env, loaded: str, tmp_path: Path, es_client: Elasticsearch) -> None:
    path = tmp_path / "report.json"
    run_report(env, path)
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["schema"] == "govcrawl.report/1"
    assert report["as_of"] == "2026-11-27"
    assert report["generated_at"].endswith("Z")
    assert [site["site_id"] for site in report["sites"]] == ["5101000001", "5101060001", "5103000001",
                                                            "5103000010"]
    sites = by_id(report)

    healthy = sites["5101000001"]
    assert (healthy["reachable"], healthy["availability"], healthy["homepage_latest_date"]) == (True, 1.0,
                                                                                                 "2026-11-25")
    assert healthy["dead_links"] == [
        {"url": "http://old.example.cn/x.pdf", "found_on": "http://www.chengdu.gov.cn/tzgg/1.html",
         "on_homepage": False, "status": None, "error": "dns", "error_kind": "dns", "confirmed": True},
        {"url": "http://www.chengdu.gov.cn/gone.html", "found_on": "http://www.chengdu.gov.cn/",
         "on_homepage": True, "status": 404, "error": "http", "error_kind": "http", "confirmed": True},
    ]
    notice = next(column for column in healthy["columns"] if column["name"] == "通知公告")
    assert notice == {"name": "通知公告", "url": "http://www.chengdu.gov.cn/tzgg/", "type": "notice",
                      "latest_date": "2026-10-28", "entries": 20, "stale": False, "empty": False}
    assert sorted((finding["check"], finding["points"]) for finding in healthy["findings"]) == [
        ("D-LINK-HOME", 1.0), ("D-LINK-OTHER", 0.1)]
    assert (healthy["score"], healthy["verdict"]) == (98.9, "PASS")

    failing = sites["5101060001"]
    assert failing["reachable"] is False
    assert (failing["reason"], healthy["reason"]) == ("首页返回 HTTP 503", None)
    assert failing["availability"] == pytest.approx(130 / 140, abs=1e-4)
    assert sorted((finding["check"], finding["severity"]) for finding in failing["findings"]) == [
        ("D-NEWS", "deduction"), ("D-NEWS", "deduction"), ("V-AVAIL", "veto"), ("V-HOME", "veto")]
    home_veto = next(finding for finding in failing["findings"] if finding["check"] == "V-HOME")
    assert home_veto["detail"] == "首页 20 天未更新（达到 14 天即单项否决）"
    assert home_veto["stale_data"] is True
    assert (failing["score"], failing["verdict"]) == (90.0, "FAIL")
    assert [warning["check"] for warning in failing["warnings"]] == ["I-ZOMBIE"]

    empty = sites["5103000001"]
    assert [column["empty"] for column in empty["columns"]].count(True) == 3
    assert [warning["detail"] for warning in empty["warnings"]] == [
        "预警：空白栏目 3 个（达到 5 个即单项否决）"]
    assert (empty["score"], empty["verdict"], empty["availability"]) == (85.0, "PASS", 1.0)

    never = sites["5103000010"]
    assert (never["reachable"], never["availability"], never["homepage_latest_date"]) == (False, None, None)
    assert (never["score"], never["verdict"], never["findings"]) == (None, "NO_DATA", [])

    findings = index_name(loaded, "findings")
    stored = es_client.count(index=findings, query={"term": {"as_of": "2026-11-27"}})["count"]
    assert stored == 2 + 4 + 1 + 3 + 1  # healthy, failing (+ I-ZOMBIE), empty (+ warning)
    run_report(env, path)
    assert es_client.count(index=findings, query={"term": {"as_of": "2026-11-27"}})["count"] == stored
    fixed = _link("5101000001", "http://www.chengdu.gov.cn/gone.html", "http://www.chengdu.gov.cn/",
                  home=True, ok=True, status=200)
    bulk(es_client, [to_action(fixed, loaded)], refresh=True)
    run_report(env, path)
    assert es_client.count(index=findings, query={"term": {"check": "D-LINK-HOME"}})["count"] == 0
    assert es_client.count(index=findings, query={"term": {"as_of": "2026-11-27"}})["count"] == stored - 1


def test_region_filter(env: Env, loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "zg.json"
    run_report(env, path, "--region", "自贡市", "--no-store")
    assert [site["site_id"] for site in json.loads(path.read_text(encoding="utf-8"))["sites"]] == [
        "5103000001", "5103000010"]


def test_xlsx_report_sheets(env: Env, loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    run_report(env, path, "--no-store")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["站点", "错链", "栏目", "问题", "整改台账"]
    sites = book["站点"]
    header = [cell.value for cell in sites[1]]
    assert header[:6] == ["站点标识码", "网站名称", "地市", "级别", "网址", "可访问"]
    assert sites.freeze_panes == "A2"
    assert sites.auto_filter.ref == "A1:V5"
    assert header[16] == "无法访问原因"
    rows = {row[0]: row for row in sites.iter_rows(min_row=2, values_only=True)}
    assert rows["5101060001"][12:15] == ("V-AVAIL, V-HOME", 90, "不合格")
    assert rows["5101060001"][16] == "首页返回 HTTP 503"
    assert rows["5101000001"][11] == 2
    assert sites.column_dimensions["B"].width > 20
    links = list(book["错链"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[3] for row in links) == ["http://old.example.cn/x.pdf", "http://www.chengdu.gov.cn/gone.html"]
    assert book["栏目"].max_row == 1 + 4 + 4 + 6
    problems = [row for row in book["问题"].iter_rows(min_row=2, values_only=True)]
    assert ("5101060001", "V-HOME 首页信息不更新", "单项否决") in {
        (row[0], row[3], row[4]) for row in problems}


def test_html_report_has_city_table(env: Env, loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    run_report(env, path, "--no-store")
    html = path.read_text(encoding="utf-8")
    assert "<svg" in html and "http://cdn" not in html and "<script" not in html
    table = html[html.index('<table id="cities">'):html.index("</table>")]
    cells = [row.split("</td>") for row in table.split("<tr>") if "成都市" in row or "自贡市" in row]
    assert [[cell.rsplit(">", 1)[-1] for cell in row[:8]] for row in cells] == [
        ["成都市", "2", "94.5", "1", "0", "1", "1", "2"],
        ["自贡市", "2", "85.0", "0", "0", "0", "1", "0"],
    ]
    attention = html[html.index('<table id="attention">'):]
    assert "<th>无法访问原因</th>" in attention and "<td class=\"text\">首页返回 HTTP 503</td>" in attention


def test_unknown_extension_is_refused(env: Env, tmp_path: Path) -> None:
    result = env.scrapy("report", "-o", str(tmp_path / "report.csv"), timeout=60)
    assert result.returncode != 0
    assert "'.csv' is not one of .json, .xlsx, .html" in result.stderr
    assert not (tmp_path / "report.csv").exists()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_check_day_out_of_range_is_one_error_line_and_writes_nothing(env: Env, tmp_path: Path, day: str
                                                                       ) -> None:
    result = env.scrapy("report", "-o", str(tmp_path / "report.json"), "--as-of", day, timeout=60)
    assert result.returncode != 0
    assert f"--as-of {day} is outside 2000-01-01.." in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_uppercase_index_prefix_is_refused_naming_the_rule(env: Env, tmp_path: Path) -> None:
    result = env.scrapy("report", "-o", str(tmp_path / "report.json"),
                        settings=("-s", "GOVCRAWL_ES_INDEX_PREFIX=GovCrawl"), timeout=60)
    assert result.returncode == 1
    assert "GOVCRAWL_ES_INDEX_PREFIX 'GovCrawl' is refused: Elasticsearch index names are lower case" in (
        result.stderr)
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kind", "contract"), [("blocked", "other"), ("too_large", "other"), ("dns", "dns"),
                                                ("redirect_loop", "redirect_loop")])
def test_dead_link_errors_keep_the_contracts_list_and_name_the_precise_kind(kind: str, contract: str) -> None:
    link = DeadLink(url="http://10.1.2.3/oa", found_on="http://www.chengdu.gov.cn/", on_homepage=True,
                    status=None, error=kind, confirmed=False)
    state = SiteState(site_id="5101000001", name="成都市人民政府", url="http://www.chengdu.gov.cn/",
                      region="成都市", level="city", dead_links=(link,))
    result = SiteResult(findings=(), score=None, verdict="NO_DATA", deductions_by_group={})
    record = site_record(state, result)
    assert (record["dead_links"][0]["error"], record["dead_links"][0]["error_kind"]) == (contract, kind)
    assert record["reason"] is None
