"""The project's one time zone: every calendar day govcrawl judges is a day in Asia/Shanghai (UTC+8).

China keeps no daylight saving time, so a fixed offset is exact and needs no tz database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

SHANGHAI: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


def now_in_shanghai() -> datetime:
    """The current time, as an aware datetime in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def today_in_shanghai() -> date:
    """Today's date in Asia/Shanghai (the day staleness and the report's check point count from)."""
    return now_in_shanghai().date()


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
