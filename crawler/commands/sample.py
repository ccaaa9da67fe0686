"""`scrapy sample --quarter 2026Q4 --fraction 0.2 --seed N [-o FILE]`: quarterly spot check and its import."""

from __future__ import annotations

import json
import logging
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import xlsxwriter
from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError
from elasticsearch.helpers import bulk
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections
from crawler.commands.report import parse_check_day
from crawler.indicators import load_indicators
from crawler.items import ReviewItem
from crawler.naming import index_name, index_prefix
from crawler.sampling import check_fraction, draw_sample, parse_quarter
from crawler.scoring import score_site
from crawler.site_state import CheckPoint, build_site_states, iter_registered_sites
from pipelines.indexing import document_id, to_action

if TYPE_CHECKING:
    import argparse

    from elasticsearch import Elasticsearch

    from crawler.scoring import SiteResult, SiteState
    from crawler.site_state import RegisteredSite

logger = logging.getLogger(__name__)

WORKLIST_SCHEMA = "govcrawl.worklist/1"
CONFIRM, OVERTURN = "确认", "推翻"
WORKLIST_COLUMNS: list[tuple[str, int]] = [
    ("季度", 8), ("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("级别", 10), ("网址", 36), ("得分", 7),
    ("结论", 9), ("检查项", 13), ("严重程度", 10), ("扣分", 7), ("说明", 50), ("依据", 50),
    (f"复核结论（{CONFIRM}/{OVERTURN}）", 16), ("复核人", 10), ("备注", 30),
]


def _worklist_rows(quarter: str, state: SiteState, result: SiteResult) -> list[list[Any]]:
    site = [quarter, state.site_id, state.name, state.region, state.level, state.url,
            result.score if result.score is not None else "", result.verdict]
    if not result.findings:
        return [[*site, "", "", "", "no automated finding", "", "", "", ""]]
    return [[*site, finding.check, finding.severity, finding.points, finding.detail,
             "\n".join(finding.evidence), "", "", ""] for finding in result.findings]


def write_worklist_xlsx(path: Path, quarter: str, rows: list[list[Any]]) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    sheet = book.add_worksheet("抽查")
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    entry = book.add_format({"bg_color": "#FFF7D6", "border": 1})
    for number, (title, width) in enumerate(WORKLIST_COLUMNS):
        sheet.set_column(number, number, width)
        sheet.write_string(0, number, title, header)
    for row_number, row in enumerate(rows, 1):
        sheet.write_row(row_number, 0, row)
        for column in range(len(WORKLIST_COLUMNS) - 3, len(WORKLIST_COLUMNS)):
            sheet.write_blank(row_number, column, None, entry)
    review_column = len(WORKLIST_COLUMNS) - 3
    sheet.data_validation(1, review_column, max(len(rows), 1), review_column,
                          {"validate": "list", "source": [CONFIRM, OVERTURN]})
    sheet.autofilter(0, 0, max(len(rows), 1), len(WORKLIST_COLUMNS) - 1)
    sheet.freeze_panes(1, 0)
    book.set_properties({"title": f"govcrawl spot check {quarter}"})
    book.close()


def read_worklist(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (quarter, site_id) of a filled worklist: confirmed and overturned checks, reviewer, notes."""
    import openpyxl  # noqa: PLC0415  (a dev/ops dependency, only needed to read worklists back)
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ValueError(f"{path} is not an Excel workbook ({exc}): give the worklist .xlsx written by "
                         "scrapy sample -o, filled in") from exc
    sheet = book["抽查"] if "抽查" in book.sheetnames else book.active
    outcomes: dict[tuple[str, str], dict[str, Any]] = {}
    rows = sheet.iter_rows(values_only=True)
    header = [("" if value is None else str(value).strip()) for value in next(rows, ())]
    expected = [title for title, _ in WORKLIST_COLUMNS]
    if header[:len(expected)] != expected:
        book.close()
        raise ValueError(f"{path} row 1 is not the worklist header ({', '.join(expected[:3])}, ...): "
                         "import the sheet 抽查 as scrapy sample -o wrote it, header row included")
    for number, row in enumerate(rows, 2):
        cells = [("" if value is None else str(value).strip()) for value in row]
        if len(cells) < len(WORKLIST_COLUMNS) or not cells[1]:
            continue
        quarter, site_id, check, decision, reviewer, notes = (cells[0], cells[1], cells[8], cells[13],
                                                              cells[14], cells[15])
        outcome = outcomes.setdefault((quarter, site_id), {"confirmed": [], "overturned": [], "reviewer": "",
                                                           "notes": [], "decided": 0,
                                                           "any_overturned": False})
        if decision and decision not in (CONFIRM, OVERTURN):
            raise ValueError(f"{path} row {number}: 复核结论 {decision!r} is not {CONFIRM} or {OVERTURN}")
        if decision:
            outcome["decided"] += 1
            outcome["any_overturned"] |= decision == OVERTURN
            if check:
                outcome["confirmed" if decision == CONFIRM else "overturned"].append(check)
        outcome["reviewer"] = reviewer or outcome["reviewer"]
        if notes:
            outcome["notes"].append(notes)
    book.close()
    return outcomes


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "--quarter 2026Q4 --fraction 0.2 --seed N [-o worklist.xlsx|.json] | --import filled.xlsx"

    def short_desc(self) -> str:
        return "Draw the quarterly spot-check sample (stratified by region and level), or import its results"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--quarter", help="the quarter sampled, e.g. 2026Q4")
        parser.add_argument("--fraction", type=float, default=0.2, help="share of each region's sites (0.2)")
        parser.add_argument("--seed", type=int, help="random seed; the same seed gives the same sample")
        parser.add_argument("-o", "--output", help="worklist for the reviewers: .xlsx or .json")
        parser.add_argument("--as-of", help="day the listed findings are judged at (default: today)")
        parser.add_argument("--import", dest="import_path", help="record a filled worklist .xlsx")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments {' '.join(args)}")
        assert self.settings is not None
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)
        try:
            prefix = index_prefix(self.settings)
        except ValueError as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
            return
        client = connections.elasticsearch_sync(self.settings)
        try:
            client.cluster.health()
            if opts.import_path:
                self._import(client, prefix, Path(opts.import_path))
            else:
                self._sample(client, prefix, opts)
        except (TransportError, ApiError) as exc:
            logger.error("Elasticsearch at %(address)s failed (%(error)s): start it (scripts/services.sh "
                         "start) or fix GOVCRAWL_ES_URL", {"address": connections.describe_es(self.settings),
                                                           "error": exc})
            self.exitcode = 1
        except (LookupError, ValueError) as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
        finally:
            client.close()

    def _sample(self, client: Elasticsearch, prefix: str, opts: argparse.Namespace) -> None:
        if opts.quarter is None or opts.seed is None:
            raise UsageError("give --quarter (e.g. 2026Q4) and --seed N")
        try:
            quarter = parse_quarter(opts.quarter)
            fraction = check_fraction(opts.fraction)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        output = Path(opts.output) if opts.output else None
        if output is not None and output.suffix.lower() not in (".xlsx", ".json"):
            raise UsageError(f"cannot write a worklist to {output}: name it worklist.xlsx or worklist.json")
        now = datetime.now(UTC).replace(microsecond=0)
        as_of = parse_check_day(opts.as_of, "--as-of", CheckPoint.at(None, now).as_of) if opts.as_of else None
        earlier = self._earlier_seed(client, prefix, quarter)
        if earlier is not None and earlier != (opts.seed, fraction):
            raise ValueError(f"quarter {quarter} was already sampled with seed {earlier[0]} and fraction "
                             f"{earlier[1]}: run again with those to get the same sample, or remove the "
                             f"{quarter} reviews from {index_name(prefix, 'reviews')} first")
        sites = [site for batch in iter_registered_sites(client, prefix) for site in batch]
        sample = draw_sample(sites, quarter=quarter, fraction=fraction, seed=opts.seed)
        created = self._record(client, prefix, sample, quarter=quarter, seed=opts.seed, fraction=fraction,
                               now=now)
        regions = len({site.region for site in sample})
        logger.info("Sampled %(sampled)d of %(sites)d sites in %(regions)d regions for %(quarter)s "
                    "(seed %(seed)d, fraction %(fraction)g); %(created)d new reviews, "
                    "%(kept)d already recorded",
                    {"sampled": len(sample), "sites": len(sites), "regions": regions, "quarter": quarter,
                     "seed": opts.seed, "fraction": fraction, "created": created,
                     "kept": len(sample) - created})
        if output is not None:
            about = {"quarter": quarter, "seed": opts.seed, "fraction": fraction,
                     "generated_at": now.isoformat()}
            self._worklist(client, prefix, output, sample, point=CheckPoint.at(as_of, now), about=about)

    def _earlier_seed(self, client: Elasticsearch, prefix: str, quarter: str) -> tuple[int, float] | None:
        try:
            hits = client.search(index=index_name(prefix, "reviews"), size=1,
                                 source_includes=["seed", "fraction"],
                                 query={"term": {"quarter": quarter}})["hits"]["hits"]
        except NotFoundError:
            return None
        return (int(hits[0]["_source"]["seed"]), float(hits[0]["_source"]["fraction"])) if hits else None

    def _record(self, client: Elasticsearch, prefix: str, sample: list[RegisteredSite], *, quarter: str,
                seed: int, fraction: float, now: datetime) -> int:
        """Create one pending review per sampled site; reviews already recorded are left as they are."""
        actions = []
        for site in sample:
            action = to_action(ReviewItem(quarter=quarter, site_id=site.site_id, name=site.name,
                                          region=site.region, level=site.level, url=site.url, sampled_at=now,
                                          seed=seed, fraction=fraction), prefix)
            action["_op_type"] = "create"
            actions.append(action)
        created, errors = bulk(client, actions, raise_on_error=False, refresh="wait_for")
        assert isinstance(errors, list)
        failures = [error for error in errors if next(iter(error.values())).get("status") != 409]
        if failures:
            raise ValueError(f"{len(failures)} reviews were not recorded, e.g. {failures[0]}")
        return created

    def _worklist(self, client: Elasticsearch, prefix: str, path: Path, sample: list[RegisteredSite], *,
                  point: CheckPoint, about: dict[str, Any]) -> None:
        quarter = str(about["quarter"])
        rules = load_indicators()
        rows: list[list[Any]] = []
        sites: list[dict[str, Any]] = []
        for start in range(0, len(sample), 500):
            for state in build_site_states(client, prefix, sample[start:start + 500], point):
                result = score_site(state, point.as_of, rules)
                rows.extend(_worklist_rows(quarter, state, result))
                sites.append({"site_id": state.site_id, "name": state.name, "region": state.region,
                              "level": state.level, "url": state.url, "score": result.score,
                              "verdict": result.verdict,
                              "findings": [{"check": finding.check, "severity": finding.severity,
                                            "points": finding.points, "detail": finding.detail,
                                            "confidence": finding.confidence,
                                            "evidence": list(finding.evidence)}
                                           for finding in result.findings]})
        if path.suffix.lower() == ".json":
            document = {"schema": WORKLIST_SCHEMA, "as_of": point.as_of.isoformat(), **about, "sites": sites}
            path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            write_worklist_xlsx(path, quarter, rows)
        logger.info("Wrote the worklist %(path)s: %(sites)d sites, %(rows)d rows",
                    {"path": path, "sites": len(sites), "rows": len(rows)})

    def _import(self, client: Elasticsearch, prefix: str, path: Path) -> None:
        if path.suffix.lower() != ".xlsx":
            raise UsageError(f"--import {path}: give the filled worklist .xlsx")
        outcomes = read_worklist(path)
        decided = {key: outcome for key, outcome in sorted(outcomes.items()) if outcome["decided"]}
        _check_known(client, prefix, path, sorted(outcomes))
        now = datetime.now(UTC).replace(microsecond=0)
        index = index_name(prefix, "reviews")
        # An overturned "no automated finding" row means the reviewer found what the checks missed.
        actions = [{"_op_type": "update", "_index": index, "_id": document_id(quarter, site_id),
                    "doc": {"status": "corrected" if outcome["any_overturned"] else "confirmed",
                            "reviewer": outcome["reviewer"], "reviewed_at": now.isoformat(),
                            "findings_confirmed": sorted(set(outcome["confirmed"])),
                            "findings_overturned": sorted(set(outcome["overturned"])),
                            "notes": "\n".join(outcome["notes"])}}
                   for (quarter, site_id), outcome in decided.items()]
        if not actions:
            logger.warning("%(path)s: none of its %(sites)d sites has a 复核结论 (%(confirm)s/%(overturn)s) "
                           "yet: nothing to record",
                           {"path": path, "sites": len(outcomes), "confirm": CONFIRM, "overturn": OVERTURN})
        recorded, _ = bulk(client, actions, refresh="wait_for") if actions else (0, [])
        logger.info("Recorded %(count)d reviewed sites from %(path)s", {"count": recorded, "path": path})


def _check_known(client: Elasticsearch, prefix: str, path: Path, keys: list[tuple[str, str]]) -> None:
    """Refuse a worklist naming no row, several quarters, or sites not sampled: nothing is applied then."""
    if not keys:
        raise ValueError(f"{path} has no site rows under its header: nothing to import")
    quarters = sorted({quarter for quarter, _ in keys})
    if len(quarters) > 1:
        raise ValueError(f"{path} mixes quarters {', '.join(quarters)}: import one quarter's worklist at a "
                         "time; nothing was recorded")
    index = index_name(prefix, "reviews")
    try:
        found = client.mget(index=index, ids=[document_id(*key) for key in keys], source=False)["docs"]
    except NotFoundError:
        found = []
    known = {doc["_id"] for doc in found if doc.get("found")}
    unknown = [site_id for quarter, site_id in keys if document_id(quarter, site_id) not in known]
    if len(unknown) == len(keys):
        raise ValueError(f"{path}: quarter {quarters[0]} has no sampled site of this worklist in {index} "
                         f"(sites {', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}): "
                         "import the worklist of a sampled quarter; nothing was recorded")
    if unknown:
        raise ValueError(f"{path}: {len(unknown)} site(s) were not sampled for {quarters[0]}: "
                         f"{', '.join(unknown[:10])}{', ...' if len(unknown) > 10 else ''}; fix or remove "
                         "those rows; nothing was recorded")
