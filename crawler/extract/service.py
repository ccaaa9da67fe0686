"""Service guides (办事指南) and the elements they show, for V-SERVICE (docs/checks.md §5).

A guide should give ten elements, each under its label: 事项名称, 设定依据, 申请条件, 办理材料, 办理地点,
办理机构, 收费标准, 办理时间, 联系电话, 办理流程. A label counts where it heads something: an element
whose whole text is the label (a table cell, `<dt>`, `<b>`, `<th>`…, a trailing colon allowed), or a
paragraph or cell that starts with "label：". The same words in running text ("请于办理时间内…") or in the
page's navigation and footer (a site-wide 联系电话) do not count.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from lxml import etree

from crawler.extract.links import in_nav, is_nav_element

if TYPE_CHECKING:
    from lxml.html import HtmlElement

GUIDE_ELEMENTS: Final[tuple[str, ...]] = (
    "事项名称", "设定依据", "申请条件", "办理材料", "办理地点",
    "办理机构", "收费标准", "办理时间", "联系电话", "办理流程",
)
_SKIPPED: Final = frozenset({"script", "style", "noscript", "template", "head", "a", "select", "option"})
_LABEL: Final = re.compile(r"^[\s【\[（(]*(" + "|".join(GUIDE_ELEMENTS) + r")[\s】\]）)]*(?:[:：]|$)")


def _own_start(element: HtmlElement) -> str:
    """The element's text up to its first child element that holds text of its own."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        if child.tag in ("b", "strong", "span", "em", "font", "label"):
            parts.append(child.text_content())
            parts.append(child.tail or "")
            continue
        break
    return "".join(parts)


# Elements with a text node of their own naming an element: lxml finds them in C, so a page that
# names none (nearly every article) costs one pass and no Python per element.
_HOLDERS: Final = etree.XPath(
    "//body//*[text()[" + " or ".join(f"contains(., '{label}')" for label in GUIDE_ELEMENTS) + "]]")


def guide_elements(tree: HtmlElement, markup: str | None = None) -> list[str]:
    """The guide elements a parsed page labels, in the order of GUIDE_ELEMENTS.

    `markup`, the page's text, lets a page that names no element anywhere skip the tree search.
    """
    if markup is not None and not any(label in markup for label in GUIDE_ELEMENTS):
        return []
    found: set[str] = set()
    for element in _HOLDERS(tree):
        if element.tag in _SKIPPED or is_nav_element(element):
            continue
        match = _LABEL.match(_own_start(element))
        if match and not in_nav(element):
            found.add(match.group(1))
    return [label for label in GUIDE_ELEMENTS if label in found]
