"""Grafana dashboards (generated, checked in), datasource and alert-rule provisioning against the catalog."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.glossary import check_label
from crawler.indicators import load_indicators
from crawler.metrics_catalog import all_series_names, selector_problems
from scripts import grafana_dashboards

GRAFANA = Path(__file__).resolve().parent.parent / "deploy" / "grafana"
DASHBOARD_FILES = sorted((GRAFANA / "dashboards").glob("*.json"))
EXPECTED_TITLES = {"govcrawl — 抓取运行状况", "govcrawl — 网站更新与可访问性"}
GRAFANA_EXPRESSION_UID = "__expr__"


def _datasource_uids() -> set[str]:
    uids: set[str] = set()
    for path in (GRAFANA / "provisioning" / "datasources").glob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["apiVersion"] == 1, path
        uids.update(source["uid"] for source in document["datasources"])
    return uids


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _alert_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in (GRAFANA / "provisioning" / "alerting").glob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["apiVersion"] == 1, path
        for group in document["groups"]:
            assert group["folder"] and group["interval"], group["name"]
            rules.extend(group["rules"])
    return rules


def test_checked_in_dashboards_are_what_the_generator_makes_now() -> None:
    assert grafana_dashboards.outdated_files(GRAFANA / "dashboards") == [], (
        "run: python scripts/grafana_dashboards.py"
    )
    assert {path.name for path in DASHBOARD_FILES} == grafana_dashboards.render_dashboards().keys()


def test_outdated_check_notices_an_edited_dashboard(tmp_path: Path) -> None:
    assert grafana_dashboards.main(["--out", str(tmp_path)]) == 0
    assert grafana_dashboards.main(["--check", "--out", str(tmp_path)]) == 0
    edited = tmp_path / "govcrawl-crawl-health.json"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("存活进程数", "进程数"), encoding="utf-8")
    (tmp_path / "govcrawl-site-freshness.json").unlink()
    assert grafana_dashboards.outdated_files(tmp_path) == [
        "govcrawl-crawl-health.json", "govcrawl-site-freshness.json",
    ]
    assert grafana_dashboards.main(["--check", "--out", str(tmp_path)]) == 1


def test_dashboards_have_the_expected_titles_and_unique_uids() -> None:
    dashboards = [_load(path) for path in DASHBOARD_FILES]
    assert {dashboard["title"] for dashboard in dashboards} == EXPECTED_TITLES
    assert len({dashboard["uid"] for dashboard in dashboards}) == len(dashboards)


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.name)
def test_panel_ids_are_unique_and_datasources_are_provisioned(path: Path) -> None:
    dashboard = _load(path)
    panels = _panels(dashboard)
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids in {path.name}"
    assert all(isinstance(panel_id, int) and panel_id > 0 for panel_id in ids)
    uids = _datasource_uids()
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert panel["targets"], f"{panel['title']} queries nothing"
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(set(ref_ids)) == len(ref_ids) and all(ref_ids), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids, panel["title"]
    for variable in dashboard["templating"]["list"]:
        assert variable["datasource"]["uid"] in uids, variable["name"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.name)
def test_every_queried_metric_is_in_the_catalog(path: Path) -> None:
    dashboard = _load(path)
    expressions = [target["expr"] for panel in _panels(dashboard) for target in panel.get("targets", [])]
    expressions += [variable["query"] for variable in dashboard["templating"]["list"]]
    queried = {name for expr in expressions for name in re.findall(r"\bgovcrawl_[a-z0-9_]+", expr)}
    assert queried, "no govcrawl metric queried"
    assert queried - all_series_names() == set()
    assert [problem for expr in expressions for problem in selector_problems(expr)] == []


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.name)
def test_every_variable_used_is_defined(path: Path) -> None:
    dashboard = _load(path)
    defined = {variable["name"] for variable in dashboard["templating"]["list"]}
    used = {
        name
        for panel in _panels(dashboard)
        for target in panel.get("targets", [])
        for name in re.findall(r"\$(\w+)", target["expr"])
        if not name.startswith("__")
    }
    assert used <= defined


def test_site_dashboard_drills_down_from_region_to_site() -> None:
    dashboard = _load(GRAFANA / "dashboards" / "govcrawl-site-freshness.json")
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert list(variables) == ["region", "site_id"]
    assert "$region" in variables["site_id"]["query"]


def test_grafana_alert_rules_use_provisioned_datasources_and_catalog_metrics() -> None:
    rules = _alert_rules()
    assert rules, "no Grafana-managed alert rule provisioned"
    uids = _datasource_uids() | {GRAFANA_EXPRESSION_UID}
    assert len({rule["uid"] for rule in rules}) == len(rules)
    for rule in rules:
        ref_ids = {query["refId"] for query in rule["data"]}
        assert rule["condition"] in ref_ids, rule["uid"]
        assert {"severity", "check"} <= rule["labels"].keys(), rule["uid"]
        for query in rule["data"]:
            assert query["datasourceUid"] in uids, rule["uid"]
            if query["datasourceUid"] == GRAFANA_EXPRESSION_UID:
                assert query["model"]["expression"] in ref_ids, rule["uid"]
                continue
            expr = query["model"]["expr"]
            assert re.findall(r"\bgovcrawl_[a-z0-9_]+", expr), rule["uid"]
            assert selector_problems(expr) == [], rule["uid"]


@pytest.mark.parametrize(("expr", "problems"), [
    ('sum by (status_class) (rate(govcrawl_responses_total{worker=~"$worker"}[5m]))', []),
    ('histogram_quantile(0.9, sum by (le) (rate(govcrawl_fetch_duration_seconds_bucket{le="1"}[5m])))', []),
    ('govcrawl_site_columns{state=~"stale|empty", class="news"}', []),
    ("govcrawl_site_freshness", ["govcrawl_site_freshness: not in crawler/metrics_catalog.py"]),
    ('govcrawl_site_columns{class="News"}', ["govcrawl_site_columns: class='News' is not one of"]),
    ('govcrawl_site_up{url="http://x"}', ["govcrawl_site_up: label 'url' is not one of"]),
    ('govcrawl_site_score_bucket{le="1"}', ["govcrawl_site_score_bucket: not in crawler/metrics_catalog.py"]),
])
def test_selector_problems_finds_unknown_metrics_labels_and_values(expr: str, problems: list[str]) -> None:
    found = selector_problems(expr)
    assert len(found) == len(problems), found
    for seen, expected in zip(found, problems, strict=True):
        assert seen.startswith(expected)


def test_site_dashboard_draws_the_lines_of_indicators_yaml_and_names_checks_as_the_glossary() -> None:
    dashboard = _load(GRAFANA / "dashboards" / "govcrawl-site-freshness.json")
    home = load_indicators().vetoes.v_home
    titles = {panel["title"] for panel in _panels(dashboard)}
    assert f"{check_label('V-HOME')}（≥ {home.fail_days} 天）" in titles
    expressions = [target["expr"] for panel in _panels(dashboard) for target in panel.get("targets", [])]
    assert any(f">= {home.fail_days} * 86400" in expr for expr in expressions)
    assert any(f">= {home.warn_days} * 86400" in expr for expr in expressions)


def test_grafana_alert_titles_name_the_check_in_chinese() -> None:
    for rule in _alert_rules():
        assert check_label(rule["labels"]["check"]) in rule["title"], rule["uid"]
        assert re.search(r"[\u4e00-\u9fff]", rule["annotations"]["summary"]), rule["uid"]
