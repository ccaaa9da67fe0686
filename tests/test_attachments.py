"""Personal data in attachments (crawler/extract/attachments.py); content checks end to end on the farm."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
import xlwt

from crawler import es_schema
from crawler.extract.attachments import (
    AttachmentError,
    AttachmentLimits,
    attachment_personal_data,
    attachment_text,
)
from crawler.items import LinkItem, PageItem
from crawler.site_state import CheckPoint, RegisteredSite, build_site_states
from pipelines.indexing import to_action
from scripts import accuracy
from scripts.farm.content import _docx, _pdf, _xlsx
from tests.conftest import CRAWL_SETTINGS, Env, service_prefixes

if TYPE_CHECKING:
    from collections.abc import Iterator

    from elasticsearch import Elasticsearch

    from tests.conftest import RunningFarm

LIMITS = AttachmentLimits(max_bytes=4 * 1024 * 1024, max_chars=200_000, max_seconds=5.0)
TODAY = date(2026, 12, 1)
IDS = ["51010419800101009x", "510104199012311239"]  # valid check characters (x written small)
MOBILES = ["13812345678", "15900001111", "18623456789"]
ROWS = [["序号", "姓名", "身份证号码", "手机"], ["1", "张伟", IDS[0], MOBILES[0]],
        ["2", "王芳", IDS[1], MOBILES[1]], ["3", "李娜", "", MOBILES[2]]]


def _xls(rows: list[list[Any]]) -> bytes:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("名单")
    for row_number, row in enumerate(rows):
        for column, value in enumerate(row):
            sheet.write(row_number, column, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _doc(lines: list[str]) -> bytes:
    """A legacy Word file's shape: the OLE signature, then the text as UTF-16 runs between binary."""
    text = "\r".join(lines).encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + text + bytes(200)


# Mobile numbers typed into a spreadsheet as numbers come back as floats (13812345678.0) from xlrd.
FILES = {
    "pdf": _pdf(["   ".join(row[2:]) for row in ROWS[1:]]),
    "docx": _docx(ROWS),
    "xlsx": _xlsx(ROWS),
    "xls": _xls([[*row[:3], int(row[3])] if row[3].isdigit() else row for row in ROWS]),
    "doc": _doc(["   ".join(row) for row in ROWS]),
}


@pytest.mark.parametrize("extension", sorted(FILES))
def test_personal_data_in_each_format_comes_out_masked(extension: str) -> None:
    found = attachment_personal_data(FILES[extension], extension, LIMITS, today=TODAY)
    assert found.id_numbers == ("510104********009X", "510104********1239")
    assert found.mobiles == ("138****5678", "159****1111", "186****6789")
    assert not any(number in repr(found) for number in IDS + MOBILES)


def test_look_alikes_in_an_attachment_are_no_personal_data() -> None:
    rows = [["申请人身份证号", "510104********009X"], ["项目编号", "510104198001010090"],
            ["服务热线", "13812345678"], ["订单号", "5101041980010100901"]]
    found = attachment_personal_data(_xlsx(rows), "xlsx", LIMITS, today=TODAY)
    assert found.id_numbers == () and found.mobiles == ("138****5678",)  # one service line, no list


