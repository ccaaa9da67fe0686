"""Score a report (contract JSON) against the farm's truth: links, columns, footers, guides, personal data,
content checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from w3lib.url import canonicalize_url


@dataclass(slots=True, frozen=True)
class Score:
    """Precision, recall and F1 of a found set against a true set."""

    found: int
    true: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return (f"precision {self.precision:.3f} recall {self.recall:.3f} F1 {self.f1:.3f} "
                f"({self.hits} right of {self.found} found, {self.true} true)")


_ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx")


def _canon(url: str) -> str:
    return canonicalize_url(url)


def _aliases(truth: dict[str, Any]) -> dict[str, str]:
    """Other URLs of a page (world b: session ids, parameter order) → the URL truth lists it under."""
    return {_canon(alias): _canon(url) for site in truth["sites"]
            for alias, url in site.get("aliases", {}).items()}


def _page_url(url: str, aliases: dict[str, str]) -> str:
    canonical = _canon(url)
    return aliases.get(canonical, canonical)


def _score(found: set[Any], true: set[Any]) -> Score:
    return Score(found=len(found), true=len(true), hits=len(found & true))


def _judged_sites(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sites whose state a crawl can observe: up ones (a down site keeps its last good crawl)."""
    return {site["site_id"]: site for site in truth["sites"] if not site.get("down")}


