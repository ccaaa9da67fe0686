"""The worker metrics extension: its endpoint after a real crawl of a tiny farm, ports, label helpers."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections import defaultdict
from typing import TYPE_CHECKING

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from crawler import metrics_catalog as catalog
from crawler.extensions.metrics import item_type, stat_counts
from crawler.items import AckItem, LinkItem, PageItem
from crawler.metrics import new_family, serve, status_class
from tests.conftest import CRAWL_SETTINGS, run_farm, terminate

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

    import redis

    from tests.conftest import Env, RunningFarm

# Until crawler/defaults.py and settings.py carry them, the tests switch the extension on themselves.
METRICS_SETTINGS = (
    "-s", 'EXTENSIONS={"crawler.extensions.metrics.MetricsExtension": 500}',
    "-s", "GOVCRAWL_METRICS_ENABLED=1",
    "-s", "GOVCRAWL_METRICS_ADDRESS=127.0.0.1",
    "-s", "GOVCRAWL_METRICS_PORT=0",
    "-s", "GOVCRAWL_METRICS_PORT_TRIES=1",
)

Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str) -> Samples:
    """Every sample of an endpoint, by sample name (counters keep their _total suffix)."""
    with urllib.request.urlopen(url, timeout=5) as answer:
        text = answer.read().decode("utf-8")
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((dict(sample.labels), sample.value))
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(value for found, value in samples.get(name, [])
               if all(found.get(key) == wanted for key, wanted in labels.items()))


@pytest.mark.parametrize(("status", "expected"), [
    (200, "2xx"), (204, "2xx"), (301, "3xx"), (304, "3xx"), (404, "4xx"), (410, "4xx"), (500, "5xx"),
    (503, "5xx"), (None, "error"), (0, "error"), (999, "error"), (102, "error"),
])
def test_status_class(status: int | None, expected: str) -> None:
    assert status_class(status) == expected
    assert expected in catalog.STATUS_CLASSES


def test_item_type_and_stat_counts() -> None:
    page = PageItem(site_id="s", url="http://a/", status=200, fetched_at=None)  # type: ignore[arg-type]
    link = LinkItem(site_id="s", url="http://a/x", found_on="http://a/", on_homepage=True, target_kind="page",
                    checked_at=None, ok=False)  # type: ignore[arg-type]
    assert item_type(page) == "page"
    assert item_type(link) == "link"
    assert item_type(AckItem(1, b"fp")) is None
    stats = {"govcrawl/links/checked/ok": 4, "govcrawl/links/checked/soft404": 1, "govcrawl/links/other": 9,
             "govcrawl/links/checked/odd": "text"}
    assert stat_counts(stats, "govcrawl/links/checked/") == {"ok": 4.0, "soft404": 1.0}


def test_histograms_cannot_be_collector_families() -> None:
    with pytest.raises(ValueError, match="govcrawl_fetch_duration_seconds is a histogram"):
        new_family(catalog.FETCH_DURATION)


def test_a_second_worker_on_the_host_takes_the_next_port() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        server, thread, port = serve(CollectorRegistry(), "127.0.0.1", taken, 5)
        try:
            assert taken < port < taken + 5
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        with pytest.raises(OSError, match=f"no free port for metrics on 127.0.0.1 in {taken}..{taken}"):
            serve(CollectorRegistry(), "127.0.0.1", taken, 1)


@pytest.fixture(scope="module")
def tiny_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    """Two sites: site 0 with the usual faults (dead links, soft 404s), site 1 down."""
    with run_farm(tmp_path_factory.mktemp("metrics-farm"), sites=2, seed=11, base_ip="127.0.8.1",
                  extra=("--slow-seconds", "2", "--slow-home-seconds", "0.5")) as farm:
        yield farm


def wait_for_metrics_port(client: redis.Redis, env: Env, worker: subprocess.Popen[str],
                          timeout: float = 30) -> tuple[str, int]:
    """The worker id and the port its extension wrote into the worker's Redis hash."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited early"
        for key in client.scan_iter(match=f"{env.redis_prefix}:workers:*", _type="hash"):
            port = client.hget(key, "metrics_port")
            if port is not None:
                return key.decode().rsplit(":", 1)[1], int(port)
        time.sleep(0.3)
    pytest.fail("no worker wrote metrics_port into its Redis hash")


def test_worker_endpoint_serves_the_catalog_after_a_real_crawl(env: Env, tiny_farm: RunningFarm,
                                                             redis_client: redis.Redis) -> None:
    seeded = env.scrapy("seed", str(tiny_farm.registry))
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    worker = env.popen("crawl", "govsite", settings=(*CRAWL_SETTINGS, *METRICS_SETTINGS))
    log = ""
    try:
        worker_id, port = wait_for_metrics_port(redis_client, env, worker)
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 90
        samples = scrape(url)
        while time.monotonic() < deadline and not (
            total(samples, "govcrawl_pages_total", kind="article") > 0
            and total(samples, "govcrawl_link_checks_total") > 0
            and total(samples, "govcrawl_responses_total", status_class="error") > 0
            # The down site's probe item comes after its retry fails too.
            and total(samples, "govcrawl_items_total", type="probe") >= 2
        ):
            time.sleep(1)
            samples = scrape(url)
    finally:
        log = terminate(worker)
    assert "Metrics of worker" in log, log[-3000:]
    exported = {name for name in samples if name.startswith("govcrawl_")}
    expected = set().union(*(spec.series_names() for spec in catalog.WORKER_METRICS))
    assert exported == expected, (exported ^ expected, log[-2000:])
    for name, rows in samples.items():
        spec = catalog.metric_by_name(name) or catalog.metric_by_name(name.rsplit("_", 1)[0])
        if not name.startswith("govcrawl_"):
            continue
        assert spec is not None, name
        for labels, _ in rows:
            assert set(labels) - {"le"} == set(spec.labels), (name, labels)
            assert labels["worker"] == worker_id
            for label, allowed in spec.label_values.items():
                assert labels[label] in allowed, (name, labels)
    assert total(samples, "govcrawl_responses_total", status_class="2xx") > 10
    # Site 1 is down: its home page is refused, an error of kind "refused" and a response-less fetch.
    assert total(samples, "govcrawl_responses_total", status_class="error") > 0
    assert total(samples, "govcrawl_errors_total", kind="refused") > 0
    assert total(samples, "govcrawl_pages_total", kind="home") >= 1
    assert total(samples, "govcrawl_items_total", type="page") == total(samples, "govcrawl_pages_total")
    assert total(samples, "govcrawl_items_total", type="probe") >= 2
    assert total(samples, "govcrawl_link_checks_total") > 0
    assert total(samples, "govcrawl_fetch_duration_seconds_count") == pytest.approx(
        total(samples, "govcrawl_responses_total") - total(samples, "govcrawl_responses_total",
                                                           status_class="error"))
    assert total(samples, "govcrawl_es_buffered_items") >= 0
    assert total(samples, "govcrawl_es_spooled_items") == 0
