"""Compact encodings of the frontier: 8-byte URL fingerprints, seen-set values, link statuses, requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

import xxhash

if TYPE_CHECKING:
    from collections.abc import Iterable

# Seen-set value layout (one Redis integer, <= 32 bits, so listpack stores it in 5 bytes):
#   bits 10..31  next due time, in 10-minute units since DUE_EPOCH (good for ~80 years)
#   bits  6..9   revisit exponent of an adaptive column (interval = min * 2**exp)
#   bits  0..5   last status of the URL (STATUS_CODES), 0 while a fetch is pending
DUE_EPOCH_SECONDS: Final = 1_704_067_200  # 2024-01-01T00:00:00Z
DUE_UNIT_SECONDS: Final = 600
_EXP_SHIFT: Final = 6
_DUE_SHIFT: Final = 10

PENDING: Final = 0
OK: Final = 1
# Statuses a link can end in; the number is what Redis stores, the name what reports show.
STATUS_NAMES: Final[tuple[str, ...]] = (
    "pending", "ok", "skipped",
    "400", "401", "403", "404", "405", "410", "429", "4xx",
    "500", "502", "503", "504", "5xx",
    "soft404", "dns", "timeout", "refused", "tls", "redirect_loop", "too_many_redirects", "other",
    # Appended only: stored codes are indices into this tuple.
    "invalid_url", "too_large", "decompression_limit", "blocked", "blocked_redirect",
)
STATUS_CODES: Final[dict[str, int]] = {name: index for index, name in enumerate(STATUS_NAMES)}
SKIPPED: Final = STATUS_CODES["skipped"]


def fingerprint(url: str) -> bytes:
    """8 bytes identifying a canonical URL (collisions: ~1 in 10^19 per pair, not a Bloom filter)."""
    return xxhash.xxh64_digest(url.encode("utf-8"))


def shard_of(host: str, shards: int) -> int:
    """The shard a host belongs to: every URL of one host lands on one shard, so one worker."""
    return xxhash.xxh64_intdigest(host.lower().encode("utf-8")) % shards


def bucket_of(fp: bytes, buckets: int) -> int:
    return int.from_bytes(fp[:4], "big") % buckets


def due_units(epoch_seconds: float) -> int:
    return max(0, int((epoch_seconds - DUE_EPOCH_SECONDS) // DUE_UNIT_SECONDS))


# Above those 32 bits, the history of a crawled page of a site (link checks and columns keep none, so
# their values stay within 32 bits and 5 listpack bytes):
#   bits 32..51  when the URL was first offered, in hours since DUE_EPOCH (0: not recorded)
#   bit  52      backdated: its publish date was found forged (docs/checks.md §2, backdating guard)
# The whole value stays below 2**53, so Lua's numbers (doubles) hold it exactly.
HISTORY_SHIFT: Final = 32
FIRST_SEEN_UNIT_SECONDS: Final = 3600
FIRST_SEEN_MASK: Final = (1 << 20) - 1
BACKDATED_FLAG: Final = 1 << 20  # in the history part


def pack_value(due: int, exp: int, status: int, history: int = 0) -> int:
    return (history << HISTORY_SHIFT) | (due << _DUE_SHIFT) | (exp << _EXP_SHIFT) | status


def unpack_value(value: int) -> tuple[int, int, int]:
    return (value >> _DUE_SHIFT) & 0x3FFFFF, (value >> _EXP_SHIFT) & 0xF, value & 0x3F


def first_seen_units(epoch_seconds: float) -> int:
    """The first-seen time as the seen value stores it (hours since DUE_EPOCH, at least 1)."""
    return max(1, int((epoch_seconds - DUE_EPOCH_SECONDS) // FIRST_SEEN_UNIT_SECONDS))


@dataclass(frozen=True, slots=True)
class History:
    """What the frontier remembers of a crawled page across cycles: when it was first offered, and whether
    its publish date was found backdated. Unknown for URLs offered before the frontier recorded it."""

    first_seen: float | None  # epoch seconds, the start of the hour it was first offered
    backdated: bool = False

    @classmethod
    def unpack(cls, history: int) -> History:
        units = history & FIRST_SEEN_MASK
        return cls(first_seen=DUE_EPOCH_SECONDS + units * FIRST_SEEN_UNIT_SECONDS if units else None,
                   backdated=bool(history & BACKDATED_FLAG))


NO_HISTORY: Final = History(first_seen=None)


# A list page's record (`listed:<shard>`, crawler.scheduler.lua SETTLE): when it was last read, as a 4-byte
# big-endian due-unit count; the oldest and the newest date that bound which items it shows (2 bytes each,
# days since 1970-01-01; 0: no bound, crawler.backdating); then 2 bytes per page it linked (the first two
# bytes of the URL's fingerprint; a collision only hides one new entry, never invents one).
def entry_key(url: str) -> int:
    return int.from_bytes(fingerprint(url)[:2], "big")


def _days(day: date | None) -> bytes:
    days = (day - _EPOCH_DAY).days if day is not None and day > _EPOCH_DAY else 0
    return min(days, 0xFFFF).to_bytes(2, "big")


def _day(raw: bytes) -> date | None:
    days = int.from_bytes(raw, "big")
    return _EPOCH_DAY + timedelta(days=days) if days else None


def pack_entries(urls: Iterable[str], oldest: date | None, newest: date | None = None) -> bytes:
    """A list read: the dates bounding what it shows and all the pages it linked (bounded by
    GOVCRAWL_CRAWL_MAX_PAGE_LINKS): one left out would look new at the next read."""
    return _days(oldest) + _days(newest) + b"".join(
        key.to_bytes(2, "big") for key in sorted({entry_key(url) for url in urls}))


_EPOCH_DAY: Final = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Listed:
    """A list page as its previous read left it: when, the dates bounding what it showed (None: no bound),
    which pages it linked."""

    read_at: float  # epoch seconds (10-minute precision)
    oldest: date | None
    newest: date | None
    entries: frozenset[int]

    @classmethod
    def unpack(cls, raw: bytes) -> Listed | None:
        if len(raw) < 8:
            return None
        units = int.from_bytes(raw[:4], "big")
        entries = frozenset(int.from_bytes(raw[start:start + 2], "big")
                            for start in range(8, len(raw) - 1, 2))
        return cls(read_at=DUE_EPOCH_SECONDS + units * DUE_UNIT_SECONDS, oldest=_day(raw[4:6]),
                   newest=_day(raw[6:8]), entries=entries)

    def record(self) -> list[Any]:
        """The JSON form a request carries (Frontier.pop)."""
        return [self.read_at, self.oldest.isoformat() if self.oldest else None,
                self.newest.isoformat() if self.newest else None, sorted(self.entries)]

    @classmethod
    def from_record(cls, record: list[Any]) -> Listed:
        read_at, oldest, newest, entries = record
        return cls(read_at=read_at, oldest=date.fromisoformat(oldest) if oldest else None,
                   newest=date.fromisoformat(newest) if newest else None, entries=frozenset(entries))

    def shows(self, url: str) -> bool:
        return entry_key(url) in self.entries


def status_code(status: int | None, error: str | None) -> int:
    """The stored status of a fetch outcome: an HTTP status or an error kind."""
    if error and error != "http":
        return STATUS_CODES.get(error, STATUS_CODES["other"])
    if status is None:
        return STATUS_CODES["other"]
    if status < 400:
        return OK
    name = str(status)
    if name in STATUS_CODES:
        return STATUS_CODES[name]
    return STATUS_CODES["4xx" if status < 500 else "5xx"]


def status_name(code: int) -> str:
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else "other"


def is_broken(code: int) -> bool:
    return code not in (PENDING, OK, SKIPPED)


# A queued request is most of the frontier's memory at the start of a cycle (docs/capacity.md), so its
# stored form is short: the fingerprint, a format byte, then JSON in which the values every request has
# (callback parse, errback on_error, GET, dont_filter) are left out, the spider's meta keys are short, the
# frontier URL is left out when it is the request's URL, and a column URL on the request's host keeps its
# path only. Payloads of the earlier form (plain JSON after the fingerprint) are still read.
_COMPACT: Final = b"\x01"
_REQUEST_DEFAULTS: Final[dict[str, Any]] = {"callback": "parse", "errback": "on_error", "method": "GET",
                                            "dont_filter": True}
_META_KEYS: Final = {"site_id": "s", "page_kind": "k", "depth": "d", "cycle": "c", "target_kind": "t",
                     "column_name": "n", "column_level": "l", "column_url": "cu", "listing_date": "ld",
                     "listing_guessed": "lg", "lists_column": "lc", "framed": "f", "govcrawl_url": "g",
                     "govcrawl_new_since": "ns", "govcrawl_waiter": "w"}
_META_NAMES: Final = {short: name for name, short in _META_KEYS.items()}
_MISSING: Final = object()
_NO_FRONTIER_URL: Final = "-g"  # the meta had no govcrawl_url (it is the request's URL otherwise)


def _origin(url: str) -> str:
    """`scheme://host[:port]` of a URL ("" when it has none)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