def dead_links(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """(url, found_on) pairs of broken links; truth pairs on robots-disallowed pages are not observable."""
    sites = _judged_sites(truth)
    true: set[tuple[str, str]] = set()
    for site in sites.values():
        hidden = {_canon(url) for url, page in site["pages"].items() if page.get("robots_disallowed")}
        for link in site["dead_links"]:
            if _canon(link["found_on"]) not in hidden:
                true.add((_canon(link["url"]), _canon(link["found_on"])))
    aliases = _aliases(truth)
    found = {(_canon(link["url"]), _page_url(link["found_on"], aliases))
             for site in report["sites"] if site["site_id"] in sites for link in site["dead_links"]}
    return _score(found, true)


def soft404s(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """Dead links whose target answers 200 with an error page, as (url, found_on) pairs."""
    sites = _judged_sites(truth)
    aliases = _aliases(truth)
    true = {(_canon(link["url"]), _canon(link["found_on"])) for site in sites.values()
            for link in site["dead_links"] if link["error"] == "soft404"}
    found = {(_canon(link["url"]), _page_url(link["found_on"], aliases))
             for site in report["sites"] if site["site_id"] in sites for link in site["dead_links"]}
    return _score(found & true, true)


def pages(stored_urls: set[str], truth: dict[str, Any]) -> Score:
    """Live pages of the crawlable sites stored (robots-disallowed pages and attachments aside)."""
    aliases = _aliases(truth)
    true = {_canon(url) for site in _judged_sites(truth).values() for url, page in site["pages"].items()
            if not page.get("robots_disallowed") and page["kind"] != "attachment"}
    found = {_page_url(url, aliases) for url in stored_urls}
    return _score(found & true, true)


def column_dates(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """Columns of truth found by the crawl whose newest date is the true one (hits = exact dates)."""
    sites = _judged_sites(truth)
    true = {(_canon(column["url"]), column["latest_date"]) for site in sites.values()
            for column in site["columns"]}
    true_urls = {url for url, _ in true}
    aliases = _aliases(truth)
    found = {(url, column["latest_date"]) for site in report["sites"] if site["site_id"] in sites
             for column in site["columns"] if (url := _page_url(column["url"], aliases)) in true_urls}
    return Score(found=len(found), true=len(found), hits=len(found & true))


def columns_found(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """The columns the report lists against the truth's (by column URL, aliases mapped): a column never
    found costs nothing in the stale, empty and date scores, so this says how many there are."""
    sites = _judged_sites(truth)
    true = {_canon(column["url"]) for site in sites.values() for column in site["columns"]}
    aliases = _aliases(truth)
    found = {_page_url(column["url"], aliases) for site in report["sites"] if site["site_id"] in sites
             for column in site["columns"]}
    return _score(found, true)


def columns(report: dict[str, Any], truth: dict[str, Any], flag: str) -> Score:
    """Columns flagged `stale` or `empty`, by column URL (a column linked by another URL of its page, such as
    its address spelled in GBK percent-escapes, is that page's column)."""
    sites = _judged_sites(truth)
    true = {_canon(column["url"]) for site in sites.values() for column in site["columns"]
            if column.get(flag)}
    aliases = _aliases(truth)
    found = {_page_url(column["url"], aliases) for site in report["sites"] if site["site_id"] in sites
             for column in site["columns"] if column.get(flag)}
    return _score(found, true)


def identity(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """(site, problem) pairs of D-ID and D-ERRLINK: missing marks, a wrong 标识码, no error-report link."""
    sites = _judged_sites(truth)
    true: set[tuple[str, str]] = set()
    for site_id, site in sites.items():
        true |= {(site_id, f"missing {mark}") for mark in site["missing_marks"]}
        if site["site_code_shown"] not in (None, site_id):
            true.add((site_id, "site_code"))
        if not site["error_report_link"]:
            true.add((site_id, "D-ERRLINK"))
    found = {(site["site_id"], finding["key"] or finding["check"]) for site in report["sites"]
             if site["site_id"] in sites for finding in site["findings"]
             if finding["check"] in ("D-ID", "D-ERRLINK")}
    return _score(found, true)


def service_vetoes(report: dict[str, Any], truth: dict[str, Any], *, min_missing: int = 4,
                   fail_count: int = 5) -> Score:
    """Sites vetoed by V-SERVICE: no service column (departments aside), or too many poor guides."""
    sites = _judged_sites(truth)
    true = set()
    for site_id, site in sites.items():
        has_service = any(column["type"] == "service" for column in site["columns"])
        poor = [guide for guide in site["service_guides"] if 10 - guide["elements"] >= min_missing]
        if (not has_service and site["level"] != "department") or len(poor) >= fail_count:
            true.add(site_id)
    found = {site["site_id"] for site in report["sites"] if site["site_id"] in sites
             and any(finding["check"] == "V-SERVICE" for finding in site["findings"])}
    return _score(found, true)


def personal_data(report: dict[str, Any], truth: dict[str, Any], *, min_mobiles: int = 3) -> Score:
    """Pages reported under I-PRIVACY: those showing a resident ID number or a list of mobile numbers."""
    sites = _judged_sites(truth)
    true = {_canon(page["url"]) for site in sites.values() for page in site["personal_data"]
            if page["id_numbers"] or page["mobiles"] >= min_mobiles}
    found = {_canon(warning["key"]) for site in report["sites"] if site["site_id"] in sites
             for warning in site["warnings"] if warning["check"] == "I-PRIVACY"
             and not warning["key"].lower().endswith(_ATTACHMENT_EXTENSIONS)}  # attachments: their own score
    return _score(found, true)


def service_forms(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """(url, found_on) pairs of D-ATTACH: broken attachment links on the farm's service pages (its guides)."""
    sites = _judged_sites(truth)
    true = set()
    for site in sites.values():
        guides = {_canon(guide["url"]) for guide in site["service_guides"]}
        true |= {(_canon(link["url"]), _canon(link["found_on"])) for link in site["dead_links"]
                 if link["kind"] == "attachment" and _canon(link["found_on"]) in guides}
    found = {(_canon(finding["evidence"][0]), _canon(finding["evidence"][1])) for site in report["sites"]
             if site["site_id"] in sites for finding in site["findings"] if finding["check"] == "D-ATTACH"}
    return _score(found, true)


def service_statistics(report: dict[str, Any], truth: dict[str, Any]) -> Score:
    """Sites given D-SVC-STATS: every service column named like 办件统计 is stale."""
    sites = _judged_sites(truth)
    true = set()
    for site_id, site in sites.items():
        stats = [column for column in site["columns"]
                 if column["type"] == "service" and "统计" in column["name"]]
        if stats and all(column["stale"] or column["empty"] for column in stats):
            true.add(site_id)
    found = {site["site_id"] for site in report["sites"] if site["site_id"] in sites
             and any(finding["check"] == "D-SVC-STATS" for finding in site["findings"])}
    return _score(found, true)


# Content checks (issue 14, docs/content-checks.md): one finding per (site, kind, form found).
CONTENT_CHECKS: dict[str, tuple[str, frozenset[str]]] = {
    "wrong words":    ("D-TYPO", frozenset({"typo", "name"})),
    "serious wording": ("V-SEVERE", frozenset({"national", "leader", "post"})),
    "banned terms":   ("V-SEVERE", frozenset({"banned", "gambling", "porn"})),
    "dark links":     ("V-SEVERE", frozenset({"dark", "blocked"})),
}
_URL_KINDS = frozenset({"dark", "blocked", "defacement"})


def _issue(kind: str, found: str) -> tuple[str, str]:
    return kind, _canon(found) if kind in _URL_KINDS else found


def content_issues(report: dict[str, Any], truth: dict[str, Any], check: str, kinds: frozenset[str]) -> Score:
    """(site, kind, form found) of one content check: the report's findings against the farm's faults."""
    sites = _judged_sites(truth)
    true = {(site_id, *_issue(issue["kind"], issue["found"])) for site_id, site in sites.items()
            for issue in site.get("content_issues", []) if issue["check"] == check and issue["kind"] in kinds}
    found = set()
    for site in report["sites"]:
        for finding in site["findings"] if site["site_id"] in sites else ():
            kind, _, form = finding["key"].partition(" ")
            if finding["check"] == check and kind in kinds:
                found.add((site["site_id"], *_issue(kind, form)))
    return _score(found, true)


def attachment_personal_data(report: dict[str, Any], truth: dict[str, Any], *, min_mobiles: int = 3) -> Score:
    """Attachments reported under I-PRIVACY: PDF/DOC/DOCX/XLS/XLSX files listing ID or mobile numbers."""
    sites = _judged_sites(truth)
    true = {_canon(page["url"]) for site in sites.values() for page in site.get("personal_attachments", [])
            if page["id_numbers"] or page["mobiles"] >= min_mobiles}
    found = {_canon(warning["key"]) for site in report["sites"] if site["site_id"] in sites
             for warning in site["warnings"] if warning["check"] == "I-PRIVACY"
             and warning["key"].lower().endswith(_ATTACHMENT_EXTENSIONS)}
    return _score(found, true)
