"""Typed items, one per kind of document we index (index govcrawl-<kind>, see ITEM_INDEX)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from datetime import date, datetime

PageKind = Literal["home", "column", "channel", "article", "attachment", "other"]
LinkError = Literal["http", "soft404", "dns", "timeout", "refused", "tls", "redirect_loop",
                    "too_many_redirects", "other", "invalid_url", "too_large", "decompression_limit",
                    "blocked", "blocked_redirect"]
TargetKind = Literal["page", "image", "script", "stylesheet", "frame", "attachment", "external"]
ColumnType = Literal["news", "notice", "policy", "personnel", "plan", "basic", "consult", "survey",
                     "interview", "service", "exempt", "other"]


@dataclass(slots=True, kw_only=True)
class SiteItem:
    """A registered site (govcrawl-sites, id = site_id)."""

    site_id: str
    name: str
    url: str
    level: str
    region: str
    department: str = ""
    host: str = ""
    registered_at: datetime | None = None
    owner: str = ""  # the person responsible for the site (registry column owner)
    contact: str = ""  # how to reach them: phone or e-mail
    supervisor: str = ""  # the supervising office


@dataclass(slots=True, kw_only=True)
class PageItem:
    """One fetched page of a registered site (govcrawl-pages, id from the URL)."""

    site_id: str
    url: str
    status: int
    fetched_at: datetime
    final_url: str | None = None
    # Where the page's links were read when that is not `url`: the page a redirect or a splash page's meta
    # refresh led to, which the broken links read there are reported found on. None when the page was read
    # at `url`, or is a soft 404 (no page of the site was read, whatever address it ended at).
    read_url: str | None = None
    error: str | None = None  # why no answer was read: a LinkError kind (dns, timeout, invalid_url, ...),
    # or parse_error: the answer was read but its analysis raised
    title: str = ""
    content_hash: str = ""
    content_type: str = ""
    body_bytes: int = 0
    encoding: str | None = None
    page_kind: PageKind = "other"
    depth: int = 0
    column_url: str | None = None
    pub_date: date | None = None
    pub_date_source: str | None = None  # meta | label | url | listing | listing_guessed | text
    pub_date_confidence: float | None = None
    first_seen_at: datetime | None = None
    backdated: bool = False
    out_links: int = 0
    meta: dict[str, str] = field(default_factory=dict)  # SiteName, SiteIDCode, ColumnName, PubDate, ...
    list_entries: int = 0  # entries of the column list shown on this page (column pages)
    # Home pages only (D-ID, D-ERRLINK; crawler/extract/identity.py): the 标识码 the page shows, the identity
    # marks it lacks (site_code, icp, police, sponsor), and whether it links the error-report entry.
    site_code_shown: str | None = None
    missing_marks: list[str] = field(default_factory=list)
    error_report_link: bool | None = None
    # Article pages: the service-guide elements (事项名称, 办理材料, ...) the page labels (V-SERVICE;
    # crawler/extract/service.py). Empty for an ordinary article.
    guide_elements: list[str] = field(default_factory=list)
    # Personal data the page shows, masked (I-PRIVACY; crawler/extract/privacy.py): valid resident ID numbers
    # (510104********123X) and distinct mobile numbers (138****5678).
    id_numbers: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    # Content checks (docs/content-checks.md, crawler/content_findings.py): suspected wrong words, names and
    # posts, banned terms, dark links, an abnormal home-page change. Each record holds the keys kind,
    # severity (serious, ordinary), found, right, evidence (the sentence) and where (text, anchor,
    # attachment, link, home).
    content_issues: list[dict[str, str]] = field(default_factory=list)
    # Home pages only (crawler/extract/darklinks.py): bottom-k sketches of the link URLs and of the text
    # blocks, compared with the previous visit's.
    home_links_sketch: list[int] = field(default_factory=list)
    home_text_sketch: list[int] = field(default_factory=list)
    # Limits the analysis hit (links, text: GOVCRAWL_CRAWL_MAX_PAGE_*; nesting: elements deeper than 256
    # levels, dropped by libxml2): what lies past them was not read.
    capped: list[str] = field(default_factory=list)
    # The page repeats an earlier page of its URL pattern this cycle (crawler/traps.py): links of that
    # pattern on it were not followed.
    repeated: bool = False
    cycle: int = 0
    region: str = ""
    level: str = ""


@dataclass(slots=True, kw_only=True)
class LinkItem:
    """The status of one link target as found on one page (govcrawl-links, id = (url, found_on))."""

    site_id: str
    url: str
    found_on: str
    on_homepage: bool
    target_kind: TargetKind
    checked_at: datetime
    ok: bool
    status: int | None = None
    error: LinkError | None = None
    confirmed: bool = False  # 404/410/403, DNS and timeouts are confirmed; other failures suspected
    anchor_text: str = ""
    cycle: int = 0
    region: str = ""
    level: str = ""
    # An attachment whose text was read (crawler/extract/attachments.py): the personal data it shows, masked
    # (I-PRIVACY). Its link record is stored although it works (ok), so a cleaned file clears the finding.
    id_numbers: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ProbeItem:
    """One availability probe of a home page (govcrawl-probes, id = (site_id, started_at))."""

    site_id: str
    url: str
    started_at: datetime
    ok: bool
    elapsed_ms: int
    http_status: int | None = None
    final_url: str | None = None
    error: str | None = None  # dns | tcp | tls | timeout | http, or a refusal kept by its kind (blocked, ...)
    body_bytes: int = 0
    region: str = ""
    level: str = ""


@dataclass(slots=True, kw_only=True)
class ColumnItem:
    """A column (栏目) and its freshness at crawl time (govcrawl-columns, id = (site_id, url))."""

    site_id: str
    url: str
    name: str
    type: ColumnType
    level: int
    checked_at: datetime
    latest_date: date | None = None
    entries: int = 0
    stale: bool = False
    empty: bool = False
    placeholder: bool = False
    parent_url: str | None = None
    column_type_meta: str | None = None
    override: bool = False
    region: str = ""  # ColumnItem.level is the column depth; the site's level is not copied here


@dataclass(slots=True, kw_only=True)
class MessageItem:
    """A public message in a consultation column (govcrawl-messages, id = url)."""

    site_id: str
    column_url: str
    url: str
    title: str
    asked_at: date | None
    answered_at: date | None
    answered: bool
    checked_at: datetime


@dataclass(slots=True, kw_only=True)
class FindingItem:
    """One finding of docs/checks.md §5 for a site at a check point.

    Indexed in govcrawl-findings with id = (site_id, check, as_of, key).
    """

    site_id: str
    region: str
    level: str
    check: str  # V-AVAIL, D-LINK-HOME, I-ZOMBIE, ...
    severity: Literal["veto", "deduction", "info"]
    points: float
    detail: str
    confidence: Literal["confirmed", "suspected"]
    as_of: date
    computed_at: datetime
    key: str = ""  # what the finding is about (a column or link URL); "" for site-level checks
    evidence: list[str] = field(default_factory=list)  # URLs, timestamps, statuses, snippets
    stale_data: bool = False  # the site was down: judged on its last good crawl


@dataclass(slots=True, kw_only=True)
class ReviewItem:
    """A quarterly spot-check task and its outcome (govcrawl-reviews, id = (quarter, site_id))."""

    quarter: str  # 2026Q4
    site_id: str
    name: str
    region: str
    level: str
    url: str
    sampled_at: datetime
    seed: int
    fraction: float
    status: Literal["pending", "confirmed", "corrected"] = "pending"
    reviewer: str = ""
    reviewed_at: datetime | None = None
    findings_confirmed: list[str] = field(default_factory=list)
    findings_overturned: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass(slots=True, frozen=True)
class AckItem:
    """Yielded last for a frontier request: once everything before it is stored, the request is done.

    The validators of a column page or of an attachment whose text was read ride along and are stored
    only then: stored earlier, a crash would leave them behind and the redelivered fetch would get a 304
    for a page whose items were lost.
    """

    shard: int
    fp: bytes
    url: str = ""
    etag: str | None = None
    modified: str | None = None
    length: int | None = None  # an attachment read: its bytes (unchanged if a server without validators
    # answers the same length; crawler/middlewares/attachment_reads.py)


ITEM_INDEX: Final[dict[type, str]] = {
    SiteItem: "sites",
    PageItem: "pages",
    LinkItem: "links",
    ProbeItem: "probes",
    ColumnItem: "columns",
    MessageItem: "messages",
    FindingItem: "findings",
    ReviewItem: "reviews",
}
