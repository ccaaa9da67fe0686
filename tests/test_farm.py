"""The site farm against its own ground truth: served pages, dead links, stats, determinism."""

from __future__ import annotations

import asyncio
import csv
import html
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest

from crawler.extract.encoding import decode_html
from crawler.extract.identity import identity_marks
from crawler.extract.links import parse_html, visible_text
from crawler.extract.privacy import personal_data
from crawler.extract.service import guide_elements
from scripts.farm import build_truth, generate
from scripts.farm.render import cn_numeral_date, list_date
from scripts.farm.world import is_stale, months_before, site_ips

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lxml.html import HtmlElement

TODAY = date(2026, 11, 27)
SITES = 6
SEED = 4
SLOW_SECONDS = 3.0
SLOW_HOME_SECONDS = 1.0
_HREF = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_PAGER = re.compile(r"createPageHTML\((\d+),\s*(\d+),\s*\"(\w+)\",\s*\"(\w+)\"\)")
SOFT404_WORDS = ("页面不存在", "您访问的页面不存在或已被删除", "404 Not Found")


class Farm:
    """A running farm subprocess and what it wrote."""

    def __init__(self, port: int, out: Path, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.out = out
        self.process = process
        self.truth: dict[str, Any] = json.loads((out / "truth.json").read_text(encoding="utf-8"))

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.port}/_farm"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    out = tmp_path_factory.mktemp("farm")
    port = _free_port()
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
        "--base-ip",
        "127.0.3.1",
        "--slow-seconds",
        str(SLOW_SECONDS),
        "--slow-home-seconds",
        str(SLOW_HOME_SECONDS),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        line = process.stdout.readline().decode()
        assert line == f"farm ready http://127.0.0.1:{port}/_farm/stats\n", line
        assert (out / "ready").exists()
        yield Farm(port, out, process)
    finally:
        process.terminate()
        exit_code = process.wait(timeout=10)
        process.stdout.close()
    assert exit_code == 0


def _links(base_url: str, text: str) -> set[str]:
    found = {urljoin(base_url, html.unescape(href)) for href in _HREF.findall(text)}
    for count, _current, stem, ext in _PAGER.findall(text):
        found |= {urljoin(base_url, f"{stem}.{ext}")}
        found |= {urljoin(base_url, f"{stem}_{n}.{ext}") for n in range(1, int(count))}
    return {url for url in found if url.startswith(("http://", "https://"))}


def _title_in(title: str, text: str) -> bool:
    return title in html.unescape(text)


async def _crawl_site(
    session: aiohttp.ClientSession, site: dict[str, Any]
) -> tuple[set[str], set[str], list[str]]:
    """Breadth-first crawl inside the site: (pages answering 200, other links seen, problems)."""
    host = urlsplit(site["url"]).netloc
    dead = {d["url"] for d in site["dead_links"]}
    trap_prefixes = tuple(
        site["url"].rstrip("/") + "/" + urlsplit(t["url"]).path.strip("/").split("/")[0]
        for t in site["traps"]
    )
    seen = {site["url"]}
    queue = [site["url"]]
    fetched: set[str] = set()
    outside: set[str] = set()
    problems: list[str] = []
    while queue:
        batch, queue = queue, []
        answers = await asyncio.gather(*(session.get(url, allow_redirects=False) for url in batch))
        for url, response in zip(batch, answers, strict=True):
            async with response:
                body = await response.read()
                if response.status != 200:
                    problems.append(f"{url} answered {response.status}")
                    continue
                fetched.add(url)
                truth_page = site["pages"].get(url)
                if truth_page is None:
                    problems.append(f"{url} answers 200 but is not in truth")
                    continue
                if truth_page["kind"] == "attachment":
                    if response.content_type.startswith("text/html"):
                        problems.append(f"attachment {url} served as HTML")
                    continue
                text = body.decode(truth_page["encoding"])
                if not _title_in(truth_page["title"], text):
                    problems.append(f"{url} lacks its title {truth_page['title']!r}")
                for link in _links(url, text):
                    if link in seen or link in dead:
                        continue
                    seen.add(link)
                    if (
                        urlsplit(link).netloc == host
                        and not link.startswith(trap_prefixes)
                        and "/css/" not in link
                        and "/js/" not in link
                        and "/images/" not in link
                    ):
                        queue.append(link)
                    else:
                        outside.add(link)
    return fetched, outside, problems


