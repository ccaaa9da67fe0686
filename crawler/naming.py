"""Names of our Redis keys and Elasticsearch indices, built in one place (GOVCRAWL_*_PREFIX)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

IndexKind = Literal["sites", "pages", "links", "probes", "reviews", "columns", "messages", "findings",
                    "cases", "quarterly"]
INDEX_KINDS: Final[tuple[IndexKind, ...]] = (
    "sites", "pages", "links", "probes", "reviews", "columns", "messages", "findings", "cases", "quarterly",
)


def redis_key(prefix: str, area: str, *parts: str | int) -> str:
    """`govcrawl:<area>:<id>...` under the configured prefix."""
    return ":".join((prefix, area, *(str(part) for part in parts)))


def index_name(prefix: str, kind: IndexKind) -> str:
    """`govcrawl-<kind>` under the configured prefix."""
    return f"{prefix}-{kind}"


# Elasticsearch refuses index names with upper case, most punctuation, or a leading '-', '_' or '+'.
_INDEX_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]{0,199}$")


def index_prefix(settings: BaseSettings) -> str:
    """GOVCRAWL_ES_INDEX_PREFIX, checked against Elasticsearch's rule for index names (ValueError)."""
    prefix = str(settings.get("GOVCRAWL_ES_INDEX_PREFIX"))
    if not _INDEX_PREFIX.match(prefix):
        raise ValueError(
            f"GOVCRAWL_ES_INDEX_PREFIX {prefix!r} is refused: Elasticsearch index names are lower case, "
            "start with a letter or digit and hold only a-z, 0-9, '-' and '_' (at most 200 characters); "
            "set e.g. GOVCRAWL_ES_INDEX_PREFIX=govcrawl"
        )
    return prefix
