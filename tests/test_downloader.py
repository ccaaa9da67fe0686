"""The private Scrapy API govcrawl leans on, guarded: PoliteDownloader's copied method (needed, and proven on
the installed Scrapy) and the engine's `_slot.nextcall` the worker session pokes."""

from __future__ import annotations

import hashlib
import inspect
from typing import TYPE_CHECKING

import pytest
import scrapy
from scrapy.core import engine
from scrapy.core.downloader import Downloader

from crawler.downloader import PROVEN_SCRAPY, UPSTREAM_SHA256
from tests.conftest import CRAWL_SETTINGS, Env, run_farm, service_prefixes

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import RunningFarm

LIMIT = 2


def test_the_installed_scrapy_is_one_the_copy_is_proven_on() -> None:
    release = ".".join(scrapy.__version__.split(".")[:2])
    assert release in PROVEN_SCRAPY, (
        f"Scrapy {scrapy.__version__} is not among the releases crawler/downloader.py is proven on "
        f"({', '.join(PROVEN_SCRAPY)}): re-run tests/test_downloader.py and the per-host limit tests of "
        "tests/test_distributed.py, then update PROVEN_SCRAPY and the pin in pyproject.toml")
    upstream = hashlib.sha256(inspect.getsource(Downloader._process_queue).encode()).hexdigest()
    assert upstream == UPSTREAM_SHA256, (
        "Scrapy's Downloader._process_queue changed: compare it with PoliteDownloader._process_queue, "
        "carry the change over (or drop the copy if the limit now holds), then update UPSTREAM_SHA256")


def test_the_engine_still_has_the_call_the_session_pokes() -> None:
    # WorkerSession._poke_engine asks for requests at once through engine._slot.nextcall.schedule();
    # without it a refilled buffer waits for the engine's 5-second heartbeat.
    assert "nextcall" in inspect.signature(engine._Slot.__init__).parameters
    assert "nextcall = CallLaterOnce(self._start_scheduled_requests)" in inspect.getsource(
        engine.ExecutionEngine.open_spider_async), "Scrapy's engine changed: see WorkerSession._poke_engine"


@pytest.fixture(scope="module")
def slow_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with run_farm(tmp_path_factory.mktemp("downloader-farm"), sites=3, seed=12, base_ip="127.0.17.1",
                  extra=("--latency-ms", "40")) as farm:
        yield farm


def _busiest_host(base: Env, farm: RunningFarm, downloader: str, tmp_path: Path) -> int:
    """The most requests one farm host had in flight during a fresh one-cycle crawl with this downloader."""
    with service_prefixes(base.redis_url, base.es_url) as (redis_prefix, es_prefix):
        env = Env(base.redis_url, base.es_url, redis_prefix, es_prefix, tmp_path / redis_prefix)
        return _crawl(env, farm, downloader)


def _crawl(env: Env, farm: RunningFarm, downloader: str) -> int:
    seeded = env.scrapy("seed", str(farm.registry))
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    farm.call("POST", "reset-stats")
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=240, settings=(
        *CRAWL_SETTINGS, "-s", f"GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST={LIMIT}",
        "-s", f"DOWNLOADER={downloader}", "-s", "GOVCRAWL_ES_ENABLED=False"))
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return max(stats["max_inflight"] for stats in farm.call("GET", "stats")["hosts"].values())


def test_the_stock_downloader_lets_a_host_exceed_its_limit_and_the_copy_does_not(
        env: Env, slow_farm: RunningFarm, tmp_path: Path) -> None:
    # If the stock downloader ever keeps the limit, the copy is no longer needed: drop it.
    stock = _busiest_host(env, slow_farm, "scrapy.core.downloader.Downloader", tmp_path)
    assert stock > LIMIT, f"the stock downloader kept the limit ({stock}): PoliteDownloader can go"
    polite = _busiest_host(env, slow_farm, "crawler.downloader.PoliteDownloader", tmp_path)
    assert polite == LIMIT
