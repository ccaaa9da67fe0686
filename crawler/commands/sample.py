"""`scrapy sample --quarter 2026Q4 --fraction 0.2 --seed N [-o FILE]`: quarterly spot check and its import.

The worklist lists one row per finding with its case (问题编号, crawler.cases); an imported verdict
becomes that case's decision, so the next report counts it (确认: confirmed, 推翻: false alarm).
"""

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
from crawler.cases import CaseError, CaseRules, CaseStore, case_id, decide, judge_batch, worklist_findings
from crawler.commands.report import check_data_exists, parse_check_day
from crawler.es_schema import install_templates
from crawler.glossary import REVIEW_DECISIONS, SEVERITIES, SITE_LEVELS, VERDICTS, word
from crawler.indicators import load_indicators
from crawler.items import ReviewItem
from crawler.naming import index_name, index_prefix
from crawler.sampling import (
    WorklistRow,
    check_fraction,
    check_rows,
    draw_sample,
    parse_quarter,
    review_outcomes,
)
from crawler.service_checks import elasticsearch_or_explain, reason
from crawler.site_state import CheckPoint, build_site_states, iter_registered_sites
from pipelines.indexing import document_id, to_action

if TYPE_CHECKING:
    import argparse

    from elasticsearch import Elasticsearch

    from crawler.cases import CaseItem
    from crawler.scoring import Finding, SiteResult, SiteState
    from crawler.site_state import RegisteredSite

logger = logging.getLogger(__name__)

