"""Page analysis against the site farm rendered in-process, plus broken-input and unit cases."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import pytest
from w3lib.url import canonicalize_url

from crawler import defaults
from crawler.extract.columns import ColumnClass, ColumnOverride
from crawler.extract.links import classify_response, parse_html
from crawler.items import ColumnItem, MessageItem
from crawler.page_analysis import (
    OutLink,
    PageAnalysis,
    PageLimits,
    analyze_page,
    canonical,
    crawlable,
    dead_column_item,
    not_found_features,
    page_title,
)
from crawler.registry import Site
from crawler.traps import ContentTraps, Repeat, not_found_url, repeats_path_segments, split_by_own_pattern
from scripts.farm import build_truth, generate
from scripts.farm.pages import answer, build_pages
from scripts.farm.server import FarmServer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scripts.farm.world import World

TODAY = date(2026, 11, 27)
FETCHED_AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SITES, SEED = 12, 3
MAX_DEPTH = 8  # GOVCRAWL_CRAWL_MAX_DEPTH
MAX_SEGMENT_REPEATS = 2  # GOVCRAWL_CRAWL_TRAP_MAX_SEGMENT_REPEATS
TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 20
MIN_F1 = 0.98
MIN_DATE_ACCURACY = 0.98

# --- an in-process fetcher over the farm server's own answers ------------------------------------


@dataclass(slots=True)
class Fetched:
    """What a spider would see for a URL: a final 200/4xx answer, or a failure (status None)."""

    url: str
    final_url: str
    status: int | None
    content_type: str = ""
    body: bytes = b""
    error: str | None = None


def _split_http(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (ln.partition(":") for ln in lines[1:])
    }
    return int(lines[0].split()[1]), headers, body


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def fetch(server: FarmServer, host: str, url: str) -> Fetched:
    """GET url from the farm (redirects followed like Scrapy, up to 20 hops; slow answers time out)."""
    current, seen = url, [url]
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme != "http" or parts.netloc != host:
            return Fetched(url, current, None, error="offsite")
        raw, delay = server.site_response(parts.hostname or "", "GET", _target(current))
        if delay >= TIMEOUT_SECONDS:
            return Fetched(url, current, None, error="timeout")
        if not raw:
            return Fetched(url, current, None, error="closed")
        status, headers, body = _split_http(raw)
        if status in (301, 302, 303, 307, 308):
            current = canonicalize_url(urljoin(current, headers["location"]))
            if current in seen:
                return Fetched(url, current, None, error="redirect_loop")
            seen.append(current)
            continue
        return Fetched(url, current, status, headers.get("content-type", ""), body)
    return Fetched(url, current, None, error="too_many_redirects")


# --- walking a site the way the spider will ------------------------------------------------------


@dataclass(slots=True)
class SiteWalk:
    """Everything the walk of one site produced."""

    truth: dict[str, Any]
    order: str
    analyses: dict[str, PageAnalysis] = field(default_factory=dict)  # by requested URL
    columns: dict[str, ColumnItem] = field(default_factory=dict)
    messages: dict[str, MessageItem] = field(default_factory=dict)
    pages_ok: set[str] = field(default_factory=set)  # 200 without redirect, not soft 404, not a trap
    trap_pages: set[str] = field(default_factory=set)
    attachments_ok: set[str] = field(default_factory=set)  # checked (not crawled) attachments that are files
    robots_skipped: set[str] = field(default_factory=set)
    soft404: set[str] = field(default_factory=set)


def _site(world: World, index: int, truth: dict[str, Any]) -> Site:
    ident = world.identities[index]
    return Site(
        site_id=ident.site_id,
        name=ident.name,
        url=truth["url"],
        level=ident.level,  # type: ignore[arg-type]
        region=ident.region,
        department=ident.department,
    )


def _check_attachment(
    out: OutLink, server: FarmServer, host: str, checked: set[str], walk: SiteWalk
) -> None:
    """Check a same-host attachment link once, as the spider's link check would."""
    if out.target_kind != "attachment" or urlsplit(out.url).netloc != host or out.url in checked:
        return
    checked.add(out.url)
    file = fetch(server, host, out.url)
    text = file.body.decode("utf-8", "replace")
    if file.status is not None and classify_response(
        file.status, file.final_url, text, file.content_type, kind="attachment"
    ).ok:
        walk.attachments_ok.add(out.url)


def _learn_not_found(traps: ContentTraps, server: FarmServer, host: str, site: Site) -> None:
    """What the spider does after a home page: fetch a page that cannot exist and learn the answer."""
    missing = fetch(server, host, not_found_url(site.url, site.site_id))
    traps.learn_not_found(site.site_id, 0, not_found_features(
        body=missing.body, status=missing.status or 0, content_type=missing.content_type,
        template=traps.template(site.site_id, 0)))


