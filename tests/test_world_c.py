"""World c against its own truth: an independent crawl over HTTP reaches exactly the truth's pages."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp
import pytest

from scripts import worldc
from tests.conftest import run_farm

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import RunningFarm

TODAY = date(2026, 11, 27)
SITES = 8
SEED = int(os.environ.get("WORLD_C_TEST_SEED", "7"))
BASE_IP = "127.0.7.1"
TRAP_STEPS = 25
# Links as a browser user meets them: attributes, jump-menu options, script redirects and data arrays,
# meta refresh. Option values that are bare page numbers (动易's select) are not URLs.
_ATTR = re.compile(
    r"""<(?:a|area|link|frame|iframe|img|script)\b[^>]*?\s(?:href|src)\s*=\s*(["'])(.*?)\1""",
    re.IGNORECASE | re.DOTALL,
)
_OPTION = re.compile(r"""<option\s+value=(["'])([^"']*[./][^"']*)\1""", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"""(?:location\.href|window\.location(?:\.href)?)\s*=\s*'([^'+]+)'(?!\s*\+)""")
_DATA_URL = re.compile(r'"url"\s*:\s*"([^"]+)"')
_REFRESH = re.compile(
    r"""http-equiv=["']refresh["'][^>]*content=["']\d+;\s*url=([^"']+)["']""", re.IGNORECASE
)
_BASE = re.compile(r"""<base\s+href=["']([^"']+)["']""", re.IGNORECASE)
_SKIP = ("javascript:", "mailto:", "tel:", "#")
_TRAP = re.compile(
    r"/archives/\d{4}/\d{2}/|[?&](?:keyword|Keyword|keyboard|searchWord)="
    r"|(/[A-Za-z][^/?]*(?:/[^/?]+)?)\1/"
)
_RESOURCE = re.compile(r"\.(?:css|js|png|gif|jpe?g)$|/plus/count\.php|/e/public/ViewClick/", re.IGNORECASE)
_DATES = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})/(\d{1,2})/(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日"
)
_YEAR_GROUP = re.compile(r'<h4 class="year">(\d{4})年</h4>|(?<!年)(\d{1,2})月(\d{1,2})日')
_IN_URLS = re.compile(r'(?:href|src)="[^"]*"|"url":"[^"]*"')
SOFT_WORDS = ("不存在", "已被删除", "参数错误", "已过期")


def _quote(url: str) -> str:
    return quote(url, safe=":/?&=%;,+@!$'()*~[]")


def extract_links(url: str, text: str) -> set[str]:
    """Every link on a page, absolute, as a browser would request it."""
    base = _BASE.search(text)
    root = urljoin(url, html.unescape(base.group(1))) if base else url
    found = [html.unescape(m.group(2)) for m in _ATTR.finditer(text)]
    found += [html.unescape(m.group(2)) for m in _OPTION.finditer(text)]
    found += (
        _SCRIPT_URL.findall(text)
        + _DATA_URL.findall(text)
        + [html.unescape(u) for u in _REFRESH.findall(text)]
    )
    links = set()
    for raw in found:
        href = raw.strip()
        if not href or href.lower().startswith(_SKIP) or "'+" in href or '"+' in href:
            continue
        links.add(_quote(urljoin(root, href.replace("\\", "/")).split("#")[0]))
    return links


def _decode(site: dict[str, Any], body: bytes) -> str:
    return body.decode(site["encoding"], errors="replace")


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes, str, str | None]:
    async with session.get(url, allow_redirects=False) as response:
        body = await response.read()
        return (
            response.status,
            body,
            response.headers.get("Content-Type", ""),
            response.headers.get("Location"),
        )


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    extra = ("--world", "c", "--today", TODAY.isoformat(), "--slow-home-seconds", "1")
    with run_farm(
        tmp_path_factory.mktemp("worldc"), sites=SITES, seed=SEED, base_ip=BASE_IP, extra=extra
    ) as running:
        yield running