def test_registry_matches_contract(farm: Farm) -> None:
    with (farm.out / "registry.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["site_id", "name", "url", "level", "region", "department"]
    assert len(rows) == SITES
    for row, site in zip(rows, farm.truth["sites"], strict=True):
        assert re.fullmatch(r"51\d{8}", row["site_id"]), row
        assert row["level"] in ("province", "city", "county", "department")
        assert row["region"].endswith(("市", "州"))
        assert row["url"] == site["url"]
    assert len({row["site_id"] for row in rows}) == SITES


def test_crawl_reaches_exactly_the_truth_pages(farm: Farm) -> None:
    async def crawl_all() -> list[str]:
        problems: list[str] = []
        timeout = aiohttp.ClientTimeout(total=SLOW_HOME_SECONDS + 5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for site in farm.truth["sites"]:
                if site["down"]:
                    continue
                fetched, outside, site_problems = await _crawl_site(session, site)
                problems += site_problems
                missing = set(site["pages"]) - fetched
                problems += [f"truth page never reached: {url}" for url in sorted(missing)]
                for url in sorted(outside):
                    async with session.get(url, allow_redirects=False) as response:
                        if response.status != 200:
                            problems.append(f"live link {url} answered {response.status}")
        return problems

    problems = asyncio.run(crawl_all())
    assert problems == []


def _expect_error(url: str, max_redirects: int = 20, timeout_seconds: float = 5.0) -> BaseException | None:
    async def fetch() -> None:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, max_redirects=max_redirects),
        ):
            pass

    try:
        asyncio.run(fetch())
    except (aiohttp.ClientError, TimeoutError) as exc:
        return exc
    return None


def _status_and_text(url: str, encoding: str = "utf-8") -> tuple[int, str]:
    async def fetch() -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(url, allow_redirects=True) as response:
            return response.status, (await response.read()).decode(encoding, errors="replace")

    return asyncio.run(fetch())


def test_every_dead_link_is_dead_as_classified(farm: Farm) -> None:
    by_url: dict[str, dict[str, Any]] = {}
    encodings: dict[str, str] = {}
    for site in farm.truth["sites"]:
        if not site["down"]:
            for dead in site["dead_links"]:
                by_url.setdefault(dead["url"], dead)
                encodings.setdefault(dead["url"], site["encoding"])
    kinds = {dead["error"] for dead in by_url.values()}
    assert kinds >= {
        "http",
        "soft404",
        "dns",
        "timeout",
        "refused",
        "tls",
        "redirect_loop",
        "too_many_redirects",
    }
    timeouts_checked = 0
    for url, dead in sorted(by_url.items()):
        error = dead["error"]
        if error == "http":
            status, _ = _status_and_text(url)
            assert status == dead["status"], url
        elif error == "soft404":
            status, text = _status_and_text(url, encodings[url])
            if "/download/" in url:  # a login page where the form file was linked
                assert status == 200 and "<form" in text and dead["kind"] == "attachment", url
            else:
                assert status == 200 and any(word in text for word in SOFT404_WORDS), url
        elif error == "dns":
            with pytest.raises(socket.gaierror):
                socket.getaddrinfo(urlsplit(url).hostname, 80)
        elif error == "refused":
            assert isinstance(_expect_error(url), aiohttp.ClientConnectorError), url
        elif error == "timeout" and timeouts_checked < 2:
            timeouts_checked += 1
            started = time.monotonic()
            assert isinstance(_expect_error(url, timeout_seconds=1.0), TimeoutError), url
            assert time.monotonic() - started < SLOW_SECONDS
        elif error == "tls":
            failure = _expect_error(url)
            assert isinstance(failure, aiohttp.ClientError), url
        elif error in ("redirect_loop", "too_many_redirects"):
            assert isinstance(_expect_error(url), aiohttp.TooManyRedirects), url
            if error == "too_many_redirects":
                assert _expect_error(url, max_redirects=30) is None, url


