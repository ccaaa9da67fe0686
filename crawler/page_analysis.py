"""Analyse one fetched page: decode and parse once; title, meta, dates, columns, messages, out-links."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import xxhash

from crawler import defaults
from crawler.content_findings import ContentIssue
from crawler.extract.columns import (
    ChannelBlock,
    ColumnClass,
    Listing,
    channel_blocks,
    classify_column,
    find_columns,
    is_channel,
    is_empty_listing,
    is_stale,
    parse_column_listing,
    parse_data_listing,
    parse_message_listing,
)
from crawler.extract.content import OwnContent, PageContent, SiteTemplate, page_content, similarity
from crawler.extract.darklinks import dark_links, sketch
from crawler.extract.dates import PublishDate, extract_publish_date, parse_date_text
from crawler.extract.encoding import decode_html
from crawler.extract.identity import identity_marks
from crawler.extract.links import (
    ATTACHMENT_EXTENSIONS,
    IMAGE_EXTENSIONS,
    absolute_url,
    base_href,
    canonical_url,
    classify_response,
    element_text,
    error_phrase,
    extension_of,
    extract_links,
    in_nav,
    script_data_urls,
    script_texts,
    text_for_lxml,
    visible_text,
)
from crawler.extract.markers import (
    NOT_COLUMN_OR_PAGER_NAMES,
    NOT_MENU_MARKERS,
    SUB_MENU_MARKERS,
    marker,
)
from crawler.extract.privacy import may_hold_personal_data, personal_data
from crawler.extract.service import guide_elements
from crawler.extract.wording import (
    BANNED_KINDS,
    blocked_domain,
    find_terms,
    find_wording,
    links_blocked_domain,
    mentions_any,
)
from crawler.items import ColumnItem, MessageItem, PageItem

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date, datetime

    from lxml.html import HtmlElement

    from crawler.content_findings import IssueWhere
    from crawler.extract.columns import ColumnOverride
    from crawler.extract.links import Link
    from crawler.extract.wording import Dictionaries
    from crawler.items import ColumnType, PageKind, TargetKind
    from crawler.registry import Site

logger = logging.getLogger(__name__)

Crawl = Literal["column", "article", "page", "check"]
RequestKind = Literal["home", "column", "article", "page"]

# Guideline <meta name=...> labels (docs/checks.md §4): read case-insensitively, stored under these names.
META_NAMES: Final[tuple[str, ...]] = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnDescription",
    "ColumnKeywords",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
    "Keywords",
    "Description",
    "Author",
    "Image",
    "Url",
)
_META_BY_LOWER: Final[dict[str, str]] = {name.lower(): name for name in META_NAMES}
META_VALUE_MAX_CHARS = 500
TITLE_MAX_CHARS = 300
_HTML_SNIFF = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|table|p\b)", re.I | re.S
)
_TITLE_SEPARATORS = "_|｜-－—–·:：> "
_CRUMB_BY_MARKER = lxml.etree.XPath(
    "(//*[@class or @id][contains(concat(@class,' ',@id),'crumb') or contains(concat(@class,' ',@id),'bread')"
    " or contains(concat(@class,' ',@id),'position') or contains(concat(@class,' ',@id),'location')"
    " or contains(@class,'weizhi') or contains(@class,'dqwz')])[1]"
)
_CRUMB_BY_TEXT = lxml.etree.XPath(
    "(//body//*[starts-with(normalize-space(text()),'当前位置')"
    " or starts-with(normalize-space(text()),'您的位置')"
    " or starts-with(normalize-space(text()),'您现在的位置')"
    " or starts-with(normalize-space(text()),'所在位置')])[1]"
)
_CRUMB_PREFIX = re.compile(r"^.{0,8}位置\s*[:：]?\s*")
_CRUMB_SPLIT = re.compile(r"\s*(?:>>|>|»|＞|›|→|/|\\)\s*")
_HOME_WORDS = frozenset({"首页", "网站首页", "主页", "home", "Home", "HOME"})
# Trails that end "… > 通知公告 > 正文" name the article generically after its column.
_ARTICLE_CRUMB_WORDS = frozenset({"正文", "详情", "内容", "正文内容", "详细内容", "文章内容", "浏览文章"})
_HOME_PATHS = frozenset(
    {
        "",
        "/",
        "/index.html",
        "/index.htm",
        "/index.shtml",
        "/index.jsp",
        "/index.php",
        "/default.html",
        "/default.htm",
        "/default.aspx",
        "/index.aspx",
    }
)
# A consultation letter's page dates itself by when it was asked (留言时间：2026-10-01), a label the
# article-date extractor does not trust on other pages.
_ASKED_DATE = re.compile(
    r"(?:留言|提问|来信|写信|咨询|投诉)(?:时间|日期)\s*(?:<[^>]{0,80}>\s*){0,3}[:：]?\s*(?:<[^>]{0,80}>\s*){0,3}"
    r"((?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})"
)
_ASKED_DATE_CONFIDENCE = 0.7
_COLUMN_NAME_CHARS = (2, 12)
_MENU_CLIMB_LIMIT = 6
_TYPE_OF_CLASS: Final[dict[ColumnClass, ColumnType]] = {cls: cls.value for cls in ColumnClass}
_PAGE_KIND_OF_REQUEST: Final[dict[str, PageKind]] = {"home": "home", "column": "column", "article": "article"}


@dataclass(slots=True, frozen=True, kw_only=True)
class PageLimits:
    """How much of one page is analysed (GOVCRAWL_CRAWL_MAX_PAGE_*): work per page stays bounded, so no
    page (a 网站地图 of 100,000 links) holds the worker's reactor for long."""

    max_links: int = defaults.GOVCRAWL_CRAWL_MAX_PAGE_LINKS
    max_text_chars: int = defaults.GOVCRAWL_CRAWL_MAX_PAGE_TEXT_CHARS


DEFAULT_PAGE_LIMITS: Final = PageLimits()
_ANCHOR_START = re.compile(r"<a[\s>]", re.IGNORECASE)
_TOO_DEEP = "Excessive depth in document"  # libxml2's message when it drops deeper elements


