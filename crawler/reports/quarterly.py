"""The quarterly report a city sends the province (`scrapy report --quarter 2026Q4 [--region CITY]`).

Per city: the sites spot-checked and whether the share GOVCRAWL_QUARTERLY_MIN_FRACTION was met; each
site's result, its cases and their rectification status (整改情况); overdue and repeat offenders;
the ranking by level and by problem category; the change from the last quarter. What a report said
is stored in `<prefix>-quarterly`: once the quarter is over the stored report is issued again as it
was, whatever the data later.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from elasticsearch import NotFoundError

from crawler.cases import DECISION_NAMES, CaseRules, CaseStore, judge_batch
from crawler.glossary import SITE_LEVELS, VERDICTS, check_label, yes_no
from crawler.indicators import load_indicators
from crawler.naming import index_name
from crawler.reports import QuarterlyReportItem, case_record, report_format
from crawler.site_state import CheckPoint, first_crawl_day, iter_site_state_batches
from pipelines.indexing import document_id

if TYPE_CHECKING:
    from pathlib import Path

    from elasticsearch import Elasticsearch
    from scrapy.settings import BaseSettings

    from crawler.cases import CaseItem

logger = logging.getLogger(__name__)

SCHEMA = "govcrawl.quarterly/1"
LEVELS = SITE_LEVELS


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter like 2026Q4."""
    year, number = int(quarter[:4]), int(quarter[5])
    start = date(year, 3 * number - 2, 1)
    after = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start, after - timedelta(days=1)


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def _in_quarter(case: CaseItem, start: date, end: date) -> bool:
    """The case concerned the quarter: found by its end and not closed before it began."""
    if case.first_seen.date() > end:
        return False
    closed = case.fixed_at or (case.decided_at if case.status == "false_alarm" else None)
    return closed is None or closed.date() >= start or case.last_seen.date() >= start


def _reviews(client: Elasticsearch, prefix: str, quarter: str) -> dict[str, str]:
    """site_id -> review status of the quarter's spot check."""
    try:
        hits = client.search(
            index=index_name(prefix, "reviews"),
            size=10_000,
            query={"term": {"quarter": quarter}},
            source_includes=["site_id", "status"],
        )["hits"]["hits"]
    except NotFoundError:
        return {}
    return {hit["_source"]["site_id"]: str(hit["_source"].get("status") or "pending") for hit in hits}


def stored_report(
    client: Elasticsearch, prefix: str, quarter: str, region: str | None
) -> dict[str, Any] | None:
    """The stored quarterly report document (its `body` parsed), or None."""
    try:
        found = client.get(index=index_name(prefix, "quarterly"), id=document_id(quarter, region or ""))
    except NotFoundError:
        return None
    source = found["_source"]
    return {**source, "body": json.loads(source["body"])}


def _store(client: Elasticsearch, prefix: str, item: QuarterlyReportItem) -> None:
    client.index(
        index=index_name(prefix, "quarterly"),
        id=document_id(item.quarter, item.region),
        document={
            "quarter": item.quarter,
            "region": item.region,
            "generated_at": item.generated_at.isoformat(),
            "final": item.final,
            "body": item.body,
        },
        refresh="wait_for",
    )


