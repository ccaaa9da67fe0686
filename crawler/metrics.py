"""Every govcrawl Prometheus metric object, declared from crawler.metrics_catalog into a given registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram, disable_created_metrics, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from crawler import metrics_catalog as catalog
from crawler.metrics_catalog import MetricKind, MetricSpec

if TYPE_CHECKING:
    from threading import Thread
    from wsgiref.simple_server import WSGIServer

    from prometheus_client import CollectorRegistry

logger = logging.getLogger(__name__)

MetricFamily = GaugeMetricFamily | CounterMetricFamily


def _counter(spec: MetricSpec, registry: CollectorRegistry) -> Counter:
    if spec.kind is not MetricKind.COUNTER:
        raise ValueError(f"{spec.name} is a {spec.kind} in the catalog, not a counter")
    return Counter(spec.name, spec.help, spec.labels, registry=registry)


def _histogram(spec: MetricSpec, registry: CollectorRegistry, buckets: tuple[float, ...]) -> Histogram:
    if spec.kind is not MetricKind.HISTOGRAM:
        raise ValueError(f"{spec.name} is a {spec.kind} in the catalog, not a histogram")
    return Histogram(spec.name, spec.help, spec.labels, registry=registry, buckets=buckets)


def new_family(spec: MetricSpec) -> MetricFamily:
    """An empty family for a custom collector, named, typed and labelled as the catalog says."""
    if spec.kind is MetricKind.GAUGE:
        return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
    if spec.kind is MetricKind.COUNTER:
        return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    raise ValueError(f"{spec.name} is a histogram: declare it as a Histogram object, not a collector family")


@dataclass(slots=True, frozen=True, kw_only=True)
class WorkerMetrics:
    """The metrics a worker feeds from Scrapy signals, each bound to the worker's label value."""

    responses: Counter
    pages: Counter
    items: Counter
    fetch_duration: Histogram

    @classmethod
    def declare(cls, registry: CollectorRegistry) -> WorkerMetrics:
        # The *_created series would double every counter family and are not in the catalog.
        disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        return cls(
            responses=_counter(catalog.RESPONSES_TOTAL, registry),
            pages=_counter(catalog.PAGES_TOTAL, registry),
            items=_counter(catalog.ITEMS_TOTAL, registry),
            fetch_duration=_histogram(catalog.FETCH_DURATION, registry,
                                      catalog.FETCH_DURATION_BUCKETS_SECONDS),
        )


def status_class(status: int | None) -> str:
    """The status_class label of a response status; None (no response) is "error"."""
    if status is None or not 200 <= status < 600:
        return "error"
    return f"{status // 100}xx"


def serve(registry: CollectorRegistry, address: str, port: int, tries: int) -> tuple[WSGIServer, Thread, int]:
    """Serve `registry` on the first free port of port..port+tries-1 (0: any free port); returns the port.

    Raises OSError naming the range when every port is taken.
    """
    if tries < 1:
        raise ValueError(f"port tries is {tries}: it must be at least 1")
    candidates = [0] if port == 0 else list(range(port, port + tries))
    last_error: OSError | None = None
    for candidate in candidates:
        try:
            server, thread = start_http_server(candidate, addr=address, registry=registry)
        except OSError as exc:
            last_error = exc
            continue
        return server, thread, int(server.server_address[1])
    raise OSError(f"no free port for metrics on {address} in {candidates[0]}..{candidates[-1]} "
                  f"({last_error}): stop what holds them or raise the tries setting")
