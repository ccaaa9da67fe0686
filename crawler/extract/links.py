"""Extract a page's out-links, CMS-hidden ones included, and classify link checks (D-LINK, I-SOFT404)."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from OpenSSL import SSL
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived
from w3lib.url import canonicalize_url

from crawler.extract.markers import NAVIGATION_MARKERS, marker

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from lxml.html import HtmlElement

LinkKind = Literal["page", "image", "script", "stylesheet", "frame", "attachment", "external"]
LinkError = Literal[
    "http", "soft404", "dns", "timeout", "refused", "tls", "redirect_loop", "too_many_redirects", "other",
    "invalid_url", "too_large", "decompression_limit", "blocked", "blocked_redirect",
]

ATTACHMENT_EXTENSIONS = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "dps", "ppt", "pptx", "zip", "rar", "7z", "gz"}
    | {"tar", "ofd", "ceb", "caj", "csv", "txt", "rtf"}
)
IMAGE_EXTENSIONS = frozenset(["jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "tif", "tiff"])
_SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "#")
_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head"})  # no visible text
# Containers whose links are site navigation, not content: by tag, or by id/class token (markers.py).
_NAV_TAGS = frozenset({"nav", "header", "footer"})
_TRS_PAGER = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w.-]+)['\"]\s*,"
    r"\s*['\"](\w+)['\"]"
)
_TRS_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*['\"]?(\d+)")
_TRS_PRE_PAGE = re.compile(r"\bprePage\s*=\s*['\"]([\w.-]+)['\"]")
_TRS_FILE_EXT = re.compile(r"\bfileExt\s*=\s*['\"](\w+)['\"]")
_HANWEB_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL | re.IGNORECASE)
_HANWEB_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.DOTALL | re.IGNORECASE)
# A literal followed by "+" is the start of an address the script builds ('list.shtml?page='+n): no link.
_SCRIPT_LOCATION = re.compile(
    r"(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"](?!\s*\+)"
    r"|window\.open\(\s*['\"]([^'\"]+)['\"](?!\s*\+)"
    r"|location\.(?:assign|replace)\(\s*['\"]([^'\"]+)['\"](?!\s*\+)"
)


@dataclass(frozen=True, slots=True)
class Link:
    """One out-link of a page; `url` is canonical and absolute, `in_nav` marks navigation/footer links,
    `framed` a page of the site shown inside this one (an iframe or frame source), `frame` the frame page
    that holds the link when this page puts its frames together (crawler.middlewares.frameset)."""

    url: str
    kind: LinkKind
    anchor_text: str
    in_nav: bool
    framed: bool = False
    frame: str | None = None  # inside a frame's body of a frameset home page: that frame's URL


# What libxml2 refuses in a str: an XML declaration naming an encoding (an XHTML page's first line), and NUL
# and C0 control characters other than tab, newline and return.
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text_for_lxml(text: str) -> str:
    """Page text lxml accepts: no XML declaration and no control characters."""
    return CONTROL_CHARS.sub("", XML_DECLARATION.sub("", text, count=1))


# A frameset home page's combined answer (crawler.middlewares.frameset) marks its root with COMBINED_ATTRIBUTE
# and each frame's body with FRAME_ATTRIBUTE (the frame's URL): only such a page is searched for frames.
COMBINED_ATTRIBUTE: Final = "data-govcrawl-frames"
FRAME_ATTRIBUTE: Final = "data-govcrawl-frame"


def parse_html(tree_or_html: HtmlElement | str | bytes) -> HtmlElement:
    """Parse page text once; an already parsed lxml tree is returned unchanged. Never raises: text libxml2
    cannot read at all is an empty page."""
    if isinstance(tree_or_html, lxml.html.HtmlElement):
        return tree_or_html
    text = tree_or_html.decode("utf-8", "replace") if isinstance(tree_or_html, bytes) else tree_or_html
    text = text_for_lxml(text)
    if not text.strip():
        return lxml.html.document_fromstring("<html><body></body></html>")
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


def element_text(element: HtmlElement) -> str:
    """Visible text of an element with whitespace collapsed."""
    if len(element) == 0:  # no child nodes: its text is all of it (a quarter of text_content's cost)
        text = element.text
        return " ".join(text.split()) if text else ""
    return " ".join(element.text_content().split())


def visible_text(tree: HtmlElement) -> str:
    """The page's text a reader sees (no scripts, styles or comments), whitespace collapsed."""
    parts: list[str] = []

    def walk(element: HtmlElement) -> None:
        if isinstance(element.tag, str) and element.tag not in _INVISIBLE_TAGS:
            parts.append(element.text or "")
            for child in element:
                walk(child)
        parts.append(element.tail or "")

    walk(tree)
    return " ".join(" ".join(parts).split())


