"""Generate deploy/grafana/dashboards/*.json with grafana-foundation-sdk (--check: verify, no write).

Titles are Chinese (staff read the dashboards), with the check names of crawler/glossary.py.
"""

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

from crawler.glossary import check_label
from crawler.indicators import load_indicators

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grafana_foundation_sdk.cog.builder import Builder
    from grafana_foundation_sdk.models.dashboard import Dashboard

logger = logging.getLogger(__name__)

DATASOURCE_UID = "govcrawl-prometheus"
DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "dashboards"
CRAWL_HEALTH_UID = "govcrawl-crawl-health"
SITE_FRESHNESS_UID = "govcrawl-site-freshness"
CRAWL_HEALTH_TITLE = "govcrawl — 抓取运行状况"
SITE_FRESHNESS_TITLE = "govcrawl — 网站更新与可访问性"

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
    """Build "govcrawl — 抓取运行状况": throughput, latency, frontier, workers, Elasticsearch, errors."""
    ids = _PanelIds()
    worker = 'worker=~"$worker"'
    rate = "[$__rate_interval]"
    builder = (
        dashboard.Dashboard(CRAWL_HEALTH_TITLE)
        .uid(CRAWL_HEALTH_UID)
        .description("抓取集群是否在正常抓取、跟得上进度并写入 Elasticsearch？")
        .tags(["govcrawl"])
        .refresh("1m")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(
            dashboard.QueryVariable("worker").label("抓取进程 Worker").datasource(_DATASOURCE)
            .query("label_values(govcrawl_responses_total, worker)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*")
        )
        .with_row(_row(ids, "抓取量"))
        .with_panel(_timeseries(ids, "按状态分类的响应", "reqps", [
            (f"sum by (status_class) (rate(govcrawl_responses_total{{{worker}}}{rate}))", "{{status_class}}"),
        ], description="error = 没有 HTTP 响应（DNS、TCP、TLS、超时）。"))
        .with_panel(_timeseries(ids, "按页面类型的解析页面数", "ops", [
            (f"sum by (kind) (rate(govcrawl_pages_total{{{worker}}}{rate}))", "{{kind}}"),
        ]))
        .with_panel(_timeseries(ids, "按类型的产出记录", "ops", [
            (f"sum by (type) (rate(govcrawl_items_total{{{worker}}}{rate}))", "{{type}}"),
        ]))
        .with_panel(_timeseries(ids, "按结果的链接检测", "ops", [
            (f"sum by (result) (rate(govcrawl_link_checks_total{{{worker}}}{rate}))", "{{result}}"),
        ]))
        .with_row(_row(ids, "抓取耗时"))
        .with_panel(_timeseries(ids, "抓取耗时分位数", "s", [
            (
                f"histogram_quantile({quantile}, sum by (le) "
                f"(rate(govcrawl_fetch_duration_seconds_bucket{{{worker}}}{rate})))",
                f"p{round(quantile * 100)}",
            )
            for quantile in (0.5, 0.9, 0.99)
        ], width=16))
        .with_panel(_timeseries(ids, "各进程平均抓取耗时", "s", [
            (
                f"sum by (worker) (rate(govcrawl_fetch_duration_seconds_sum{{{worker}}}{rate}))"
                f" / sum by (worker) (rate(govcrawl_fetch_duration_seconds_count{{{worker}}}{rate}))",
                "{{worker}}",
            ),
        ], width=8))
        .with_row(_row(ids, "抓取队列与进程"))
        .with_panel(_stat(ids, "存活进程数", "none", "govcrawl_workers_alive",
                          [(None, "red"), (1, "green")]))
        .with_panel(_stat(ids, "登记网站数", "none", "govcrawl_sites_registered", [(None, "blue")]))
        .with_panel(_stat(ids, "待抓取网站数", "none", "govcrawl_frontier_sites_due", [(None, "blue")]))
        .with_panel(_stat(ids, "最久待抓取网站等待时间", "s", "govcrawl_frontier_oldest_due_age_seconds",
                          [(None, "green"), (3600, "orange"), (7200, "red")],
                          description="队列增长且等待超过 2 小时时 GovcrawlQueueGrowing 告警。"))
        .with_panel(_stat(ids, "网站指标刷新间隔", "s",
                          "time() - govcrawl_exporter_last_refresh_timestamp_seconds",
                          [(None, "green"), (600, "orange"), (900, "red")],
                          description="exporter 距上次刷新网站状态的秒数（15 分钟告警）。"))
        .with_panel(_stat(ids, "exporter 指标样本数", "none",
                          'scrape_samples_scraped{job="govcrawl-exporter"}',
                          [(None, "green"), (250000, "orange"), (300000, "red")],
                          description="序列预算：超过 sample_limit 300000 时抓取失败。"))
        .with_panel(_timeseries(ids, "抓取队列：排队请求与待抓取网站", "none", [
            ("govcrawl_frontier_queued_requests", "排队请求"),
            ("govcrawl_frontier_sites_due", "待抓取网站"),
        ]))
        .with_panel(_timeseries(ids, "各进程持有的分片", "none", [
            (f"govcrawl_worker_owned_shards{{{worker}}}", "{{worker}}"),
        ]))
        .with_panel(_timeseries(ids, "分片移交（负载均衡）", "none", [
            (f"sum by (worker, direction) (increase(govcrawl_shard_handovers_total{{{worker}}}{rate}))",
             "{{worker}} {{direction}}"),
        ], description="繁忙进程移交给空闲进程的分片（out）与接收的分片（in）；"
                       "持续移交说明各分片工作量很不均衡。"))
        .with_panel(_timeseries(ids, "各进程心跳间隔", "s", [
            (f"time() - govcrawl_worker_last_heartbeat_timestamp_seconds{{{worker}}}", "{{worker}}"),
        ], description="超过 120 秒时 GovcrawlWorkerGone 告警。"))
        .with_panel(_timeseries(ids, "进程指标端点在线", "none", [
            ('up{job="govcrawl-workers"}', "{{instance}}"),
        ]))
        .with_row(_row(ids, "Elasticsearch 写入"))
        .with_panel(_timeseries(ids, "缓冲与落盘的记录", "none", [
            (f"govcrawl_es_buffered_items{{{worker}}}", "{{worker}} 缓冲"),
            (f"govcrawl_es_spooled_items{{{worker}}}", "{{worker}} 落盘"),
        ], description="落盘 = 写入持久缓冲；持续增长时 GovcrawlEsBufferGrowing 告警。"))
        .with_panel(_timeseries(ids, "写入延迟", "s", [
            (f"govcrawl_es_write_lag_seconds{{{worker}}}", "{{worker}}"),
        ]))
        .with_panel(_timeseries(ids, "被 Elasticsearch 拒绝的记录", "ops", [
            (f"sum by (worker) (rate(govcrawl_es_failed_items_total{{{worker}}}{rate}))", "{{worker}}"),
        ]))
        .with_row(_row(ids, "错误"))
        .with_panel(_timeseries(ids, "按类型的错误", "ops", [
            (f"sum by (kind) (rate(govcrawl_errors_total{{{worker}}}{rate}))", "{{kind}}"),
        ]))
    )
    return _build(builder)