def walk_site(
    world: World, server: FarmServer, index: int, truth: dict[str, Any], *, order: str = "fifo"
) -> SiteWalk:
    """Walk from the home page with analyze_page and its OutLinks, same host only.

    `order` fifo is breadth-first; lifo (depth-first) makes articles and crumbs reach a column or an
    article before its list does, as a frontier with other priorities may.
    """
    model = world.model(index)
    farm_pages = build_pages(model, world.today)
    site = _site(world, index, truth)
    host = world.host(index)
    walk = SiteWalk(truth, order)
    traps = ContentTraps(similar=defaults.GOVCRAWL_CRAWL_TRAP_SIMILARITY,
                         min_pages=defaults.GOVCRAWL_CRAWL_TRAP_MIN_PAGES,
                         repeat_ratio=defaults.GOVCRAWL_CRAWL_TRAP_REPEAT_RATIO)
    home = canonical(truth["url"])
    queue: deque[tuple[OutLink, int]] = deque([(OutLink(url=home, crawl="page", target_kind="page"), 0)])
    seen = {home}
    checked: set[str] = set()
    while queue:
        link, depth = queue.popleft() if order == "fifo" else queue.pop()
        if model.robots_disallow and _target(link.url).startswith(model.robots_disallow):
            walk.robots_skipped.add(link.url)
            continue
        kind = "home" if depth == 0 else link.crawl
        got = fetch(server, host, link.url)
        if got.status is None or got.status >= 400:
            if link.crawl == "column" and link.column_url in (None, link.url):
                dead = dead_column_item(
                    site=site,
                    url=link.url,
                    name=link.column_name or "",
                    level=link.column_level or 1,
                    today=TODAY,
                    checked_at=FETCHED_AT,
                )
                walk.columns.setdefault(dead.url, dead)
            continue
        result = analyze_page(
            body=got.body,
            url=link.url,
            final_url=got.final_url,
            status=got.status,
            content_type=got.content_type,
            site=site,
            page_kind=kind,
            depth=depth,
            column_name=link.column_name,
            column_level=link.column_level,
            column_url=link.column_url,
            listing_date=link.listing_date,
            today=TODAY,
            fetched_at=FETCHED_AT,
            template=None if kind == "home" else traps.template(site.site_id, 0),
        )
        walk.analyses[link.url] = result
        repeated = traps.read(site.site_id, 0, link.url, result, home=kind == "home") is not Repeat.NO
        if kind == "home":
            _learn_not_found(traps, server, host, site)
        farm_answer = answer(farm_pages, _target(got.final_url))
        if farm_answer.body == "trap":
            walk.trap_pages.add(link.url)
        elif result.soft404:
            walk.soft404.add(link.url)
        elif got.final_url == link.url:
            walk.pages_ok.add(link.url)
        for item in result.items:
            if isinstance(item, ColumnItem):
                assert item.url not in walk.columns, f"column {item.url} emitted twice"
                walk.columns[item.url] = item
            else:
                walk.messages[item.url] = item
        for out in split_by_own_pattern(link.url, result)[0] if repeated else result.links:
            if out.crawl == "check":
                _check_attachment(out, server, host, checked, walk)
                continue
            if out.url in seen or urlsplit(out.url).netloc != host or depth + 1 > MAX_DEPTH:
                continue
            if repeats_path_segments(out.url, MAX_SEGMENT_REPEATS) or traps.closed(site.site_id, 0, out.url):
                continue
            seen.add(out.url)
            queue.append((out, depth + 1))
    return walk


@pytest.fixture(scope="module", params=["fifo", "lifo"])
def farm_walks(request: pytest.FixtureRequest) -> list[SiteWalk]:
    world = generate(SITES, SEED, TODAY)
    truth = build_truth(world)
    server = FarmServer(world, slow_seconds=30.0, slow_home_seconds=3.0)
    walks = [
        walk_site(world, server, index, site_truth, order=request.param)
        for index, site_truth in enumerate(truth["sites"])
        if not site_truth["down"]
    ]
    assert len(walks) >= SITES - 2, "the world should have at most a couple of down sites"
    return walks


