"""Decode HTML bytes to text: GBK/GB2312/GB18030/UTF-8 with right, wrong or missing charset declarations."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Encodings a Chinese government page is written in, in the order undeclared bytes are tried.
_DETECTION_CANDIDATES = ["utf_8", "gb18030", "big5", "cp1252"]
# Single-byte Western charsets: servers send them by default (Tomcat, IIS), so a page that declares
# one but carries bytes above 0x7f is treated as undeclared.
_WEAK_DECLARATIONS = frozenset({"cp1252", "latin_1", "iso8859_1", "ascii"})
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz"})
_UTF8_MAJORITY = 10  # valid multi-byte characters per broken spot that make invalid bytes UTF-8 still


@dataclass(frozen=True, slots=True)
class DecodedHtml:
    """Text of a page and how it was decoded.

    `encoding` is the Python codec used; `declared` is the charset the page or server claimed
    (HTTP header first, then `<meta>`), normalised, or None; `mismatch` is True when a declaration
    existed and the bytes were not in that charset (gb2312/gbk declared and gb18030 used is no mismatch).
    """

    text: str
    encoding: str
    declared: str | None
    mismatch: bool


def _codec_name(label: str | None) -> str | None:
    """Python codec name for a charset label, with every GB charset widened to gb18030."""
    if not label:
        return None
    resolved = resolve_encoding(label)
    if resolved is None:
        return None
    name = codecs.lookup(resolved).name.replace("-", "_")
    return "gb18030" if name in _GB_FAMILY else name


def _decodes_strictly(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few broken bytes (a CMS that cut a character in half, a stray byte): its valid
    multi-byte characters outnumber the broken spots ten to one. GBK text read as UTF-8 is nearly all
    broken spots (fewer than one in ten of its characters happen to form valid UTF-8)."""
    text = body.decode("utf_8", "replace")
    broken = text.count("\ufffd")
    wide = len(text) - len(text.encode("ascii", "ignore")) - broken
    return wide >= _UTF8_MAJORITY * broken


def _header_charset(declared: str | None) -> str | None:
    """Charset from either a full Content-Type value or a bare charset name."""
    if not declared:
        return None
    if "=" in declared or ";" in declared or "/" in declared:
        return http_content_type_encoding(declared)
    return declared.strip()


def _detect(body: bytes) -> str:
    """Codec for bytes that are not valid UTF-8 and carry no usable declaration."""
    best = charset_normalizer.from_bytes(body, cp_isolation=_DETECTION_CANDIDATES).best()
    guess = _codec_name(best.encoding) if best is not None else None
    # Short GBK snippets are sometimes scored as Big5; on these sites GB18030 is the safe reading
    # whenever it decodes cleanly.
    if guess != "gb18030" and _decodes_strictly(body, "gb18030"):
        return "gb18030"
    return guess or "gb18030"


def decode_html(body: bytes, declared: str | None) -> DecodedHtml:
    """Decode `body`; `declared` is the HTTP Content-Type header value or its charset, if any."""
    header = _codec_name(_header_charset(declared))
    meta = _codec_name(html_body_declared_encoding(body))
    claimed = header or meta
    bom_encoding, _ = read_bom(body)
    is_ascii = body.isascii()

    if bom_encoding is not None:
        encoding = _codec_name(bom_encoding) or "utf_8"
    elif is_ascii:
        encoding = claimed or "utf_8"
    elif _decodes_strictly(body, "utf_8") or _mostly_utf8(body):
        # Multi-byte GB text is practically never valid UTF-8, so validity settles it; a few broken bytes
        # in UTF-8 text are replaced (read as GB18030, which takes almost any bytes, all of it was garbled).
        encoding = "utf_8"
    else:
        encoding = ""
        for candidate in (header, meta):
            usable = candidate and candidate not in _WEAK_DECLARATIONS and candidate != "utf_8"
            if usable and candidate and _decodes_strictly(body, candidate):
                encoding = candidate
                break
        if not encoding:
            encoding = _detect(body)

    _, text = html_to_unicode(f"text/html; charset={encoding}", body)
    mismatch = claimed is not None and claimed != encoding
    return DecodedHtml(text=text, encoding=encoding, declared=claimed, mismatch=mismatch)
