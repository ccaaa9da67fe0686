"""Site-state metrics: a snapshot rebuilt from Elasticsearch, frontier figures read from Redis at scrape time.

Settings: GOVCRAWL_EXPORTER_* (address, port, refresh period, batch size); the sparse export rules and
the series budget are those of crawler/metrics_catalog.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, cast

import redis
from elastic_transport import TransportError
from elasticsearch import ApiError

from crawler import connections
from crawler import metrics_catalog as catalog
from crawler.clock import SHANGHAI, day_start
from crawler.commands.status import ClusterStatus, read_status
from crawler.metrics import new_family
from crawler.scheduler.frontier import Frontier
from crawler.scheduler.sharded import frontier_config_from_settings
from crawler.scoring import homepage_date, is_core_stale, late_messages, score_site
from crawler.site_state import CheckPoint, iter_site_state_batches

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from elasticsearch import Elasticsearch
    from prometheus_client.core import Metric
    from scrapy.settings import BaseSettings

    from crawler.indicators import Indicators
    from crawler.scoring import SiteResult, SiteState

logger = logging.getLogger(__name__)

_CORE_CLASSES = frozenset(catalog.SITE_COLUMN_LAST_UPDATE_EXPORTED_CLASSES)
_COLUMN_CLASSES = frozenset(catalog.COLUMN_CLASSES)
_VETO_CHECKS = frozenset(catalog.VETO_CHECKS)


@dataclass(slots=True, frozen=True, kw_only=True)
class SiteRecord:
    """What the exporter keeps of one site between refreshes: only the values it exports."""

    site_id: str
    name: str
    supervisor: str
    region: str
    level: str
    up: float | None  # None: never probed nor crawled (no series)
    probes_1d: int
    failed_1d: int
    probes_7d: int
    failed_7d: int
    homepage_timestamp: float | None
    column_timestamps: tuple[tuple[str, float], ...]
    columns: tuple[tuple[str, str, int], ...]  # (class, state, count), non-zero counts only
    core_columns_stale: int  # as V-CORE counts them (scoring.is_core_stale)
    broken_links: tuple[tuple[str, str, int], ...]  # (where, confidence, count), non-zero only
    unanswered_messages: int
    findings: tuple[tuple[str, str, int], ...]  # (severity, confidence, count), non-zero only
    vetoes: tuple[tuple[str, str], ...]  # (check, confidence): confirmed if any finding of it is
    score: float | None

    @property
    def labels(self) -> list[str]:
        return [self.site_id, self.region, self.level]


@dataclass(slots=True, frozen=True, kw_only=True)
class Snapshot:
    """The last good refresh: every site's record, when it finished and how long it took."""

    sites: tuple[SiteRecord, ...]
    refreshed_at: float
    duration_seconds: float


def day_timestamp(day: date) -> float:
    """Unix time of the start of `day` in Asia/Shanghai (the day staleness is counted from)."""
    return day_start(day).timestamp()


def unanswered_messages(state: SiteState, as_of: date, rules: Indicators) -> int:
    """Messages of the V-REPLY window answered late or not at all (scoring.late_messages counts them)."""
    return len(late_messages(state, as_of, rules))


def _veto_confidences(result: SiteResult) -> tuple[tuple[str, str], ...]:
    """Each exported veto check of the site and its confidence: confirmed if any of its findings is."""
    confidences: dict[str, str] = {}
    for finding in result.findings:
        if finding.severity == "veto" and finding.check in _VETO_CHECKS:
            known = confidences.get(finding.check)
            confirmed = "confirmed" in (known, finding.confidence)
            confidences[finding.check] = "confirmed" if confirmed else "suspected"
    return tuple(sorted(confidences.items()))


