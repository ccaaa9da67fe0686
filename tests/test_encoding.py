"""Tests for crawler.extract.encoding: exact Chinese titles under every codec and declaration."""

from __future__ import annotations

import re

import pytest

from crawler.extract.encoding import decode_html

# 镕 and 堃 are outside GB2312 (GBK only); 䶮 is outside GBK (GB18030 only).
TITLES = {
    "gb2312": "关于开展2026年政府网站检查工作的通知",
    "gbk": "朱镕基同志与王堃同志调研纪实",
    "gb18030": "刘䶮研究：政府网站建设年度报表",
    "utf-8": "四川省人民政府办公厅关于印发《实施方案》的通知 䶮镕",
}


def _page(title: str, encoding: str, meta_charset: str | None, http_equiv: bool = False) -> bytes:
    if meta_charset is None:
        head = ""
    elif http_equiv:
        head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">'
    else:
        head = f'<meta charset="{meta_charset}">'
    html = (
        f"<html><head>{head}<title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>发布日期：2026-11-20 来源：办公室</p></body></html>"
    )
    return html.encode(encoding)


def _title(text: str) -> str:
    found = re.search(r"<title>(.*?)</title>", text)
    assert found is not None
    return found.group(1)


# (page codec, HTTP header value, meta charset, use http-equiv, expected mismatch)
CASES = [
    ("gb2312", "text/html; charset=gb2312", "gb2312", False, False),
    ("gbk", "text/html; charset=gbk", None, False, False),
    ("gbk", None, "gb2312", True, False),  # declared gb2312, uses GBK-only characters
    ("gb18030", None, "gbk", False, False),
    ("gbk", None, None, False, False),  # no declaration at all
    ("gb2312", None, None, False, False),
    ("gb18030", None, None, False, False),
    ("gbk", "text/html; charset=utf-8", None, False, True),  # wrong header
    ("gbk", None, "utf-8", False, True),  # wrong meta
    ("gb2312", "text/html; charset=ISO-8859-1", "gb2312", True, True),  # Tomcat default header
    ("gbk", "text/html; charset=ISO-8859-1", None, False, True),
    ("utf-8", "text/html; charset=utf-8", "utf-8", False, False),
    ("utf-8", None, None, False, False),
    ("utf-8", "text/html; charset=gbk", None, False, True),  # UTF-8 page, GBK header
    ("utf-8", None, "gb2312", True, True),
    ("utf-8", "gb2312", None, False, True),  # bare charset name as `declared`
]


@pytest.mark.parametrize(("codec", "header", "meta", "http_equiv", "mismatch"), CASES)
def test_decode_html_gives_exact_title(
    codec: str, header: str | None, meta: str | None, http_equiv: bool, mismatch: bool
) -> None:
    title = TITLES[codec]
    decoded = decode_html(_page(title, codec, meta, http_equiv), header)
    assert _title(decoded.text) == title
    assert "\ufffd" not in decoded.text
    assert decoded.mismatch is mismatch


def test_gb_declarations_are_widened_to_gb18030() -> None:
    decoded = decode_html(_page(TITLES["gbk"], "gbk", "gb2312"), None)
    assert decoded.encoding == "gb18030"
    assert decoded.declared == "gb18030"


def test_undeclared_short_gbk_snippet() -> None:
    decoded = decode_html("<title>通知公告</title>".encode("gbk"), None)
    assert decoded.text == "<title>通知公告</title>"
    assert decoded.declared is None


def test_ascii_page_keeps_declaration() -> None:
    decoded = decode_html(b"<html><title>Site</title></html>", "text/html; charset=gbk")
    assert decoded.text == "<html><title>Site</title></html>"
    assert decoded.mismatch is False


def test_utf8_bom_wins_over_gbk_header() -> None:
    body = b"\xef\xbb\xbf" + "<title>政务公开</title>".encode()
    decoded = decode_html(body, "text/html; charset=gbk")
    assert _title(decoded.text) == "政务公开"
    assert decoded.mismatch is True


def test_broken_bytes_are_replaced_not_raised() -> None:
    body = "<title>政务公开</title>".encode("gbk") + b"\x81"
    decoded = decode_html(body, "text/html; charset=gbk")
    assert decoded.text.startswith("<title>政务公开</title>")


@pytest.mark.parametrize("header", ["text/html; charset=utf-8", None, "text/html; charset=gbk"])
def test_utf8_with_a_few_broken_bytes_stays_utf8(header: str | None) -> None:
    # A CMS cut a character in half and left stray bytes: read as GB18030 the whole page was garbled.
    title = TITLES["utf-8"]
    body = _page(title, "utf-8", None).replace(b"<p>", b"<p>\xc3\x28\xa0\xa1\xfe")
    decoded = decode_html(body, header)
    assert decoded.encoding == "utf_8"
    assert _title(decoded.text) == title
    assert "发布日期：2026-11-20" in decoded.text


def test_gbk_read_as_utf8_is_mostly_broken() -> None:
    body = _page(TITLES["gbk"] * 3, "gbk", None)
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert decoded.encoding == "gb18030"
    assert _title(decoded.text) == TITLES["gbk"] * 3
