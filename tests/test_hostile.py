"""Hostile servers beside healthy farm sites in one `once=1` crawl: what each leaves, what it costs.

tests/hostile_server.py serves one misbehaving site per kind (pages of 10k/50k/100k links in one
container, rows nested past the parser's depth, a gzip bomb, 50 MB pages, slowloris, a redirect loop
and a 25-hop chain, a calendar and a growing path, broken encodings, and a page linking the failing
ones) on 127.0.14.x; the farm serves four clean world-a sites on 127.0.15.x.
Per hostile site the tests assert the record it leaves in Elasticsearch, the time the worker spent on
it (the site's own log of visits), and for the whole crawl the worker's peak memory (VmHWM, read from
/proc while it runs), its longest reactor stall, and that every healthy page was stored.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import Elasticsearch, helpers
from w3lib.url import canonicalize_url

from tests.conftest import CRAWL_SETTINGS, Env, run_farm, service_prefixes
from tests.hostile_server import (
    ENCODING_TITLES,
    LINKED_KINDS,
    UNCLOSED_ROWS,
    HostileSites,
    serve_hostile_sites,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import RunningFarm

PAGE_BUDGET = 300  # pages per site and cycle in this crawl: above every healthy site's (at most 182) and the
# unclosed-tags site's (about 252 links)
TIMEOUT_SECONDS = 2.5  # CRAWL_SETTINGS' GOVCRAWL_CRAWL_TIMEOUT_SECONDS
PEAK_MEMORY_MB = 300  # the worker's VmHWM over the whole crawl (182 MB measured)
REACTOR_STALL_MS = 1500  # the longest the reactor was held at once (about a second; 2 shared cores)


@dataclass(slots=True)
class MemorySampler:
    """Reads a process's VmHWM from /proc every 0.1 s until it exits (for at most `limit_seconds`)."""

    pid: int
    limit_seconds: float
    peak_kb: int = 0
    reads: int = 0

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_seconds
        status = Path(f"/proc/{self.pid}/status")
        while time.monotonic() < deadline:
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            except (FileNotFoundError, ProcessLookupError):
                return
            if "VmHWM" not in fields:  # a zombie: the worker has exited
                return
            self.peak_kb = max(self.peak_kb, int(fields["VmHWM"].split()[0]))
            self.reads += 1
            time.sleep(0.1)


@dataclass(slots=True)
class HostileCrawl:
    env: Env
    hostile: HostileSites
    farm: RunningFarm
    log: str
    returncode: int
    seconds: float
    memory: MemorySampler
    pages: dict[str, list[dict[str, Any]]]  # by site id
    probes: dict[str, list[dict[str, Any]]]
    links: dict[str, list[dict[str, Any]]]

    def stat(self, key: str) -> int:
        marker = f"'{key}': "
        start = self.log.rfind(marker)
        if start < 0:
            return 0
        digits = self.log[start + len(marker):].split(",", 1)[0].split("}", 1)[0]
        return int(digits)

    def site_pages(self, kind: str) -> list[dict[str, Any]]:
        return self.pages.get(self.hostile.site_id(kind), [])

    def home(self, kind: str) -> dict[str, Any]:
        url = self.hostile.sites[kind].url
        homes = [page for page in self.site_pages(kind) if page["url"] == url]
        assert homes, f"{kind}: no page document for its home page {url}"
        return homes[0]


def _by_site(es: Elasticsearch, index: str) -> dict[str, list[dict[str, Any]]]:
    documents: dict[str, list[dict[str, Any]]] = {}
    for hit in helpers.scan(es, index=index, query={"query": {"match_all": {}}}):
        documents.setdefault(hit["_source"]["site_id"], []).append(hit["_source"])
    return documents


