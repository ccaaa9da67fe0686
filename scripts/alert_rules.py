"""Generate the site alert rules (Prometheus rules, Grafana alerting file) from crawler/indicators.yaml.

The thresholds (V-HOME's days, V-AVAIL's ratios and probe counts, the column counts), each alert's
severity (a veto line is critical only when indicators.yaml calls the check confirmed; a suspected
check, an early-warning line or a deduction is a warning) and the Chinese check names (crawler/glossary.py)
come from one place; nothing here is a number of its own except the `for:` durations.

    python -m scripts.alert_rules --write  # rewrite deploy/prometheus/rules/govcrawl-sites.rules.yml and
                                           # deploy/grafana/provisioning/alerting/govcrawl-stale-sites.yml
    python -m scripts.alert_rules --check  # exit 1 naming every file that is not what this makes now
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from crawler.glossary import CONFIDENCES, check_label, check_name, word
from crawler.indicators import load_indicators
from crawler.metrics_catalog import VETO_CHECKS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from crawler.indicators import Indicators

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS_RULES = ROOT / "deploy" / "prometheus" / "rules" / "govcrawl-sites.rules.yml"
GRAFANA_RULES = ROOT / "deploy" / "grafana" / "provisioning" / "alerting" / "govcrawl-stale-sites.yml"
ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
GRAFANA_DATASOURCE_UID = "govcrawl-prometheus"

# The site's name from govcrawl_site_info, else its id: a missing info series never silences an alert.
_WHO = ('{{ with printf "govcrawl_site_info{site_id=%q}" $labels.site_id | query }}'
        '{{ . | first | label "name" }}（{{ $labels.site_id }}）{{ else }}{{ $labels.site_id }} {{ end }}')
_LEVEL = "level {{ $labels.level }}"
_REGION = "Region {{ $labels.region }}"


_WHERE = "地市 {{ $labels.region }}。"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    """One Prometheus alerting rule: its expression, how long it must hold, labels and texts."""

    alert: str
    expr: str
    for_: str
    labels: dict[str, str]
    summary: str
    description: str
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _severity(rules: Indicators, check: str, *, veto_line: bool) -> str:
    """critical only for the veto line of a check indicators.yaml calls confirmed; else warning."""
    if not veto_line:
        return "warning"
    confidences = {
        "V-AVAIL": rules.vetoes.v_avail.confidence, "V-HOME": rules.vetoes.v_home.confidence,
        "V-CORE": rules.vetoes.v_core.confidence, "V-STALE": rules.vetoes.v_stale.confidence,
        "V-EMPTY": rules.vetoes.v_empty.confidence, "V-CHANNEL": rules.vetoes.v_channel.confidence,
        "V-REPLY": rules.vetoes.v_reply.confidence, "V-SERVICE": rules.vetoes.v_service.confidence,
    }
    return "critical" if confidences.get(check) == "confirmed" else "warning"


def _confidence(rules: Indicators, check: str) -> str:
    return "confirmed" if _severity(rules, check, veto_line=True) == "critical" else "suspected"


def _labels(rules: Indicators, check: str, *, veto_line: bool, **extra: str) -> dict[str, str]:
    confidence = _confidence(rules, check) if check.startswith("V-") else "confirmed"
    return {"severity": _severity(rules, check, veto_line=veto_line), "check": check,
            "confidence": confidence, **extra}


def _check_names(checks: Sequence[str]) -> str:
    """A template that shows a veto metric's check in Chinese (crawler/glossary.py CHECK_NAMES)."""
    branches = "".join(
        f'{{{{ {"if" if index == 0 else "else if"} eq $labels.check "{check}" }}}}{check_name(check)}'
        for index, check in enumerate(checks))
    return branches + "{{ end }}"


def _veto(check: str) -> str:
    """How a description names the veto: "单项否决 V-HOME（首页信息不更新）"."""
    label = check_label(check)
    code, _, name = label.partition(" ")
    return f"单项否决 {code}（{name}）" if name else f"单项否决 {code}"


