"""Dark links and defacement: hidden links to other hosts, and a home page whose links and text changed
abnormally since the previous visit (GOVCRAWL_CONTENT_* settings).

A hidden link is judged by the inline style of the anchor and its ancestors and by the page's own
`<style>` rules on a class or id. Hiding that menus use too (display:none, visibility:hidden, the
`hidden` attribute, zero size) counts only when the link also carries a banned/gambling/pornographic term
or points to a blocklisted domain; hiding that only injected links use (off-screen positions, text the
colour of its background, a tiny `<marquee>`) counts for hosts outside the site's domain and .gov.cn
when a page has several such links.

The home-page fingerprint is two bottom-k sketches (the SKETCH_SIZE smallest 63-bit hashes) of the
page's link URLs and of its text blocks: stored on the home PageItem, compared with the copy
Elasticsearch holds from the previous visit by HomeChangePipeline before the new one overwrites it.
"""

from __future__ import annotations

import heapq
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import xxhash

from crawler.extract.links import absolute_url, element_text
from crawler.extract.wording import blocked_domain, find_terms

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

    from crawler.extract.wording import Dictionaries

logger = logging.getLogger(__name__)

SKETCH_SIZE: Final = 64
_MASK_63: Final = (1 << 63) - 1
# Ways of hiding that only injected links use; the others (display:none, visibility:hidden, the hidden
# attribute, zero size) hide drop-down menus and collapsed lists too.
INJECTION_HIDING: Final = frozenset({"off-screen", "same-colour", "tiny-marquee"})
UNMARKED_MIN_LINKS: Final = 3
_OFF_SCREEN_PX: Final = 500
_TINY_PX: Final = 2
_ANCESTOR_LIMIT: Final = 12
_DECLARATION = re.compile(r"([a-zA-Z-]+)\s*:\s*([^;]+)")
# Declarations that hide what they style, in a page's CSS (same colours are judged in inline styles only).
_CSS_HIDING = re.compile(r"(?:display|visibility|left|top|right|bottom|text-indent|font-size)\s*:\s*"
                         r"(?:none|hidden|-\s*\d{3}|[01](?:px)?\s*[;}!])", re.IGNORECASE)
# A <style> block this long is the site's own stylesheet, not an injection next to the links it hides.
STYLE_BLOCK_MAX_CHARS: Final = 8000
_SIMPLE_SELECTOR = re.compile(r"^(?:[a-z0-9]+)?([.#])([\w-]+)$", re.IGNORECASE)
_PX = re.compile(r"^(-?\d+(?:\.\d+)?)(px|pt|em|rem)?$")
_COLOUR_NAMES: Final = {"white": "#ffffff", "black": "#000000", "red": "#ff0000",
                         "transparent": "transparent"}
_RGB = re.compile(r"^rgba?\((\d+),(\d+),(\d+)")
# A rule body that may hide: most of a site's CSS does not, and is not read further.
_HIDING_HINT = re.compile(r"none|hidden|-\s*\d{3}|font-size\s*:\s*[01](?:px)?\s*(?:;|$)|background", re.I)


@dataclass(frozen=True, slots=True)
class DarkLink:
    """A hidden link to another host that looks injected."""

    url: str
    anchor_text: str
    method: str  # display:none, visibility:hidden, hidden, off-screen, zero-size, same-colour, tiny-marquee
    reason: str  # what made it count, in staff's words

    def evidence(self) -> str:
        return f"隐藏方式 {self.method}；{self.reason}：<a href=\"{self.url}\">{self.anchor_text[:60]}</a>"


def _declarations(style: str) -> dict[str, str]:
    return {name.strip().lower(): value.strip().lower().replace(" !important", "").replace(" ", "")
            for name, value in _DECLARATION.findall(style)}


