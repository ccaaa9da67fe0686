"""Names of our Redis keys and Elasticsearch indices, built in one place (GOVCRAWL_*_PREFIX)."""

from __future__ import annotations

from typing import Final, Literal

IndexKind = Literal["sites", "pages", "links", "probes", "reviews", "columns", "messages", "findings"]
INDEX_KINDS: Final[tuple[IndexKind, ...]] = (
    "sites", "pages", "links", "probes", "reviews", "columns", "messages", "findings",
)


def redis_key(prefix: str, area: str, *parts: str | int) -> str:
    """`govcrawl:<area>:<id>...` under the configured prefix."""
    return ":".join((prefix, area, *(str(part) for part in parts)))


def index_name(prefix: str, kind: IndexKind) -> str:
    """`govcrawl-<kind>` under the configured prefix."""
    return f"{prefix}-{kind}"
