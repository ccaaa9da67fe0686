"""One crawl cycle of worlds b and c, the farms written blind to the extractor, scored against their truth.

The seeds here were never used to tune detection (tuning looked at seeds 1 and 2 of world b and seed 1 of
world c only): these figures are the evidence that page discovery, soft 404s and the column model
generalize (docs/farm.md, docs/extraction.md). World b meets every goal. World c (2026-12-06) does not
yet on columns: its measures are held to floors a little under what was measured, and
`test_world_c_reaches_the_goals` is a strict xfail, so the day it passes the floors are raised to the
goals.
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

HELD_OUT = {("b", 3): "127.0.8.1", ("b", 4): "127.0.9.1", ("c", 3): "127.0.12.1", ("c", 4): "127.0.13.1"}
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
# World c, where below the goal: a floor under the figures measured on 12-site worlds of seeds 3 and 4
# (2026-12-06, code 2c066a9): stale F1 0.939 on seed 3; dead links F1 0.936 and soft 404s 12 of 13 on seed 4;
# every other measure of both seeds at or above its goal. A dozen columns per measure: one more wrong
# column moves a figure by up to 0.08, hence the margins (the goals themselves are the strict xfail below).
WORLD_C_FLOORS: dict[str, float] = {"dead links": 0.90, "soft 404s": 0.84, "stale columns": 0.88,
                                    "empty columns": 0.88, "column dates": 0.93}


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
def test_the_measure_reaches_its_goal_or_floor(unseen: dict[str, Any], measure: str) -> None:
    score_of, figure, goal = MEASURES[measure]
    score = score_of(unseen)
    wanted = WORLD_C_FLOORS.get(measure, goal) if unseen["world"] == "c" else goal
    assert getattr(score, figure) >= wanted, f"{measure}: {score}"


@pytest.mark.xfail(strict=True, reason="world c on 12 sites is below issue 12's goals (docs/extraction.md)")
def test_world_c_reaches_the_goals(unseen: dict[str, Any]) -> None:
    if unseen["world"] != "c":
        pytest.skip("world b reaches the goals: the test above asserts them")
    missed = {measure: str(score_of(unseen)) for measure, (score_of, figure, goal) in MEASURES.items()
              if getattr(score_of(unseen), figure) < goal}
    assert not missed, missed