def site_record(state: SiteState, result: SiteResult, as_of: date, rules: Indicators) -> SiteRecord:
    """The exported values of one site, following the catalog's sparse rules."""
    probes = state.probes
    up = None if probes.latest_ok is None and not state.home_fetched else float(state.reachable)
    homepage = homepage_date(state, as_of)[0] if state.crawled else None
    newest: dict[str, date] = {}
    states: Counter[tuple[str, str]] = Counter()
    for column in state.columns:
        if column.type in _CORE_CLASSES and column.latest_date is not None and column.latest_date <= as_of:
            newest[column.type] = max(newest.get(column.type, column.latest_date), column.latest_date)
        if column.type not in _COLUMN_CLASSES:
            continue  # exempt columns are never stale and count towards no column check
        # Disjoint states, as the rules sum them: an empty column counts as empty only.
        if column.empty:
            states[column.type, "empty"] += 1
        elif column.stale:
            states[column.type, "stale"] += 1
    broken: Counter[tuple[str, str]] = Counter(
        ("home" if link.on_homepage else "other", "confirmed" if link.confirmed else "suspected")
        for link in state.dead_links)
    severities = Counter((finding.severity, finding.confidence) for finding in result.findings
                         if finding.severity != "info")
    return SiteRecord(
        site_id=state.site_id, name=state.name, supervisor=state.supervisor, region=state.region,
        level=state.level, up=up,
        probes_1d=probes.total_1d, failed_1d=probes.failed_1d, probes_7d=probes.total_7d,
        failed_7d=probes.failed_7d,
        homepage_timestamp=day_timestamp(homepage) if homepage is not None else None,
        column_timestamps=tuple((cls, day_timestamp(day)) for cls, day in sorted(newest.items())),
        columns=tuple((cls, column_state, count) for (cls, column_state), count in sorted(states.items())),
        core_columns_stale=sum(1 for column in state.columns if is_core_stale(column)),
        broken_links=tuple((where, confidence, count)
                           for (where, confidence), count in sorted(broken.items())),
        unanswered_messages=unanswered_messages(state, as_of, rules),
        findings=tuple((severity, confidence, count)
                       for (severity, confidence), count in sorted(severities.items())),
        vetoes=_veto_confidences(result),
        score=result.score,
    )


def site_families(sites: Sequence[SiteRecord]) -> Iterator[Metric]:
    """The site families of a snapshot, built one at a time so a scrape holds one family in memory."""
    info = new_family(catalog.SITE_INFO)
    for site in sites:
        info.add_metric([*site.labels, site.name, site.supervisor], 1.0)
    yield info
    up = new_family(catalog.SITE_UP)
    for site in sites:
        if site.up is not None:
            up.add_metric(site.labels, site.up)
    yield up
    available = new_family(catalog.SITE_AVAILABILITY_RATIO)
    unavailable = new_family(catalog.SITE_UNAVAILABLE_RATIO)
    probes = new_family(catalog.SITE_PROBE_COUNT)
    for site in sites:
        windows = (("1d", site.probes_1d, site.failed_1d), ("7d", site.probes_7d, site.failed_7d))
        for window, total, failed in windows:
            probes.add_metric([*site.labels, window], float(total))
            if total:
                available.add_metric([*site.labels, window], 1 - failed / total)
                unavailable.add_metric([*site.labels, window], failed / total)
    yield from (available, unavailable, probes)
    homepage = new_family(catalog.SITE_HOMEPAGE_LAST_UPDATE)
    column_dates = new_family(catalog.SITE_COLUMN_LAST_UPDATE)
    columns = new_family(catalog.SITE_COLUMNS)
    core = new_family(catalog.SITE_CORE_COLUMNS_STALE)
    for site in sites:
        if site.homepage_timestamp is not None:
            homepage.add_metric(site.labels, site.homepage_timestamp)
        for cls, timestamp in site.column_timestamps:
            column_dates.add_metric([*site.labels, cls], timestamp)
        for cls, column_state, count in site.columns:
            columns.add_metric([*site.labels, cls, column_state], float(count))
        if site.core_columns_stale:
            core.add_metric(site.labels, float(site.core_columns_stale))
    yield from (homepage, column_dates, columns, core)
    broken = new_family(catalog.SITE_BROKEN_LINKS)
    unanswered = new_family(catalog.SITE_UNANSWERED_MESSAGES)
    findings = new_family(catalog.SITE_FINDINGS)
    vetoes = new_family(catalog.SITE_VETO)
    score = new_family(catalog.SITE_SCORE)
    for site in sites:
        for where, confidence, count in site.broken_links:
            broken.add_metric([*site.labels, where, confidence], float(count))
        if site.unanswered_messages:
            unanswered.add_metric(site.labels, float(site.unanswered_messages))
        for severity, confidence, count in site.findings:
            findings.add_metric([*site.labels, severity, confidence], float(count))
        for check, confidence in site.vetoes:
            vetoes.add_metric([*site.labels, check, confidence], 1.0)
        if site.score is not None:
            score.add_metric(site.labels, site.score)
    yield from (broken, unanswered, findings, vetoes, score)


@dataclass(slots=True, frozen=True, kw_only=True)
class FrontierFigures:
    """The frontier as Redis holds it at scrape time."""

    status: ClusterStatus
    heartbeats: dict[str, float] = field(default_factory=dict)  # worker -> unix time


