"""The case ledger (crawler.cases): its transitions from tables, without Elasticsearch, and its store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from crawler import cases
from crawler.cases import CaseConflict, CaseError, CaseRules, CaseStore, Observation
from crawler.es_schema import install_templates
from crawler.indicators import load_indicators
from crawler.scoring import Finding, SiteState, judge_findings

if TYPE_CHECKING:
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

RULES = CaseRules(due_days={"veto": 7, "deduction": 30}, repeat_quarters=4, repeat_count=3)
DAY1 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _at(days: int) -> datetime:
    return DAY1 + timedelta(days=days)


LINK = "http://a.gov.cn/x.html http://a.gov.cn/"


def _seen(check: str = "D-LINK-HOME", subject: str = LINK, *,
          evidence: tuple[str, ...] = ("http://a.gov.cn/x.html", "http://a.gov.cn/"),
          severity: Any = "deduction", confidence: Any = "confirmed",
          site_id: str = "5101000001") -> Observation:
    return Observation(site_id=site_id, name="成都市人民政府", region="成都市", level="city", owner="张三",
                       check=check, subject=subject, severity=severity, confidence=confidence, points=1.0,
                       detail="broken homepage link", evidence=evidence)


def _run(steps: list[tuple[str, Any]]) -> cases.CaseItem | None:
    """Apply (action, argument) steps to one case from nothing, one day apart; return the case."""
    case: cases.CaseItem | None = None
    for day, (action, argument) in enumerate(steps):
        at = _at(day)
        if action == "found":
            case = cases.observe(case, argument, at=at, today=at.date(), rules=RULES)
        elif action == "gone":
            assert case is not None
            case = cases.not_found(case, at=at, verified=argument)
        elif action == "notify":
            assert case is not None
            case = cases.notify(case, at=at, by="王五")
        elif action == "decide":
            assert case is not None
            case = cases.decide(case, argument, at=at, by="李四")
    return case


LIVES = [
    ("found once", [("found", _seen())], "open", 0),
    ("found twice stays one open case", [("found", _seen()), ("found", _seen())], "open", 0),
    ("notified", [("found", _seen()), ("notify", None)], "notified", 0),
    ("notified twice is one transition", [("found", _seen()), ("notify", None), ("notify", None)],
     "notified", 0),
    ("gone after a re-crawl: fixed", [("found", _seen()), ("notify", None), ("gone", True)], "fixed", 0),
    ("gone without a re-crawl (site down): unchanged", [("found", _seen()), ("gone", False)],
     "open", 0),
    ("fixed, found again: reopened", [("found", _seen()), ("gone", True), ("found", _seen())],
     "reopened", 1),
    ("reopened, notified", [("found", _seen()), ("gone", True), ("found", _seen()), ("notify", None)],
     "notified", 1),
    ("false alarm stays while the evidence is the same",
     [("found", _seen()), ("decide", "false_alarm"), ("found", _seen()), ("found", _seen())],
     "false_alarm", 0),
    ("false alarm reopens when the evidence changes",
     [("found", _seen()), ("decide", "false_alarm"),
      ("found", _seen(evidence=("http://a.gov.cn/x.html", "500")))], "reopened", 1),
    ("false alarm not found: stays a false alarm",
     [("found", _seen()), ("decide", "false_alarm"), ("gone", True)], "false_alarm", 0),
    ("confirmed stays to be fixed", [("found", _seen(confidence="suspected")), ("decide", "confirmed")],
     "open", 0),
    ("a false alarm confirmed later is reopened", [("found", _seen()), ("decide", "false_alarm"),
                                                   ("decide", "confirmed")], "reopened", 0),
]


@pytest.mark.parametrize(("steps", "status", "reopened"), [row[1:] for row in LIVES],
                         ids=[row[0] for row in LIVES])
def test_a_case_moves_through_its_life(steps: list[tuple[str, Any]], status: str, reopened: int) -> None:
    case = _run(steps)
    assert case is not None
    assert (case.status, case.reopened) == (status, reopened)
    # Every status change is in the history, in order, each with who and when.
    moves = [entry for entry in case.history if entry["from"] != entry["to"]]
    assert moves[-1]["to"] == status
    assert all(entry["by"] and entry["at"] for entry in case.history)
    assert moves[0]["from"] == "" and moves[0]["to"] == "open"
    assert [entry["to"] for entry in moves[:-1]] == [entry["from"] for entry in moves[1:]]


def test_history_records_who_decided_and_why() -> None:
    case = _run([("found", _seen()), ("notify", None), ("decide", "false_alarm")])
    assert case is not None
    assert [(entry["to"], entry["by"]) for entry in case.history] == [
        ("open", "系统"), ("notified", "王五"), ("false_alarm", "李四")]
    assert case.decided_by == "李四" and case.decision == "false_alarm"


def test_a_confirmed_decision_makes_later_findings_confirmed() -> None:
    case = _run([("found", _seen(confidence="suspected")), ("decide", "confirmed"),
                 ("found", _seen(confidence="suspected"))])
    assert case is not None and case.confidence == "confirmed"


def test_a_decision_on_a_fixed_case_is_refused() -> None:
    case = _run([("found", _seen()), ("gone", True)])
    assert case is not None
    with pytest.raises(CaseError, match="already fixed"):
        cases.decide(case, "false_alarm", at=_at(5), by="李四")


@pytest.mark.parametrize(("severity", "days"), [("veto", 7), ("deduction", 30)])
def test_due_date_follows_the_severity(severity: str, days: int) -> None:
    case = cases.observe(None, _seen(severity=severity), at=DAY1, today=DAY1.date(), rules=RULES)
    assert case.due_date == DAY1.date() + timedelta(days=days)


def test_overdue_only_while_active_and_past_its_due_date() -> None:
    case = cases.observe(None, _seen(severity="veto"), at=DAY1, today=DAY1.date(), rules=RULES)
    on_time = cases.with_flags([case], today=DAY1.date() + timedelta(days=7), rules=RULES)[0]
    late = cases.with_flags([case], today=DAY1.date() + timedelta(days=8), rules=RULES)[0]
    fixed = cases.not_found(case, at=_at(9), verified=True)
    assert (on_time.overdue, late.overdue) == (False, True)
    assert cases.with_flags([fixed], today=DAY1.date() + timedelta(days=9), rules=RULES)[0].overdue is False


def test_repeat_when_reopened_or_many_cases_of_one_check() -> None:
    two = [cases.observe(None, _seen(subject=f"s{n}"), at=DAY1, today=DAY1.date(), rules=RULES)
           for n in (1, 2)]
    three = [*two, cases.observe(None, _seen(subject="s3"), at=DAY1, today=DAY1.date(), rules=RULES)]
    assert not any(case.repeat for case in cases.with_flags(two, today=DAY1.date(), rules=RULES))
    assert all(case.repeat for case in cases.with_flags(three, today=DAY1.date(), rules=RULES))
    # Cases older than the repeat window do not count.
    long_ago = DAY1 - timedelta(days=400)
    old = [dataclasses.replace(case, first_seen=long_ago, last_seen=long_ago) for case in three]
    assert not any(case.repeat for case in cases.with_flags(old, today=DAY1.date(), rules=RULES))
    reopened = _run([("found", _seen()), ("gone", True), ("found", _seen())])
    assert reopened is not None and reopened.repeat is False
    assert cases.with_flags([reopened], today=DAY1.date(), rules=RULES)[0].repeat is True


def test_sync_site_is_idempotent_and_fixes_only_what_a_recrawl_no_longer_finds() -> None:
    link, column = _seen(), _seen(check="D-EMPTY", subject="http://a.gov.cn/zcwj/")
    first = cases.sync_site([], [link, column], verified=True, at=DAY1, today=DAY1.date(), rules=RULES)
    again = cases.sync_site(first, [link, column], verified=True, at=DAY1, today=DAY1.date(), rules=RULES)
    assert again == first and [case.status for case in first] == ["open", "open"]
    later = cases.sync_site(first, [column], verified=True, at=_at(1), today=_at(1).date(), rules=RULES)
    by_check = {case.check: case.status for case in later}
    assert by_check == {"D-LINK-HOME": "fixed", "D-EMPTY": "open"}
    unverified = cases.sync_site(first, [column], verified=False, at=_at(1), today=_at(1).date(), rules=RULES)
    assert {case.status for case in unverified} == {"open"}


def test_same_site_check_and_subject_is_the_same_case() -> None:
    assert _seen().case_id == _seen(evidence=("other",)).case_id
    assert _seen().case_id != _seen(subject="http://a.gov.cn/y.html http://a.gov.cn/").case_id
    assert _seen().case_id != _seen(site_id="5101000002").case_id


def _state() -> SiteState:
    return SiteState(site_id="5101000001", name="成都市人民政府", url="http://a.gov.cn/", region="成都市",
                     level="city", home_fetched=True)


def test_decisions_change_the_score_and_verdict() -> None:
    rules = load_indicators()
    veto = Finding(check="V-CHANNEL", severity="veto", points=0.0, detail="no consultation column",
                   confidence="suspected")
    link = Finding(check="D-LINK-HOME", severity="deduction", points=rules.points("D-LINK-HOME"),
                   detail="dead", key=LINK)
    state = _state()
    result = judge_findings(state, [veto, link], rules)
    assert result.verdict == "REVIEW"
    seen = {observation.case_id: cases.observe(None, observation, at=DAY1, today=DAY1.date(), rules=RULES)
            for observation in cases.observations(state, result)}
    veto_id = cases.case_id(state.site_id, "V-CHANNEL", "")
    link_id = cases.case_id(state.site_id, "D-LINK-HOME", link.key)
    confirmed = {**seen, veto_id: cases.decide(seen[veto_id], "confirmed", at=DAY1, by="李四")}
    assert cases.apply_decisions(state, result, confirmed, rules).verdict == "FAIL"
    cleared = {**seen, veto_id: cases.decide(seen[veto_id], "false_alarm", at=DAY1, by="李四"),
               link_id: cases.decide(seen[link_id], "false_alarm", at=DAY1, by="李四")}
    judged = cases.apply_decisions(state, result, cleared, rules)
    assert (judged.verdict, judged.score, judged.findings) == ("PASS", rules.scoring.start_points, ())
    # Only the decided finding changes: another link of the same check still counts.
    other = dataclasses.replace(link, key="http://a.gov.cn/y.html http://a.gov.cn/")
    partly = cases.apply_decisions(state, judge_findings(state, [link, other], rules), cleared, rules)
    assert [finding.key for finding in partly.findings] == [other.key]
    assert partly.score == rules.scoring.start_points - rules.points("D-LINK-HOME")


def test_store_round_trip(es_client: Elasticsearch, es_prefix: str) -> None:
    install_templates(es_client, es_prefix)
    store = CaseStore(es_client, es_prefix)
    case = _run([("found", _seen()), ("notify", None), ("decide", "false_alarm")])
    assert case is not None
    assert store.write([case, case], refresh=True) == 1
    assert store.of_sites(["5101000001", "5101000002"]) == {"5101000001": [case], "5101000002": []}
    assert store.by_ids([case.case_id, "missing"]) == {case.case_id: case}
    assert es_client.count(index=f"{es_prefix}-cases")["count"] == 1
    assert case.due_date == date(2026, 12, 2)


# --- the ledger as `scrapy report` builds it ---------------------------------------------------------

def _ledger(es_client: Elasticsearch, prefix: str) -> dict[str, dict[str, Any]]:
    es_client.indices.refresh(index=f"{prefix}-cases")
    hits = es_client.search(index=f"{prefix}-cases", size=1000, query={"match_all": {}})["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def test_reports_build_the_ledger_idempotently_and_a_past_day_only_reads_it(
        env: Env, es_client: Elasticsearch, es_prefix: str, tmp_path: Path) -> None:
    from tests.test_reports import AS_OF, known_sites, load  # noqa: PLC0415

    load(es_client, es_prefix, known_sites())
    dry = env.scrapy("report", "-o", str(tmp_path / "dry.json"), "--no-store", timeout=120)
    assert dry.returncode == 0 and "case ledger read only" in dry.stderr
    assert _ledger(es_client, es_prefix) == {}
    first = env.scrapy("report", "-o", str(tmp_path / "first.json"), timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "case ledger updated" in first.stderr
    opened = _ledger(es_client, es_prefix)
    assert opened and {case["status"] for case in opened.values()} == {"open"}
    assert all(len(case["history"]) == 1 for case in opened.values())
    # Never-crawled site 3 has no case; site 4's three empty columns are three cases.
    assert not any(case["site_id"] == "5103000010" for case in opened.values())
    assert sum(case["check"] == "D-EMPTY" for case in opened.values()) == 3

    again = env.scrapy("report", "-o", str(tmp_path / "again.html"), timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    ledger = _ledger(es_client, es_prefix)
    assert set(ledger) == set(opened)
    assert [(case["status"], case["history"], case["first_seen"]) for case in ledger.values()] == [
        (case["status"], case["history"], case["first_seen"]) for case in opened.values()]
    html = (tmp_path / "again.html").read_text(encoding="utf-8")
    assert "按责任人汇总" in html and "未登记责任人" in html

    past = env.scrapy("report", "-o", str(tmp_path / "past.json"), "--as-of", AS_OF.isoformat(), timeout=120)
    assert past.returncode == 0 and "case ledger read only" in past.stderr
    assert _ledger(es_client, es_prefix) == ledger
    sites = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))["sites"]
    site = next(site for site in sites if site["site_id"] == "5103000001")
    assert site["owner"] == ""
    assert {case["case_id"] for case in site["cases"]} == {
        identifier for identifier, case in opened.items() if case["site_id"] == "5103000001"}


def test_a_decision_written_during_a_report_is_never_overwritten(es_client: Elasticsearch, es_prefix: str
                                                                  ) -> None:
    install_templates(es_client, es_prefix)
    rules = load_indicators()
    state = _state()
    link = Finding(check="D-LINK-HOME", severity="deduction", points=rules.points("D-LINK-HOME"),
                   detail="dead", key=LINK)
    result = judge_findings(state, [link], rules)
    [seen] = cases.observations(state, result)
    opened = cases.observe(None, seen, at=DAY1, today=DAY1.date(), rules=RULES)
    CaseStore(es_client, es_prefix).write([opened], refresh=True)
    report = CaseStore(es_client, es_prefix)  # a long report reads the case ...
    [read] = report.of_sites([state.site_id])[state.site_id]
    reviewer = CaseStore(es_client, es_prefix)  # ... a reviewer's import decides it meanwhile ...
    reviewer.write([cases.decide(reviewer.by_ids([read.case_id])[read.case_id], "false_alarm", at=_at(1),
                                 by="李四")], refresh=True)
    with pytest.raises(CaseConflict, match="changed in the ledger while this command ran"):
        report.write([dataclasses.replace(read, detail="overwritten")])  # ... its stale write is refused
    assert CaseStore(es_client, es_prefix).by_ids([read.case_id])[read.case_id].status == "false_alarm"
    # judge_batch reads the site again after such a conflict and keeps the decision.
    racing = _DecidedWhileReading(es_client, es_prefix, read.case_id)
    [judged] = cases.judge_batch(racing, [("", state)], as_of=_at(2).date(), at=_at(2), sync=True,
                                 case_rules=RULES, rules=rules)
    assert racing.reads == 2
    [kept] = [case for case in judged.cases if case.case_id == read.case_id]
    assert (kept.status, kept.decided_by) == ("false_alarm", "王五")
    stored = CaseStore(es_client, es_prefix).by_ids([read.case_id])[read.case_id]
    assert (stored.status, stored.decided_by, stored.last_checked) == ("false_alarm", "王五", _at(2))
    # The site's other findings opened their cases in the same run.
    assert {case.status for case in judged.cases if case.case_id != read.case_id} == {"open"}


class _DecidedWhileReading(CaseStore):
    """A store whose first read is followed by another command's write of one case (a reviewer's
    change landing while a report works on the site)."""

    def __init__(self, client: Elasticsearch, prefix: str, identifier: str) -> None:
        super().__init__(client, prefix)
        self.prefix, self.identifier, self.reads = prefix, identifier, 0

    def of_sites(self, site_ids: list[str]) -> dict[str, list[cases.CaseItem]]:
        found = super().of_sites(site_ids)
        self.reads += 1
        if self.reads == 1:
            other = CaseStore(self.client, self.prefix)
            case = other.by_ids([self.identifier])[self.identifier]
            other.write([dataclasses.replace(case, decided_by="王五")], refresh=True)
        return found


def test_other_pages_broken_links_are_one_case_each_and_judged_each() -> None:
    from crawler.scoring import DeadLink, score_site  # noqa: PLC0415

    rules = load_indicators()
    links = tuple(DeadLink(url=f"http://a.gov.cn/gone{n}.html", found_on=f"http://a.gov.cn/col/{n}.html",
                           on_homepage=False, status=404, error="http", confirmed=True) for n in range(3))
    state = dataclasses.replace(_state(), dead_links=links)
    result = score_site(state, DAY1.date(), rules)
    [whole] = [finding for finding in result.findings if finding.check == "D-LINK-OTHER"]
    assert whole.points == pytest.approx(3 * rules.points("D-LINK-OTHER"))
    seen = [item for item in cases.observations(state, result, rules=rules) if item.check == "D-LINK-OTHER"]
    assert [item.subject for item in seen] == [f"{link.url} {link.found_on}" for link in links]
    assert {item.points for item in seen} == {rules.points("D-LINK-OTHER")}
    opened = {item.case_id: cases.observe(None, item, at=DAY1, today=DAY1.date(), rules=RULES)
              for item in seen}
    first = seen[0].case_id
    one_alarm = {**opened, first: cases.decide(opened[first], "false_alarm", at=DAY1, by="李四")}
    [judged] = [finding for finding in cases.apply_decisions(state, result, one_alarm, rules).findings
                if finding.check == "D-LINK-OTHER"]
    assert judged.points == pytest.approx(2 * rules.points("D-LINK-OTHER"))
    assert "其中 1 个经复核为误报" in judged.detail and links[0].url not in " ".join(judged.evidence)
    all_alarms = {key: cases.decide(case, "false_alarm", at=DAY1, by="李四") for key, case in opened.items()}
    assert not any(finding.check == "D-LINK-OTHER"
                   for finding in cases.apply_decisions(state, result, all_alarms, rules).findings)
    # Each link's case closes on its own when a re-crawl no longer finds that link.
    fewer = dataclasses.replace(state, dead_links=links[1:])
    later = cases.sync_site(list(opened.values()),
                            cases.observations(fewer, score_site(fewer, DAY1.date(), rules), rules=rules),
                            verified=True, at=_at(1), today=_at(1).date(), rules=RULES)
    assert {case.subject: case.status for case in later if case.check == "D-LINK-OTHER"} == {
        seen[0].subject: "fixed", seen[1].subject: "open", seen[2].subject: "open"}
    assert [finding.key for finding in cases.worklist_findings(state, result, rules)
            if finding.check == "D-LINK-OTHER"] == [item.subject for item in seen]


def test_a_confirmed_typo_takes_its_points_and_an_overturned_one_none() -> None:
    """D-TYPO carries 0 points while suspected; the criteria deduct each confirmed typo."""
    rules = load_indicators()
    typo = Finding(check="D-TYPO", severity="deduction", points=0.0, confidence="suspected",
                   detail="疑似错别字：“既往不究”，应为“既往不咎”", key="typo 既往不究")
    other = dataclasses.replace(typo, key="typo 防汛形式", detail="疑似错别字：“防汛形式”")
    state = _state()
    result = judge_findings(state, [typo, other], rules)
    assert result.score == rules.scoring.start_points
    seen = {observation.case_id: cases.observe(None, observation, at=DAY1, today=DAY1.date(), rules=RULES)
            for observation in cases.observations(state, result)}
    typo_id, other_id = (cases.case_id(state.site_id, "D-TYPO", key) for key in (typo.key, other.key))
    decided = {**seen, typo_id: cases.decide(seen[typo_id], "confirmed", at=DAY1, by="李四"),
               other_id: cases.decide(seen[other_id], "false_alarm", at=DAY1, by="李四")}
    judged = cases.apply_decisions(state, result, decided, rules)
    [kept] = judged.findings
    assert (kept.key, kept.confidence, kept.points) == (typo.key, "confirmed", rules.points("D-TYPO"))
    assert judged.score == rules.scoring.start_points - rules.points("D-TYPO") == 99.5
