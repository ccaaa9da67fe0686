"""Report writers: one site at a time into .json, .xlsx or .html, chosen by the file extension."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from crawler.glossary import probe_failure

if TYPE_CHECKING:
    from datetime import date, datetime
    from pathlib import Path

    from crawler.cases import CaseItem
    from crawler.indicators import Indicators
    from crawler.items import FindingItem
    from crawler.scoring import DeadLink, Finding, SiteResult, SiteState

SCHEMA = "govcrawl.report/1"
FORMATS = (".json", ".xlsx", ".html")


@dataclass(slots=True, kw_only=True)
class QuarterlyReportItem:
    """A quarterly report as issued (govcrawl-quarterly, id = (quarter, region)): its JSON `body` is
    what `scrapy report --quarter` writes again for that quarter later, whatever the data then."""

    quarter: str  # 2026Q4
    region: str  # "" for every region
    generated_at: datetime
    final: bool  # made after the quarter ended: issued as it stands
    body: str  # the report document as JSON text (kept in _source, not searched)


@dataclass(slots=True, frozen=True)
class ReportMeta:
    """What a report is about: when it was made, the day judged, an optional region filter."""

    generated_at: datetime
    as_of: date
    region: str | None = None


@dataclass(slots=True, frozen=True)
class SiteOwner:
    """Who answers for a site (registry columns owner, contact, supervisor) and the site's cases."""

    owner: str = ""
    contact: str = ""
    supervisor: str = ""
    cases: tuple[CaseItem, ...] = ()

    @property
    def label(self) -> str:
        """The owner as staff read it in groupings: person and office, or 未登记责任人."""
        named = " / ".join(part for part in (self.owner, self.supervisor) if part)
        return named or "未登记责任人"


NO_OWNER = SiteOwner()


class ReportWriter(Protocol):
    """Receives every site once, in site_id order, then is closed."""

    def add(self, state: SiteState, result: SiteResult, owner: SiteOwner = NO_OWNER) -> None: ...

    def close(self) -> None: ...


def report_format(path: Path) -> str:
    """The format of a report path; ValueError naming the supported extensions otherwise."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot write a report to {path}: the extension {suffix or '(none)'!r} is not one "
                         f"of {', '.join(FORMATS)}; name it e.g. report.json, report.xlsx or report.html")
    return suffix


def open_writer(path: Path, meta: ReportMeta, rules: Indicators) -> ReportWriter:
    """The writer for the format named by the extension of `path`."""
    suffix = report_format(path)
    if suffix == ".json":
        from crawler.reports.json_report import JsonReportWriter  # noqa: PLC0415
        return JsonReportWriter(path, meta)
    if suffix == ".xlsx":
        from crawler.reports.xlsx_report import XlsxReportWriter  # noqa: PLC0415
        return XlsxReportWriter(path, meta)
    from crawler.reports.html_report import HtmlReportWriter  # noqa: PLC0415
    return HtmlReportWriter(path, meta, rules)


def unreachable_reason(state: SiteState) -> str | None:
    """Why the site's newest home-page probe failed; None when it succeeded or no probe ran yet."""
    if state.probes.latest_ok is not False:
        return None
    return probe_failure(state.probes.latest_error, state.probes.latest_status)


# The error kinds the report format lists for dead links; finer kinds (blocked, too_large, ...) are "other"
# there and keep their name in the additive `error_kind`.
CONTRACT_LINK_ERRORS = frozenset({"http", "soft404", "dns", "timeout", "refused", "tls", "redirect_loop",
                                  "too_many_redirects", "other"})


def link_error(link: DeadLink) -> str:
    """The contract's error kind of a dead link ("http" when only a status is known)."""
    if link.error:
        return link.error
    return "http" if link.status else "other"


def _contract_error(kind: str) -> str:
    return kind if kind in CONTRACT_LINK_ERRORS else "other"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as the report lists it (contract keys first, then key, confidence, evidence, stale_data)."""
    return {"check": finding.check, "severity": finding.severity, "points": finding.points,
            "detail": finding.detail, "key": finding.key, "confidence": finding.confidence,
            "evidence": list(finding.evidence), "stale_data": finding.stale_data}


def case_record(case: CaseItem) -> dict[str, Any]:
    """A case as reports list it (status also in staff words)."""
    from crawler.cases import STATUS_NAMES  # noqa: PLC0415  (crawler.cases imports this package)

    return {"case_id": case.case_id, "check": case.check, "subject": case.subject, "severity": case.severity,
            "status": case.status, "status_name": STATUS_NAMES[case.status], "detail": case.detail,
            "first_seen": case.first_seen.isoformat(), "last_seen": case.last_seen.isoformat(),
            "due_date": case.due_date.isoformat(), "overdue": case.overdue, "repeat": case.repeat,
            "fixed_at": case.fixed_at.isoformat() if case.fixed_at else None, "decision": case.decision,
            "decided_by": case.decided_by}


def site_record(state: SiteState, result: SiteResult, owner: SiteOwner = NO_OWNER) -> dict[str, Any]:
    """One entry of the report's `sites` (docs/operations.md), plus `verdict`, the info-level `warnings`, the
    `reason` the home page is unreachable (None when reachable), the owner and the site's cases."""
    return {
        "site_id": state.site_id, "name": state.name, "url": state.url, "region": state.region,
        "level": state.level, "reachable": state.reachable, "reason": unreachable_reason(state),
        "availability": state.availability,
        "homepage_latest_date": _day(state.homepage_latest_date),
        "columns": [{"name": column.name, "url": column.url, "type": column.type,
                     "latest_date": _day(column.latest_date),
                     "entries": column.entries, "stale": column.stale, "empty": column.empty}
                    for column in state.columns],
        "dead_links": [{"url": link.url, "found_on": link.found_on, "on_homepage": link.on_homepage,
                        "status": link.status, "error": _contract_error(link_error(link)),
                        "error_kind": link_error(link), "confirmed": link.confirmed}
                       for link in state.dead_links],
        "findings": [finding_record(finding) for finding in result.findings if finding.severity != "info"],
        "score": result.score,
        "verdict": result.verdict,
        "warnings": [finding_record(finding) for finding in result.findings if finding.severity == "info"],
        "owner": owner.owner, "contact": owner.contact, "supervisor": owner.supervisor,
        "cases": [case_record(case) for case in owner.cases],
    }


def finding_items(state: SiteState, result: SiteResult, as_of: date,
                  computed_at: datetime) -> list[FindingItem]:
    """The findings of a site as documents of govcrawl-findings."""
    from crawler.items import FindingItem  # noqa: PLC0415

    return [FindingItem(site_id=state.site_id, region=state.region, level=state.level, check=finding.check,
                        severity=finding.severity, points=finding.points, detail=finding.detail,
                        confidence=finding.confidence, as_of=as_of, computed_at=computed_at, key=finding.key,
                        evidence=list(finding.evidence), stale_data=finding.stale_data)
            for finding in result.findings]
