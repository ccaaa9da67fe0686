"""The farm scores (scripts/accuracy.py) on a hand-made truth and report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scripts import accuracy, demo_summary

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

_UTF8 = "http://127.0.0.9/zwgk/%E8%A7%84%E5%88%92%E8%AE%A1%E5%88%92.htm"  # /zwgk/规划计划.htm
_GBK = "http://127.0.0.9/zwgk/%B9%E6%BB%AE%BC%C6%BB%AE.htm"  # the same address in GBK percent-escapes


def _truth() -> dict[str, Any]:
    column = {"url": _UTF8, "latest_date": None, "stale": True, "empty": True}
    other = {"url": "http://127.0.0.9/zwgk/tzgg.htm", "latest_date": "2026-12-01", "stale": False,
             "empty": False}
    return {"sites": [{"site_id": "5100000009", "down": False, "columns": [column, other],
                       "aliases": {_GBK: _UTF8}, "pages": {}, "dead_links": []}]}


def _report(url: str) -> dict[str, Any]:
    return {"sites": [{"site_id": "5100000009", "columns": [
        {"url": url, "latest_date": None, "stale": True, "empty": True},
        {"url": "http://127.0.0.9/zwgk/tzgg.htm", "latest_date": "2026-11-30", "stale": False,
         "empty": False}]}]}


def test_a_column_reported_under_another_url_of_its_page_is_that_column() -> None:
    for url in (_UTF8, _GBK):
        assert accuracy.columns(_report(url), _truth(), "stale").f1 == 1.0
        assert accuracy.columns(_report(url), _truth(), "empty").f1 == 1.0
        dates = accuracy.column_dates(_report(url), _truth())
        assert (dates.found, dates.hits) == (2, 1)  # the other column's newest date is wrong


def test_a_column_of_another_page_is_a_false_one() -> None:
    score = accuracy.columns(_report("http://127.0.0.9/zwgk/other.htm"), _truth(), "stale")
    assert (score.found, score.true, score.hits) == (1, 1, 0)
    found = accuracy.columns_found(_report("http://127.0.0.9/zwgk/other.htm"), _truth())
    assert (found.found, found.true, found.hits) == (2, 2, 1)
    assert accuracy.columns_found(_report(_GBK), _truth()).f1 == 1.0


def test_the_demo_summary_scores_footer_marks_wherever_the_truth_has_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = _truth()
    truth["sites"][0].update(missing_marks=["ICP"], site_code_shown="5100000009", error_report_link=True)
    report = _report(_UTF8)
    site = report["sites"][0]
    site.update(region="成都市", reachable=True, score=90.0, dead_links=[],
                findings=[{"check": "D-ID", "key": "missing ICP", "severity": "deduct"}])
    report["as_of"] = "2026-12-06"
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    assert demo_summary.main([str(tmp_path / "report.json"), str(tmp_path / "truth.json")]) == 0
    printed = capsys.readouterr().out
    assert "footer marks   precision 1.000 recall 1.000" in printed
    assert "service vetoes" not in printed  # no service guides in this truth (worlds c and d)
