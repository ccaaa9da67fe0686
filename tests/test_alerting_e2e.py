"""A farm site goes down -> probes fail -> exporter -> a real Prometheus fires GovSiteDown for it alone;
the generated rules and the shipped Alertmanager routing over demo-like sites (real Prometheus and
Alertmanager)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from crawler.clock import SHANGHAI
from crawler.exporter import SiteStateExporter
from crawler.indicators import load_indicators
from crawler.scoring import ColumnState, DeadLink, MessageState, ProbeSummary, SiteState
from scripts.alert_rules import ALERTMANAGER_CONFIG, count_alerts
from tests.conftest import CRAWL_SETTINGS, ROOT, free_port, run_farm, terminate

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Env

SITE_RULES = ROOT / "deploy" / "prometheus" / "rules" / "govcrawl-sites.rules.yml"
FOR_SECONDS = 5
PROBE_SETTINGS = ("-s", "GOVCRAWL_FRONTIER_PROBE_SECONDS=2")
EXPORTER_SETTINGS = (
    "-s", "GOVCRAWL_EXPORTER_ADDRESS=127.0.0.1",
    "-s", "GOVCRAWL_EXPORTER_BATCH_SIZE=500",
    "-s", "GOVCRAWL_EXPORTER_REFRESH_SECONDS=2",
)


def fast_rules(text: str) -> str:
    """The site rules with every `for:` cut to FOR_SECONDS and groups evaluated every second."""
    text, count = re.subn(r"^(\s+)for: \d+[smh]$", rf"\g<1>for: {FOR_SECONDS}s", text, flags=re.MULTILINE)
    assert count > 0, "no `for:` durations found in the site rules"
    text, count = re.subn(r"^(\s+)interval: \d+[smh]$", r"\g<1>interval: 1s", text, flags=re.MULTILINE)
    assert count > 0, "no group interval found in the site rules"
    return text


def prometheus_config(exporter_port: int) -> str:
    return (
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "rule_files:\n  - rules.yml\n"
        "scrape_configs:\n  - job_name: govcrawl-exporter\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
    )


def start_prometheus(work: Path, exporter_port: int) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not on PATH: install it with `apt-get install prometheus`")
    (work / "rules.yml").write_text(fast_rules(SITE_RULES.read_text(encoding="utf-8")), encoding="utf-8")
    (work / "prometheus.yml").write_text(prometheus_config(exporter_port), encoding="utf-8")
    port = free_port()
    with (work / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT)
    return process, port


def api(port: int, path: str, **query: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=5) as answer:
        payload: dict[str, Any] = json.loads(answer.read())
    return payload["data"]


def alerts(port: int) -> list[dict[str, Any]]:
    try:
        return list(api(port, "alerts")["alerts"])
    except (urllib.error.URLError, ConnectionError):
        return []  # still starting


def test_a_site_going_down_fires_gov_site_down(env: Env, tmp_path: Path) -> None:
    started = time.monotonic()
    exporter = prometheus = worker = None
    clean = ("--fault-rate", "0")
    with run_farm(tmp_path / "farm", sites=3, seed=21, base_ip="127.0.9.1", extra=clean) as farm:
        try:
            sites = farm.truth["sites"]
            assert not any(site["down"] for site in sites)
            victim, healthy = sites[1], [site for site in sites if site is not sites[1]]
            victim_ip = victim["url"].split("//", 1)[1].split(":", 1)[0]
            # Probes are first due within one probe interval of the seed: seed with the short one too.
            assert env.scrapy("seed", str(farm.registry), settings=PROBE_SETTINGS).returncode == 0
            crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=60)
            assert crawl.returncode == 0, crawl.stderr[-3000:]

            exporter_port = free_port()
            exporter = _spawn(env, tmp_path / "exporter.log", "exporter", "--port", str(exporter_port),
                              *EXPORTER_SETTINGS)
            prometheus, prometheus_port = start_prometheus(tmp_path, exporter_port)
            # The worker keeps running so the home page is probed every 2 s (a finished cycle is not due).
            worker = _spawn(env, tmp_path / "worker.log", "crawl", "govsite", *CRAWL_SETTINGS,
                            *PROBE_SETTINGS, "-s", "GOVCRAWL_ES_FLUSH_SECONDS=0.5")

            _wait(lambda: _site_up(prometheus_port, victim["site_id"]) == 1.0, 30,
                  "Prometheus never saw the victim site up", tmp_path)
            farm.call("POST", f"site/{victim_ip}/down")
            down_at = time.monotonic()
            pending = _wait(lambda: _state(prometheus_port, victim["site_id"]) in ("pending", "firing"), 30,
                            "GovSiteDown never went pending for the site taken down", tmp_path)
            firing = _wait(lambda: _state(prometheus_port, victim["site_id"]) == "firing", 20,
                           "GovSiteDown never fired", tmp_path)
            assert firing - pending >= FOR_SECONDS - 1.5, "fired before its shortened `for:` elapsed"
            active = [alert for alert in alerts(prometheus_port)
                      if alert["labels"]["alertname"] == "GovSiteDown"]
            assert {alert["labels"]["site_id"] for alert in active} == {victim["site_id"]}
            fired = active[0]
            assert fired["labels"]["severity"] == "warning" and fired["labels"]["check"] == "V-AVAIL"
            assert victim["name"] in fired["annotations"]["summary"]
            for site in healthy:
                assert _site_up(prometheus_port, site["site_id"]) == 1.0
            print(f"GovSiteDown pending {pending - down_at:.1f}s and firing {firing - down_at:.1f}s "
                  f"after the site went down; whole test {time.monotonic() - started:.0f}s")
        finally:
            terminate(worker)
            terminate(exporter)
            terminate(prometheus)


def _spawn(env: Env, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`scrapy ARGS` in the background, its output in a file (a pipe nobody reads would block it)."""
    with log.open("wb") as output:
        return subprocess.Popen([sys.executable, "-m", "scrapy", *args, *env.settings()], cwd=ROOT,
                                env=env.environ(), stdout=output, stderr=subprocess.STDOUT)