WORKLIST_SCHEMA = "govcrawl.worklist/1"
CONFIRM, OVERTURN = REVIEW_DECISIONS["confirm"], REVIEW_DECISIONS["overturn"]
# The three columns reviewers fill come before 对象 and 问题编号, which identify the finding's case.
WORKLIST_COLUMNS: list[tuple[str, int]] = [
    ("季度", 8), ("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("级别", 10), ("网址", 36), ("得分", 7),
    ("结论", 9), ("检查项", 13), ("严重程度", 10), ("扣分", 7), ("说明", 50), ("依据", 50),
    (f"复核结论（{CONFIRM}/{OVERTURN}）", 16), ("复核人", 10), ("备注", 30), ("对象", 40), ("问题编号", 18),
]
_ENTRY_COLUMNS = range(13, 16)
_VERDICTS, _SEVERITIES = VERDICTS, SEVERITIES
NO_FINDING = "无自动检查问题"


def _worklist_rows(quarter: str, state: SiteState, result: SiteResult,
                   findings: list[Finding]) -> list[list[Any]]:
    """One row per finding (a broken link of D-LINK-OTHER each), or one saying there is none."""
    site = [quarter, state.site_id, state.name, state.region, word(SITE_LEVELS, state.level), state.url,
            result.score if result.score is not None else "", _VERDICTS[result.verdict]]
    if not findings:
        return [[*site, "", "", "", NO_FINDING, "", "", "", "", "", ""]]
    return [[*site, finding.check, _SEVERITIES[finding.severity], finding.points, finding.detail,
             "\n".join(finding.evidence), "", "", "", finding.key,
             "" if finding.severity == "info" else case_id(state.site_id, finding.check, finding.key)]
            for finding in findings]


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
        for column in _ENTRY_COLUMNS:
            sheet.write_blank(row_number, column, None, entry)
    review_column = _ENTRY_COLUMNS[0]
    sheet.data_validation(1, review_column, max(len(rows), 1), review_column,
                          {"validate": "list", "source": [CONFIRM, OVERTURN]})
    sheet.autofilter(0, 0, max(len(rows), 1), len(WORKLIST_COLUMNS) - 1)
    sheet.freeze_panes(1, 0)
    book.set_properties({"title": f"govcrawl spot check {quarter}"})
    book.close()


def read_worklist(path: Path) -> list[WorklistRow]:
    """Every site row of a filled worklist, with its line number; ValueError naming what is wrong."""
    import openpyxl  # noqa: PLC0415  (a dev/ops dependency, only needed to read worklists back)
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ValueError(f"{path} is not an Excel workbook ({exc}): give the worklist .xlsx written by "
                         "scrapy sample -o, filled in") from exc
    try:
        sheet = book["抽查"] if "抽查" in book.sheetnames else book.active
        rows = sheet.iter_rows(values_only=True)
        header = [("" if value is None else str(value).strip()) for value in next(rows, ())]
        expected = [title for title, _ in WORKLIST_COLUMNS]
        if header[:len(expected)] != expected:
            raise ValueError(f"{path} row 1 is not the worklist header ({', '.join(expected[:3])}, ...): "
                             "import the sheet 抽查 as scrapy sample -o wrote it, header row included")
        found: list[WorklistRow] = []
        for number, row in enumerate(rows, 2):
            cells = [("" if value is None else str(value).strip()) for value in row]
            if len(cells) < len(WORKLIST_COLUMNS) or not cells[1]:
                continue
            decision = cells[13]
            if decision and decision not in (CONFIRM, OVERTURN):
                raise ValueError(f"{path} row {number}: 复核结论 {decision!r} is not {CONFIRM} or {OVERTURN}")
            found.append(WorklistRow(line=number, quarter=cells[0], site_id=cells[1], check=cells[8],
                                     subject=cells[16], case_id=cells[17], decision=decision,
                                     reviewer=cells[14], notes=cells[15]))
        return found
    finally:
        book.close()


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
        client = elasticsearch_or_explain(self)
        if client is None:
            return
        try:
            if opts.import_path:
                self._import(client, prefix, Path(opts.import_path))
            else:
                self._sample(client, prefix, opts)
        except (TransportError, ApiError) as exc:
            logger.error("Elasticsearch at %(address)s failed (%(error)s): start it (scripts/services.sh "
                         "start) or fix GOVCRAWL_ES_URL", {"address": connections.describe_es(self.settings),
                                                           "error": reason(exc)})
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
        if output is not None and as_of is not None:
            check_data_exists(client, prefix, CheckPoint.at(as_of, now), CheckPoint.at(None, now).as_of)
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
        """Write the reviewers' worklist; a worklist of today first brings the sites' cases up to date, so
        every finding it lists has its case to decide."""
        assert self.settings is not None
        quarter = str(about["quarter"])
        rules = load_indicators()
        install_templates(client, prefix)
        store = CaseStore(client, prefix)
        sync = point.as_of == CheckPoint.at(None, datetime.now(UTC)).as_of
        rows: list[list[Any]] = []
        sites: list[dict[str, Any]] = []
        for start in range(0, len(sample), 500):
            batch = sample[start:start + 500]
            states = build_site_states(client, prefix, batch, point)
            owned = [(site.owner, state) for site, state in zip(batch, states, strict=True)]
            judged = judge_batch(store, owned,
                                 as_of=point.as_of, at=datetime.fromisoformat(str(about["generated_at"])),
                                 sync=sync, case_rules=CaseRules.from_settings(self.settings), rules=rules)
            for state, outcome in zip(states, judged, strict=True):
                result = outcome.result
                # Every automated finding, false alarms included: a reviewer may confirm one again.
                findings = worklist_findings(state, outcome.automated, rules)
                rows.extend(_worklist_rows(quarter, state, result, findings))
                sites.append({"site_id": state.site_id, "name": state.name, "region": state.region,
                              "level": state.level, "url": state.url, "score": result.score,
                              "verdict": result.verdict,
                              "findings": [{"check": finding.check, "severity": finding.severity,
                                            "points": finding.points, "detail": finding.detail,
                                            "confidence": finding.confidence, "subject": finding.key,
                                            "case_id": "" if finding.severity == "info"
                                            else case_id(state.site_id, finding.check, finding.key),
                                            "evidence": list(finding.evidence)}
                                           for finding in findings]})
        store.refresh()
        if path.suffix.lower() == ".json":
            document = {"schema": WORKLIST_SCHEMA, "as_of": point.as_of.isoformat(), **about, "sites": sites}
            path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            write_worklist_xlsx(path, quarter, rows)
        logger.info("Wrote the worklist %(path)s: %(sites)d sites, %(rows)d rows",
                    {"path": path, "sites": len(sites), "rows": len(rows)})

    def _import(self, client: Elasticsearch, prefix: str, path: Path) -> None:
        """Record a filled worklist: each verdict becomes its case's decision, each site's review its
        status (partial while rows are undecided). Everything is checked before anything is written."""
        if path.suffix.lower() != ".xlsx":
            raise UsageError(f"--import {path}: give the filled worklist .xlsx")
        rows = read_worklist(path)
        check_rows(rows, str(path))
        outcomes = review_outcomes(rows)
        _check_known(client, prefix, path, sorted(outcomes))
        now = datetime.now(UTC).replace(microsecond=0)
        store = CaseStore(client, prefix)
        decided_cases = _decided_cases(store, path, rows, now)
        decided = {key: outcome for key, outcome in sorted(outcomes.items()) if outcome.decided}
        index = index_name(prefix, "reviews")
        actions = [{"_op_type": "update", "_index": index, "_id": document_id(quarter, site_id),
                    "doc": {"status": outcome.status, "reviewer": outcome.reviewer,
                            "reviewed_at": now.isoformat(),
                            "findings_confirmed": sorted(set(outcome.confirmed)),
                            "findings_overturned": sorted(set(outcome.overturned)),
                            "notes": "\n".join(outcome.notes)}}
                   for (quarter, site_id), outcome in decided.items()]
        if not actions:
            logger.warning("%(path)s: none of its %(sites)d sites has a 复核结论 (%(confirm)s/%(overturn)s) "
                           "yet: nothing to record",
                           {"path": path, "sites": len(outcomes), "confirm": CONFIRM, "overturn": OVERTURN})
            return
        store.write(decided_cases, refresh=True)
        recorded, _ = bulk(client, actions, refresh="wait_for")
        partial = sum(1 for outcome in decided.values() if outcome.status == "partial")
        logger.info("Recorded %(count)d reviewed sites from %(path)s (%(partial)d partly reviewed); "
                    "%(cases)d case decisions count from the next report",
                    {"count": recorded, "path": path, "partial": partial, "cases": len(decided_cases)})


def _decided_cases(store: CaseStore, path: Path, rows: list[WorklistRow], now: datetime) -> list[CaseItem]:
    """The cases after the worklist's verdicts; ValueError naming the rows whose case no longer exists
    (never recorded, or fixed since) — then nothing is recorded."""
    wanted = [row for row in rows if row.decision and row.case_id]
    known = store.by_ids([row.case_id for row in wanted])
    cases: list[CaseItem] = []
    problems: list[str] = []
    for row in wanted:
        case = known.get(row.case_id)
        if case is None:
            problems.append(f"row {row.line}: no case {row.case_id} ({row.site_id} {row.check} "
                            f"{row.subject or '整站'}) in the ledger")
            continue
        try:
            cases.append(decide(case, "confirmed" if row.decision == CONFIRM else "false_alarm", at=now,
                                by=row.reviewer or "复核人", note=row.notes))
        except CaseError as exc:
            problems.append(f"row {row.line}: {exc}")
    if problems:
        raise ValueError(f"{path}: {len(problems)} verdict(s) judge findings that no longer exist: "
                         f"{'; '.join(problems[:5])}{'; ...' if len(problems) > 5 else ''}; clear those "
                         "verdicts (or write a new worklist); nothing was recorded")
    return cases


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