def style_rules(tree: HtmlElement) -> dict[str, dict[str, str]]:
    """The page's `<style>` rules on a bare class or id (".x" / "#y") that hide what they style, as
    injected links use them. One scan of the CSS for hiding declarations; other rules are not read."""
    rules: dict[str, dict[str, str]] = {}
    for element in tree.iter("style"):
        css = element.text or ""
        if len(css) > STYLE_BLOCK_MAX_CHARS:
            continue
        for match in _CSS_HIDING.finditer(css):
            opening = css.rfind("{", 0, match.start())
            if opening < 0:
                continue
            comment = css.rfind("*/", 0, opening)
            start = max(css.rfind("}", 0, opening), css.rfind("{", 0, opening),
                        comment + 1 if comment >= 0 else -1)
            closing = css.find("}", match.end())
            declarations = _declarations(css[opening + 1:closing if closing >= 0 else len(css)])
            for selector in css[start + 1:opening].split(","):
                simple = _SIMPLE_SELECTOR.match(selector.strip())
                if simple is not None:
                    rules.setdefault(simple.group(1) + simple.group(2), {}).update(declarations)
    return rules


def _px(value: str | None) -> float | None:
    if value is None:
        return None
    found = _PX.match(value)
    if found is None:
        return None
    number = float(found.group(1))
    return number * 16 if found.group(2) in ("em", "rem") else number


def _colour(value: str | None) -> str | None:
    if not value:
        return None
    value = _COLOUR_NAMES.get(value, value)
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        return "#" + "".join(char * 2 for char in value[1:])
    rgb = _RGB.match(value)
    if rgb is not None:
        return "#" + "".join(f"{int(part):02x}" for part in rgb.groups())
    return value


def hiding_method(style: dict[str, str], element: HtmlElement) -> str | None:
    """How an element's own style hides it (and everything inside it), or None."""
    if style.get("display") == "none":
        return "display:none"
    if style.get("visibility") == "hidden":
        return "visibility:hidden"
    if element.get("hidden") is not None:
        return "hidden"
    if style.get("position") in ("absolute", "fixed"):
        for side in ("left", "top", "right", "bottom"):
            offset = _px(style.get(side))
            if offset is not None and offset <= -_OFF_SCREEN_PX:
                return "off-screen"
    indent = _px(style.get("text-indent"))
    if indent is not None and indent <= -_OFF_SCREEN_PX:
        return "off-screen"
    sizes = [_px(style.get(name)) for name in ("width", "height")]
    if any(size is not None and size < _TINY_PX for size in sizes) and style.get("overflow") == "hidden":
        return "zero-size"
    font = _px(style.get("font-size"))
    if font is not None and font < _TINY_PX:
        return "zero-size"
    colour = _colour(style.get("color"))
    if colour is not None and colour != "transparent" and colour == _colour(
            style.get("background-color") or style.get("background")):
        return "same-colour"
    if element.tag == "marquee":
        marquee = [_px(element.get(name) or style.get(name)) for name in ("width", "height")]
        if any(size is not None and size <= _TINY_PX * 3 for size in marquee):
            return "tiny-marquee"
    return None


class _Hiding:
    """Whether an element is hidden by itself or an ancestor, each element judged once."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self.rules: dict[str, dict[str, str]] | None = None  # read at the first question
        self.memo: dict[HtmlElement, str | None] = {}

    def _own(self, element: HtmlElement) -> str | None:
        style: dict[str, str] = {}
        if self.rules is None:
            self.rules = style_rules(self.tree)
        if self.rules:
            for name in (element.get("class") or "").split():
                style.update(self.rules.get("." + name, {}))
            identifier = element.get("id")
            if identifier:
                style.update(self.rules.get("#" + identifier, {}))
        inline = element.get("style")
        if inline and _HIDING_HINT.search(inline) is not None:
            style.update(_declarations(inline))
        if not style and element.tag != "marquee" and element.get("hidden") is None:
            return None
        return hiding_method(style, element)

    def of(self, element: HtmlElement) -> str | None:
        chain: list[HtmlElement] = []
        found: str | None = None
        current: HtmlElement | None = element
        while current is not None and isinstance(current.tag, str) and len(chain) < _ANCESTOR_LIMIT:
            if current in self.memo:
                found = self.memo[current]
                break
            chain.append(current)
            own = self._own(current)
            if own is not None:
                found = own
                break
            current = current.getparent()
        for seen in chain:
            self.memo[seen] = found
        return found


_SECOND_LEVEL: Final = frozenset({"com", "net", "org", "gov", "edu", "ac"})


def _registered_domain(host: str) -> str:
    """The domain a host was registered under: example.com.cn for www.news.example.com.cn."""
    labels = host.lower().strip(".").split(".")
    if all(label.isdigit() for label in labels):
        return host  # an IP address is its own domain
    keep = 3 if len(labels) >= 3 and labels[-1] == "cn" and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _absolute_host(href: str) -> str:
    """The host an absolute (or scheme-relative) link names, lower case; "" for a relative link."""
    href = href.strip()
    start = href.find("//")
    if start < 0 or (start > 0 and href[:start].lower() not in ("http:", "https:")):
        return ""
    authority = href[start + 2:]
    for separator in "/?#\\":
        authority = authority.split(separator, 1)[0]
    return authority.rsplit("@", 1)[-1].split(":", 1)[0].lower()


def _own_or_government(host: str, own_domain: str) -> bool:
    """A host of the site's own domain, or of a government (.gov.cn, .gov) one: never a dark link."""
    host = host.lower()
    return _registered_domain(host) == own_domain or host.endswith((".gov.cn", ".gov")) or host == "gov.cn"


