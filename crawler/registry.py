"""Load and validate the site registry CSV (docs/operations.md, `scrapy seed`):
site_id,name,url,level,region,department, then optionally owner,contact,supervisor; regions must be
known cities (KNOWN_REGIONS)."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import logging
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Final, Literal
from urllib.parse import urlsplit, urlunsplit

import idna
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from crawler.extract.identity import SITE_CODE
from crawler.naming import redis_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    import redis
    import redis.asyncio
    from redis.typing import EncodableT, FieldT

logger = logging.getLogger(__name__)

Level = Literal["province", "city", "county", "department"]
COLUMNS: Final[tuple[str, ...]] = ("site_id", "name", "url", "level", "region", "department")
# Who answers for a site (专人负责): the person responsible, how to reach them, the supervising office.
OWNER_COLUMNS: Final[tuple[str, ...]] = ("owner", "contact", "supervisor")
# The cities and prefectures (市州) of Sichuan, and the short names of its three autonomous
# prefectures; 四川省 for provincial sites. A region outside these is a typo (成都, Chengdu).
KNOWN_REGIONS: Final[tuple[str, ...]] = (
    "四川省", "成都市", "自贡市", "攀枝花市", "泸州市", "德阳市", "绵阳市", "广元市", "遂宁市", "内江市",
    "乐山市", "南充市", "眉山市", "宜宾市", "广安市", "达州市", "雅安市", "巴中市", "资阳市",
    "阿坝藏族羌族自治州", "甘孜藏族自治州", "凉山彝族自治州", "阿坝州", "甘孜州", "凉山州",
)


def unknown_region_message(region: str, known: Iterable[str]) -> str:
    """The one-line refusal of a region that is not a known city, naming the known ones."""
    names = "、".join(known)
    return f"region {region!r} is not a known city (市州); known: {names}"
_SITE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# One DNS label after IDNA conversion; '_' is not valid DNS but some registered hosts carry it.
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_DEFAULT_PORTS: Final[dict[str, int]] = {"http": 80, "https": 443}


def _host_or_problem(host: str) -> str:
    """The host in the form requests carry (lower case, IDNA, IPv6 bracketed); ValueError says why not."""
    if any(char.isspace() for char in host):
        raise ValueError(f"host {host!r} contains a space")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return f"[{address}]" if address.version == 6 else str(address)
    name = host.rstrip(".")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii") if not name.isascii() else name.lower()
    except idna.IDNAError as exc:
        raise ValueError(f"host {host!r} is not a valid internationalized domain name ({exc})") from exc
    labels = ascii_name.split(".")
    bad = next((label for label in labels if not _HOST_LABEL.match(label)), None)
    if bad is not None or len(ascii_name) > 253 or len(labels) < 2:
        raise ValueError(f"host {host!r} is not a domain name (labels of letters, digits and '-', "
                         "at least two of them) or an IP address")
    return ascii_name


def normalize_site_url(value: str) -> str:
    """A registry URL checked for everything a request will carry; a non-ASCII host becomes IDNA.

    ValueError names the problem: scheme, credentials, spaces, host syntax, port range.
    """
    if any(char.isspace() for char in value):
        raise ValueError(f"{value!r} contains a space")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http or https address with a host")
    if "@" in parts.netloc:
        # The URL is not repeated: what stands before '@' is a secret.
        shown = urlunsplit((parts.scheme, "***@" + parts.netloc.rpartition("@")[2], parts.path, "", ""))
        raise ValueError(f"{shown!r} carries a user name or password: credentials in the URL are refused")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has a port outside 1-65535") from exc
    if port == 0:
        raise ValueError(f"{value!r} has a port outside 1-65535")
    host = _host_or_problem(parts.hostname)
    if parts.hostname.isascii():
        return value
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _same_url_key(url: str) -> str:
    """What makes two registry URLs the same site: scheme, host, effective port, path, query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS[scheme]
    return f"{scheme}://{parts.hostname}:{port}{parts.path or '/'}?{parts.query}"