def is_nav_element(element: HtmlElement) -> bool:
    """True if the element itself is a navigation, header, footer or breadcrumb container."""
    if element.tag in _NAV_TAGS:
        return True
    marked = marker(element).strip()
    return bool(marked) and NAVIGATION_MARKERS.search(marked) is not None


def in_nav(element: HtmlElement, judged: dict[HtmlElement, bool] | None = None) -> bool:
    """True if the element sits inside a navigation, header, footer or breadcrumb container.

    `judged`: the containers of this page already judged (the links of one menu share their ancestors),
    filled as it goes.
    """
    for ancestor in element.iterancestors():
        if not isinstance(ancestor.tag, str):
            continue
        if judged is None:
            if is_nav_element(ancestor):
                return True
            continue
        known = judged.get(ancestor)
        if known is None:
            known = judged[ancestor] = is_nav_element(ancestor)
        if known:
            return True
    return False


def extension_of(url: str) -> str:
    """Lower-case file extension of a URL path, or ''."""
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def base_href(tree: HtmlElement, page_url: str) -> str:
    """The URL relative links resolve against: `<base href>` if present, else the page URL."""
    for base in tree.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return str(urljoin(page_url, href))
    return page_url


# Session ids servers write into links (Java, PHP, ASP): one page would get a new URL per visit.
_SESSION_PATH_PARAM = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^?#/;]*", re.IGNORECASE)
_SESSION_QUERY_KEYS = frozenset({"jsessionid", "phpsessid", "sessionid", "aspsessionid", "cfid", "cftoken"})


def _without_session_ids(url: str) -> str:
    url = _SESSION_PATH_PARAM.sub("", url)
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [pair for pair in parts.query.split("&")
            if pair.split("=", 1)[0].lower() not in _SESSION_QUERY_KEYS]
    return parts._replace(query="&".join(kept)).geturl()


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """w3lib's canonical form without fragment and session ids, cached: menus repeat links on every
    page (~60 us each)."""
    return str(canonicalize_url(_without_session_ids(url), keep_fragments=False))


def absolute_url(href: str | None, base_url: str) -> str | None:
    """Canonical absolute http(s) URL for an href, or None for javascript:/mailto:/tel:/fragments."""
    if href is None:
        return None
    href = href.strip()
    if not href or href.lower().startswith(_SKIPPED_SCHEMES):
        return None
    return _resolved(href, _join_base(href, base_url))


def _join_base(href: str, base_url: str) -> str:
    """The part of the base URL that `urljoin(base_url, href)` depends on, so the joins of the hrefs a
    site repeats on every page (menus, footers) are computed once: for an absolute href the base's scheme
    only, for a path from the root its scheme and host, for anything else the whole base."""
    head = href[:8].lower()
    if head.startswith(("http://", "https://")):
        return base_url[:base_url.find(":") + 1] + "//"
    if href.startswith("/") and not href.startswith("//"):
        end = base_url.find("/", base_url.find("//") + 2)
        return base_url if end < 0 else base_url[:end]
    return base_url


@lru_cache(maxsize=65536)
def _resolved(href: str, base: str) -> str | None:
    url = urljoin(base, href)
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return canonical_url(url)