def encode_payload(fp: bytes, request_dict: dict[str, Any]) -> bytes:
    """A queued request: its fingerprint, then its Scrapy dict form, compact (see above)."""
    url = request_dict.get("url", "")
    compact: dict[str, Any] = {key: value for key, value in request_dict.items() if key not in ("meta", "url")
                               and _REQUEST_DEFAULTS.get(key, _MISSING) != value}
    compact["u"] = url
    meta = dict(request_dict.get("meta") or {})
    if "govcrawl_url" not in meta:
        meta[_NO_FRONTIER_URL] = 1
    elif meta["govcrawl_url"] == url:
        del meta["govcrawl_url"]
    column_url = meta.get("column_url")
    origin = _origin(url)
    if isinstance(column_url, str) and origin and column_url.startswith(origin + "/"):
        meta["column_url"] = column_url[len(origin):]
    compact["m"] = {_META_KEYS.get(key, key): value for key, value in meta.items()}
    for key in _REQUEST_DEFAULTS:
        if key not in request_dict:
            compact.setdefault(f"-{key}", 1)  # absent from the original: not filled in when read
    return fp + _COMPACT + json.dumps(compact, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_payload(payload: bytes) -> tuple[bytes, dict[str, Any]]:
    """(fingerprint, Scrapy dict form) of a queued request, of either stored form."""
    if payload[8:9] != _COMPACT:
        return payload[:8], json.loads(payload[8:])
    compact = json.loads(payload[9:])
    url = compact.pop("u")
    meta = {_META_NAMES.get(key, key): value for key, value in compact.pop("m", {}).items()}
    if meta.pop(_NO_FRONTIER_URL, None) is None:
        meta.setdefault("govcrawl_url", url)
    column_url = meta.get("column_url")
    if isinstance(column_url, str) and column_url.startswith("/"):
        meta["column_url"] = _origin(url) + column_url
    absent = {key.removeprefix("-") for key in list(compact) if key.startswith("-") and compact.pop(key)}
    request = {key: value for key, value in _REQUEST_DEFAULTS.items() if key not in absent}
    request.update(compact)
    request["url"] = url
    request["meta"] = meta
    return payload[:8], request


_CONFIRMED_NAMES: Final = frozenset({"403", "404", "410", "dns", "timeout"})


def describe(code: int) -> tuple[int | None, str, bool]:
    """(HTTP status, contract error kind, confirmed) of a broken status code."""
    name = status_name(code)
    confirmed = name in _CONFIRMED_NAMES
    if name.isdigit():
        return int(name), "http", confirmed
    if name in ("4xx", "5xx"):
        return None, "http", False
    if name == "soft404":
        return 200, "soft404", False
    return None, name, confirmed


def request_dict(url: str, *, callback: str, errback: str, meta: dict[str, Any], method: str = "GET"
                 ) -> dict[str, Any]:
    """The minimal Scrapy dict form of a bodiless request.

    scrapy.utils.request.request_from_dict reads it.
    """
    return {"url": url, "callback": callback, "errback": errback, "method": method, "meta": meta,
            "dont_filter": True}


def jsonable_request(data: dict[str, Any]) -> dict[str, Any]:
    """Request.to_dict() output made JSON-safe; frontier requests carry no body or cookies."""
    if data.get("body"):
        raise ValueError(f"{data.get('url')}: requests with a body cannot go through the frontier")
    safe = {key: value for key, value in data.items()
            if key not in ("body", "headers", "cookies", "flags", "cb_kwargs") or value}
    if "headers" in safe:
        safe["headers"] = {
            (name.decode("latin-1") if isinstance(name, bytes) else name):
            [value.decode("latin-1") if isinstance(value, bytes) else value for value in values]
            for name, values in safe["headers"].items()
        }
    return safe


# Waiter field -> its key on the wire.
_WAITER_KEYS: Final = {"site_id": "s", "found_on": "f", "on_homepage": "h", "target_kind": "k",
                       "anchor_text": "a", "cycle": "c", "region": "r", "level": "l"}


@dataclass(frozen=True, slots=True)
class Waiter:
    """A page waiting on a link's status: the record reported (a LinkItem) if the link turns out broken.

    Stored in Redis once per (pending link, page that links to it) until the link settles, so on the wire
    it is a JSON object with one-letter keys (`record` / `from_record`); in code, these fields.
    """

    site_id: str
    found_on: str  # the public URL of the linking page
    on_homepage: bool
    target_kind: str
    anchor_text: str
    cycle: int
    region: str
    level: str

    def record(self) -> dict[str, Any]:
        return {key: getattr(self, name) for name, key in _WAITER_KEYS.items()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Waiter:
        """A stored record; records written before a field existed get its empty value."""
        return cls(site_id=record["s"], found_on=record["f"], on_homepage=bool(record["h"]),
                   target_kind=record["k"], anchor_text=record.get("a", ""), cycle=record.get("c", 0),
                   region=record.get("r", ""), level=record.get("l", ""))