@pytest.mark.parametrize(("body", "extension", "message"), [
    (b"%PDF-1.4 garbage", "pdf", "unreadable .pdf file"),
    (b"PK\x03\x04 not a zip", "docx", "unreadable .docx file (BadZipFile"),
    (b"PK\x05\x06" + bytes(18), "xlsx", "unreadable .xlsx file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56), "xls", "unreadable .xls file"),
    (b"whatever", "wps", ".wps files are not read (only doc, docx, pdf, xls, xlsx)"),
])
def test_a_broken_attachment_is_one_clear_error(body: bytes, extension: str, message: str) -> None:
    with pytest.raises(AttachmentError) as raised:
        attachment_text(body, extension, LIMITS)
    assert message in str(raised.value)


def test_reading_is_bounded_by_bytes_characters_and_unpacked_size() -> None:
    small = AttachmentLimits(max_bytes=1000, max_chars=200_000, max_seconds=5.0)
    with pytest.raises(AttachmentError, match=r"\d+ bytes, over the 1000 read"):
        attachment_text(FILES["docx"], "docx", small)
    few = AttachmentLimits(max_bytes=LIMITS.max_bytes, max_chars=30, max_seconds=5.0)
    assert len(attachment_text(FILES["xlsx"], "xlsx", few)) <= 30 + len(ROWS)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(70 * 1024 * 1024))
    with pytest.raises(AttachmentError, match="unpacks to 73400320 bytes"):
        attachment_text(bomb.getvalue(), "docx", LIMITS)


# --- the farm, end to end ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def content_crawl(crawl_farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory, redis_url: str,
                  es_url: str) -> Iterator[dict[str, Any]]:
    """One crawl cycle of the shared farm and its report, with the content checks on (the default)."""
    work = tmp_path_factory.mktemp("content-crawl")
    with service_prefixes(redis_url, es_url) as (redis_prefix, es_prefix):
        env = Env(redis_url, es_url, redis_prefix, es_prefix, work / "spool")
        assert env.scrapy("seed", str(crawl_farm.registry)).returncode == 0
        crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=300)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        report = env.scrapy("report", "-o", str(work / "report.json"))
        assert report.returncode == 0, report.stderr[-3000:]
        yield json.loads((work / "report.json").read_text(encoding="utf-8"))


def test_the_farms_content_faults_are_reported_and_its_decoys_are_not(
        content_crawl: dict[str, Any], crawl_farm: RunningFarm) -> None:
    truth = crawl_farm.truth
    kinds = {issue["kind"] for site in truth["sites"] for issue in site["content_issues"]}
    assert kinds >= {"typo", "post", "national", "gambling", "dark", "name", "banned"}  # the showcase sites
    for name, (check, check_kinds) in accuracy.CONTENT_CHECKS.items():
        score = accuracy.content_issues(content_crawl, truth, check, check_kinds)
        assert score.true > 0 and score.precision == 1.0 and score.recall == 1.0, f"{name}: {score}"
    findings = [finding for site in content_crawl["sites"] for finding in site["findings"]
                if finding["check"] in ("V-SEVERE", "D-TYPO")]
    assert all(finding["confidence"] == "suspected" for finding in findings)
    assert all(finding["points"] == 0 for finding in findings)
    severe = {site["site_id"] for site in content_crawl["sites"]
              if any(finding["check"] == "V-SEVERE" for finding in site["findings"])}
    assert all(site["verdict"] != "PASS" for site in content_crawl["sites"] if site["site_id"] in severe)


def test_attachments_listing_personal_data_are_reported_masked(content_crawl: dict[str, Any],
                                                               crawl_farm: RunningFarm) -> None:
    score = accuracy.attachment_personal_data(content_crawl, crawl_farm.truth)
    assert score.true > 0 and score.precision == 1.0 and score.recall == 1.0, str(score)
    warnings = [warning for site in content_crawl["sites"] for warning in site["warnings"]
                if warning["check"] == "I-PRIVACY" and warning["key"].endswith((".pdf", ".docx", ".xlsx"))]
    assert all("*" in value for warning in warnings for value in warning["evidence"][1:])