def _homepage_rules(rules: Indicators) -> list[AlertRule]:
    home = rules.vetoes.v_home
    fail, warn = home.fail_days, home.warn_days
    age = "(time() - govcrawl_site_homepage_last_update_timestamp_seconds) / 86400"
    days = "{{ $value | humanize }}"
    summary = f"{_WHO}首页 {days} 天未更新 / home page not updated for {days} days"
    return [
        AlertRule(alert="GovSiteHomepageStale", expr=f"{age} >= {fail}", for_="30m",
                  labels=_labels(rules, "V-HOME", veto_line=True), summary=summary,
                  comment=f"V-HOME: no new home-page item in {fail} days (official); warn at {warn} days. "
                          "Value = days since update.",
                  description=f"首页超过 {fail} 天无新信息，触发{_veto('V-HOME')}。{_WHERE} / "
                              f"No new home-page item for {fail} days or more: veto V-HOME. "
                              f"{_REGION}, {_LEVEL}."),
        AlertRule(alert="GovSiteHomepageStale", expr=f"{age} >= {warn} < {fail}", for_="30m",
                  labels=_labels(rules, "V-HOME", veto_line=False), summary=summary,
                  description=f"首页已 {warn} 天无新信息，{fail} 天将触发{_veto('V-HOME')}。{_WHERE} / "
                              f"No new home-page item for {warn} days; at {fail} days this becomes veto "
                              f"V-HOME. {_REGION}, {_LEVEL}."),
    ]


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}"


