"""One crawl cycle of worlds b, c and d, the farms written blind to the extractor, scored against their truth.

The seeds here were never used to tune detection (tuning looked at seeds 1 and 2 of worlds b and d and
seeds 1 and 5-15 of world c only): these figures are the evidence that page discovery, soft 404s and the
column model generalize (docs/farm.md, docs/extraction.md). All three worlds meet every goal of issue 12
(world c since 2026-12-06's third round, world d since its first: docs/extraction.md).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import Elasticsearch, helpers

from scripts import accuracy
from tests.conftest import CRAWL_SETTINGS, Env, run_farm, service_prefixes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

HELD_OUT = {("b", 3): "127.0.8.1", ("b", 4): "127.0.9.1", ("c", 3): "127.0.12.1", ("c", 4): "127.0.13.1",
            ("d", 3): "127.0.41.1", ("d", 4): "127.0.42.1"}
SITES = 12

# Each measure: how it is scored, and the goal of issue 12.
MEASURES: dict[str, tuple[Callable[[dict[str, Any]], accuracy.Score], str, float]] = {
    "live pages": (lambda run: accuracy.pages(run["stored"], run["truth"]), "recall", 0.995),
    "dead links": (lambda run: accuracy.dead_links(run["report"], run["truth"]), "f1", 0.97),
    "soft 404s": (lambda run: accuracy.soft404s(run["report"], run["truth"]), "recall", 0.95),
    "stale columns": (lambda run: accuracy.columns(run["report"], run["truth"], "stale"), "f1", 0.95),
    "empty columns": (lambda run: accuracy.columns(run["report"], run["truth"], "empty"), "f1", 0.95),
    "column dates": (lambda run: accuracy.column_dates(run["report"], run["truth"]), "precision", 0.98),
}
@pytest.fixture(scope="module", params=sorted(HELD_OUT), ids=lambda key: f"world-{key[0]}-seed{key[1]}")
def unseen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str,
           es_url: str) -> Iterator[dict[str, Any]]:
    world, seed = request.param
    work = tmp_path_factory.mktemp(f"world-{world}-{seed}")
    with run_farm(work / "farm", sites=SITES, seed=seed, base_ip=HELD_OUT[world, seed],
                  extra=("--world", world, "--slow-seconds", "4", "--slow-home-seconds", "1")) as farm, \
            service_prefixes(redis_url, es_url) as (redis_prefix, es_prefix):
        env = Env(redis_url, es_url, redis_prefix, es_prefix, work / "spool")
        assert env.scrapy("seed", str(farm.registry)).returncode == 0
        crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=600)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        report_path = work / "report.json"
        assert env.scrapy("report", "-o", str(report_path)).returncode == 0
        with Elasticsearch(es_url) as es_client:
            stored = {hit["_source"]["url"] for hit in helpers.scan(
                es_client, index=f"{es_prefix}-pages", _source=["url"],
                query={"query": {"term": {"status": 200}}})}
        yield {"world": world, "truth": farm.truth, "stored": stored,
               "report": json.loads(report_path.read_text(encoding="utf-8")), "log": crawl.stderr}


def test_the_crawl_prints_no_traceback(unseen: dict[str, Any]) -> None:
    """Sites nobody tuned on are where unexpected pages come from (an XHTML page's XML declaration once
    raised in a callback): each expected failure is one line, never a traceback."""
    lines = unseen["log"].splitlines()
    raised = [lines[max(0, n - 1)] for n, line in enumerate(lines) if line.startswith("Traceback")]
    assert not raised, f"{len(raised)} tracebacks, the first after: {raised[0]}"


@pytest.mark.parametrize("measure", sorted(MEASURES))
def test_the_measure_reaches_its_goal(unseen: dict[str, Any], measure: str) -> None:
    score_of, figure, goal = MEASURES[measure]
    score = score_of(unseen)
    assert getattr(score, figure) >= goal, f"{measure}: {score}"