def bounded_text(text: str, limits: PageLimits) -> tuple[str, list[str]]:
    """The part of a page's text that is analysed, and which limits cut it ("text", "links").

    The cut falls before the anchor past the link limit; libxml2 closes what the cut leaves open.
    """
    capped: list[str] = []
    if len(text) > limits.max_text_chars:
        text, capped = text[: limits.max_text_chars], ["text"]
    if limits.max_links >= 0:
        anchors = _ANCHOR_START.finditer(text)
        past_limit = next(itertools.islice(anchors, limits.max_links, None), None)
        if past_limit is not None:
            text = text[: past_limit.start()]
            capped.append("links")
    return text, capped


@dataclass(slots=True, frozen=True, kw_only=True)
class OutLink:
    """One link of a page for the spider: fetch and parse it (column/article/page) or only check it."""

    url: str  # absolute, canonical (w3lib canonicalize_url, no fragment)
    crawl: Crawl  # check = only test the link (other hosts, images, scripts, css, attachments, frames)
    target_kind: TargetKind
    anchor_text: str = ""
    column_name: str | None = None  # crawl == "column": the name shown for it (nav label or block heading)
    column_level: int | None = None
    column_url: str | None = None  # articles and pagination pages: the first list page of their column
    listing_date: date | None = None  # the date the column list printed beside an article link
    listing_year_guessed: bool = False  # that list printed a month-day only (ListEntry.year_guessed)
    # The target shows the list of the column `column_url` (an iframe, a JSON or XML data address its
    # page loads): its answer is that column's first list page.
    lists_column: bool = False
    framed: bool = False  # a page of the site the linking page shows in an iframe or frame (a part of it)
    # The frame page whose file holds the link, when the page is a frameset home read through its frames
    # (Link.frame): a broken link is reported found on it.
    found_on: str | None = None


@dataclass(slots=True, kw_only=True)
class PageAnalysis:
    """Everything read from one page: its PageItem, column/message items, links to follow or check."""

    page: PageItem
    items: list[ColumnItem | MessageItem] = field(default_factory=list)
    links: list[OutLink] = field(default_factory=list)
    soft404: bool = False
    # What the page says beyond the site's template (features of its text blocks and list entries):
    # the spider compares it with earlier pages of the same URL pattern to tell traps.
    own: OwnContent | None = None
    # A column list page linking other pages of its list (pagination): it shows a part of the list only.
    list_continues: bool = False


@dataclass(slots=True, frozen=True)
class _Breadcrumb:
    labels: tuple[str, ...]
    urls: tuple[str, ...]  # linked crumbs on the site, home excluded, outermost first
    names: tuple[str, ...]  # their anchor texts
    ends_with_link: bool  # the trail ends on a link (an article inside its column), not on plain text


def canonical(url: str) -> str:
    """The canonical form every OutLink and item URL uses."""
    return canonical_url(url)


def _type_of(cls: ColumnClass) -> ColumnType:
    return _TYPE_OF_CLASS[cls]


def _override_of(overrides: Mapping[str, ColumnOverride] | None, url: str) -> bool:
    if not overrides:
        return False
    return url in overrides or canonical(url) in overrides


def dead_column_item(
    *,
    site: Site,
    url: str,
    name: str,
    level: int,
    today: date,
    checked_at: datetime,
    overrides: Mapping[str, ColumnOverride] | None = None,
) -> ColumnItem:
    """V-EMPTY "the column link itself is dead": the column item for a column page that failed."""
    cls = classify_column(name, overrides=overrides, url=url)
    return ColumnItem(
        site_id=site.site_id,
        url=canonical(url),
        name=name,
        type=_type_of(cls),
        level=level,
        checked_at=checked_at,
        latest_date=None,
        entries=0,
        stale=is_stale(None, cls, today),
        empty=True,
        override=_override_of(overrides, url),
        region=site.region,
    )


# --- decoding and parsing ------------------------------------------------------------------------


def _is_html(content_type: str, body: bytes) -> bool:
    lowered = content_type.lower()
    if "html" in lowered:
        return True
    if lowered and not lowered.startswith(("text/plain", "application/octet-stream", "text/xml")):
        return False
    return _HTML_SNIFF.match(body[:1024].lstrip(b"\xef\xbb\xbf")) is not None


def _empty_tree() -> HtmlElement:
    return lxml.html.document_fromstring("<html><body></body></html>")


# Every element an HtmlElement, chosen in C: lxml.html's own lookup is a Python call per element proxy
# (8 % of the analysis) to give forms and inputs their classes, which nothing here uses.
_ELEMENT_CLASSES: Final = lxml.etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity)


def _parse(text: str) -> tuple[HtmlElement, bool]:
    """One lxml parse of the page; broken markup gives what libxml2 recovers, never an exception.

    Also says whether the page hit the nesting cap: libxml2 drops elements nested deeper than 256
    levels (rows that each open a tag and never close it reach that after ~250 rows). The cap stays:
    the analysis costs more than linear time in the depth (a page of 1,000 such rows parsed whole took
    6 s and overflowed Python's recursion limit), so it is reported instead (PageItem.capped "nesting").
    """
    if not text.strip():
        return _empty_tree(), False
    parser = lxml.html.HTMLParser()
    parser.set_element_class_lookup(_ELEMENT_CLASSES)
    try:
        tree = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.ParseError, ValueError) as exc:
        logger.debug("Unparseable page text (%(error)s): analysed as empty", {"error": exc})
        return _empty_tree(), False
    return tree, any(_TOO_DEEP in entry.message for entry in parser.error_log)


# --- metadata and titles -------------------------------------------------------------------------


def page_meta(tree: HtmlElement) -> dict[str, str]:
    """The guideline meta labels of a page (first value of each), under their canonical names."""
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        name = _META_BY_LOWER.get((element.get("name") or "").strip().lower())
        if name is None or name in found:
            continue
        content = " ".join((element.get("content") or "").split())[:META_VALUE_MAX_CHARS]
        if content:
            found[name] = content
    return found


