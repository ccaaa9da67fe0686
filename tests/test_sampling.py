"""The quarterly sample: pure stratification (crawler/sampling.py) and `scrapy sample` on Elasticsearch."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from elasticsearch.helpers import bulk

from crawler.es_schema import install_templates
from crawler.items import SiteItem
from crawler.naming import index_name
from crawler.sampling import allocate, draw_sample, parse_quarter, region_quota
from crawler.site_state import RegisteredSite
from pipelines.indexing import to_action

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

# region -> {level: site count}
POPULATION = {"成都市": {"city": 1, "county": 22, "department": 40}, "自贡市": {"city": 1, "county": 6},
              "攀枝花市": {"department": 3}}


def sites() -> list[RegisteredSite]:
    made = []
    for region_number, (region, levels) in enumerate(POPULATION.items()):
        for level, count in levels.items():
            for number in range(count):
                site_id = f"51{region_number:02d}{level[:2]}{number:04d}"
                made.append(RegisteredSite(site_id=site_id, name=f"{region}{level}{number}", region=region,
                                           level=level, url=f"http://{site_id}.gov.cn/"))
    return made


@pytest.mark.parametrize(("count", "fraction", "quota"), [
    (63, 0.2, 13), (7, 0.2, 2), (3, 0.2, 1), (5, 0.2, 1), (10, 0.2, 2), (1, 0.01, 1), (4, 1.0, 4),
    (0, 0.2, 0),
])
def test_region_quota_is_at_least_the_fraction(count: int, fraction: float, quota: int) -> None:
    assert region_quota(count, fraction) == quota


@pytest.mark.parametrize(("levels", "total", "shares"), [
    ({"city": 1, "county": 22, "department": 40}, 13, {"city": 0, "county": 5, "department": 8}),
    ({"city": 1, "county": 6}, 2, {"city": 0, "county": 2}),
    ({"city": 1, "county": 1}, 1, {"city": 1, "county": 0}),
    ({"a": 2, "b": 2, "c": 2}, 6, {"a": 2, "b": 2, "c": 2}),
])
def test_allocate_by_level(levels: dict[str, int], total: int, shares: dict[str, int]) -> None:
    assert allocate(levels, total) == shares


def test_sample_is_stratified_and_deterministic() -> None:
    population = sites()
    sample = draw_sample(population, quarter="2026Q4", fraction=0.2, seed=7)
    per_region = Counter(site.region for site in sample)
    for region, levels in POPULATION.items():
        assert per_region[region] == math.ceil(0.2 * sum(levels.values()))
    assert sample == draw_sample(list(reversed(population)), quarter="2026Q4", fraction=0.2, seed=7)
    assert sample != draw_sample(population, quarter="2026Q4", fraction=0.2, seed=8)
    assert sample != draw_sample(population, quarter="2027Q1", fraction=0.2, seed=7)


@pytest.mark.parametrize("text", ["2026Q5", "2026q4", "26Q4", "2026-Q4", ""])
def test_bad_quarter_is_named(text: str) -> None:
    with pytest.raises(ValueError, match="is not like 2026Q4"):
        parse_quarter(text)


def test_fraction_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match=r"fraction 1\.5 must be above 0"):
        draw_sample(sites(), quarter="2026Q4", fraction=1.5, seed=1)


def _load(es_client: Elasticsearch, prefix: str) -> None:
    install_templates(es_client, prefix)
    bulk(es_client, (to_action(SiteItem(site_id=site.site_id, name=site.name, url=site.url, level=site.level,
                                        region=site.region), prefix) for site in sites()), refresh=True)


def _reviews(es_client: Elasticsearch, prefix: str) -> dict[str, str]:
    hits = es_client.search(index=index_name(prefix, "reviews"), size=1000,
                            query={"term": {"quarter": "2026Q4"}})
    return {hit["_source"]["site_id"]: hit["_source"]["region"] for hit in hits["hits"]["hits"]}


def test_sample_command_records_reviews_once(env: Env, es_client: Elasticsearch, es_prefix: str,
                                             tmp_path: Path) -> None:
    _load(es_client, es_prefix)
    worklist = tmp_path / "worklist.json"
    arguments = ("sample", "--quarter", "2026Q4", "--fraction", "0.2", "--seed", "7")
    first = env.scrapy(*arguments, "-o", str(worklist), timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Sampled 16 of 73 sites in 3 regions for 2026Q4" in first.stderr
    recorded = _reviews(es_client, es_prefix)
    assert Counter(recorded.values()) == {"成都市": 13, "自贡市": 2, "攀枝花市": 1}
    document = json.loads(worklist.read_text(encoding="utf-8"))
    assert document["schema"] == "govcrawl.worklist/1"
    assert sorted(site["site_id"] for site in document["sites"]) == sorted(recorded)
    assert {site["verdict"] for site in document["sites"]} == {"NO_DATA"}

    again = env.scrapy(*arguments, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 new reviews, 16 already recorded" in again.stderr
    assert _reviews(es_client, es_prefix) == recorded

    other = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "0.2", "--seed", "8",
                       timeout=120)
    assert other.returncode == 1
    assert "quarter 2026Q4 was already sampled with seed 7" in other.stderr


def test_filled_worklist_is_imported(env: Env, es_client: Elasticsearch, es_prefix: str,
                                     tmp_path: Path) -> None:
    _load(es_client, es_prefix)
    worklist = tmp_path / "worklist.xlsx"
    drawn = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "0.2", "--seed", "3",
                       "-o", str(worklist), timeout=120)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    book = openpyxl.load_workbook(worklist)
    sheet = book["抽查"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 16
    first_site, second_site = str(rows[0][1].value), str(rows[1][1].value)
    rows[0][13].value, rows[0][14].value, rows[0][15].value = "确认", "张三", "无数据属实"
    rows[1][13].value, rows[1][14].value = "推翻", "李四"
    book.save(worklist)
    imported = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert "Recorded 2 reviewed sites" in imported.stderr
    hits = es_client.search(index=index_name(es_prefix, "reviews"), size=100,
                            query={"terms": {"site_id": [first_site, second_site]}})["hits"]["hits"]
    outcome = {hit["_source"]["site_id"]: (hit["_source"]["status"], hit["_source"]["reviewer"],
                                           hit["_source"]["notes"]) for hit in hits}
    assert outcome == {first_site: ("confirmed", "张三", "无数据属实"),
                       second_site: ("corrected", "李四", "")}


def _drawn_worklist(env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path) -> Path:
    _load(es_client, es_prefix)
    worklist = tmp_path / "worklist.xlsx"
    drawn = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "0.2", "--seed", "3",
                       "-o", str(worklist), timeout=120)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    return worklist


def _statuses(es_client: Elasticsearch, prefix: str) -> set[str]:
    hits = es_client.search(index=index_name(prefix, "reviews"), size=1000, query={"match_all": {}})
    return {hit["_source"]["status"] for hit in hits["hits"]["hits"]}


def test_a_worklist_with_no_verdict_yet_says_so(env: Env, es_client: Elasticsearch, es_prefix: str,
                                               tmp_path: Path) -> None:
    worklist = _drawn_worklist(env, es_client, es_prefix, tmp_path)
    result = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "none of its 16 sites has a 复核结论 (确认/推翻) yet: nothing to record" in result.stderr
    assert _statuses(es_client, es_prefix) == {"pending"}


def test_importing_a_file_that_is_not_a_workbook_is_one_error_line(env: Env, tmp_path: Path) -> None:
    fake = tmp_path / "filled.xlsx"
    fake.write_text("季度,站点标识码\n2026Q4,5100ci0000\n", encoding="utf-8")
    result = env.scrapy("sample", "--import", str(fake), timeout=120)
    assert result.returncode == 1
    assert f"{fake} is not an Excel workbook" in result.stderr
    assert "Traceback" not in result.stderr


def _edit(worklist: Path, change: Callable[[Any], None]) -> None:
    book = openpyxl.load_workbook(worklist)
    change(book["抽查"])
    book.save(worklist)


def _decide_first_two(sheet: Any) -> None:
    rows = list(sheet.iter_rows(min_row=2))
    rows[0][13].value, rows[0][14].value = "确认", "张三"
    rows[1][13].value, rows[1][14].value = "推翻", "李四"


def _every_row_in(quarter: str) -> Callable[[Any], None]:
    def change(sheet: Any) -> None:
        for row in range(2, sheet.max_row + 1):
            sheet.cell(row, 1).value = quarter
    return change


WRONG_WORKLISTS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "no-header": (lambda sheet: sheet.delete_rows(1),
                  "row 1 is not the worklist header (季度, 站点标识码, 网站名称, ...)"),
    "unknown-site": (lambda sheet: setattr(sheet.cell(3, 2), "value", "5199xx9999"),
                     "1 site(s) were not sampled for 2026Q4: 5199xx9999"),
    "two-quarters": (lambda sheet: setattr(sheet.cell(3, 1), "value", "2026Q3"),
                     "mixes quarters 2026Q3, 2026Q4"),
    "unsampled-quarter": (_every_row_in("2025Q1"), "quarter 2025Q1 has no sampled site of this worklist"),
}


@pytest.mark.parametrize("case", WRONG_WORKLISTS)
def test_a_wrong_worklist_is_refused_naming_what_is_wrong_and_nothing_is_recorded(
        env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path, case: str) -> None:
    change, expected = WRONG_WORKLISTS[case]
    worklist = _drawn_worklist(env, es_client, es_prefix, tmp_path)
    _edit(worklist, _decide_first_two)
    _edit(worklist, change)
    result = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert expected in result.stderr
    assert "Recorded" not in result.stderr
    assert "Traceback" not in result.stderr
    assert _statuses(es_client, es_prefix) == {"pending"}


# --- verdicts that count: per finding, into the case ledger ----------------------------------------

def _worklist_with_findings(env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path) -> Path:
    """The four hand-made sites of test_reports, all sampled; a report of today opened their cases."""
    from tests.test_reports import known_sites, load  # noqa: PLC0415

    load(es_client, es_prefix, known_sites())
    assert env.scrapy("report", "-o", str(tmp_path / "before.json"), timeout=120).returncode == 0
    worklist = tmp_path / "worklist.xlsx"
    drawn = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "1", "--seed", "1", "-o", str(worklist),
                       timeout=120)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    return worklist


def _rows_of(worklist: Path, site_id: str, check: str) -> list[int]:
    sheet = openpyxl.load_workbook(worklist)["抽查"]
    return [number for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), 2)
            if row[1] == site_id and row[8] == check]


def _set(worklist: Path, cells: dict[tuple[int, int], str]) -> None:
    book = openpyxl.load_workbook(worklist)
    for (row, column), value in cells.items():
        book["抽查"].cell(row, column).value = value
    book.save(worklist)


def _site(report: Path, site_id: str) -> dict[str, Any]:
    return next(site for site in json.loads(report.read_text(encoding="utf-8"))["sites"]
                if site["site_id"] == site_id)


def test_verdicts_are_per_finding_count_in_the_next_report_and_partial_stays_partial(
        env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path) -> None:
    worklist = _worklist_with_findings(env, es_client, es_prefix, tmp_path)
    before = _site(tmp_path / "before.json", "5103000001")
    empty_rows = _rows_of(worklist, "5103000001", "D-EMPTY")
    assert len(empty_rows) == 3
    # One empty column is a false alarm (推翻), another confirmed; the third and the rest stay open.
    _set(worklist, {(empty_rows[0], 14): "推翻", (empty_rows[0], 15): "李四",
                    (empty_rows[1], 14): "确认", (empty_rows[1], 15): "李四"})
    imported = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert "Recorded 1 reviewed sites" in imported.stderr and "(1 partly reviewed)" in imported.stderr
    assert "2 case decisions count from the next report" in imported.stderr
    review = es_client.search(index=index_name(es_prefix, "reviews"),
                              query={"term": {"site_id": "5103000001"}})["hits"]["hits"][0]["_source"]
    assert review["status"] == "partial"
    assert len(review["findings_confirmed"]) == len(review["findings_overturned"]) == 1

    report = tmp_path / "after.json"
    assert env.scrapy("report", "-o", str(report), timeout=120).returncode == 0
    after = _site(report, "5103000001")
    before_empty = [finding for finding in before["findings"] if finding["check"] == "D-EMPTY"]
    after_empty = [finding for finding in after["findings"] if finding["check"] == "D-EMPTY"]
    assert len(before_empty) == 3 and len(after_empty) == 2
    assert after["score"] == pytest.approx(before["score"] + before_empty[0]["points"])
    statuses = sorted(case["status"] for case in after["cases"] if case["check"] == "D-EMPTY")
    assert statuses == ["false_alarm", "open", "open"]

    # The next worklist still lists the false alarm: a reviewer who confirms it reopens the case.
    again = tmp_path / "again.xlsx"
    drawn = env.scrapy("sample", "--quarter", "2026Q4", "--fraction", "1", "--seed", "1", "-o", str(again),
                       timeout=120)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    rows = _rows_of(again, "5103000001", "D-EMPTY")
    assert len(rows) == 3
    _set(again, {(rows[0], 14): "确认", (rows[0], 15): "王五"})
    assert env.scrapy("sample", "--import", str(again), timeout=120).returncode == 0
    assert env.scrapy("report", "-o", str(report), timeout=120).returncode == 0
    reopened = _site(report, "5103000001")
    assert len([finding for finding in reopened["findings"] if finding["check"] == "D-EMPTY"]) == 3
    assert sorted(case["status"] for case in reopened["cases"] if case["check"] == "D-EMPTY") == [
        "open", "open", "reopened"]


def _duplicate_row(worklist: Path, row: int, verdict: str) -> None:
    book = openpyxl.load_workbook(worklist)
    sheet = book["抽查"]
    values = [cell.value for cell in sheet[row]]
    values[13], values[14] = verdict, "王五"
    sheet.append(values)
    book.save(worklist)


def _case_statuses(es_client: Elasticsearch, prefix: str) -> list[tuple[str, str]]:
    hits = es_client.search(index=index_name(prefix, "cases"), size=1000, query={"match_all": {}})
    return sorted((hit["_source"]["status"], hit["_source"]["decision"]) for hit in hits["hits"]["hits"])


BAD_VERDICTS: dict[str, tuple[Callable[[Path, list[int]], None], str]] = {
    "conflict": (lambda path, rows: _duplicate_row(path, rows[0], "推翻"),
                 "judge the same finding (5103000001 D-EMPTY http://www.zg.gov.cn/e0/) as 确认 and 推翻"),
    "duplicate": (lambda path, rows: _duplicate_row(path, rows[0], "确认"), "are the same finding"),
    "tampered": (lambda path, rows: _set(path, {(rows[0], 17): "http://www.zg.gov.cn/other/"}),
                 "does not belong to site 5103000001, check 'D-EMPTY', 对象 'http://www.zg.gov.cn/other/'"),
}


@pytest.mark.parametrize("case", BAD_VERDICTS)
def test_bad_verdicts_are_refused_naming_the_rows_and_nothing_is_recorded(
        env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path, case: str) -> None:
    change, expected = BAD_VERDICTS[case]
    worklist = _worklist_with_findings(env, es_client, es_prefix, tmp_path)
    rows = _rows_of(worklist, "5103000001", "D-EMPTY")
    _set(worklist, {(rows[0], 14): "确认", (rows[0], 15): "李四"})
    before = _case_statuses(es_client, es_prefix)
    change(worklist, rows)
    result = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert expected in result.stderr and f"row {rows[0]}" in result.stderr.replace("rows ", "row ")
    assert "nothing was recorded" in result.stderr and "Traceback" not in result.stderr
    assert _case_statuses(es_client, es_prefix) == before
    assert _statuses(es_client, es_prefix) == {"pending"}


def test_a_verdict_on_a_case_fixed_since_is_refused(env: Env, es_client: Elasticsearch, es_prefix: str,
                                                     tmp_path: Path) -> None:
    from crawler.cases import CaseStore, case_id, not_found  # noqa: PLC0415

    worklist = _worklist_with_findings(env, es_client, es_prefix, tmp_path)
    rows = _rows_of(worklist, "5103000001", "D-EMPTY")
    _set(worklist, {(rows[0], 14): "推翻", (rows[0], 15): "李四", (rows[1], 14): "确认"})
    store = CaseStore(es_client, es_prefix)
    identifier = case_id("5103000001", "D-EMPTY", "http://www.zg.gov.cn/e0/")
    case = store.by_ids([identifier])[identifier]
    store.write([not_found(case, at=case.last_seen, verified=True)], refresh=True)  # a re-crawl fixed it
    result = env.scrapy("sample", "--import", str(worklist), timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    expected = (f"row {rows[0]}: case {identifier} (5103000001 D-EMPTY http://www.zg.gov.cn/e0/) was "
                "already fixed")
    assert expected in result.stderr
    assert "nothing was recorded" in result.stderr
    decided = [item for item in store.of_sites(["5103000001"])["5103000001"] if item.decision]
    assert decided == [] and _statuses(es_client, es_prefix) == {"pending"}


def test_a_worklist_judged_at_a_day_without_data_says_so(env: Env, es_client: Elasticsearch, es_prefix: str,
                                                         tmp_path: Path) -> None:
    from tests.test_reports import known_sites, load  # noqa: PLC0415

    load(es_client, es_prefix, known_sites())
    worklist = tmp_path / "worklist.xlsx"
    result = env.scrapy("sample", "--quarter", "2026Q3", "--fraction", "0.2", "--seed", "1",
                        "-o", str(worklist), "--as-of", "2026-09-30", timeout=120)
    assert result.returncode == 1
    assert "no crawl data on or before 2026-09-30" in result.stderr and "Traceback" not in result.stderr
    assert not worklist.exists()
    assert _statuses(es_client, es_prefix) == set()
