"""The backdating guard (docs/checks.md §2): an item whose publish date is more than 7 days before it was
first seen, although a list showing it was read in between without it, carries a forged date.

The frontier remembers when each crawled page of a site was first offered and what each list page showed
at its last read (crawler.scheduler.codec History and Listed), so the guard needs no Elasticsearch read:
- on a list page (home page, column), an entry not shown at the list's previous read, dated more than
  `days` before it was first seen and more than `grace_days` before that read, and not older than
  everything that read showed, is backdated; the list's freshness (V-HOME, column staleness) then counts
  it on the day it was first seen;
- on the item's own page, the same test with the date the page itself shows, for lists that print none;
- the verdict is kept with the URL's first-seen time, so later cycles keep it, and the page becomes a
  V-SEVERE candidate (forged dates are a veto cause once a person confirms them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from crawler.clock import SHANGHAI
from crawler.content_findings import ContentIssue
from crawler.scheduler.codec import FIRST_SEEN_UNIT_SECONDS


@dataclass(frozen=True, slots=True)
class BackdatingRule:
    """GOVCRAWL_CRAWL_BACKDATED_DAYS and GOVCRAWL_CRAWL_BACKDATED_GRACE_DAYS."""

    days: int = 7  # (official) the publish date is more than this many days before the first sighting
    # The earlier list read must come more than this many days after the publish date: a list read on
    # the evening of the date, before a static site regenerated, proves nothing.
    grace_days: int = 1

    def backdated(self, published: date | None, first_seen: float | None, list_read: float | None,
                  list_oldest: date | None = None, list_newest: date | None = None) -> bool:
        """Whether an item dated `published`, first offered at `first_seen`, and missing from a list read at
        `list_read` (epoch seconds; None: unknown), has a forged date.

        `list_oldest` / `list_newest`: the dates that bounded what that read showed (None: no bound). An
        item dated at or before the oldest would not have been on it anyway (it belonged on a later page,
        or the list shows a selection such as 热点 or 推荐, or items above it were deleted); on a later
        page of a paginated list, an item dated at or after the newest has moved down from the page
        before as new items came: no verdict for either.
        """
        # first_seen is the start of the hour of the first sighting: a read within that hour may precede it.
        if published is None or first_seen is None or list_read is None \
                or list_read >= first_seen + FIRST_SEEN_UNIT_SECONDS \
                or (list_oldest is not None and published <= list_oldest) \
                or (list_newest is not None and published >= list_newest):
            return False
        seen_day, read_day = shanghai_day(first_seen), shanghai_day(list_read)
        return published + timedelta(days=self.days) < seen_day \
            and published + timedelta(days=self.grace_days) < read_day


def shanghai_day(epoch_seconds: float) -> date:
    return datetime.fromtimestamp(epoch_seconds, SHANGHAI).date()


def first_seen_datetime(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def backdated_issue(published: date, first_seen: float, list_read: float | None) -> ContentIssue:
    """The V-SEVERE candidate a backdated page carries (crawler.content_findings groups them per site)."""
    read = "" if list_read is None else f"，其间 {shanghai_day(list_read).isoformat()} 抓取栏目时未见该信息"
    return ContentIssue(kind="backdated", severity="serious", found=published.isoformat(),
                        right=shanghai_day(first_seen).isoformat(),
                        evidence=f"标注发布日期 {published.isoformat()}，首次发现于 "
                                 f"{shanghai_day(first_seen).isoformat()}{read}",
                        where="date")