async def _crawl(
    session: aiohttp.ClientSession, site: dict[str, Any], farm_roots: set[str]
) -> dict[str, Any]:
    """Breadth-first crawl of one site from its home page, classifying every URL it meets."""
    host = urlsplit(site["url"]).netloc
    dead = {d["url"]: d for d in site["dead_links"]}
    seen, queue = {site["url"]}, [site["url"]]
    result: dict[str, Any] = {
        "pages": set(),
        "aliases": set(),
        "soft404": set(),
        "traps": set(),
        "problems": [],
        "bodies": {},
    }
    while queue:
        batch, queue = queue, []
        answers = await asyncio.gather(*(_get(session, url) for url in batch))
        for url, (status, body, content_type, location) in zip(batch, answers, strict=True):
            if status != 200 or url in site["soft404"]:
                expected = dead.get(url)
                if expected is None or (status >= 400 and expected["status"] != status):
                    result["problems"].append(f"{url}: {status} {location} not as the truth says")
                if url in site["soft404"]:
                    result["soft404"].add(url)
                continue
            if url in site["aliases"]:
                result["aliases"].add(url)
                result["bodies"][url] = body
                continue
            result["pages"].add(url)
            result["bodies"][url] = body
            if not content_type.startswith("text/html"):
                continue
            for link in extract_links(url, _decode(site, body)):
                if urlsplit(link).netloc != host:
                    if link not in dead and link not in farm_roots:
                        result["problems"].append(f"external {link} on {url} is neither dead nor a farm site")
                    continue
                if _TRAP.search(urlsplit(link).path + "?" + urlsplit(link).query):
                    result["traps"].add(link)
                elif link not in seen and not _RESOURCE.search(urlsplit(link).path):
                    seen.add(link)
                    queue.append(link)
    return result


async def _crawl_all(farm: RunningFarm) -> dict[str, dict[str, Any]]:
    sites = farm.truth["sites"]
    roots = {s["url"] for s in sites}
    down = [s for s in sites if s["down"]]
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=aiohttp.ClientTimeout(total=20)
    ) as session:
        for site in down:
            async with session.post(f"{farm.control}/site/{urlsplit(site['url']).hostname}/up") as response:
                assert response.status == 200
        try:
            results = await asyncio.gather(*(_crawl(session, s, roots) for s in sites))
        finally:
            for site in down:
                async with session.post(
                    f"{farm.control}/site/{urlsplit(site['url']).hostname}/down"
                ) as response:
                    assert response.status == 200
    return {s["url"]: r for s, r in zip(sites, results, strict=True)}


@pytest.fixture(scope="module")
def crawled(farm: RunningFarm) -> dict[str, dict[str, Any]]:
    return asyncio.run(_crawl_all(farm))


def test_registry_and_truth_header(farm: RunningFarm) -> None:
    truth = farm.truth
    assert truth["world"] == "c" and truth["seed"] == SEED and truth["as_of"] == TODAY.isoformat()
    lines = farm.registry.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "site_id,name,url,level,region,department"
    assert len(lines) == SITES + 1
    for site in truth["sites"]:
        assert re.fullmatch(r"51\d{8}", site["site_id"])
        assert site["url"].startswith("http://127.0.7.")
        assert site["level"] in ("province", "city", "county", "department")
        assert site["name"].endswith(("人民政府", "局"))
    assert {s["style"] for s in truth["sites"]} == {
        "dede",
        "empire",
        "powereasy",
        "static",
        "zhanqun",
        "hdjl",
    }


