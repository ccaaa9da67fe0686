"""Table-driven tests of the pure scoring (crawler/scoring.py) and of indicators.yaml validation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any, get_args

import pytest

from crawler import glossary
from crawler.extract.columns import ColumnClass, is_stale
from crawler.extract.service import GUIDE_ELEMENTS
from crawler.glossary import CHECK_NAMES, check_label, check_name
from crawler.indicators import INDICATORS_PATH, load_indicators, parse_indicators
from crawler.registry import Level
from crawler.scoring import (
    ColumnState,
    Confidence,
    DeadLink,
    LimitedPage,
    MessageState,
    PersonalDataPage,
    ProbeSummary,
    ServicePage,
    Severity,
    SiteState,
    Verdict,
    judge_findings,
    score_site,
)

AS_OF = date(2026, 11, 27)
RULES = load_indicators()


def column(kind: str, age_days: int | None, *, level: int = 1, empty: bool = False,
           name: str = "") -> ColumnState:
    latest = None if age_days is None else AS_OF - timedelta(days=age_days)
    url = f"http://s.gov.cn/{kind}/{name or age_days}/{level}/{empty}"
    return ColumnState(name=name or f"{kind}栏目", url=url, type=kind, level=level, latest_date=latest,
                       entries=0 if empty else 10, empty=empty,
                       stale=empty or is_stale(latest, ColumnClass(kind), AS_OF))


BASE_COLUMNS = (column("news", 1, name="要闻"), column("consult", 5, name="领导信箱"), column("service", 5))
HEALTHY_PROBES = ProbeSummary(latest_ok=True, total_1d=24, total_7d=168)


def site(**changes: Any) -> SiteState:
    state = SiteState(site_id="5101000001", name="成都市人民政府", url="http://www.chengdu.gov.cn/",
                      region="成都市", level="city", probes=HEALTHY_PROBES, home_fetched=True,
                      homepage_latest_date=AS_OF - timedelta(days=2), columns=BASE_COLUMNS)
    return replace(state, **changes)


def stale_news(count: int) -> tuple[ColumnState, ...]:
    return tuple(column("news", 20 + index, name=f"动态{index}") for index in range(count))


def dead(count: int, *, home: bool, confirmed: bool = True, error: str = "http") -> tuple[DeadLink, ...]:
    return tuple(DeadLink(url=f"http://s.gov.cn/x{index}{home}", found_on="http://s.gov.cn/" if home else
                          f"http://s.gov.cn/a{index}", on_homepage=home, status=404, error=error,
                          confirmed=confirmed) for index in range(count))


def guides(count: int, *, shown: int) -> tuple[ServicePage, ...]:
    return tuple(ServicePage(url=f"http://s.gov.cn/bsfw/{shown}/{index}.html",
                              elements=GUIDE_ELEMENTS[-shown:]) for index in range(count))


def checks(findings: Any, severity: str) -> list[str]:
    return sorted(finding.check for finding in findings if finding.severity == severity)


# (case, state, verdict, score, vetoes, deductions, infos)
CASES: list[tuple[str, SiteState, str, float | None, list[str], list[str], list[str]]] = [
    ("healthy site", site(), "PASS", 100.0, [], [], []),
    ("no data at all", site(probes=ProbeSummary(), home_fetched=False, columns=()),
     "NO_DATA", None, [], [], []),
    ("5% failed of 140 probes", site(probes=ProbeSummary(latest_ok=True, total_7d=140, failed_7d=7)),
     "FAIL", 100.0, ["V-AVAIL"], [], []),
    ("139 probes are no verdict", site(probes=ProbeSummary(latest_ok=True, total_7d=139, failed_7d=50)),
     "PASS", 100.0, [], [], []),
    ("3.6% failed warns", site(probes=ProbeSummary(latest_ok=True, total_7d=140, failed_7d=5)),
     "PASS", 100.0, [], [], ["V-AVAIL"]),
    ("homepage 14 days old", site(homepage_latest_date=AS_OF - timedelta(days=14)),
     "FAIL", 100.0, ["V-HOME"], [], ["I-ZOMBIE"]),
    ("homepage 13 days old warns", site(homepage_latest_date=AS_OF - timedelta(days=13)),
     "PASS", 100.0, [], [], ["V-HOME"]),
    ("homepage 9 days old", site(homepage_latest_date=AS_OF - timedelta(days=9)), "PASS", 100.0, [], [], []),
    ("future homepage date is no update", site(homepage_latest_date=AS_OF + timedelta(days=3)),
     "FAIL", 100.0, ["V-HOME"], [], ["I-ZOMBIE"]),
    ("navigation-only homepage, fresh level-2 column",
     site(homepage_latest_date=None, columns=(*BASE_COLUMNS, column("notice", 3, level=2))),
     "PASS", 100.0, [], [], []),
    ("navigation-only homepage, no fresh level-2 column", site(homepage_latest_date=None),
     "FAIL", 100.0, ["V-HOME"], [], ["I-ZOMBIE"]),
    ("4 stale news columns deduct and warn of V-CORE", site(columns=(*BASE_COLUMNS, *stale_news(4))),
     "PASS", 80.0, [], ["D-NEWS"] * 4, ["V-CORE"]),
    ("2 stale news columns deduct, no V-CORE warning", site(columns=(*BASE_COLUMNS, *stale_news(2))),
     "PASS", 90.0, [], ["D-NEWS"] * 2, []),
    ("5 stale core columns veto", site(columns=(*BASE_COLUMNS, *stale_news(3), column("notice", 200),
                                                column("policy", 200), column("policy", 200, level=2))),
     "FAIL", 75.0, ["V-CORE"], ["D-NEWS"] * 3 + ["D-NOTICE"] * 2, ["I-ZOMBIE", "V-STALE"]),
    ("stale personnel and plan", site(columns=(*BASE_COLUMNS, column("personnel", 400), column("plan", 366))),
     "PASS", 90.0, [], ["D-PERS", "D-PERS"], []),
    ("exempt columns are never stale",
     site(columns=(*BASE_COLUMNS, *(column("exempt", None, name=f"专题{index}") for index in range(12)))),
     "PASS", 100.0, [], [], []),
    ("6 stale columns warn", site(columns=(*BASE_COLUMNS, *(column("other", 400, name=str(index))
                                                           for index in range(6)))),
     "PASS", 100.0, [], [], ["V-STALE"]),
    ("10 stale columns veto", site(columns=(*BASE_COLUMNS, *(column("basic", 400, name=str(index))
                                                            for index in range(10)))),
     "FAIL", 100.0, ["V-STALE"], [], []),
    ("3 empty columns warn, not also stale-deducted", site(columns=(*BASE_COLUMNS, *(column(
        "news", None, empty=True, name=str(index)) for index in range(3)))),
     "PASS", 85.0, [], ["D-EMPTY"] * 3, ["V-CORE", "V-EMPTY"]),
    ("5 empty columns veto", site(columns=(*BASE_COLUMNS, *(column("other", None, empty=True, name=str(index))
                                                           for index in range(5)))),
     "FAIL", 75.0, ["V-EMPTY"], ["D-EMPTY"] * 5, []),
    ("information group capped at 40", site(columns=(*BASE_COLUMNS, *stale_news(12))),
     "FAIL", 60.0, ["V-CORE", "V-STALE"], ["D-NEWS"] * 12, ["I-ZOMBIE"]),
    ("dead links: 1 per homepage link, 0.1 per other",
     site(dead_links=dead(3, home=True) + dead(25, home=False)),
     "PASS", 94.5, [], ["D-LINK-HOME"] * 3 + ["D-LINK-OTHER"], []),
    ("link group capped at 10", site(dead_links=dead(300, home=False)),
     "PASS", 90.0, [], ["D-LINK-OTHER"], []),
    ("soft 404s are suspected broken links",
     site(dead_links=dead(2, home=True, confirmed=False, error="soft404")),
     "PASS", 98.0, [], ["D-LINK-HOME"] * 2, ["I-SOFT404"]),
    ("department without service function scales by 4/3",
     site(level="department", columns=(column("news", 1), column("consult", 1), *stale_news(2))),
     "PASS", 86.67, [], ["D-NEWS"] * 2, []),
    ("department with service function does not scale",
     site(level="department", columns=(*BASE_COLUMNS, *stale_news(2))), "PASS", 90.0, [], ["D-NEWS"] * 2, []),
    ("no consultation channel is a suspected veto", site(columns=(column("news", 1), column("service", 5))),
     "REVIEW", 100.0, ["V-CHANNEL"], [], []),
    ("unanswered old message", site(messages=(MessageState(url="http://s.gov.cn/m1", column_url="c",
                                                           asked_at=date(2026, 6, 1), answered_at=None),
                                              MessageState(url="http://s.gov.cn/m2", column_url="c",
                                                           asked_at=date(2026, 11, 1),
                                                           answered_at=date(2026, 11, 20)))),
     "REVIEW", 100.0, ["V-REPLY"], [], []),
    ("message answered after 91 days", site(messages=(MessageState(
        url="m", column_url="c", asked_at=date(2026, 5, 1), answered_at=date(2026, 7, 31)),)),
     "REVIEW", 97.0, ["V-REPLY"], ["D-REPLY-LIST"], []),
    ("message asked 12 months ago is outside the window", site(messages=(MessageState(
        url="m", column_url="c", asked_at=date(2025, 11, 27), answered_at=None), MessageState(
        url="n", column_url="c", asked_at=date(2026, 11, 1), answered_at=date(2026, 11, 2)))),
     "PASS", 100.0, [], [], []),
    ("reply list not refreshed in 60 days", site(messages=(MessageState(
        url="m", column_url="c", asked_at=date(2026, 9, 20), answered_at=date(2026, 9, 28)),)),
     "PASS", 97.0, [], ["D-REPLY-LIST"], []),
    ("quiet for 30 days is a zombie", site(homepage_latest_date=AS_OF - timedelta(days=31),
                                           columns=(column("consult", 31), column("service", 40))),
     "FAIL", 100.0, ["V-HOME"], [], ["I-ZOMBIE"]),
    ("score below 60 fails without a veto", site(columns=(*BASE_COLUMNS, *stale_news(4),
                                                          column("personnel", 400), column("plan", 400)),
                                                 dead_links=dead(10, home=True),
                                                 messages=(MessageState(url="m", column_url="c",
                                                                        asked_at=date(2026, 11, 1),
                                                                        answered_at=None),)),
     "FAIL", 57.0, [], ["D-LINK-HOME"] * 10 + ["D-NEWS"] * 4 + ["D-PERS"] * 2 + ["D-REPLY-LIST"],
     ["V-CORE", "V-STALE"]),
    ("refusing connections and never read: a suspected V-AVAIL veto, no score, nothing else judged",
     site(probes=ProbeSummary(latest_ok=False, latest_error="tcp", total_1d=2, failed_1d=2, total_7d=2,
                              failed_7d=2),
          homepage_latest_date=None, columns=()),
     "REVIEW", None, ["V-AVAIL"], [], []),
    ("never read, down for a week of probes: a confirmed V-AVAIL veto fails it",
     site(probes=ProbeSummary(latest_ok=False, latest_error="dns", total_7d=168, failed_7d=168),
          homepage_latest_date=None, columns=(), home_fetched=False),
     "FAIL", None, ["V-AVAIL"], [], []),
    ("down now but read before: judged on the last crawl, with a note that it is down",
     site(probes=ProbeSummary(latest_ok=False, latest_error="timeout", total_7d=10, failed_7d=1)),
     "PASS", 100.0, [], [], ["V-AVAIL"]),
    ("home page shows every mark and links the error report",
     site(site_code_shown="5101000001", error_report_link=True), "PASS", 100.0, [], [], []),
    ("two marks missing and no error-report link",
     site(site_code_shown="5101000001", missing_marks=("icp", "police"), error_report_link=False),
     "PASS", 97.0, [], ["D-ERRLINK", "D-ID", "D-ID"], []),
    ("another site's 标识码 and a host outside .gov.cn",
     site(url="http://www.chengdu.com.cn/", site_code_shown="5101010001", error_report_link=True),
     "PASS", 98.0, [], ["D-ID", "D-ID"], []),
    ("an IP address is not judged by the domain rule",
     site(url="http://127.0.1.2:8800/", site_code_shown="5101000001", error_report_link=True),
     "PASS", 100.0, [], [], []),
    ("marks never read give no finding", site(missing_marks=("icp",), error_report_link=None),
     "PASS", 100.0, [], [], []),
    ("five poor service guides", site(service_pages=guides(5, shown=6)),
     "REVIEW", 100.0, ["V-SERVICE"], [], []),
    ("four poor service guides and good ones", site(service_pages=guides(4, shown=6) + guides(9, shown=7)),
     "PASS", 100.0, [], [], []),
    ("no service column on a county portal", site(level="county", columns=BASE_COLUMNS[:2]),
     "REVIEW", 100.0, ["V-SERVICE"], [], []),
    ("no service column on a department site", site(level="department", columns=BASE_COLUMNS[:2]),
     "PASS", 100.0, [], [], []),
    ("personal data is labelled for review, never scored",
     site(personal_data=(PersonalDataPage(url="http://s.gov.cn/gs/1.html", id_numbers=("110105********002X",),
                                          mobiles=()),
                         PersonalDataPage(url="http://s.gov.cn/lx/2.html", id_numbers=(),
                                          mobiles=("138****5678", "139****1234", "159****0000")),
                         PersonalDataPage(url="http://s.gov.cn/rx/3.html", id_numbers=(),
                                          mobiles=("138****5678", "139****1234")))),
     "PASS", 100.0, [], [], ["I-PRIVACY", "I-PRIVACY"]),
    ("a broken form on a service page is D-ATTACH, elsewhere D-LINK-OTHER",
     site(service_pages=(ServicePage(url="http://s.gov.cn/bs/1.html", elements=()),),
          dead_links=(DeadLink(url="http://s.gov.cn/f.doc", found_on="http://s.gov.cn/bs/1.html",
                               on_homepage=False, status=404, error="http", confirmed=True,
                               target_kind="attachment"),
                      DeadLink(url="http://s.gov.cn/g.doc", found_on="http://s.gov.cn/bs/1.html",
                               on_homepage=False, status=200, error="soft404", confirmed=False,
                               target_kind="attachment"),
                      DeadLink(url="http://s.gov.cn/x.html", found_on="http://s.gov.cn/bs/1.html",
                               on_homepage=False, status=404, error="http", confirmed=True),
                      DeadLink(url="http://s.gov.cn/h.doc", found_on="http://s.gov.cn/news/2.html",
                               on_homepage=False, status=404, error="http", confirmed=True,
                               target_kind="attachment"))),
     "PASS", 97.8, [], ["D-ATTACH", "D-ATTACH", "D-LINK-OTHER"], ["I-SOFT404"]),
    ("service statistics not refreshed in 3 months",
     site(columns=(*BASE_COLUMNS, column("service", 100, level=2, name="办件统计"))),
     "PASS", 98.0, [], ["D-SVC-STATS"], []),
    ("one fresh statistics column is enough",
     site(columns=(*BASE_COLUMNS, column("service", 100, level=2, name="办件统计"),
                   column("service", 20, level=2, name="数据统计"))),
     "PASS", 100.0, [], [], []),
    ("the usability group caps at 10 points",
     site(url="http://x.com/", site_code_shown=None, error_report_link=False,
          missing_marks=tuple(["site_code", "icp", "police", "sponsor"] * 3)),
     "PASS", 90.0, [], ["D-ERRLINK"] + ["D-ID"] * 13, []),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_score_site(case: tuple[str, SiteState, str, float | None, list[str], list[str], list[str]]) -> None:
    _, state, verdict, score, vetoes, deductions, infos = case
    result = score_site(state, AS_OF, RULES)
    assert checks(result.findings, "veto") == sorted(vetoes)
    assert checks(result.findings, "deduction") == sorted(deductions)
    assert checks(result.findings, "info") == sorted(infos)
    assert result.score == score
    assert result.verdict == verdict


def test_every_finding_has_evidence_and_a_warning_says_so() -> None:
    result = score_site(site(homepage_latest_date=AS_OF - timedelta(days=11),
                             columns=(*BASE_COLUMNS, *stale_news(2))), AS_OF, RULES)
    assert all(finding.evidence for finding in result.findings)
    (warning,) = [finding for finding in result.findings if finding.severity == "info"]
    assert warning.detail == "预警：首页 11 天未更新（达到 14 天即单项否决）"
    assert warning.points == 0


def test_findings_of_a_down_site_are_marked_stale_data() -> None:
    down = ProbeSummary(latest_ok=False, total_7d=10, failed_7d=1)
    result = score_site(site(probes=down, columns=(*BASE_COLUMNS, *stale_news(1))), AS_OF, RULES)
    (news,) = [finding for finding in result.findings if finding.check == "D-NEWS"]
    assert news.stale_data
    assert not site(probes=down).reachable


def test_suspected_links_can_be_left_out() -> None:
    scoring = RULES.scoring.model_copy(update={"count_suspected_links": False})
    rules = RULES.model_copy(update={"scoring": scoring})
    result = score_site(site(dead_links=dead(4, home=True, confirmed=False)), AS_OF, rules)
    assert checks(result.findings, "deduction") == []
    assert result.score == 100.0


def test_shipped_indicators_add_up() -> None:
    assert sum(group.points for group in RULES.groups.values()) == RULES.scoring.start_points
    assert RULES.vetoes.v_avail.min_probes == 140


@pytest.mark.parametrize(("change", "message"), [
    (("fail_ratio: 0.05", "fail_ratio: lots"), "vetoes.V-AVAIL.fail_ratio: Input should be a valid number"),
    (("D-NEWS:       {points: 5.0}", "D-NEWZ:       {points: 5.0}"),
     "groups.information.checks: 'D-NEWS' has no entry under deductions"),
    (("points: 40,", "points: 45,"), "groups: points add up to 105, expected scoring.start_points 100"),
    (("service_group: service", "service_group: services"),
     "service_group 'services' is not one of the groups"),
    (("    min_probes: 140", "    min_probez: 140"), "vetoes.V-AVAIL.min_probes: Field required"),
    (("    min_missing: 4 ", "    min_missing: 11 "),
     "vetoes.V-SERVICE.min_missing: Input should be less than or equal to 10"),
    (("    min_mobiles: 3 ", "    min_mobiles: 0 "),
     "labels.I-PRIVACY.min_mobiles: Input should be greater than or equal to 1"),
    (("keywords: [统计]", "keywords: 统计"), "deductions.D-SVC-STATS.keywords: Input should be a valid list"),
])
def test_broken_indicators_name_the_key(change: tuple[str, str], message: str) -> None:
    text = INDICATORS_PATH.read_text(encoding="utf-8")
    assert change[0] in text
    with pytest.raises(ValueError, match=r"indicators\.yaml") as caught:
        parse_indicators(text.replace(change[0], change[1]))
    assert message in str(caught.value)


def test_identity_findings_name_their_problem() -> None:
    state = site(url="http://www.chengdu.com.cn/", site_code_shown="5101010001", missing_marks=("sponsor",),
                 error_report_link=False)
    findings = {finding.key: finding for finding in score_site(state, AS_OF, RULES).findings}
    assert set(findings) == {"missing sponsor", "site_code", "domain", ""}
    assert "主办单位" in findings["missing sponsor"].detail
    assert "5101010001" in findings["site_code"].detail and "5101000001" in findings["site_code"].detail
    assert ".gov.cn" in findings["domain"].detail
    assert findings[""].check == "D-ERRLINK"
    assert all(finding.evidence == ("http://www.chengdu.com.cn/",) for finding in findings.values())


def test_a_service_veto_names_the_poor_guides_and_what_they_show() -> None:
    (veto,) = score_site(site(service_pages=guides(6, shown=5)), AS_OF, RULES).findings
    assert veto.check == "V-SERVICE" and veto.confidence == "suspected"
    assert veto.detail.startswith("6 个办事指南各缺少 10 项要素中的 4 项以上")
    assert len(veto.evidence) == 6
    shown = "办理机构 收费标准 办理时间 联系电话 办理流程"
    assert veto.evidence[0] == f"http://s.gov.cn/bsfw/5/0.html 含 5 项：{shown}"


def test_a_privacy_label_points_at_the_page_and_shows_masked_numbers_only() -> None:
    page = PersonalDataPage(url="http://s.gov.cn/gs/1.html", id_numbers=("110105********002X",),
                            mobiles=("138****5678",))
    (label,) = score_site(site(personal_data=(page,)), AS_OF, RULES).findings
    assert (label.check, label.severity, label.confidence, label.key) == (
        "I-PRIVACY", "info", "suspected", "http://s.gov.cn/gs/1.html")
    assert label.evidence == ("http://s.gov.cn/gs/1.html", "110105********002X", "138****5678")
    assert "身份证号 1 个，手机号 1 个" in label.detail


def test_pages_not_read_whole_are_listed_never_scored() -> None:
    pages = (LimitedPage(url="http://s.gov.cn/calendar/?d=2", repeated=True, capped=()),
             LimitedPage(url="http://s.gov.cn/calendar/?d=3", repeated=True, capped=()),
             LimitedPage(url="http://s.gov.cn/wzdt.html", repeated=False, capped=("links",)))
    result = score_site(site(limited_pages=pages), AS_OF, RULES)
    assert result.score == 100.0
    repeated, capped = result.findings
    assert (repeated.check, repeated.key, repeated.severity) == ("I-CRAWL", "repeated", "info")
    assert repeated.points == 0.0
    assert repeated.evidence == ("http://s.gov.cn/calendar/?d=2", "http://s.gov.cn/calendar/?d=3")
    assert repeated.detail.startswith("2 个页面与同一网址模式的已读页面重复")
    assert (capped.key, capped.evidence) == ("capped", ("http://s.gov.cn/wzdt.html",))
    assert "链接数（links）" in capped.detail


def test_an_unreachable_site_is_judged_unreachable_with_the_evidence() -> None:
    probes = ProbeSummary(latest_ok=False, latest_error="tcp", total_1d=3, failed_1d=3, total_7d=3,
                          failed_7d=3)
    result = score_site(site(probes=probes, homepage_latest_date=None, columns=(), home_fetched=True),
                        AS_OF, RULES)
    (veto,) = result.findings
    assert (veto.check, veto.severity, veto.confidence, veto.key) == ("V-AVAIL", "veto", "suspected", "down")
    assert veto.detail.startswith("网站不能访问（首页无法连接），从未读到页面")
    assert "无法检查" in veto.detail and "探测不足 140 次" in veto.detail
    assert veto.evidence == ("http://www.chengdu.gov.cn/", "最近一次探测：首页无法连接",
                             "7 天内首页探测 3 次，失败 3 次")
    assert (result.score, result.verdict) == (None, "REVIEW")


def test_a_site_back_up_is_judged_on_its_pages_again() -> None:
    probes = ProbeSummary(latest_ok=True, total_7d=4, failed_7d=3)
    result = score_site(site(probes=probes, homepage_latest_date=None, columns=()), AS_OF, RULES)
    assert "V-AVAIL" not in checks(result.findings, "veto")
    assert {"V-HOME", "V-CHANNEL", "V-SERVICE"} <= set(checks(result.findings, "veto"))


def test_judge_findings_without_a_finding_left_passes_with_full_points() -> None:
    state = site(columns=(*BASE_COLUMNS, *stale_news(2)))
    full = score_site(state, AS_OF, RULES)
    assert (full.score, full.verdict) == (90.0, "PASS")
    assert judge_findings(state, [], RULES).score == 100.0
    assert judge_findings(state, list(full.findings), RULES) == full


def test_every_finding_text_is_chinese() -> None:
    every_case = [score_site(case[1], AS_OF, RULES) for case in CASES]
    details = {finding.detail for result in every_case for finding in result.findings}
    assert details
    english = [detail for detail in details if not any("\u4e00" <= char <= "\u9fff" for char in detail)]
    assert english == []


def test_the_glossary_names_every_check_class_level_and_verdict() -> None:
    vetoes = {field.alias for field in type(RULES.vetoes).model_fields.values()}
    labels = {field.alias for field in type(RULES.labels).model_fields.values()}
    assert set(CHECK_NAMES) >= vetoes | labels | set(RULES.deductions)
    assert set(glossary.COLUMN_CLASSES) == {kind.value for kind in ColumnClass}
    assert set(glossary.SITE_LEVELS) == set(get_args(Level))
    assert set(glossary.VERDICTS) == set(get_args(Verdict))
    assert set(glossary.SEVERITIES) == set(get_args(Severity))
    assert set(glossary.CONFIDENCES) == set(get_args(Confidence))
    assert check_label("V-HOME") == "V-HOME 首页信息不更新"
    assert check_name("X-NEW") == "X-NEW" and glossary.word(glossary.VERDICTS, "LATER") == "LATER"


def test_the_glossary_tables_of_docs_alerting_md_are_the_glossary() -> None:
    text = (INDICATORS_PATH.parent.parent / "docs" / "alerting.md").read_text(encoding="utf-8")
    for check, name in CHECK_NAMES.items():
        assert f"| `{check}` | {name} |" in text, check
    for table in (glossary.VERDICTS, glossary.SEVERITIES, glossary.CONFIDENCES, glossary.SITE_LEVELS,
                  glossary.COLUMN_CLASSES, glossary.COLUMN_STATES, glossary.CASE_STATUSES,
                  glossary.ALERT_SEVERITIES):
        for code, chinese in table.items():
            assert f"| `{code}` | {chinese} |" in text, code
