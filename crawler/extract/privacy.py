"""Personal data a page exposes (I-PRIVACY, docs/checks.md §5): resident ID numbers and mobile numbers.

- A resident ID number (居民身份证号码, GB 11643) counts only when all of it holds: 18 characters, not
  inside a longer run of digits or letters; a division code starting 1-8; a real birth date from 1900
  up to the page's day; and the ISO 7064 MOD 11-2 check character. An 18-digit document or order
  number almost never passes all four, and a masked number (510104********1234) is no number.
- Mobile numbers (1[3-9] + 9 digits) matter "in lists": one number is a service line, a page listing
  several people's numbers is a leak. The page records how many distinct ones it shows; the report
  applies the threshold (indicators.yaml `I-PRIVACY.min_mobiles`).

Only masked forms leave this module (first 6 and last 4 characters of an ID, first 3 and last 4
digits of a mobile): the index and the reports never hold the personal data they point at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"
_ID: Final = re.compile(r"(?<![0-9A-Za-z])[1-8]\d{5}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9A-Za-z])")
_MOBILE: Final = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# Cheap test on the raw markup: a standalone 18-character or mobile-shaped number. Footers carry
# 14-digit filing numbers on every page, so a bare "11 digits in a row" would pass nearly all.
_CANDIDATE: Final = re.compile(r"(?<![0-9A-Za-z])(?:[1-8]\d{16}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Masked resident ID numbers and mobile numbers found on one page (distinct, in page order)."""

    id_numbers: tuple[str, ...] = ()
    mobiles: tuple[str, ...] = ()


def is_id_number(text: str, *, today: date | None = None) -> bool:
    """True for a valid 18-character resident ID number (birth date real and not after `today`)."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or (today is not None and born > today):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17].upper()


def mask_id(text: str) -> str:
    return f"{text[:6]}{'*' * 8}{text[14:].upper()}"


def mask_mobile(text: str) -> str:
    return f"{text[:3]}****{text[7:]}"


def may_hold_personal_data(markup: str) -> bool:
    """False when the page's markup holds nothing shaped like an ID or mobile number."""
    return _CANDIDATE.search(markup) is not None


def personal_data(text: str, *, today: date | None = None) -> PersonalData:
    """The resident ID numbers and mobile numbers a page's visible text shows, masked."""
    ids = dict.fromkeys(match.upper() for match in _ID.findall(text) if is_id_number(match, today=today))
    mobiles = dict.fromkeys(_MOBILE.findall(text))
    return PersonalData(id_numbers=tuple(map(mask_id, ids)), mobiles=tuple(map(mask_mobile, mobiles)))