def _strip_name(title: str, name: str) -> str:
    """Title without a leading or trailing "_<name>" segment (a site or column name)."""
    if not name or title == name:
        return title
    if title.endswith(name):
        head = title[: -len(name)].rstrip()
        if head and head[-1] in _TITLE_SEPARATORS:
            return head.rstrip(_TITLE_SEPARATORS) or title
    if title.startswith(name):
        tail = title[len(name) :].lstrip()
        if tail and tail[0] in _TITLE_SEPARATORS:
            return tail.lstrip(_TITLE_SEPARATORS) or title
    return title


def page_title(tree: HtmlElement, meta: Mapping[str, str], site_name: str, *, article: bool) -> str:
    """The page's own title: ArticleTitle meta on articles, else <title> without the site name, else h1."""
    if article and meta.get("ArticleTitle"):
        return meta["ArticleTitle"][:TITLE_MAX_CHARS]
    title_element = tree.find(".//title")
    title = element_text(title_element) if title_element is not None else ""
    for name in dict.fromkeys((site_name, meta.get("SiteName", ""))):
        title = _strip_name(title, name)
    if article and meta.get("ColumnName"):
        title = _strip_name(title, meta["ColumnName"])
    if not title:
        heading = tree.find(".//h1")
        title = element_text(heading) if heading is not None else ""
    return title[:TITLE_MAX_CHARS]


# --- breadcrumbs and home links ------------------------------------------------------------------


def _same_host(url: str, host: str) -> bool:
    found = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return found == host.lower().removeprefix("www.")


def _is_home(url: str, site: Site) -> bool:
    """The URL is the site's home page (its host, no query, / or an index page)."""
    parts = urlsplit(url)
    return _same_host(url, site.host) and not parts.query and parts.path in _HOME_PATHS


_INDEX_FILES = frozenset(path[1:] for path in _HOME_PATHS if path.count("/") == 1 and len(path) > 1)


def same_page_address(requested: str, final: str) -> bool:
    """Whether a request that ended at `final` read the page at `requested` itself: the same address, or
    the index file of the directory it names (/ → /index.html, /col/ → /col/default.htm). A page another
    address led to (a splash page's index2.htm, a moved article) is not."""
    if canonical(requested) == canonical(final):
        return True
    asked, ended = urlsplit(requested), urlsplit(final)
    folder, _, name = ended.path.rpartition("/")
    return (asked.netloc == ended.netloc and asked.query == ended.query and asked.path.endswith("/")
            and folder + "/" == asked.path and name.lower() in _INDEX_FILES)


def sent_home(requested: str, final: str, site: Site, via: Sequence[str] = ()) -> bool:
    """A request for another page of the site ended on its home page, or passed it on the way (`via`: the
    redirect chain, requested URL first: a splash home page leads on to index2.htm): the page is gone (a
    soft 404), whether a crawled page or a link check, by an HTTP redirect or a meta refresh."""
    return not _is_home(requested, site) and any(_is_home(url, site) for url in (*via[1:], final))


def breadcrumb(tree: HtmlElement, base: str, site: Site) -> _Breadcrumb:
    """The "当前位置：首页 > 栏目 > 子栏目" trail: labels (home dropped) and its linked crumbs on the site."""
    found = _CRUMB_BY_MARKER(tree) or _CRUMB_BY_TEXT(tree)
    if not found or not isinstance(found[0], lxml.html.HtmlElement):
        return _NO_BREADCRUMB
    element = found[0]
    if element.find(".//a") is None and element.getparent() is not None and element.getparent().tag != "body":
        element = element.getparent()
    text = _CRUMB_PREFIX.sub("", element_text(element), count=1)
    labels = tuple(
        label for label in _CRUMB_SPLIT.split(text) if label and label not in _HOME_WORDS and len(label) <= 30
    )
    links: dict[str, str] = {}
    for anchor in element.iter("a"):
        url = absolute_url(anchor.get("href"), base)
        if url is not None and _same_host(url, site.host) and not _is_home(url, site):
            links.setdefault(url, element_text(anchor))
    names = tuple(links.values())
    trail = [label for label in labels if label not in _ARTICLE_CRUMB_WORDS]
    ends_with_link = bool(names) and bool(trail) and trail[-1] == names[-1] and len(trail) <= len(labels)
    return _Breadcrumb(labels[:8], tuple(links), names, ends_with_link)


_NO_BREADCRUMB: Final = _Breadcrumb((), (), (), ends_with_link=False)


def _plan_crumb_columns(page: _Page, plans: dict[str, OutLink], crumb: _Breadcrumb) -> None:
    """Linked crumbs are the columns a page sits in; their level is left to the column page to judge
    (trails often skip levels), see _column_level."""
    for url, name in zip(crumb.urls, crumb.names, strict=True):
        if _is_column_name(name):
            _add_plan(plans, url, "column", page.site, column_name=name)


def _column_level(page: _Page, url: str, crumb: _Breadcrumb) -> int:
    """Level of a column page found without one: 1 if the main navigation links it, else its trail depth."""
    top = {ref.url for ref in find_columns(page.tree, page.final_url) if ref.level == 1}
    if url in top or canonical(page.final_url) in top:
        return 1
    return max(2, len(crumb.labels))


def _shows_article(tree: HtmlElement, title: str, crumb: _Breadcrumb) -> bool:
    """An undated page is an article when its trail ends on its column and a heading repeats its title."""
    if not crumb.ends_with_link or not title:
        return False
    return any(element_text(heading) == title and not in_nav(heading) for heading in tree.iter("h1", "h2"))


def _is_column_name(name: str) -> bool:
    """A label that can name a column: short, and not the home link, a switch or a pager entry."""
    return (_COLUMN_NAME_CHARS[0] <= len(name) <= _COLUMN_NAME_CHARS[1]
            and NOT_COLUMN_OR_PAGER_NAMES.match(name) is None)