def same_site(url: str, site_host: str) -> bool:
    """The URL is on the site's host (a leading www. and the port aside)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host == site_host.lower().split(":")[0].removeprefix("www.")


def _trs_pagers(html_text: str, base_url: str) -> Iterator[tuple[int, str, str]]:
    """(page count, file name, extension) of each TRS pager in the page's scripts."""
    for match in _TRS_PAGER.finditer(html_text):
        yield int(match.group(1)), match.group(3), match.group(4)
    # var countPage = 7; var prePage = "index"; var fileExt = "shtml"; (the names default to the page's)
    count = _TRS_COUNT_PAGE.search(html_text)
    if count is not None:
        name = _TRS_PRE_PAGE.search(html_text)
        ext = _TRS_FILE_EXT.search(html_text)
        own = urlsplit(base_url).path.rsplit("/", 1)[-1]
        stem = re.sub(r"_\d+$", "", own.rsplit(".", 1)[0]) or "index"  # index_2.html's pages are index_N
        yield (int(count.group(1)), name.group(1) if name else stem,
               ext.group(1) if ext else (extension_of(base_url) or "html"))


def trs_page_urls(html_text: str, base_url: str) -> list[str]:
    """Pages announced by TRS pagers, `createPageHTML(total, current, "index", "html")` or
    `var countPage = total`: index_1 … index_{n-1}."""
    urls: list[str] = []
    for total, name, ext in _trs_pagers(html_text, base_url):
        for number in range(1, min(total, 1000)):
            url = absolute_url(f"{name}_{number}.{ext}", base_url)
            if url is not None and url not in urls:
                urls.append(url)
    return urls


def hanweb_fragments(html_text: str, *, pagers: bool = False) -> list[HtmlElement]:
    """Hanweb `<datastore>` records, or with `pagers` its `<nextgroup>` links, parsed as HTML fragments."""
    fragments = (_HANWEB_NEXTGROUP if pagers else _HANWEB_RECORD).findall(html_text)
    return [parse_html(f"<html><body>{fragment}</body></html>") for fragment in fragments]


# document.write('<li><a href="…">…</a></li>'): markup a script writes into the page as it loads.
_DOCUMENT_WRITE = re.compile(r"""document\.write(?:ln)?\(\s*(['"])((?:\\.|(?!\1).)*)\1\s*\)""", re.DOTALL)
_JS_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def written_fragments(html_text: str) -> list[HtmlElement]:
    """The markup of a page's document.write calls (joined, so a list opened in one call and closed in
    another stays one list), parsed as one HTML fragment; [] when the scripts write no link."""
    written = "".join(_JS_ESCAPE.sub(r"\1", match.group(2)) for match in _DOCUMENT_WRITE.finditer(html_text))
    if "<a" not in written.lower():
        return []
    return [parse_html(f"<html><body>{written}</body></html>")]


def script_fragments(html_text: str) -> list[HtmlElement]:
    """Entries scripts carry: Hanweb data-island records and document.write markup."""
    return [*hanweb_fragments(html_text), *written_fragments(html_text)]


def script_texts(tree: HtmlElement) -> str:
    """Text of every inline script, where TRS pagers and Hanweb data islands live."""
    return "\n".join(script.text or "" for script in tree.iter("script"))


# Addresses a page's scripts load its data from: $.ajax({url: "…"}), $.getJSON("…"), fetch("…"),
# jQuery's .load("…"), var jpage = {url: "…"} (大汉 JCMS), xhr.open("GET", "…"); or the same calls given a
# variable that holds the address (var api = '/api/column/5/articles?page=1'; fetch(api)). One pass.
_SCRIPT_DATA_URL = re.compile(
    r"""(?:\burl\s*[:=]\s*|\$\.(?:getJSON|get|post|ajax)\(\s*|\bfetch\(\s*|\.load\(\s*|"""
    r"""\.open\(\s*['"](?:GET|POST)['"]\s*,\s*)"""
    r"""(?:['"]([^'"\s<>]{2,300})['"]|([A-Za-z_$][\w$]{0,40})\s*[,)}])""",
    re.IGNORECASE,
)
_NOT_DATA_EXTENSIONS = frozenset({"js", "css", *IMAGE_EXTENSIONS})


