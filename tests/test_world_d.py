"""World d against its own truth: an independent crawl over HTTP reaches exactly the truth's pages."""

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

from scripts import worldd
from tests.conftest import run_farm

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import RunningFarm

TODAY = date(2026, 11, 27)
SITES = 8
SEED = int(os.environ.get("WORLD_D_TEST_SEED", "7"))
BASE_IP = "127.0.40.1"
SLOW_SECONDS = 3
TRAP_STEPS = 25
# Links as a browser meets them: attributes (also inside document.write strings), 友情链接 options, script
# redirects, "url" fields of the list API, the API address a list shell fetches, XML island <link>s.
_ATTR = re.compile(
    r"""<(?:a|area|link|frame|iframe|img|script)\b[^>]*?\s(?:href|src)\s*=\s*(["'])(.*?)\1""",
    re.IGNORECASE | re.DOTALL,
)
_OPTION = re.compile(r"""<option\s+value=(["'])([^"']*[./][^"']*)\1""", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"""location\.href\s*=\s*'([^'+]+)'(?!\s*\+)""")
_DATA_URL = re.compile(r'"url"\s*:\s*"([^"]+)"')
_API = re.compile(r"""var api = '([^']+)'""")
_ISLAND = re.compile(r"<link>([^<]+)</link>")
_JS_PAGER = re.compile(r"createPageHTML\((\d+),\s*(\d+),\s*'(\w+)',\s*'(\w+)'\)")
_SKIP = ("javascript:", "mailto:", "tel:", "#")
_TRAP = re.compile(r"^/search\?|^/calendar\?")
_RESOURCE = re.compile(r"\.(?:css|js|png|gif|jpe?g)$", re.IGNORECASE)
_DATES = re.compile(
    r"(?<!\d)(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})/(\d{1,2})/(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日)(?!\d)"
)
_YEAR_GROUP = re.compile(
    r'<tr class="year"><th colspan="2">(\d{4})年</th></tr>|<td class="date">(\d{2})-(\d{2})</td>'
)
_IN_URLS = re.compile(r'(?:href|src)="[^"]*"|<link>[^<]*</link>')


def _quote(url: str) -> str:
    return quote(url, safe=":/?&=%;,+@!$'()*~[]")