def _menu_container(anchor: HtmlElement) -> HtmlElement | None:
    """The nearest menu-like container of an anchor, or None if it sits in a footer, crumb or pager."""
    for depth, ancestor in enumerate(anchor.iterancestors()):
        if depth > _MENU_CLIMB_LIMIT or ancestor.tag == "body":
            return None
        marked = marker(ancestor).strip()
        if ancestor.tag in ("footer", "header"):
            return None
        if not marked:
            continue
        if NOT_MENU_MARKERS.search(marked):
            return None
        if ancestor.tag == "nav" or SUB_MENU_MARKERS.search(marked):
            return ancestor
    return None


def _sub_columns(tree: HtmlElement, base: str, site: Site, exclude: set[str]) -> list[tuple[str, str]]:
    """(url, name) of sub-column links on a column page: short labels in a menu without a home link."""
    main_menus: dict[HtmlElement, bool] = {}
    found: dict[str, str] = {}
    for anchor in tree.iter("a"):
        name = element_text(anchor)
        if not _is_column_name(name):
            continue
        menu = _menu_container(anchor)
        if menu is None:
            continue
        url = absolute_url(anchor.get("href"), base)
        if url is None or url in exclude or url in found or not _same_host(url, site.host):
            continue
        if extension_of(url) in ATTACHMENT_EXTENSIONS or extension_of(url) in IMAGE_EXTENSIONS:
            continue
        is_main = main_menus.get(menu)
        if is_main is None:
            # The site's main navigation carries a home link; a column's own sub-menu does not.
            is_main = main_menus[menu] = any(
                (link := absolute_url(a.get("href"), base)) is not None and _is_home(link, site)
                for a in menu.iter("a")
            )
        if not is_main:
            found[url] = name
    return list(found.items())


# --- link plans ----------------------------------------------------------------------------------


def _merge_links(links: list[Link], plans: dict[str, OutLink]) -> list[OutLink]:
    """Every extracted link once, with the plan (column/article) for same-site pages that have one."""
    out: list[OutLink] = []
    seen: set[str] = set()
    for link in links:
        seen.add(link.url)
        plan = plans.get(link.url)
        if plan is not None and link.kind == "page":
            keep = plan.anchor_text or not link.anchor_text
            planned = plan if keep else _with_anchor(plan, link.anchor_text)
            out.append(dataclasses.replace(planned, found_on=link.frame) if link.frame else planned)
        else:
            out.append(
                OutLink(
                    url=link.url,
                    crawl="page" if link.kind == "page" else "check",
                    target_kind=link.kind,
                    anchor_text=link.anchor_text,
                    column_url=plan.column_url if plan is not None else None,
                    listing_date=plan.listing_date if plan is not None else None,
                    listing_year_guessed=plan.listing_year_guessed if plan is not None else False,
                    framed=link.framed,
                    found_on=link.frame,
                )
            )
    out.extend(plan for url, plan in plans.items() if url not in seen)
    return out


def _with_anchor(plan: OutLink, anchor_text: str) -> OutLink:
    return dataclasses.replace(plan, anchor_text=anchor_text)


def _plan_kind(url: str, site: Site) -> tuple[Crawl, TargetKind] | None:
    """Crawl and target kind of a planned URL, or None when it is not a same-site page."""
    extension = extension_of(url)
    if extension in ATTACHMENT_EXTENSIONS:
        return "check", "attachment"
    if extension in IMAGE_EXTENSIONS:
        return "check", "image"
    return None if not _same_host(url, site.host) else ("page", "page")


def _add_plan(
    plans: dict[str, OutLink],
    url: str,
    crawl: Crawl,
    site: Site,
    *,
    anchor_text: str = "",
    column_name: str | None = None,
    column_level: int | None = None,
    column_url: str | None = None,
    listing_date: date | None = None,
    listing_year_guessed: bool = False,
    lists_column: bool = False,
) -> None:
    """Plan a URL as a column or article link; the first plan for a URL wins."""
    if url in plans:
        return
    kind = _plan_kind(url, site)
    if kind is None:
        return
    plans[url] = OutLink(
        url=url,
        crawl=crawl if kind[0] == "page" else "check",
        target_kind=kind[1],
        anchor_text=anchor_text,
        column_name=column_name,
        column_level=column_level,
        column_url=column_url,
        listing_date=listing_date,
        listing_year_guessed=listing_year_guessed,
        lists_column=lists_column,
    )


# --- the page kinds ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Page:
    """One page's shared reading: the parse, its base URL, meta, and the request context."""

    site: Site
    url: str
    final_url: str
    text: str
    tree: HtmlElement
    base: str
    meta: dict[str, str]
    today: date
    fetched_at: datetime
    overrides: Mapping[str, ColumnOverride] | None
    listing_year_guessed: bool = False  # the request's listing date came from a month-day list


def _home(page: _Page, plans: dict[str, OutLink]) -> tuple[int, date | None]:
    """Columns (nav menus, 更多 blocks) and dated block entries of a home page.

    Returns the entry count and the newest entry date: the site's freshness (V-HOME), None when the
    home page shows no dated list.
    """
    for ref in find_columns(page.tree, page.final_url):
        _add_plan(plans, ref.url, "column", page.site, column_name=ref.name, column_level=ref.level)
    listing = parse_column_listing(page.tree, page.final_url, today=page.today)
    for entry in listing.entries:
        _add_plan(plans, entry.url, "article", page.site, anchor_text=entry.title, listing_date=entry.date,
                  listing_year_guessed=entry.year_guessed)
    dates = [entry.date for entry in listing.entries if entry.date is not None and entry.date <= page.today]
    return len(listing.entries), max(dates, default=None)


def _read_article(page: _Page, item: PageItem, shown: PublishDate | None, crumb: _Breadcrumb) -> None:
    """An article page: its publish date, service-guide elements and (from the breadcrumb) column."""
    item.page_kind = "article"
    item.guide_elements = guide_elements(page.tree, page.text)
    if shown is not None:
        guessed = shown.source == "listing" and page.listing_year_guessed
        item.pub_date, item.pub_date_source = shown.date, "listing_guessed" if guessed else shown.source
        item.pub_date_confidence = shown.confidence
    if item.column_url is None and crumb.urls:
        item.column_url = crumb.urls[-1]


