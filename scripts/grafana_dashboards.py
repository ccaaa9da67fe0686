"""Generate deploy/grafana/dashboards/*.json with grafana-foundation-sdk (--check: verify, no write)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from grafana_foundation_sdk.builders import bargauge, common, dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import BigValueColorMode, LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grafana_foundation_sdk.cog.builder import Builder
    from grafana_foundation_sdk.models.dashboard import Dashboard

logger = logging.getLogger(__name__)

DATASOURCE_UID = "govcrawl-prometheus"
DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "dashboards"
CRAWL_HEALTH_UID = "govcrawl-crawl-health"
SITE_FRESHNESS_UID = "govcrawl-site-freshness"

_DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
_SITE = 'region=~"$region", site_id=~"$site_id"'
_REFERENCE_IDS = "ABCDEFGH"


class _PanelIds:
    """Hands out dashboard-unique panel ids in layout order."""

    def __init__(self) -> None:
        self._last_id = 0

    def next(self) -> int:
        self._last_id += 1
        return self._last_id


def _query(expr: str, legend: str = "", *, ref: int = 0, instant_table: bool = False) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(_REFERENCE_IDS[ref]).datasource(_DATASOURCE)
    if legend:
        query = query.legend_format(legend)
    if instant_table:
        query = query.instant().format(PromQueryFormat.TABLE)
    return query


def _thresholds(steps: Sequence[tuple[float | None, str]]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def _legend() -> common.VizLegendOptions:
    return (
        common.VizLegendOptions()
        .display_mode(LegendDisplayMode.TABLE)
        .placement(LegendPlacement.RIGHT)
        .show_legend(True)
        .calcs(["lastNotNull", "max"])
    )


def _timeseries(
    ids: _PanelIds, title: str, unit: str, queries: Sequence[tuple[str, str]], *, description: str = "",
    width: int = 12,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel().id(ids.next()).title(title).description(description).datasource(_DATASOURCE)
        .unit(unit).height(8).span(width).legend(_legend()).fill_opacity(10)
    )
    for ref, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, ref=ref))
    return panel


def _stat(
    ids: _PanelIds, title: str, unit: str, expr: str, steps: Sequence[tuple[float | None, str]], *,
    description: str = "",
) -> stat.Panel:
    return (
        stat.Panel().id(ids.next()).title(title).description(description).datasource(_DATASOURCE)
        .unit(unit).height(4).span(4).color_mode(BigValueColorMode.BACKGROUND)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(_thresholds(steps))
        .with_target(_query(expr))
    )


def _merged_table(
    ids: _PanelIds, title: str, queries: Sequence[str], renames: dict[str, str], *, description: str = "",
    height: int = 10,
) -> table.Panel:
    panel = (
        table.Panel().id(ids.next()).title(title).description(description).datasource(_DATASOURCE)
        .height(height).span(24).show_header(True)
        .with_transformation(DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(DataTransformerConfig(
            id_val="organize",
            options={"excludeByName": {"Time": True}, "renameByName": renames},
        ))
    )
    for ref, expr in enumerate(queries):
        panel = panel.with_target(_query(expr, ref=ref, instant_table=True))
    return panel


def _row(ids: _PanelIds, title: str) -> dashboard.Row:
    return dashboard.Row(title).id(ids.next())


def _build(builder: Builder[Dashboard]) -> Dashboard:
    return builder.build()


def crawl_health_dashboard() -> Dashboard:
    """Build "govcrawl — crawl health": throughput, latency, frontier, workers, Elasticsearch, errors."""
    ids = _PanelIds()
    worker = 'worker=~"$worker"'
    rate = "[$__rate_interval]"
    builder = (
        dashboard.Dashboard("govcrawl — crawl health")
        .uid(CRAWL_HEALTH_UID)
        .description("Is the govcrawl cluster fetching, keeping up and writing to Elasticsearch?")
        .tags(["govcrawl"])
        .refresh("1m")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(
            dashboard.QueryVariable("worker").label("Worker").datasource(_DATASOURCE)
            .query("label_values(govcrawl_responses_total, worker)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*")
        )
        .with_row(_row(ids, "Throughput"))
        .with_panel(_timeseries(ids, "Responses by status class", "reqps", [
            (f"sum by (status_class) (rate(govcrawl_responses_total{{{worker}}}{rate}))", "{{status_class}}"),
        ], description="error = no HTTP response (DNS, TCP, TLS, timeout)."))
        .with_panel(_timeseries(ids, "Pages parsed by kind", "ops", [
            (f"sum by (kind) (rate(govcrawl_pages_total{{{worker}}}{rate}))", "{{kind}}"),
        ]))
        .with_panel(_timeseries(ids, "Items produced by type", "ops", [
            (f"sum by (type) (rate(govcrawl_items_total{{{worker}}}{rate}))", "{{type}}"),
        ]))
        .with_panel(_timeseries(ids, "Link checks by result", "ops", [
            (f"sum by (result) (rate(govcrawl_link_checks_total{{{worker}}}{rate}))", "{{result}}"),
        ]))
        .with_row(_row(ids, "Fetch latency"))
        .with_panel(_timeseries(ids, "Fetch duration quantiles", "s", [
            (
                f"histogram_quantile({quantile}, sum by (le) "
                f"(rate(govcrawl_fetch_duration_seconds_bucket{{{worker}}}{rate})))",
                f"p{round(quantile * 100)}",
            )
            for quantile in (0.5, 0.9, 0.99)
        ], width=16))
        .with_panel(_timeseries(ids, "Mean fetch duration by worker", "s", [
            (
                f"sum by (worker) (rate(govcrawl_fetch_duration_seconds_sum{{{worker}}}{rate}))"
                f" / sum by (worker) (rate(govcrawl_fetch_duration_seconds_count{{{worker}}}{rate}))",
                "{{worker}}",
            ),
        ], width=8))
        .with_row(_row(ids, "Frontier and workers"))
        .with_panel(_stat(ids, "Workers alive", "none", "govcrawl_workers_alive",
                          [(None, "red"), (1, "green")]))
        .with_panel(_stat(ids, "Sites registered", "none", "govcrawl_sites_registered", [(None, "blue")]))
        .with_panel(_stat(ids, "Sites due", "none", "govcrawl_frontier_sites_due", [(None, "blue")]))
        .with_panel(_stat(ids, "Oldest due site waiting", "s", "govcrawl_frontier_oldest_due_age_seconds",
                          [(None, "green"), (3600, "orange"), (7200, "red")],
                          description="GovcrawlQueueGrowing fires past 2 hours while the queue grows."))
        .with_panel(_stat(ids, "Site metrics age", "s",
                          "time() - govcrawl_exporter_last_refresh_timestamp_seconds",
                          [(None, "green"), (600, "orange"), (900, "red")],
                          description="Seconds since the exporter refreshed site state (alert at 15 min)."))
        .with_panel(_stat(ids, "Exporter samples", "none",
                          'scrape_samples_scraped{job="govcrawl-exporter"}',
                          [(None, "green"), (250000, "orange"), (300000, "red")],
                          description="Series budget: scrapes fail at sample_limit 300000."))
        .with_panel(_timeseries(ids, "Frontier: queued requests and sites due", "none", [
            ("govcrawl_frontier_queued_requests", "queued requests"),
            ("govcrawl_frontier_sites_due", "sites due"),
        ]))
        .with_panel(_timeseries(ids, "Owned shards per worker", "none", [
            (f"govcrawl_worker_owned_shards{{{worker}}}", "{{worker}}"),
        ]))
        .with_panel(_timeseries(ids, "Shard handovers (load balancing)", "none", [
            (f"sum by (worker, direction) (increase(govcrawl_shard_handovers_total{{{worker}}}{rate}))",
             "{{worker}} {{direction}}"),
        ], description="Shards a loaded worker handed to an idle one (out) and took (in); a steady "
                       "stream means the shards' work is very uneven."))
        .with_panel(_timeseries(ids, "Heartbeat age per worker", "s", [
            (f"time() - govcrawl_worker_last_heartbeat_timestamp_seconds{{{worker}}}", "{{worker}}"),
        ], description="GovcrawlWorkerGone fires past 120 s."))
        .with_panel(_timeseries(ids, "Worker scrape targets up", "none", [
            ('up{job="govcrawl-workers"}', "{{instance}}"),
        ]))
        .with_row(_row(ids, "Elasticsearch writes"))
        .with_panel(_timeseries(ids, "Items buffered and spooled", "none", [
            (f"govcrawl_es_buffered_items{{{worker}}}", "{{worker}} buffered"),
            (f"govcrawl_es_spooled_items{{{worker}}}", "{{worker}} spooled"),
        ], description="Spooled = spilled to the durable buffer; GovcrawlEsBufferGrowing fires when it "
                       "grows."))
        .with_panel(_timeseries(ids, "Write lag", "s", [
            (f"govcrawl_es_write_lag_seconds{{{worker}}}", "{{worker}}"),
        ]))
        .with_panel(_timeseries(ids, "Items rejected by Elasticsearch", "ops", [
            (f"sum by (worker) (rate(govcrawl_es_failed_items_total{{{worker}}}{rate}))", "{{worker}}"),
        ]))
        .with_row(_row(ids, "Errors"))
        .with_panel(_timeseries(ids, "Errors by kind", "ops", [
            (f"sum by (kind) (rate(govcrawl_errors_total{{{worker}}}{rate}))", "{{kind}}"),
        ]))
    )
    return _build(builder)


def site_freshness_dashboard() -> Dashboard:
    """Build "govcrawl — site freshness and availability": regions, then sites drilled down by variables."""
    ids = _PanelIds()
    region = 'region=~"$region"'
    by_site = "sum by (site_id, region, level)"
    builder = (
        dashboard.Dashboard("govcrawl — site freshness and availability")
        .uid(SITE_FRESHNESS_UID)
        .description("Check indicators per region and site: home-page freshness, availability, columns, "
                     "dead links, vetoes and score.")
        .tags(["govcrawl"])
        .refresh("5m")
        .time("now-7d", "now")
        .timezone("Asia/Shanghai")
        .with_variable(
            dashboard.QueryVariable("region").label("Region 市州").datasource(_DATASOURCE)
            .query("label_values(govcrawl_site_info, region)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*")
        )
        .with_variable(
            dashboard.QueryVariable("site_id").label("Site 网站").datasource(_DATASOURCE)
            .query(f"label_values(govcrawl_site_info{{{region}}}, site_id)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*")
        )
        .with_row(_row(ids, "By region"))
        .with_panel(_stat(ids, "Sites", "none", f"count(govcrawl_site_info{{{region}}})", [(None, "blue")]))
        .with_panel(_stat(ids, "Sites down now", "none",
                          f"count(govcrawl_site_up{{{region}}} == 0) or vector(0)",
                          [(None, "green"), (1, "red")]))
        .with_panel(_stat(ids, "Home page stale ≥ 14 days", "none",
                          f"count((time() - govcrawl_site_homepage_last_update_timestamp_seconds{{{region}}})"
                          " >= 14 * 86400) or vector(0)",
                          [(None, "green"), (1, "red")]))
        .with_panel(_stat(ids, "Sites with a veto", "none",
                          f"count(max by (site_id) (govcrawl_site_veto{{{region}}}) == 1) or vector(0)",
                          [(None, "green"), (1, "red")]))
        .with_panel(_stat(ids, "Mean availability (7d)", "percentunit",
                          f'avg(govcrawl_site_availability_ratio{{{region}, window="7d"}})',
                          [(None, "red"), (0.95, "orange"), (0.97, "green")]))
        .with_panel(_stat(ids, "Mean score", "none", f"avg(govcrawl_site_score{{{region}}})",
                          [(None, "red"), (60, "orange"), (80, "green")]))
        .with_panel(_merged_table(ids, "Regions", [
            f"count by (region) (govcrawl_site_info{{{region}}})",
            f"count by (region) (govcrawl_site_up{{{region}}} == 0)",
            f"count by (region) ((time() - govcrawl_site_homepage_last_update_timestamp_seconds{{{region}}})"
            " >= 10 * 86400)",
            f'avg by (region) (govcrawl_site_availability_ratio{{{region}, window="7d"}})',
            f"count by (region) (max by (region, site_id) (govcrawl_site_veto{{{region}}}) == 1)",
            f"avg by (region) (govcrawl_site_score{{{region}}})",
        ], {
            "Value #A": "sites", "Value #B": "down now", "Value #C": "home page ≥ 10 days",
            "Value #D": "availability 7d", "Value #E": "sites with a veto", "Value #F": "mean score",
        }, description="One row per city/prefecture (市州)."))
        .with_row(_row(ids, "Sites"))
        .with_panel(_merged_table(ids, "Sites: check indicators", [
            f"(time() - govcrawl_site_homepage_last_update_timestamp_seconds{{{_SITE}}}) / 86400",
            f'govcrawl_site_availability_ratio{{{_SITE}, window="7d"}}',
            f'{by_site} (govcrawl_site_columns{{{_SITE}, state="stale"}})',
            f'{by_site} (govcrawl_site_columns{{{_SITE}, state="empty"}})',
            f'{by_site} (govcrawl_site_broken_links{{{_SITE}, where="home", confidence="confirmed"}})',
            f"govcrawl_site_unanswered_messages{{{_SITE}}}",
            f"govcrawl_site_score{{{_SITE}}}",
            f"govcrawl_site_info{{{_SITE}}}",
        ], {
            "Value #A": "days since home-page update", "Value #B": "availability 7d",
            "Value #C": "stale columns", "Value #D": "empty columns", "Value #E": "dead links on home page",
            "Value #F": "unanswered messages", "Value #G": "score", "Value #H": "registered",
        }, description="Absent cells mean zero: stale/empty columns, dead links and messages are exported "
                       "only when non-zero.", height=14))
        .with_panel(
            bargauge.Panel().id(ids.next()).title("Days since home-page update (worst 20)")
            .datasource(_DATASOURCE).unit("d").height(10).span(12).min(0).max(30)
            .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
            .thresholds(_thresholds([(None, "green"), (10, "orange"), (14, "red")]))
            .with_target(_query(
                "topk(20, (time() - "
                f"govcrawl_site_homepage_last_update_timestamp_seconds{{{_SITE}}}) / 86400)",
                "{{site_id}}",
            ))
        )
        .with_panel(_timeseries(ids, "Unavailable share of probes", "percentunit", [
            (f'govcrawl_site_unavailable_ratio{{{_SITE}, window="1d"}}', "{{site_id}} 1d"),
            (f'govcrawl_site_unavailable_ratio{{{_SITE}, window="7d"}}', "{{site_id}} 7d"),
        ], description="V-AVAIL: 5 % over 7 days with at least 140 probes; warning at 3 %."))
        .with_panel(_timeseries(ids, "Home page reachable", "none", [
            (f"govcrawl_site_up{{{_SITE}}}", "{{site_id}}"),
        ]))
        .with_panel(_timeseries(ids, "Probes in window", "none", [
            (f'govcrawl_site_probe_count{{{_SITE}, window="7d"}}', "{{site_id}} 7d"),
        ], description="A 7-day ratio is valid with at least 140 probes."))
        .with_panel(_timeseries(ids, "Stale and empty columns by class", "none", [
            (f'govcrawl_site_columns{{{_SITE}, state=~"stale|empty"}}', "{{site_id}} {{class}} {{state}}"),
        ], description="V-CORE ≥ 5 stale news/notice/policy; V-STALE ≥ 10 stale or empty; "
                       "V-EMPTY ≥ 5 empty."))
        .with_panel(_timeseries(ids, "Days since newest item in core columns", "d", [
            (f"(time() - govcrawl_site_column_last_update_timestamp_seconds{{{_SITE}}}) / 86400",
             "{{site_id}} {{class}}"),
        ]))
        .with_panel(_timeseries(ids, "Broken links", "none", [
            (f"govcrawl_site_broken_links{{{_SITE}}}", "{{site_id}} {{where}} {{confidence}}"),
        ]))
        .with_panel(_timeseries(ids, "Open findings", "none", [
            (f"govcrawl_site_findings{{{_SITE}}}", "{{site_id}} {{severity}}"),
            (f"govcrawl_site_veto{{{_SITE}}} == 1", "{{site_id}} veto {{check}}"),
        ]))
        .with_panel(_timeseries(ids, "Score", "none", [
            (f"govcrawl_site_score{{{_SITE}}}", "{{site_id}}"),
        ], description="Below 60 fails; a veto fails whatever the score."))
    )
    return _build(builder)


def render_dashboards() -> dict[str, str]:
    """Return the checked-in file name and JSON text of every dashboard, as the generator makes them now."""
    rendered: dict[str, str] = {}
    for file_name, model in (
        ("govcrawl-crawl-health.json", crawl_health_dashboard()),
        ("govcrawl-site-freshness.json", site_freshness_dashboard()),
    ):
        text = json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False)
        rendered[file_name] = text + "\n"
    return rendered


def outdated_files(directory: Path) -> list[str]:
    """Return the dashboard files in `directory` that are missing or differ from what the generator makes."""
    outdated: list[str] = []
    for file_name, text in render_dashboards().items():
        path = directory / file_name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            outdated.append(file_name)
    return outdated


def main(argv: Sequence[str] | None = None) -> int:
    """Write the dashboards, or with --check report (exit 1) the files that are out of date."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the checked-in JSON is current")
    parser.add_argument(
        "--out", type=Path, default=DASHBOARD_DIR, help="dashboard folder (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.check:
        outdated = outdated_files(args.out)
        for file_name in outdated:
            logger.error("%s is out of date: run python scripts/grafana_dashboards.py", args.out / file_name)
        return 1 if outdated else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, text in render_dashboards().items():
        (args.out / file_name).write_text(text, encoding="utf-8")
        logger.info("wrote %s", args.out / file_name)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