def _truth_pages(walk: SiteWalk, *, kinds: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    return {
        canonical(url): page
        for url, page in walk.truth["pages"].items()
        if not page["robots_disallowed"] and (kinds is None or page["kind"] in kinds)
    }


def _tag(walks: list[SiteWalk]) -> str:
    return f"[analysis {walks[0].order}]"


def _f1(found: set[str], expected: set[str]) -> tuple[float, float, float]:
    true_positives = len(found & expected)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(expected) if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- the farm comparisons ------------------------------------------------------------------------


def test_walk_reaches_exactly_the_truth_pages(farm_walks: list[SiteWalk]) -> None:
    crawled = attachments = traps = 0
    for walk in farm_walks:
        expected = set(_truth_pages(walk, kinds=("home", "column", "article", "other")))
        assert walk.pages_ok == expected, (
            f"{walk.truth['url']}: missing {sorted(expected - walk.pages_ok)[:5]}, "
            f"extra {sorted(walk.pages_ok - expected)[:5]}"
        )
        # Attachments are never parsed: the spider only checks them, and the check answers 200.
        assert walk.attachments_ok == set(_truth_pages(walk, kinds=("attachment",)))
        assert all(
            urlsplit(url).path.startswith(("/calendar/", "/trap/", "/search")) for url in walk.trap_pages
        )
        if walk.truth["robots_disallow"]:
            assert walk.robots_skipped, "robots-disallowed links are offered but not fetched"
        crawled += len(walk.pages_ok)
        attachments += len(walk.attachments_ok)
        traps += len(walk.trap_pages)
    print(
        f"\n{_tag(farm_walks)} reachable: {crawled} pages crawled + {attachments} attachments checked "
        "== truth; "
        f"{traps} trap pages fetched (tiny link-only pages: judged soft 404, so not followed)"
    )


def test_columns_found_with_stale_and_empty_flags(farm_walks: list[SiteWalk]) -> None:
    found_urls: set[str] = set()
    expected_urls: set[str] = set()
    stale_found: set[str] = set()
    stale_expected: set[str] = set()
    empty_found: set[str] = set()
    empty_expected: set[str] = set()
    type_right = level_right = latest_right = 0
    for walk in farm_walks:
        truth_columns = {canonical(col["url"]): col for col in walk.truth["columns"]}
        expected_urls |= set(truth_columns)
        found_urls |= set(walk.columns)
        for url, column in walk.columns.items():
            stale_found |= {url} if column.stale else set()
            empty_found |= {url} if column.empty else set()
            truth = truth_columns.get(url)
            if truth is None:
                continue
            type_right += column.type == truth["type"]
            level_right += column.level == truth["level"]
            latest = column.latest_date.isoformat() if column.latest_date else None
            latest_right += latest == truth["latest_date"]
        stale_expected |= {url for url, col in truth_columns.items() if col["stale"]}
        empty_expected |= {url for url, col in truth_columns.items() if col["empty"]}
    assert found_urls == expected_urls, (
        sorted(found_urls - expected_urls),
        sorted(expected_urls - found_urls),
    )
    stale = _f1(stale_found, stale_expected)
    empty = _f1(empty_found, empty_expected)
    total = len(expected_urls)
    print(
        f"\n{_tag(farm_walks)} columns found {len(found_urls)}/{total}; "
        f"stale P/R/F1 {stale[0]:.3f}/{stale[1]:.3f}/"
        f"{stale[2]:.3f} ({len(stale_expected)} stale); empty P/R/F1 {empty[0]:.3f}/{empty[1]:.3f}/"
        f"{empty[2]:.3f} ({len(empty_expected)} empty); type {type_right}/{total}, "
        f"level {level_right}/{total}, latest_date {latest_right}/{total}"
    )
    assert stale[2] >= MIN_F1
    assert empty[2] >= MIN_F1
    assert type_right == total
    assert level_right == total


def test_article_publish_dates(farm_walks: list[SiteWalk]) -> None:
    dated = right = undated = invented = 0
    wrong: list[str] = []
    sources: dict[str, int] = {}
    for walk in farm_walks:
        for url, truth in _truth_pages(walk, kinds=("article",)).items():
            page = walk.analyses[url].page
            assert page.page_kind == "article", url
            found = page.pub_date.isoformat() if page.pub_date else None
            if truth["pub_date"] is None:
                undated += 1
                if found is not None:
                    invented += 1
                    wrong.append(f"{url}: invented {found}")
                continue
            dated += 1
            sources[str(page.pub_date_source)] = sources.get(str(page.pub_date_source), 0) + 1
            if found == truth["pub_date"]:
                right += 1
            else:
                wrong.append(f"{url}: {found} != {truth['pub_date']}")
    accuracy = right / dated
    print(
        f"\n{_tag(farm_walks)} article dates exact {right}/{dated} = {accuracy:.4f} (sources {sources}); "
        f"invented {invented}/{undated} undated"
    )
    assert accuracy >= MIN_DATE_ACCURACY, wrong[:10]
    assert invented == 0, wrong[:10]


def test_titles_match_truth(farm_walks: list[SiteWalk]) -> None:
    compared = 0
    mismatches: list[str] = []
    for walk in farm_walks:
        for url, truth in _truth_pages(walk, kinds=("home", "column", "article", "other")).items():
            if not truth["title"]:
                continue
            compared += 1
            title = walk.analyses[url].page.title
            if title != truth["title"]:
                mismatches.append(f"{url}: {title!r} != {truth['title']!r}")
    print(f"\n{_tag(farm_walks)} titles equal to truth: {compared - len(mismatches)}/{compared}")
    assert not mismatches, mismatches[:10]


def test_page_kinds_match_truth(farm_walks: list[SiteWalk]) -> None:
    wrong = [
        f"{url}: {walk.analyses[url].page.page_kind} != {truth['kind']}"
        for walk in farm_walks
        for url, truth in _truth_pages(walk, kinds=("home", "column", "article", "other")).items()
        if walk.analyses[url].page.page_kind != truth["kind"]
    ]
    assert not wrong, wrong[:10]


def test_page_encodings_match_truth(farm_walks: list[SiteWalk]) -> None:
    family = {"utf-8": "utf_8", "gbk": "gb18030", "gb18030": "gb18030"}
    for walk in farm_walks:
        expected = family[walk.truth["encoding"]]
        for url in walk.pages_ok:
            assert walk.analyses[url].page.encoding == expected, url


def test_unanswered_messages_match_truth(farm_walks: list[SiteWalk]) -> None:
    found = expected = 0
    for walk in farm_walks:
        truth_messages = {canonical(m["url"]): m for m in walk.truth["messages"]}
        unanswered = {url for url, m in truth_messages.items() if m["answered_at"] is None}
        assert set(walk.messages) == set(truth_messages)
        assert {url for url, m in walk.messages.items() if not m.answered} == unanswered
        for url, message in walk.messages.items():
            truth = truth_messages[url]
            assert message.asked_at is not None and message.asked_at.isoformat() == truth["asked_at"]
            answered = message.answered_at.isoformat() if message.answered_at else None
            assert answered == truth["answered_at"], url
        found += len(walk.messages)
        expected += len(unanswered)
    print(f"\n{_tag(farm_walks)} messages {found} read, {expected} unanswered, all equal to truth")


def test_every_dead_link_is_offered_for_checking(farm_walks: list[SiteWalk]) -> None:
    offered = 0
    missing: list[str] = []
    for walk in farm_walks:
        for dead in walk.truth["dead_links"]:
            source = walk.analyses.get(canonical(dead["found_on"]))
            assert source is not None, f"page {dead['found_on']} was not analysed"
            if canonical(dead["url"]) in {link.url for link in source.links}:
                offered += 1
            else:
                missing.append(f"{dead['url']} on {dead['found_on']}")
    print(f"\n{_tag(farm_walks)} dead links offered by their source page: {offered}/{offered + len(missing)}")
    assert not missing, missing[:10]


def test_soft_404_targets_are_flagged(farm_walks: list[SiteWalk]) -> None:
    for walk in farm_walks:
        expected = {
            canonical(dead["url"])
            for dead in walk.truth["dead_links"]
            if dead["error"] == "soft404" and dead["url"].startswith(walk.truth["url"])
        }
        fetched_expected = expected & set(walk.analyses)
        assert fetched_expected, "each site has soft-404 links the walk fetched"
        assert fetched_expected <= walk.soft404
        assert not walk.soft404 & walk.pages_ok


def test_pagination_pages_do_not_emit_column_items(farm_walks: list[SiteWalk]) -> None:
    paginated = listed = 0
    for walk in farm_walks:
        for url, result in walk.analyses.items():
            if result.page.page_kind == "column" and result.page.column_url != url:
                paginated += 1
                listed += result.page.list_entries > 0
                assert not any(isinstance(item, ColumnItem) for item in result.items), url
    print(f"\n{_tag(farm_walks)} pagination pages {paginated}, {listed} with entries read")
    assert paginated > 0
    # A last page holding one or two undated rows is below parse_column_listing's undated-list minimum.
    assert listed >= paginated - 2


def test_analysis_speed_on_a_mix_of_farm_pages() -> None:
    world = generate(SITES, SEED, TODAY)
    truth = build_truth(world)
    server = FarmServer(world)
    request_kind = {"home": "home", "column": "column", "article": "article", "other": "page"}
    samples: list[tuple[Fetched, str, Site]] = []
    for index, site_truth in enumerate(truth["sites"][:6]):
        site = _site(world, index, site_truth)
        host = world.host(index)
        for url, page in site_truth["pages"].items():
            if page["kind"] != "attachment" and not page["robots_disallowed"]:
                samples.append((fetch(server, host, canonical(url)), request_kind[page["kind"]], site))
    mix = {kind: sum(1 for _, k, _ in samples if k == kind) for kind in request_kind.values()}
    started = time.perf_counter()
    for got, kind, site in samples:
        analyze_page(
            body=got.body,
            url=got.url,
            final_url=got.final_url,
            status=got.status or 200,
            content_type=got.content_type,
            site=site,
            page_kind=kind,
            depth=1,
            column_name=None,
            column_level=1 if kind == "column" else None,
            column_url=None,
            listing_date=None,
            today=TODAY,
            fetched_at=FETCHED_AT,
        )
    elapsed = time.perf_counter() - started
    rate = len(samples) / elapsed
    kb = sum(len(got.body) for got, _, _ in samples) / len(samples) / 1024
    print(
        f"\n[analysis speed] analyze_page: {len(samples)} pages {mix} (avg {kb:.1f} KB) in {elapsed:.2f} s "
        f"= {rate:.0f} pages/s"
    )
    assert rate > 20, "analysis fell below 20 pages/s on one core: something is pathologically slow"


# --- broken input and units ----------------------------------------------------------------------

SITE = Site(
    site_id="5101000001",
    name="成都市人民政府",
    url="http://www.example.gov.cn/",
    level="city",
    region="成都市",
    department="",
)


def _analyze(
    body: bytes,
    *,
    kind: str = "page",
    status: int = 200,
    content_type: str = "text/html",
    url: str = "http://www.example.gov.cn/a/b.html",
    **context: Any,
) -> PageAnalysis:
    arguments: dict[str, Any] = {
        "column_name": None,
        "column_level": None,
        "column_url": None,
        "listing_date": None,
        **context,
    }
    return analyze_page(
        body=body,
        url=url,
        final_url=url,
        status=status,
        content_type=content_type,
        site=SITE,
        page_kind=kind,
        depth=1,
        today=TODAY,
        fetched_at=FETCHED_AT,
        **arguments,
    )


BROKEN_INPUTS = [
    pytest.param(b"", "text/html", id="empty"),
    pytest.param(b"\x00\xff\xfe\x81garbage\x00\x00", "text/html", id="garbage-bytes"),
    pytest.param(
        b"<html><head><title>\xe6\xb5\x8b\xe8\xaf\x95</title></head><body><ul><li><a href='/x",
        "text/html",
        id="truncated",
    ),
    pytest.param(
        b"<?xml version='1.0' encoding='gb2312'?><html><body>\x01\x02<a href='/c'>c</a></body></html>",
        "text/html",
        id="xml-declaration-and-controls",
    ),
    pytest.param(b"<html>" + b"<div>" * 5000 + b"deep", "text/html", id="deep-nesting"),
    pytest.param(b"\xd0\xcf\x11\xe0" + bytes(60), "", id="undeclared-binary"),
    pytest.param(
        b"<html><body><a href='javascript:void(0)'>x</a><a href='http://[::1'>y</a></body></html>",
        "text/html",
        id="bad-hrefs",
    ),
]


@pytest.mark.parametrize(("body", "content_type"), BROKEN_INPUTS)
@pytest.mark.parametrize("kind", ["home", "column", "article", "page"])
def test_broken_input_never_raises(body: bytes, content_type: str, kind: str) -> None:
    result = _analyze(body, kind=kind, content_type=content_type)
    assert result.page.content_hash and result.page.body_bytes == len(body)
    assert result.page.out_links == len(result.links)
    assert all(link.url.startswith("http") for link in result.links)


def test_truncated_page_keeps_what_it_could_read() -> None:
    body = (
        "<html><head><title>测试页_成都市人民政府</title></head><body><p>这是一段足够长的正文，说明页面不是错误页面。</p>"
        "<a href='/x/y.html'>链接</a><ul><li>"
    ).encode()
    result = _analyze(body)
    assert result.page.title == "测试页"
    assert [link.url for link in result.links] == ["http://www.example.gov.cn/x/y.html"]


@pytest.mark.parametrize(
    ("content_type", "body", "page_kind"),
    [
        ("application/pdf", b"%PDF-1.4 ...", "attachment"),
        ("text/plain", b"plain words, no markup", "other"),
        ("", b"PK\x05\x06" + bytes(18), "attachment"),
    ],
)
def test_non_html_answers_get_a_page_item_and_no_links(
    content_type: str, body: bytes, page_kind: str
) -> None:
    result = _analyze(body, content_type=content_type)
    assert result.links == [] and result.items == []
    assert result.page.page_kind == page_kind
    assert result.page.encoding is None


def test_failed_first_column_page_is_a_dead_empty_column() -> None:
    result = _analyze(
        b"<html><body><h1>404</h1></body></html>",
        kind="column",
        status=404,
        column_name="通知公告",
        column_level=1,
    )
    assert result.links == []
    [column] = result.items
    assert isinstance(column, ColumnItem)
    assert (column.type, column.empty, column.stale, column.entries) == ("notice", True, True, 0)
    paginated = _analyze(
        b"",
        kind="column",
        status=404,
        column_name="通知公告",
        column_level=1,
        column_url="http://www.example.gov.cn/tzgg/",
    )
    assert paginated.items == []


def test_soft_404_column_page_is_dead() -> None:
    body = "<html><head><title>页面不存在</title></head><body><h1>页面不存在</h1></body></html>".encode()
    result = _analyze(body, kind="column", column_name="工作动态", column_level=1)
    assert result.soft404 and result.links == []
    [column] = result.items
    assert isinstance(column, ColumnItem) and column.empty and column.type == "news"


@pytest.mark.parametrize(
    ("name", "overrides", "expected_type", "stale"),
    [
        ("信访工作", None, "exempt", False),
        ("通知公告", None, "notice", True),
        ("通知公告", {"http://www.example.gov.cn/tzgg/": ColumnOverride(exempt=True)}, "exempt", False),
        (
            "其他",
            {"http://www.example.gov.cn/tzgg/": ColumnOverride(column_class=ColumnClass.NEWS)},
            "news",
            True,
        ),
    ],
)
def test_dead_column_item(
    name: str, overrides: dict[str, ColumnOverride] | None, expected_type: str, stale: bool
) -> None:
    item = dead_column_item(
        site=SITE,
        url="http://www.example.gov.cn/tzgg/",
        name=name,
        level=2,
        today=TODAY,
        checked_at=FETCHED_AT,
        overrides=overrides,
    )
    assert (item.type, item.stale, item.empty, item.level, item.region) == (
        expected_type,
        stale,
        True,
        2,
        "成都市",
    )
    assert item.override == (overrides is not None)


GBK_COLUMN = (
    "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
    "<title>人事任免_成都市人民政府</title><META NAME='columntype' CONTENT='rsxx'>"
    "<meta name='SiteIDCode' content='5101000001'></head><body>"
    "<div class='nav'><ul><li><a href='/'>首页</a></li><li><a href='/rsrm/'>人事任免</a></li></ul></div>"
    "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/zwgk/'>政务公开</a> &gt; 人事任免</div>"
    "<div class='left_menu'><ul><li><a href='/rsrm/gwy/'>公务员招录</a></li>"
    "<li><a href='/rsrm/sydw/'>事业单位招聘</a></li>"
    "</ul></div><ul class='list'>"
    "<li><a href='/rsrm/t20261101_1.html'>关于王䶮等同志职务任免的通知</a><span>2026-11-01</span></li>"
    "<li><a href='/rsrm/t20261010_2.html'>关于李镕同志任职的通知</a><span>2026-10-10</span></li>"
    "<li><a href='/files/rm.pdf'>任免名单附件下载</a><span>2026-09-01</span></li></ul>"
    "<div class='page'><a href='/rsrm/index_1.html'>下一页</a></div>"
    "<div class='footer'><a href='/jiucuo.html'>我为政府网站找错</a></div></body></html>"
)


def test_column_page_in_gb18030_with_meta_crumb_and_sub_menu() -> None:
    body = GBK_COLUMN.encode("gb18030")
    result = _analyze(
        body,
        kind="column",
        content_type="text/html",
        url="http://www.example.gov.cn/rsrm/",
        column_name="人事任免",
        column_level=1,
    )
    page = result.page
    assert page.title == "人事任免" and page.encoding == "gb18030"
    assert page.meta == {"ColumnType": "rsxx", "SiteIDCode": "5101000001"}
    [column] = result.items
    assert isinstance(column, ColumnItem)
    assert (column.type, column.entries, column.latest_date, column.stale, column.empty) == (
        "personnel",
        3,
        date(2026, 11, 1),
        False,
        False,
    )
    assert column.parent_url == "http://www.example.gov.cn/zwgk/"
    by_url = {link.url: link for link in result.links}
    article = by_url["http://www.example.gov.cn/rsrm/t20261101_1.html"]
    assert (article.crawl, article.listing_date, article.column_url) == (
        "article",
        date(2026, 11, 1),
        "http://www.example.gov.cn/rsrm/",
    )
    assert by_url["http://www.example.gov.cn/files/rm.pdf"].crawl == "check"
    next_page = by_url["http://www.example.gov.cn/rsrm/index_1.html"]
    assert (next_page.crawl, next_page.column_url, next_page.column_name) == (
        "column",
        "http://www.example.gov.cn/rsrm/",
        "人事任免",
    )
    subs = {link.column_name: link.column_level for link in result.links if link.crawl == "column"}
    # The crumb parent is a column too; its level is judged on its own page.
    assert subs == {"人事任免": 1, "公务员招录": 2, "事业单位招聘": 2, "政务公开": None}
    assert by_url["http://www.example.gov.cn/jiucuo.html"].crawl == "page"


@pytest.mark.parametrize(
    ("trail", "article"),
    [
        ("<a href='/'>首页</a> &gt; <a href='/tzgg/'>通知公告</a>", True),
        ("<a href='/'>首页</a> &gt; <a href='/tzgg/'>通知公告</a> &gt; 正文", True),
        ("<a href='/'>首页</a> &gt; 通知公告", False),
        ("", False),
    ],
)
def test_undated_page_without_meta_is_an_article_by_trail_and_heading(trail: str, article: bool) -> None:
    body = (
        "<html><head><title>关于开展安全生产检查的通知_成都市人民政府</title></head><body>"
        f"<div class='crumb'>当前位置：{trail}</div><h1>关于开展安全生产检查的通知</h1>"
        "<p>为深入贯彻落实有关工作部署，结合实际，扎实推进相关工作。</p></body></html>"
    ).encode()
    page = _analyze(body).page
    assert page.page_kind == ("article" if article else "other")
    assert page.pub_date is None


@pytest.mark.parametrize(("guessed", "source"), [(False, "listing"), (True, "listing_guessed")])
def test_a_date_only_a_month_day_list_gave_is_marked_guessed(guessed: bool, source: str) -> None:
    body = ("<html><head><title>关于开展安全生产检查的通知</title></head><body>"
            "<h1>关于开展安全生产检查的通知</h1><p>为深入贯彻落实有关工作部署，结合实际，扎实推进相关工作。</p></body></html>").encode()
    page = _analyze(body, kind="article", listing_date=date(2026, 11, 8), listing_year_guessed=guessed).page
    assert (page.pub_date, page.pub_date_source) == (date(2026, 11, 8), source)


def test_page_request_showing_an_article_is_read_as_one() -> None:
    body = (
        "<html><head><title>关于开展安全生产检查的通知_通知公告_成都市人民政府</title>"
        "<meta name='ColumnName' content='通知公告'></head><body>"
        "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/tzgg/'>通知公告</a></div>"
        "<h1>关于开展安全生产检查的通知</h1><p>发布日期：2026-11-20</p><p>正文。</p></body></html>"
    ).encode()
    result = _analyze(body)
    page = result.page
    assert (page.page_kind, page.pub_date, page.pub_date_source) == ("article", date(2026, 11, 20), "label")
    assert page.title == "关于开展安全生产检查的通知"
    assert page.column_url == "http://www.example.gov.cn/tzgg/"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("工作动态_成都市人民政府", "工作动态"),
        ("成都市人民政府 - 工作动态", "工作动态"),
        ("成都市人民政府", "成都市人民政府"),
        ("成都市人民政府网站建设情况", "成都市人民政府网站建设情况"),
        ("", "标题"),
    ],
)
def test_page_title_drops_the_site_name(title: str, expected: str) -> None:
    tree = parse_html(f"<html><head><title>{title}</title></head><body><h1>标题</h1></body></html>")
    assert page_title(tree, {}, "成都市人民政府", article=False) == expected


