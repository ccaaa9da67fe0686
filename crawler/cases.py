"""The case ledger: one case per (site, check, subject) from found to fixed (GOVCRAWL_CASES_* settings).

A case opens when a report (or a worklist) first finds a problem, is notified to the site's owner,
is fixed when a re-crawl of the site no longer finds it, or is closed as a false alarm by a reviewer;
a fixed case found again, or a false alarm whose evidence changed, is reopened. Every transition is
kept with who made it and when. The transitions here are pure; `CaseStore` reads and writes them in
`<prefix>-cases` (crawler.es_schema maps `CaseItem`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from elasticsearch import NotFoundError
from elasticsearch.helpers import streaming_bulk

from crawler.content_findings import TYPO_CHECK
from crawler.glossary import CASE_STATUSES, REVIEW_DECISIONS
from crawler.naming import index_name
from crawler.scoring import judge_findings, score_site

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from elasticsearch import Elasticsearch
    from scrapy.settings import BaseSettings

    from crawler.indicators import Indicators
    from crawler.scoring import DeadLink, Finding, SiteResult, SiteState

logger = logging.getLogger(__name__)

CaseStatus = Literal["open", "notified", "fixed", "false_alarm", "reopened"]
Decision = Literal["", "confirmed", "false_alarm"]
ACTIVE: Final[frozenset[str]] = frozenset({"open", "notified", "reopened"})
SYSTEM: Final = "系统"
_WRITE_ATTEMPTS: Final = 3
# What staff read for each status and decision (reports, worklists, notifications): the glossary's words.
STATUS_NAMES: Final[Mapping[str, str]] = CASE_STATUSES
DECISION_NAMES: Final[dict[str, str]] = {"": "", "confirmed": REVIEW_DECISIONS["confirm"],
                                         "false_alarm": CASE_STATUSES["false_alarm"]}


@dataclass(slots=True, frozen=True, kw_only=True)
class CaseRules:
    """Due days per severity, and when a site's cases of one check make it a repeat offender."""

    due_days: dict[str, int]
    repeat_quarters: int = 4
    repeat_count: int = 3

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CaseRules:
        """GOVCRAWL_CASES_DUE_DAYS_VETO / _DEDUCTION, GOVCRAWL_CASES_REPEAT_QUARTERS / _COUNT."""
        rules = cls(due_days={"veto": settings.getint("GOVCRAWL_CASES_DUE_DAYS_VETO"),
                              "deduction": settings.getint("GOVCRAWL_CASES_DUE_DAYS_DEDUCTION")},
                    repeat_quarters=settings.getint("GOVCRAWL_CASES_REPEAT_QUARTERS"),
                    repeat_count=settings.getint("GOVCRAWL_CASES_REPEAT_COUNT"))
        if min(rules.due_days.values()) < 1 or rules.repeat_quarters < 1 or rules.repeat_count < 2:
            raise ValueError("GOVCRAWL_CASES_DUE_DAYS_* must be at least 1 day, "
                             "GOVCRAWL_CASES_REPEAT_QUARTERS "
                             "at least 1 and GOVCRAWL_CASES_REPEAT_COUNT at least 2")
        return rules


