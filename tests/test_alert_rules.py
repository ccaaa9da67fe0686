"""Prometheus rules, their promtool unit tests, the scrape config and the Alertmanager routing example."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.indicators import INDICATORS_PATH, load_indicators, parse_indicators
from crawler.metrics_catalog import (
    MAX_SERIES_PER_SITE,
    VETO_CHECKS,
    always_exported_series_per_site,
    selector_problems,
)
from scripts import alert_rules

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
    "GovSiteUnansweredMessages": {"warning"},  # V-REPLY is suspected in indicators.yaml
    "GovSiteVeto": {"critical", "warning"},  # critical only for a confirmed veto
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
# A site rule states its expression twice (with and without the supervisor join): a mutation moves both.
@pytest.mark.parametrize(("rule_file", "original", "mutated", "copies"), [
    ("govcrawl-sites.rules.yml", "/ 86400 >= 14\n", "/ 86400 >= 15\n", 2),
    ("govcrawl-sites.rules.yml",
     '>= 0.05\n            and on (site_id) govcrawl_site_probe_count{window="7d"} >= 140',
     '>= 0.05\n            and on (site_id) govcrawl_site_probe_count{window="7d"} >= 139', 2),
    ("govcrawl-sites.rules.yml", "(govcrawl_site_columns{state=\"empty\"}) >= 3 < 5",
     "(govcrawl_site_columns{state=\"empty\"}) >= 2 < 5", 2),
    ("govcrawl-sites.rules.yml", "govcrawl_site_up == 0\n          )\n        for: 30m",
     "govcrawl_site_up == 0\n          )\n        for: 20m", 1),
    ("govcrawl-crawler.rules.yml", "> 7200", ">= 7200", 1),
    ("govcrawl-crawler.rules.yml", "govcrawl_worker_last_heartbeat_timestamp_seconds > 120",
     "govcrawl_worker_last_heartbeat_timestamp_seconds > 180", 1),
])
def test_promtool_unit_tests_catch_a_moved_threshold(
    tmp_path: Path, rule_file: str, original: str, mutated: str, copies: int,
) -> None:
    shutil.copytree(PROMETHEUS / "rules", tmp_path / "rules")
    shutil.copytree(PROMETHEUS / "tests", tmp_path / "tests")
    target = tmp_path / "rules" / rule_file
    text = target.read_text(encoding="utf-8")
    assert text.count(original) == copies, f"mutation anchor {original!r}: not {copies} in {rule_file}"
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


def test_generated_rule_files_are_what_the_generator_makes_from_indicators_yaml_now() -> None:
    assert alert_rules.outdated_files() == [], "run: python -m scripts.alert_rules --write"
    assert alert_rules.main(["--check"]) == 0


def test_a_threshold_moved_in_indicators_yaml_moves_both_rule_files() -> None:
    text = INDICATORS_PATH.read_text(encoding="utf-8")
    moved = parse_indicators(text.replace("fail_days: 14 ", "fail_days: 21 ").replace(
        "fail_count: 10 ", "fail_count: 12 "))
    files = alert_rules.rendered_files(moved)
    prometheus = files[alert_rules.PROMETHEUS_RULES]
    grafana = files[alert_rules.GRAFANA_RULES]
    assert "/ 86400 >= 21\n" in prometheus and "/ 86400 >= 10 < 21\n" in prometheus
    assert "/ 86400 >= 14" not in prometheus + grafana
    assert '(govcrawl_site_columns{state=~"stale|empty"}) >= 12\n' in prometheus
    assert "首页 21 天未更新" in grafana and "首页超过 21 天无新信息" in grafana
    assert sorted(alert_rules.outdated_files(files)) == sorted(files)


def test_checked_out_of_date_files_exit_1_naming_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    stale = tmp_path / "govcrawl-sites.rules.yml"
    stale.write_text("groups: []\n", encoding="utf-8")
    monkeypatch.setattr(alert_rules, "ROOT", tmp_path)
    monkeypatch.setattr(alert_rules, "PROMETHEUS_RULES", stale)
    monkeypatch.setattr(alert_rules, "GRAFANA_RULES", tmp_path / "missing.yml")
    assert alert_rules.main(["--check"]) == 1
    assert "govcrawl-sites.rules.yml is out of date" in caplog.text
    assert "missing.yml is out of date" in caplog.text


def test_a_broken_indicators_file_is_one_line_and_exit_2(tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "indicators.yaml"
    broken.write_text(INDICATORS_PATH.read_text(encoding="utf-8").replace("fail_days: 14", "fail_days: x"),
                      encoding="utf-8")
    assert alert_rules.main(["--check", "--indicators", str(broken)]) == 2
    assert "vetoes.V-HOME.fail_days" in caplog.text and "Traceback" not in caplog.text


def test_only_a_confirmed_veto_line_is_critical() -> None:
    rules = load_indicators()
    confirmed = {check for check, confidence in (
        ("V-AVAIL", rules.vetoes.v_avail.confidence), ("V-HOME", rules.vetoes.v_home.confidence),
        ("V-CORE", rules.vetoes.v_core.confidence), ("V-STALE", rules.vetoes.v_stale.confidence),
        ("V-EMPTY", rules.vetoes.v_empty.confidence), ("V-REPLY", rules.vetoes.v_reply.confidence),
    ) if confidence == "confirmed"}
    assert "V-REPLY" not in confirmed  # suspected: a person confirms the messages are valid
    for rule in (rule for rule in _rules() if rule["alert"].startswith("GovSite")):
        labels = rule["labels"]
        if labels["severity"] != "critical":
            continue
        if "check" in labels:
            assert labels["check"] in confirmed and labels["confidence"] == "confirmed", rule["alert"]
        else:  # GovSiteVeto: the confidence comes with the series
            assert 'confidence="confirmed"' in rule["expr"], rule["alert"]
    suspected_veto = [rule for rule in _rules() if 'confidence="suspected"' in rule["expr"]]
    assert [rule["labels"]["severity"] for rule in suspected_veto] == ["warning"]


def test_a_down_site_inhibits_its_other_alerts_and_site_alerts_group_per_site() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    assert config["route"]["group_by"] == ["site_id"]
    down = [rule for rule in config["inhibit_rules"]
            if rule["source_matchers"] == ['alertname="GovSiteDown"']]
    assert len(down) == 1 and down[0]["equal"] == ["site_id"]
    assert 'check!="V-AVAIL"' in down[0]["target_matchers"]
    site_receivers = [receiver for receiver in config["receivers"] if receiver["name"] != "operators"]
    assert all(hook.get("send_resolved") is False
               for receiver in site_receivers for hook in receiver["webhook_configs"])


def test_alertmanager_config_is_valid() -> None:
    result = _run(_tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("labels", "receiver"), [
    (["alertname=GovSiteHomepageStale", "severity=critical", "region=成都市", "site_id=5101000001"],
     "chengdu-desk"),
    (["alertname=GovSiteUnavailable", "severity=warning", "region=绵阳市"], "mianyang-desk"),
    (["alertname=GovSiteVeto", "severity=critical", "region=甘孜州"], "provincial-desk"),
    (["alertname=GovSiteVeto", "severity=critical", "region=成都市", "site_id=5101000001"], "chengdu-desk"),
    (["alertname=GovcrawlWorkerGone", "severity=warning", "team=operators"], "operators"),
    (["alertname=GovSiteHomepageStale", "severity=critical", "region=成都市",
      "supervisor=成都市政务服务管理和网络理政办公室"], "chengdu-supervisor"),
    (["alertname=GovcrawlExporterStale", "severity=critical", "team=operators", "region=成都市"],
     "operators"),
])
def test_alertmanager_routes_by_supervisor_region_and_team(labels: list[str], receiver: str) -> None:
    result = _run(
        _tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}", *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_series_budget_for_15000_sites_stays_under_300000() -> None:
    sites = 15_000
    # Typical state of a site for the sparse families (docs/metrics.md, series budget).
    typical_sparse = {
        "govcrawl_site_column_last_update_timestamp_seconds": 3,
        "govcrawl_site_columns": 2,
        "govcrawl_site_core_columns_stale": 0.5,
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
