"""The site-state exporter: site records, catalog names, stale snapshots, 15,000-site cardinality, --once."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import Elasticsearch
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from crawler import metrics_catalog as catalog
from crawler.clock import SHANGHAI
from crawler.commands.status import ClusterStatus, ShardStatus
from crawler.exporter import (
    FrontierFigures,
    SiteStateExporter,
    day_timestamp,
    elasticsearch_states,
    site_record,
    unanswered_messages,
)
from crawler.extract.columns import ColumnClass, is_stale
from crawler.indicators import load_indicators
from crawler.scoring import ColumnState, DeadLink, MessageState, ProbeSummary, SiteState, score_site
from tests.conftest import free_port

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from tests.conftest import Env

RULES = load_indicators()
EXPORTER_SETTINGS = (
    "-s", "GOVCRAWL_EXPORTER_ADDRESS=127.0.0.1",
    "-s", "GOVCRAWL_EXPORTER_BATCH_SIZE=500",
    "-s", "GOVCRAWL_EXPORTER_PORT=0",
    "-s", "GOVCRAWL_EXPORTER_REFRESH_SECONDS=60",
)


def today() -> date:
    return datetime.now(SHANGHAI).date()


def column(kind: str, age_days: int | None, as_of: date, *, empty: bool = False, level: int = 1,
           name: str = "") -> ColumnState:
    latest = None if age_days is None else as_of - timedelta(days=age_days)
    return ColumnState(name=name or kind, url=f"http://s.gov.cn/{kind}/{name}/{age_days}/{empty}", type=kind,
                       level=level, latest_date=latest, entries=0 if empty else 10, empty=empty,
                       stale=empty or is_stale(latest, ColumnClass(kind), as_of))


def healthy(as_of: date, site_id: str = "5101000001", **changes: Any) -> SiteState:
    state = SiteState(
        site_id=site_id, name="成都市人民政府", url="http://www.chengdu.gov.cn/", region="成都市",
        level="city",
        probes=ProbeSummary(latest_ok=True, total_1d=24, failed_1d=0, total_7d=168, failed_7d=2),
        home_fetched=True, homepage_latest_date=as_of - timedelta(days=2),
        columns=(column("news", 1, as_of, name="要闻"), column("consult", 5, as_of),
                 column("service", 5, as_of)))
    return replace(state, **changes)


def dead(url: str, *, home: bool, confirmed: bool) -> DeadLink:
    return DeadLink(url=url, found_on="h" if home else "p", on_homepage=home, status=404, error="http",
                    confirmed=confirmed)


def record_of(state: SiteState, as_of: date) -> Any:
    return site_record(state, score_site(state, as_of, RULES), as_of, RULES)


def test_a_healthy_site_exports_only_its_dense_values() -> None:
    as_of = today()
    record = record_of(healthy(as_of), as_of)
    assert record.up == 1.0
    assert (record.probes_7d, record.failed_7d) == (168, 2)
    assert record.homepage_timestamp == day_timestamp(as_of - timedelta(days=2))
    assert record.column_timestamps == (("news", day_timestamp(as_of - timedelta(days=1))),)
    assert (record.columns, record.broken_links, record.vetoes, record.findings) == ((), (), (), ())
    assert record.unanswered_messages == 0
    assert record.score == 100.0


@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"probes": ProbeSummary(latest_ok=False, total_1d=3, failed_1d=1)}, "up", 0.0),
    ({"probes": ProbeSummary(), "home_fetched": False, "columns": ()}, "up", None),
    ({"probes": ProbeSummary(), "home_fetched": False, "columns": ()}, "score", None),
    ({"probes": ProbeSummary(), "home_fetched": True}, "up", 1.0),
    ({"homepage_latest_date": None, "columns": ()}, "homepage_timestamp", None),
    ({"dead_links": (dead("u1", home=True, confirmed=True), dead("u2", home=True, confirmed=True),
                     dead("u3", home=False, confirmed=False))},
     "broken_links", (("home", "confirmed", 2), ("other", "suspected", 1))),
])
def test_site_record_fields(changes: dict[str, Any], field: str, expected: object) -> None:
    as_of = today()
    assert getattr(record_of(healthy(as_of, **changes), as_of), field) == expected


def test_empty_columns_count_as_empty_only_and_exempt_columns_not_at_all() -> None:
    as_of = today()
    columns = (*healthy(as_of).columns, column("news", 30, as_of, name="a"),
               column("news", 40, as_of, name="b"),
               column("notice", None, as_of, empty=True), column("exempt", None, as_of, empty=True),
               *(column("other", None, as_of, empty=True, name=str(i)) for i in range(5)))
    record = record_of(healthy(as_of, columns=columns), as_of)
    assert record.columns == (("news", "stale", 2), ("notice", "empty", 1), ("other", "empty", 5))
    # Scoring agrees: 8 stale-or-empty (V-STALE warning), 6 empty (>= 5: V-EMPTY veto).
    assert record.vetoes == (("V-EMPTY", "confirmed"),)
    assert ("veto", "confirmed", 1) in record.findings


def test_core_columns_are_counted_as_v_core_counts_them() -> None:
    """Empty news columns count (scoring judges them stale); notice/policy only at level 1."""
    as_of = today()
    columns = (*healthy(as_of).columns,
               *(column("news", None, as_of, empty=True, name=f"empty{i}") for i in range(3)),
               column("news", 30, as_of, name="stale"), column("notice", 400, as_of, name="top"),
               column("policy", 400, as_of, level=2, name="sub"), column("notice", 20, as_of, name="fresh"))
    state = healthy(as_of, columns=columns)
    result = score_site(state, as_of, RULES)
    record = site_record(state, result, as_of, RULES)
    assert record.core_columns_stale == 5  # 3 empty news + 1 stale news + the level-1 notice
    [core] = [finding for finding in result.findings if finding.check == "V-CORE"]
    assert core.severity == "veto" and len(core.evidence) == 5
    assert ("V-CORE", "confirmed") in record.vetoes


def test_unanswered_messages_agree_with_the_v_reply_finding() -> None:
    as_of = today()
    asked = as_of - timedelta(days=150)
    # Unanswered, answered in 3 days, answered after 100 days (> 90: late), too recent to judge.
    messages = (MessageState(url="m1", column_url="c", asked_at=asked, answered_at=None),
                MessageState(url="m2", column_url="c", asked_at=asked, answered_at=asked + timedelta(3)),
                MessageState(url="m3", column_url="c", asked_at=asked, answered_at=asked + timedelta(100)),
                MessageState(url="m4", column_url="c", asked_at=as_of - timedelta(10), answered_at=None))
    state = healthy(as_of, messages=messages)
    result = score_site(state, as_of, RULES)
    reply = [finding for finding in result.findings if finding.check == "V-REPLY"]
    assert unanswered_messages(state, as_of, RULES) == 2
    assert reply and reply[0].detail.startswith("2 条留言")
    # V-REPLY is suspected in indicators.yaml: the veto series says so, and so do the findings.
    record = site_record(state, result, as_of, RULES)
    assert ("V-REPLY", "suspected") in record.vetoes
    assert ("veto", "suspected", 1) in record.findings


def test_a_site_never_read_and_down_exports_a_suspected_availability_veto_only() -> None:
    as_of = today()
    down = ProbeSummary(latest_ok=False, latest_error="tcp", total_1d=2, failed_1d=2, total_7d=2, failed_7d=2)
    state = healthy(as_of, probes=down, homepage_latest_date=None, columns=(), home_fetched=True)
    record = record_of(state, as_of)
    assert (record.up, record.score) == (0.0, None)
    assert record.vetoes == (("V-AVAIL", "suspected"),)
    assert record.findings == (("veto", "suspected", 1),)


def _families(exporter: SiteStateExporter) -> dict[str, list[Any]]:
    registry = CollectorRegistry()
    registry.register(exporter)
    text = generate_latest(registry).decode("utf-8")
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def _busy_state(as_of: date) -> SiteState:
    """A site that exercises every sparse family."""
    asked = as_of - timedelta(days=150)
    return healthy(
        as_of, site_id="5101000009",
        columns=(*healthy(as_of).columns, column("notice", 400, as_of), column("policy", 10, as_of),
                 column("basic", None, as_of, empty=True)),
        dead_links=(dead("u", home=True, confirmed=True),),
        messages=(MessageState(url="m", column_url="c", asked_at=asked, answered_at=None),))


def test_exported_families_are_the_catalogs() -> None:
    as_of = today()
    status = ClusterStatus(shards=2, workers={"w1": {}}, queued=5, in_flight=1, sites_due=2,
                           oldest_due_seconds=30.0, registered_sites=2,
                           shard_rows=[ShardStatus(shard=0, owner="w1", queued=5, in_flight=1, sites_due=2),
                                       ShardStatus(shard=1, owner=None, queued=0, in_flight=0, sites_due=0)])
    exporter = SiteStateExporter(lambda _point: [healthy(as_of), _busy_state(as_of)], RULES,
                                 frontier=lambda: FrontierFigures(status=status, heartbeats={"w1": 1.8e9}))
    assert exporter.refresh()
    samples = _families(exporter)
    specs = (*catalog.SITE_METRICS, *catalog.EXPORTER_METRICS)
    expected = set().union(*(spec.series_names() for spec in specs))
    assert set(samples) == expected, set(samples) ^ expected
    for name, rows in samples.items():
        spec = catalog.metric_by_name(name) or catalog.metric_by_name(name.removesuffix("_total") + "_total")
        assert spec is not None, name
        for sample in rows:
            assert set(sample.labels) == set(spec.labels), (name, sample.labels)
            for label, allowed in spec.label_values.items():
                assert sample.labels[label] in allowed, (name, sample.labels)
    assert [sample.value for sample in samples["govcrawl_worker_owned_shards"]] == [1.0]
    assert samples["govcrawl_frontier_queued_requests"][0].value == 5.0


def test_a_failed_refresh_keeps_the_last_snapshot_and_is_counted() -> None:
    as_of = today()
    exporter = SiteStateExporter(lambda _point: [healthy(as_of)], RULES)
    assert exporter.refresh()
    good = exporter.snapshot
    assert good is not None
    dead = Elasticsearch(f"http://127.0.0.1:{free_port()}", request_timeout=2, max_retries=0)
    try:
        exporter.states = elasticsearch_states(dead, "govcrawl-nowhere", 500)
        assert not exporter.refresh()
    finally:
        dead.close()
    assert exporter.snapshot is good
    samples = _families(exporter)
    assert samples["govcrawl_exporter_last_refresh_timestamp_seconds"][0].value == good.refreshed_at
    assert samples["govcrawl_site_up"][0].value == 1.0
    failures = {s.labels["source"]: s.value for s in samples["govcrawl_exporter_refresh_failures_total"]}
    assert failures == {"elasticsearch": 1.0, "redis": 0.0}


def synthetic_states(count: int, as_of: date, seed: int = 15000) -> Iterable[SiteState]:
    """A province-sized registry, pessimistic about trouble: 20 columns a site, 10 % of them stale,
    3 % empty, a few broken links on most sites, every site probed."""
    rng = random.Random(seed)
    kinds = [kind for kind in catalog.COLUMN_CLASSES if kind != "other"] + ["other"] * 4
    for index in range(count):
        columns = []
        for number in range(20):
            kind = rng.choice(kinds)
            roll = rng.random()
            age = None if roll < 0.03 else rng.randint(200, 400) if roll < 0.13 else rng.randint(0, 10)
            columns.append(column(kind, age, as_of, empty=roll < 0.03, name=str(number),
                                  level=1 + number % 2))
        links = tuple(DeadLink(url=f"u{n}", found_on="h" if n % 3 == 0 else "p", on_homepage=n % 3 == 0,
                               status=404, error="http", confirmed=rng.random() < 0.7)
                      for n in range(rng.choice((0, 0, 1, 2, 3, 8))))
        failed = rng.choice((0, 0, 0, 1, 5, 12))
        yield SiteState(
            site_id=f"51{index:08d}", name=f"站点{index}", url=f"http://s{index}.gov.cn/",
            region=f"市{index % 21}", level=("city", "county", "department")[index % 3],
            probes=ProbeSummary(latest_ok=rng.random() > 0.01, total_1d=24, failed_1d=min(failed, 24),
                                total_7d=168, failed_7d=failed),
            home_fetched=True, homepage_latest_date=as_of - timedelta(days=rng.randint(0, 20)),
            columns=tuple(columns), dead_links=links,
            messages=(MessageState(url="m", column_url="c", asked_at=as_of - timedelta(days=150),
                                   answered_at=None),) if index % 50 == 0 else ())


def test_15000_sites_stay_under_the_series_budget() -> None:
    as_of = today()
    sites = 15_000
    exporter = SiteStateExporter(lambda _point: synthetic_states(sites, as_of), RULES)
    started = time.monotonic()
    assert exporter.refresh()
    refreshed = time.monotonic() - started
    registry = CollectorRegistry()
    registry.register(exporter)
    started = time.monotonic()
    text = generate_latest(registry)
    rendered = time.monotonic() - started
    series = Counter(line.split(b"{", 1)[0].split(b" ", 1)[0] for line in text.splitlines()
                     if line and not line.startswith(b"#"))
    total = sum(series.values())
    per_family = ", ".join(f"{name.decode()} {count}" for name, count in series.most_common())
    print(f"\n{sites} sites: {total} series ({total / sites:.1f} a site), scored in {refreshed:.1f}s, "
          f"rendered in {rendered:.1f}s ({len(text) / 1e6:.1f} MB); worst case "
          f"{catalog.max_series_per_site() * sites}\n{per_family}")
    assert series[b"govcrawl_site_info"] == sites
    assert series[b"govcrawl_site_up"] == sites
    assert total < 300_000


def _registry_csv(path: Path) -> Path:
    path.write_text("site_id,name,url,level,region,department,supervisor\n"
                    "5101000001,成都市人民政府,http://127.0.0.250:9/,city,成都市,,成都市政务服务管理和网络理政办公室\n"
                    "5107000002,绵阳市人民政府,http://127.0.0.251:9/,city,绵阳市,,\n", encoding="utf-8")
    return path


def test_once_prints_the_registered_sites_and_the_frontier(env: Env, tmp_path: Path) -> None:
    seeded = env.scrapy("seed", str(_registry_csv(tmp_path / "registry.csv")))
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    once = env.scrapy("exporter", "--once", settings=EXPORTER_SETTINGS, timeout=60)
    assert once.returncode == 0, once.stderr[-2000:]
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(once.stdout):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    site_ids = {sample.labels["site_id"] for sample in samples["govcrawl_site_info"]}
    assert site_ids == {"5101000001", "5107000002"}
    # The registry's supervising office rides on the info series, for the alert rules to route by.
    offices = {sample.labels["site_id"]: sample.labels.get("supervisor", "")
               for sample in samples["govcrawl_site_info"]}
    assert offices == {"5101000001": "成都市政务服务管理和网络理政办公室", "5107000002": ""}
    assert "govcrawl_site_up" not in samples  # neither probed nor crawled yet: unknown, not down
    assert samples["govcrawl_sites_registered"][0].value == 2
    assert samples["govcrawl_frontier_sites_due"][0].value == 2  # seeding makes every cycle due


def test_once_fails_and_says_why_when_elasticsearch_is_unreachable(env: Env) -> None:
    unreachable = ("-s", f"GOVCRAWL_ES_URL=http://127.0.0.1:{free_port()}",
                   "-s", "GOVCRAWL_ES_REQUEST_TIMEOUT_SECONDS=2")
    dead = env.scrapy("exporter", "--once", settings=(*EXPORTER_SETTINGS, *unreachable), timeout=60)
    assert dead.returncode == 1
    assert "Site state refresh failed" in dead.stderr
    assert 'govcrawl_exporter_refresh_failures_total{source="elasticsearch"} 1.0' in dead.stdout
    assert not any(line.startswith("govcrawl_exporter_last_refresh_timestamp_seconds")
                   for line in dead.stdout.splitlines())
