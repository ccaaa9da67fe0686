"""The quarterly spot-check sample: stratified by region and level, the same for the same seed (§7.8);
the rows of a filled worklist, checked and summed up per site."""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.cases import case_id

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


@dataclass(slots=True, frozen=True, kw_only=True)
class WorklistRow:
    """One row of a filled worklist: the finding it lists (its case) and the reviewer's entries."""

    line: int
    quarter: str
    site_id: str
    check: str = ""
    subject: str = ""
    case_id: str = ""  # "" for a warning or a "no finding" row: no case to decide
    decision: str = ""  # 确认, 推翻 or ""
    reviewer: str = ""
    notes: str = ""


@dataclass(slots=True)
class ReviewOutcome:
    """What the rows of one sampled site say: how many were decided, which findings either way."""

    rows: int = 0
    decided: int = 0
    confirmed: list[str] = field(default_factory=list)
    overturned: list[str] = field(default_factory=list)
    reviewer: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """pending (nothing decided), partial (some rows), corrected (any overturned) or confirmed."""
        if not self.decided:
            return "pending"
        if self.decided < self.rows:
            return "partial"
        return "corrected" if self.overturned else "confirmed"


def check_rows(rows: Sequence[WorklistRow], source: str) -> None:
    """Refuse a tampered or contradictory worklist, naming the rows: a 问题编号 that does not belong to
    the row's site, check and 对象, or one finding listed twice (conflicting or not)."""
    first: dict[str, WorklistRow] = {}
    for row in rows:
        if row.case_id and row.case_id != case_id(row.site_id, row.check, row.subject):
            raise ValueError(f"{source} row {row.line}: 问题编号 {row.case_id} does not belong to site "
                             f"{row.site_id}, check {row.check!r}, 对象 {row.subject!r}: the row was changed "
                             "after scrapy sample wrote it; restore it or write the worklist again; nothing "
                             "was recorded")
        if not row.case_id:
            continue
        earlier = first.setdefault(row.case_id, row)
        if earlier is row:
            continue
        if earlier.decision and row.decision and earlier.decision != row.decision:
            raise ValueError(f"{source} rows {earlier.line} and {row.line} judge the same finding "
                             f"({_finding(row)}) as {earlier.decision} and {row.decision}: keep one verdict; "
                             "nothing was recorded")
        raise ValueError(f"{source} rows {earlier.line} and {row.line} are the same finding "
                         f"({_finding(row)}): remove the duplicate row; nothing was recorded")


def _finding(row: WorklistRow) -> str:
    return f"{row.site_id} {row.check} {row.subject or '整站'}"


def review_outcomes(rows: Sequence[WorklistRow]) -> dict[tuple[str, str], ReviewOutcome]:
    """Per (quarter, site_id): the rows, decided rows, confirmed and overturned findings, reviewer, notes."""
    outcomes: dict[tuple[str, str], ReviewOutcome] = {}
    for row in rows:
        outcome = outcomes.setdefault((row.quarter, row.site_id), ReviewOutcome())
        outcome.rows += 1
        if row.decision:
            outcome.decided += 1
            finding = f"{row.check} {row.subject}".strip() or "无自动检查问题"
            (outcome.confirmed if row.decision == "确认" else outcome.overturned).append(finding)
        outcome.reviewer = row.reviewer or outcome.reviewer
        if row.notes:
            outcome.notes.append(row.notes)
    return outcomes