def test_an_attachment_cleaned_since_its_last_reading_is_no_longer_reported(
        env: Env, es_client: Elasticsearch) -> None:
    es_schema.install_templates(es_client, env.es_prefix)
    site = RegisteredSite(site_id="510104000001", name="锦江区人民政府", url="http://www.cdjj.gov.cn/",
                          region="成都市", level="county")
    found_on = "http://www.cdjj.gov.cn/tzgg/t1.html"

    def read(url: str, hours: int, ids: list[str]) -> LinkItem:
        return LinkItem(site_id=site.site_id, url=url, found_on=found_on, on_homepage=False,
                        target_kind="attachment", checked_at=datetime(2026, 12, 1, hours, tzinfo=UTC),
                        ok=True, status=200, id_numbers=ids)

    cleaned, still = "http://www.cdjj.gov.cn/uploads/a.xlsx", "http://www.cdjj.gov.cn/uploads/b.pdf"
    records = [read(cleaned, 1, ["510104********009X"]), read(still, 1, ["510104********1239"]),
               dataclasses.replace(read(cleaned, 9, []), found_on="http://www.cdjj.gov.cn/tzgg/t2.html")]
    for record in records:
        action = to_action(record, env.es_prefix)
        es_client.index(index=action["_index"], id=action["_id"], document=action["_source"], refresh=True)
    point = CheckPoint.at(date(2026, 12, 1), datetime(2026, 12, 2, tzinfo=UTC))
    [state] = build_site_states(es_client, env.es_prefix, [site], point)
    assert [(page.url, page.id_numbers) for page in state.personal_data] == [(still, ("510104********1239",))]


def test_what_a_page_showed_stops_counting_once_the_page_is_gone(env: Env, es_client: Elasticsearch) -> None:
    """Deleting the article is the usual correction: its attachment (no longer linked, so never read again)
    and its broken links no longer count. A page fetched again that still exists keeps its unchanged
    attachment's reading (an unchanged file is not read again), and a failed fetch says nothing."""
    es_schema.install_templates(es_client, env.es_prefix)
    site = RegisteredSite(site_id="510104000002", name="锦江区人民政府", url="http://www.cdjj.gov.cn/",
                          region="成都市", level="county")
    deleted, refetched, failed = (f"http://www.cdjj.gov.cn/tzgg/t{n}.html" for n in (3, 4, 5))

    def at(hours: int) -> datetime:
        return datetime(2026, 12, 1, hours, tzinfo=UTC)

    def attachment(page: str) -> LinkItem:
        return LinkItem(site_id=site.site_id, url=page.replace(".html", ".xlsx"), found_on=page,
                        on_homepage=False, target_kind="attachment", checked_at=at(1), ok=True, status=200,
                        id_numbers=["510104********1239"])

    def broken(page: str) -> LinkItem:
        return LinkItem(site_id=site.site_id, url="http://www.cdjj.gov.cn/old/gone.html", found_on=page,
                        on_homepage=False, target_kind="page", checked_at=at(1), ok=False, status=404,
                        error="http", confirmed=True)

    def fetch(page: str, status: int, error: str | None = None) -> PageItem:
        return PageItem(site_id=site.site_id, url=page, status=status, error=error, fetched_at=at(9),
                        page_kind="article")

    records = [*(item for page in (deleted, refetched, failed) for item in (attachment(page), broken(page))),
               fetch(deleted, 404), fetch(refetched, 200), fetch(failed, 0, "timeout")]
    for record in records:
        action = to_action(record, env.es_prefix)
        es_client.index(index=action["_index"], id=action["_id"], document=action["_source"], refresh=True)

    [state] = build_site_states(es_client, env.es_prefix, [site],
                                CheckPoint.at(date(2026, 12, 1), datetime(2026, 12, 2, tzinfo=UTC)))
    assert sorted(page.url for page in state.personal_data) == [
        refetched.replace(".html", ".xlsx"), failed.replace(".html", ".xlsx")]
    # The page fetched again did not show its broken link again: fixed. The failed fetch read nothing.
    assert [link.found_on for link in state.dead_links] == [failed]
    # As of a moment before the deletion, everything still counts.
    [before] = build_site_states(es_client, env.es_prefix, [site],
                                 CheckPoint.at(None, datetime(2026, 12, 1, 5, tzinfo=UTC)))
    assert len(before.personal_data) == 3 and len(before.dead_links) == 3
