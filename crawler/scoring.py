"""Findings, score and verdict of one site from its SiteState (docs/checks.md §1 and §5, indicators.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from crawler.content_findings import content_findings
from crawler.extract.columns import StaleLimit
from crawler.extract.identity import MARK_NAMES, domain_problems, site_code_problems
from crawler.extract.service import GUIDE_ELEMENTS
from crawler.glossary import COLUMN_CLASSES, NOT_CHECKABLE, check_name, probe_failure, word

if TYPE_CHECKING:
    from datetime import datetime

    from crawler.content_findings import ContentPage
    from crawler.indicators import CountRules, Indicators

Severity = Literal["veto", "deduction", "info"]
Confidence = Literal["confirmed", "suspected"]
Verdict = Literal["PASS", "FAIL", "REVIEW", "NO_DATA"]

_CORE_LEVEL1_TYPES = frozenset({"notice", "policy"})
_PERSONNEL_TYPES = frozenset({"personnel", "plan"})


@dataclass(slots=True, frozen=True, kw_only=True)
class ProbeSummary:
    """Home-page probes: the newest one, and counts in the (T-1d, T] and (T-7d, T] windows."""

    latest_ok: bool | None = None  # None: never probed
    latest_at: datetime | None = None
    latest_status: int | None = None
    latest_error: str | None = None
    total_1d: int = 0
    failed_1d: int = 0
    total_7d: int = 0
    failed_7d: int = 0


@dataclass(slots=True, frozen=True, kw_only=True)
class ColumnState:
    """A column as last crawled; `stale` was judged at the check point with the class limit."""

    name: str
    url: str
    type: str
    level: int
    latest_date: date | None
    entries: int
    stale: bool
    empty: bool


@dataclass(slots=True, frozen=True, kw_only=True)
class DeadLink:
    """A broken link target, once per (url, found_on)."""

    url: str
    found_on: str
    on_homepage: bool
    status: int | None
    error: str | None
    confirmed: bool
    target_kind: str = "page"


@dataclass(slots=True, frozen=True, kw_only=True)
class MessageState:
    """A consultation message and its answer date."""

    url: str
    column_url: str
    asked_at: date | None
    answered_at: date | None


@dataclass(slots=True, frozen=True, kw_only=True)
class ServicePage:
    """An article of a service column, with the guide elements it labels (事项名称, 办理材料, ...).

    One that labels none is no guide (a form list, a notice): V-SERVICE leaves it out, D-ATTACH not.
    """

    url: str
    elements: tuple[str, ...]

    @property
    def is_guide(self) -> bool:
        return bool(self.elements)


@dataclass(slots=True, frozen=True, kw_only=True)
class PersonalDataPage:
    """A page showing resident ID numbers or mobile numbers (masked, as the spider stored them)."""

    url: str
    id_numbers: tuple[str, ...]
    mobiles: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class LimitedPage:
    """A page the crawl did not read whole: it repeated an earlier page of its URL pattern (its links
    of that pattern were not followed), or its analysis stopped at a limit ("links", "text")."""

    url: str
    repeated: bool
    capped: tuple[str, ...]


@dataclass(slots=True, frozen=True, kw_only=True)
class SiteState:
    """Everything the checks need about one site at the check point `as_of`."""

    site_id: str
    name: str
    url: str
    region: str
    level: str
    department: str = ""
    supervisor: str = ""  # the supervising office of the registry (routes its alerts); "" when not named
    probes: ProbeSummary = field(default_factory=ProbeSummary)
    home_fetched: bool = False  # a home page document exists (the site was crawled)
    homepage_latest_date: date | None = None  # newest valid date in the homepage lists
    site_code_shown: str | None = None  # the 标识码 the newest home page shows
    missing_marks: tuple[str, ...] = ()  # identity marks it lacks (crawler.extract.identity.MARKS)
    error_report_link: bool | None = None  # it links the error-report entry; None: marks never read
    columns: tuple[ColumnState, ...] = ()
    dead_links: tuple[DeadLink, ...] = ()
    messages: tuple[MessageState, ...] = ()
    service_pages: tuple[ServicePage, ...] = ()
    personal_data: tuple[PersonalDataPage, ...] = ()
    limited_pages: tuple[LimitedPage, ...] = ()  # pages not read whole (I-CRAWL)
    content_pages: tuple[ContentPage, ...] = ()  # pages with content issues (V-SEVERE, D-TYPO)

    @property
    def crawled(self) -> bool:
        return self.home_fetched or bool(self.columns)

    @property
    def reachable(self) -> bool:
        """The newest probe succeeded (no probe yet: whether a home page was fetched)."""
        return self.probes.latest_ok if self.probes.latest_ok is not None else self.home_fetched

    @property
    def pages_read(self) -> bool:
        """Some page of the site was read at least once: a dated home page, its marks, or a column.

        A home page fetch that failed leaves a document too (home_fetched), but nothing read.
        """
        return (self.homepage_latest_date is not None or self.error_report_link is not None
                or self.site_code_shown is not None or bool(self.missing_marks) or bool(self.columns))

    @property
    def unreachable(self) -> bool:
        """The newest probe failed and no page was ever read: only availability can be judged."""
        return self.probes.latest_ok is False and not self.pages_read

    @property
    def stale_data(self) -> bool:
        """The site is down now: column findings rest on its last good crawl."""
        return self.probes.latest_ok is False

    @property
    def has_consult_channel(self) -> bool:
        return any(column.type == "consult" for column in self.columns)

    @property
    def has_service_function(self) -> bool:
        return any(column.type == "service" for column in self.columns)

    @property
    def availability(self) -> float | None:
        """Share of successful probes in the 7-day window, or None without probes."""
        if not self.probes.total_7d:
            return None
        return round(1 - self.probes.failed_7d / self.probes.total_7d, 4)


@dataclass(slots=True, frozen=True, kw_only=True)
class Finding:
    """One result of a check; severity "info" marks early warnings and labels (points 0)."""

    check: str
    severity: Severity
    points: float
    detail: str
    confidence: Confidence = "confirmed"
    key: str = ""
    evidence: tuple[str, ...] = ()
    stale_data: bool = False


@dataclass(slots=True, frozen=True, kw_only=True)
class SiteResult:
    """Findings, score and verdict of a site; score is None only for NO_DATA."""

    findings: tuple[Finding, ...]
    score: float | None
    verdict: Verdict
    deductions_by_group: dict[str, float]


def _veto_or_warning(check: str, count: int, rules: CountRules, *, what: str, evidence: tuple[str, ...],
                     stale_data: bool) -> Finding | None:
    fail, warn, confidence = rules.fail_count, rules.warn_count, rules.confidence
    if count >= fail:
        return Finding(check=check, severity="veto", points=0.0, confidence=confidence,
                       detail=f"{what} {count} 个（达到 {fail} 个即单项否决）", evidence=evidence,
                       stale_data=stale_data)
    if warn is not None and count >= warn:
        return Finding(check=check, severity="info", points=0.0, confidence=confidence,
                       detail=f"预警：{what} {count} 个（达到 {fail} 个即单项否决）", evidence=evidence,
                       stale_data=stale_data)
    return None


def _probe_evidence(state: SiteState, window_days: int) -> tuple[str, ...]:
    probes = state.probes
    evidence = [f"{window_days} 天内首页探测 {probes.total_7d} 次，失败 {probes.failed_7d} 次"]
    if probes.latest_ok is False:
        when = f"（{probes.latest_at:%Y-%m-%d %H:%M} UTC）" if probes.latest_at else ""
        evidence.insert(0, f"最近一次探测{when}：{probe_failure(probes.latest_error, probes.latest_status)}")
    return (state.url, *evidence)


def _availability(state: SiteState, rules: Indicators) -> list[Finding]:
    avail = rules.vetoes.v_avail
    total, failed = state.probes.total_7d, state.probes.failed_7d
    if total < avail.min_probes:
        return []
    ratio = failed / total
    evidence = _probe_evidence(state, avail.window_days)
    if ratio >= avail.fail_ratio:
        return [Finding(check="V-AVAIL", severity="veto", points=0.0, confidence=avail.confidence,
                        detail=f"首页探测失败率 {ratio:.1%}（达到 {avail.fail_ratio:.0%} 即单项否决）",
                        evidence=evidence)]
    if ratio >= avail.warn_ratio:
        return [Finding(check="V-AVAIL", severity="info", points=0.0, confidence=avail.confidence,
                        detail=f"预警：首页探测失败率 {ratio:.1%}（达到 {avail.fail_ratio:.0%} 即单项否决）",
                        evidence=evidence)]
    return []


def _down(state: SiteState, found: list[Finding], rules: Indicators) -> list[Finding]:
    """The site's home page does not answer now (its newest probe failed), unless V-AVAIL already vetoes.

    Never read: a V-AVAIL veto, confirmed once the probes are enough for the official ratio (else a
    person confirms it), and every check that needs pages is not checkable. Read before: a note that
    the other findings rest on the last good crawl.
    """
    if state.probes.latest_ok is not False or any(
            finding.check == "V-AVAIL" and finding.severity == "veto" for finding in found):
        return []
    avail = rules.vetoes.v_avail
    reason = probe_failure(state.probes.latest_error, state.probes.latest_status)
    evidence = _probe_evidence(state, avail.window_days)
    if state.pages_read:
        return [Finding(check="V-AVAIL", severity="info", points=0.0, confidence="confirmed", key="down",
                        detail=f"网站当前不能访问（{reason}）：其余检查依据上次成功抓取的数据",
                        evidence=evidence, stale_data=True)]
    enough = state.probes.total_7d >= avail.min_probes
    return [Finding(
        check="V-AVAIL", severity="veto", points=0.0, confidence="confirmed" if enough else "suspected",
        key="down",
        detail=f"网站不能访问（{reason}），从未读到页面；依赖页面的检查（首页更新、栏目、链接、互动、服务）：{NOT_CHECKABLE}"
               + ("" if enough else f"（探测不足 {avail.min_probes} 次，需人工确认）"),
        evidence=evidence)]


def homepage_date(state: SiteState, as_of: date) -> tuple[date | None, str]:
    """Newest valid homepage date; a navigation-only homepage falls back to its level-2 columns."""
    if state.homepage_latest_date is not None and state.homepage_latest_date <= as_of:
        return state.homepage_latest_date, "首页信息列表"
    dates = [column.latest_date for column in state.columns
             if column.level == 2 and column.type != "exempt" and column.latest_date is not None
             and column.latest_date <= as_of]
    return (max(dates), "二级栏目（首页仅有导航）") if dates else (None, "首页信息列表")


def _homepage(state: SiteState, as_of: date, rules: Indicators) -> list[Finding]:
    home = rules.vetoes.v_home
    if not state.crawled:
        return []
    newest, source = homepage_date(state, as_of)
    evidence = (state.url, f"{source}最新日期：{newest.isoformat() if newest else '无'}")
    if newest is None:
        return [Finding(check="V-HOME", severity="veto", points=0.0, confidence=home.confidence,
                        detail=f"{source}中没有带日期的信息", evidence=evidence,
                        stale_data=state.stale_data)]
    age_days = (as_of - newest).days
    if age_days >= home.fail_days:
        return [Finding(check="V-HOME", severity="veto", points=0.0, confidence=home.confidence,
                        detail=f"首页 {age_days} 天未更新（达到 {home.fail_days} 天即单项否决）",
                        evidence=evidence, stale_data=state.stale_data)]
    if age_days >= home.warn_days:
        return [Finding(check="V-HOME", severity="info", points=0.0, confidence=home.confidence,
                        detail=f"预警：首页 {age_days} 天未更新（达到 {home.fail_days} 天即单项否决）",
                        evidence=evidence, stale_data=state.stale_data)]
    return []


def is_core_stale(column: ColumnState) -> bool:
    """A column V-CORE counts: a NEWS column with no item in 14 days (an empty one too), or a level-1
    NOTICE/POLICY column with none in 6 months (also the exporter's govcrawl_site_core_columns_stale)."""
    level1_core = column.type in _CORE_LEVEL1_TYPES and column.level == 1
    return column.stale and (column.type == "news" or level1_core)


def _columns(state: SiteState, rules: Indicators) -> list[Finding]:
    vetoes, data = rules.vetoes, state.stale_data
    findings: list[Finding] = []
    core = [column.url for column in state.columns if is_core_stale(column)]
    stale = [column.url for column in state.columns
             if column.type != "exempt" and (column.stale or column.empty)]
    empty = [column.url for column in state.columns if column.empty]
    for check, urls, count_rules, what in (
        ("V-CORE", core, vetoes.v_core, "未更新的动态要闻、一级通知公告和政策文件栏目"),
        ("V-STALE", stale, vetoes.v_stale, "未按时更新的栏目（含空白栏目）"),
        ("V-EMPTY", empty, vetoes.v_empty, "空白栏目"),
    ):
        finding = _veto_or_warning(check, len(urls), count_rules, what=what,
                                   evidence=tuple(urls[:rules.report.evidence_items]), stale_data=data)
        if finding is not None:
            findings.append(finding)
    for column in state.columns:
        latest = column.latest_date.isoformat() if column.latest_date else "无"
        evidence = (column.url, f"最新日期 {latest}", f"条目 {column.entries} 条")
        kind = word(COLUMN_CLASSES, column.type)
        if column.empty:
            check, detail = "D-EMPTY", f"栏目“{column.name}”为空白栏目"
        elif not column.stale:
            continue
        elif column.type == "news":
            check, detail = "D-NEWS", f"{kind}栏目“{column.name}”未按时更新（最新 {latest}）"
        elif column.type in _CORE_LEVEL1_TYPES and column.level == 1:
            check, detail = "D-NOTICE", f"一级{kind}栏目“{column.name}”未按时更新（最新 {latest}）"
        elif column.type in _PERSONNEL_TYPES:
            check, detail = "D-PERS", f"{kind}栏目“{column.name}”未按时更新（最新 {latest}）"
        else:
            continue
        findings.append(Finding(check=check, severity="deduction", points=rules.points(check), detail=detail,
                                key=column.url, evidence=evidence, stale_data=data))
    return findings


def _link_kind(link: DeadLink) -> str:
    return " ".join(str(part) for part in (link.error or "http", link.status) if part)


def _links(state: SiteState, rules: Indicators) -> list[Finding]:
    """D-LINK-HOME per homepage link, D-ATTACH per form on a service page, D-LINK-OTHER for the rest."""
    counted = [link for link in state.dead_links if link.confirmed or rules.scoring.count_suspected_links]
    service_pages = {page.url for page in state.service_pages}
    forms = [link for link in counted if not link.on_homepage and link.target_kind == "attachment"
             and link.found_on in service_pages]
    findings: list[Finding] = [Finding(
        check="D-ATTACH", severity="deduction", points=rules.points("D-ATTACH"),
        confidence="confirmed" if link.confirmed else "suspected", key=f"{link.url} {link.found_on}",
        detail=f"办事表格 {link.url} 无法下载（{_link_kind(link)}）",
        evidence=(link.url, link.found_on)) for link in forms]
    for link in counted:
        if link.on_homepage:
            findings.append(Finding(
                check="D-LINK-HOME", severity="deduction", points=rules.points("D-LINK-HOME"),
                confidence="confirmed" if link.confirmed else "suspected", key=f"{link.url} {link.found_on}",
                detail=f"首页错链 {link.url}（{_link_kind(link)}）",
                evidence=(link.url, link.found_on)))
    form_links = set(forms)
    others = [link for link in counted if not link.on_homepage and link not in form_links]
    if others:
        suspected = sum(1 for link in others if not link.confirmed)
        findings.append(Finding(
            check="D-LINK-OTHER", severity="deduction",
            points=round(rules.points("D-LINK-OTHER") * len(others), 4),
            confidence="confirmed" if suspected == 0 else "suspected",
            detail=f"其他页面错链 {len(others)} 个（其中疑似 {suspected} 个）",
            evidence=tuple(f"{link.url} 位于 {link.found_on}"
                           for link in others[:rules.report.evidence_items])))
    soft = [link for link in state.dead_links if link.error == "soft404"]
    if soft:
        findings.append(Finding(
            check="I-SOFT404", severity="info", points=0.0, confidence="suspected",
            detail=f"软错误页面 {len(soft)} 个（返回 200 但内容为出错提示），按疑似错链计",
            evidence=tuple(link.url for link in soft[:rules.report.evidence_items])))
    return findings


def late_messages(state: SiteState, as_of: date, rules: Indicators) -> list[MessageState]:
    """V-REPLY's messages: asked in its window (12 to 3 months before as_of, exempt columns left out)
    and answered later than its limit, or not at all. Scoring and the exporter both count these."""
    reply = rules.vetoes.v_reply
    exempt = {column.url for column in state.columns if column.type == "exempt"}
    oldest = StaleLimit(months=reply.lookback_months).cutoff(as_of)
    youngest = StaleLimit(months=reply.min_age_months).cutoff(as_of)
    return [message for message in state.messages
            if message.column_url not in exempt and message.asked_at is not None
            and oldest < message.asked_at <= youngest
            and (message.answered_at is None
                 or (message.answered_at - message.asked_at).days > reply.unanswered_days)]


def _messages(state: SiteState, as_of: date, rules: Indicators) -> list[Finding]:
    exempt = {column.url for column in state.columns if column.type == "exempt"}
    messages = [message for message in state.messages if message.column_url not in exempt]
    findings: list[Finding] = []
    if state.crawled and not state.has_consult_channel:
        findings.append(Finding(check="V-CHANNEL", severity="veto", points=0.0,
                                confidence=rules.vetoes.v_channel.confidence,
                                detail="未找到咨询留言栏目或表单（需人工确认）",
                                evidence=(state.url,)))
    reply = rules.vetoes.v_reply
    late = late_messages(state, as_of, rules)
    if late:
        findings.append(Finding(
            check="V-REPLY", severity="veto", points=0.0, confidence=reply.confidence,
            detail=f"{len(late)} 条留言超过 {reply.unanswered_days} 天未答复（需人工确认留言有效）",
            evidence=tuple(message.url for message in late[:rules.report.evidence_items])))
    if messages:
        answered = [message.answered_at for message in messages if message.answered_at is not None]
        newest = max(answered) if answered else None
        max_age = rules.deductions["D-REPLY-LIST"].max_age_days or 60
        if newest is None or newest <= as_of - timedelta(days=max_age):
            findings.append(Finding(
                check="D-REPLY-LIST", severity="deduction", points=rules.points("D-REPLY-LIST"),
                detail=f"{max_age} 天内未公开留言答复（最新答复 {newest.isoformat() if newest else '无'}）",
                evidence=tuple(sorted({message.column_url for message in messages}))))
    return findings


def _service(state: SiteState, rules: Indicators) -> list[Finding]:
    """V-SERVICE: no service section (department sites aside), or too many guides missing elements."""
    service = rules.vetoes.v_service
    if not state.crawled:
        return []
    if not state.has_service_function:
        if state.level == "department":  # §1 skips their service group
            return []
        return [Finding(check="V-SERVICE", severity="veto", points=0.0, confidence=service.confidence,
                        detail="未找到办事服务栏目（需人工确认）", evidence=(state.url,),
                        stale_data=state.stale_data)]
    poor = [guide for guide in state.service_pages
            if guide.is_guide and len(GUIDE_ELEMENTS) - len(guide.elements) >= service.min_missing]
    if len(poor) < service.fail_count:
        return []
    return [Finding(
        check="V-SERVICE", severity="veto", points=0.0, confidence=service.confidence,
        detail=f"{len(poor)} 个办事指南各缺少 {len(GUIDE_ELEMENTS)} 项要素中的 {service.min_missing} 项以上"
               f"（达到 {service.fail_count} 个即单项否决；需人工确认）",
        evidence=tuple(f"{guide.url} 含 {len(guide.elements)} 项：{' '.join(guide.elements)}"
                       for guide in poor[:rules.report.evidence_items]),
        stale_data=state.stale_data)]


def _service_statistics(state: SiteState, rules: Indicators) -> list[Finding]:
    """D-SVC-STATS: the site's service statistics columns (办件统计) show nothing within their limit."""
    keywords = rules.deductions["D-SVC-STATS"].keywords or []
    stats = [column for column in state.columns
             if column.type == "service" and any(keyword in column.name for keyword in keywords)]
    if not stats or not all(column.stale or column.empty for column in stats):
        return []
    newest = max((column.latest_date for column in stats if column.latest_date), default=None)
    return [Finding(
        check="D-SVC-STATS", severity="deduction", points=rules.points("D-SVC-STATS"),
        detail=f"办件统计未按时更新（最新 {newest.isoformat() if newest else '无'}）",
        evidence=tuple(column.url for column in stats), stale_data=state.stale_data)]


def _identity(state: SiteState, rules: Indicators) -> list[Finding]:
    """D-ID (each missing mark, a wrong 标识码, a host outside .gov.cn) and D-ERRLINK, from the home page."""
    if state.error_report_link is None:
        return []
    problems = [(f"missing {mark}", f"首页未展示{MARK_NAMES.get(mark, mark)}")
                for mark in state.missing_marks]
    if site_code_problems(state.site_code_shown, state.site_id):
        problems.append(("site_code",
                         f"首页展示的标识码 {state.site_code_shown} 与登记的 {state.site_id} 不符"))
    host = urlsplit(state.url).hostname or ""
    if domain_problems(host):
        problems.append(("domain", f"域名 {host} 不在 .gov.cn 下"))
    findings = [Finding(check="D-ID", severity="deduction", points=rules.points("D-ID"), key=key,
                        detail=detail, evidence=(state.url,), stale_data=state.stale_data)
                for key, detail in problems]
    if not state.error_report_link:
        findings.append(Finding(
            check="D-ERRLINK", severity="deduction", points=rules.points("D-ERRLINK"),
            detail="首页没有链接“我为政府网站找错”入口",
            evidence=(state.url,), stale_data=state.stale_data))
    return findings


def _privacy(state: SiteState, rules: Indicators) -> list[Finding]:
    """I-PRIVACY: each page with a valid resident ID number or a list of mobile numbers, for review."""
    least = rules.labels.i_privacy.min_mobiles
    return [Finding(check="I-PRIVACY", severity="info", points=0.0, confidence="suspected", key=page.url,
                    detail=f"{page.url} 展示个人信息：身份证号 {len(page.id_numbers)} 个，"
                           f"手机号 {len(page.mobiles)} 个（请核实并删除）",
                    evidence=(page.url, *page.id_numbers[:5], *page.mobiles[:5]))
            for page in state.personal_data if page.id_numbers or len(page.mobiles) >= least]


_LIMIT_NAMES = {"links": "链接数", "text": "文本长度", "nesting": "嵌套层数"}


def _crawl_limits(state: SiteState, rules: Indicators) -> list[Finding]:
    """I-CRAWL: what the crawl left unread on the site, so nobody takes a missing page for a fixed one."""
    findings: list[Finding] = []
    repeated = [page.url for page in state.limited_pages if page.repeated]
    if repeated:
        findings.append(Finding(
            check="I-CRAWL", severity="info", points=0.0, confidence="suspected", key="repeated",
            detail=f"{len(repeated)} 个页面与同一网址模式的已读页面重复（疑似爬虫陷阱）："
                   "其中该模式的链接未继续检查",
            evidence=tuple(repeated[:rules.report.evidence_items])))
    capped = [page for page in state.limited_pages if page.capped]
    if capped:
        limits = sorted({limit for page in capped for limit in page.capped})
        named = "、".join(f"{_LIMIT_NAMES.get(limit, limit)}（{limit}）" for limit in limits)
        findings.append(Finding(
            check="I-CRAWL", severity="info", points=0.0, confidence="confirmed", key="capped",
            detail=f"{len(capped)} 个页面只读到分析上限 {named}：上限之后的内容未检查",
            evidence=tuple(page.url for page in capped[:rules.report.evidence_items])))
    return findings


def _zombie(state: SiteState, as_of: date, findings: list[Finding], rules: Indicators) -> list[Finding]:
    if not state.crawled:
        return []
    vetoed = sorted({finding.check for finding in findings
                     if finding.severity == "veto" and finding.check in ("V-HOME", "V-CORE")})
    quiet_days = rules.labels.i_zombie.quiet_days
    dates = [column.latest_date for column in state.columns
             if column.type != "exempt" and column.latest_date is not None and column.latest_date <= as_of]
    if state.homepage_latest_date is not None and state.homepage_latest_date <= as_of:
        dates.append(state.homepage_latest_date)
    newest = max(dates) if dates else None
    quiet = newest is None or newest <= as_of - timedelta(days=quiet_days)
    if not vetoed and not quiet:
        return []
    reasons = [f"{check} {check_name(check)}" for check in vetoed]
    reasons += [f"{quiet_days} 天内无新信息"] if quiet else []
    return [Finding(check="I-ZOMBIE", severity="info", points=0.0,
                    detail="疑似僵尸网站：" + "；".join(reasons),
                    evidence=(f"最新信息 {newest.isoformat() if newest else '无'}",),
                    stale_data=state.stale_data)]


def _score(state: SiteState, findings: list[Finding], rules: Indicators) -> tuple[float, dict[str, float]]:
    skip_service = state.level == "department" and not state.has_service_function
    by_group: dict[str, float] = {}
    for name, group in rules.groups.items():
        if skip_service and name == rules.service_group:
            continue
        spent = sum(finding.points for finding in findings
                    if finding.severity == "deduction" and finding.check in group.checks)
        by_group[name] = round(min(group.points, spent), 4)
    deducted = sum(by_group.values())
    if skip_service:
        deducted *= rules.scoring.department_scale_without_service
    return round(max(0.0, rules.scoring.start_points - deducted), 2), by_group


def judge_findings(state: SiteState, findings: list[Finding], rules: Indicators) -> SiteResult:
    """Score (capped per group) and verdict of a site from its findings.

    A confirmed veto makes the verdict FAIL; the score is still computed for information. A veto
    that is only suspected (text judgement) makes it REVIEW unless the score fails anyway. A site
    never read (unreachable) has no score: nothing that needs pages could be checked.
    """
    vetoes = [finding for finding in findings if finding.severity == "veto"]
    confirmed_veto = any(finding.confidence == "confirmed" for finding in vetoes)
    if state.unreachable:
        return SiteResult(findings=tuple(findings), score=None,
                          verdict="FAIL" if confirmed_veto else "REVIEW", deductions_by_group={})
    score, by_group = _score(state, findings, rules)
    verdict: Verdict
    if confirmed_veto or score < rules.scoring.fail_below:
        verdict = "FAIL"
    elif vetoes:
        verdict = "REVIEW"
    else:
        verdict = "PASS"
    return SiteResult(findings=tuple(findings), score=score, verdict=verdict, deductions_by_group=by_group)


def score_site(state: SiteState, as_of: date, rules: Indicators) -> SiteResult:
    """Every automated finding of a site at as_of, its score and its verdict (judge_findings).

    A site whose home page does not answer and was never read is judged by availability alone.
    """
    if not state.crawled and state.probes.latest_ok is None:
        return SiteResult(findings=(), score=None, verdict="NO_DATA", deductions_by_group={})
    findings = _availability(state, rules)
    findings += _down(state, findings, rules)
    if not state.unreachable:
        findings += _homepage(state, as_of, rules) + _columns(state, rules)
        findings += _links(state, rules) + _messages(state, as_of, rules) + _service(state, rules)
        findings += _service_statistics(state, rules) + _identity(state, rules) + _privacy(state, rules)
        findings += _crawl_limits(state, rules) + content_findings(state.content_pages, rules)
        findings += _zombie(state, as_of, findings, rules)
    return judge_findings(state, findings, rules)
