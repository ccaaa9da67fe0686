"""What a page says of its own: its text blocks minus the site's template, for soft-404s and traps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import xxhash

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lxml.html import HtmlElement

_INVISIBLE: Final = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "select", "option"}
)
# Digits vary where the content does not (today's date in a banner, a calendar's day, a hit counter).
_DIGITS = re.compile(r"\d+")
_BLANKS = re.compile(r"\s+")
_MIN_BLOCK_CHARS = 2
_MASK_64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class PageContent:
    """A page's text blocks: hash -> text (digits folded), and hash -> hash of the text as written."""

    blocks: Mapping[int, str]
    written: Mapping[int, int] = field(default_factory=dict)

    def own(self, template: frozenset[int], entry_urls: Iterable[str] = ()) -> OwnContent:
        """The blocks the site's template (its home page) does not show: what this page itself says,
        with the entries its lists point to."""
        own = {key: text for key, text in self.blocks.items() if key not in template}
        entries = frozenset(_hash(url) for url in entry_urls)
        exact = hash((frozenset(self.written.get(key, key) for key in own), entries))
        return OwnContent(text=" ".join(own.values()), features=frozenset(own), entries=entries, exact=exact)


@dataclass(frozen=True, slots=True)
class OwnContent:
    """A page's own text, its text blocks' features and its list entries' (hashed URLs)."""

    text: str
    features: frozenset[int]
    entries: frozenset[int] = frozenset()
    exact: int = 0  # the own blocks as written (digits kept) and the entries: equal means the same page

    def repeats(self, other: OwnContent, threshold: float) -> bool:
        """The same page again: its blocks as similar, and its list (if either has one) the same list.

        Two list pages of one section share their section's menus, so their text alone may look alike;
        their entries tell them apart. A calendar or a re-sorted list shows the same entries again.
        """
        if similarity(self.features, other.features) < threshold:
            return False
        return not (self.entries or other.entries) or similarity(self.entries, other.entries) >= threshold


def _hash(text: str) -> int:
    return xxhash.xxh64_intdigest(text.encode("utf-8"))


def page_content(tree: HtmlElement) -> PageContent:
    """The visible text blocks of a page's body (one per text node), each hashed once."""
    blocks: dict[int, str] = {}
    written: dict[int, int] = {}
    body = tree.find("body")
    if body is not None:
        for element in body.iter():
            tag = element.tag
            if isinstance(tag, str) and tag not in _INVISIBLE:
                _add_block(blocks, written, element.text)
            parent = element.getparent()
            if parent is not None and isinstance(parent.tag, str) and parent.tag not in _INVISIBLE:
                _add_block(blocks, written, element.tail)
    return PageContent(blocks=blocks, written=written)


def _add_block(blocks: dict[int, str], written: dict[int, int], raw: str | None) -> None:
    if not raw:
        return
    compact = _BLANKS.sub("", raw)
    text = _DIGITS.sub("#", compact)
    if len(text) >= _MIN_BLOCK_CHARS:
        key = _hash(text)
        blocks[key] = text
        # Blocks that fold alike (第1条, 第2条) add up as written, in any order.
        written[key] = (written.get(key, 0) + _hash(compact)) & _MASK_64


def similarity(first: frozenset[int], second: frozenset[int]) -> float:
    """Jaccard similarity of two feature sets; two empty sets are the same (1.0)."""
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


@dataclass(frozen=True, slots=True)
class SiteTemplate:
    """What one crawl cycle learned of a site: its home page's blocks (the template every page
    repeats) and, when the site answers a page that cannot exist with 200, that answer's own features."""

    blocks: frozenset[int]
    not_found: frozenset[int] | None = None