def _read_page(page: _Page, plans: dict[str, OutLink], item: PageItem, *, looks_article: bool,
               listing_date: date | None) -> None:
    """Any page that is no list: an article when it shows one (meta, a publish date, or a trail ending
    on its column with a heading repeating its title), else a page of kind `other`."""
    crumb = breadcrumb(page.tree, page.base, page.site)
    _plan_crumb_columns(page, plans, crumb)
    shown = _publish_date(page, listing_date)
    item.title = page_title(page.tree, page.meta, page.site.name, article=looks_article or shown is not None)
    if looks_article or shown is not None or _shows_article(page.tree, item.title, crumb):
        _read_article(page, item, shown, crumb)


def _read_personal_data(item: PageItem, text: str, tree: HtmlElement, today: date) -> None:
    """Resident ID and mobile numbers the page shows, masked (I-PRIVACY); most pages fail the precheck."""
    if may_hold_personal_data(text):
        found = personal_data(visible_text(tree), today=today)
        item.id_numbers, item.mobiles = list(found.id_numbers), list(found.mobiles)


# Content issues kept per page: a page full of injected links is one incident, not a thousand records.
CONTENT_ISSUES_MAX = 20
# Anchor texts read for banned terms: those of links to other hosts, and attachment names.
_ANCHORS_READ: Final[tuple[tuple[TargetKind, IssueWhere], ...]] = (("external", "anchor"),
                                                                    ("attachment", "attachment"))


def _read_content(item: PageItem, page: _Page, links: list[OutLink], content: PageContent,
                  dictionaries: Dictionaries | None) -> None:
    """The content checks of one page (docs/content-checks.md): wrong words, names and posts in an
    article's text; banned and injected terms in any page's text, in anchors to other hosts and in
    attachment names; hidden links and blocklisted link targets; a home page's fingerprint. Nothing
    without dictionaries (content checks off)."""
    found: dict[tuple[str, str], ContentIssue] = {}

    def add(issue: ContentIssue) -> None:
        if len(found) < CONTENT_ISSUES_MAX:
            found.setdefault((issue.kind, issue.found), issue)

    if dictionaries is None:
        return
    on = item.pub_date  # None: a leader's post is not judged (crawler.extract.wording.find_wording)
    blocks = " ".join(content.blocks.values())  # the text blocks already read (digits folded to #)
    if item.page_kind != "article":  # banned and injected terms only
        hits = find_wording(blocks, dictionaries, on=on, kinds=BANNED_KINDS)
    elif mentions_any(blocks, dictionaries):
        # read again as written: evidence keeps its digits, and a year decides a leader's post
        hits = find_wording(visible_text(page.tree), dictionaries, on=on)
    else:
        hits = []
    for hit in hits:
        add(ContentIssue(kind=hit.kind, severity=hit.severity, found=hit.found, right=hit.right,
                         evidence=hit.evidence))
    for target, where in _ANCHORS_READ:
        anchors = "\n".join(link.anchor_text for link in links
                             if link.target_kind == target and link.anchor_text)
        for hit in find_terms(anchors, dictionaries):
            add(ContentIssue(kind=hit.kind, severity=hit.severity, found=hit.found, right=hit.right,
                             evidence=hit.evidence, where=where))
    reported: set[str] = set()
    for dark in dark_links(page.tree, page.base, page.site.host, dictionaries):
        reported.add(dark.url)
        add(ContentIssue(kind="dark", severity="serious", found=dark.url, evidence=dark.evidence(),
                         where="link"))
    for link in links:
        if links_blocked_domain(link.url, dictionaries) and link.url not in reported:
            domain = blocked_domain(urlsplit(link.url).hostname or "", dictionaries)
            add(ContentIssue(kind="blocked", severity="serious", found=link.url, where="link",
                             evidence=f"链接指向封禁域名 {domain}：{link.url}"))
    item.content_issues = [issue.record() for issue in found.values()]
    if item.page_kind == "home":
        item.home_links_sketch = sketch(link.url for link in links)
        item.home_text_sketch = sketch(content.blocks)


def _read_identity(item: PageItem, tree: HtmlElement) -> None:
    """The identity marks and error-report entry of a home page (D-ID, D-ERRLINK)."""
    marks = identity_marks(tree)
    item.site_code_shown, item.missing_marks = marks.site_code, list(marks.missing())
    item.error_report_link = marks.error_report


@dataclass(slots=True)
class _ColumnRead:
    items: list[ColumnItem | MessageItem]
    entries: int
    column_url: str | None
    channel: bool = False
    no_list: bool = False  # linked as a column, the page shows no list but text of its own: no column
    continues: bool = False  # the list has other pages


# A plain link of the home page (no menu or "更多" block its markup names) leads to a column when the page's
# content is a list with at least this many dated entries: an old site's menu in a bare <table>.
_FOUND_LIST_MIN_DATED = 3
# A search's results (a home page's 热门搜索 links) list dated items too, but are no column.
_SEARCH_PAGE = re.compile(r"search|[?&](?:keywords?|kw|q|query|wd|searchword)=", re.IGNORECASE)


def _page_or_found_column(page: _Page, plans: dict[str, OutLink], item: PageItem, *, from_home: bool,
                          looks_article: bool, listing_date: date | None) -> _ColumnRead:
    """A page not linked as a column: an article or another page, or (a plain link of the home page) a
    column found by the list of dated entries it shows, read as a column's first page. Only from the home
    page: deeper, a list page reached as a plain page is more often a later page of a column's list."""
    _read_page(page, plans, item, looks_article=looks_article, listing_date=listing_date)
    nothing = _ColumnRead(items=[], entries=0, column_url=None)
    if not from_home or item.page_kind != "other" or _SEARCH_PAGE.search(page.url):
        return nothing
    listing = parse_column_listing(page.tree, page.final_url, today=page.today)
    if sum(1 for entry in listing.entries if entry.date is not None) < _FOUND_LIST_MIN_DATED:
        return nothing
    read = _column(page, plans, first_page=True, column_url=None, column_name=None, column_level=None,
                   title=item.title, own_list=listing)
    if read.no_list:
        return nothing
    item.list_entries, item.column_url = read.entries, read.column_url
    item.page_kind = "channel" if read.channel else "column"
    return read