@dataclass(slots=True, kw_only=True)
class CaseItem:
    """One problem of one site (govcrawl-cases, id = case_id): what was found, its status and history.

    `subject` is what the finding is about (a link and its page, a column URL, a missing mark);
    "" for a check that judges the whole site. `history` holds every transition as
    {"at", "by", "from", "to", "why"}.
    """

    case_id: str
    site_id: str
    name: str
    region: str
    level: str
    owner: str = ""
    check: str
    subject: str = ""
    severity: Literal["veto", "deduction"]
    confidence: Literal["confirmed", "suspected"]
    points: float = 0.0
    detail: str = ""
    evidence: list[str] = field(default_factory=list)
    evidence_hash: str = ""
    status: CaseStatus = "open"
    first_seen: datetime
    last_seen: datetime
    last_checked: datetime
    due_date: date
    overdue: bool = False
    repeat: bool = False
    reopened: int = 0
    notified_at: datetime | None = None
    fixed_at: datetime | None = None
    decision: Decision = ""
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_evidence: str = ""  # evidence_hash when the decision was made
    history: list[dict[str, str]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Still to be fixed: open, notified or reopened."""
        return self.status in ACTIVE


@dataclass(slots=True, frozen=True, kw_only=True)
class Observation:
    """A finding of a report run, as the ledger sees it."""

    site_id: str
    name: str
    region: str
    level: str
    owner: str
    check: str
    subject: str
    severity: Literal["veto", "deduction"]
    confidence: Literal["confirmed", "suspected"]
    points: float
    detail: str
    evidence: tuple[str, ...]

    @property
    def case_id(self) -> str:
        return case_id(self.site_id, self.check, self.subject)

    @property
    def evidence_hash(self) -> str:
        return _digest("\n".join(sorted(self.evidence)))


class CaseError(ValueError):
    """A transition a case does not allow (a decision on a fixed case, ...); the message names it."""


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def case_id(site_id: str, check: str, subject: str) -> str:
    """The id of the case of (site, check, subject): the same problem always gets the same id."""
    return _digest(f"{site_id}\x1f{check}\x1f{subject}")


PER_LINK_CHECK: Final = "D-LINK-OTHER"  # one finding for all its links; one case per link


def link_subject(link: DeadLink) -> str:
    """The subject of a broken link's case: the link and the page it is on (as D-LINK-HOME keys)."""
    return f"{link.url} {link.found_on}"


def other_broken_links(state: SiteState, rules: Indicators) -> list[DeadLink]:
    """The broken links D-LINK-OTHER counts (crawler.scoring._links): counted ones, off the home page,
    not a form of a service page."""
    service_pages = {page.url for page in state.service_pages}
    return [link for link in state.dead_links
            if (link.confirmed or rules.scoring.count_suspected_links) and not link.on_homepage
            and not (link.target_kind == "attachment" and link.found_on in service_pages)]


def _subjects(state: SiteState, finding: Finding, rules: Indicators | None) -> list[Finding]:
    """A finding as its cases see it: D-LINK-OTHER split into one finding per link, others as they are."""
    if finding.check != PER_LINK_CHECK or finding.key or rules is None:
        return [finding]
    return [dataclasses.replace(
        finding, key=link_subject(link), points=rules.points(PER_LINK_CHECK),
        confidence="confirmed" if link.confirmed else "suspected", evidence=(link.url, link.found_on),
        detail=f"其他页面错链 {link.url}（{_link_kind(link)}）") for link in other_broken_links(state, rules)]


def _link_kind(link: DeadLink) -> str:
    return " ".join(str(part) for part in (link.error or "http", link.status) if part)


def observations(state: SiteState, result: SiteResult, owner: str = "",
                 rules: Indicators | None = None) -> list[Observation]:
    """The findings of a site that become cases (vetoes and deductions; warnings do not), one per subject;
    with `rules`, D-LINK-OTHER gives one per broken link."""
    found: dict[tuple[str, str], Observation] = {}
    for finding in (part for whole in result.findings for part in _subjects(state, whole, rules)):
        if finding.severity == "info":
            continue
        key = (finding.check, finding.key)
        if key in found:
            logger.warning("Site %(site)s has two %(check)s findings about %(subject)r: the case keeps the "
                           "first", {"site": state.site_id, "check": finding.check, "subject": finding.key})
            continue
        found[key] = Observation(
            site_id=state.site_id, name=state.name, region=state.region, level=state.level, owner=owner,
            check=finding.check, subject=finding.key, severity=finding.severity,
            confidence=finding.confidence, points=finding.points, detail=finding.detail,
            evidence=finding.evidence)
    return list(found.values())


def worklist_findings(state: SiteState, result: SiteResult, rules: Indicators) -> list[Finding]:
    """The findings a worklist lists, one row each: D-LINK-OTHER one per link, so each gets its verdict."""
    return [part for whole in result.findings for part in _subjects(state, whole, rules)]


def _moved(case: CaseItem, to: CaseStatus, *, at: datetime, by: str, why: str) -> CaseItem:
    """The case in status `to`, the transition appended to its history."""
    entry = {"at": at.isoformat(), "by": by, "from": case.status, "to": to, "why": why}
    return dataclasses.replace(case, status=to, history=[*case.history, entry])


def _seen(case: CaseItem, seen: Observation, at: datetime) -> CaseItem:
    return dataclasses.replace(case, name=seen.name, region=seen.region, level=seen.level, owner=seen.owner,
                               severity=seen.severity, points=seen.points, detail=seen.detail,
                               evidence=list(seen.evidence), evidence_hash=seen.evidence_hash, last_seen=at,
                               last_checked=at,
                               confidence="confirmed" if case.decision == "confirmed" else seen.confidence)


def _due(severity: str, day: date, rules: CaseRules) -> date:
    return day + timedelta(days=rules.due_days.get(severity, max(rules.due_days.values())))


def observe(case: CaseItem | None, seen: Observation, *, at: datetime, today: date,
            rules: CaseRules) -> CaseItem:
    """The case after a report found its problem: opened, kept, or reopened (fixed before, or a false
    alarm whose evidence changed). A false alarm with the same evidence stays closed."""
    if case is None:
        opened = CaseItem(case_id=seen.case_id, site_id=seen.site_id, name=seen.name, region=seen.region,
                          level=seen.level, check=seen.check, subject=seen.subject, severity=seen.severity,
                          confidence=seen.confidence, first_seen=at, last_seen=at, last_checked=at,
                          due_date=_due(seen.severity, today, rules))
        first = {"at": at.isoformat(), "by": SYSTEM, "from": "", "to": "open", "why": "首次发现"}
        return dataclasses.replace(_seen(opened, seen, at), history=[first])
    updated = _seen(case, seen, at)
    if case.status == "fixed":
        reopened = dataclasses.replace(updated, reopened=case.reopened + 1, fixed_at=None, decision="",
                                       decided_by="", decided_at=None, decision_evidence="",
                                       due_date=_due(seen.severity, today, rules))
        return _moved(reopened, "reopened", at=at, by=SYSTEM, why="已整改的问题再次出现")
    if case.status == "false_alarm" and seen.evidence_hash != case.decision_evidence:
        reopened = dataclasses.replace(updated, reopened=case.reopened + 1, decision="", decided_by="",
                                       decided_at=None, decision_evidence="",
                                       due_date=_due(seen.severity, today, rules))
        return _moved(reopened, "reopened", at=at, by=SYSTEM, why="误报的依据已变化，重新判定")
    return updated


def not_found(case: CaseItem, *, at: datetime, verified: bool) -> CaseItem:
    """The case after a report no longer found its problem. With `verified` (the site was re-crawled
    and reachable) an active case is fixed; otherwise nothing is concluded."""
    if not verified:
        return case
    checked = dataclasses.replace(case, last_checked=at)
    if not case.active:
        return checked
    return _moved(dataclasses.replace(checked, fixed_at=at, overdue=False), "fixed", at=at, by=SYSTEM,
                  why="复查未再发现")


def notify(case: CaseItem, *, at: datetime, by: str) -> CaseItem:
    """The case once its owner was sent it (open or reopened → notified; others unchanged)."""
    if case.status not in ("open", "reopened"):
        return case
    return _moved(dataclasses.replace(case, notified_at=at), "notified", at=at, by=by, why="已发送整改通知")


def decide(case: CaseItem, decision: Literal["confirmed", "false_alarm"], *, at: datetime, by: str,
           note: str = "") -> CaseItem:
    """A reviewer's verdict on an active case: confirmed (stays to be fixed, counted as confirmed) or a
    false alarm (closed until its evidence changes). CaseError for a case already fixed."""
    if case.status == "fixed":
        raise CaseError(f"case {case.case_id} ({case.site_id} {case.check} {case.subject or '整站'}) was "
                        f"already fixed on {case.fixed_at.date() if case.fixed_at else '?'}: it no longer "
                        "exists to be judged")
    if case.decision == decision and case.decision_evidence == case.evidence_hash:
        return case
    decided = dataclasses.replace(case, decision=decision, decided_by=by, decided_at=at,
                                  decision_evidence=case.evidence_hash,
                                  confidence="confirmed" if decision == "confirmed" else case.confidence)
    why = f"复核：{DECISION_NAMES[decision]}" + (f"（{note}）" if note else "")
    if decision == "false_alarm":
        return _moved(decided, "false_alarm", at=at, by=by, why=why)
    if case.status == "false_alarm":
        return _moved(decided, "reopened", at=at, by=by, why=why)
    entry = {"at": at.isoformat(), "by": by, "from": case.status, "to": case.status, "why": why}
    return dataclasses.replace(decided, history=[*case.history, entry])


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarters_back(day: date, quarters: int) -> date:
    """The first day of the quarter `quarters - 1` quarters before the one of `day` (1: this quarter)."""
    start = quarter_start(day)
    months = start.year * 12 + start.month - 1 - 3 * (quarters - 1)
    return date(months // 12, months % 12 + 1, 1)


def with_flags(cases: list[CaseItem], *, today: date, rules: CaseRules) -> list[CaseItem]:
    """The cases of one site with `overdue` (active past its due date) and `repeat` (reopened, or the
    site had repeat_count cases of that check within the last repeat_quarters quarters) set."""
    since = quarters_back(today, rules.repeat_quarters)
    per_check: dict[str, int] = {}
    for case in cases:
        if case.first_seen.date() >= since or case.last_seen.date() >= since:
            per_check[case.check] = per_check.get(case.check, 0) + 1
    return [dataclasses.replace(
                case, overdue=case.active and case.due_date < today,
                repeat=case.reopened > 0 or per_check.get(case.check, 0) >= rules.repeat_count)
            for case in cases]


def sync_site(existing: Iterable[CaseItem], seen: Iterable[Observation], *, verified: bool, at: datetime,
              today: date, rules: CaseRules) -> list[CaseItem]:
    """Every case of one site after a report run: observed ones opened or kept, missing ones fixed when
    `verified`, flags recomputed. Idempotent: the same observations again change no status."""
    before = {case.case_id: case for case in existing}
    after: dict[str, CaseItem] = {}
    for observation in seen:
        after[observation.case_id] = observe(before.get(observation.case_id), observation, at=at, today=today,
                                             rules=rules)
    for identifier, case in before.items():
        if identifier not in after:
            after[identifier] = not_found(case, at=at, verified=verified)
    return with_flags(sorted(after.values(), key=lambda case: case.case_id), today=today, rules=rules)


def apply_decisions(state: SiteState, result: SiteResult, cases: dict[str, CaseItem],
                    rules: Indicators) -> SiteResult:
    """The site's result once reviewers' decisions count: a false alarm's finding is left out, a
    confirmed suspected finding counts as confirmed; score and verdict judged again."""
    if result.verdict == "NO_DATA" or not any(case.decision for case in cases.values()):
        return result
    kept: list[Finding] = []
    for finding in result.findings:
        case = cases.get(case_id(state.site_id, finding.check, finding.key))
        if finding.check == PER_LINK_CHECK and not finding.key:
            decided = _decided_links(state, finding, cases, rules)
            if decided is not None:
                kept.append(decided)
        elif case is None or finding.severity == "info":
            kept.append(finding)
        elif case.status == "false_alarm":
            continue
        elif case.decision == "confirmed" and finding.confidence == "suspected":
            kept.append(_confirmed(finding, rules))
        else:
            kept.append(finding)
    return judge_findings(state, kept, rules)


def _confirmed(finding: Finding, rules: Indicators) -> Finding:
    """A suspected finding a reviewer confirmed. A typo (D-TYPO) carries no points while suspected: the
    criteria deduct each confirmed one, so it takes its points now."""
    points = rules.points(finding.check) if finding.check == TYPO_CHECK else finding.points
    return dataclasses.replace(finding, confidence="confirmed", points=points)


def _decided_links(state: SiteState, finding: Finding, cases: dict[str, CaseItem],
                   rules: Indicators) -> Finding | None:
    """D-LINK-OTHER once reviewers' decisions on its links count: false alarms leave it (None when all
    were), confirmed ones count as confirmed."""
    links = other_broken_links(state, rules)
    decisions = {link_subject(link): cases.get(case_id(state.site_id, PER_LINK_CHECK, link_subject(link)))
                 for link in links}
    def status(link: DeadLink) -> tuple[str, str]:
        case = decisions[link_subject(link)]
        return (case.status, case.decision) if case is not None else ("", "")

    kept = [link for link in links if status(link)[0] != "false_alarm"]
    confirmed = [link for link in kept if link.confirmed or status(link)[1] == "confirmed"]
    if not kept:
        return None
    if len(kept) == len(links) and len(confirmed) == sum(1 for link in links if link.confirmed):
        return finding
    dropped = len(links) - len(kept)
    return dataclasses.replace(
        finding, points=round(rules.points(PER_LINK_CHECK) * len(kept), 4),
        confidence="confirmed" if len(confirmed) == len(kept) else "suspected",
        detail=finding.detail + (f"；其中 {dropped} 个经复核为误报，不扣分" if dropped else ""),
        evidence=tuple(f"{link.url} 位于 {link.found_on}" for link in kept[:rules.report.evidence_items]))


# --- the store -----------------------------------------------------------------------------------

def case_from_source(source: dict[str, Any]) -> CaseItem:
    values = dict(source)
    for name in ("first_seen", "last_seen", "last_checked", "notified_at", "fixed_at", "decided_at"):
        if values.get(name):
            values[name] = datetime.fromisoformat(str(values[name]).replace("Z", "+00:00"))
    values["due_date"] = date.fromisoformat(str(values["due_date"])[:10])
    known = {item.name for item in dataclasses.fields(CaseItem)}
    return CaseItem(**{key: value for key, value in values.items() if key in known})


def case_source(case: CaseItem) -> dict[str, Any]:
    """A case as its Elasticsearch document (dates in ISO form)."""
    source = dataclasses.asdict(case)
    for key, value in source.items():
        if isinstance(value, (date, datetime)):
            source[key] = value.isoformat()
    return source


class CaseConflict(ValueError):
    """Cases someone else wrote since they were read (a report and an import at the same time)."""

    def __init__(self, case_ids: list[str]) -> None:
        self.case_ids = case_ids
        super().__init__(f"{len(case_ids)} case(s) changed in the ledger while this command ran (e.g. "
                         f"{case_ids[0]}) and were left as the other command wrote them: run this command "
                         "again, it is safe to repeat")


class CaseStore:
    """Reads and writes cases in `<prefix>-cases` (install_templates creates the index).

    Writes are conditional on the version read (optimistic concurrency): a case another command wrote
    in between — a reviewer's decision during a long report — is never overwritten; `write` raises
    CaseConflict naming those cases, after writing the others.
    """

    def __init__(self, client: Elasticsearch, prefix: str) -> None:
        self.client = client
        self.index = index_name(prefix, "cases")
        self._versions: dict[str, tuple[int, int]] = {}  # case_id -> (seq_no, primary_term) as read

    def _read(self, hit: dict[str, Any]) -> dict[str, Any]:
        if "_seq_no" in hit:
            self._versions[hit["_id"]] = (hit["_seq_no"], hit["_primary_term"])
        return dict(hit["_source"])

    def of_sites(self, site_ids: list[str]) -> dict[str, list[CaseItem]]:
        """Every case of the given sites, per site."""
        found: dict[str, list[CaseItem]] = {site_id: [] for site_id in site_ids}
        for source in self.search({"terms": {"site_id": site_ids}}):
            found.setdefault(str(source["site_id"]), []).append(case_from_source(source))
        return found

    def by_ids(self, ids: list[str]) -> dict[str, CaseItem]:
        if not ids:
            return {}
        try:
            docs = self.client.mget(index=self.index, ids=ids)["docs"]
        except NotFoundError:
            return {}
        return {doc["_id"]: case_from_source(self._read(doc)) for doc in docs if doc.get("found")}

    def search(self, query: dict[str, Any]) -> Iterable[dict[str, Any]]:
        """The source of every case matching a query, in case_id order."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": query, "sort": [{"case_id": "asc"}], "size": 1000,
                                    "seq_no_primary_term": True}
            if after is not None:
                body["search_after"] = after
            try:
                hits = self.client.search(index=self.index, body=body)["hits"]["hits"]
            except NotFoundError:
                return
            yield from (self._read(hit) for hit in hits)
            if len(hits) < 1000:
                return
            after = hits[-1]["sort"]

    def write(self, cases: list[CaseItem], *, refresh: bool = False) -> int:
        """Write the given cases, each only if nobody wrote it since this store read it (a case never
        read must not exist yet); CaseConflict names the cases refused that way."""
        if not cases:
            return 0
        actions: list[dict[str, Any]] = []
        for case in {case.case_id: case for case in cases}.values():
            action: dict[str, Any] = {"_index": self.index, "_id": case.case_id, "_source": case_source(case)}
            version = self._versions.get(case.case_id)
            if version is None:
                action["_op_type"] = "create"
            else:
                action.update(_op_type="index", if_seq_no=version[0], if_primary_term=version[1])
            actions.append(action)
        written = 0
        conflicts: list[str] = []
        for ok, answer in streaming_bulk(self.client, actions, chunk_size=1000, max_retries=3,
                                         raise_on_error=False, refresh="wait_for" if refresh else False):
            outcome = next(iter(answer.values()))
            if ok:
                written += 1
                self._versions[outcome["_id"]] = (outcome["_seq_no"], outcome["_primary_term"])
            elif outcome.get("status") == 409:
                conflicts.append(outcome["_id"])
            else:
                raise ValueError(f"case {outcome.get('_id')} was not written: {outcome.get('error')}")
        if conflicts:
            raise CaseConflict(conflicts)
        return written

    def refresh(self) -> None:
        if self.client.indices.exists(index=self.index):
            self.client.indices.refresh(index=self.index)


@dataclass(slots=True, frozen=True)
class JudgedSite:
    """A site of a report run: its result once decisions count, its cases after the run, and the
    automated result before decisions (what a reviewer re-checks)."""

    result: SiteResult
    cases: tuple[CaseItem, ...]
    automated: SiteResult


def judge_batch(store: CaseStore, batch: list[tuple[str, SiteState]], *, as_of: date, at: datetime,
                sync: bool, case_rules: CaseRules, rules: Indicators) -> list[JudgedSite]:
    """Score a batch of (owner, state), bring their cases up to date (with `sync`: a report of today) and
    let reviewers' decisions count. Only `sync` writes the ledger; a report of a past day reads it.
    Cases someone else wrote meanwhile are read again and their sites synced anew."""
    final: dict[str, list[CaseItem]] = {}
    results = {state.site_id: score_site(state, as_of, rules) for _, state in batch}
    pending = batch
    for attempt in range(_WRITE_ATTEMPTS):
        ledger = store.of_sites([state.site_id for _, state in pending])
        cases: dict[str, list[CaseItem]] = {}
        for owner, state in pending:
            site_cases = ledger.get(state.site_id, [])
            if sync and results[state.site_id].verdict != "NO_DATA":
                site_cases = sync_site(site_cases, observations(state, results[state.site_id], owner, rules),
                                       verified=state.crawled and not state.stale_data, at=at, today=as_of,
                                       rules=case_rules)
            cases[state.site_id] = site_cases
        final.update(cases)
        try:
            if sync:
                store.write([case for site_cases in cases.values() for case in site_cases])
            break
        except CaseConflict as conflict:
            # Someone decided or notified meanwhile: read those sites again and apply the findings anew.
            moved = {case.site_id for site_cases in cases.values() for case in site_cases
                     if case.case_id in conflict.case_ids}
            pending = [(owner, state) for owner, state in pending if state.site_id in moved]
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
    judged: list[JudgedSite] = []
    for _, state in batch:
        by_id = {case.case_id: case for case in final[state.site_id]}
        judged.append(JudgedSite(apply_decisions(state, results[state.site_id], by_id, rules),
                                 tuple(final[state.site_id]), results[state.site_id]))
    return judged
