"""Findings of the content checks (D-TYPO, V-SEVERE candidates) from the issues the crawl stored on pages.

The spider stores what each page shows in PageItem.content_issues (crawler/page_analysis.py,
crawler/extract/wording.py, crawler/extract/darklinks.py); here a site's issues become findings, one per
(kind, form found) with the pages showing it. Every one is `suspected`: a person confirms it through the
review worklist and the case ledger. Serious ones (a leader's name or post, a national name, banned or
injected content, dark links, a blocklisted domain, a defaced home page) are V-SEVERE candidates, a veto
only once confirmed; ordinary wrong words and names are D-TYPO, deducted only once confirmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

from crawler.extract.wording import DictionaryError, dictionaries_at

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from scrapy.settings import BaseSettings

    from crawler.extract.wording import Dictionaries
    from crawler.indicators import Indicators
    from crawler.scoring import Finding

logger = logging.getLogger(__name__)

IssueKind = Literal["typo", "name", "national", "leader", "post", "banned", "gambling", "porn", "dark",
                    "blocked", "defacement", "backdated"]
IssueSeverity = Literal["serious", "ordinary"]
IssueWhere = Literal["text", "anchor", "attachment", "link", "home", "date"]

# What staff read for each kind (the same words in findings, worklists and docs/content-checks.md).
ISSUE_WORDS: Final[Mapping[str, str]] = {
    "typo": "错别字",
    "name": "名称错误",
    "national": "国名党名错误",
    "leader": "领导人姓名错误",
    "post": "领导人职务错误",
    "banned": "违禁用语",
    "gambling": "涉赌内容",
    "porn": "涉黄内容",
    "dark": "暗链",
    "blocked": "链接指向封禁域名",
    "defacement": "首页异常变化（疑似被篡改）",
    "backdated": "发布日期倒填",
}
WHERE_WORDS: Final[Mapping[str, str]] = {
    "text": "正文", "anchor": "链接文字", "attachment": "附件名称", "link": "链接地址", "home": "首页",
    "date": "发布日期",
}
_SEVERE_CHECK: Final = "V-SEVERE"
TYPO_CHECK: Final = "D-TYPO"  # also read by crawler.cases: a confirmed typo takes its points
_EVIDENCE_PAGES: Final = 5
_PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class ContentIssue:
    """One suspected problem a page shows: its kind, the form found, what it should be, the sentence."""

    kind: IssueKind
    severity: IssueSeverity
    found: str
    right: str = ""
    evidence: str = ""
    where: IssueWhere = "text"

    def record(self) -> dict[str, str]:
        """The form stored in PageItem.content_issues."""
        return {"kind": self.kind, "severity": self.severity, "found": self.found, "right": self.right,
                "evidence": self.evidence, "where": self.where}

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> ContentIssue | None:
        """The issue a stored record describes; None for a record this code does not know."""
        kind, severity, where = record.get("kind"), record.get("severity"), record.get("where", "text")
        if kind not in get_args(IssueKind) or severity not in get_args(IssueSeverity) \
                or where not in get_args(IssueWhere):
            return None
        return cls(kind=kind, severity=severity, found=str(record.get("found") or ""),  # type: ignore[arg-type]
                   right=str(record.get("right") or ""), evidence=str(record.get("evidence") or ""),
                   where=where)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ContentPage:
    """A page (or attachment) of a site and the content issues stored on it."""

    url: str
    issues: tuple[ContentIssue, ...]


def issue_key(issue: ContentIssue) -> str:
    """What a content finding is about: the kind and the form found (one finding per site and key); all
    backdated pages of a site make one finding."""
    return issue.kind if issue.kind == "backdated" else f"{issue.kind} {issue.found}"


def _detail(issue: ContentIssue, pages: int) -> str:
    if issue.kind == "backdated":
        return (f"疑似{ISSUE_WORDS['backdated']}：{pages} 个页面标注的发布日期远早于首次发现的时间，"
                f"其间所在栏目已抓取而未见（如{issue.evidence}），须人工确认")
    should = f"，应为“{issue.right}”" if issue.right else ""
    return (f"疑似{ISSUE_WORDS[issue.kind]}：“{issue.found}”{should}（{WHERE_WORDS[issue.where]}，"
            f"{pages} 个页面），须人工确认")


def content_findings(pages: Iterable[ContentPage], rules: Indicators) -> list[Finding]:
    """V-SEVERE candidates and D-TYPO findings of a site, one per (kind, form), pages as evidence.

    D-TYPO carries no points while suspected: the criteria deduct each confirmed typo only.
    """
    from crawler.scoring import Finding  # noqa: PLC0415  # scoring imports this module

    grouped: dict[str, tuple[ContentIssue, list[str]]] = {}
    for page in pages:
        for issue in page.issues:
            entry = grouped.setdefault(issue_key(issue), (issue, []))
            if page.url not in entry[1]:
                entry[1].append(page.url)
    findings: list[Finding] = []
    for key, (issue, urls) in sorted(grouped.items()):
        evidence = (issue.evidence, *urls[:_EVIDENCE_PAGES])
        if issue.severity == "serious":
            findings.append(Finding(check=_SEVERE_CHECK, severity="veto", points=0.0, confidence="suspected",
                                    detail=_detail(issue, len(urls)), key=key, evidence=evidence))
        else:
            points = rules.points(TYPO_CHECK)
            findings.append(Finding(check=TYPO_CHECK, severity="deduction", points=0.0,
                                    confidence="suspected", key=key,
                                    detail=f"{_detail(issue, len(urls))}，确认后每处扣 {points:g} 分",
                                    evidence=evidence))
    return findings


def content_dictionaries(settings: BaseSettings) -> Dictionaries | None:
    """The dictionaries the content checks use (GOVCRAWL_CONTENT_*), loaded once per process; None when
    the checks are off, or (logged as an error) when the dictionary directory is missing."""
    if not settings.getbool("GOVCRAWL_CONTENT_ENABLED"):
        return None
    directory = Path(settings.get("GOVCRAWL_CONTENT_DICTIONARY_DIR"))
    if not directory.is_absolute():
        directory = _PROJECT_ROOT / directory
    try:
        return dictionaries_at(str(directory))
    except DictionaryError as exc:
        logger.error("Content checks are off: %(error)s", {"error": exc})
        return None