def test_crawlable_excludes_checks() -> None:
    links = [
        OutLink(url="http://a/1", crawl="page", target_kind="page"),
        OutLink(url="http://a/x.pdf", crawl="check", target_kind="attachment"),
    ]
    assert [link.url for link in crawlable(links)] == ["http://a/1"]


def _iter_items(walks: list[SiteWalk]) -> Iterator[ColumnItem | MessageItem]:
    for walk in walks:
        for result in walk.analyses.values():
            yield from result.items


def test_items_carry_the_site_context(farm_walks: list[SiteWalk]) -> None:
    for item in _iter_items(farm_walks):
        if isinstance(item, ColumnItem):
            assert item.region and item.site_id
    for walk in farm_walks:
        for result in walk.analyses.values():
            assert result.page.region == walk.truth["region"] and result.page.level == walk.truth["level"]


@pytest.mark.parametrize("kind", ["home", "column", "page"])
def test_a_page_past_the_link_limit_is_cut_and_says_so(kind: str) -> None:
    entries = "".join(f'<a href="/art/{i}.html">第{i}号通知标题</a> 2026-11-20<br>' for i in range(12_000))
    body = f"<html><body><div class='list'>{entries}</div></body></html>".encode()
    analysis = _analyze(body, kind=kind, limits=PageLimits(max_links=3000, max_text_chars=10_000_000))
    assert analysis.page.capped == ["links"]
    page_links = [link for link in analysis.links if link.url.startswith("http://www.example.gov.cn/art/")]
    assert len(page_links) == 3000


