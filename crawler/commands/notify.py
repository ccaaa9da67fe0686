"""`scrapy notify -o DIR [--region CITY]`: each owner's unfixed cases as a notice (XLSX and HTML, Chinese).

One pair of files per owner (registry columns owner/contact/supervisor; sites without one go to
未登记责任人); once every file is written, the open and reopened cases listed are marked notified
in the case ledger (crawler.cases). Cases stay listed in later notices until a re-crawl fixes them.
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import jinja2
import xlsxwriter
from elastic_transport import TransportError
from elasticsearch import ApiError
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.cases import ACTIVE, STATUS_NAMES, CaseConflict, CaseStore, case_from_source, notify
from crawler.es_schema import install_templates
from crawler.glossary import SEVERITIES, check_label, yes_no
from crawler.naming import index_prefix
from crawler.reports import SiteOwner
from crawler.service_checks import elasticsearch_or_explain, reason
from crawler.site_state import check_region, iter_registered_sites

if TYPE_CHECKING:
    import argparse

    from elasticsearch import Elasticsearch

    from crawler.cases import CaseItem
    from crawler.site_state import RegisteredSite

logger = logging.getLogger(__name__)

NOTICE_COLUMNS = ["站点标识码", "网站名称", "地市", "检查项", "对象", "严重程度", "说明", "状态", "首次发现",
                  "最近发现", "整改期限", "逾期", "屡次出现", "问题编号"]
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def notice_rows(cases: list[CaseItem], sites: dict[str, RegisteredSite]) -> list[list[Any]]:
    """The rows of one owner's notice, overdue first, then by due date and site."""
    ordered = sorted(cases, key=lambda case: (not case.overdue, case.due_date, case.site_id, case.check))
    return [[case.site_id, sites[case.site_id].name if case.site_id in sites else case.name, case.region,
             check_label(case.check), case.subject or "整站", SEVERITIES[case.severity], case.detail,
             STATUS_NAMES[case.status], case.first_seen.date().isoformat(), case.last_seen.date().isoformat(),
             case.due_date.isoformat(),
             yes_no(case.overdue), yes_no(case.repeat), case.case_id] for case in ordered]


def file_stem(owner: SiteOwner) -> str:
    """A file name for an owner's notice: the label without characters file systems refuse."""
    return _UNSAFE.sub("_", owner.label).strip("_") or "owner"


def _write_xlsx(path: Path, owner: SiteOwner, rows: list[list[Any]], now: datetime) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    sheet = book.add_worksheet("整改通知")
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    sheet.write_row(0, 0, [f"责任人：{owner.owner or '未登记'}", f"联系方式：{owner.contact or '未登记'}",
                           f"主管单位：{owner.supervisor or '未登记'}", f"发送时间：{now.isoformat()}"])
    sheet.write_row(1, 0, NOTICE_COLUMNS, header)
    for number, row in enumerate(rows, 2):
        sheet.write_row(number, 0, row)
    sheet.freeze_panes(2, 0)
    sheet.set_column(0, len(NOTICE_COLUMNS) - 1, 14)
    book.set_properties({"title": f"网站问题整改通知 {owner.label}"})
    book.close()