def _crawl(worker: subprocess.Popen[str], memory: MemorySampler, timeout: float) -> tuple[str, int]:
    sampler = threading.Thread(target=memory.run, daemon=True)
    sampler.start()
    try:
        output, _ = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate(timeout=10)
        raise
    sampler.join(timeout=5)
    return output, worker.returncode


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory, redis_url: str, es_url: str
                  ) -> Iterator[HostileCrawl]:
    work = tmp_path_factory.mktemp("hostile")
    with (service_prefixes(redis_url, es_url) as (redis_prefix, es_prefix),
          serve_hostile_sites("127.0.14.1") as hostile,
          run_farm(work / "farm", sites=4, seed=5, base_ip="127.0.15.1",
                   extra=("--fault-rate", "0")) as farm):
        env = Env(redis_url, es_url, redis_prefix, es_prefix, work / "spool")
        registry = work / "registry.csv"
        registry.write_text(farm.registry.read_text(encoding="utf-8").rstrip("\n") + "\n"
                            + "\n".join(hostile.registry_rows()) + "\n", encoding="utf-8")
        seeded = env.scrapy("seed", str(registry))
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        started = time.monotonic()
        worker = env.popen("crawl", "govsite", "-a", "once=1", settings=(
            *CRAWL_SETTINGS, "-s", f"GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE={PAGE_BUDGET}",
            "-s", "GOVCRAWL_ES_FLUSH_SECONDS=0.5"))
        memory = MemorySampler(worker.pid, limit_seconds=240)
        log, returncode = _crawl(worker, memory, timeout=240)
        seconds = time.monotonic() - started
        es = Elasticsearch(es_url, request_timeout=30)
        try:
            pages = _by_site(es, f"{es_prefix}-pages")
            probes = _by_site(es, f"{es_prefix}-probes")
            links = _by_site(es, f"{es_prefix}-links")
        finally:
            es.close()
        yield HostileCrawl(env, hostile, farm, log, returncode, seconds, memory, pages, probes, links)


def test_the_crawl_ends_with_bounded_memory_and_reactor_stalls(hostile_crawl: HostileCrawl) -> None:
    crawl = hostile_crawl
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "Every registered site's cycle is done" in crawl.log
    assert "Traceback" not in crawl.log, crawl.log[crawl.log.index("Traceback") - 2000:][:5000]
    assert crawl.memory.reads > 10, "the worker's memory was hardly read"
    assert crawl.memory.peak_kb / 1024 < PEAK_MEMORY_MB, f"peak {crawl.memory.peak_kb / 1024:.0f} MB"
    stall = crawl.stat("govcrawl/frontier/reactor_stall_max_ms")
    assert 0 < stall <= REACTOR_STALL_MS, f"the reactor was held for {stall} ms at once"


def test_every_healthy_page_is_stored(hostile_crawl: HostileCrawl) -> None:
    stored = {canonicalize_url(page["url"]) for pages in hostile_crawl.pages.values() for page in pages
              if page["status"] == 200}
    expected = {canonicalize_url(url) for url in hostile_crawl.farm.crawlable_pages()}
    missing = expected - stored
    assert len(expected) > 400
    assert not missing, f"{len(missing)} of {len(expected)} healthy pages missing, e.g. {sorted(missing)[:5]}"


# kind, the error kind its home page and probe record, the longest the worker may spend on the site
FAILURES = [
    ("gzip-bomb", "decompression_limit", 5.0),
    ("huge-declared", "too_large", 5.0),
    ("huge-streamed", "too_large", 5.0),
    ("slow-headers", "timeout", 2 * TIMEOUT_SECONDS + 5),  # tried twice (RETRY_TIMES = 1)
    ("slow-body", "timeout", 2 * TIMEOUT_SECONDS + 5),
    ("redirect-loop", "redirect_loop", 5.0),
    ("redirect-chain", "too_many_redirects", 5.0),
]


@pytest.mark.parametrize(("kind", "error", "max_seconds"), FAILURES, ids=[row[0] for row in FAILURES])
def test_a_hostile_home_page_leaves_its_error_kind(hostile_crawl: HostileCrawl, kind: str, error: str,
                                                  max_seconds: float) -> None:
    crawl = hostile_crawl
    home = crawl.home(kind)
    assert (home["status"], home["error"]) == (0, error)
    probes = crawl.probes.get(crawl.hostile.site_id(kind), [])
    assert [(probe["ok"], probe["error"]) for probe in probes] == [(False, error)]
    site = crawl.hostile.sites[kind]
    assert site.busy_seconds() <= max_seconds, f"{kind}: the worker spent {site.busy_seconds():.1f} s on it"


# kind, the error kind a link check of its home page records (checks read at most 4 MB and are not retried)
LINK_CHECKS = [(kind, error) for kind, error, _ in FAILURES]


@pytest.mark.parametrize(("kind", "error"), LINK_CHECKS, ids=[row[0] for row in LINK_CHECKS])
def test_a_link_to_a_hostile_page_leaves_its_error_kind(hostile_crawl: HostileCrawl, kind: str, error: str
                                                       ) -> None:
    assert kind in LINKED_KINDS
    crawl = hostile_crawl
    linker = crawl.hostile.sites["linker"].url
    target = crawl.hostile.sites[kind].url
    found = [(link["ok"], link["error"]) for link in crawl.links.get(crawl.hostile.site_id("linker"), [])
             if link["url"] == target and link["found_on"] == linker]
    assert found == [(False, error)]