def script_data_urls(html_text: str, base_url: str) -> list[str]:
    """Same-document data addresses the page's scripts fetch (lists loaded as JSON or XML), absolute: written
    in the call, or in the variable the call is given (its string assignment in the same scripts)."""
    urls: list[str] = []
    for match in _SCRIPT_DATA_URL.finditer(html_text):
        href, name = match.groups()
        if name is not None:
            assignment = rf"""(?<![\w$.]){re.escape(name)}\s*=\s*['"]([^'"\s<>]{{2,300}})['"]"""
            assigned = re.search(assignment, html_text)
            if assigned is None:
                continue
            href = assigned.group(1)
        url = absolute_url(href.replace("&amp;", "&"), base_url)
        if url is not None and extension_of(url) not in _NOT_DATA_EXTENSIONS and url not in urls:
            urls.append(url)
    return urls


def jump_menu_urls(tree: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    """(option, href) of a jump menu: a <select> whose onchange goes to the chosen option's value (a
    pager's "第N页" menu, a 友情链接 list). Values that are no address (请选择 = "", "0", a page number
    the script appends to its own address) are left out."""
    for select in tree.iter("select"):
        handler = select.get("onchange") or ""
        if "location" not in handler and "window.open" not in handler:
            continue
        for option in select.iter("option"):
            value = (option.get("value") or "").strip()
            if "/" in value or "." in value:
                yield option, value


def onclick_urls(tree: HtmlElement) -> Iterator[tuple[HtmlElement, str]]:
    """(element, href) for `location.href='…'` / `window.open('…')` in onclick handlers."""
    for element in tree.xpath("//*[@onclick]"):
        for groups in _SCRIPT_LOCATION.findall(element.get("onclick", "")):
            href = next(group for group in groups if group)
            yield element, href


def _anchor_kind(url: str, site_host: str) -> LinkKind:
    extension = extension_of(url)
    if extension in ATTACHMENT_EXTENSIONS:
        return "attachment"
    if extension in IMAGE_EXTENSIONS:
        return "image"
    return "page" if same_site(url, site_host) else "external"


def extract_links(tree_or_html: HtmlElement | str | bytes, base_url: str, *, site_host: str) -> list[Link]:
    """Every out-link of a page, once per URL, in document order.

    Anchors become page/attachment/image/external (by extension, then host); img, script, stylesheet
    and (i)frame sources keep their element kind whatever their host. Also found: TRS pagination,
    Hanweb data-island records and onclick locations.
    """
    tree = parse_html(tree_or_html)
    base = base_href(tree, base_url)
    found: dict[str, Link] = {}
    judged: dict[HtmlElement, bool] = {}
    frame_of = {element: frame.get(FRAME_ATTRIBUTE) for frame in tree.iterfind(f".//div[@{FRAME_ATTRIBUTE}]")
                for element in frame.iter()} if tree.get(COMBINED_ATTRIBUTE) is not None else {}

    def add(
        href: str | None, kind: LinkKind | None, element: HtmlElement, text: str, nav: bool | None,
        *, framed: bool = False,
    ) -> None:
        url = absolute_url(href, base)
        if url is None:
            return
        previous = found.get(url)
        if previous is not None:
            if not previous.anchor_text and text:
                found[url] = Link(url=url, kind=previous.kind, anchor_text=text, in_nav=previous.in_nav)
            return
        found[url] = Link(
            url=url,
            kind=kind or _anchor_kind(url, site_host),
            anchor_text=text,
            in_nav=in_nav(element, judged) if nav is None else nav,
            framed=framed,
            frame=frame_of.get(element) if frame_of else None,
        )

    for element in tree.iter("a", "area", "img", "script", "link", "iframe", "frame", "embed"):
        tag = element.tag
        if tag in ("a", "area"):
            add(element.get("href"), None, element, element_text(element) or element.get("title", ""), None)
        elif tag == "img":
            add(element.get("src"), "image", element, element.get("alt", "").strip(), None)
        elif tag == "script":
            add(element.get("src"), "script", element, "", None)
        elif tag == "link" and "stylesheet" in (element.get("rel") or "").lower().split():
            add(element.get("href"), "stylesheet", element, "", None)
        elif tag in ("iframe", "frame"):
            # A frame of the site's own is a page of it (a list shown in an iframe); another host's is
            # only checked.
            src = absolute_url(element.get("src"), base)
            own = src is not None and same_site(src, site_host)
            add(element.get("src"), "page" if own else "frame", element, "", None, framed=own)
        elif tag == "embed":
            add(element.get("src"), None, element, "", None)

    for element, href in onclick_urls(tree):
        add(href, None, element, element_text(element), None)
    for option, href in jump_menu_urls(tree):
        add(href, None, option, element_text(option), None)

    scripts = script_texts(tree)
    body = tree.find("body")
    for fragment in [*script_fragments(scripts), *hanweb_fragments(scripts, pagers=True)]:
        for anchor in fragment.iter("a"):
            add(anchor.get("href"), None, body if body is not None else tree, element_text(anchor), False)
    for url in trs_page_urls(scripts, base):
        add(url, "page", tree, "", False)
    for url in script_data_urls(scripts, base):
        if same_site(url, site_host):
            add(url, "page", tree, "", False)
    return list(found.values())


# --- link-check outcomes ----------------------------------------------------------------------

CONFIRMED_HTTP_STATUSES = frozenset({403, 404, 410})
# A 200 page smaller than this, with almost no text (a short but real page keeps at least a sentence),
# is an empty error page.
SOFT404_MAX_HTML_BYTES = 512
SOFT404_MIN_TEXT_CHARS = 16
_SOFT404_PHRASES = re.compile(
    r"(?:页面|网页|信息|内容|文章|稿件|栏目|文件|资源)(?:已经|已|都)?(?:不存在|未找到|找不到|被?删除|被?撤(?:销|回|稿)|"
    r"下线|过期|失效)|不存在或已(?:被)?(?:删除|过期|撤销|下线)|"
    r"找不到(?:该|您要的|你要的|所请求的)?(?:页面|网页)|页面已(?:被)?删除|"
    r"已被删除|已经删除|已撤稿|页面出错|出错了|错误页面|访问的页面不存在|无法找到(?:该)?页面|"
    r"参数(?:错误|有误|不正确)|无此(?:信息|文章|记录|内容)|"
    r"not\s+found|page\s+(?:cannot|could\s+not)\s+be\s+found|404\s*(?:error|错误)",
    re.IGNORECASE,
)
_ERROR_TITLE_CODE = re.compile(r"^\W*(?:40[0-9]|410|50[0-9])\b|\berror\s*40[34]\b", re.IGNORECASE)
# An error phrase counts only in a short title segment or a short text block that is little more than
# the phrase itself; longer text is a real article that merely talks about 404s.
_ERROR_MESSAGE_EXTRA_CHARS = 12
_ERROR_BODY_MAX_CHARS = 1500
_TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜]|--|——|\s-\s)\s*")
_ERROR_PAGE_PATH = re.compile(
    r"/(?:40[0-9]|50[0-9]|error|errors|err|notfound|not[_-]found|nofound|nopage|pagenotfound|error40[34]|"
    r"errorpage|404page)(?:[./_-][^/]*)?$",
    re.IGNORECASE,
)
_REDIRECT_STUB = re.compile(r"http-equiv\s*=\s*['\"]?refresh|location(?:\.href)?\s*=|location\.replace", re.I)
# The message box of a page that is only a script: alert('该信息不存在或已被删除！');history.back();
_ALERT = re.compile(r"\balert\(\s*['\"]([^'\"]{2,120})['\"]\s*\)")


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """Outcome of fetching one link target.

    `confirmed` says the error is of a kind D-LINK counts as confirmed (403/404/410, DNS failure,
    timeout); the "twice, an hour apart" rule for timeouts is the link checker's job.
    `attachment_returned_html` flags a D-ATTACH problem: an attachment URL answered with an HTML page.
    """

    ok: bool
    status: int | None
    error: LinkError | None
    confirmed: bool
    attachment_returned_html: bool = False


