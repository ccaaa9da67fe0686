"""`scrapy report -o FILE [--as-of DAY] [--region CITY]`: per-site findings and scores (.json/.xlsx/.html);
a report of today brings the case ledger up to date (crawler.cases). `--quarter 2026Q4` writes the
quarterly report instead (crawler.reports.quarterly)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from elastic_transport import TransportError
from elasticsearch import ApiError
from elasticsearch.helpers import BulkIndexError, bulk
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections
from crawler.cases import CaseRules, CaseStore, judge_batch
from crawler.es_schema import SchemaError, install_templates
from crawler.indicators import load_indicators
from crawler.naming import index_name, index_prefix
from crawler.reports import ReportMeta, SiteOwner, finding_items, open_writer, report_format
from crawler.sampling import parse_quarter
from crawler.service_checks import elasticsearch_or_explain, reason
from crawler.site_state import CheckPoint, check_region, first_crawl_day, iter_site_state_batches, stream_ids
from pipelines.indexing import to_action

if TYPE_CHECKING:
    import argparse

    from elasticsearch import Elasticsearch

    from crawler.items import FindingItem

logger = logging.getLogger(__name__)


# Check points outside these days have no crawl data and overflow the date windows (T-7d, T+1d).
FIRST_CHECK_DAY: Final = date(2000, 1, 1)
_FUTURE_CHECK_DAYS: Final = 366


def parse_day(value: str, option: str) -> date:
    """A YYYY-MM-DD option value; UsageError naming the option otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{option} {value!r} is not a day like 2026-11-27") from exc


def parse_check_day(value: str, option: str, today: date) -> date:
    """A check day from FIRST_CHECK_DAY to a year after today; UsageError naming the range otherwise."""
    day = parse_day(value, option)
    last = today + timedelta(days=_FUTURE_CHECK_DAYS)
    if not FIRST_CHECK_DAY <= day <= last:
        raise UsageError(f"{option} {value} is outside {FIRST_CHECK_DAY}..{last}: give a check day from "
                         f"{FIRST_CHECK_DAY} to a year after today")
    return day


def _discard_partial(path: Path) -> None:
    """Remove what a writer left of an unfinished report (`.NAME.partial...`)."""
    for partial in path.parent.glob(f".{path.name}.partial*"):
        partial.unlink(missing_ok=True)


class FindingsStore:
    """Replaces the findings of each batch of sites for one as_of day in govcrawl-findings."""

    def __init__(self, client: Elasticsearch, prefix: str, as_of: date, batch_sites: int = 500) -> None:
        self.client = client
        self.prefix = prefix
        self.as_of = as_of
        self.batch_sites = batch_sites
        self._site_ids: list[str] = []
        self._items: list[FindingItem] = []
        self.stored = 0

    def add(self, site_id: str, items: list[FindingItem]) -> None:
        self._site_ids.append(site_id)
        self._items.extend(items)
        if len(self._site_ids) >= self.batch_sites:
            self.flush()

    def flush(self) -> None:
        if not self._site_ids:
            return
        index = index_name(self.prefix, "findings")
        actions = [to_action(item, self.prefix) for item in self._items]
        # Findings fixed since an earlier run for the same day must disappear (by id: delete_by_query
        # needs the reindex module, which a minimal cluster may lack).
        earlier = {"bool": {"filter": [{"terms": {"site_id": self._site_ids}},
                                       {"term": {"as_of": self.as_of.isoformat()}}]}}
        fresh = {action["_id"] for action in actions}
        gone = [{"_op_type": "delete", "_index": index, "_id": document_id}
                for document_id in stream_ids(self.client, index, earlier) if document_id not in fresh]
        if actions or gone:
            stored, _ = bulk(self.client, [*gone, *actions], chunk_size=1000, max_retries=3)
            self.stored += stored - len(gone)
        self._site_ids, self._items = [], []

    def close(self) -> None:
        self.flush()
        index = index_name(self.prefix, "findings")
        if self.client.indices.exists(index=index):
            self.client.indices.refresh(index=index)