# A column page that shows this little text of its own and no entries may load its list from elsewhere.
_LIST_SOURCE_MAX_TEXT_CHARS = 200


def _list_source(page: _Page, listing: Listing) -> str | None:
    """Where a column page without entries loads its list from: its own iframe, else the first data
    address its scripts fetch; None for a page that shows entries, a placeholder or text of its own."""
    if listing.entries or listing.placeholder or listing.body_text_chars > _LIST_SOURCE_MAX_TEXT_CHARS:
        return None
    for frame in page.tree.iter("iframe", "frame"):
        url = absolute_url(frame.get("src"), page.base)
        if url is not None and _same_host(url, page.site.host) and canonical(url) != canonical(page.url):
            return url
    sources = [url for url in script_data_urls(script_texts(page.tree), page.base)
               if _same_host(url, page.site.host)]
    return sources[0] if sources else None


def _channel(page: _Page, plans: dict[str, OutLink], blocks: list[ChannelBlock], listing: Listing,
             level: int) -> _ColumnRead:
    """A channel page: no column of its own; its blocks' sub-columns are (and those of its sub-menu),
    and each entry belongs to the sub-column whose block lists it."""
    for block in blocks:
        _add_plan(plans, block.column.url, "column", page.site, column_name=block.column.name,
                  column_level=level + 1)
    # Short entry titles inside the blocks (their class often says 栏目: lm-box) are no sub-menu.
    exclude = {canonical(page.url), canonical(page.final_url), *plans,
               *(url for block in blocks for url in block.urls)}
    for url, name in _sub_columns(page.tree, page.base, page.site, exclude):
        _add_plan(plans, url, "column", page.site, column_name=name, column_level=level + 1)
    for entry in listing.entries:
        column_url = next((block.column.url for block in blocks if entry.url in block.urls), None)
        _add_plan(plans, entry.url, "article", page.site, anchor_text=entry.title, column_url=column_url,
                  listing_date=entry.date, listing_year_guessed=entry.year_guessed)
    return _ColumnRead(items=[], entries=0, column_url=None, channel=True)


def _column(
    page: _Page,
    plans: dict[str, OutLink],
    *,
    first_page: bool,
    column_url: str | None,
    column_name: str | None,
    column_level: int | None,
    title: str,
    data: Listing | None = None,
    own_list: Listing | None = None,
) -> _ColumnRead:
    """A column list page: entries, pagination, sub-columns, messages, and on page 1 the ColumnItem.

    `data` is the list of a JSON or XML answer (a column's data address), read instead of the page.
    `own_list`: the page's own list, when the caller has parsed it already.
    """
    first_url = canonical(column_url or page.url)
    crumb = breadcrumb(page.tree, page.base, page.site)
    level = column_level or _column_level(page, first_url, crumb)
    name = column_name or page.meta.get("ColumnName") or title or (crumb.labels[-1] if crumb.labels else "")
    cls = classify_column(
        name,
        column_type_meta=page.meta.get("ColumnType"),
        breadcrumb=crumb.labels,
        description=page.meta.get("ColumnDescription"),
        overrides=page.overrides,
        url=first_url,
    )
    listing = data or own_list or parse_column_listing(page.tree, page.final_url, today=page.today)
    if first_page and data is None:
        blocks = channel_blocks(page.tree, page.final_url)
        if is_channel(blocks, listing):
            return _channel(page, plans, blocks, listing, level)
        source = _list_source(page, listing)
        if source is not None:
            # The list lives elsewhere: its answer brings the ColumnItem.
            _add_plan(plans, source, "column", page.site, column_name=name, column_level=level,
                      column_url=first_url, lists_column=True)
            return _ColumnRead(items=[], entries=0, column_url=first_url)
        if not listing.entries and not listing.placeholder and not is_empty_listing(listing):
            # A page of text (an article, 公开指南) linked from a menu: a column is a list of entries.
            return _ColumnRead(items=[], entries=0, column_url=None, no_list=True)
    items: list[ColumnItem | MessageItem] = []
    dates = [entry.date for entry in listing.entries if entry.date is not None]
    count = len(listing.entries)
    if cls is ColumnClass.CONSULT:
        messages = parse_message_listing(page.tree, page.final_url, today=page.today)
        for message in messages:
            _add_plan(
                plans,
                message.url,
                "article",
                page.site,
                anchor_text=message.title,
                column_url=first_url,
                listing_date=message.asked_at,
            )
            items.append(
                MessageItem(
                    site_id=page.site.site_id,
                    column_url=first_url,
                    url=message.url,
                    title=message.title,
                    asked_at=message.asked_at,
                    answered_at=message.answered_at,
                    answered=message.answered,
                    checked_at=page.fetched_at,
                )
            )
        if messages:
            count = len(messages)
            dates = [day for m in messages for day in (m.asked_at, m.answered_at) if day is not None]
    for entry in listing.entries:
        _add_plan(
            plans,
            entry.url,
            "article",
            page.site,
            anchor_text=entry.title,
            column_url=first_url,
            listing_date=entry.date,
            listing_year_guessed=entry.year_guessed,
        )
    for url in listing.next_pages:
        _add_plan(plans, url, "column", page.site, column_name=name, column_level=level, column_url=first_url)
    exclude = {first_url, canonical(page.url), canonical(page.final_url), *crumb.urls, *plans}
    _plan_crumb_columns(page, plans, crumb)
    for url, sub_name in _sub_columns(page.tree, page.base, page.site, exclude):
        _add_plan(plans, url, "column", page.site, column_name=sub_name, column_level=level + 1)
    if first_page:
        items.insert(
            0,
            _column_item(
                page,
                listing=listing,
                cls=cls,
                url=first_url,
                name=name,
                level=level,
                count=count,
                dates=dates,
                crumb=crumb,
            ),
        )
    return _ColumnRead(items=items, entries=count, column_url=first_url, continues=bool(listing.next_pages))