def _starts_with_markup(body_text: str) -> bool:
    head = body_text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<meta", "<title"))


def _is_html(content_type: str | None, body_text: str) -> bool:
    if content_type:
        return "html" in content_type.lower()
    return _starts_with_markup(body_text)


def error_phrase(text: str) -> bool:
    """True if the text says a page is missing or deleted (页面不存在, 信息已删除, not found, ...)."""
    return _SOFT404_PHRASES.search(text) is not None


def _is_error_message(text: str, *, with_code: bool = False) -> bool:
    """True if the text is an error message: an error phrase (or code) with little else around it."""
    match = _SOFT404_PHRASES.search(text) or (_ERROR_TITLE_CODE.search(text) if with_code else None)
    return match is not None and len(text) - len(match.group(0)) <= _ERROR_MESSAGE_EXTRA_CHARS


_SCRIPTS = lxml.etree.XPath(".//script|.//style")
_TEXT_OUTSIDE_SCRIPTS = lxml.etree.XPath(
    ".//text()[not(ancestor::script or ancestor::style)]", smart_strings=False)


def _text_without_scripts(element: HtmlElement) -> str:
    """An element's text without what its scripts and styles hold, whitespace collapsed."""
    return " ".join("".join(_TEXT_OUTSIDE_SCRIPTS(element)).split())


