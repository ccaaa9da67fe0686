"""The self-contained HTML report: per-city summary, inline SVG charts, sites needing attention (Jinja2)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jinja2

from crawler.glossary import SITE_LEVELS, word
from crawler.reports import NO_OWNER, unreachable_reason

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.indicators import Indicators
    from crawler.reports import ReportMeta, SiteOwner
    from crawler.scoring import SiteResult, SiteState

_STALE_VETOES = frozenset({"V-HOME", "V-CORE", "V-STALE"})
_BAR_MAX_PX = 520


@dataclass(slots=True, frozen=True)
class SiteLine:
    """What the HTML keeps of one site: enough for the summary and the attention list."""

    site_id: str
    name: str
    url: str
    region: str
    level: str
    score: float | None
    verdict: str
    vetoes: tuple[str, ...]
    dead_links: int
    reachable: bool
    reason: str | None = None  # why the newest home-page probe failed (reports.unreachable_reason)
    owner: str = "未登记责任人"  # SiteOwner.label
    open_cases: int = 0
    overdue_cases: int = 0


@dataclass(slots=True)
class OwnerSummary:
    """One row of the per-owner table: the owner's sites, failing sites, open and overdue cases."""

    owner: str
    sites: int = 0
    fails: int = 0
    open_cases: int = 0
    overdue_cases: int = 0

    def add(self, line: SiteLine) -> None:
        self.sites += 1
        self.fails += line.verdict == "FAIL"
        self.open_cases += line.open_cases
        self.overdue_cases += line.overdue_cases


@dataclass(slots=True)
class CitySummary:
    """One row of the per-city table."""

    region: str
    sites: int = 0
    scored: int = 0
    score_total: float = 0.0
    fails: int = 0
    reviews: int = 0
    stale_sites: int = 0
    unreachable: int = 0
    dead_links: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * 10)

    @property
    def average_score(self) -> float | None:
        return round(self.score_total / self.scored, 1) if self.scored else None

    @property
    def passes(self) -> int:
        return self.scored - self.fails - self.reviews if self.scored >= self.fails + self.reviews else 0

    def add(self, line: SiteLine) -> None:
        self.sites += 1
        if line.score is not None:
            self.scored += 1
            self.score_total += line.score
            self.histogram[min(9, int(line.score // 10))] += 1
        self.fails += line.verdict == "FAIL"
        self.reviews += line.verdict == "REVIEW"
        self.stale_sites += bool(_STALE_VETOES.intersection(line.vetoes))
        self.unreachable += not line.reachable
        self.dead_links += line.dead_links


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("crawler.reports", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


class HtmlReportWriter:
    """Keeps one small SiteLine per site and renders report.html.j2 at close."""

    def __init__(self, path: Path, meta: ReportMeta, rules: Indicators) -> None:
        self.path = path
        self.meta = meta
        self.attention_rows = rules.report.html_attention_rows
        self.fail_below = rules.scoring.fail_below
        self._lines: list[SiteLine] = []
        self._template = _environment().get_template("report.html.j2")

    def add(self, state: SiteState, result: SiteResult, owner: SiteOwner = NO_OWNER) -> None:
        self._lines.append(SiteLine(
            site_id=state.site_id, name=state.name, url=state.url, region=state.region,
            level=word(SITE_LEVELS, state.level),
            score=result.score, verdict=result.verdict,
            vetoes=tuple(sorted({item.check for item in result.findings if item.severity == "veto"})),
            dead_links=len(state.dead_links), reachable=state.reachable, reason=unreachable_reason(state),
            owner=owner.label, open_cases=sum(1 for case in owner.cases if case.active),
            overdue_cases=sum(1 for case in owner.cases if case.overdue)))

    def close(self) -> None:
        cities: dict[str, CitySummary] = {}
        total = CitySummary(region="合计")
        for line in self._lines:
            cities.setdefault(line.region, CitySummary(region=line.region)).add(line)
            total.add(line)
        ordered = sorted(cities.values(), key=lambda city: city.region)
        owners: dict[str, OwnerSummary] = {}
        for line in self._lines:
            owners.setdefault(line.owner, OwnerSummary(owner=line.owner)).add(line)
        attention = sorted((line for line in self._lines if line.verdict in ("FAIL", "REVIEW")),
                           key=lambda line: (line.verdict != "FAIL",
                                             line.score if line.score is not None else -1.0))
        top_histogram = max(total.histogram) or 1
        html = self._template.render(
            meta=self.meta, cities=ordered, total=total, attention=attention[:self.attention_rows],
            attention_total=len(attention), fail_below=self.fail_below, bar_max=_BAR_MAX_PX,
            owners=sorted(owners.values(), key=lambda row: (-row.overdue_cases, -row.open_cases, row.owner)),
            histogram=[(f"{10 * index}–{10 * index + 10}", count,
                        round(200 * count / top_histogram)) for index, count in enumerate(total.histogram)],
        )
        partial = self.path.with_name(f".{self.path.name}.partial")
        partial.write_text(html, encoding="utf-8")
        os.replace(partial, self.path)