def site_freshness_dashboard() -> Dashboard:
    """Build "govcrawl — 网站更新与可访问性": regions, then sites drilled down by variables."""
    ids = _PanelIds()
    rules = load_indicators()  # the lines drawn here are those of indicators.yaml
    home, avail, scoring = rules.vetoes.v_home, rules.vetoes.v_avail, rules.scoring
    fail_days, warn_days, probes = home.fail_days, home.warn_days, avail.min_probes
    region = 'region=~"$region"'
    by_site = "sum by (site_id, region, level)"
    builder = (
        dashboard.Dashboard(SITE_FRESHNESS_TITLE)
        .uid(SITE_FRESHNESS_UID)
        .description("按地市和网站查看检查指标：首页更新、可访问性、栏目、错链、单项否决和得分。")
        .tags(["govcrawl"])
        .refresh("5m")
        .time("now-7d", "now")
        .timezone("Asia/Shanghai")
        .with_variable(
            dashboard.QueryVariable("region").label("地市").datasource(_DATASOURCE)
            .query("label_values(govcrawl_site_info, region)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*")
        )
        .with_variable(
            dashboard.QueryVariable("site_id").label("网站").datasource(_DATASOURCE)
            .query(f"label_values(govcrawl_site_info{{{region}}}, site_id)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*")
        )
        .with_row(_row(ids, "各地市"))
        .with_panel(_stat(ids, "网站数", "none", f"count(govcrawl_site_info{{{region}}})", [(None, "blue")]))
        .with_panel(_stat(ids, "当前不能访问的网站", "none",
                          f"count(govcrawl_site_up{{{region}}} == 0) or vector(0)",
                          [(None, "green"), (1, "red")]))
        .with_panel(_stat(ids, f"{check_label('V-HOME')}（≥ {fail_days} 天）", "none",
                          f"count((time() - govcrawl_site_homepage_last_update_timestamp_seconds{{{region}}})"
                          f" >= {fail_days} * 86400) or vector(0)",
                          [(None, "green"), (1, "red")]))
        .with_panel(_stat(ids, "有单项否决的网站", "none",
                          f"count(max by (site_id) (govcrawl_site_veto{{{region}}}) == 1) or vector(0)",
                          [(None, "green"), (1, "red")]))
        .with_panel(_stat(ids, "平均可用率（7 天）", "percentunit",
                          f'avg(govcrawl_site_availability_ratio{{{region}, window="7d"}})',
                          [(None, "red"), (1 - avail.fail_ratio, "orange"), (1 - avail.warn_ratio, "green")]))
        .with_panel(_stat(ids, "平均得分", "none", f"avg(govcrawl_site_score{{{region}}})",
                          [(None, "red"), (scoring.fail_below, "orange"), (scoring.good_above, "green")]))
        .with_panel(_merged_table(ids, "地市汇总", [
            f"count by (region) (govcrawl_site_info{{{region}}})",
            f"count by (region) (govcrawl_site_up{{{region}}} == 0)",
            f"count by (region) ((time() - govcrawl_site_homepage_last_update_timestamp_seconds{{{region}}})"
            f" >= {warn_days} * 86400)",
            f'avg by (region) (govcrawl_site_availability_ratio{{{region}, window="7d"}})',
            f"count by (region) (max by (region, site_id) (govcrawl_site_veto{{{region}}}) == 1)",
            f"avg by (region) (govcrawl_site_score{{{region}}})",
        ], {
            "Value #A": "网站数", "Value #B": "当前不能访问", "Value #C": f"首页 ≥ {warn_days} 天未更新",
            "Value #D": "7 天可用率", "Value #E": "有单项否决", "Value #F": "平均得分",
        }, description="每个市州一行。"))
        .with_row(_row(ids, "网站"))
        .with_panel(_merged_table(ids, "网站检查指标", [
            f"(time() - govcrawl_site_homepage_last_update_timestamp_seconds{{{_SITE}}}) / 86400",
            f'govcrawl_site_availability_ratio{{{_SITE}, window="7d"}}',
            f'{by_site} (govcrawl_site_columns{{{_SITE}, state="stale"}})',
            f'{by_site} (govcrawl_site_columns{{{_SITE}, state="empty"}})',
            f'{by_site} (govcrawl_site_broken_links{{{_SITE}, where="home", confidence="confirmed"}})',
            f"govcrawl_site_unanswered_messages{{{_SITE}}}",
            f"govcrawl_site_score{{{_SITE}}}",
            f"govcrawl_site_info{{{_SITE}}}",
        ], {
            "Value #A": "首页未更新天数", "Value #B": "7 天可用率",
            "Value #C": "未按时更新栏目", "Value #D": "空白栏目", "Value #E": "首页确认错链",
            "Value #F": "超期未答复留言", "Value #G": "得分", "Value #H": "已登记",
        }, description="空白单元格表示 0：未按时更新/空白栏目、错链和留言只在非零时导出。", height=14))
        .with_panel(
            bargauge.Panel().id(ids.next()).title("首页未更新天数（最差 20 个）")
            .datasource(_DATASOURCE).unit("d").height(10).span(12).min(0).max(30)
            .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
            .thresholds(_thresholds([(None, "green"), (warn_days, "orange"), (fail_days, "red")]))
            .with_target(_query(
                "topk(20, (time() - "
                f"govcrawl_site_homepage_last_update_timestamp_seconds{{{_SITE}}}) / 86400)",
                "{{site_id}}",
            ))
        )
        .with_panel(_timeseries(ids, "首页探测失败率", "percentunit", [
            (f'govcrawl_site_unavailable_ratio{{{_SITE}, window="1d"}}', "{{site_id}} 1d"),
            (f'govcrawl_site_unavailable_ratio{{{_SITE}, window="7d"}}', "{{site_id}} 7d"),
        ], description=f"{check_label('V-AVAIL')}：{avail.window_days} 天内不少于 {probes} 次探测失败率达 "
                       f"{avail.fail_ratio:.0%} 即单项否决；{avail.warn_ratio:.0%} 预警。"))
        .with_panel(_timeseries(ids, "首页可访问", "none", [
            (f"govcrawl_site_up{{{_SITE}}}", "{{site_id}}"),
        ]))
        .with_panel(_timeseries(ids, "窗口内探测次数", "none", [
            (f'govcrawl_site_probe_count{{{_SITE}, window="7d"}}', "{{site_id}} 7d"),
        ], description=f"{avail.window_days} 天失败率需要至少 {probes} 次探测才有效。"))
        .with_panel(_timeseries(ids, "按类别的未按时更新与空白栏目", "none", [
            (f'govcrawl_site_columns{{{_SITE}, state=~"stale|empty"}}', "{{site_id}} {{class}} {{state}}"),
        ], description=f"{check_label('V-CORE')} ≥ {rules.vetoes.v_core.fail_count}；"
                       f"{check_label('V-STALE')} ≥ {rules.vetoes.v_stale.fail_count}；"
                       f"{check_label('V-EMPTY')} ≥ {rules.vetoes.v_empty.fail_count}。"))
        .with_panel(_timeseries(ids, "核心栏目最新信息距今天数", "d", [
            (f"(time() - govcrawl_site_column_last_update_timestamp_seconds{{{_SITE}}}) / 86400",
             "{{site_id}} {{class}}"),
        ]))
        .with_panel(_timeseries(ids, "错链", "none", [
            (f"govcrawl_site_broken_links{{{_SITE}}}", "{{site_id}} {{where}} {{confidence}}"),
        ]))
        .with_panel(_timeseries(ids, "未解决问题", "none", [
            (f"govcrawl_site_findings{{{_SITE}}}", "{{site_id}} {{severity}} {{confidence}}"),
            (f"govcrawl_site_veto{{{_SITE}}} == 1", "{{site_id}} 单项否决 {{check}}（{{confidence}}）"),
        ]))
        .with_panel(_timeseries(ids, "得分", "none", [
            (f"govcrawl_site_score{{{_SITE}}}", "{{site_id}}"),
        ], description=f"低于 {scoring.fail_below:g} 分不合格；单项否决不论得分均不合格。"))
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