def _column_item(
    page: _Page,
    *,
    listing: Listing,
    cls: ColumnClass,
    url: str,
    name: str,
    level: int,
    count: int,
    dates: list[date],
    crumb: _Breadcrumb,
) -> ColumnItem:
    empty = count == 0 and is_empty_listing(listing)
    latest = max(dates) if dates else None
    parents = [crumb_url for crumb_url in crumb.urls if crumb_url != url]
    return ColumnItem(
        site_id=page.site.site_id,
        url=url,
        name=name,
        type=_type_of(cls),
        level=level,
        checked_at=page.fetched_at,
        latest_date=latest,
        entries=count,
        stale=is_stale(latest, cls, page.today),
        empty=empty,
        placeholder=count == 0 and listing.placeholder,
        parent_url=parents[-1] if parents else None,
        column_type_meta=page.meta.get("ColumnType"),
        override=_override_of(page.overrides, url),
        region=page.site.region,
    )


def _publish_date(page: _Page, listing_date: date | None) -> PublishDate | None:
    """The article's publish date; on a consultation letter without one, the date it was asked."""
    found = extract_publish_date(page.text, page.final_url, today=page.today, listing_date=listing_date)
    if found is not None:
        return found
    asked = _ASKED_DATE.search(page.text)
    day = parse_date_text(asked.group(1), today=page.today) if asked is not None else None
    return None if day is None else PublishDate(day, "label", _ASKED_DATE_CONFIDENCE)


# A page whose own content matches the site's answer to a missing page this closely is that answer.
NOT_FOUND_SIMILARITY = 0.8
# Own text short enough to be no more than an error message inside the site's template.
_ERROR_OWN_TEXT_MAX_CHARS = 200


def _is_soft404(*, status: int, url: str, final_url: str, text: str, tree: HtmlElement, content_type: str,
                size: int, site: Site, own: OwnContent | None, template: SiteTemplate | None,
                redirects: Sequence[str] = ()) -> bool:
    """A 200 page that is an error page: redirected to the home page, the same as the site's answer to
    a missing page, an error phrase being all the page says beyond the template, or an error page by
    its own looks (classify_response: error title, short error body, error path)."""
    redirected = canonical(url) != canonical(final_url)
    if redirected and sent_home(url, final_url, site, redirects):
        return True
    if own is not None and template is not None:
        not_found = template.not_found
        if not_found is not None and similarity(own.features, not_found) >= NOT_FOUND_SIMILARITY:
            return True
        if len(own.text) <= _ERROR_OWN_TEXT_MAX_CHARS and error_phrase(own.text):
            return True
    try:
        found = classify_response(
            status, final_url, text, content_type or None, [url] if redirected else [], body_size_bytes=size,
            kind="page", tree=tree,
        )
    except (ValueError, lxml.etree.LxmlError) as exc:
        logger.debug("Soft-404 check failed on %(url)s (%(error)s)", {"url": final_url, "error": exc})
        return False
    return found.error == "soft404"


# --- the entry points ----------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class _ColumnRequest:
    """What the request of a column page said of its column."""

    first_page: bool
    url: str | None
    name: str | None
    level: int | None


def _not_a_web_page(page: _Page, item: PageItem, body: bytes, content_type: str, *,
                    column: _ColumnRequest | None, limits: PageLimits) -> PageAnalysis:
    """A file, or a column's list loaded as data: its entries, further data pages and (first page) the
    ColumnItem."""
    data = None
    if column is not None:
        text = bounded_text(decode_html(body, content_type or None).text, limits)[0]
        data = parse_data_listing(text, page.final_url, today=page.today)
    if data is None or column is None:
        item.page_kind = "other" if content_type.lower().startswith("text/") else "attachment"
        return PageAnalysis(page=item)
    plans: dict[str, OutLink] = {}
    read = _column(page, plans, first_page=column.first_page, column_url=column.url, column_name=column.name,
                   column_level=column.level, title=column.name or "", data=data)
    item.list_entries, item.column_url = read.entries, read.column_url
    links = _merge_links([], plans)
    item.out_links = len(links)
    return PageAnalysis(page=item, items=read.items, links=links, list_continues=read.continues)


def not_found_features(*, body: bytes, status: int, content_type: str, template: SiteTemplate | None
                       ) -> frozenset[int] | None:
    """The own features of a site's 200 answer to a page that cannot exist; None for an error status
    (the site says "not found" honestly, so nothing is learned) or a body that is no web page."""
    if status >= 300 or not _is_html(content_type, body):
        return None
    text, _ = bounded_text(text_for_lxml(decode_html(body, content_type or None).text), DEFAULT_PAGE_LIMITS)
    tree, _ = _parse(text)
    blocks = template.blocks if template is not None else frozenset()
    return page_content(tree).own(blocks).features