def test_a_page_past_the_text_limit_is_cut_and_says_so() -> None:
    body = "<html><body><p>" + "信息公开" * 75_000 + "</p><a href='/late.html'>后面的链接</a></body></html>"
    analysis = _analyze(body.encode(), limits=PageLimits(max_links=5000, max_text_chars=100_000))
    assert analysis.page.capped == ["text"]
    assert all("late" not in link.url for link in analysis.links)
    assert _analyze(body.encode()).page.capped == []


def test_a_page_of_text_linked_as_a_column_is_no_column() -> None:
    body = ("<html><head><title>政府信息公开指南</title></head><body><h1>政府信息公开指南</h1>"
            + "<p>为了保障公民、法人和其他组织依法获取政府信息，提高政府工作的透明度，特编制本指南。</p>" * 3
            + "</body></html>").encode()
    analysis = _analyze(body, kind="column", column_name="公开指南", column_level=2)
    assert analysis.items == []
    assert analysis.page.page_kind in ("other", "article")
    placeholder = "<html><body><div class='list'>暂无信息</div></body></html>".encode()
    (empty,) = _analyze(placeholder, kind="column", column_name="通知公告", column_level=2).items
    assert isinstance(empty, ColumnItem) and empty.empty


def test_short_titles_in_a_channels_blocks_are_articles_not_sub_columns() -> None:
    def block(column: str, name: str) -> str:
        items = "".join(f"<li><a href='/{column}/2026/{i}.html'>短标题第{i}篇</a>"
                        f"<span>2026-11-{i + 10}</span></li>" for i in range(4))
        return (f"<div class='lm-box'><div class='lm-title'><a href='/{column}/index.html'>{name}</a>"
                f"<a class='more' href='/{column}/index.html'>更多&gt;&gt;</a></div><ul>{items}</ul></div>")
    blocks = block("gzdt", "工作动态") + block("tzgg", "通知公告")
    body = f"<html><body><div class='channel'>{blocks}</div></body></html>"
    analysis = _analyze(body.encode(), kind="column", column_name="新闻中心", column_level=1,
                        url="http://www.example.gov.cn/xwzx/index.html")
    assert analysis.page.page_kind == "channel" and analysis.items == []
    kinds = {link.url.removeprefix("http://www.example.gov.cn"): link.crawl for link in analysis.links}
    assert kinds["/gzdt/index.html"] == kinds["/tzgg/index.html"] == "column"
    assert {kinds[f"/gzdt/2026/{i}.html"] for i in range(4)} == {"article"}


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"data": [{"title": "x", "url": ', "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"<?xml version='1.0'?><datastore><recordset><record><![CDATA[<li><a href='/a", "text/xml"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"total": 46, "size": 0, "page": 1, "data": []}', "application/json"),  # no page size to divide by
    (b'{"total": "many", "size": 20, "data": [{"title": "x"}]}', "application/json"),
])
def test_a_broken_data_list_is_no_list_and_no_error(body: bytes, content_type: str) -> None:
    analysis = _analyze(body, kind="column", content_type=content_type, column_name="通知公告",
                        column_url="http://www.example.gov.cn/tzgg/index.html", lists_column=True)
    assert [link for link in analysis.links if link.crawl in ("article", "column")] == []  # no further pages
    for item in analysis.items:
        assert isinstance(item, ColumnItem) and item.url == "http://www.example.gov.cn/tzgg/index.html"
        assert item.entries == 0