def build_quarterly(
    client: Elasticsearch,
    prefix: str,
    *,
    quarter: str,
    region: str | None,
    now: datetime,
    settings: BaseSettings,
) -> dict[str, Any]:
    """The quarterly report document, judged at the quarter's last day (today while it runs)."""
    start, end = quarter_bounds(quarter)
    today = CheckPoint.at(None, now).as_of
    if start > today:
        raise LookupError(f"quarter {quarter} begins on {start}: it cannot be reported before it has begun")
    as_of = min(end, today)
    first = first_crawl_day(client, prefix)
    if first is None or first > as_of:
        since = f"the first crawl data is of {first}" if first else "there is no crawl data at all"
        raise LookupError(
            f"no crawl data for {quarter} (up to {as_of}): {since}; the quarter cannot be judged"
        )
    rules = load_indicators()
    case_rules = CaseRules.from_settings(settings)
    store = CaseStore(client, prefix)
    reviews = _reviews(client, prefix, quarter)
    sites: list[dict[str, Any]] = []
    point = CheckPoint.at(as_of, now) if as_of < today else CheckPoint.at(None, now)
    for batch in iter_site_state_batches(client, prefix, point, region=region):
        judged = judge_batch(
            store,
            [(site.owner, state) for site, state in batch],
            as_of=as_of,
            at=now,
            sync=False,
            case_rules=case_rules,
            rules=rules,
        )
        for (site, _), outcome in zip(batch, judged, strict=True):
            quarter_cases = [case for case in outcome.cases if _in_quarter(case, start, end)]
            sites.append(
                {
                    "site_id": site.site_id,
                    "name": site.name,
                    "region": site.region,
                    "level": site.level,
                    "level_name": LEVELS.get(site.level, site.level),
                    "url": site.url,
                    "owner": site.owner,
                    "supervisor": site.supervisor,
                    "checked": site.site_id in reviews,
                    "review": reviews.get(site.site_id, ""),
                    "score": outcome.result.score,
                    "verdict": outcome.result.verdict,
                    "verdict_name": VERDICTS[outcome.result.verdict],
                    "cases": [case_record(case) for case in quarter_cases],
                    "open_cases": sum(1 for case in quarter_cases if case.active),
                    "fixed_cases": sum(1 for case in quarter_cases if case.status == "fixed"),
                    "overdue": any(case.overdue for case in quarter_cases),
                    "repeat": any(case.repeat for case in quarter_cases),
                }
            )
    fraction = settings.getfloat("GOVCRAWL_QUARTERLY_MIN_FRACTION")
    previous = stored_report(client, prefix, previous_quarter(quarter), region)
    return {
        "schema": SCHEMA,
        "quarter": quarter,
        "region": region or "",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "as_of": as_of.isoformat(),
        "generated_at": now.isoformat(),
        "min_fraction": fraction,
        "cities": _cities(sites, fraction),
        "sites": sites,
        "overdue_sites": [site["site_id"] for site in sites if site["overdue"]],
        "repeat_sites": [site["site_id"] for site in sites if site["repeat"]],
        "ranking": _ranking(sites),
        "categories": _categories(sites),
        "change": _change(sites, previous["body"] if previous else None),
        "previous_quarter": previous_quarter(quarter) if previous else None,
    }


def _cities(sites: list[dict[str, Any]], fraction: float) -> list[dict[str, Any]]:
    by_city: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for site in sites:
        by_city[site["region"]].append(site)
    rows = []
    for city, members in sorted(by_city.items()):
        scored = [site["score"] for site in members if site["score"] is not None]
        checked = sum(1 for site in members if site["checked"])
        required = math.ceil(round(fraction * len(members), 9))
        rows.append(
            {
                "region": city,
                "sites": len(members),
                "checked": checked,
                "required": required,
                "met": checked >= required,
                "checked_share": round(checked / len(members), 4),
                "fails": sum(1 for site in members if site["verdict"] == "FAIL"),
                "average_score": round(sum(scored) / len(scored), 1) if scored else None,
                "open_cases": sum(site["open_cases"] for site in members),
                "fixed_cases": sum(site["fixed_cases"] for site in members),
                "overdue_sites": sum(1 for site in members if site["overdue"]),
                "repeat_sites": sum(1 for site in members if site["repeat"]),
            }
        )
    return rows