def analyze_page(
    *,
    body: bytes,
    url: str,
    final_url: str,
    status: int,
    content_type: str,
    site: Site,
    page_kind: RequestKind | str,
    depth: int,
    column_name: str | None,
    column_level: int | None,
    column_url: str | None,
    listing_date: date | None,
    today: date,
    fetched_at: datetime,
    overrides: Mapping[str, ColumnOverride] | None = None,
    limits: PageLimits = DEFAULT_PAGE_LIMITS,
    template: SiteTemplate | None = None,
    lists_column: bool = False,
    framed: bool = False,
    listing_year_guessed: bool = False,
    dictionaries: Dictionaries | None = None,
    redirects: Sequence[str] = (),
) -> PageAnalysis:
    """Read one fetched page once and return its PageItem, column/message items and out-links.

    `page_kind` is the crawl kind the link had when found (home/column/article/page); a "page" that
    shows an article (ArticleTitle/PubDate meta, or a publish date) is analysed as an article. The
    first page of a column (`column_url` None or equal to `url`, or a page that `lists_column`: the
    iframe or data address the column page loads its list from) emits the ColumnItem; a failed
    (status >= 400) or soft-404 first column page emits it as dead (empty). A JSON or XML answer to a
    column request is read as a list (crawler.extract.columns.parse_data_listing). With `dictionaries` the
    content checks run too (PageItem.content_issues, _read_content). A `framed` page is one the linking
    page shows in a frame: a part of that page (a home page's box), never a column found on its own.
    `listing_year_guessed`: the list printed `listing_date` as a month-day only; a publish date taken from
    it has the source "listing_guessed".
    Never raises on bad bytes.
    """
    first_column_page = page_kind == "column" and (
        column_url is None or canonical(column_url) == canonical(url) or lists_column
    )
    item = PageItem(
        site_id=site.site_id,
        url=url,
        status=status,
        fetched_at=fetched_at,
        final_url=final_url,
        content_hash=xxhash.xxh64_hexdigest(body),
        content_type=content_type,
        body_bytes=len(body),
        page_kind=_PAGE_KIND_OF_REQUEST.get(page_kind, "other"),
        depth=depth,
        column_url=column_url,
        region=site.region,
        level=site.level,
    )

    def dead() -> list[ColumnItem | MessageItem]:
        if not first_column_page:
            return []
        name = column_name or item.title or urlsplit(url).path
        return [
            dead_column_item(
                site=site,
                url=column_url if lists_column and column_url else url,
                name=name,
                level=column_level or 1,
                today=today,
                checked_at=fetched_at,
                overrides=overrides,
            )
        ]

    if status >= 400:
        return PageAnalysis(page=item, items=dead())
    if not _is_html(content_type, body):
        return _not_a_web_page(
            _Page(site=site, url=url, final_url=final_url, text="", tree=_empty_tree(), base=final_url,
                  meta={}, today=today, fetched_at=fetched_at, overrides=overrides),
            item, body, content_type, limits=limits,
            column=None if page_kind != "column" else _ColumnRequest(
                first_page=first_column_page, url=column_url, name=column_name, level=column_level),
        )
    decoded = decode_html(body, content_type or None)
    text, item.capped = bounded_text(text_for_lxml(decoded.text), limits)
    tree, too_deep = _parse(text)
    if too_deep:
        item.capped.append("nesting")
    item.encoding = decoded.encoding
    meta = item.meta = page_meta(tree)
    _read_personal_data(item, text, tree, today)
    looks_article = page_kind == "article" or "ArticleTitle" in meta or "PubDate" in meta
    content = page_content(tree)
    template_blocks = template.blocks if template is not None and page_kind != "home" else frozenset()
    if page_kind != "home" and _is_soft404(
        status=status, url=url, final_url=final_url, text=text, tree=tree, content_type=content_type,
        size=len(body), site=site, own=content.own(template_blocks), template=template, redirects=redirects,
    ):
        item.title = page_title(tree, meta, site.name, article=False)
        return PageAnalysis(page=item, items=dead(), soft404=True)
    page = _Page(
        site=site,
        url=url,
        final_url=final_url,
        text=text,
        tree=tree,
        base=base_href(tree, final_url),
        meta=meta,
        today=today,
        fetched_at=fetched_at,
        overrides=overrides,
        listing_year_guessed=listing_year_guessed,
    )
    plans: dict[str, OutLink] = {}
    read = _ColumnRead(items=[], entries=0, column_url=None)  # what a column page's list gives
    try:
        if page_kind == "home":
            item.list_entries, newest = _home(page, plans)
            _read_identity(item, tree)
            if newest is not None:
                item.pub_date, item.pub_date_source, item.pub_date_confidence = newest, "listing", 0.6
        elif page_kind == "column":
            item.title = page_title(tree, meta, site.name, article=False)
            read = _column(
                page,
                plans,
                first_page=first_column_page,
                column_url=column_url,
                column_name=column_name,
                column_level=column_level,
                title=item.title,
            )
            item.list_entries, item.column_url = read.entries, read.column_url
            if read.channel:
                item.page_kind = "channel"
            elif read.no_list:
                item.page_kind = "other"
                _read_page(page, plans, item, looks_article=looks_article, listing_date=listing_date)
        else:
            read = _page_or_found_column(page, plans, item, looks_article=looks_article,
                                         from_home=page_kind == "page" and depth == 1 and not framed,
                                         listing_date=listing_date)
        if not item.title:
            item.title = page_title(tree, meta, site.name, article=item.page_kind == "article")
        links = _merge_links(extract_links(tree, final_url, site_host=site.host), plans)
    except (ValueError, lxml.etree.LxmlError) as exc:
        logger.warning(
            "Page %(url)s could not be fully analysed (%(error)s): indexed with what was read",
            {"url": final_url, "error": exc},
        )
        links = _merge_links([], plans)
    item.out_links = len(links)
    _read_content(item, page, links, content, dictionaries)
    own = content.own(template_blocks, (link.url for link in links if link.crawl == "article"))
    return PageAnalysis(page=item, items=read.items, links=links, soft404=False, own=own,
                        list_continues=read.continues)


def list_entries(analysis: PageAnalysis) -> list[OutLink]:
    """The entries a list page (home page, column) shows: its links planned as items. A consultation
    column's messages are left out: a message asked long ago and answered now is no backdated item."""
    if analysis.page.page_kind not in ("home", "column") \
            or any(isinstance(item, MessageItem) for item in analysis.items):
        return []
    return [link for link in analysis.links if link.crawl == "article"]


def count_on_first_seen(analysis: PageAnalysis, first_seen: Iterable[date], today: date) -> None:
    """Backdated entries of a list page (crawler.backdating) count for its freshness on the days they were
    first seen, not on their printed dates: the home page's newest entry date (V-HOME) and its column's
    newest date and staleness. A backdated entry was first seen after its printed date, so the newest
    date can only move later: the new one is the later of the old and the newest first-seen day."""
    newest = max((day for day in first_seen if day <= today), default=None)
    if newest is None:
        return
    page = analysis.page
    if page.page_kind == "home" and page.pub_date is not None and page.pub_date < newest:
        page.pub_date = newest
    for item in analysis.items:
        if isinstance(item, ColumnItem) and item.latest_date is not None and item.latest_date < newest:
            item.latest_date = newest
            item.stale = is_stale(newest, ColumnClass(item.type), today)


def crawlable(links: Iterable[OutLink]) -> list[OutLink]:
    """The links the spider fetches and parses (everything but crawl == "check")."""
    return [link for link in links if link.crawl != "check"]
