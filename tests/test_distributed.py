"""Several real worker processes on one frontier: sharing, killing, joining, politeness, Redis restarts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import redis
from elasticsearch import helpers
from w3lib.url import canonicalize_url

from crawler import defaults
from crawler.registry import load_registry
from crawler.scheduler import codec
from crawler.scheduler.frontier import Keys
from tests.conftest import CRAWL_SETTINGS, ROOT, run_farm

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env, RunningFarm

CONCURRENCY_PER_HOST = 2
WORKER_SETTINGS = (
    *CRAWL_SETTINGS,
    "-s", "GOVCRAWL_FRONTIER_SHARDS=16",
    "-s", "GOVCRAWL_FRONTIER_LEASE_SECONDS=3",
    "-s", "GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS=0.5",
    "-s", f"GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST={CONCURRENCY_PER_HOST}",
    "-s", "GOVCRAWL_ES_FLUSH_SECONDS=0.5",
)


@pytest.fixture(scope="module")
def slow_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    """Every answer takes 25 ms, so a crawl lasts long enough to disturb and concurrency shows."""
    with run_farm(tmp_path_factory.mktemp("slow-farm"), sites=10, seed=9, base_ip="127.0.7.1",
                  extra=("--slow-seconds", "4", "--slow-home-seconds", "1", "--latency-ms", "25")) as farm:
        yield farm


def start_worker(env: Env, name: str) -> subprocess.Popen[str]:
    return env.popen("crawl", "govsite", "-a", "once=1",
                     settings=(*WORKER_SETTINGS, "-s", f"BOT_NAME={name}"))


def finish(worker: subprocess.Popen[str], timeout: float = 240) -> str:
    try:
        output, _ = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        worker.kill()
        log = exc.output.decode("utf-8", "replace") if isinstance(exc.output, bytes) else exc.output or ""
        pytest.fail(f"worker still running after {timeout:.0f} s; its log ends:\n{log[-6000:]}")
    assert worker.returncode == 0, output[-3000:]
    return output


def stat(output: str, key: str) -> int:
    match = re.search(rf"'{re.escape(key)}': (\d+)", output)
    return int(match.group(1)) if match else 0


def indexed_urls(es: Elasticsearch, prefix: str) -> list[str]:
    es.indices.refresh(index=f"{prefix}-pages")
    return [canonicalize_url(hit["_source"]["url"])
            for hit in helpers.scan(es, index=f"{prefix}-pages", _source=["url"])]


def assert_everything_crawled_once(es: Elasticsearch, env: Env, farm: RunningFarm,
                                   hosts: Collection[str] | None = None) -> None:
    """Every crawlable page of the farm (of these hosts only, if given) indexed, none twice."""
    urls = indexed_urls(es, env.es_prefix)
    assert len(urls) == len(set(urls))
    expected = [url for url in farm.crawlable_pages() if hosts is None or urlsplit(url).hostname in hosts]
    missing = {canonicalize_url(url) for url in expected} - set(urls)
    assert not missing, f"{len(missing)} pages never crawled, e.g. {sorted(missing)[:5]}"


def wait_for_requests(farm: RunningFarm, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while farm.call("GET", "stats")["total_requests"] < count:
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.2)


def wait_until_holding(env: Env, worker: subprocess.Popen[str], timeout: float = 90) -> None:
    """Until the worker (found by its pid in its worker id) owns shards and holds requests."""
    client = redis.Redis.from_url(env.redis_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            for key in client.scan_iter(match=f"{env.redis_prefix}:workers:*-{worker.pid}-*"):
                info = client.hgetall(key)
                if int(info.get(b"owned", 0)) > 0 and int(info.get(b"held", 0)) > 0:
                    return
            assert worker.poll() is None, "the worker ended before it held anything"
            assert time.monotonic() < deadline, "the worker never held requests"
            time.sleep(0.1)
    finally:
        client.close()


def seed(env: Env, farm: RunningFarm) -> None:
    result = env.scrapy("seed", str(farm.registry), settings=("-s", "GOVCRAWL_FRONTIER_SHARDS=16"))
    assert result.returncode == 0, result.stderr[-2000:]
    farm.call("POST", "reset-stats")


def max_inflight_per_host(farm: RunningFarm) -> dict[str, int]:
    return {host: stats["max_inflight"] for host, stats in farm.call("GET", "stats")["hosts"].items()}


def test_two_workers_share_the_shards_and_stay_polite(env: Env, slow_farm: RunningFarm,
                                                      es_client: Elasticsearch) -> None:
    seed(env, slow_farm)
    # A heartbeat long enough for both to announce themselves before either takes a shard.
    together = ("-s", "GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS=4", "-s", "GOVCRAWL_FRONTIER_LEASE_SECONDS=12")
    workers = [env.popen("crawl", "govsite", "-a", "once=1", settings=(*WORKER_SETTINGS, *together))
               for _ in range(2)]
    outputs = [finish(worker) for worker in workers]
    for output in outputs:
        assert stat(output, "response_received_count") > 50, "a worker got no share of the crawl"
        # Started together, each took its half at once. A shard is released only by a worker that was
        # handed one by the load balancing and so stands above its share: at most one back for each received.
        assert "Took 8 shards: owns 8, its share over 2 workers is 8" in output
        assert output.count("Released shard") <= stat(output, "govcrawl/frontier/handed_in_count")
    assert_everything_crawled_once(es_client, env, slow_farm)
    busiest = max_inflight_per_host(slow_farm)
    assert max(busiest.values()) >= CONCURRENCY_PER_HOST  # the limit was reached, so it was tested
    assert max(busiest.values()) <= CONCURRENCY_PER_HOST, busiest


def test_a_killed_worker_loses_nothing(env: Env, slow_farm: RunningFarm, es_client: Elasticsearch) -> None:
    seed(env, slow_farm)
    victim = start_worker(env, "victim")
    survivor = start_worker(env, "survivor")
    wait_for_requests(slow_farm, 300)
    wait_until_holding(env, victim)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    output = finish(survivor)
    assert stat(output, "govcrawl/frontier/recovered_count") > 0, "nothing was redelivered"
    assert_everything_crawled_once(es_client, env, slow_farm)
    assert max(max_inflight_per_host(slow_farm).values()) <= CONCURRENCY_PER_HOST


def test_a_worker_added_mid_crawl_takes_shards_over(env: Env, slow_farm: RunningFarm,
                                                    es_client: Elasticsearch) -> None:
    seed(env, slow_farm)
    first = start_worker(env, "first")
    wait_for_requests(slow_farm, 200)
    second = start_worker(env, "second")
    first_output, second_output = finish(first), finish(second)
    assert "Released shard" in first_output
    assert stat(second_output, "response_received_count") > 20
    assert_everything_crawled_once(es_client, env, slow_farm)
    assert max(max_inflight_per_host(slow_farm).values()) <= CONCURRENCY_PER_HOST


def test_a_worker_whose_shards_run_dry_gets_work_handed_over(env: Env, slow_farm: RunningFarm,
                                                           es_client: Elasticsearch, tmp_path: Path) -> None:
    # One site per shard, so the lone first worker owns 10 empty shards beside the busy ones, and drains
    # empty ones when the second joins: without load balancing the second would crawl nothing.
    up = {urlsplit(site["url"]).hostname for site in slow_farm.truth["sites"] if not site["down"]}
    by_shard = {codec.shard_of(host, 16): host for host in sorted(up, reverse=True)}
    hosts = set(by_shard.values())
    assert len(hosts) >= 4, by_shard
    kept = {site.site_id for site in load_registry(slow_farm.registry) if site.host in hosts}
    header, *rows = slow_farm.registry.read_text(encoding="utf-8").splitlines()
    registry = tmp_path / "registry.csv"
    registry.write_text("\n".join([header, *(row for row in rows if row.split(",", 1)[0] in kept)]) + "\n",
                        encoding="utf-8")
    result = env.scrapy("seed", str(registry), settings=("-s", "GOVCRAWL_FRONTIER_SHARDS=16"))
    assert result.returncode == 0, result.stderr[-2000:]
    slow_farm.call("POST", "reset-stats")
    paced = ("-s", "GOVCRAWL_CRAWL_DELAY_SECONDS=0.1", "-s", "GOVCRAWL_FRONTIER_PREFETCH=16")
    first = env.popen("crawl", "govsite", "-a", "once=1", settings=(*WORKER_SETTINGS, *paced))
    wait_for_requests(slow_farm, 60)
    second = env.popen("crawl", "govsite", "-a", "once=1", settings=(*WORKER_SETTINGS, *paced))
    first_output, second_output = finish(first), finish(second)
    handing = r"Handing [1-9]\d* shards \(\d+ queued requests\) to \S+"
    assert re.search(handing, first_output), first_output[-3000:]
    assert stat(first_output, "govcrawl/frontier/handed_over_count") > 0
    assert stat(second_output, "govcrawl/frontier/handed_in_count") > 0
    pages = sum(1 for url in slow_farm.crawlable_pages() if urlsplit(url).hostname in hosts)
    assert stat(second_output, "response_received_count") > pages // 5, second_output[-3000:]
    assert_everything_crawled_once(es_client, env, slow_farm, hosts)
    assert max(max_inflight_per_host(slow_farm).values()) <= CONCURRENCY_PER_HOST


def test_a_redis_restart_mid_crawl_delays_but_loses_nothing(env: Env, slow_farm: RunningFarm,
                                                            es_client: Elasticsearch) -> None:
    if (os.environ.get("GOVCRAWL_REDIS_URL") or defaults.GOVCRAWL_REDIS_URL) != defaults.GOVCRAWL_REDIS_URL:
        pytest.skip("restarts only the Redis that scripts/services.sh started; "
                    "GOVCRAWL_REDIS_URL points elsewhere")
    seed(env, slow_farm)
    worker = start_worker(env, "steady")
    wait_for_requests(slow_farm, 300)
    restart = subprocess.run([str(ROOT / "scripts" / "services.sh"), "restart-redis"], capture_output=True,
                             text=True, timeout=60, check=False)
    assert restart.returncode == 0, restart.stderr
    output = finish(worker)
    assert "Redis unreachable" in output
    # A pipeline that failed while loading its scripts once kept its pooled connection; 64 of them froze
    # the worker. redis-py logs each one it garbage-collects.
    assert "Unclosed Pipeline client" not in output
    assert_everything_crawled_once(es_client, env, slow_farm)


def test_status_shows_workers_shards_and_queues(env: Env, slow_farm: RunningFarm) -> None:
    seed(env, slow_farm)
    status: dict[str, Any] = {}
    worker = start_worker(env, "watched")
    try:
        wait_for_requests(slow_farm, 100)
        result = env.scrapy("status", "-s", "GOVCRAWL_FRONTIER_SHARDS=16")
        assert result.returncode == 0, result.stderr
        text = result.stdout
        status = {"text": text}
    finally:
        finish(worker)
    assert "sites registered: 10" in status["text"]
    assert re.search(r"workers: 1\b", status["text"]), status["text"]
    assert "shard  owner" in status["text"]


def test_sigterm_finishes_in_flight_work_and_releases_the_shards(env: Env, slow_farm: RunningFarm,
                                                                 redis_client: redis.Redis) -> None:
    seed(env, slow_farm)
    worker = env.popen("crawl", "govsite", settings=WORKER_SETTINGS)  # continuous: runs until stopped
    wait_for_requests(slow_farm, 150)
    wait_until_holding(env, worker)
    worker.send_signal(signal.SIGTERM)
    output = finish(worker, timeout=120)
    assert re.search(r"Worker \S+ closed \(shutdown\): released [1-9]\d* shards", output), output[-2000:]
    status = json.loads(env.scrapy("status", "--json", "-s", "GOVCRAWL_FRONTIER_SHARDS=16").stdout)
    assert all(row["owner"] is None for row in status["shard_rows"])
    assert status["in_flight"] == 0  # held requests went back to the queues, for the next worker
    assert status["queued"] > 0


BLOCK_SECONDS = 8.0  # over twice WORKER_SETTINGS' 3 s lease


@pytest.mark.parametrize("kept", [True, False], ids=["renewed-by-the-lease-thread", "past-the-stall-limit"])
def test_a_callback_blocking_the_reactor_past_the_lease_keeps_the_shards(
        env: Env, slow_farm: RunningFarm, es_client: Elasticsearch, kept: bool) -> None:
    """A parse that holds the reactor for 8 s with 3 s leases: the lease thread keeps the shards.

    Past GOVCRAWL_FRONTIER_MAX_STALL_SECONDS (set to the lease here) the thread lets them go: the other
    worker takes them over, as every worker did before the thread, and nothing is lost either way.
    """
    seed(env, slow_farm)
    stall_limit = ("-s", f"GOVCRAWL_FRONTIER_MAX_STALL_SECONDS={300 if kept else 3}")
    blocker = env.popen("crawl", "govsite_blocking", "-a", "once=1", "-a", "block_at=60",
                        "-a", f"block_seconds={BLOCK_SECONDS}", settings=(
                            *WORKER_SETTINGS, *stall_limit, "-s", "BOT_NAME=blocker",
                            "-s", "SPIDER_MODULES=crawler.spiders,tests.blocking_spider"))
    other = start_worker(env, "other")
    blocker_output, other_output = finish(blocker), finish(other)
    assert "Blocking the reactor for 8 s" in blocker_output, blocker_output[-3000:]
    assert stat(blocker_output, "govcrawl/frontier/reactor_stall_max_ms") >= BLOCK_SECONDS * 1000 - 500
    assert "The reactor was blocked for" in blocker_output
    assert stat(other_output, "response_received_count") > 20, "the second worker took no part"
    taken = stat(other_output, "govcrawl/frontier/recovered_count")
    if kept:
        assert "Lease on shard" not in blocker_output and "had expired" not in blocker_output
        assert taken == 0, other_output[-3000:]
        assert "The reactor has been blocked for" not in blocker_output
    else:
        assert "The reactor has been blocked for" in blocker_output
        assert taken > 0 or "Lease on shard" in blocker_output, blocker_output[-3000:]
    assert_everything_crawled_once(es_client, env, slow_farm)
    # The lease thread stopped before its worker left: it did not put the worker back in the live set.
    client = redis.Redis.from_url(env.redis_url)
    try:
        assert client.zcard(Keys(env.redis_prefix).workers) == 0
    finally:
        client.close()


def test_a_stall_limit_below_the_lease_is_named(env: Env) -> None:
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=120,
                       settings=(*WORKER_SETTINGS, "-s", "GOVCRAWL_FRONTIER_MAX_STALL_SECONDS=1"))
    assert crawl.returncode != 0
    assert ("GOVCRAWL_FRONTIER_MAX_STALL_SECONDS is 1.0: it must be at least GOVCRAWL_FRONTIER_LEASE_SECONDS "
            "(3.0)") in crawl.stderr, crawl.stderr[-2000:]