def _checked_options(opts: argparse.Namespace, now: datetime) -> tuple[Path, CheckPoint]:
    """The report path and check point, or UsageError before anything is read or written."""
    path = Path(opts.output)
    try:
        report_format(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if opts.batch_size < 1:
        raise UsageError(f"--batch-size {opts.batch_size} must be at least 1")
    today = CheckPoint.at(None, now).as_of
    as_of = parse_check_day(opts.as_of, "--as-of", today) if opts.as_of else None
    if opts.quarter is not None:
        try:
            parse_quarter(opts.quarter)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if as_of is not None:
            raise UsageError("--quarter reports a whole quarter: leave out --as-of")
    return path, CheckPoint.at(as_of, now)


def check_data_exists(client: Elasticsearch, prefix: str, point: CheckPoint, today: date) -> None:
    """A report of a past day needs crawl data from that day or before: LookupError saying so otherwise."""
    if point.as_of >= today:
        return
    first = first_crawl_day(client, prefix)
    if first is None or first > point.as_of:
        since = f"the first crawl data is of {first}" if first else "there is no crawl data at all"
        raise LookupError(f"no crawl data on or before {point.as_of}: {since}; a report cannot judge a day "
                          "it has no data for (give a later --as-of, or none for today)")


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return ("-o FILE.json|FILE.xlsx|FILE.html [--as-of YYYY-MM-DD] [--region CITY] "
                "| --quarter 2026Q4 [--region CITY] -o FILE")

    def short_desc(self) -> str:
        return "Per-site findings, scores and verdicts; format from the file extension"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="report file: .json, .xlsx or .html")
        parser.add_argument("--as-of", help="the day staleness is judged at (default: today, Asia/Shanghai)")
        parser.add_argument("--region", help="only the sites of this region (市州), e.g. 成都市")
        parser.add_argument("--no-store", action="store_true",
                            help="do not write the findings to the findings index")
        parser.add_argument("--batch-size", type=int, default=500, help="sites read per batch (default 500)")
        parser.add_argument("--quarter", help="the quarterly report of this quarter (e.g. 2026Q4) instead")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments {' '.join(args)}: give the report file with -o")
        assert self.settings is not None
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)
        now = datetime.now(UTC).replace(microsecond=0)
        path, point = _checked_options(opts, now)
        try:
            prefix = index_prefix(self.settings)
            case_rules = CaseRules.from_settings(self.settings)
        except ValueError as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
            return
        client = elasticsearch_or_explain(self)
        if client is None:
            return
        address = connections.describe_es(self.settings)
        try:
            self._checked_cluster(client, prefix, opts, point, now)
            if opts.quarter is not None:
                from crawler.reports.quarterly import write_quarterly  # noqa: PLC0415

                write_quarterly(client, prefix, path, quarter=opts.quarter, region=opts.region, now=now,
                                settings=self.settings, store=not opts.no_store)
            else:
                self._report(client, prefix, opts, path=path, point=point, now=now, case_rules=case_rules)
        except (LookupError, SchemaError, ValueError) as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
        except (TransportError, ApiError, BulkIndexError) as exc:
            logger.error("Elasticsearch at %(address)s failed (%(error)s); no report was written: start or "
                         "check it (scripts/services.sh start, GOVCRAWL_ES_URL) and run the report again",
                         {"address": address, "error": reason(exc)})
            self.exitcode = 1
        finally:
            client.close()

    @staticmethod
    def _checked_cluster(client: Elasticsearch, prefix: str, opts: argparse.Namespace, point: CheckPoint,
                         now: datetime) -> None:
        """Before anything is written: the region is known, the day has data."""
        check_region(client, prefix, opts.region)
        install_templates(client, prefix)
        if opts.quarter is None:
            check_data_exists(client, prefix, point, CheckPoint.at(None, now).as_of)

    @staticmethod
    def _report(client: Elasticsearch, prefix: str, opts: argparse.Namespace, *, path: Path,
                point: CheckPoint,
                now: datetime, case_rules: CaseRules) -> None:
        """Write the per-site report; a report of today brings the case ledger up to date."""
        started = time.monotonic()
        rules = load_indicators()
        writer = open_writer(path, ReportMeta(generated_at=now, as_of=point.as_of, region=opts.region), rules)
        store = None if opts.no_store else FindingsStore(client, prefix, point.as_of, opts.batch_size)
        # Only a report of today may move cases: a past day is judged with the decisions taken since.
        sync = not opts.no_store and point.as_of == CheckPoint.at(None, now).as_of
        cases = CaseStore(client, prefix)
        verdicts: Counter[str] = Counter()
        written = False
        try:
            batches = iter_site_state_batches(client, prefix, point, region=opts.region,
                                              batch_size=opts.batch_size)
            for batch in batches:
                judged = judge_batch(cases, [(site.owner, state) for site, state in batch], as_of=point.as_of,
                                     at=now, sync=sync, case_rules=case_rules, rules=rules)
                for (site, state), outcome in zip(batch, judged, strict=True):
                    writer.add(state, outcome.result, SiteOwner(site.owner, site.contact, site.supervisor,
                                                                outcome.cases))
                    verdicts[outcome.result.verdict] += 1
                    if store is not None:
                        store.add(state.site_id, finding_items(state, outcome.result, point.as_of, now))
            writer.close()
            written = True
            if store is not None:
                store.close()
            cases.refresh()
        finally:
            if not written:
                _discard_partial(path)
        summary = ", ".join(f"{key} {count}" for key, count in sorted(verdicts.items())) or "none"
        logger.info("Wrote %(path)s: %(sites)d sites as of %(as_of)s (%(verdicts)s), %(findings)d findings "
                    "stored, case ledger %(ledger)s, in %(seconds).1fs",
                    {"path": path, "sites": sum(verdicts.values()), "as_of": point.as_of.isoformat(),
                     "verdicts": summary, "findings": store.stored if store else 0,
                     "ledger": "updated" if sync else "read only", "seconds": time.monotonic() - started})