class RegistryError(ValueError):
    """A registry file that cannot be loaded at all (unreadable, not UTF-8, wrong header), or whose
    rows a strict caller refuses; `problems` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{source}: {len(problems)} problem(s):\n{shown}{more}")


@dataclass(slots=True, frozen=True)
class ParsedRegistry:
    """The good rows of a registry file, and one line (`line N: ...`) per bad row that was left out."""

    sites: list[Site]
    problems: list[str]


@dataclass(slots=True, frozen=True, kw_only=True)
class Site:
    """One registered government website."""

    site_id: str
    name: str
    url: str
    level: Level
    region: str
    department: str
    owner: str = ""
    contact: str = ""
    supervisor: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def has_official_id(self) -> bool:
        """The id has the official 标识码 form (bm + 8 digits, or 10 digits)."""
        return SITE_CODE.match(self.site_id) is not None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Site:
        return cls(**json.loads(raw))


class _Row(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    site_id: str
    name: str
    url: str
    level: Level
    region: str
    department: str = ""
    owner: str = ""
    contact: str = ""
    supervisor: str = ""

    @field_validator("site_id")
    @classmethod
    def _check_site_id(cls, value: str) -> str:
        if not _SITE_ID.match(value):
            raise ValueError(f"{value!r} must be 1-64 letters, digits, '_', '-' or '.'")
        return value

    @field_validator("name", "region")
    @classmethod
    def _check_not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return normalize_site_url(value)

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        if value and value not in KNOWN_REGIONS:
            raise ValueError(unknown_region_message(value, KNOWN_REGIONS).removeprefix("region "))
        return value


def _describe(error: ValidationError) -> str:
    reasons = []
    for detail in error.errors():
        field = ".".join(str(part) for part in detail["loc"]) or "row"
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "literal_error":
            message = f"{detail['input']!r} is not one of province, city, county, department"
        reasons.append(f"{field} {message}")
    return "; ".join(reasons)


def parse_registry(text: str, source: str = "registry") -> ParsedRegistry:
    """The good sites of a registry CSV text and one line per bad row (its line number and why).

    Raises RegistryError only when no row can be read (empty file, wrong header).
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise RegistryError(source, ["line 1: the file is empty; expected the header " + ",".join(COLUMNS)])
    header = [name.strip() for name in header]
    extra = header[len(COLUMNS):]
    if (tuple(header[:len(COLUMNS)]) != COLUMNS or any(name not in OWNER_COLUMNS for name in extra)
            or len(set(extra)) != len(extra)):
        raise RegistryError(
            source, [f"line 1: header is {','.join(header)!r}; expected {','.join(COLUMNS)!r}, optionally "
                     f"followed by any of {','.join(OWNER_COLUMNS)}"]
        )
    sites: list[Site] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    urls: dict[str, tuple[int, str]] = {}  # same-URL key -> (line, site_id)
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"line {line}: {len(row)} fields; expected {len(header)} ({','.join(header)})")
            continue
        try:
            parsed = _Row.model_validate(dict(zip(header, row, strict=True)))
        except ValidationError as exc:
            problems.append(f"line {line}: {_describe(exc)}")
            continue
        if parsed.site_id in seen:
            problems.append(
                f"line {line}: site_id {parsed.site_id!r} already used on line {seen[parsed.site_id]}"
            )
            continue
        url_key = _same_url_key(parsed.url)
        if url_key in urls:
            first_line, first_id = urls[url_key]
            problems.append(f"line {line}: url {parsed.url!r} of site_id {parsed.site_id!r} is already "
                            f"registered on line {first_line} as site_id {first_id!r}")
            continue
        seen[parsed.site_id] = line
        urls[url_key] = (line, parsed.site_id)
        sites.append(Site(**parsed.model_dump()))
    return ParsedRegistry(sites, problems)


def read_registry(path: Path) -> ParsedRegistry:
    """Parse a registry file; undecodable bytes are reported, not guessed (RegistryError)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(
            str(path), [f"byte {exc.start}: the file is not UTF-8; save it as UTF-8"]
        ) from exc
    except OSError as exc:
        raise RegistryError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    return parse_registry(text, source=str(path))


def load_registry(path: Path) -> list[Site]:
    """Every site of a registry file that must be entirely good: any bad row raises RegistryError."""
    parsed = read_registry(path)
    if parsed.problems:
        raise RegistryError(str(path), parsed.problems)
    return parsed.sites


def registry_key(prefix: str) -> str:
    return redis_key(prefix, "registry", "sites")


def store_sites(client: redis.Redis, prefix: str, sites: Iterable[Site], removed: Iterable[Site] = ()
                ) -> None:
    """Write sites to the Redis registry and drop the removed ones, in one transaction (idempotent)."""
    key = registry_key(prefix)
    mapping: dict[FieldT, EncodableT] = {site.site_id: site.to_json() for site in sites}
    gone = [site.site_id for site in removed]
    pipe = client.pipeline(transaction=True)
    if gone:
        pipe.hdel(key, *gone)
    if mapping:
        pipe.hset(key, mapping=mapping)
    pipe.execute()


def _ordered_sites(raw: Mapping[bytes | str, bytes | str]) -> list[Site]:
    """The readable entries of the Redis registry; an unreadable one is logged and left out, so one bad
    entry never stops a worker."""
    sites = []
    for site_id, value in raw.items():
        try:
            sites.append(Site.from_json(value))
        except (ValueError, TypeError) as exc:
            logger.error("Registry entry %(site)r in Redis is unreadable (%(error)s): left out; run scrapy "
                         "seed again to rewrite it", {"site": site_id, "error": exc})
    return sorted(sites, key=lambda site: site.site_id)


def read_sites(client: redis.Redis, prefix: str) -> list[Site]:
    """Every registered site, ordered by site_id."""
    return _ordered_sites(client.hgetall(registry_key(prefix)))


async def read_sites_async(client: redis.asyncio.Redis, prefix: str) -> list[Site]:
    """Every registered site, ordered by site_id (asyncio client, for the reactor)."""
    return _ordered_sites(await client.hgetall(registry_key(prefix)))