def _ranking(sites: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Sites of each level, best score first (no score last)."""
    ranking: dict[str, list[dict[str, Any]]] = {}
    for level in sorted({site["level"] for site in sites}):
        members = sorted(
            (site for site in sites if site["level"] == level),
            key=lambda site: (site["score"] is None, -(site["score"] or 0.0), site["site_id"]),
        )
        ranking[LEVELS.get(level, level)] = [
            {
                "rank": number,
                "site_id": site["site_id"],
                "name": site["name"],
                "region": site["region"],
                "score": site["score"],
            }
            for number, site in enumerate(members, 1)
        ]
    return ranking


def _categories(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problem categories (checks) of the quarter, most cases first, with how many were fixed."""
    found: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    for site in sites:
        for case in site["cases"]:
            found[case["check"]] += 1
            fixed[case["check"]] += case["status"] == "fixed"
    return [{"check": check, "cases": count, "fixed": fixed[check]} for check, count in found.most_common()]


def _change(sites: list[dict[str, Any]], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per site: score and verdict of the last quarter's stored report, and the score change."""
    if previous is None:
        return []
    before = {site["site_id"]: site for site in previous.get("sites", [])}
    rows = []
    for site in sites:
        old = before.get(site["site_id"])
        if old is None:
            continue
        delta = (
            round(site["score"] - old["score"], 2)
            if site["score"] is not None and old.get("score") is not None
            else None
        )
        rows.append(
            {
                "site_id": site["site_id"],
                "name": site["name"],
                "score": site["score"],
                "previous_score": old.get("score"),
                "change": delta,
                "previous_verdict_name": old.get("verdict_name", ""),
            }
        )
    return rows


def _store_issued(client: Elasticsearch, prefix: str, quarter: str, region: str | None,
                  document: dict[str, Any], *, now: datetime, final: bool) -> None:
    _store(client, prefix, QuarterlyReportItem(quarter=quarter, region=region or "", generated_at=now,
                                               final=final, body=json.dumps(document, ensure_ascii=False)))
    logger.info("Quarter %(quarter)s judged as of %(as_of)s and stored (%(kind)s)",
                {"quarter": quarter, "as_of": document["as_of"],
                 "kind": "final: issued as it stands" if final else "provisional until the quarter ends"})


def write_quarterly(
    client: Elasticsearch,
    prefix: str,
    path: Path,
    *,
    quarter: str,
    region: str | None,
    now: datetime,
    settings: BaseSettings,
    store: bool = True,
) -> None:
    """Write the quarter's report to `path`: the stored one once the quarter is over, else a fresh one
    (stored unless `store` is off: a draft that leaves the stored reports as they are)."""
    report_format(path)
    stored = stored_report(client, prefix, quarter, region)
    if stored is not None and stored["final"]:
        document = stored["body"]
        logger.info(
            "Quarter %(quarter)s was issued on %(at)s: writing that report again as it was",
            {"quarter": quarter, "at": stored["generated_at"]},
        )
    else:
        document = build_quarterly(client, prefix, quarter=quarter, region=region, now=now, settings=settings)
        if store:
            final = CheckPoint.at(None, now).as_of > quarter_bounds(quarter)[1]
            _store_issued(client, prefix, quarter, region, document, now=now, final=final)
        else:
            logger.info("Quarter %(quarter)s judged as of %(as_of)s as a draft (--no-store): not stored",
                        {"quarter": quarter, "as_of": document["as_of"]})
    partial = path.with_name(f".{path.name}.partial{path.suffix}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        partial.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".xlsx":
        _write_xlsx(partial, document)
    else:
        _write_html(partial, document)
    os.replace(partial, path)
    logger.info(
        "Wrote %(path)s: quarterly report %(quarter)s, %(sites)d sites in %(cities)d cities",
        {
            "path": path,
            "quarter": quarter,
            "sites": len(document["sites"]),
            "cities": len(document["cities"]),
        },
    )


def _sheets(document: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every table of the report: sheet name -> (headers, rows), in staff words."""
    sites = document["sites"]
    return {
        "城市汇总": (
            [
                "地市",
                "站点数",
                "抽查数",
                "应抽查数",
                "达到抽查比例",
                "不合格",
                "平均得分",
                "待整改问题",
                "已整改问题",
                "逾期站点",
                "屡次出现问题站点",
            ],
            [
                [
                    row["region"],
                    row["sites"],
                    row["checked"],
                    row["required"],
                    yes_no(row["met"]),
                    row["fails"],
                    row["average_score"],
                    row["open_cases"],
                    row["fixed_cases"],
                    row["overdue_sites"],
                    row["repeat_sites"],
                ]
                for row in document["cities"]
            ],
        ),
        "站点结果": (
            [
                "站点标识码",
                "网站名称",
                "地市",
                "级别",
                "责任人",
                "本季度抽查",
                "得分",
                "结论",
                "待整改问题",
                "已整改问题",
                "逾期",
                "屡次出现",
            ],
            [
                [
                    site["site_id"],
                    site["name"],
                    site["region"],
                    site["level_name"],
                    site["owner"],
                    yes_no(site["checked"]),
                    site["score"],
                    site["verdict_name"],
                    site["open_cases"],
                    site["fixed_cases"],
                    yes_no(site["overdue"]),
                    yes_no(site["repeat"]),
                ]
                for site in sites
            ],
        ),
        "整改情况": (
            [
                "站点标识码",
                "网站名称",
                "地市",
                "检查项",
                "对象",
                "说明",
                "状态",
                "首次发现",
                "整改期限",
                "整改日期",
                "逾期",
                "屡次出现",
                "复核结论",
            ],
            [
                [
                    site["site_id"],
                    site["name"],
                    site["region"],
                    check_label(case["check"]),
                    case["subject"] or "整站",
                    case["detail"],
                    case["status_name"],
                    case["first_seen"][:10],
                    case["due_date"],
                    (case["fixed_at"] or "")[:10],
                    yes_no(case["overdue"]),
                    yes_no(case["repeat"]),
                    DECISION_NAMES.get(case["decision"], case["decision"]),
                ]
                for site in sites
                for case in site["cases"]
            ],
        ),
        "逾期与屡次出现": (
            ["站点标识码", "网站名称", "地市", "责任人", "逾期", "屡次出现"],
            [
                [
                    site["site_id"],
                    site["name"],
                    site["region"],
                    site["owner"],
                    yes_no(site["overdue"]),
                    yes_no(site["repeat"]),
                ]
                for site in sites
                if site["overdue"] or site["repeat"]
            ],
        ),
        "排名": (
            ["级别", "名次", "站点标识码", "网站名称", "地市", "得分"],
            [
                [level, row["rank"], row["site_id"], row["name"], row["region"], row["score"]]
                for level, rows in document["ranking"].items()
                for row in rows
            ],
        ),
        "问题类别": (
            ["检查项", "问题数", "已整改"],
            [[check_label(row["check"]), row["cases"], row["fixed"]] for row in document["categories"]],
        ),
        "较上季度": (
            ["站点标识码", "网站名称", "本季度得分", "上季度得分", "变化", "上季度结论"],
            [
                [
                    row["site_id"],
                    row["name"],
                    row["score"],
                    row["previous_score"],
                    row["change"],
                    row["previous_verdict_name"],
                ]
                for row in document["change"]
            ],
        ),
    }


def _write_xlsx(path: Path, document: dict[str, Any]) -> None:
    import xlsxwriter  # noqa: PLC0415

    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    for name, (titles, rows) in _sheets(document).items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, titles, header)
        for number, row in enumerate(rows, 1):
            sheet.write_row(number, 0, ["" if value is None else value for value in row])
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(titles) - 1, 14)
    book.set_properties({"title": f"政府网站季度监测报告 {document['quarter']}"})
    book.close()


def _write_html(path: Path, document: dict[str, Any]) -> None:
    import jinja2  # noqa: PLC0415

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("crawler.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = environment.get_template("quarterly.html.j2").render(document=document, sheets=_sheets(document))
    path.write_text(html, encoding="utf-8")