_API_SHELL = """<html><head><title>征集调查</title></head><body><h2>征集调查</h2>
<div class="list-box"><div id="list"></div><div id="pager"></div><script>
var api = '/api/column/133/articles?page=1&size=20';
function render(res){var h='';if(!res.data.length){h='<p>暂无数据</p>';}
for(var i=0;i<res.data.length;i++){var d=res.data[i];h+='<li><a href="'+d.url+'">'+d.title+'</a></li>';}
document.getElementById('list').innerHTML='<ul>'+h+'</ul>';}
fetch(api).then(function(r){return r.json();}).then(render);
</script></div></body></html>"""


def test_a_column_shell_loads_its_list_from_the_address_its_script_keeps_in_a_variable() -> None:
    # The 暂无数据 the script would write for an empty answer is not on the page: the shell is no empty
    # column, its list lives at the data address.
    analysis = _analyze(_API_SHELL.encode(), kind="column", column_name="征集调查", column_level=2,
                        url="http://www.example.gov.cn/hdjl/zjdc/")
    assert analysis.items == []
    [source] = [link for link in analysis.links if link.lists_column]
    assert source.url == "http://www.example.gov.cn/api/column/133/articles?page=1&size=20"
    assert (source.crawl, source.column_url) == ("column", "http://www.example.gov.cn/hdjl/zjdc/")