def frontier_families(figures: FrontierFigures) -> Iterator[Metric]:
    status = figures.status
    for spec, value in ((catalog.SITES_REGISTERED, status.registered_sites),
                        (catalog.FRONTIER_QUEUED_REQUESTS, status.queued),
                        (catalog.FRONTIER_SITES_DUE, status.sites_due),
                        (catalog.FRONTIER_OLDEST_DUE_AGE, status.oldest_due_seconds or 0.0),
                        (catalog.WORKERS_ALIVE, len(status.workers))):
        family = new_family(spec)
        family.add_metric([], float(value))
        yield family
    owned = Counter(row.owner for row in status.shard_rows if row.owner is not None)
    shards = new_family(catalog.WORKER_OWNED_SHARDS)
    beats = new_family(catalog.WORKER_LAST_HEARTBEAT)
    for worker in sorted(status.workers):
        shards.add_metric([worker], float(owned.get(worker, 0)))
        if worker in figures.heartbeats:
            beats.add_metric([worker], figures.heartbeats[worker])
    yield from (shards, beats)


def redis_frontier_reader(settings: BaseSettings) -> Callable[[], FrontierFigures]:
    """Reads the frontier figures with a short-lived client (one event loop per scrape thread)."""
    config = frontier_config_from_settings(settings)

    async def read() -> FrontierFigures:
        client = connections.redis_async(settings)
        try:
            frontier = Frontier(client, config)
            status = await read_status(frontier)
            scores = cast("list[tuple[bytes, float]]",
                          await client.zrange(frontier.keys.workers, 0, -1, withscores=True))
        finally:
            await client.aclose()
        return FrontierFigures(status=status,
                               heartbeats={member.decode(): score / 1000 for member, score in scores})

    return lambda: asyncio.run(read())


def elasticsearch_states(client: Elasticsearch, prefix: str, batch_size: int
                         ) -> Callable[[CheckPoint], Iterable[SiteState]]:
    """Every registered site's state with its supervising office, `batch_size` sites per round of searches."""
    def states(point: CheckPoint) -> Iterator[SiteState]:
        for batch in iter_site_state_batches(client, prefix, point, batch_size=batch_size):
            yield from (replace(state, supervisor=site.supervisor) for site, state in batch)
    return states


class SiteStateExporter:
    """A prometheus_client collector: serves the last good snapshot; refresh() replaces it."""

    def __init__(self, states: Callable[[CheckPoint], Iterable[SiteState]], rules: Indicators, *,
                 frontier: Callable[[], FrontierFigures] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.states = states
        self.rules = rules
        self.frontier = frontier
        self.clock = clock
        self.snapshot: Snapshot | None = None
        self.failures: Counter[str] = Counter({"elasticsearch": 0, "redis": 0})
        self._failures_lock = threading.Lock()

    def _failed(self, source: str) -> None:
        with self._failures_lock:
            self.failures[source] += 1

    def refresh(self) -> bool:
        """Rebuild the snapshot; on failure log, count, keep the old one and return False."""
        started = self.clock()
        point = CheckPoint.at(None, datetime.fromtimestamp(started, SHANGHAI))
        try:
            as_of = point.as_of
            records = tuple(site_record(state, score_site(state, as_of, self.rules), as_of, self.rules)
                            for state in self.states(point))
        except (TransportError, ApiError, LookupError) as exc:
            self._failed("elasticsearch")
            logger.error("Site state refresh failed (%(error)s): serving the refresh of %(age)s; check "
                         "Elasticsearch (GOVCRAWL_ES_URL) and that the registry is seeded",
                         {"error": exc, "age": "never" if self.snapshot is None
                          else f"{started - self.snapshot.refreshed_at:.0f}s ago"})
            return False
        finished = self.clock()
        self.snapshot = Snapshot(sites=records, refreshed_at=finished, duration_seconds=finished - started)
        logger.info("Refreshed the state of %(sites)d sites in %(seconds).1fs",
                    {"sites": len(records), "seconds": finished - started})
        return True

    def run(self, stop: threading.Event, refresh_seconds: float) -> None:
        """Refresh every `refresh_seconds` until `stop` is set."""
        while not stop.is_set():
            began = time.monotonic()
            self.refresh()
            stop.wait(max(0.0, refresh_seconds - (time.monotonic() - began)))

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        if snapshot is not None:
            yield from site_families(snapshot.sites)
            for spec, value in ((catalog.EXPORTER_LAST_REFRESH, snapshot.refreshed_at),
                                (catalog.EXPORTER_REFRESH_DURATION, snapshot.duration_seconds)):
                family = new_family(spec)
                family.add_metric([], value)
                yield family
        if self.frontier is not None:
            try:
                figures = self.frontier()
            except (redis.RedisError, OSError) as exc:
                self._failed("redis")
                logger.warning("Could not read the frontier from Redis (%(error)s): its figures are left out "
                               "of this scrape", {"error": exc})
            else:
                yield from frontier_families(figures)
        failures = new_family(catalog.EXPORTER_REFRESH_FAILURES_TOTAL)
        with self._failures_lock:
            counts = sorted(self.failures.items())
        for source, count in counts:
            failures.add_metric([source], float(count))
        yield failures
