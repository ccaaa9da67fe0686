"""A page being written: its HTML and every link a browser user could follow from it, recorded as written."""

from __future__ import annotations

import html
from dataclasses import dataclass, field


def esc(value: str) -> str:
    return html.escape(value, quote=True)


@dataclass(slots=True)
class Doc:
    """Links are recorded as (href as written, kind); kind is page | resource | attachment | external."""

    links: list[tuple[str, str]] = field(default_factory=list)
    base: str | None = None  # <base href> of the page

    def href(self, url: str, kind: str = "page") -> str:
        self.links.append((url, kind))
        return esc(url)

    def raw(self, url: str, kind: str = "page") -> str:
        """A URL written where no entity decoding happens (inside <script>)."""
        self.links.append((url, kind))
        return url

    def a(self, url: str, label: str, kind: str = "page", extra: str = "") -> str:
        return f'<a href="{self.href(url, kind)}"{extra}>{label}</a>'

    def img(self, url: str, alt: str = "", extra: str = "") -> str:
        return f'<img src="{self.href(url, "resource")}" alt="{esc(alt)}"{extra} />'

    def css(self, url: str) -> str:
        return f'<link href="{self.href(url, "resource")}" rel="stylesheet" type="text/css" />'

    def script(self, url: str) -> str:
        return f'<script type="text/javascript" src="{self.href(url, "resource")}"></script>'

    def set_base(self, url: str) -> str:
        self.base = url
        return f'<base href="{esc(url)}" />'