def _soft404(
    url: str, body_text: str, body_size_bytes: int, redirect_urls: Sequence[str], attachment: bool, *,
    tree: HtmlElement | None = None,
) -> bool:
    if redirect_urls and _ERROR_PAGE_PATH.search(urlsplit(url).path) is not None:
        return True
    tree = parse_html(body_text) if tree is None else tree
    title_element = tree.find(".//title")
    title = element_text(title_element) if title_element is not None else ""
    if any(_is_error_message(segment, with_code=True) for segment in _TITLE_SEPARATORS.split(title)):
        return True
    body = tree.find("body")
    # Text read without scripts and styles (a script's text is not shown; the tree may be shared, so
    # nothing is removed from it).
    scripted = body is not None and bool(_SCRIPTS(body))
    read = _text_without_scripts if scripted else element_text
    text = read(body) if body is not None else ""
    if text and len(text) <= _ERROR_BODY_MAX_CHARS and body is not None:
        for block in body.iter(
            "h1", "h2", "h3", "h4", "p", "div", "span", "td", "li", "center", "b", "strong"
        ):
            if _is_error_message(read(block), with_code=block.tag in ("h1", "h2")):
                return True
    if (
        attachment
        or body_size_bytes >= SOFT404_MAX_HTML_BYTES
        or len(text.replace(" ", "")) >= SOFT404_MIN_TEXT_CHARS
    ):
        return False
    # A tiny page whose script tells the reader the item is gone, then sends them back or home.
    if any(_is_error_message(message) for message in _ALERT.findall(body_text)):
        return True
    # A tiny page that only redirects, frames or shows an image is not an error page.
    has_content = tree.xpath("//frameset|//iframe|//frame|//img|//embed|//object|//video|//table|//form")
    return not has_content and _REDIRECT_STUB.search(body_text) is None


