"""Prometheus rules, their promtool unit tests, the scrape config and the Alertmanager routing example."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.metrics_catalog import (
    MAX_SERIES_PER_SITE,
    VETO_CHECKS,
    always_exported_series_per_site,
    selector_problems,
)

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.rules.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
# Series Prometheus itself makes, which rules may use besides the catalog.
PROMETHEUS_SERIES = frozenset({"up", "scrape_samples_scraped"})

SITE_ALERTS = {
    "GovSiteHomepageStale": {"critical", "warning"},
    "GovSiteUnavailable": {"critical", "warning"},
    "GovSiteDown": {"warning"},
    "GovSiteCoreColumnsStale": {"critical", "warning"},
    "GovSiteColumnsStale": {"critical", "warning"},
    "GovSiteEmptyColumns": {"critical", "warning"},
    "GovSiteHomepageDeadLinks": {"warning"},
    "GovSiteUnansweredMessages": {"critical"},
    "GovSiteVeto": {"critical"},
}
CRAWLER_ALERTS = {
    "GovcrawlNothingFetched", "GovcrawlQueueGrowing", "GovcrawlWorkerGone", "GovcrawlEsBufferGrowing",
    "GovcrawlExporterStale", "GovcrawlSeriesBudget",
}
INDICATOR_IDS = {*VETO_CHECKS, "D-LINK-HOME"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = "prometheus" if name == "promtool" else "prometheus-alertmanager"
        pytest.fail(f"{name} is not on PATH: install it with `apt-get install {package}`")
    return path


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, cwd=cwd)


def _rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in RULE_FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in document["groups"]:
            rules.extend(group["rules"])
    return rules


def _alert_tests() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in TEST_FILES:
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda path: path.name)
def test_promtool_check_rules_passes(rule_file: Path) -> None:
    result = _run(_tool("promtool"), "check", "rules", str(rule_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    assert len(TEST_FILES) == 2
    result = _run(_tool("promtool"), "test", "rules", *map(str, TEST_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES)


def test_promtool_check_config_passes() -> None:
    result = _run(_tool("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


# Each mutation moves one threshold or one `for`; the unit tests must notice every one of them.
@pytest.mark.parametrize(("rule_file", "original", "mutated"), [
    ("govcrawl-sites.rules.yml", "/ 86400 >= 14\n", "/ 86400 >= 15\n"),
    ("govcrawl-sites.rules.yml",
     '>= 0.05\n          and on (site_id) govcrawl_site_probe_count{window="7d"} >= 140',
     '>= 0.05\n          and on (site_id) govcrawl_site_probe_count{window="7d"} >= 139'),
    ("govcrawl-sites.rules.yml", "(govcrawl_site_columns{state=\"empty\"}) >= 3 < 5",
     "(govcrawl_site_columns{state=\"empty\"}) >= 2 < 5"),
    ("govcrawl-sites.rules.yml", "govcrawl_site_up == 0\n        for: 30m",
     "govcrawl_site_up == 0\n        for: 20m"),
    ("govcrawl-crawler.rules.yml", "> 7200", ">= 7200"),
    ("govcrawl-crawler.rules.yml", "govcrawl_worker_last_heartbeat_timestamp_seconds > 120",
     "govcrawl_worker_last_heartbeat_timestamp_seconds > 180"),
])
def test_promtool_unit_tests_catch_a_moved_threshold(
    tmp_path: Path, rule_file: str, original: str, mutated: str,
) -> None:
    shutil.copytree(PROMETHEUS / "rules", tmp_path / "rules")
    shutil.copytree(PROMETHEUS / "tests", tmp_path / "tests")
    target = tmp_path / "rules" / rule_file
    text = target.read_text(encoding="utf-8")
    assert text.count(original) == 1, f"mutation anchor {original!r} not unique in {rule_file}"
    target.write_text(text.replace(original, mutated), encoding="utf-8")
    mutated_tests = (str(path) for path in (tmp_path / "tests").glob("*.yml"))
    result = _run(_tool("promtool"), "test", "rules", *mutated_tests)
    assert result.returncode != 0, f"promtool tests still pass with {mutated!r}"
    assert "FAILED" in result.stdout + result.stderr


def test_every_expected_alert_exists_with_its_severities() -> None:
    severities: dict[str, set[str]] = {}
    for rule in _rules():
        if "alert" in rule:
            severities.setdefault(rule["alert"], set()).add(rule["labels"]["severity"])
    assert {name: severities.get(name) for name in SITE_ALERTS} == SITE_ALERTS
    assert severities.keys() == SITE_ALERTS.keys() | CRAWLER_ALERTS


def test_every_rule_expression_uses_catalog_metrics_and_label_values() -> None:
    problems = [
        f"{rule.get('alert')}: {problem}" for rule in _rules() for problem in selector_problems(rule["expr"])
    ]
    assert problems == []


def _series_names(expr: str) -> set[str]:
    """Return the metric names in a PromQL expression (identifiers that are not functions or keywords)."""
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    stripped = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", stripped)
    names = set(re.findall(r"\b([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()", stripped))
    return names - {"and", "or", "unless", "bool", "offset", "e"}


def test_rules_use_only_catalog_or_prometheus_series() -> None:
    for rule in _rules():
        foreign = {name for name in _series_names(rule["expr"]) if not name.startswith("govcrawl_")}
        assert foreign <= PROMETHEUS_SERIES, f"{rule['alert']}: {foreign - PROMETHEUS_SERIES}"


def test_site_alerts_name_the_indicator_and_explain_in_both_languages() -> None:
    for rule in _rules():
        name = rule["alert"]
        annotations = rule["annotations"]
        assert {"summary", "description"} <= annotations.keys(), name
        assert " / " in annotations["summary"], f"{name}: summary is not Chinese / English"
        if name in SITE_ALERTS:
            assert "$labels.site_id" in annotations["summary"], name
            if name != "GovSiteVeto":  # its check label comes from govcrawl_site_veto
                assert rule["labels"]["check"] in INDICATOR_IDS, name
        else:
            assert rule["labels"]["team"] == "operators", name


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in _alert_tests():
        (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    every_alert = SITE_ALERTS.keys() | CRAWLER_ALERTS
    assert every_alert - firing == set()
    assert every_alert - quiet == set()


def test_alertmanager_config_is_valid() -> None:
    result = _run(_tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("labels", "receiver"), [
    (["alertname=GovSiteHomepageStale", "severity=critical", "region=成都市", "site_id=5101000001"],
     "chengdu-desk"),
    (["alertname=GovSiteUnavailable", "severity=warning", "region=绵阳市"], "mianyang-desk"),
    (["alertname=GovSiteVeto", "severity=critical", "region=甘孜州"], "provincial-desk"),
    (["alertname=GovcrawlWorkerGone", "severity=warning", "team=operators"], "operators"),
    (["alertname=GovcrawlExporterStale", "severity=critical", "team=operators", "region=成都市"],
     "operators"),
])
def test_alertmanager_routes_by_region_and_team(labels: list[str], receiver: str) -> None:
    result = _run(
        _tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}", *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_series_budget_for_15000_sites_stays_under_300000() -> None:
    sites = 15_000
    # Typical state of a site for the sparse families (README, cardinality budget).
    typical_sparse = {
        "govcrawl_site_column_last_update_timestamp_seconds": 3,
        "govcrawl_site_columns": 2,
        "govcrawl_site_broken_links": 2,
        "govcrawl_site_findings": 1,
        "govcrawl_site_veto": 0.2,
        "govcrawl_site_unanswered_messages": 0.1,
    }
    assert all(count <= MAX_SERIES_PER_SITE[name] for name, count in typical_sparse.items())
    typical_total = sites * (always_exported_series_per_site() + sum(typical_sparse.values()))
    assert always_exported_series_per_site() == 10
    assert typical_total < 300_000
    # The alert and the scrape limit in prometheus.yml guard the case the estimate is wrong.
    assert "sample_limit: 300000" in (PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8")
