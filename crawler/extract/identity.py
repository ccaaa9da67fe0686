"""Identity marks of a home page (D-ID) and its error-report entry (D-ERRLINK), docs/checks.md §4-§5.

A government home page must show, usually in its footer: the site identification code
("政府网站标识码：5101000001"), the ICP filing number ("蜀ICP备05001234号"), the public-security
filing number ("川公网安备 51010402000123号") and the sponsor ("主办单位：…办公室"); and it must link to
the national "我为政府网站找错" error-report entry (a script `jiucuo.js`, or a link to
`…/exposure/jiucuo.html?site_code=…`, or a link or image labelled 找错).

Marks are read from the visible text (scripts, styles and comments do not count: an ICP-looking run
inside a base64 blob is not a filing number). The error-report entry counts even when hidden by CSS,
since the national script inserts and styles it itself.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from crawler.extract.links import visible_text

if TYPE_CHECKING:
    from lxml.html import HtmlElement

Mark = Literal["site_code", "icp", "police", "sponsor"]
MARKS: Final[tuple[Mark, ...]] = ("site_code", "icp", "police", "sponsor")
MARK_NAMES: Final[dict[str, str]] = {
    "site_code": "政府网站标识码",
    "icp": "ICP备案编号",
    "police": "公安机关备案号",
    "sponsor": "主办单位",
}

# 政府网站标识码: State Council departments "bm" + 8 digits, local sites 10 digits (docs/checks.md §4).
_CODE: Final = r"bm\d{8}|\d{10}"
SITE_CODE: Final = re.compile(rf"^({_CODE})$")
_SITE_CODE_TEXT: Final = re.compile(rf"标识码\s*[:：]?\s*({_CODE})(?!\d)", re.IGNORECASE)
_ICP: Final = re.compile(r"ICP\s*[备证]\s*[:：]?\s*\d{6,}", re.IGNORECASE)
_POLICE: Final = re.compile(r"公网安备\s*[:：]?\s*\d{10,}")
_SPONSOR: Final = re.compile(r"主办(?:单位)?\s*[:：]\s*(\S{2,})")
_ERROR_REPORT_URL: Final = re.compile(r"jiucuo", re.IGNORECASE)
_ERROR_REPORT_TEXT: Final = "找错"


@dataclass(frozen=True, slots=True)
class IdentityMarks:
    """What a home page shows of its identity; `site_code` is the code as shown, or None."""

    site_code: str | None
    icp: bool
    police: bool
    sponsor: bool
    error_report: bool

    def missing(self) -> list[Mark]:
        """The marks the page lacks, in the order of MARKS."""
        shown = {"site_code": self.site_code is not None, "icp": self.icp, "police": self.police,
                 "sponsor": self.sponsor}
        return [mark for mark in MARKS if not shown[mark]]


def _has_error_report(tree: HtmlElement) -> bool:
    for element in tree.iter("script", "a", "img", "area", "iframe"):
        target = element.get("src") or element.get("href") or ""
        if _ERROR_REPORT_URL.search(target) or _ERROR_REPORT_URL.search(element.get("id") or ""):
            return True
        label = element.get("alt") or element.get("title") or ""
        if element.tag == "a":
            label += element.text_content()
        if _ERROR_REPORT_TEXT in label:
            return True
    return False


def identity_marks(tree: HtmlElement) -> IdentityMarks:
    """The identity marks and error-report entry a parsed home page shows."""
    text = visible_text(tree)
    code = _SITE_CODE_TEXT.search(text)
    return IdentityMarks(
        site_code=code.group(1).lower() if code else None,
        icp=_ICP.search(text) is not None,
        police=_POLICE.search(text) is not None,
        sponsor=_SPONSOR.search(text) is not None,
        error_report=_has_error_report(tree),
    )


def site_code_problems(shown: str | None, registered: str) -> list[str]:
    """Why the code a page shows is wrong for its registered site ([] when it is right or absent)."""
    if shown is None:
        return []
    if SITE_CODE.match(registered.lower()) and shown != registered.lower():
        return [f"标识码 {shown} shown, {registered} registered"]
    return []


def domain_problems(host: str) -> list[str]:
    """Domain rule violations of a registered host name, without port (docs/checks.md §4).

    It must sit under .gov.cn. An IP address is not judged (test farms and intranet registries use them).
    """
    host = host.lower().rstrip(".").strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return [] if host.endswith(".gov.cn") else [f"host {host} is not under .gov.cn"]
    return []