def classify_response(
    status: int,
    url: str,
    body_text: str,
    content_type: str | None,
    redirect_urls: Sequence[str] = (),
    *,
    body_size_bytes: int | None = None,
    kind: LinkKind | None = None,
    tree: HtmlElement | None = None,
) -> LinkStatus:
    """Classify an HTTP answer.

    `url` is the final URL, `redirect_urls` the earlier hops (Scrapy's `meta["redirect_urls"]`),
    `body_text` the decoded body or its head, `body_size_bytes` the full body size when only the head
    was read. `kind` is the link's kind; without it an attachment is recognised by the extension of
    the first URL requested. `tree`: the body already parsed (read, never changed), else it is parsed.
    """
    requested = redirect_urls[0] if redirect_urls else url
    attachment = kind == "attachment" or (kind is None and extension_of(requested) in ATTACHMENT_EXTENSIONS)
    html = _is_html(content_type, body_text)
    # A file mislabelled text/html still starts with its own bytes (%PDF, PK, ...), not with markup.
    returned_html = attachment and html and (not body_text.strip() or _starts_with_markup(body_text))
    if status >= 400:
        return LinkStatus(
            ok=False,
            status=status,
            error="http",
            confirmed=status in CONFIRMED_HTTP_STATUSES,
            attachment_returned_html=returned_html,
        )
    size = len(body_text.encode("utf-8")) if body_size_bytes is None else body_size_bytes
    # An attachment link answered by a web page (a login wall, the home page, an error page) gives the
    # reader no file: a soft 404 of the download (D-ATTACH).
    if 200 <= status < 300 and html and (returned_html or _soft404(url, body_text, size, redirect_urls,
                                                                    attachment, tree=tree)):
        return LinkStatus(
            ok=False, status=status, error="soft404", confirmed=False, attachment_returned_html=returned_html
        )
    return LinkStatus(
        ok=True, status=status, error=None, confirmed=False, attachment_returned_html=returned_html
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, and the reasons Twisted's ResponseFailed wraps."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for cause in (current.__cause__, current.__context__):
            if cause is not None:
                pending.append(cause)
        if isinstance(current, ResponseFailed | ResponseNeverReceived):
            for reason in current.reasons:
                if isinstance(reason, Failure) and reason.value is not None:
                    pending.append(reason.value)


_EXCEPTION_ERRORS: tuple[tuple[tuple[type[BaseException], ...], LinkError], ...] = (
    ((tx_error.DNSLookupError, CannotResolveHostError), "dns"),
    ((SSL.Error, ssl.SSLError, tx_error.SSLError), "tls"),
    ((tx_error.TimeoutError, tx_error.TCPTimedOutError, DownloadTimeoutError, TimeoutError), "timeout"),
    ((tx_error.ConnectionRefusedError, DownloadConnectionRefusedError, ConnectionRefusedError), "refused"),
)
_CONFIRMED_ERRORS = frozenset({"dns", "timeout"})


def classify_exception(
    exc: BaseException | Failure, *, url: str | None = None, redirect_urls: Sequence[str] = ()
) -> LinkStatus:
    """Classify a download failure as an errback sees it (`failure` or `failure.value`).

    Pass `failure.request.url` and `failure.request.meta.get("redirect_urls", [])` so that Scrapy's
    `IgnoreRequest("max redirections reached")` can be told apart as a loop (a URL repeats) or a
    long chain. An `HttpError` (HttpErrorMiddleware) is classified from its response.
    """
    value = exc.value if isinstance(exc, Failure) else exc
    if value is None:
        return LinkStatus(ok=False, status=None, error="other", confirmed=False)
    if isinstance(value, HttpError):
        response = value.response
        text = response.text if hasattr(response, "text") else ""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        return classify_response(
            response.status, response.url, text, content_type, response.meta.get("redirect_urls", ())
        )
    for cause in _causes(value):
        for types, error in _EXCEPTION_ERRORS:
            if isinstance(cause, types):
                return LinkStatus(ok=False, status=None, error=error, confirmed=error in _CONFIRMED_ERRORS)
    if any(isinstance(cause, DownloadCancelledError | defer.CancelledError) for cause in _causes(value)):
        # The handler cancels a download past DOWNLOAD_MAXSIZE (announced or received).
        return LinkStatus(ok=False, status=None, error="too_large", confirmed=False)
    if isinstance(value, IgnoreRequest) and "during decompression" in str(value):
        return LinkStatus(ok=False, status=None, error="decompression_limit", confirmed=False)
    if isinstance(value, IgnoreRequest) and "redirect" in str(value):
        hops = [*redirect_urls, *([url] if url else [])]
        redirect_error: LinkError = "redirect_loop" if len(set(hops)) < len(hops) else "too_many_redirects"
        return LinkStatus(ok=False, status=None, error=redirect_error, confirmed=False)
    return LinkStatus(ok=False, status=None, error="other", confirmed=False)
