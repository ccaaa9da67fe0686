"""How a browser turns an href into the URL it requests, and how the farm server sees that URL."""

from __future__ import annotations

from urllib.parse import quote, unquote, urljoin, urlsplit

_SAFE = ":/?&=%;,+@!$'()*~[]"
_IGNORED = ("javascript:", "mailto:", "tel:", "#", "data:")


def absolute(page_url: str, base: str | None, href: str) -> str | None:
    """The URL a browser requests for `href` on `page_url` (None for javascript:, mailto:, tel:, #...).

    Backslashes count as slashes, spaces and non-ASCII characters are percent-encoded as UTF-8 and
    the fragment is dropped, as in the WHATWG URL parser.
    """
    href = href.strip()
    if not href or href.lower().startswith(_IGNORED):
        return None
    href = href.replace("\\", "/")
    url = urljoin(base or page_url, href).split("#", 1)[0]
    return quote(url, safe=_SAFE)


def key_of(url: str) -> str:
    """What the farm server passes to the world for `url`: its path and query, percent-decoded."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return unquote(target, errors="replace")


def url_of(host: str, key: str) -> str:
    """The URL of a server key (a page's canonical address)."""
    return f"http://{host}" + quote(key, safe=_SAFE)
