"""Personal data in attachments (I-PRIVACY): the text of PDF, DOC/DOCX and XLS/XLSX files, read within
bounds (GOVCRAWL_CONTENT_ATTACHMENT_*), checked with the number rules of crawler/extract/privacy.py.

Each format is read by its maintained library: pypdf, python-docx, openpyxl (read-only) and xlrd. A
legacy Word file (.doc) has no maintained reader: its text runs are read straight from the bytes (8-bit
and UTF-16), which is all the number rules need. Work per file is bounded three ways: bytes (the spider
does not download more), characters of text kept, and seconds (checked between pages, paragraphs and
rows; the spider also stops waiting). Zip-based files (.docx, .xlsx) whose members would unpack past
UNPACKED_MAX_BYTES are refused unread. Only masked numbers leave this module.
"""

from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import docx
import openpyxl
import pypdf
import xlrd
import xlrd.compdoc
from docx.opc.exceptions import OpcError
from openpyxl.utils.exceptions import InvalidFileException
from pypdf.errors import PyPdfError

from crawler.extract.privacy import PersonalData, personal_data

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date

    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

SCANNED_EXTENSIONS: Final = frozenset({"pdf", "doc", "docx", "xls", "xlsx"})
UNPACKED_MAX_BYTES: Final = 64 * 1024 * 1024
_ASCII_RUN = re.compile(rb"[\x20-\x7e]{6,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){6,}")
# What a broken or hostile file makes the readers raise; anything else is a bug to see.
_READ_ERRORS: Final = (PyPdfError, OpcError, InvalidFileException, xlrd.XLRDError, xlrd.compdoc.CompDocError,
                       zipfile.BadZipFile, KeyError, ValueError, IndexError, TypeError, EOFError, OSError,
                       RecursionError)


class AttachmentError(Exception):
    """An attachment that could not be read: its format, and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentLimits:
    """How much of one attachment is read (GOVCRAWL_CONTENT_ATTACHMENT_*)."""

    max_bytes: int
    max_chars: int
    max_seconds: float


class _Budget:
    """Characters kept and the deadline of one file's reading."""

    def __init__(self, limits: AttachmentLimits) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.max_chars = limits.max_chars
        self.deadline = time.monotonic() + limits.max_seconds

    def add(self, text: str) -> bool:
        """Keep the text; False once the characters or the time are spent (stop reading)."""
        if text:
            text = text[: self.max_chars - self.chars]
            self.parts.append(text)
            self.chars += len(text)
        return self.chars < self.max_chars and time.monotonic() < self.deadline

    def text(self) -> str:
        return "\n".join(self.parts)


def _unpacked_size_checked(body: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > UNPACKED_MAX_BYTES:
        raise AttachmentError(f"unpacks to {unpacked} bytes (over {UNPACKED_MAX_BYTES}): not read")


def _pdf(body: bytes, budget: _Budget) -> None:
    reader = pypdf.PdfReader(io.BytesIO(body))
    for page in reader.pages:
        if not budget.add(page.extract_text() or ""):
            return


def _docx(body: bytes, budget: _Budget) -> None:
    _unpacked_size_checked(body)
    document = docx.Document(io.BytesIO(body))
    for paragraph in document.paragraphs:
        if not budget.add(paragraph.text):
            return
    for table in document.tables:
        for row in table.rows:
            if not budget.add(" ".join(cell.text for cell in row.cells)):
                return


def _cell(value: object) -> str:
    """A cell as written: a whole number stored as a float (13812345678.0) without its decimals."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _rows_read(rows: Iterable[Iterable[object]], budget: _Budget) -> bool:
    """Keep each row's cells as one line; False once the budget stopped the reading."""
    return all(budget.add(" ".join(_cell(value) for value in row)) for row in rows)


def _xlsx(body: bytes, budget: _Budget) -> None:
    _unpacked_size_checked(body)
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            if not _rows_read(sheet.iter_rows(values_only=True), budget):
                return
    finally:
        workbook.close()


def _xls_rows(sheet: xlrd.sheet.Sheet) -> Iterator[list[object]]:
    for number in range(sheet.nrows):
        yield sheet.row_values(number)


def _xls(body: bytes, budget: _Budget) -> None:
    workbook = xlrd.open_workbook(file_contents=body, on_demand=True)
    try:
        for index in range(workbook.nsheets):
            if not _rows_read(_xls_rows(workbook.sheet_by_index(index)), budget):
                return
            workbook.unload_sheet(index)
    finally:
        workbook.release_resources()


def _doc(body: bytes, budget: _Budget) -> None:
    for run in _UTF16_RUN.findall(body):
        if not budget.add(run.decode("utf-16-le")):
            return
    for run in _ASCII_RUN.findall(body):
        if not budget.add(run.decode("ascii")):
            return


_READERS: Final = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "xls": _xls, "doc": _doc}


def attachment_text(body: bytes, extension: str, limits: AttachmentLimits) -> str:
    """The text of an attachment, up to the limits; AttachmentError for a file that cannot be read."""
    reader = _READERS.get(extension.lower())
    if reader is None:
        raise AttachmentError(f".{extension} files are not read (only {', '.join(sorted(_READERS))})")
    if len(body) > limits.max_bytes:
        raise AttachmentError(f"{len(body)} bytes, over the {limits.max_bytes} read")
    budget = _Budget(limits)
    try:
        reader(body, budget)
    except _READ_ERRORS as exc:
        raise AttachmentError(f"unreadable .{extension} file ({type(exc).__name__}: {exc})") from exc
    return budget.text()


def attachment_personal_data(body: bytes, extension: str, limits: AttachmentLimits, *,
                             today: date | None = None) -> PersonalData:
    """Masked resident ID and mobile numbers an attachment shows (the HTML check's rules)."""
    return personal_data(attachment_text(body, extension, limits), today=today)


def attachment_limits(settings: BaseSettings) -> AttachmentLimits | None:
    """The limits of attachment reading from the GOVCRAWL_CONTENT_* settings; None when the content
    checks are off or GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES is 0 (attachments are only link-checked)."""
    max_bytes = settings.getint("GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES")
    if not settings.getbool("GOVCRAWL_CONTENT_ENABLED") or max_bytes <= 0:
        return None
    return AttachmentLimits(max_bytes=max_bytes,
                            max_chars=settings.getint("GOVCRAWL_CONTENT_ATTACHMENT_MAX_CHARS"),
                            max_seconds=settings.getfloat("GOVCRAWL_CONTENT_ATTACHMENT_MAX_SECONDS"))
