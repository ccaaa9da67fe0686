"""The quarterly spot-check sample: stratified by region and level, the same for the same seed (§7.8)."""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from crawler.site_state import RegisteredSite

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def parse_quarter(text: str) -> str:
    """A quarter like 2026Q4; ValueError naming the value otherwise."""
    if _QUARTER.match(text) is None:
        raise ValueError(f"quarter {text!r} is not like 2026Q4 (year, Q, 1-4)")
    return text


def check_fraction(fraction: float) -> float:
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction {fraction} must be above 0 and at most 1, e.g. 0.2 for 20 %")
    return fraction


def region_quota(site_count: int, fraction: float) -> int:
    """Sites to draw from a region: ceil(fraction x sites), so at least the fraction of every city."""
    return min(site_count, math.ceil(round(fraction * site_count, 9)))


def allocate(level_counts: dict[str, int], total: int) -> dict[str, int]:
    """Split a region's quota over its levels in proportion (largest remainder; ties by level name)."""
    population = sum(level_counts.values())
    if population == 0:
        return {level: 0 for level in level_counts}
    exact = {level: total * count / population for level, count in level_counts.items()}
    shares = {level: min(level_counts[level], math.floor(value)) for level, value in exact.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(level_counts, key=lambda level: (-(exact[level] - math.floor(exact[level])), level))
    while left > 0:
        for level in by_remainder:
            if left and shares[level] < level_counts[level]:
                shares[level] += 1
                left -= 1
    return shares


def draw_sample(sites: Sequence[RegisteredSite], *, quarter: str, fraction: float,
                seed: int) -> list[RegisteredSite]:
    """The sampled sites, ordered by region then site_id; the same inputs always give the same sample."""
    check_fraction(fraction)
    strata: dict[str, dict[str, list[RegisteredSite]]] = defaultdict(lambda: defaultdict(list))
    for site in sites:
        strata[site.region][site.level].append(site)
    chosen: list[RegisteredSite] = []
    for region in sorted(strata):
        levels = strata[region]
        quota = region_quota(sum(len(group) for group in levels.values()), fraction)
        shares = allocate({level: len(group) for level, group in levels.items()}, quota)
        picked: list[RegisteredSite] = []
        for level in sorted(levels):
            group = sorted(levels[level], key=lambda site: site.site_id)
            draw = random.Random(f"{quarter}/{seed}/{region}/{level}")
            picked.extend(draw.sample(group, shares[level]))
        chosen.extend(sorted(picked, key=lambda site: site.site_id))
    return chosen