def extract_links(url: str, text: str) -> set[str]:
    """Every link on a page (or list API answer), absolute, as a browser would request it."""
    found: list[str] = []
    if text.lstrip().startswith("{"):  # the list API: url fields, and the pages its pager offers
        data = json.loads(text)
        found += [item["url"] for item in data["data"]]
        pages = -(-data["total"] // data["size"])
        found += [re.sub(r"page=\d+", f"page={n}", url) for n in range(1, pages + 1)]
    else:
        found += [html.unescape(m.group(2)) for m in _ATTR.finditer(text)]
        found += [html.unescape(m.group(2)) for m in _OPTION.finditer(text)]
        found += _SCRIPT_URL.findall(text) + _DATA_URL.findall(text) + _API.findall(text)
        found += _ISLAND.findall(text)
        for total, _, stem, ext in _JS_PAGER.findall(text):
            found += [f"{stem}.{ext}" if k == 0 else f"{stem}_{k}.{ext}" for k in range(int(total))]
    links = set()
    for raw in found:
        href = raw.strip()
        if not href or href.lower().startswith(_SKIP) or "'+" in href or "+'" in href:
            continue
        links.add(_quote(urljoin(url, href).split("#")[0]))
    return links


def _decode(site: dict[str, Any], body: bytes) -> str:
    return body.decode(site["encoding"], errors="replace").removeprefix("\ufeff")


def _path_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


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
    extra = (
        "--world",
        "d",
        "--today",
        TODAY.isoformat(),
        "--slow-home-seconds",
        "1",
        "--slow-seconds",
        str(SLOW_SECONDS),
    )
    with run_farm(
        tmp_path_factory.mktemp("worldd"), sites=SITES, seed=SEED, base_ip=BASE_IP, extra=extra
    ) as running:
        yield running


async def _crawl(
    session: aiohttp.ClientSession, site: dict[str, Any], allowed_hosts: set[str]
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
            result["bodies"][url] = body
            if url in site["aliases"]:
                result["aliases"].add(url)
                continue
            result["pages"].add(url)
            if not content_type.startswith(("text/html", "application/json")):
                continue
            text = body.decode("utf-8") if "json" in content_type else _decode(site, body)
            for link in extract_links(url, text):
                if urlsplit(link).netloc != host:
                    if link not in dead and urlsplit(link).netloc not in allowed_hosts:
                        result["problems"].append(f"external {link} on {url} is neither dead nor a farm site")
                    continue
                if _TRAP.search(_path_query(link)):
                    result["traps"].add(link)
                elif link not in seen and not _RESOURCE.search(urlsplit(link).path):
                    seen.add(link)
                    if dead.get(link, {}).get("error") == "timeout":
                        continue  # held by the farm: checked with the dead links
                    queue.append(link)
    return result


async def _crawl_all(farm: RunningFarm) -> dict[str, dict[str, Any]]:
    sites = farm.truth["sites"]
    hosts = {urlsplit(s["url"]).netloc for s in sites} | {
        urlsplit(u).netloc for s in sites for u in s["dept_sites"]
    }
    down = [s for s in sites if s["down"]]
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=aiohttp.ClientTimeout(total=20)
    ) as session:
        for site in down:
            async with session.post(f"{farm.control}/site/{urlsplit(site['url']).hostname}/up") as response:
                assert response.status == 200
        try:
            results = await asyncio.gather(*(_crawl(session, s, hosts) for s in sites))
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
    assert truth["world"] == "d" and truth["seed"] == SEED and truth["as_of"] == TODAY.isoformat()
    lines = farm.registry.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "site_id,name,url,level,region,department"
    assert len(lines) == SITES + 1 == len(truth["sites"]) + 1
    for site in truth["sites"]:
        assert re.fullmatch(r"51\d{8}", site["site_id"])
        assert site["url"].startswith("http://127.0.40.")
        assert site["level"] in ("city", "county", "department")
        assert site["name"].endswith(("人民政府", "局"))
    assert {s["style"] for s in truth["sites"]} == {"kaipu", "nanwei", "trsgk"}


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
    disallowed = 0
    for site in (site for site in farm.truth["sites"] if not site["down"]):
        rules = RobotFileParser(urljoin(site["url"], "/robots.txt"))
        rules.read()
        for url, page in site["pages"].items():
            assert page["robots_disallowed"] == (not rules.can_fetch("*", url)), url
            disallowed += page["robots_disallowed"]
        for link in site["dead_links"]:
            assert rules.can_fetch("*", link["found_on"]), link
    assert disallowed > 0


def test_aliases_serve_their_page(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    count = 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        for alias in crawled[site["url"]]["aliases"]:
            canonical = site["aliases"][alias]
            assert canonical in site["pages"]
            assert bodies[alias] == bodies[canonical], alias
            count += 1
    assert count > 0


def test_split_articles_are_one_article(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    parts = 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        for part, article in site["article_parts"].items():
            assert site["pages"][article]["kind"] == "article"
            assert site["pages"][part]["kind"] == "other"
            assert site["pages"][part]["column"] == site["pages"][article]["column"]
            assert re.search(r"_\d\.s?html$", part)
            text = _decode(site, bodies[part])
            assert "上一页" in text and html.escape(site["pages"][article]["title"]) in text
            parts += 1
    assert parts > 0


async def _follow(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes, list[str]]:
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
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLOW_SECONDS - 1.5)) as session:
        for link in {d["url"]: d for d in site["dead_links"]}.values():
            url, error = link["url"], link["error"]
            if error in ("dns", "refused", "timeout"):
                if error == "dns":
                    if not (urlsplit(url).hostname or "").endswith(".invalid"):
                        problems.append(f"{url}: dns but resolvable")
                    continue
                try:
                    await _get(session, url)
                    problems.append(f"{url}: {error} but it answered")
                except (aiohttp.ClientConnectorError, TimeoutError) as exc:
                    if (error == "timeout") != isinstance(exc, TimeoutError):
                        problems.append(f"{url}: {error} but {exc!r}")
                continue
            status, body, chain = await _follow(session, url)
            if error == "http":
                if status != link["status"]:
                    problems.append(f"{url}: {status} != {link['status']}")
                continue
            kind = site["soft404_kinds"][url]
            text = _decode(site, body)
            looks = {
                "js_redirect": status == 200
                and "setTimeout(" in text
                and "location.href='/'" in text
                and "不存在或已被删除" in text
                and not chain,
                "redirect_404page": chain == [urljoin(url, "/404.html")]
                and status == 200
                and site["name"] in text
                and text.count("<a ") >= 8,
                "empty": status == 200 and body == b"" and not chain,
            }[kind]
            if not looks:
                problems.append(f"{url}: soft 404 {kind} not served as recorded ({status}, {text[:80]!r})")
    return problems


async def _gather(*jobs: Any) -> list[Any]:
    return list(await asyncio.gather(*jobs))


def test_every_dead_link_answers_as_the_truth_says(farm: RunningFarm) -> None:
    up = [s for s in farm.truth["sites"] if not s["down"]]
    results = asyncio.run(_gather(*(_check_dead(s) for s in up)))
    assert [p for r in results for p in r] == []
    for site in up:
        soft = {d["url"] for d in site["dead_links"] if d["error"] == "soft404"}
        assert soft == set(site["soft404"]) == set(site["soft404_kinds"])
        assert not soft & set(site["pages"])
        assert all(d["kind"] in ("page", "resource", "attachment", "external") for d in site["dead_links"])
        assert all(d["on_homepage"] == (d["found_on"] == site["url"]) for d in site["dead_links"])
    links = [d for s in up for d in s["dead_links"]]
    assert {("soft404", 200), ("http", 404), ("dns", None), ("refused", None)} <= {
        (d["error"], d["status"]) for d in links
    }
    assert {"resource", "attachment", "external", "page"} <= {d["kind"] for d in links}


async def _follow_trap(site: dict[str, Any], start: str) -> int:
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
                if _TRAP.search(_path_query(u)) and u not in seen and urlsplit(u).netloc == host
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
            families.setdefault("calendar" if "/calendar?" in trap["url"] else "search", (site, trap["url"]))
    assert set(families) == {"calendar", "search"}, families.keys()
    steps = asyncio.run(_gather(*(_follow_trap(site, url) for site, url in families.values())))
    assert all(s > TRAP_STEPS for s in steps), dict(zip(families, steps, strict=True))


def _shown_dates(text: str) -> list[str]:
    """Dates a list page (or list API answer) shows in its main part."""
    if text.lstrip().startswith("{"):
        return [item["publishTime"][:10] for item in json.loads(text)["data"]]
    text = text.split('<div class="main">', 1)[-1].split('<div class="footer">', 1)[0]
    text = _IN_URLS.sub("", text)
    dates = []
    for match in _DATES.finditer(text):
        year, month, day = (int(g) for g in match.groups() if g is not None)
        dates.append(f"{year:04d}-{month:02d}-{day:02d}")
    year = None
    for match in _YEAR_GROUP.finditer(text):
        if match.group(1):
            year = int(match.group(1))
        else:
            assert year is not None
            dates.append(f"{year:04d}-{match.group(2)}-{match.group(3)}")
    return dates


def test_column_latest_date_is_what_its_lists_show(
    farm: RunningFarm, crawled: dict[str, dict[str, Any]]
) -> None:
    checked, modes, empty = 0, Counter[str](), Counter[str]()
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        pages = site["pages"]
        for column in site["columns"]:
            if column["empty_kind"] == "dead":
                assert column["url"] not in pages and column["list_pages"] == []
                empty["dead"] += 1
                continue
            assert pages[column["url"]]["kind"] == "column", column["url"]
            lists = [u for u, p in pages.items() if p["column"] == column["url"] and p["kind"] == "column"]
            assert sorted(lists) == sorted(column["list_pages"])
            data = [u for u, p in pages.items() if p["column"] == column["url"] and "/api/" in u]
            assert sorted(data) == sorted(column["data_pages"])
            shown = [d for url in lists + data for d in _shown_dates(_decode(site, bodies[url]))]
            latest = max(shown, default=None)
            assert latest == column["latest_date"], (column["url"], latest, column["latest_date"])
            assert (column["entries"] == 0) == (latest is None) == column["empty"]
            if column["empty_kind"] == "zero" and column["list_mode"] == "table":
                assert "该栏目暂无信息" in _decode(site, bodies[column["url"]])
            if column["empty_kind"]:
                empty[column["empty_kind"]] += 1
            modes[column["list_mode"]] += 1
            checked += 1
    assert checked > 40 and {"table", "json", "letters"} <= set(modes), modes


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
                forms = (page["pub_date"], f"{year}年{month:02d}月{day:02d}日")
                assert any(form in text for form in forms), url
                if "xxgk-info" in text:  # 成文日期 before the 发布日期, which is the pub_date
                    published = re.search(r"发布日期：</th><td>(\d{4})年(\d{2})月(\d{2})日", text)
                    assert published and "-".join(published.groups()) == page["pub_date"]


def test_encodings_are_declared_as_recorded(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    async def heads() -> list[tuple[str, bytes]]:
        async with aiohttp.ClientSession() as session:
            answers = [await _get(session, s["url"]) for s in farm.truth["sites"] if not s["down"]]
        return [(a[2], a[1]) for a in answers]

    up = [s for s in farm.truth["sites"] if not s["down"]]
    for site, (content_type, body) in zip(up, asyncio.run(heads()), strict=True):
        assert (content_type.partition("charset=")[2] or None) == site["header_charset"], site["url"]
        assert body.startswith(b"\xef\xbb\xbf") == site["bom"]
        assert f"charset={site['meta_charset']}".encode() in body[:400] or (
            f'charset="{site["meta_charset"]}"'.encode() in body[:400]
        ), site["url"]
        for url, page in site["pages"].items():
            if page["kind"] != "attachment":
                crawled[site["url"]]["bodies"][url].decode(page["encoding"])  # strict


def test_letters_and_overdue(farm: RunningFarm, crawled: dict[str, dict[str, Any]]) -> None:
    as_of = date.fromisoformat(farm.truth["as_of"])
    letters = 0
    for site in farm.truth["sites"]:
        bodies = crawled[site["url"]]["bodies"]
        for message in site["messages"]:
            text = _decode(site, bodies[message["url"]])
            assert f"留言时间</th><td>{message['asked_at']}" in text
            assert (message["answered_at"] or "暂未回复") in text
            assert site["pages"][message["url"]]["pub_date"] == message["asked_at"]
            assert max(message["asked_at"], message["answered_at"] or "") <= farm.truth["as_of"], message
            if message["overdue"]:
                assert (as_of - date.fromisoformat(message["asked_at"])).days >= 89
            letters += 1
    assert letters > 20


def test_roles_and_home_pages(farm: RunningFarm) -> None:
    as_of = date.fromisoformat(farm.truth["as_of"])
    roles = {s["role"]: s for s in farm.truth["sites"] if s["role"]}
    assert set(roles) == {"down", "slow", "zombie", "homestale"}
    assert roles["down"]["down"] and roles["slow"]["slow"]
    newest = max(p["pub_date"] for p in roles["zombie"]["pages"].values() if p["pub_date"])
    assert (as_of - date.fromisoformat(newest)).days > 365
    home = roles["homestale"]
    assert home["homepage_stale"] and (as_of - date.fromisoformat(home["homepage_latest_date"])).days > 20


def test_world_is_deterministic_and_seeds_differ(farm: RunningFarm) -> None:
    again = worldd.build_truth(worldd.generate(SITES, SEED, TODAY, port=farm.port, base_ip=BASE_IP))
    assert json.loads(json.dumps(again, ensure_ascii=False)) == farm.truth
    mixes = {
        tuple(
            (s["style"], s["variant"]) for s in worldd.build_truth(worldd.generate(8, seed, TODAY))["sites"]
        )
        for seed in (1, 2, 3)
    }
    assert len(mixes) == 3


def test_clean_world_has_no_faults() -> None:
    truth = worldd.build_truth(worldd.generate(6, SEED, TODAY, fault_rate=0))
    for site in truth["sites"]:
        assert site["dead_links"] == [] and site["traps"] == [] and site["soft404"] == []
        assert not site["down"] and not site["slow"] and site["role"] is None
        assert site["missing_marks"] == [] and site["error_report_link"]
        assert not any(c["empty"] or c["stale"] for c in site["columns"] if c["type"] != "exempt")


def test_a_thirty_site_world_has_every_case() -> None:
    truth = worldd.build_truth(worldd.generate(30, 1, TODAY))
    up = [s for s in truth["sites"] if not s["down"]]
    assert {s["style"] for s in up} == {"kaipu", "nanwei", "trsgk"}
    assert {s["encoding_variant"] for s in up} == {"utf8", "utf8-meta", "gb18030", "utf8-bom"}
    links = [d for s in up for d in s["dead_links"]]
    assert {404, 410, 500, 503} <= {d["status"] for d in links if d["error"] == "http"}
    assert {"dns", "refused", "timeout", "soft404"} <= {d["error"] for d in links}
    assert {"js_redirect", "redirect_404page", "empty"} == {
        k for s in up for k in s["soft404_kinds"].values()
    }
    columns = [c for s in up for c in s["columns"]]
    assert {"zero", "placeholder", "dead"} <= {c["empty_kind"] for c in columns}
    assert {"table", "json", "xml", "docwrite", "letters"} == {c["list_mode"] for c in columns}
    assert {"cn", "slash", "bracket", "group", "iso"} <= {c["date_style"] for c in columns}
    assert any(c["stale"] for c in columns) and any(m["overdue"] for s in up for m in s["messages"])
    assert any(s["article_parts"] for s in up)
    assert any(not s["error_report_link"] for s in up) and any(s["missing_marks"] for s in up)
    assert any(s["site_code_shown"] not in (None, s["site_id"]) for s in up)
    registered = {s["url"] for s in truth["sites"]}
    dept = [u for s in up for u in s["dept_sites"]]
    assert any(u in registered for u in dept) and any(u not in registered for u in dept)
    assert any(d["kind"] == "external" and d["status"] == 404 for d in links)
    assert len({s["head_style"] for s in up}) >= 5
    pages = sum(len(s["pages"]) for s in truth["sites"])
    assert 6000 <= pages <= 13000, pages