def test_crawl_reaches_exactly_the_truth_pages(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    for site in farm.truth["sites"]:
        result = crawled[site["url"]]
        assert result["problems"] == [], result["problems"][:5]
        reached = result["pages"] | {site["aliases"][u] for u in result["aliases"]}
        assert reached == set(site["pages"]), (
            site["url"],
            sorted(reached - set(site["pages"]))[:5],
            sorted(set(site["pages"]) - reached)[:5],
        )
        assert result["soft404"] == set(site["soft404"])
        assert {t["url"] for t in site["traps"]} <= result["traps"]


def test_pages_the_served_robots_txt_disallows_are_marked_so(farm: RunningFarm) -> None:
    """A crawler that obeys robots.txt never sees those pages (the DedeCMS /data/sitemap.html), so the
    truth must not count them as pages to find, nor their broken links."""
    disallowed = 0
    for site in (site for site in farm.truth["sites"] if not site["down"]):
        rules = RobotFileParser(urljoin(site["url"], "/robots.txt"))
        rules.read()
        for url, page in site["pages"].items():
            assert page["robots_disallowed"] == (not rules.can_fetch("*", url)), url
            disallowed += page["robots_disallowed"]
    assert disallowed > 0


def test_aliases_serve_their_page(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        for alias in crawled[site["url"]]["aliases"]:
            canonical = site["aliases"][alias]
            assert canonical in site["pages"]
            assert bodies[alias] == bodies[canonical], alias
            kinds["print" if "print=1" in alias or "fontsize=" in alias else "other"] += 1
    assert kinds["print"] > 0 and kinds["other"] > 0, kinds


def test_query_parameters_are_read_in_any_order(farm: RunningFarm) -> None:
    """As a real PHP/ASP/JSP server does: a crawler that sorts them (w3lib) gets the same page."""

    async def both_orders(urls: list[str]) -> int:
        compared = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            for url in urls:
                base, _, query = url.partition("?")
                pairs = query.split("&")
                if len(pairs) < 2 or len(set(pairs)) < len(pairs):
                    continue
                first = await _get(session, url)
                again = await _get(session, f"{base}?{'&'.join(reversed(pairs))}")
                assert (again[0], again[1]) == (first[0], first[1]), url
                compared += 1
        return compared

    urls = [url for site in farm.truth["sites"] if not site["down"] for url in site["pages"] if "?" in url]
    assert asyncio.run(both_orders(urls[:200])) > 0


async def _follow(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes, list[str]]:
    """GET with redirects followed by hand (at most 10): final status, body and the Location chain."""
    chain: list[str] = []
    for _ in range(10):
        status, body, _, location = await _get(session, url)
        if status not in (301, 302) or location is None:
            return status, body, chain
        url = urljoin(url, location)
        chain.append(url)
    return 0, b"", chain


async def _check_dead(site: dict[str, Any]) -> list[str]:
    problems = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for link in {d["url"]: d for d in site["dead_links"]}.values():
            url = link["url"]
            if link["error"] in ("dns", "refused"):
                parts = urlsplit(url)
                if not (
                    (parts.hostname or "").endswith(".invalid")
                    or parts.port == 1
                    or parts.hostname in _down_hosts
                ):
                    problems.append(f"{url}: {link['error']} but reachable")
                continue
            status, body, chain = await _follow(session, url)
            if link["error"] == "http":
                if status != link["status"]:
                    problems.append(f"{url}: {status} != {link['status']}")
                continue
            kind = site["soft404_kinds"][url]
            text = _decode(site, body)
            looks = {
                "alert_back": "alert(" in text and "history.back()" in text and len(text) < 200,
                "alert_home": "alert(" in text and "location.href='/'" in text and len(text) < 200,
                "template": status == 200
                and site["name"] in text
                and any(w in text for w in SOFT_WORDS)
                and text.count("<a ") >= 8,
                "redirect_home": chain[:1] == [site["url"]],
                "empty": status == 200 and body == b"" and not chain,
            }[kind]
            if not looks:
                problems.append(f"{url}: soft 404 {kind} not served as recorded ({status}, {text[:80]!r})")
    return problems


_down_hosts: set[str] = set()


def test_every_dead_link_answers_as_the_truth_says(farm: RunningFarm) -> None:
    up = [s for s in farm.truth["sites"] if not s["down"]]
    _down_hosts.update(urlsplit(s["url"]).hostname or "" for s in farm.truth["sites"] if s["down"])
    results = asyncio.run(_gather(*(_check_dead(s) for s in up)))
    assert [p for r in results for p in r] == []
    for site in up:
        soft = {d["url"] for d in site["dead_links"] if d["error"] == "soft404"}
        assert soft == set(site["soft404"]) == set(site["soft404_kinds"])
        assert not soft & set(site["pages"])
        assert all(d["kind"] in ("page", "resource", "attachment", "external") for d in site["dead_links"])
    links = [d for s in up for d in s["dead_links"]]
    assert {("soft404", 200), ("http", 404), ("dns", None), ("refused", None)} <= {
        (d["error"], d["status"]) for d in links
    }
    assert {"resource", "attachment", "external", "page"} <= {d["kind"] for d in links}


async def _gather(*jobs: Any) -> list[Any]:
    return list(await asyncio.gather(*jobs))


async def _follow_trap(site: dict[str, Any], start: str) -> int:
    """Follow a trap breadth-first for TRAP_STEPS fetches; return how many distinct trap URLs it met."""
    seen, queue = {start}, [start]
    host = urlsplit(start).netloc
    async with aiohttp.ClientSession() as session:
        for _ in range(TRAP_STEPS):
            assert queue, f"trap from {start} ran out"
            url = queue.pop(0)
            status, body, _, _ = await _get(session, url)
            assert status == 200, url
            new = [
                u
                for u in extract_links(url, _decode(site, body))
                if _TRAP.search(urlsplit(u).path + "?" + urlsplit(u).query)
                and u not in seen
                and urlsplit(u).netloc == host
            ]
            seen.update(new)
            queue.extend(sorted(new))
    assert queue, f"trap from {start} ran out"
    return len(seen)


def test_traps_are_endless(farm: RunningFarm) -> None:
    families: dict[str, tuple[dict[str, Any], str]] = {}
    for site in farm.truth["sites"]:
        if site["down"]:
            continue
        for trap in site["traps"]:
            assert trap["url"] not in site["pages"]
            kind = "calendar" if "/archives/" in trap["url"] else "search" if "?" in trap["url"] else "loop"
            families.setdefault(kind, (site, trap["url"]))
    assert set(families) == {"calendar", "search", "loop"}, families.keys()
    steps = asyncio.run(_gather(*(_follow_trap(site, url) for site, url in families.values())))
    assert all(s > TRAP_STEPS for s in steps), dict(zip(families, steps, strict=True))


def _shown_dates(text: str) -> list[str]:
    """Dates a list page shows inside its main part (the header's 今天是 banner and the footer aside)."""
    text = text.split('<div class="main">', 1)[-1].split('<div class="footer">', 1)[0]
    text = _IN_URLS.sub("", text)  # dates in URLs are not shown
    dates = []
    for match in _DATES.finditer(text):
        year, month, day = (int(g) for g in match.groups() if g is not None)
        dates.append(f"{year:04d}-{month:02d}-{day:02d}")
    year = None
    for match in _YEAR_GROUP.finditer(text):
        if match.group(1):
            year = int(match.group(1))
        elif year is not None:
            dates.append(f"{year:04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d}")
    return dates


def test_column_latest_date_is_what_its_lists_show(
    farm: RunningFarm, crawled: dict[str, dict[str, Any]]
) -> None:
    checked, dateless, ascending = 0, 0, 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        pages = site["pages"]
        for column in site["columns"]:
            if column["empty_kind"] == "dead":
                assert column["url"] not in pages and column["list_pages"] == []
                continue
            assert pages[column["url"]]["kind"] == "column", column["url"]
            lists = [u for u, p in pages.items() if p["column"] == column["url"] and p["kind"] == "column"]
            assert sorted(lists) == sorted(column["list_pages"])
            shown = [d for url in lists for d in _shown_dates(_decode(site, bodies[url]))]
            if column["dates_shown"]:
                latest = max(shown, default=None)
            else:
                assert shown == [], (column["url"], shown[:3])
                latest = max(
                    (
                        p["pub_date"]
                        for p in pages.values()
                        if p["column"] == column["url"] and p["kind"] == "article"
                    ),
                    default=None,
                )
                dateless += 1
            assert latest == column["latest_date"], (column["url"], latest, column["latest_date"])
            assert column["entries"] == 0 or latest is not None
            if column["order"] == "asc" and len(lists) > 1:
                last = _shown_dates(_decode(site, bodies[column["list_pages"][-1]]))
                assert not last or max(last) == latest or not column["dates_shown"]
                ascending += 1
            checked += 1
    assert checked > 40 and dateless > 0


def test_page_kinds_and_article_dates(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        column_urls = {c["url"] for c in site["columns"]}
        kinds = Counter(p["kind"] for p in site["pages"].values())
        assert set(kinds) <= {"home", "channel", "column", "article", "attachment", "other"}
        assert kinds["home"] == 1 and kinds["channel"] >= 2 and kinds["article"] > 20
        for url, page in site["pages"].items():
            assert (page["kind"] == "channel") <= (url not in column_urls)
            if page["kind"] == "article":
                text = _decode(site, bodies[url])
                year, month, day = (int(x) for x in page["pub_date"].split("-"))
                forms = (
                    page["pub_date"],
                    f"{year}-{month}-{day}",
                    f"{year}年{month}月{day}日",
                    f"{year}/{month}/{day}",
                )
                assert any(form in text for form in forms), url


def test_encodings_are_declared_as_recorded(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    async def heads() -> list[tuple[str, str]]:
        async with aiohttp.ClientSession() as session:
            answers = [await _get(session, s["url"]) for s in farm.truth["sites"] if not s["down"]]
        return [(a[2], a[1][:600].decode("ascii", "replace")) for a in answers]

    up = [s for s in farm.truth["sites"] if not s["down"]]
    for site, (content_type, start) in zip(up, asyncio.run(heads()), strict=True):
        header = content_type.partition("charset=")[2] or None
        assert header == site["header_charset"], site["url"]
        if site["meta_charset"]:
            assert re.search(f'charset="?{site["meta_charset"]}["; ]', start), (site["url"], start[:200])
        assert start.startswith("<?xml") == site["xml_prolog"]
        for url, page in site["pages"].items():
            if page["kind"] not in ("attachment",) and url in crawled[site["url"]]["bodies"]:
                crawled[site["url"]]["bodies"][url].decode(
                    site["encoding"]
                )  # strict: the bytes are that codec


def test_letters_and_overdue(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    as_of = date.fromisoformat(farm.truth["as_of"])
    letters = 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        for message in site["messages"]:
            text = _decode(site, bodies[message["url"]])
            assert f"来信时间</th><td>{message['asked_at']}" in text
            assert (message["answered_at"] or "暂无回复") in text
            asked = date.fromisoformat(message["asked_at"])
            assert site["pages"][message["url"]]["pub_date"] == message["asked_at"]
            # Nothing was asked or answered after today (a reply date in the future is no reply).
            assert max(message["asked_at"], message["answered_at"] or "") <= farm.truth["as_of"], message
            if message["overdue"]:
                assert (as_of - asked).days >= 89
            letters += 1
    overdue = [m for s in farm.truth["sites"] for m in s["messages"] if m["overdue"]]
    living = [s for s in farm.truth["sites"] if s["style"] == "hdjl" and s["role"] != "zombie"]
    assert letters > 20 and (overdue or not living)  # a zombie's letters are all older than a year


def test_roles_and_home_pages(farm: RunningFarm) -> None:
    as_of = date.fromisoformat(farm.truth["as_of"])
    roles = {s["role"]: s for s in farm.truth["sites"] if s["role"]}
    assert set(roles) == {"down", "slow", "zombie", "homestale"}
    assert roles["down"]["down"] and roles["slow"]["slow"]
    zombie = roles["zombie"]
    newest = max(p["pub_date"] for p in zombie["pages"].values() if p["pub_date"])
    assert (as_of - date.fromisoformat(newest)).days > 365
    home = roles["homestale"]
    assert home["homepage_stale"] and (as_of - date.fromisoformat(home["homepage_latest_date"])).days > 20


def test_world_is_deterministic_and_seeds_differ(farm: RunningFarm) -> None:
    again = worldc.build_truth(worldc.generate(SITES, SEED, TODAY, port=farm.port, base_ip=BASE_IP))
    assert json.loads(json.dumps(again, ensure_ascii=False)) == farm.truth
    mixes = {
        tuple(
            (s["style"], s["variant"]) for s in worldc.build_truth(worldc.generate(10, seed, TODAY))["sites"]
        )
        for seed in (1, 2, 3)
    }
    assert len(mixes) == 3


def test_clean_world_has_no_faults() -> None:
    truth = worldc.build_truth(worldc.generate(6, SEED, TODAY, fault_rate=0))
    for site in truth["sites"]:
        assert site["dead_links"] == [] and site["traps"] == [] and site["soft404"] == []
        assert not site["down"] and not site["slow"] and site["role"] is None
        assert not any(c["empty"] or c["stale"] for c in site["columns"] if c["type"] != "exempt")


def test_a_thirty_site_world_has_every_case() -> None:
    truth = worldc.build_truth(worldc.generate(30, 1, TODAY))
    up = [s for s in truth["sites"] if not s["down"]]
    assert {s["style"] for s in up} == {"dede", "empire", "powereasy", "static", "zhanqun", "hdjl"}
    assert {s["encoding_variant"] for s in up} == {
        "utf8",
        "gb2312-meta",
        "gbk-none",
        "utf8-misspelled",
        "xml-prolog",
        "conflict-utf8",
        "conflict-gbk",
    }
    links = [d for s in up for d in s["dead_links"]]
    assert {403, 404, 410, 500, 502, 503} <= {d["status"] for d in links if d["error"] == "http"}
    assert {"alert_back", "alert_home", "template", "redirect_home", "empty"} == {
        k for s in up for k in s["soft404_kinds"].values()
    }
    columns = [c for s in up for c in s["columns"]]
    assert {"zero", "placeholder", "dead"} <= {c["empty_kind"] for c in columns}
    assert any(c["order"] == "asc" for c in columns) and any(c["pinned"] for c in columns)
    assert any(not c["dates_shown"] for c in columns)
    assert any(m["overdue"] for s in up for m in s["messages"])
    pages = sum(len(s["pages"]) for s in truth["sites"])
    assert 4000 <= pages <= 8000, pages
