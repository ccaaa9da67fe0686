"""The sharded scheduler in real crawls: a bad stored request never stops the feed; leases retaken quietly."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any, TypeVar

import redis.asyncio
from elasticsearch import helpers
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.scheduler import codec
from crawler.scheduler.frontier import QUEUED, Frontier, Offer
from crawler.scheduler.sharded import frontier_config_from_settings
from tests.conftest import CRAWL_SETTINGS, free_port, run_farm, terminate

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env

SITE_ID = "5101000001"
T = TypeVar("T")


def _frontier_settings(env: Env) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings)
    settings.set("GOVCRAWL_REDIS_PREFIX", env.redis_prefix)
    return settings


def _inject(env: Env, links: list[Offer]) -> list[int]:
    """Put links straight into the frontier, as a page of an older crawl would have queued them."""
    async def main() -> list[int]:
        client = redis.asyncio.Redis.from_url(env.redis_url)
        try:
            return await Frontier(client, frontier_config_from_settings(_frontier_settings(env))).admit(links)
        finally:
            await client.aclose()

    return asyncio.run(main())


def _bad_link(url: str, *, kind: str, waiter: dict[str, Any] | None = None) -> Offer:
    meta = {"site_id": SITE_ID, "page_kind": kind, "depth": 1, "cycle": 1, "govcrawl_url": url,
            "target_kind": "page"}
    return Offer(url=url, host="127.0.0.1", site_id=SITE_ID if kind != "check" else "@check",
                request=codec.request_dict(url, callback="parse_check" if kind == "check" else "parse",
                                           errback="on_error", meta=meta),
                interval_seconds=86400.0, waiter=waiter)


def test_a_request_that_cannot_be_rebuilt_is_recorded_and_the_crawl_finishes(
        env: Env, es_client: Elasticsearch, redis_client: redis.Redis, tmp_path: Path) -> None:
    # The site's home page answers nothing (a closed port): its cycle ends as soon as it is tried.
    home = f"http://127.0.0.1:{free_port()}/"
    registry = tmp_path / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        f"{SITE_ID},成都市人民政府,{home},city,成都市,\n", encoding="utf-8")
    seeded = env.scrapy("seed", str(registry))
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    article, checked = "http://127.0.0.1:99999/a.html", "http://127.0.0.1:99999/b.html"
    waiter = codec.Waiter(site_id=SITE_ID, found_on=home, on_homepage=True, target_kind="page",
                          anchor_text="办事指南", cycle=1, region="成都市", level="city").record()
    injected = _inject(env, [_bad_link(article, kind="article"),
                             _bad_link(checked + "#govcrawl-check", kind="check", waiter=waiter)])
    assert injected == [QUEUED, QUEUED]
    # And a payload that is not even JSON, as a corrupted queue entry would be.
    shard = frontier_config_from_settings(_frontier_settings(env))
    redis_client.zadd(f"{env.redis_prefix}:queue:{codec.shard_of('127.0.0.1', shard.shards)}",
                      {b"\x00" * 8 + b"{not json": 0})

    # robots.txt off: Scrapy logs a traceback of its own for a robots.txt it cannot fetch.
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=90,
                       settings=(*CRAWL_SETTINGS, "-s", "GOVCRAWL_CRAWL_ROBOTS_ENABLED=False"))

    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert crawl.stderr.count("Dropped a stored request Scrapy cannot rebuild") == 3, crawl.stderr[-3000:]
    assert "Unreadable request in the frontier" in crawl.stderr
    assert "Port out of range" in crawl.stderr
    assert "Scheduler close failure" not in crawl.stderr
    assert "Traceback" not in crawl.stderr
    assert "Every registered site's cycle is done" in crawl.stderr
    pages = {hit["_source"]["url"]: hit["_source"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}
    assert pages[article]["error"] == "invalid_url"
    assert pages[article]["site_id"] == SITE_ID
    assert pages[home]["error"] == "refused"
    links = [hit["_source"] for hit in helpers.scan(es_client, index=f"{env.es_prefix}-links",
                                                     query={"query": {"match_all": {}}})]
    assert [(link["url"], link["found_on"], link["error"]) for link in links] == [
        (checked, home, "invalid_url")]


def _lease_owners(client: redis.Redis, env: Env) -> list[bytes | None]:
    return client.mget([f"{env.redis_prefix}:lease:{shard}" for shard in range(64)])


def test_a_lone_worker_whose_leases_vanished_takes_them_again_without_blaming_another(
        env: Env, redis_client: redis.Redis) -> None:
    quick = ("-s", "GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS=0.5", "-s", "GOVCRAWL_METRICS_ENABLED=False")
    worker = env.popen("crawl", "govsite", settings=(*CRAWL_SETTINGS, *quick))
    try:
        owners = _wait_for(lambda: _lease_owners(redis_client, env),
                           lambda found: None not in found and len(set(found)) == 1)
        # What a Redis restart without the lease keys looks like to the worker.
        redis_client.delete(*(f"{env.redis_prefix}:lease:{shard}" for shard in range(64)))
        _wait_for(lambda: _lease_owners(redis_client, env), lambda found: found == owners)
    finally:
        log = terminate(worker)
    assert "another worker took it over" not in log
    assert log.count("Leases on 64 shards had expired") == 1, log[-3000:]
    assert "unacknowledged requests redelivered" not in log


def _wait_for(read: Callable[[], T], done: Callable[[T], bool], seconds: float = 30) -> T:
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still {value!r} after {seconds}s"
        time.sleep(0.1)


def test_a_callback_that_raises_is_recorded_and_acknowledged_and_the_crawl_finishes(
        env: Env, es_client: Elasticsearch, tmp_path: Path) -> None:
    with run_farm(tmp_path / "farm", sites=2, seed=11, base_ip="127.0.16.1") as farm:
        seeded = env.scrapy("seed", str(farm.registry))
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        modules = ("-s", "SPIDER_MODULES=crawler.spiders,tests.raising_spider")
        crawl = env.scrapy("crawl", "govsite_raising", "-a", "once=1", "-a", "raise_on=/art_4", timeout=180,
                           settings=(*CRAWL_SETTINGS, *modules))
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "Every registered site's cycle is done" in crawl.stderr, crawl.stderr[-3000:]
    raised = {line.rsplit(" ", 1)[-1] for line in crawl.stderr.splitlines()
              if "Raising in the parse of" in line}
    assert raised, "the planted failure never ran"
    recorded = re.findall(r"The analysis of (\S+) failed \(RuntimeError: planted failure in the parse of "
                          r"\S+\): recorded as parse_error and acknowledged", crawl.stderr)
    assert sorted(recorded) == sorted(raised)
    pages = {hit["_source"]["url"]: hit["_source"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}
    failed = {url for url, page in pages.items() if page.get("error") == "parse_error"}
    assert failed == raised
    truth = {url: page for site in farm.truth["sites"] for url, page in site["pages"].items()}
    assert all(truth[url]["kind"] == "article" for url in failed)
    assert all(pages[url]["status"] == 200 for url in failed)
    # The rest of the site was crawled as usual.
    assert len(pages) - len(failed) > 100