# links, the limits the page hits: past 2M characters (GOVCRAWL_CRAWL_MAX_PAGE_TEXT_CHARS) the text too
LINK_PAGES = [(10_000, ["links"]), (50_000, ["text", "links"]), (100_000, ["text", "links"])]


@pytest.mark.parametrize(("links", "capped"), LINK_PAGES, ids=[str(row[0]) for row in LINK_PAGES])
def test_a_page_of_many_links_in_one_container_is_cut_at_the_link_cap(hostile_crawl: HostileCrawl,
                                                                      links: int, capped: list[str]) -> None:
    crawl = hostile_crawl
    kind = f"links-{links}"
    home = crawl.home(kind)
    assert (home["status"], home["error"], home["capped"]) == (200, None, capped)
    assert 4_990 <= home["out_links"] <= 5_000  # the cap (GOVCRAWL_CRAWL_MAX_PAGE_LINKS), less none
    # Its links are followed up to the site's page budget: the home page, the not-found probe and the rest.
    articles = [page for page in crawl.site_pages(kind) if page["url"] != home["url"]]
    assert len(articles) == PAGE_BUDGET - 2
    assert all(page["status"] == 200 and page["title"].startswith("目录条目") for page in articles)
    # The other links of the cap were offered and refused by the budget (three such sites in this crawl).
    assert crawl.stat("govcrawl/skipped/capped_links") == len(LINK_PAGES)
    assert crawl.stat("govcrawl/skipped/page_budget") >= len(LINK_PAGES) * (4_990 - PAGE_BUDGET)
    site = crawl.hostile.sites[kind]
    assert site.busy_seconds() <= 30, f"{kind}: the worker spent {site.busy_seconds():.1f} s on it"
    fetched = [datetime.fromisoformat(page["fetched_at"]) for page in crawl.site_pages(kind)]
    assert (max(fetched) - min(fetched)).total_seconds() <= 30


def test_rows_nested_past_the_parsers_depth_are_reported_as_cut(hostile_crawl: HostileCrawl) -> None:
    # Each row opens a <div> it never closes; libxml2 drops what lies deeper than 256 levels.
    crawl = hostile_crawl
    home = crawl.home("unclosed-tags")
    assert (home["status"], home["error"], home["capped"]) == (200, None, ["nesting"])
    assert 240 <= home["out_links"] < UNCLOSED_ROWS
    articles = [page for page in crawl.site_pages("unclosed-tags") if page["url"] != home["url"]]
    assert len(articles) == home["out_links"]
    assert crawl.stat("govcrawl/skipped/capped_nesting") == 1
    site = crawl.hostile.sites["unclosed-tags"]
    assert site.busy_seconds() <= 30, f"the worker spent {site.busy_seconds():.1f} s on it"


@pytest.mark.parametrize("kind", ["calendar-trap", "growing-path"])
def test_an_endless_site_is_stopped_early(hostile_crawl: HostileCrawl, kind: str) -> None:
    crawl = hostile_crawl
    pages = crawl.site_pages(kind)
    repeated = [page for page in pages if page["repeated"]]
    assert repeated, f"{kind}: no page was recognised as repeating another"
    assert len(pages) <= 50, f"{kind}: {len(pages)} pages stored"
    site = crawl.hostile.sites[kind]
    assert site.busy_seconds() <= 30, f"{kind}: the worker spent {site.busy_seconds():.1f} s on it"


@pytest.mark.parametrize("kind", sorted(ENCODING_TITLES))
def test_a_badly_encoded_page_is_read(hostile_crawl: HostileCrawl, kind: str) -> None:
    crawl = hostile_crawl
    home_title, article_title = ENCODING_TITLES[kind]
    home = crawl.home(kind)
    assert (home["status"], home["error"], home["title"]) == (200, None, home_title)
    articles = [page for page in crawl.site_pages(kind) if page["url"].endswith("/art/1.html")]
    assert [(page["status"], page["title"]) for page in articles] == [(200, article_title)]
    site = crawl.hostile.sites[kind]
    assert site.busy_seconds() <= 10, f"{kind}: the worker spent {site.busy_seconds():.1f} s on it"
