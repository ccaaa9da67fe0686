"""The one list of govcrawl Prometheus metrics: names, kinds, labels and help texts (no settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping


class MetricKind(StrEnum):
    """The Prometheus metric types govcrawl exports."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSpec:
    """One exported metric family: its name, kind, label names and help text."""

    name: str
    kind: MetricKind
    labels: tuple[str, ...]
    help: str
    # Labels whose values come from a fixed set; the others (site_id, region, worker, ...) are open.
    label_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # True: only series with a non-zero value are exported (absent means 0), which keeps the budget.
    sparse: bool = False

    def series_names(self) -> frozenset[str]:
        """Return every series name this family exposes (histograms add _bucket, _sum and _count)."""
        if self.kind is MetricKind.HISTOGRAM:
            return frozenset({f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count"})
        return frozenset({self.name})


SITE_LABELS: Final = ("site_id", "region", "level")
WORKER_LABELS: Final = ("worker",)

WINDOWS: Final = ("1d", "7d")
COLUMN_CLASSES: Final = (
    "news", "notice", "policy", "personnel", "plan", "basic", "consult", "survey", "interview", "service",
    "other",
)
COLUMN_STATES: Final = ("fresh", "stale", "empty")
BROKEN_LINK_WHERE: Final = ("home", "other")
CONFIDENCES: Final = ("confirmed", "suspected")
SEVERITIES: Final = ("veto", "deduction")
VETO_CHECKS: Final = (
    "V-AVAIL", "V-HOME", "V-CORE", "V-STALE", "V-EMPTY", "V-CHANNEL", "V-REPLY", "V-SERVICE", "V-SEVERE",
)
STATUS_CLASSES: Final = ("2xx", "3xx", "4xx", "5xx", "error")
PAGE_KINDS: Final = ("home", "column", "article", "attachment", "other")
LINK_CHECK_RESULTS: Final = (
    "ok", "http", "soft404", "dns", "timeout", "refused", "tls", "redirect_loop", "too_many_redirects",
    "other",
)
FETCH_DURATION_BUCKETS_SECONDS: Final = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)

_C = MetricKind.COUNTER
_G = MetricKind.GAUGE
_H = MetricKind.HISTOGRAM

# Site state, exported by the single `scrapy exporter` process from Elasticsearch/Redis.
SITE_INFO = MetricSpec(
    name="govcrawl_site_info", kind=_G, labels=(*SITE_LABELS, "name", "supervisor"),
    help="Registered site (always 1); name and supervisor (the registry's supervising office, which "
         "alert rules copy onto site alerts for routing; empty when not named) carry its registry values.",
)
SITE_UP = MetricSpec(
    name="govcrawl_site_up", kind=_G, labels=SITE_LABELS,
    help="1 if the newest home-page probe succeeded, else 0.",
)
SITE_AVAILABILITY_RATIO = MetricSpec(
    name="govcrawl_site_availability_ratio", kind=_G, labels=(*SITE_LABELS, "window"),
    label_values={"window": WINDOWS},
    help="Successful home-page probes / probes in the window (1d or 7d).",
)
SITE_UNAVAILABLE_RATIO = MetricSpec(
    name="govcrawl_site_unavailable_ratio", kind=_G, labels=(*SITE_LABELS, "window"),
    label_values={"window": WINDOWS},
    help="Failed home-page probes / probes in the window (1d or 7d); V-AVAIL uses 7d.",
)
SITE_PROBE_COUNT = MetricSpec(
    name="govcrawl_site_probe_count", kind=_G, labels=(*SITE_LABELS, "window"),
    label_values={"window": WINDOWS},
    help="Home-page probes in the window; a 7d ratio is valid with at least 140.",
)
SITE_HOMEPAGE_LAST_UPDATE = MetricSpec(
    name="govcrawl_site_homepage_last_update_timestamp_seconds", kind=_G, labels=SITE_LABELS,
    help="Unix time of the newest valid publish date among items linked from the home page.",
)
SITE_COLUMN_LAST_UPDATE = MetricSpec(
    name="govcrawl_site_column_last_update_timestamp_seconds", kind=_G, labels=(*SITE_LABELS, "class"),
    label_values={"class": COLUMN_CLASSES}, sparse=True,
    help="Unix time of the newest valid publish date in any column of this class (core classes only).",
)
SITE_COLUMNS = MetricSpec(
    name="govcrawl_site_columns", kind=_G, labels=(*SITE_LABELS, "class", "state"),
    label_values={"class": COLUMN_CLASSES, "state": COLUMN_STATES}, sparse=True,
    help="Columns of this class in this state (stale or empty; non-zero counts only).",
)
SITE_CORE_COLUMNS_STALE = MetricSpec(
    name="govcrawl_site_core_columns_stale", kind=_G, labels=SITE_LABELS, sparse=True,
    help="Core columns V-CORE counts: NEWS with no item in 14 days (empty ones too), level-1 "
         "NOTICE/POLICY with none in 6 months.",
)
SITE_BROKEN_LINKS = MetricSpec(
    name="govcrawl_site_broken_links", kind=_G, labels=(*SITE_LABELS, "where", "confidence"),
    label_values={"where": BROKEN_LINK_WHERE, "confidence": CONFIDENCES}, sparse=True,
    help="Broken links found on the home page or elsewhere, confirmed or suspected.",
)
SITE_UNANSWERED_MESSAGES = MetricSpec(
    name="govcrawl_site_unanswered_messages", kind=_G, labels=SITE_LABELS, sparse=True,
    help="Consultation messages unanswered after 3 months within the last 12 months (V-REPLY).",
)
SITE_FINDINGS = MetricSpec(
    name="govcrawl_site_findings", kind=_G, labels=(*SITE_LABELS, "severity", "confidence"),
    label_values={"severity": SEVERITIES, "confidence": CONFIDENCES}, sparse=True,
    help="Open findings of this severity (veto or deduction), confirmed or suspected (awaiting a person).",
)
SITE_VETO = MetricSpec(
    name="govcrawl_site_veto", kind=_G, labels=(*SITE_LABELS, "check", "confidence"),
    label_values={"check": VETO_CHECKS, "confidence": CONFIDENCES}, sparse=True,
    help="1 while the veto check (docs/checks.md §5 id) is true for the site, with its confidence "
         "(suspected: a person must confirm it, so alerts never page it as critical); absent otherwise.",
)
SITE_SCORE = MetricSpec(
    name="govcrawl_site_score", kind=_G, labels=SITE_LABELS,
    help="Deduction score (100 minus deductions) at the newest evaluation.",
)
EXPORTER_LAST_REFRESH = MetricSpec(
    name="govcrawl_exporter_last_refresh_timestamp_seconds", kind=_G, labels=(),
    help="Unix time the exporter last refreshed site state from Elasticsearch and Redis.",
)
EXPORTER_REFRESH_FAILURES_TOTAL = MetricSpec(
    name="govcrawl_exporter_refresh_failures_total", kind=_C, labels=("source",),
    label_values={"source": ("elasticsearch", "redis")},
    help="Refreshes of site state (elasticsearch) or scrape-time frontier reads (redis) that failed.",
)
EXPORTER_REFRESH_DURATION = MetricSpec(
    name="govcrawl_exporter_refresh_duration_seconds", kind=_G, labels=(),
    help="How long the newest successful refresh of site state took.",
)
SITES_REGISTERED = MetricSpec(
    name="govcrawl_sites_registered", kind=_G, labels=(),
    help="Sites in the registry.",
)

# Crawl frontier, read from Redis by the exporter at scrape time.
FRONTIER_QUEUED_REQUESTS = MetricSpec(
    name="govcrawl_frontier_queued_requests", kind=_G, labels=(),
    help="Requests waiting in the shared Redis frontier (cluster total).",
)
FRONTIER_SITES_DUE = MetricSpec(
    name="govcrawl_frontier_sites_due", kind=_G, labels=(),
    help="Sites whose next crawl cycle is due now.",
)
FRONTIER_OLDEST_DUE_AGE = MetricSpec(
    name="govcrawl_frontier_oldest_due_age_seconds", kind=_G, labels=(),
    help="Seconds since the longest-waiting due site became due.",
)
WORKERS_ALIVE = MetricSpec(
    name="govcrawl_workers_alive", kind=_G, labels=(),
    help="Workers whose heartbeat in Redis is fresh.",
)
WORKER_OWNED_SHARDS = MetricSpec(
    name="govcrawl_worker_owned_shards", kind=_G, labels=WORKER_LABELS,
    help="Frontier shards this worker currently owns.",
)
WORKER_LAST_HEARTBEAT = MetricSpec(
    name="govcrawl_worker_last_heartbeat_timestamp_seconds", kind=_G, labels=WORKER_LABELS,
    help="Unix time of this worker's newest heartbeat.",
)

# Per worker process.
RESPONSES_TOTAL = MetricSpec(
    name="govcrawl_responses_total", kind=_C, labels=(*WORKER_LABELS, "status_class"),
    label_values={"status_class": STATUS_CLASSES},
    help="Responses received, by HTTP status class (error = no response).",
)
PAGES_TOTAL = MetricSpec(
    name="govcrawl_pages_total", kind=_C, labels=(*WORKER_LABELS, "kind"),
    label_values={"kind": PAGE_KINDS},
    help="Pages parsed, by page kind.",
)
ITEMS_TOTAL = MetricSpec(
    name="govcrawl_items_total", kind=_C, labels=(*WORKER_LABELS, "type"),
    help="Items produced, by item type.",
)
LINK_CHECKS_TOTAL = MetricSpec(
    name="govcrawl_link_checks_total", kind=_C, labels=(*WORKER_LABELS, "result"),
    label_values={"result": LINK_CHECK_RESULTS},
    help="Link checks done, by result.",
)
FETCH_DURATION = MetricSpec(
    name="govcrawl_fetch_duration_seconds", kind=_H, labels=WORKER_LABELS,
    help="Time from sending a request to receiving its whole response.",
)
ERRORS_TOTAL = MetricSpec(
    name="govcrawl_errors_total", kind=_C, labels=(*WORKER_LABELS, "kind"),
    help="Errors handled, by kind.",
)
SKIPPED_TOTAL = MetricSpec(
    name="govcrawl_skipped_total", kind=_C, labels=(*WORKER_LABELS, "reason"),
    help="Work the crawl left undone on purpose, by reason: links not followed (trap, page_budget, "
         "check_budget), requests robots.txt disallows (refused), pages repeating another page of their "
         "URL pattern whose links are not followed again (repeated_page) and pages cut at an analysis "
         "limit (capped_links, capped_text, capped_nesting). Addresses the network guard blocks are "
         "errors (govcrawl_errors_total kind blocked, blocked_redirect).",
)
WORKER_BUFFERED_REQUESTS = MetricSpec(
    name="govcrawl_worker_buffered_requests", kind=_G, labels=WORKER_LABELS,
    help="Requests this worker took from its shards and holds in memory, not yet sent to the downloader.",
)
ES_BUFFERED_ITEMS = MetricSpec(
    name="govcrawl_es_buffered_items", kind=_G, labels=WORKER_LABELS,
    help="Items held in memory waiting for the next Elasticsearch bulk request.",
)
ES_SPOOLED_ITEMS = MetricSpec(
    name="govcrawl_es_spooled_items", kind=_G, labels=WORKER_LABELS,
    help="Items spilled to the durable spool because Elasticsearch did not take them.",
)
ES_WRITE_LAG = MetricSpec(
    name="govcrawl_es_write_lag_seconds", kind=_G, labels=WORKER_LABELS,
    help="Age of the oldest item not yet written to Elasticsearch.",
)
ES_FAILED_ITEMS_TOTAL = MetricSpec(
    name="govcrawl_es_failed_items_total", kind=_C, labels=WORKER_LABELS,
    help="Items Elasticsearch rejected for good (not retried).",
)
SHARD_HANDOVERS_TOTAL = MetricSpec(
    name="govcrawl_shard_handovers_total", kind=_C, labels=(*WORKER_LABELS, "direction"),
    label_values={"direction": ("out", "in")},
    help="Shards this worker handed to another (out) or was handed (in) to even out the load.",
)

SITE_METRICS: Final[tuple[MetricSpec, ...]] = (
    SITE_INFO, SITE_UP, SITE_AVAILABILITY_RATIO, SITE_UNAVAILABLE_RATIO, SITE_PROBE_COUNT,
    SITE_HOMEPAGE_LAST_UPDATE, SITE_COLUMN_LAST_UPDATE, SITE_COLUMNS, SITE_CORE_COLUMNS_STALE,
    SITE_BROKEN_LINKS, SITE_UNANSWERED_MESSAGES, SITE_FINDINGS, SITE_VETO, SITE_SCORE,
)
EXPORTER_METRICS: Final[tuple[MetricSpec, ...]] = (
    EXPORTER_LAST_REFRESH, EXPORTER_REFRESH_FAILURES_TOTAL, EXPORTER_REFRESH_DURATION, SITES_REGISTERED,
    FRONTIER_QUEUED_REQUESTS, FRONTIER_SITES_DUE, FRONTIER_OLDEST_DUE_AGE, WORKERS_ALIVE, WORKER_OWNED_SHARDS,
    WORKER_LAST_HEARTBEAT,
)
WORKER_METRICS: Final[tuple[MetricSpec, ...]] = (
    RESPONSES_TOTAL, PAGES_TOTAL, ITEMS_TOTAL, LINK_CHECKS_TOTAL, FETCH_DURATION, ERRORS_TOTAL, SKIPPED_TOTAL,
    WORKER_BUFFERED_REQUESTS, ES_BUFFERED_ITEMS, ES_SPOOLED_ITEMS, ES_WRITE_LAG, ES_FAILED_ITEMS_TOTAL,
    SHARD_HANDOVERS_TOTAL,
)
ALL_METRICS: Final[tuple[MetricSpec, ...]] = (*SITE_METRICS, *EXPORTER_METRICS, *WORKER_METRICS)

# What the exporter emits per site (the series budget in docs/metrics.md rests on these choices):
# column states other than fresh, and column dates for the core classes only.
SITE_COLUMN_EXPORTED_STATES: Final = ("stale", "empty")
SITE_COLUMN_LAST_UPDATE_EXPORTED_CLASSES: Final = ("news", "notice", "policy")

# Most series one site can add under those choices, family by family.
MAX_SERIES_PER_SITE: Final[Mapping[str, int]] = {
    SITE_INFO.name: 1,
    SITE_UP.name: 1,
    SITE_AVAILABILITY_RATIO.name: len(WINDOWS),
    SITE_UNAVAILABLE_RATIO.name: len(WINDOWS),
    SITE_PROBE_COUNT.name: len(WINDOWS),
    SITE_HOMEPAGE_LAST_UPDATE.name: 1,
    SITE_COLUMN_LAST_UPDATE.name: len(SITE_COLUMN_LAST_UPDATE_EXPORTED_CLASSES),
    SITE_COLUMNS.name: len(COLUMN_CLASSES) * len(SITE_COLUMN_EXPORTED_STATES),
    SITE_BROKEN_LINKS.name: len(BROKEN_LINK_WHERE) * len(CONFIDENCES),
    SITE_CORE_COLUMNS_STALE.name: 1,
    SITE_UNANSWERED_MESSAGES.name: 1,
    SITE_FINDINGS.name: len(SEVERITIES) * len(CONFIDENCES),
    SITE_VETO.name: len(VETO_CHECKS),  # one confidence per check at a time: the label adds no series
    SITE_SCORE.name: 1,
}


def metric_by_name(name: str) -> MetricSpec | None:
    """Return the family called `name`, or None when the catalog has no such family."""
    for spec in ALL_METRICS:
        if spec.name == name:
            return spec
    return None


def all_series_names() -> frozenset[str]:
    """Return every series name govcrawl exports, histogram _bucket/_sum/_count included."""
    names: set[str] = set()
    for spec in ALL_METRICS:
        names |= spec.series_names()
    return frozenset(names)


def always_exported_series_per_site() -> int:
    """Return the series every registered site adds whatever its state (the non-sparse families)."""
    return sum(MAX_SERIES_PER_SITE[spec.name] for spec in SITE_METRICS if not spec.sparse)


def max_series_per_site() -> int:
    """Return the most series one site can add (every sparse family at its fullest)."""
    return sum(MAX_SERIES_PER_SITE.values())


_SELECTOR = re.compile(r"\b(govcrawl_[A-Za-z0-9_]+)\b\s*(?:\{([^}]*)\})?")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")
# Labels Prometheus adds at scrape time; `le` belongs to histogram buckets.
_TARGET_LABELS: Final = frozenset({"job", "instance"})


def _family_of(series_name: str) -> tuple[MetricSpec | None, bool]:
    spec = metric_by_name(series_name)
    if spec is not None:
        return spec, False
    for suffix in ("_bucket", "_sum", "_count"):
        base = metric_by_name(series_name.removesuffix(suffix)) if series_name.endswith(suffix) else None
        if base is not None and base.kind is MetricKind.HISTOGRAM:
            return base, suffix == "_bucket"
    return None, False


def selector_problems(expr: str) -> list[str]:
    """Return what a PromQL expression gets wrong about the catalog (unknown metric, label or value).

    Checks every `govcrawl_*` selector: the name must be exported, matched labels must be the family's
    (or job/instance), and literal values of fixed-set labels must be in the set. Values holding a
    Grafana variable (`$region`) or a regular expression are not judged.
    """
    problems: list[str] = []
    for match in _SELECTOR.finditer(expr):
        series_name, matchers = match.group(1), match.group(2) or ""
        spec, is_bucket = _family_of(series_name)
        if spec is None:
            problems.append(f"{series_name}: not in crawler/metrics_catalog.py")
            continue
        allowed_labels = set(spec.labels) | _TARGET_LABELS | ({"le"} if is_bucket else set())
        for label, operator, value in _MATCHER.findall(matchers):
            if label not in allowed_labels:
                problems.append(f"{series_name}: label {label!r} is not one of {sorted(allowed_labels)}")
                continue
            fixed = spec.label_values.get(label)
            if fixed is None or "$" in value or operator.startswith("!"):
                continue
            candidates = value.split("|") if operator == "=~" else [value]
            for candidate in candidates:
                if _PLAIN_VALUE.match(candidate) and candidate not in fixed:
                    problems.append(f"{series_name}: {label}={candidate!r} is not one of {list(fixed)}")
    return problems