def dark_links(tree: HtmlElement, base_url: str, site_host: str,
               dictionaries: Dictionaries) -> list[DarkLink]:
    """The hidden links of one page to other hosts that look injected, once per URL.

    A hidden link carrying a banned, gambling or pornographic term or pointing to a blocklisted domain
    always counts; one hidden only by an injection method (INJECTION_HIDING) counts when the page has
    UNMARKED_MIN_LINKS of them (a screen-reader link or two is no injection).
    """
    hiding = _Hiding(tree)
    own_domain = _registered_domain(site_host.split(":", maxsplit=1)[0])
    outside: dict[str, bool] = {}  # host -> outside the site's domain and government (judged once)
    marked: dict[str, DarkLink] = {}
    unmarked: dict[str, DarkLink] = {}
    for anchor in tree.iter("a"):
        host = _absolute_host(anchor.get("href") or "")
        if not host:
            continue  # a relative link stays on the site
        if host not in outside:
            outside[host] = not _own_or_government(host, own_domain)
        if not outside[host]:
            continue
        href = (anchor.get("href") or "").strip()
        method = hiding.of(anchor)
        url = absolute_url(href, base_url) if method is not None else None
        if method is None or url is None or url in marked:
            continue
        text = element_text(anchor) or anchor.get("title", "")
        terms = find_terms(f"{text}\n{url}", dictionaries)
        blocked = blocked_domain(host, dictionaries)
        if blocked is not None:
            marked[url] = DarkLink(url, text, method, f"隐藏链接指向封禁域名 {blocked}")
        elif terms:
            marked[url] = DarkLink(url, text, method, f"隐藏链接含“{terms[0].found}”")
        elif method in INJECTION_HIDING:
            unmarked[url] = DarkLink(url, text, method, "隐藏链接指向其他网站")
    found = list(marked.values())
    if len(unmarked) >= UNMARKED_MIN_LINKS:
        found.extend(link for url, link in unmarked.items() if url not in marked)
    return found


# --- home-page fingerprints ----------------------------------------------------------------------


def sketch(values: Iterable[str | int]) -> list[int]:
    """The SKETCH_SIZE smallest 63-bit hashes of the values (ints are taken as hashes already), sorted."""
    hashes = {(value if isinstance(value, int) else xxhash.xxh64_intdigest(value.encode("utf-8"))) & _MASK_63
              for value in values}
    return heapq.nsmallest(SKETCH_SIZE, hashes)


def sketch_similarity(first: list[int], second: list[int]) -> float | None:
    """Estimated Jaccard similarity of the two sets the sketches stand for; None if either is empty."""
    if not first or not second:
        return None
    both = set(first) & set(second)
    union = heapq.nsmallest(SKETCH_SIZE, set(first) | set(second))
    return sum(1 for value in union if value in both) / len(union)


def home_change(previous: tuple[list[int], list[int]], current: tuple[list[int], list[int]],
                threshold: float) -> str | None:
    """The evidence of an abnormal home-page change: links and text both less alike than `threshold`
    between the visits (a daily news list changes a part, a defacement or hijack nearly everything)."""
    links = sketch_similarity(previous[0], current[0])
    text = sketch_similarity(previous[1], current[1])
    if links is None or text is None or links >= threshold or text >= threshold:
        return None
    return f"与上次访问相比，链接相似度 {links:.2f}，内容相似度 {text:.2f}（低于 {threshold:.2f}）"