_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>网站问题整改通知 {{ owner.label }}</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccd;padding:4px 8px}
th{background:#e4ecf5}.late{color:#c81e1e;font-weight:bold}</style></head>
<body><h1>网站问题整改通知</h1>
<p>责任人：{{ owner.owner or "未登记" }}；联系方式：{{ owner.contact or "未登记" }}；
主管单位：{{ owner.supervisor or "未登记" }}；发送时间：{{ now }}。
以下 {{ rows|length }} 个问题尚未整改，请在整改期限前完成，整改后将由复查自动核验。</p>
<table><thead><tr>{% for title in columns %}<th>{{ title }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr{% if row[11] == "是" %} class="late"{% endif %}>
{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></body></html>
""")


def _write_html(path: Path, owner: SiteOwner, rows: list[list[Any]], now: datetime) -> None:
    path.write_text(_HTML.render(owner=owner, rows=rows, columns=NOTICE_COLUMNS, now=now.isoformat()),
                    encoding="utf-8")


def unfixed_cases(store: CaseStore, region: str | None) -> list[CaseItem]:
    """Every open, notified or reopened case (of one region)."""
    filters: list[dict[str, Any]] = [{"terms": {"status": sorted(ACTIVE)}}]
    if region is not None:
        filters.append({"term": {"region": region}})
    return [case_from_source(source) for source in store.search({"bool": {"filter": filters}})]


def write_notices(client: Elasticsearch, prefix: str, directory: Path, *, region: str | None,
                  now: datetime) -> tuple[int, int]:
    """Write every owner's notice into `directory`, then mark the listed cases notified.

    Returns (owners, cases newly notified). Nothing is marked if a file could not be written.
    """
    sites = {site.site_id: site for batch in iter_registered_sites(client, prefix, region=region)
             for site in batch}
    store = CaseStore(client, prefix)
    by_owner: dict[SiteOwner, list[CaseItem]] = defaultdict(list)
    for case in unfixed_cases(store, region):
        site = sites.get(case.site_id)
        owner = SiteOwner(site.owner, site.contact, site.supervisor) if site else SiteOwner(case.owner)
        by_owner[owner].append(case)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    try:
        for owner, cases in sorted(by_owner.items(), key=lambda item: item[0].label):
            rows = notice_rows(cases, sites)
            stem = file_stem(owner)
            for suffix, write in ((".xlsx", _write_xlsx), (".html", _write_html)):
                final = directory / f"{stem}{suffix}"
                partial = directory / f".{stem}.partial{suffix}"
                write(partial, owner, rows, now)
                written.append((partial, final))
    except OSError:
        for partial, _ in written:
            partial.unlink(missing_ok=True)
        raise
    for partial, final in written:
        os.replace(partial, final)
    marked = [notify(case, at=now, by="scrapy notify") for cases in by_owner.values() for case in cases
              if case.status in ("open", "reopened")]
    try:
        store.write(marked, refresh=True)
    except CaseConflict as conflict:
        # A report or an import wrote those cases meanwhile: mark them on top of what it wrote.
        again = store.by_ids(conflict.case_ids)
        store.write([notify(case, at=now, by="scrapy notify") for case in again.values()], refresh=True)
    return len(by_owner), len(marked)


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "-o DIR [--region CITY]"

    def short_desc(self) -> str:
        return "Write each owner's unfixed cases (XLSX and HTML) and mark them notified"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True,
                            help="directory for the notices (one pair of files per owner)")
        parser.add_argument("--region", help="only the cases of this region (市州), e.g. 成都市")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments {' '.join(args)}: give the directory with -o")
        assert self.settings is not None
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)
        directory = Path(opts.output)
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"-o {directory} is a file: give a directory for the notices")
        now = datetime.now(UTC).replace(microsecond=0)
        client = elasticsearch_or_explain(self)
        if client is None:
            return
        try:
            prefix = index_prefix(self.settings)
            check_region(client, prefix, opts.region)
            install_templates(client, prefix)
            owners, marked = write_notices(client, prefix, directory, region=opts.region, now=now)
        except (LookupError, ValueError, OSError) as exc:
            logger.error("%(error)s; no case was marked notified", {"error": exc})
            self.exitcode = 1
            return
        except (TransportError, ApiError) as exc:
            logger.error("Elasticsearch failed (%(error)s): start it (scripts/services.sh start) or fix "
                         "GOVCRAWL_ES_URL", {"error": reason(exc)})
            self.exitcode = 1
            return
        finally:
            client.close()
        logger.info("Wrote the notices of %(owners)d owners to %(directory)s; %(marked)d cases newly marked "
                    "notified", {"owners": owners, "directory": directory, "marked": marked})
