"""Spider-trap detection: repeating path segments and endless query permutations (GOVCRAWL_CRAWL_TRAP_*)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit


def repeats_path_segments(url: str, max_repeats: int) -> bool:
    """True when one path segment occurs more than max_repeats times, e.g. /a/b/a/b/a/b/."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    if not segments:
        return False
    return max(Counter(segments).values()) > max_repeats


class QueryVariantCounter:
    """Counts distinct query strings per (host, path); past the limit a new variant is a trap.

    Bounded: at most `max_paths` paths are tracked; the oldest entries are forgotten first.
    """

    def __init__(self, max_variants: int, max_paths: int = 50_000) -> None:
        self.max_variants = max_variants
        self.max_paths = max_paths
        self._variants: dict[str, set[str]] = {}

    def is_trap(self, url: str) -> bool:
        parts = urlsplit(url)
        if not parts.query:
            return False
        key = f"{parts.hostname}{parts.path}"
        variants = self._variants.get(key)
        if variants is None:
            if len(self._variants) >= self.max_paths:
                self._variants.pop(next(iter(self._variants)))
            variants = self._variants[key] = set()
        if parts.query in variants:
            return False
        if len(variants) >= self.max_variants:
            return True
        variants.add(parts.query)
        return False
