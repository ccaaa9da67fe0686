"""`scrapy report --quarter`: per city the spot check and its share, results, rectification, ranking,
change from the last quarter; a report issued after its quarter is reproduced as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest

from crawler.items import LinkItem
from crawler.reports import QuarterlyReportItem
from crawler.reports.quarterly import _store, previous_quarter, quarter_bounds
from tests.test_reports import END, known_sites, load

if TYPE_CHECKING:
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env


@pytest.mark.parametrize(("quarter", "start", "end", "previous"), [
    ("2026Q1", "2026-01-01", "2026-03-31", "2025Q4"), ("2026Q2", "2026-04-01", "2026-06-30", "2026Q1"),
    ("2026Q4", "2026-10-01", "2026-12-31", "2026Q3"),
])
def test_quarter_bounds(quarter: str, start: str, end: str, previous: str) -> None:
    first, last = quarter_bounds(quarter)
    assert (first.isoformat(), last.isoformat(), previous_quarter(quarter)) == (start, end, previous)


@pytest.fixture
def prepared(env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path) -> Env:
    """The four hand-made sites of test_reports, a report of today (the ledger) and a 2026Q4 sample."""
    load(es_client, es_prefix, known_sites())
    today = env.scrapy("report", "-o", str(tmp_path / "today.json"), timeout=120)
    assert today.returncode == 0, today.stderr[-2000:]
    sample = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "0.5", "--seed", "1", timeout=120)
    assert sample.returncode == 0, sample.stderr[-2000:]
    return env


def _quarterly(env: Env, path: Path, *extra: str) -> dict[str, Any]:
    result = env.scrapy("report", "--quarter", "2026Q4", "-o", str(path), *extra, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.suffix == ".json" else {}


def test_quarterly_report_per_city(prepared: Env, tmp_path: Path) -> None:
    report = _quarterly(prepared, tmp_path / "q.json")
    assert report["schema"] == "govcrawl.quarterly/1" and report["quarter"] == "2026Q4"
    cities = {row["region"]: row for row in report["cities"]}
    assert set(cities) == {"成都市", "自贡市"}
    for row in cities.values():
        assert (row["sites"], row["checked"], row["required"], row["met"]) == (2, 1, 1, True)
    sites = {site["site_id"]: site for site in report["sites"]}
    assert sum(site["checked"] for site in sites.values()) == 2
    assert sites["5103000010"]["verdict"] == "NO_DATA" and sites["5103000010"]["cases"] == []
    # Site 4's three empty columns are three cases of D-EMPTY, to be fixed.
    empty = [case for case in sites["5103000001"]["cases"] if case["check"] == "D-EMPTY"]
    assert len(empty) == 3 and {case["status_name"] for case in empty} == {"待整改"}
    assert sites["5103000001"]["open_cases"] >= 3
    categories = {row["check"]: row["cases"] for row in report["categories"]}
    assert categories["D-EMPTY"] == 3
    assert [row["rank"] for row in report["ranking"]["市级"]] == [1, 2]
    assert report["change"] == [] and report["previous_quarter"] is None


def test_quarterly_report_of_one_region_in_xlsx_and_html(prepared: Env, tmp_path: Path) -> None:
    _quarterly(prepared, tmp_path / "q.xlsx", "--region", "自贡市")
    book = openpyxl.load_workbook(tmp_path / "q.xlsx")
    assert book.sheetnames == ["城市汇总", "站点结果", "整改情况", "逾期与屡次出现", "排名", "问题类别",
                               "较上季度"]
    cities = list(book["城市汇总"].iter_rows(min_row=2, values_only=True))
    assert [row[:5] for row in cities] == [("自贡市", 2, 1, 1, "是")]
    statuses = {row[6] for row in book["整改情况"].iter_rows(min_row=2, values_only=True)}
    assert statuses == {"待整改"}
    _quarterly(prepared, tmp_path / "q.html", "--region", "自贡市")
    html = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert "政府网站季度监测报告 2026Q4（自贡市）" in html and "整改情况" in html and "成都市" not in html


def test_change_from_the_stored_last_quarter(prepared: Env, es_client: Elasticsearch, tmp_path: Path) -> None:
    earlier = {"sites": [{"site_id": "5103000001", "score": 90.0, "verdict_name": "合格"}]}
    _store(es_client, prepared.es_prefix, QuarterlyReportItem(
        quarter="2026Q3", region="", generated_at=datetime(2026, 10, 2, tzinfo=UTC), final=True,
        body=json.dumps(earlier)))
    report = _quarterly(prepared, tmp_path / "q.json")
    assert report["previous_quarter"] == "2026Q3"
    [row] = report["change"]
    assert row["site_id"] == "5103000001" and row["previous_score"] == 90.0
    assert row["change"] == pytest.approx(row["score"] - 90.0)


def test_an_issued_quarter_is_reproduced_whatever_the_data_later(prepared: Env, es_client: Elasticsearch,
                                                                 tmp_path: Path) -> None:
    first = _quarterly(prepared, tmp_path / "first.json")
    # While the quarter runs, the report follows the data: a new broken homepage link shows.
    load(es_client, prepared.es_prefix, [LinkItem(
        site_id="5103000001", url="http://www.zg.gov.cn/new-gone.html", found_on="http://www.zg.gov.cn/",
        on_homepage=True, target_kind="page", checked_at=END, ok=False, status=404, error="http",
        confirmed=True)])
    assert prepared.scrapy("report", "-o", str(tmp_path / "today.json"), timeout=120).returncode == 0
    provisional = _quarterly(prepared, tmp_path / "provisional.json")
    assert provisional["sites"] != first["sites"]
    # Once issued after the quarter's end (final), the stored report is written again as it was.
    index = f"{prepared.es_prefix}-quarterly"
    [hit] = es_client.search(index=index, query={"term": {"quarter": "2026Q4"}})["hits"]["hits"]
    es_client.update(index=index, id=hit["_id"], doc={"final": True}, refresh="wait_for")
    load(es_client, prepared.es_prefix, [LinkItem(
        site_id="5103000001", url="http://www.zg.gov.cn/later.html", found_on="http://www.zg.gov.cn/",
        on_homepage=True, target_kind="page", checked_at=END, ok=False, status=404, error="http",
        confirmed=True)])
    result = prepared.scrapy("report", "--quarter", "2026Q4", "-o", str(tmp_path / "again.json"), timeout=120)
    assert "was issued on" in result.stderr
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8")) == provisional


@pytest.mark.parametrize(("arguments", "message"), [
    (("--quarter", "2026Q3"), "no crawl data for 2026Q3 (up to 2026-09-30)"),
    (("--quarter", "2026Q5"), "quarter '2026Q5' is not like 2026Q4"),
    (("--quarter", "2099Q1"),
     "quarter 2099Q1 begins on 2099-01-01: it cannot be reported before it has begun"),
    (("--quarter", "2026Q4", "--region", "成都"),
     "--region '成都' is not a city of the registry; known: 成都市、自贡市"),
    (("--as-of", "2026-09-30"), "no crawl data on or before 2026-09-30"),
    (("--region", "Chengdu"), "--region 'Chengdu' is not a city of the registry"),
])
def test_a_report_without_data_or_with_a_typo_says_so_in_one_line(
        env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path, *, arguments: tuple[str, ...],
        message: str) -> None:
    load(es_client, es_prefix, known_sites())
    path = tmp_path / "r.json"
    result = env.scrapy("report", "-o", str(path), *arguments, timeout=120)
    assert result.returncode in (1, 2), result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr and not path.exists()


def test_a_draft_with_no_store_leaves_the_stored_reports_alone(prepared: Env, es_client: Elasticsearch,
                                                                tmp_path: Path) -> None:
    draft = _quarterly(prepared, tmp_path / "draft.json", "--no-store")
    assert draft["quarter"] == "2026Q4"
    index = f"{prepared.es_prefix}-quarterly"
    es_client.indices.refresh(index=index)
    assert es_client.count(index=index)["count"] == 0
    _quarterly(prepared, tmp_path / "stored.json")
    es_client.indices.refresh(index=index)
    assert es_client.count(index=index)["count"] == 1