def test_a_data_answer_with_records_and_a_page_size_names_its_further_pages() -> None:
    rows = ",".join(f'{{"title": "第{n}条公告", "url": "/content/133/2026110{n}/{n}.html",'
                    f' "publishTime": "2026-11-0{n}T10:23:00+08:00"}}' for n in range(1, 4))
    body = f'{{"code": 200, "total": 46, "page": 1, "size": 20, "data": [{rows}]}}'.encode()
    analysis = _analyze(body, kind="column", content_type="application/json;charset=UTF-8",
                        column_name="征集调查", column_url="http://www.example.gov.cn/hdjl/zjdc/",
                        url="http://www.example.gov.cn/api/column/133/articles?page=1&size=20",
                        lists_column=True)
    [column] = analysis.items
    assert isinstance(column, ColumnItem) and column.latest_date == date(2026, 11, 3)
    pages = {link.url.removeprefix("http://www.example.gov.cn") for link in analysis.links
             if link.crawl == "column"}
    assert pages == {"/api/column/133/articles?page=2&size=20", "/api/column/133/articles?page=3&size=20"}


def test_a_column_reads_the_xml_data_island_its_script_renders() -> None:
    records = "".join(f"<record><title><![CDATA[关于做好第{n}项工作的通知]]></title>"
                      f"<link>/content/109/2026110{n}/{n}.html</link><pubdate>2026-11-0{n}</pubdate></record>"
                      for n in range(1, 4))
    body = (f"<html><head><title>通知公告</title></head><body><h2>通知公告</h2><div class='list-box'>"
            f"<xml id='listData' style='display:none'><records>{records}</records></xml><ul id='list'></ul>"
            "<script>var rs=document.getElementById('listData').getElementsByTagName('record');</script>"
            "</div></body></html>")
    analysis = _analyze(body.encode(), kind="column", column_name="通知公告", column_level=1,
                        url="http://www.example.gov.cn/xwzx/tzgg/")
    [column] = analysis.items
    assert isinstance(column, ColumnItem) and (column.entries, column.latest_date) == (3, date(2026, 11, 3))
    articles = {link.url.removeprefix("http://www.example.gov.cn") for link in analysis.links
                if link.crawl == "article"}
    assert articles == {f"/content/109/2026110{n}/{n}.html" for n in range(1, 4)}