def test_slow_site_and_stats_count_concurrency(farm: Farm) -> None:
    slow = next(site for site in farm.truth["sites"] if site["slow"] and not site["down"])
    host = urlsplit(slow["url"]).hostname

    async def run() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{farm.control}/reset-stats") as response:
                assert response.status == 200
            started = time.monotonic()
            statuses = await asyncio.gather(*(_status(session, slow["url"]) for _ in range(4)))
            assert statuses == [200] * 4
            assert time.monotonic() - started >= SLOW_HOME_SECONDS
            async with session.get(f"{farm.control}/stats") as response:
                stats: dict[str, Any] = await response.json()
        return stats

    stats = asyncio.run(run())
    assert stats["hosts"][host]["requests"] == 4
    # a /slow/ request an earlier test abandoned may still be held: it counts as in flight, not as new
    assert 4 <= stats["hosts"][host]["max_inflight"] <= 5
    assert stats["hosts"][host]["inflight"] <= 1
    assert stats["total_requests"] == 4, stats


async def _status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        await response.read()
        return response.status


def test_site_down_and_up_at_runtime(farm: Farm) -> None:
    site = next(s for s in farm.truth["sites"] if not s["down"] and not s["slow"])
    down_site = next(s for s in farm.truth["sites"] if s["down"])
    assert isinstance(_expect_error(down_site["url"]), aiohttp.ClientConnectorError)
    ip = urlsplit(site["url"]).hostname

    async def control(action: str) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{farm.control}/site/{ip}/{action}") as answer,
        ):
            return answer.status

    assert asyncio.run(control("down")) == 200
    assert isinstance(_expect_error(site["url"]), aiohttp.ClientConnectorError)
    assert asyncio.run(control("up")) == 200
    assert _status_and_text(site["url"])[0] == 200


def test_truth_file_equals_generated_truth_and_is_deterministic(farm: Farm) -> None:
    world = generate(SITES, SEED, TODAY, port=farm.port, base_ip="127.0.3.1")
    assert build_truth(world) == farm.truth
    assert build_truth(generate(SITES, SEED, TODAY, port=farm.port, base_ip="127.0.3.1")) == farm.truth
    assert build_truth(generate(SITES, SEED + 1, TODAY, port=farm.port, base_ip="127.0.3.1")) != farm.truth


def test_world_injects_every_fault_family(farm: Farm) -> None:
    sites = farm.truth["sites"]
    columns = [c for s in sites for c in s["columns"]]
    assert any(s["down"] for s in sites) and any(s["slow"] for s in sites)
    assert any(s["homepage_stale"] and not s["down"] for s in sites)
    assert any(c["stale"] and not c["empty"] for c in columns)
    assert any(c["empty"] for c in columns)
    assert any(m["overdue"] for s in sites for m in s["messages"])
    assert any(p["pub_date"] is None and p["kind"] == "article" for s in sites for p in s["pages"].values())
    assert any(p["robots_disallowed"] for s in sites for p in s["pages"].values())
    assert {s["encoding"] for s in sites} - {"utf-8"}
    assert all(s["traps"] for s in sites)
    up = [s for s in sites if not s["down"]]
    assert any(s["missing_marks"] for s in up)
    assert any(s["site_code_shown"] not in (None, s["site_id"]) for s in up)
    assert any(not s["error_report_link"] for s in up)
    assert any(sum(1 for guide in s["service_guides"] if guide["elements"] <= 6) >= 5 for s in up)
    stats = [c for s in up for c in s["columns"] if c["type"] == "service" and "统计" in c["name"]]
    assert any(c["stale"] for c in stats) and any(not c["stale"] for c in stats)
    dead = [link for s in up for link in s["dead_links"]]
    assert any("/download/" in link["url"] and link["error"] == "soft404" for link in dead)
    shown = [page for s in up for page in s["personal_data"]]
    assert any(page["id_numbers"] for page in shown) and any(page["mobiles"] >= 3 for page in shown)
    assert any(page == {**page, "id_numbers": 0, "mobiles": 1} for page in shown)  # look-alikes only
    world = generate(SITES, SEED, TODAY, port=farm.port, base_ip="127.0.3.1")
    live = [world.model(i) for i in range(SITES) if not world.identities[i].down]
    assert any(model.style == "hanweb" for model in live)
    assert any(
        c.js_pagination and c.style == "trs" and len(c.list_entries()) > 15 for m in live for c in m.columns
    )


