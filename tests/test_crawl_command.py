"""`scrapy crawl`: bad settings refused before anything is written, exit status 1 when the spider failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import CRAWL_SETTINGS, free_port

if TYPE_CHECKING:
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


def test_a_frontier_setting_out_of_range_is_refused_before_the_crawl_starts(env: Env) -> None:
    result = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=60,
                        settings=(*CRAWL_SETTINGS, "-s", "GOVCRAWL_FRONTIER_SHARDS=0"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1" in result.stderr
    assert "Spider opened" not in result.stderr
