"""World b against its own truth: an independent crawl over HTTP reaches exactly the truth's pages."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import socket
import subprocess
import sys
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest

from scripts import farm as world_a
from scripts import worldb

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TODAY = date(2026, 12, 6)
SITES = 8
SEED = int(os.environ.get("WORLD_B_TEST_SEED", "11"))
BASE_IP = "127.0.4.1"
TRAP_STEPS = 25
_HREF = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_OPEN = re.compile(r"""window\.open\(\s*['"]([^'"]+)['"]""")
_URL_KEY = re.compile(r"""["']?url["']?\s*:\s*["']([^"']+)["']""")
_CREATE_PAGE = re.compile(r'createPageHTML\((\d+),\s*\d+,\s*"(\w+)",\s*"(\w+)"\)')
_COUNT_PAGE = re.compile(r'var countPage = (\d+).*?var prePage = "(\w+)";\s*var fileExt = "(\w+)"', re.DOTALL)
_TOTAL = re.compile(r'"totalPage":\s*(\d+)|<totalpage>(\d+)</totalpage>')
_DATE = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})|(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_BOX = re.compile(r'<span class="day">(\d{2})</span><span class="ym">(\d{4})-(\d{2})</span>')
_TRAP = re.compile(r"calendar\.jsp\?date=|/search/tag/\d+\.html|/ztzl/ztzl/|[?&]sort=")
RESOURCE_DIRS = ("/css/", "/js/", "/images/", "/uploadfiles/image/")
SOFT404_WORDS = ("页面不存在", "信息已删除", "不存在或已过期", "不存在或已被删除", "已撤稿")


class Farm:
    """A running world b subprocess and its truth."""

    def __init__(self, port: int, out: Path) -> None:
        self.port = port
        self.truth: dict[str, Any] = json.loads((out / "truth.json").read_text(encoding="utf-8"))
        self.registry = (out / "registry.csv").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _start(out: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "scripts.farm",
        "serve",
        "--sites",
        str(SITES),
        "--seed",
        str(SEED),
        "--out",
        str(out),
        "--port",
        str(port),
        "--today",
        TODAY.isoformat(),
        "--slow-home-seconds",
        "1",
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    assert line == f"farm ready http://127.0.0.1:{port}/_farm/stats\n", line
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    assert process.wait(timeout=10) == 0
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    out = tmp_path_factory.mktemp("worldb")
    port = _free_port()
    process = _start(out, port, "--world", "b", "--base-ip", BASE_IP)
    try:
        yield Farm(port, out)
    finally:
        _stop(process)


def _decode(site: dict[str, Any], body: bytes, content_type: str) -> str:
    if "json" in content_type or "xml" in content_type:
        return body.decode("utf-8")
    return body.decode("utf-8-sig" if site["encoding"] == "utf-8" else site["encoding"], errors="replace")


def extract_links(url: str, text: str) -> set[str]:
    """Every link form world b uses: anchors, src, area, window.open, script/JSON url keys, pagers."""
    found = {html.unescape(h) for h in _HREF.findall(text) + _OPEN.findall(text) + _URL_KEY.findall(text)}
    found = {h for h in found if not h.startswith(("javascript:", "#", "mailto:"))}
    for count, stem, ext in _CREATE_PAGE.findall(text) + _COUNT_PAGE.findall(text):
        found |= {f"{stem}.{ext}"} | {f"{stem}_{n}.{ext}" for n in range(1, int(count))}
    total = _TOTAL.search(text)
    if total and re.search(r"[?&]page=1(&|$)", url):
        pages = int(total.group(1) or total.group(2))
        found |= {re.sub(r"([?&]page=)1(&|$)", rf"\g<1>{n}\2", url) for n in range(2, pages + 1)}
    return {urljoin(url, h) for h in found}


def _is_resource(url: str) -> bool:
    return urlsplit(url).path.startswith(RESOURCE_DIRS)


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes, str, str | None]:
    async with session.get(url, allow_redirects=False) as response:
        body = await response.read()
        return (
            response.status,
            body,
            response.headers.get("Content-Type", ""),
            response.headers.get("Location"),
        )


async def _crawl(session: aiohttp.ClientSession, site: dict[str, Any]) -> dict[str, Any]:
    """Breadth-first crawl of one site from its home page, classifying every URL it meets."""
    host = urlsplit(site["url"]).netloc
    dead = {(d["url"]): d for d in site["dead_links"]}
    seen = {site["url"]}
    queue = [site["url"]]
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
            text = _decode(site, body, content_type)
            if status != 200:
                expected = dead.get(url)
                if (
                    expected is None
                    or (status in (301, 302) and expected["error"] != "soft404")
                    or (status >= 400 and expected["status"] != status)
                ):
                    result["problems"].append(f"{url}: {status} {location} not as the truth says")
                continue
            if url in site["soft404"]:
                result["soft404"].add(url)
                continue
            if url in site["aliases"]:
                result["aliases"].add(url)
                result["bodies"][url] = body
                continue
            if _TRAP.search(url):
                result["traps"].add(url)
                continue
            result["pages"].add(url)
            result["bodies"][url] = body
            if "html" not in content_type and "json" not in content_type and "xml" not in content_type:
                continue
            for link in extract_links(url, text):
                parts = urlsplit(link)
                if parts.netloc != host:
                    if link not in dead:
                        result["problems"].append(f"external {link} on {url} not a dead link in truth")
                    continue
                bare = link.split("#")[0]
                if bare not in seen and not _is_resource(bare):
                    seen.add(bare)
                    queue.append(bare)
    return result


async def _crawl_all(farm: Farm) -> dict[str, dict[str, Any]]:
    connector = aiohttp.TCPConnector(limit=64)
    timeout = aiohttp.ClientTimeout(total=20)
    down = [s for s in farm.truth["sites"] if s["down"]]
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for site in down:
            ip = urlsplit(site["url"]).hostname
            async with session.post(f"http://127.0.0.1:{farm.port}/_farm/site/{ip}/up") as response:
                assert response.status == 200
        try:
            results = await asyncio.gather(*(_crawl(session, s) for s in farm.truth["sites"]))
        finally:
            for site in down:
                ip = urlsplit(site["url"]).hostname
                async with session.post(f"http://127.0.0.1:{farm.port}/_farm/site/{ip}/down") as response:
                    assert response.status == 200
    return {s["url"]: r for s, r in zip(farm.truth["sites"], results, strict=True)}


@pytest.fixture(scope="module")
def crawled(farm: Farm) -> dict[str, dict[str, Any]]:
    return asyncio.run(_crawl_all(farm))


def test_registry_and_truth_header(farm: Farm) -> None:
    truth = farm.truth
    assert truth["world"] == "b"
    assert truth["seed"] == SEED
    lines = farm.registry.splitlines()
    assert lines[0] == "site_id,name,url,level,region,department"
    assert len(lines) == SITES + 1
    for site in truth["sites"]:
        assert re.fullmatch(r"51\d{8}", site["site_id"])
        assert site["url"].startswith("http://127.0.4.")
        assert site["level"] in ("province", "city", "county", "department")


def test_crawl_reaches_exactly_the_truth_pages(farm: Farm, crawled: dict[str, dict[str, Any]]) -> None:
    for site in farm.truth["sites"]:
        result = crawled[site["url"]]
        assert result["problems"] == [], result["problems"][:5]
        reached = result["pages"] | {site["aliases"][u] for u in result["aliases"]}
        assert reached == set(site["pages"]), (
            site["url"],
            sorted(reached - set(site["pages"]))[:5],
            sorted(set(site["pages"]) - reached)[:5],
        )
        assert result["soft404"] <= set(site["soft404"])
        assert {t["url"] for t in site["traps"]} <= result["traps"]


def test_aliases_serve_their_page(crawled: dict[str, dict[str, Any]], farm: Farm) -> None:
    total = 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        for alias in crawled[site["url"]]["aliases"]:
            canonical = site["aliases"][alias]
            assert canonical in site["pages"]
            assert bodies[alias] == bodies[canonical], alias
            total += 1
    assert total > 0


async def _check_dead(site: dict[str, Any]) -> list[str]:
    problems = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for link in site["dead_links"]:
            url = link["url"]
            if link["error"] in ("dns", "refused"):
                host = urlsplit(url).hostname or ""
                assert host.endswith(".invalid") or urlsplit(url).port == 1, url
                continue
            status, body, content_type, location = await _get(session, url)
            if link["error"] == "http":
                if status != link["status"]:
                    problems.append(f"{url}: {status} != {link['status']}")
                continue
            if status in (301, 302):
                assert location is not None
                if urljoin(url, location) == site["url"]:
                    continue  # a deleted item sent to the home page
                status, body, content_type, _ = await _get(session, urljoin(url, location))
            text = _decode(site, body, content_type)
            if status != 200 or site["name"] not in text or not any(w in text for w in SOFT404_WORDS):
                problems.append(f"{url}: soft 404 not served in the template")
            elif text.count("<a ") < 10:
                problems.append(f"{url}: soft 404 without the site's menu")
    return problems


def test_every_dead_link_answers_as_the_truth_says(farm: Farm) -> None:
    up = [s for s in farm.truth["sites"] if not s["down"]]
    results = asyncio.run(_gather(*(_check_dead(s) for s in up)))
    assert [p for r in results for p in r] == []
    kinds = {(d["error"], d["status"]) for s in up for d in s["dead_links"]}
    assert {("soft404", 200), ("http", 404), ("dns", None), ("refused", None)} <= kinds
    for site in up:
        soft = {d["url"] for d in site["dead_links"] if d["error"] == "soft404"}
        assert soft == set(site["soft404"])
        assert not soft & set(site["pages"])


async def _gather(*jobs: Any) -> list[Any]:
    return list(await asyncio.gather(*jobs))


async def _follow_trap(site: dict[str, Any], start: str) -> int:
    """Follow a trap breadth-first for TRAP_STEPS fetches; return how many distinct trap URLs it met."""
    seen, queue = {start}, [start]
    async with aiohttp.ClientSession() as session:
        for _ in range(TRAP_STEPS):
            assert queue, f"trap from {start} ran out"
            url = queue.pop(0)
            status, body, content_type, _ = await _get(session, url)
            assert status == 200, url
            new = [
                u
                for u in extract_links(url, _decode(site, body, content_type))
                if _TRAP.search(u) and u not in seen and urlsplit(u).netloc == urlsplit(url).netloc
            ]
            seen.update(new)
            queue.extend(sorted(new))
    assert queue, f"trap from {start} ran out"
    return len(seen)


def test_traps_are_endless(farm: Farm) -> None:
    families = {}
    for site in farm.truth["sites"]:
        if site["down"]:
            continue
        for trap in site["traps"]:
            family = _TRAP.search(trap["url"])
            assert family is not None, trap["url"]
            families.setdefault(family.group(0)[:8], (site, trap["url"]))
            assert trap["url"] not in site["pages"]
    assert len(families) >= 4, families.keys()
    steps = asyncio.run(_gather(*(_follow_trap(site, url) for site, url in families.values())))
    assert all(s > TRAP_STEPS for s in steps), dict(zip(families, steps, strict=True))


def _shown_dates(text: str) -> list[str]:
    dates = []
    for match in _DATE.finditer(text):
        year, month, day = (g for g in match.groups() if g is not None)
        dates.append(f"{int(year):04d}-{int(month):02d}-{int(day):02d}")
    dates += [f"{y}-{m}-{d}" for d, y, m in _DATE_BOX.findall(text)]
    return dates


def test_column_latest_date_is_the_newest_date_in_its_lists(
    farm: Farm, crawled: dict[str, dict[str, Any]]
) -> None:
    checked = 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        pages = site["pages"]
        for column in site["columns"]:
            if column["empty_kind"] == "dead":
                assert column["url"] not in pages
                continue
            assert pages[column["url"]]["kind"] == "column", column["url"]
            lists = [
                u
                for u, p in pages.items()
                if p["column"] == column["url"] and p["kind"] in ("column", "other")
            ]
            dates = []
            for url in lists:
                text = _decode(
                    site, bodies[url], "json" if "/api/" in url else "xml" if "dataproxy" in url else ""
                )
                if 'class="list-box"' in text:
                    text = text.split('class="list-box"', 1)[1]
                dates += _shown_dates(text)
            latest = max(dates, default=None)
            assert latest == column["latest_date"], (column["url"], latest, column["latest_date"])
            assert column["entries"] == 0 or latest is not None
            checked += 1
    assert checked > 20


def test_soft404_and_traps_never_in_pages_and_kinds_are_known(farm: Farm) -> None:
    for site in farm.truth["sites"]:
        assert not set(site["soft404"]) & set(site["pages"])
        assert not {t["url"] for t in site["traps"]} & set(site["pages"])
        assert {p["kind"] for p in site["pages"].values()} <= {
            "home",
            "column",
            "channel",
            "article",
            "attachment",
            "other",
        }
        column_urls = {c["url"] for c in site["columns"]}
        assert not {u for u, p in site["pages"].items() if p["kind"] == "channel"} & column_urls


def test_world_is_deterministic_and_seeds_differ(farm: Farm) -> None:
    again = worldb.build_truth(worldb.generate(SITES, SEED, TODAY, port=farm.port, base_ip=BASE_IP))
    assert json.loads(json.dumps(again, ensure_ascii=False)) == farm.truth
    mixes = {
        tuple(s["style"] for s in worldb.build_truth(worldb.generate(10, seed, TODAY))["sites"])
        for seed in (1, 2, 3)
    }
    assert len(mixes) == 3


def test_clean_world_has_no_faults() -> None:
    truth = worldb.build_truth(worldb.generate(6, SEED, TODAY, fault_rate=0))
    for site in truth["sites"]:
        assert site["dead_links"] == [] and site["traps"] == [] and site["soft404"] == []
        assert not site["down"] and not site["slow"]
        assert not any(c["empty"] for c in site["columns"])


def test_world_a_stays_the_default(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    try:
        served = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    finally:
        _stop(process)
    expected = world_a.build_truth(world_a.generate(SITES, SEED, TODAY, port=port, base_ip="127.0.1.1"))
    assert served == json.loads(json.dumps(expected, ensure_ascii=False))
    assert "world" not in served