def test_clean_world_has_no_faults() -> None:
    truth = build_truth(generate(4, 1, TODAY, fault_rate=0.0))
    for site in truth["sites"]:
        assert not site["down"] and not site["slow"] and site["dead_links"] == [] and site["traps"] == []
        assert not any(c["empty"] for c in site["columns"])
        assert site["missing_marks"] == [] and site["site_code_shown"] == site["site_id"]
        assert site["error_report_link"]


def fetch_tree(url: str) -> HtmlElement:
    """A farm page, decoded and parsed as the spider does."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return parse_html(decode_html(answer.read(), answer.headers.get("Content-Type")).text)


def test_home_page_footers_show_what_the_truth_says(farm: Farm) -> None:
    for site in farm.truth["sites"]:
        if site["down"]:
            continue
        marks = identity_marks(fetch_tree(site["url"]))
        assert marks.missing() == site["missing_marks"], site["site_id"]
        assert marks.site_code == site["site_code_shown"], site["site_id"]
        assert marks.error_report is site["error_report_link"], site["site_id"]
        jiucuo = [url for url in site["pages"] if "jiucuo" in url]
        assert bool(jiucuo) is site["error_report_link"]  # reachable only through the footer link


def test_personal_data_pages_show_what_the_truth_counts(farm: Farm) -> None:
    pages = [page for site in farm.truth["sites"] if not site["down"] for page in site["personal_data"]]
    for page in pages:
        found = personal_data(visible_text(fetch_tree(page["url"])), today=TODAY)
        counts = (len(found.id_numbers), len(found.mobiles))
        assert counts == (page["id_numbers"], page["mobiles"]), page["url"]


def test_service_guides_show_the_elements_the_truth_counts(farm: Farm) -> None:
    guides = [guide for site in farm.truth["sites"] if not site["down"] for guide in site["service_guides"]]
    assert {guide["elements"] for guide in guides} >= {6, 10}
    for guide in guides:
        assert len(guide_elements(fetch_tree(guide["url"]))) == guide["elements"], guide["url"]


@pytest.mark.parametrize(
    ("column_type", "latest", "stale"),
    [
        ("news", date(2026, 11, 14), False),
        ("news", date(2026, 11, 13), True),
        ("notice", date(2026, 5, 28), False),
        ("notice", date(2026, 5, 27), True),
        ("personnel", date(2025, 11, 27), True),
        ("personnel", date(2025, 11, 28), False),
        ("exempt", date(2001, 1, 1), False),
        ("policy", None, True),
    ],
)
def test_is_stale_edges(column_type: str, latest: date | None, stale: bool) -> None:
    assert is_stale(column_type, latest, TODAY) is stale


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2026, 11, 27), 12, date(2025, 11, 27)),
        (date(2026, 1, 15), 3, date(2025, 10, 15)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("dash", "2026-11-20"),
        ("slash", "2026/11/20"),
        ("dot", "2026.11.20"),
        ("monthday", "[11-20]"),
        ("cn", "2026年11月20日"),
        ("paren", "(2026-11-20 09:30)"),
    ],
)
def test_list_date_formats(fmt: str, expected: str) -> None:
    assert list_date(date(2026, 11, 20), fmt, "09:30") == expected


def test_chinese_numeral_dates() -> None:
    assert cn_numeral_date(date(2026, 11, 10)) == "二〇二六年十一月十日"
    assert cn_numeral_date(date(2026, 2, 25)) == "二〇二六年二月二十五日"


def test_site_addresses_skip_network_and_broadcast_parts() -> None:
    assert site_ips("127.0.1.254", 3) == ["127.0.1.254", "127.0.2.1", "127.0.2.2"]
    with pytest.raises(ValueError, match=r"outside 127\.0\.0\.0/8"):
        site_ips("127.255.255.254", 3)