def _availability_rules(rules: Indicators) -> list[AlertRule]:
    avail = rules.vetoes.v_avail
    fail, warn, least, days = avail.fail_ratio, avail.warn_ratio, avail.min_probes, avail.window_days
    day_least = avail.day_warn_min_probes
    share, window = "{{ $value | humanizePercentage }}", "{{ $labels.window }}"
    summary = f"{_WHO}{window} 不可访问率 {share} / unavailable {share} of probes over {window}"
    week = f'govcrawl_site_probe_count{{window="{days}d"}}'
    ratio = f'govcrawl_site_unavailable_ratio{{window="{days}d"}}'
    return [
        AlertRule(alert="GovSiteUnavailable", for_="15m", summary=summary,
                  expr=f"{ratio} >= {fail:g}\nand on (site_id) {week} >= {least}\n",
                  labels=_labels(rules, "V-AVAIL", veto_line=True, window=f"{days}d"),
                  comment=f"V-AVAIL: failures >= {_percent(fail)} % of >= {least} probes over {days} "
                          f"days (official); warn at {_percent(warn)} % over {days} days, or at "
                          f"{_percent(fail)} % over the last day (>= {day_least} probes) before the week's "
                          "ratio crosses the line.",
                  description=f"{days} 天探测失败率达到 {_percent(fail)}%（有效探测不少于 {least} 次），"
                              f"触发{_veto('V-AVAIL')}。{_WHERE} / At least {_percent(fail)} % of at least "
                              f"{least} home-page probes failed over {days} days: veto V-AVAIL. {_REGION}."),
        AlertRule(alert="GovSiteUnavailable", for_="15m", summary=summary,
                  expr=f"{ratio} >= {warn:g} < {fail:g}\nand on (site_id) {week} >= {least}\n",
                  labels=_labels(rules, "V-AVAIL", veto_line=False, window=f"{days}d"),
                  description=f"{days} 天探测失败率已达 {_percent(warn)}%，{_percent(fail)}% 将触发"
                              f"{_veto('V-AVAIL')}。{_WHERE} / {_percent(warn)} % of home-page probes failed "
                              f"over {days} days; {_percent(fail)} % is veto V-AVAIL. {_REGION}."),
        AlertRule(alert="GovSiteUnavailable", for_="15m", summary=summary,
                  expr=("(\n"
                        f'  govcrawl_site_unavailable_ratio{{window="1d"}} >= {fail:g}\n'
                        f'  and on (site_id) govcrawl_site_probe_count{{window="1d"}} >= {day_least}\n'
                        ")\nunless on (site_id) (\n"
                        f"  {ratio} >= {warn:g}\n"
                        f"  and on (site_id) {week} >= {least}\n"
                        ")\n"),
                  labels=_labels(rules, "V-AVAIL", veto_line=False, window="1d"),
                  description=f"近 1 天探测失败率达到 {_percent(fail)}%，持续下去 {days} 天比例将触发"
                              f"{_veto('V-AVAIL')}。{_WHERE} / {_percent(fail)} % of home-page probes failed "
                              f"over the last day; if it goes on, the {days}-day ratio becomes veto V-AVAIL. "
                              f"{_REGION}."),
        AlertRule(alert="GovSiteDown", expr="govcrawl_site_up == 0", for_="30m",
                  labels=_labels(rules, "V-AVAIL", veto_line=False),
                  comment="The newest home-page probe failed for 30 minutes: not an official item, an "
                          "operational page. Alertmanager inhibits the site's other alerts (their pages "
                          "cannot be read) while it fires.",
                  summary=f"{_WHO}首页无法访问 / home page down",
                  description=f"首页探测已连续 30 分钟失败，该网站其他告警暂停通知。{_WHERE} / "
                              "Home-page probes have failed for 30 minutes; the site's other alerts are held "
                              f"back. {_REGION}, {_LEVEL}."),
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _CountCheck:
    """A veto on a count of columns: its alert, what it sums and how staff and operators call it."""

    alert: str
    check: str
    expr: str
    zh: str  # what is counted, e.g. 空白栏目
    en: str  # e.g. empty columns
    zh_veto: str  # the official line's wording, with {fail}
    summary: str


def _count_checks() -> list[_CountCheck]:
    columns = "sum by (site_id, region, level) (govcrawl_site_columns{{{}}})"
    return [
        # As scoring counts them (empty news columns too, notice/policy at level 1 only): their own metric.
        _CountCheck(alert="GovSiteCoreColumnsStale", check="V-CORE",
                    expr="sum by (site_id, region, level) (govcrawl_site_core_columns_stale)",
                    zh="核心栏目未更新", en="stale news, notice or policy columns",
                    zh_veto="动态要闻 14 天、通知公告/政策文件 6 个月未更新的栏目达到 {fail} 个",
                    summary="{{ $value }} 个核心栏目未更新 / {{ $value }} core columns stale"),
        _CountCheck(alert="GovSiteColumnsStale", check="V-STALE", expr=columns.format('state=~"stale|empty"'),
                    zh="应更新未更新栏目", en="stale or empty columns",
                    zh_veto="应更新未更新栏目（含空白栏目）达到 {fail} 个",
                    summary="{{ $value }} 个栏目未按时更新 / {{ $value }} columns stale or empty"),
        _CountCheck(alert="GovSiteEmptyColumns", check="V-EMPTY", expr=columns.format('state="empty"'),
                    zh="空白栏目", en="empty columns", zh_veto="空白栏目达到 {fail} 个",
                    summary="{{ $value }} 个空白栏目 / {{ $value }} empty columns"),
    ]


def _column_rules(rules: Indicators) -> list[AlertRule]:
    limits = {"V-CORE": rules.vetoes.v_core, "V-STALE": rules.vetoes.v_stale, "V-EMPTY": rules.vetoes.v_empty}
    made: list[AlertRule] = []
    for count in _count_checks():
        limit = limits[count.check]
        fail, warn = limit.fail_count, limit.warn_count
        made.append(AlertRule(
            alert=count.alert, expr=f"{count.expr} >= {fail}", for_="30m", summary=_WHO + count.summary,
            labels=_labels(rules, count.check, veto_line=True),
            comment=f"{count.check}: {count.en} >= {fail} (indicators.yaml)"
                    + (f"; warn at {warn}." if warn is not None else "."),
            description=f"{count.zh_veto.format(fail=fail)}，触发{_veto(count.check)}。{_WHERE} / At least "
                        f"{fail} {count.en}: veto {count.check}. {_REGION}."))
        if warn is not None:
            made.append(AlertRule(
                alert=count.alert, expr=f"{count.expr} >= {warn} < {fail}", for_="30m",
                summary=_WHO + count.summary, labels=_labels(rules, count.check, veto_line=False),
                description=f"{count.zh}已达 {warn} 个，{fail} 个将触发{_veto(count.check)}。{_WHERE} / "
                            f"{warn} to {fail - 1} {count.en}; {fail} is veto {count.check}. {_REGION}."))
    return made


def _other_rules(rules: Indicators, covered: set[str]) -> list[AlertRule]:
    reply = rules.vetoes.v_reply
    months = round(reply.unanswered_days / 30)
    value = "{{ $value }}"
    others = [
        AlertRule(alert="GovSiteHomepageDeadLinks",
                  expr='govcrawl_site_broken_links{where="home", confidence="confirmed"} > 0',
                  for_="30m", labels=_labels(rules, "D-LINK-HOME", veto_line=False),
                  comment="D-LINK-HOME: confirmed broken links on the home page (a deduction each).",
                  summary=f"{_WHO}首页 {value} 个确认错链 / {value} confirmed broken links on the home page",
                  description=f"首页存在确认的错链（{check_label('D-LINK-HOME')}，每个扣分）。{_WHERE} / "
                              f"Confirmed broken links on the home page, each a deduction (D-LINK-HOME). "
                              f"{_REGION}."),
        AlertRule(alert="GovSiteUnansweredMessages", expr="govcrawl_site_unanswered_messages > 0", for_="30m",
                  labels=_labels(rules, "V-REPLY", veto_line=True),
                  comment=f"V-REPLY: consultation messages unanswered for more than {reply.unanswered_days} "
                          f"days within the last {reply.lookback_months} months; {reply.confidence} in "
                          "indicators.yaml.",
                  summary=f"{_WHO}{value} 条留言超过 {months} 个月未答复 / {value} messages "
                          f"unanswered for over {months} months",
                  description=f"近一年内有咨询留言超过 {months} 个月未答复，触发{_veto('V-REPLY')}，"
                              f"需人工确认留言有效。{_WHERE} / Consultation messages unanswered for over "
                              f"{months} months within the last year: veto V-REPLY (a human confirms the "
                              f"messages are valid). {_REGION}."),
    ]
    covered |= {rule.labels["check"] for rule in others}
    rest = [check for check in VETO_CHECKS if check not in covered]
    selector = "|".join(rest)
    for confidence, severity in (("confirmed", "critical"), ("suspected", "warning")):
        others.append(AlertRule(
            alert="GovSiteVeto",
            expr=f'govcrawl_site_veto{{check=~"{selector}", confidence="{confidence}"}} == 1',
            for_="30m", labels={"severity": severity},
            comment=("Veto checks no rule above watches, as the evaluator decides them (check and confidence "
                     "labels come from govcrawl_site_veto): critical only when confirmed.")
            if severity == "critical" else "",
            summary=f"{_WHO}单项否决 {{{{ $labels.check }}}} {_check_names(rest)}"
                    f"（{word(CONFIDENCES, confidence)}） / veto {{{{ $labels.check }}}} ({confidence})",
            description=("检查项 {{ $labels.check }} 判定为单项否决"
                         + ("，网站检查结论为不合格。" if severity == "critical"
                            else "（疑似），请人工确认。")
                         + f"{_WHERE} / Veto check {{{{ $labels.check }}}} is "
                         + ("true: the site fails the check." if severity == "critical"
                            else "suspected: a person confirms it.")
                         + f" {_REGION}, level {{{{ $labels.level }}}}.")))
    return others


def site_alert_rules(rules: Indicators) -> list[AlertRule]:
    """Every per-site alerting rule, in file order."""
    made = _homepage_rules(rules) + _availability_rules(rules) + _column_rules(rules)
    covered = {rule.labels["check"] for rule in made}
    return made + _other_rules(rules, covered)


# --- writing -------------------------------------------------------------------------------------

def with_supervisor(expr: str) -> str:
    """The expression with the site's supervising office (govcrawl_site_info's supervisor label) copied
    onto each result, so Alertmanager can route by it; a site without an info series keeps its alert."""
    inner = "\n  ".join(expr.strip("\n").split("\n"))
    return (f"(\n  {inner}\n)\n* on (site_id) group_left (supervisor) govcrawl_site_info\n"
            f"or on (site_id) (\n  {inner}\n)\n")


def _plain_or_quoted(text: str) -> str:
    """A YAML scalar for one line: plain when it reads back the same, else single-quoted."""
    try:
        plain_ok = yaml.safe_load(f"key: {text}") == {"key": text} and not text.startswith(("'", '"'))
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok else "'" + text.replace("'", "''") + "'"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _block(key: str, text: str, indent: int) -> list[str]:
    pad = " " * indent
    if "\n" not in text.rstrip("\n"):
        return [f"{pad}{key}: {_plain_or_quoted(text.rstrip(chr(10)))}"]
    return [f"{pad}{key}: |", *(f"{pad}  {line}" for line in text.rstrip("\n").split("\n"))]


_PROMETHEUS_HEADER = """\
# GENERATED by `python -m scripts.alert_rules --write` from crawler/indicators.yaml and crawler/glossary.py:
# edit those, not this file (tests/test_alert_rules.py fails while it is out of date).
# Per-site alerts on the check indicators. Critical = the official (veto) line of a check indicators.yaml
# calls confirmed; warning = a suspected check, our early-warning line below the veto line, or a deduction.
# Every alert carries severity, check (indicator id), confidence, site_id, region and level, and the
# registry's supervising office (supervisor, copied from govcrawl_site_info) when it names one, for routing;
# the site's name is looked up from govcrawl_site_info in the annotations. A missing info series never
# silences an alert.
# Warning expressions stop where the critical one starts: one alert per site and rule at a time.
"""


def render_prometheus_rules(rules: Indicators) -> str:
    """The text of deploy/prometheus/rules/govcrawl-sites.rules.yml."""
    lines = [_PROMETHEUS_HEADER.rstrip("\n"), "groups:", "  - name: govcrawl-sites", "    interval: 1m",
             "    rules:"]
    previous = ""
    for rule in site_alert_rules(rules):
        if rule.alert != previous and previous:
            lines.append("")
        lines.extend(f"      # {line}" for line in textwrap.wrap(rule.comment, 100))
        previous = rule.alert
        lines.append(f"      - alert: {rule.alert}")
        lines.extend(_block("expr", with_supervisor(rule.expr), 8))
        lines.append(f"        for: {rule.for_}")
        lines.append("        labels:")
        lines.extend(f"          {key}: {_plain_or_quoted(value)}" for key, value in rule.labels.items())
        lines.append("        annotations:")
        lines.append(f"          summary: {_quoted(rule.summary)}")
        lines.append(f"          description: {_quoted(rule.description)}")
    return "\n".join(lines) + "\n"


_GRAFANA_HEADER = """\
# GENERATED by `python -m scripts.alert_rules --write` from crawler/indicators.yaml and crawler/glossary.py:
# edit those, not this file. Grafana-managed alert rules for stale sites, for desks that watch Grafana
# rather than Alertmanager: the same lines as deploy/prometheus/rules/govcrawl-sites.rules.yml (V-HOME and
# its warning, V-CORE, V-STALE). Each PromQL query keeps only the sites past the line, so "no data" means
# "no stale site" (noDataState OK).
"""

_GRAFANA_RULES = (("GovSiteHomepageStale", "critical", "govcrawl-homepage-stale-critical"),
                  ("GovSiteHomepageStale", "warning", "govcrawl-homepage-stale-warning"),
                  ("GovSiteCoreColumnsStale", "critical", "govcrawl-core-columns-stale"),
                  ("GovSiteColumnsStale", "critical", "govcrawl-columns-stale"))


def _grafana_text(text: str) -> str:
    """A Prometheus annotation as Grafana templates it: the value is $values.B.Value, no name lookup."""
    text = text.replace(_WHO, "{{ $labels.site_id }}（{{ $labels.region }}）")
    text = text.replace("{{ $value | humanize }}", "{{ humanize $values.B.Value }}")
    return text.replace("{{ $value }}", "{{ $values.B.Value }}")


def _grafana_title(rule: AlertRule) -> str:
    summary = rule.summary.replace(_WHO, "")
    zh, _, en = summary.partition(" / ")
    number = rule.expr.rsplit(">=", 1)[-1].split("<")[0].strip()
    for value in ("{{ $value | humanize }}", "{{ $value }}"):
        zh, en = zh.replace(value, number), en.replace(value, number)
    return f"{rule.alert} {rule.labels['severity']}: {check_label(rule.labels['check'])} — {zh} / {en}"


def render_grafana_rules(rules: Indicators) -> str:
    """The text of deploy/grafana/provisioning/alerting/govcrawl-stale-sites.yml."""
    by_key = {(rule.alert, rule.labels["severity"]): rule for rule in site_alert_rules(rules)}
    lines = [_GRAFANA_HEADER.rstrip("\n"), "apiVersion: 1", "groups:", "  - orgId: 1",
             "    name: govcrawl-stale-sites", "    folder: govcrawl", "    interval: 5m", "    rules:"]
    for alert, severity, uid in _GRAFANA_RULES:
        rule = by_key[alert, severity]
        labels = ", ".join(f"{key}: {value}" for key, value in rule.labels.items())
        lines += [
            f"      - uid: {uid}",
            f"        title: {_quoted(_grafana_title(rule))}",
            "        condition: C",
            "        data:",
            "          - refId: A",
            "            relativeTimeRange: {from: 600, to: 0}",
            f"            datasourceUid: {GRAFANA_DATASOURCE_UID}",
            "            model:",
            "              refId: A",
            "              instant: true",
            f"              expr: {_quoted(rule.expr)}",
            "          - refId: B",
            "            datasourceUid: __expr__",
            "            model: {refId: B, type: reduce, expression: A, reducer: last}",
            "          - refId: C",
            "            datasourceUid: __expr__",
            "            model:",
            "              refId: C",
            "              type: threshold",
            "              expression: B",
            "              conditions:",
            "                - evaluator: {type: gt, params: [0]}",
            "        noDataState: OK",
            "        execErrState: Error",
            f"        for: {rule.for_}",
            f"        labels: {{{labels}}}",
            "        annotations:",
            f"          summary: {_quoted(_grafana_text(rule.summary))}",
            f"          description: {_quoted(_grafana_text(rule.description))}",
        ]
    return "\n".join(lines) + "\n"


def rendered_files(rules: Indicators | None = None) -> dict[Path, str]:
    """Every generated file and the text this generator makes for it now."""
    rules = rules or load_indicators()
    return {PROMETHEUS_RULES: render_prometheus_rules(rules), GRAFANA_RULES: render_grafana_rules(rules)}


def outdated_files(files: dict[Path, str] | None = None) -> list[Path]:
    """The generated files that are missing or differ from what the generator makes now."""
    files = files if files is not None else rendered_files()
    return [path for path, text in files.items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


# --- counting: the rules against a metrics snapshot, in a real Prometheus and Alertmanager ----------

FAST_FOR = "2s"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertCount:
    """What a real Prometheus fires and a real Alertmanager would send for one metrics snapshot."""

    firing: tuple[dict[str, str], ...]  # Prometheus: labels of every firing alert
    notified: tuple[dict[str, str], ...]  # Alertmanager: active (not inhibited, not silenced) alerts
    inhibited: tuple[dict[str, str], ...]
    groups: tuple[tuple[str, tuple[dict[str, str], ...]], ...]  # (receiver, active alerts): one message each

    def summary(self) -> str:
        """A few lines for people: alerts by name and severity, then messages."""
        by_rule = Counter((labels["alertname"], labels.get("severity", "")) for labels in self.firing)
        lines = [f"Prometheus: {len(self.firing)} firing alerts "
                 f"({sum(1 for labels in self.firing if labels.get('severity') == 'critical')} critical)"]
        lines += [f"  {count:4d} {name} {severity}" for (name, severity), count in sorted(by_rule.items())]
        critical = sum(1 for _, alerts in self.groups if any(a.get("severity") == "critical" for a in alerts))
        receivers = Counter(receiver for receiver, _ in self.groups)
        lines.append(f"Alertmanager: {len(self.notified)} alerts notified, {len(self.inhibited)} inhibited; "
                     f"{len(self.groups)} messages ({critical} with a critical alert); per receiver: "
                     + ", ".join(f"{name} {count}" for name, count in sorted(receivers.items())))
        return "\n".join(lines)


def fast(text: str) -> str:
    """A rule file with every `for:` cut to FAST_FOR and groups evaluated every second."""
    text = re.sub(r"^(\s+)for: \d+[smh]$", rf"\g<1>for: {FAST_FOR}", text, flags=re.MULTILINE)
    return re.sub(r"^(\s+)interval: \d+[smh]$", r"\g<1>interval: 1s", text, flags=re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _serve(body: bytes) -> http.server.ThreadingHTTPServer:
    class Metrics(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


def _labels_of(alerts: object) -> list[dict[str, Any]]:
    return [alert for alert in alerts if isinstance(alert, dict)] if isinstance(alerts, list) else []


def count_alerts(metrics: str, rule_files: Sequence[Path], alertmanager_config: Path, work: Path, *,
                 timeout: float = 90.0) -> AlertCount:
    """Serve `metrics`, evaluate the rules (fast `for:`) in Prometheus, route them in Alertmanager
    (fast group_wait) and return what fires and what would be sent once both have settled."""
    server = _serve(metrics.encode("utf-8"))
    work.mkdir(parents=True, exist_ok=True)
    names = []
    for index, path in enumerate(rule_files):
        name = f"rules-{index}.yml"
        (work / name).write_text(fast(path.read_text(encoding="utf-8")), encoding="utf-8")
        names.append(name)
    routing = alertmanager_config.read_text(encoding="utf-8")
    routing = re.sub(r"group_wait: \S+", "group_wait: 1s", routing)
    (work / "alertmanager.yml").write_text(re.sub(r"group_interval: \S+", "group_interval: 2s", routing),
                                           encoding="utf-8")
    manager_port, prometheus_port = _free_port(), _free_port()
    (work / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n"
        + "".join(f"  - {name}\n" for name in names)
        + "alerting:\n  alertmanagers:\n    - static_configs:\n"
        + f"        - targets: ['127.0.0.1:{manager_port}']\n"
        + "scrape_configs:\n  - job_name: govcrawl-exporter\n    static_configs:\n"
        + f"      - targets: ['127.0.0.1:{server.server_port}']\n", encoding="utf-8")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with (work / "services.log").open("wb") as log:
            processes.append(subprocess.Popen(
                [_binary("prometheus-alertmanager"), f"--config.file={work / 'alertmanager.yml'}",
                 f"--storage.path={work / 'alertmanager'}", f"--web.listen-address=127.0.0.1:{manager_port}",
                 "--cluster.listen-address="], stdout=log, stderr=subprocess.STDOUT))
            processes.append(subprocess.Popen(
                [_binary("prometheus"), f"--config.file={work / 'prometheus.yml'}",
                 f"--storage.tsdb.path={work / 'prometheus'}",
                 f"--web.listen-address=127.0.0.1:{prometheus_port}"],
                stdout=log, stderr=subprocess.STDOUT))
        return _settled(prometheus_port, manager_port, timeout)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        server.shutdown()
        server.server_close()


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} is not on PATH (apt-get install prometheus prometheus-alertmanager)")
    return path


def _settled(prometheus_port: int, manager_port: int, timeout: float) -> AlertCount:
    """Poll until Prometheus fires the same alerts twice running and Alertmanager holds all of them."""
    deadline, previous = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        time.sleep(2)
        try:
            answer = _get(f"http://127.0.0.1:{prometheus_port}/api/v1/alerts")
            held = _labels_of(_get(f"http://127.0.0.1:{manager_port}/api/v2/alerts"))
            grouped = _labels_of(_get(f"http://127.0.0.1:{manager_port}/api/v2/alerts/groups"))
        except (OSError, ValueError):
            continue  # still starting
        alerts = _labels_of(answer.get("data", {}).get("alerts") if isinstance(answer, dict) else None)
        firing = tuple(sorted((dict(alert["labels"]) for alert in alerts if alert["state"] == "firing"),
                              key=lambda labels: sorted(labels.items())))
        pending = any(alert["state"] == "pending" for alert in alerts)
        if pending or not firing or firing != previous or len(held) < len(firing):
            previous = firing
            continue
        notified = tuple(dict(alert["labels"]) for alert in held if alert["status"]["state"] == "active")
        inhibited = tuple(dict(alert["labels"]) for alert in held if alert["status"]["inhibitedBy"])
        groups = tuple((group["receiver"]["name"],
                        tuple(dict(alert["labels"]) for alert in group["alerts"]
                              if alert["status"]["state"] == "active"))
                       for group in grouped)
        return AlertCount(firing=firing, notified=notified, inhibited=inhibited,
                          groups=tuple(group for group in groups if group[1]))
    raise TimeoutError(f"the alerts did not settle within {timeout:.0f}s")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the rule files, or with --check report (exit 1) the ones that are out of date."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite the generated rule files")
    action.add_argument("--check", action="store_true",
                        help="only check that the checked-in files are current")
    action.add_argument("--count", type=Path, metavar="METRICS",
                        help="count the alerts a metrics snapshot (scrapy exporter --once) fires and sends")
    parser.add_argument("--rules", type=Path, nargs="+", default=[PROMETHEUS_RULES],
                        help="rule files for --count (default: the site rules)")
    parser.add_argument("--alertmanager", type=Path, default=ALERTMANAGER_CONFIG,
                        help="Alertmanager configuration for --count (default: %(default)s)")
    parser.add_argument("--indicators", type=Path, help="another indicators.yaml (default: the shipped one)")
    args = parser.parse_args(argv)
    try:
        files = rendered_files(load_indicators(args.indicators) if args.indicators else None)
    except ValueError as exc:
        logger.error("%s", exc)  # an expected failure: one line, no traceback
        return 2
    if args.count:
        with tempfile.TemporaryDirectory(prefix="alert-count-") as work:
            try:
                counted = count_alerts(args.count.read_text(encoding="utf-8"), args.rules, args.alertmanager,
                                       Path(work))
            except (OSError, TimeoutError) as exc:
                logger.error("cannot count the alerts: %s", exc)
                return 2
        print(counted.summary())
        return 0
    if args.check:
        outdated = outdated_files(files)
        for path in outdated:
            logger.error("%s is out of date: run python -m scripts.alert_rules --write",
                         path.relative_to(ROOT))
        return 1 if outdated else 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        logger.info("wrote %s", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
