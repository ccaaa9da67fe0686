"""The XLSX report for staff: sheets 站点, 错链, 栏目, 问题, 整改台账 (XlsxWriter, constant memory)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import xlsxwriter

from crawler.glossary import COLUMN_CLASSES, CONFIDENCES, SEVERITIES, SITE_LEVELS, VERDICTS, check_label, word
from crawler.reports import NO_OWNER, link_error, unreachable_reason

if TYPE_CHECKING:
    from pathlib import Path

    from xlsxwriter.worksheet import Worksheet

    from crawler.reports import ReportMeta, SiteOwner
    from crawler.scoring import SiteResult, SiteState

logger = logging.getLogger(__name__)

MAX_ROWS = 1_048_576
_VERDICTS, _SEVERITIES = VERDICTS, SEVERITIES

# (header, width) per sheet; the order is the order of the values written below.
SHEETS: dict[str, list[tuple[str, int]]] = {
    "站点": [("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("级别", 10), ("网址", 36), ("可访问", 8),
             ("7天可用率", 10), ("首页最新日期", 13), ("栏目数", 8), ("过期栏目", 9), ("空白栏目", 9),
             ("错链", 9), ("单项否决", 24), ("得分", 8), ("结论", 11), ("提醒", 40),
             ("无法访问原因", 36), ("责任人", 10), ("联系方式", 16), ("主管单位", 20), ("待整改问题", 10),
             ("逾期问题", 9)],
    "错链": [("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("错链", 50), ("所在页面", 50),
                ("首页链接", 9), ("状态码", 8), ("错误类型", 12), ("已确认", 8)],
    "栏目": [("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("栏目名称", 20), ("栏目网址", 50),
             ("类别", 10), ("层级", 6), ("最新日期", 12), ("条目数", 8), ("过期", 6), ("空白", 6)],
    "问题": [("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("检查项", 13), ("严重程度", 10),
             ("扣分", 7), ("说明", 60), ("可信度", 10), ("依据", 60), ("数据来自上次抓取", 10)],
    "整改台账": [("站点标识码", 14), ("网站名称", 28), ("地市", 10), ("责任人", 10), ("主管单位", 20),
               ("问题编号", 18), ("检查项", 13), ("对象", 50), ("严重程度", 10), ("说明", 50), ("状态", 10),
               ("首次发现", 12), ("最近发现", 12), ("整改期限", 12), ("逾期", 6), ("屡次出现", 8),
               ("复核结论", 10), ("复核人", 10)],
}


class XlsxReportWriter:
    """Appends rows to four sheets as sites arrive; autofilter, frozen header and widths on each."""

    def __init__(self, path: Path, meta: ReportMeta) -> None:
        self.path = path
        self._partial = path.with_name(f".{path.name}.partial.xlsx")
        self._book = xlsxwriter.Workbook(str(self._partial), {"constant_memory": True,
                                                              "strings_to_urls": False})
        header = self._book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
        self._sheets: dict[str, Worksheet] = {}
        self._rows: dict[str, int] = {}
        for name, columns in SHEETS.items():
            sheet = self._book.add_worksheet(name)
            for number, (title, width) in enumerate(columns):
                sheet.set_column(number, number, width)
                sheet.write_string(0, number, title, header)
            sheet.freeze_panes(1, 0)
            self._sheets[name], self._rows[name] = sheet, 1
        self._book.set_properties({"title": f"govcrawl report {meta.as_of.isoformat()}",
                                   "comments": f"generated {meta.generated_at.isoformat()}"})

    def _append(self, name: str, values: list[Any]) -> None:
        row = self._rows[name]
        if row >= MAX_ROWS:
            if row == MAX_ROWS:
                logger.warning("Sheet %(sheet)s is full (%(rows)d rows): further rows are left out; "
                               "use the JSON report for the complete list", {"sheet": name, "rows": MAX_ROWS})
                self._rows[name] += 1
            return
        self._sheets[name].write_row(row, 0, values)
        self._rows[name] = row + 1

    def add(self, state: SiteState, result: SiteResult, owner: SiteOwner = NO_OWNER) -> None:
        from crawler.cases import DECISION_NAMES, STATUS_NAMES  # noqa: PLC0415  (it imports this package)

        who = [state.site_id, state.name, state.region]
        vetoes = sorted({finding.check for finding in result.findings if finding.severity == "veto"})
        warnings = [finding.detail for finding in result.findings if finding.severity == "info"]
        self._append("站点", [
            state.site_id, state.name, state.region, word(SITE_LEVELS, state.level), state.url,
            "是" if state.reachable else "否",
            state.availability if state.availability is not None else "",
            state.homepage_latest_date.isoformat() if state.homepage_latest_date else "",
            len(state.columns), sum(1 for column in state.columns if column.stale and not column.empty),
            sum(1 for column in state.columns if column.empty), len(state.dead_links), ", ".join(vetoes),
            result.score if result.score is not None else "", _VERDICTS[result.verdict], "; ".join(warnings),
            unreachable_reason(state) or "", owner.owner, owner.contact, owner.supervisor,
            sum(1 for case in owner.cases if case.active), sum(1 for case in owner.cases if case.overdue)])
        for case in owner.cases:
            self._append("整改台账", [
                *who, owner.owner, owner.supervisor, case.case_id, check_label(case.check),
                case.subject or "整站",
                _SEVERITIES[case.severity], case.detail, STATUS_NAMES[case.status],
                case.first_seen.date().isoformat(), case.last_seen.date().isoformat(),
                case.due_date.isoformat(), "是" if case.overdue else "否", "是" if case.repeat else "否",
                DECISION_NAMES[case.decision], case.decided_by])
        for link in state.dead_links:
            self._append("错链", [*who, link.url, link.found_on, "是" if link.on_homepage else "否",
                                   link.status if link.status is not None else "", link_error(link),
                                   "是" if link.confirmed else "否"])
        for column in state.columns:
            self._append("栏目", [*who, column.name, column.url, word(COLUMN_CLASSES, column.type),
                                column.level,
                                column.latest_date.isoformat() if column.latest_date else "", column.entries,
                                "是" if column.stale else "否", "是" if column.empty else "否"])
        for finding in result.findings:
            self._append("问题", [*who, check_label(finding.check), _SEVERITIES[finding.severity],
                                finding.points, finding.detail, word(CONFIDENCES, finding.confidence),
                                "\n".join(finding.evidence), "是" if finding.stale_data else "否"])

    def close(self) -> None:
        for name, sheet in self._sheets.items():
            last_row = min(self._rows[name], MAX_ROWS) - 1
            sheet.autofilter(0, 0, max(last_row, 1), len(SHEETS[name]) - 1)
        self._book.close()
        os.replace(self._partial, self.path)
