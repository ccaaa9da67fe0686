"""`scrapy crawl`: bad settings refused before anything is written, exit status 1 when the spider failed, no
log records built below the log level, the collector's thresholds."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

import pytest
import scrapy.utils.log
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.commands.crawl import skip_records_below_log_level
from crawler.extensions.gc_tuning import GcTuning, gc_thresholds
from tests.conftest import CRAWL_SETTINGS, free_port

if TYPE_CHECKING:
    from pathlib import Path

    import redis

    from tests.conftest import Env


def test_an_uppercase_index_prefix_is_refused_before_the_crawl_starts(env: Env, redis_client: redis.Redis
                                                                      ) -> None:
    result = env.scrapy("crawl", "govsite", "-a", "once=1",
                        settings=(*CRAWL_SETTINGS, "-s", "GOVCRAWL_ES_INDEX_PREFIX=Govcrawl"), timeout=60)
    assert result.returncode == 1
    assert "GOVCRAWL_ES_INDEX_PREFIX 'Govcrawl' is refused: Elasticsearch index names are lower case" in (
        result.stderr)
    assert "Traceback" not in result.stderr
    assert list(redis_client.scan_iter(match=f"{env.redis_prefix}:*")) == []


def test_a_spider_closed_on_an_error_exits_non_zero(env: Env) -> None:
    # Elasticsearch on a closed port: the indexing pipeline closes the spider as it opens.
    env.es_url = f"http://127.0.0.1:{free_port()}"
    result = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=90)
    assert result.returncode == 1
    assert "The spider closed on an error (Elasticsearch at" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_redis_is_one_line_before_the_crawl_starts(env: Env) -> None:
    env.redis_url = f"redis://127.0.0.1:{free_port()}/0"
    result = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Redis at {env.redis_url} is unreachable (connection refused)" in result.stderr
    assert "Spider opened" not in result.stderr


@pytest.mark.parametrize(("setting", "message"), [
    ("GOVCRAWL_FRONTIER_SHARDS=0",
     "GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1"),
    ("GOVCRAWL_CRAWL_GC_THRESHOLDS=big,20",
     "GOVCRAWL_CRAWL_GC_THRESHOLDS=big,20 is not one to three positive whole numbers"),
])
def test_a_setting_out_of_range_is_refused_before_the_crawl_starts(env: Env, setting: str, message: str
                                                                   ) -> None:
    result = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=60,
                        settings=(*CRAWL_SETTINGS, "-s", setting))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert "Spider opened" not in result.stderr


def test_a_site_that_is_down_is_one_warning_line_in_the_crawl_log(env: Env, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}/"
    registry = tmp_path / "registry.csv"
    registry.write_text(f"site_id,name,url,level,region,department\n5100000097,测试县人民政府,{down},county,成都市,\n",
                        encoding="utf-8")
    assert env.scrapy("seed", str(registry)).returncode == 0
    result = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    line = f"WARNING: robots.txt for <GET {down}> could not be fetched (Connection was refused"
    assert line in result.stderr
    assert "robotstxt] ERROR" not in result.stderr
    # The home page's request gave up retrying: one warning line; the down site is recorded, not an error.
    assert f"[scrapy.downloadermiddlewares.retry] WARNING: Gave up retrying <GET {down}>" in result.stderr
    assert "] ERROR:" not in result.stderr


def test_records_below_the_log_level_are_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    # What Scrapy sets up for LOG_LEVEL=INFO: its root handler filters, the root logger lets all through.
    handler = logging.NullHandler(logging.INFO)
    monkeypatch.setattr(scrapy.utils.log, "_scrapy_root_handler", handler)  # restored after the test
    level = logging.root.level
    logging.root.setLevel(logging.NOTSET)
    try:
        assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
        skip_records_below_log_level()
        assert not logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("charset_normalizer").isEnabledFor(5)  # its TRACE level
        assert logging.getLogger("crawler.spiders.govsite").isEnabledFor(logging.INFO)
    finally:
        logging.root.setLevel(level)


def test_the_collector_thresholds_hold_while_the_spider_runs_and_come_back_after() -> None:
    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"GOVCRAWL_CRAWL_GC_THRESHOLDS": "30000,15,5"})
    extension = GcTuning.from_crawler(crawler)  # kept: signals hold their receivers weakly
    try:
        crawler.signals.send_catch_log(signals.engine_started)
        assert gc.get_threshold() == (30000, 15, 5)
        crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
        assert gc.get_threshold() == before
        assert extension.previous is None
    finally:
        gc.set_threshold(*before)
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(settings_dict={"GOVCRAWL_CRAWL_GC_THRESHOLDS": ""}))
    for refused in (["0"], ["1", "2", "3", "4"], ["-5"], ["many"]):
        with pytest.raises(ValueError, match="is not one to three positive whole numbers"):
            gc_thresholds(refused)
    assert gc_thresholds(["50000"]) == (50000,)