def _site_up(port: int, site_id: str) -> float | None:
    try:
        result = api(port, "query", query=f'govcrawl_site_up{{site_id="{site_id}"}}')["result"]
    except (urllib.error.URLError, ConnectionError):
        return None
    return float(result[0]["value"][1]) if result else None


def _state(port: int, site_id: str) -> str | None:
    for alert in alerts(port):
        if alert["labels"]["alertname"] == "GovSiteDown" and alert["labels"].get("site_id") == site_id:
            return str(alert["state"])
    return None


def _wait(condition: Any, timeout: float, message: str, work: Path) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.5)
    log = (work / "worker.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    exporter = (work / "exporter.log").read_text(encoding="utf-8", errors="replace")[-1500:]
    prom = (work / "prometheus.log").read_text(encoding="utf-8", errors="replace")[-1500:]
    pytest.fail(f"{message} within {timeout:.0f}s\n--- worker log ---\n{log}\n"
                f"--- exporter log ---\n{exporter}\n--- prometheus log ---\n{prom}")


def _demo_like_metrics(as_of: date) -> str:
    """The exporter's exposition for four sites built like the demo's: a stale one with dead links, one
    with only suspected vetoes, one down since its last good crawl, and a healthy one."""
    rules = load_indicators()
    probes = ProbeSummary(latest_ok=True, total_1d=24, total_7d=168)
    fresh = (ColumnState(name="要闻", url="http://a/news", type="news", level=1, latest_date=as_of, entries=9,
                         stale=False, empty=False),
             ColumnState(name="领导信箱", url="http://a/mail", type="consult", level=1, latest_date=as_of,
                         entries=9, stale=False, empty=False),
             ColumnState(name="办事服务", url="http://a/bs", type="service", level=1, latest_date=as_of,
                         entries=9, stale=False, empty=False))
    dead = tuple(DeadLink(url=f"http://a/x{index}", found_on="http://a/", on_homepage=True, status=404,
                          error="http", confirmed=True) for index in range(2))
    stale = SiteState(site_id="5101000001", name="成都市人民政府", url="http://a/", region="成都市",
                      level="city", probes=probes, home_fetched=True, error_report_link=True,
                      homepage_latest_date=as_of - timedelta(days=20), columns=fresh, dead_links=dead)
    asked = as_of - timedelta(days=150)
    suspected = replace(stale, site_id="5107000002", name="绵阳市人民政府", region="绵阳市",
                        homepage_latest_date=as_of, dead_links=(), columns=fresh[:1],
                        messages=(MessageState(url="m", column_url="c", asked_at=asked, answered_at=None),))
    down = replace(stale, site_id="5134000003", name="凉山州人民政府", region="凉山州",
                   probes=ProbeSummary(latest_ok=False, latest_error="timeout", total_1d=24, failed_1d=1,
                                       total_7d=168, failed_7d=1))
    healthy = replace(stale, site_id="5133000004", name="甘孜州人民政府", region="甘孜州",
                      homepage_latest_date=as_of, dead_links=())
    exporter = SiteStateExporter(lambda point: [stale, suspected, down, healthy], rules)
    assert exporter.refresh()
    registry = CollectorRegistry()
    registry.register(exporter)
    return generate_latest(registry).decode("utf-8")


def test_alerts_are_one_message_per_site_and_a_suspected_veto_never_pages(tmp_path: Path) -> None:
    """The generated site rules in a real Prometheus, routed by the shipped Alertmanager configuration."""
    as_of = datetime.now(SHANGHAI).date()
    counted = count_alerts(_demo_like_metrics(as_of), [SITE_RULES], ALERTMANAGER_CONFIG, tmp_path)
    fired = {(labels["site_id"], labels["alertname"], labels["severity"]) for labels in counted.firing}
    assert fired == {
        ("5101000001", "GovSiteHomepageStale", "critical"),
        ("5101000001", "GovSiteHomepageDeadLinks", "warning"),
        # Suspected: an unanswered message (V-REPLY), no consultation or service column are warnings.
        ("5107000002", "GovSiteUnansweredMessages", "warning"), ("5107000002", "GovSiteVeto", "warning"),
        ("5134000003", "GovSiteDown", "warning"), ("5134000003", "GovSiteHomepageStale", "critical"),
        ("5134000003", "GovSiteHomepageDeadLinks", "warning"),
    }
    # The down site's page-based alerts are held back while GovSiteDown fires.
    assert {(labels["site_id"], labels["alertname"]) for labels in counted.inhibited} == {
        ("5134000003", "GovSiteHomepageStale"), ("5134000003", "GovSiteHomepageDeadLinks")}
    messages = {receiver: sorted(labels["alertname"] for labels in alerts)
                for receiver, alerts in counted.groups}
    assert messages == {
        "chengdu-desk": ["GovSiteHomepageDeadLinks", "GovSiteHomepageStale"],
        "mianyang-desk": ["GovSiteUnansweredMessages", "GovSiteVeto", "GovSiteVeto"],
        "liangshan-desk": ["GovSiteDown"],
    }
    print(counted.summary())
