"""Classify columns, judge staleness and emptiness, and parse column list pages (rules in columns.yaml)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import enum
import functools
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from w3lib.url import canonicalize_url

from crawler.extract.dates import parse_date_text
from crawler.extract.links import (
    absolute_url,
    base_href,
    element_text,
    hanweb_fragments,
    in_nav,
    is_nav_element,
    parse_html,
    script_fragments,
    script_texts,
    trs_page_urls,
)
from crawler.extract.markers import HOME_MENU_MARKERS, NOT_COLUMN_NAMES, marker

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from lxml.html import HtmlElement

RULES_PATH = Path(__file__).with_name("columns.yaml")


class ColumnClass(enum.StrEnum):
    """Column classes of docs/checks.md §3; the value is the report's `type`."""

    NEWS = "news"
    NOTICE = "notice"
    POLICY = "policy"
    PERSONNEL = "personnel"
    PLAN = "plan"
    BASIC = "basic"
    CONSULT = "consult"
    SURVEY = "survey"
    INTERVIEW = "interview"
    SERVICE = "service"
    EXEMPT = "exempt"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ColumnOverride:
    """A reviewer's decision for one column: a class, or just "exempt"."""

    column_class: ColumnClass | None = None
    exempt: bool = False


# --- the editable dictionary ---------------------------------------------------------------------


_LIMIT_TEXT = re.compile(r"^(\d+)(d|mo)$")


class _ClassRuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: str | None
    keywords: list[str]

    @field_validator("limit")
    @classmethod
    def _limit_format(cls, value: str | None) -> str | None:
        if value is not None and (_LIMIT_TEXT.match(value) is None or int(value[:-1].rstrip("dm")) < 1):
            raise ValueError(f"{value!r} is not a limit like 14d or 6mo (or null for never stale)")
        return value


class _RulesModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: list[ColumnClass]
    classes: dict[ColumnClass, _ClassRuleModel]
    meta_types: dict[str, ColumnClass] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_class_defined(self) -> _RulesModel:
        missing = [cls.value for cls in ColumnClass if cls not in self.classes]
        if missing:
            raise ValueError(f"classes: missing {', '.join(missing)}")
        unranked = [cls.value for cls in ColumnClass if cls not in self.priority]
        if unranked:
            raise ValueError(f"priority: missing {', '.join(unranked)}")
        return self


@dataclass(frozen=True, slots=True)
class StaleLimit:
    """How far back a column's newest item may lie: days, or calendar months."""

    days: int = 0
    months: int = 0

    def cutoff(self, as_of: datetime.date) -> datetime.date:
        """Newest date that already counts as stale at as_of."""
        if not self.months:
            return as_of - datetime.timedelta(days=self.days)
        month_index = as_of.year * 12 + as_of.month - 1 - self.months
        year, month = divmod(month_index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        return datetime.date(year, month + 1, min(as_of.day, last_day))

    def nominal(self) -> datetime.timedelta:
        """The limit as a duration; calendar months count as 365.25 / 12 days each."""
        return datetime.timedelta(days=self.days + round(self.months * _DAYS_PER_MONTH))


_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, slots=True)
class ColumnRules:
    """The loaded columns.yaml: class priority, keywords, limits and CMS ColumnType values."""

    priority: tuple[ColumnClass, ...]
    keywords: Mapping[ColumnClass, tuple[str, ...]]
    limits: Mapping[ColumnClass, StaleLimit | None]
    meta_types: Mapping[str, ColumnClass]


def _stale_limit(text: str | None) -> StaleLimit | None:
    if text is None:
        return None
    return StaleLimit(months=int(text[:-2])) if text.endswith("mo") else StaleLimit(days=int(text[:-1]))


def load_column_rules(path: Path | None = None) -> ColumnRules:
    """Load and validate a columns.yaml; a bad file raises ValueError naming the file and key."""
    if path is None:
        return _default_rules()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    try:
        model = _RulesModel.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '<top>'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(f"{path}: {problems}") from exc
    return ColumnRules(
        priority=tuple(model.priority),
        keywords={cls: tuple(rule.keywords) for cls, rule in model.classes.items()},
        limits={cls: _stale_limit(rule.limit) for cls, rule in model.classes.items()},
        meta_types={key.lower(): cls for key, cls in model.meta_types.items()},
    )


@functools.cache
def _default_rules() -> ColumnRules:
    return load_column_rules(RULES_PATH)


# --- classification ------------------------------------------------------------------------------


def _match_class(text: str, rules: ColumnRules) -> ColumnClass | None:
    """Class of the longest keyword in text; ties go to the class earlier in `priority`."""
    best: tuple[int, int] | None = None
    found: ColumnClass | None = None
    for rank, cls in enumerate(rules.priority):
        for keyword in rules.keywords[cls]:
            if keyword and keyword in text:
                score = (len(keyword), -rank)
                if best is None or score > best:
                    best, found = score, cls
    return found


def _has_exempt_keyword(text: str, rules: ColumnRules) -> bool:
    return any(keyword in text for keyword in rules.keywords[ColumnClass.EXEMPT])


def classify_column(
    name: str,
    *,
    column_type_meta: str | None = None,
    breadcrumb: Sequence[str] = (),
    description: str | None = None,
    overrides: Mapping[str, ColumnOverride] | None = None,
    url: str | None = None,
    rules: ColumnRules | None = None,
) -> ColumnClass:
    """The §3 class of a column: override by URL, exempt keywords, ColumnType meta, name, breadcrumb."""
    rules = rules or _default_rules()
    if overrides and url:
        override = overrides.get(url) or overrides.get(canonicalize_url(url, keep_fragments=False))
        if override is not None:
            if override.exempt:
                return ColumnClass.EXEMPT
            if override.column_class is not None:
                return override.column_class
    meta = (column_type_meta or "").strip()
    labels = [label.strip() for label in (meta, name, *breadcrumb) if label and label.strip()]
    if any(_has_exempt_keyword(label, rules) for label in labels):
        return ColumnClass.EXEMPT
    if meta:
        mapped = rules.meta_types.get(meta.lower()) or _match_class(meta, rules)
        if mapped is not None:
            return mapped
    for text in (name, *reversed(breadcrumb), description or ""):
        found = _match_class(text.strip(), rules) if text else None
        if found is not None:
            return found
    return ColumnClass.OTHER


def limit_for(cls: ColumnClass, *, rules: ColumnRules | None = None) -> datetime.timedelta | None:
    """How recent a column's newest item must be (months given nominally); None if never judged stale."""
    limit = (rules or _default_rules()).limits[cls]
    return None if limit is None else limit.nominal()


def stale_cutoff(
    cls: ColumnClass, as_of: datetime.date, *, rules: ColumnRules | None = None
) -> datetime.date | None:
    """Newest date that already counts as stale at as_of (calendar months for month limits), or None."""
    limit = (rules or _default_rules()).limits[cls]
    return None if limit is None else limit.cutoff(as_of)


def is_stale(
    latest: datetime.date | None, cls: ColumnClass, as_of: datetime.date, *, rules: ColumnRules | None = None
) -> bool:
    """True if the column has no item dated in the window (cutoff, as_of], lower bound excluded.

    NEWS (14d) at as_of 2026-11-27: an item of 2026-11-13 (= as_of - 14 days) is stale, 2026-11-14
    is fresh. NOTICE (6mo): cutoff 2026-05-27, so 05-27 is stale and 05-28 fresh. An empty or
    undated column (`latest` None) is stale, and so is a newest date after as_of (a future date is
    no valid update). EXEMPT is never stale.
    """
    cutoff = stale_cutoff(cls, as_of, rules=rules)
    if cutoff is None:
        return False
    if latest is None:
        return True
    return not (cutoff < latest <= as_of)


# --- list pages ----------------------------------------------------------------------------------

EMPTY_BODY_MAX_CHARS = 50
_PLACEHOLDER = re.compile(
    r"暂无(?:信息|数据|内容|记录|相关信息|文章)|正在建设|建设中|没有找到相关(?:信息|记录|内容)|没有相关(?:信息|记录)"
    r"|无相关(?:信息|记录)|敬请期待"
)
_FORWARD_PAGER_TEXT = re.compile(
    r"^(?:下一页|下页|尾页|末页|最后一页|后一页|next|last|>|›|»)$", re.IGNORECASE
)
_PAGER_TEXT = re.compile(r"^(?:上一页|上页|首页|前一页|第?\d+页?|prev|previous|first|<|‹|«)$", re.IGNORECASE)
_PAGER_HREF = re.compile(
    r"(?:(?:^|/)index_\d+\.s?html?$|[?&](?:page|pageno|pageindex|pagenum|currentpage|curpage|p|pn|pagenumber)=\d+)",
    re.IGNORECASE,
)
_MORE_TEXT = re.compile(r"^(?:更多|查看更多|更多信息|更多内容|more|更多>+|>>|\+)$", re.IGNORECASE)
_ROW_TAGS = frozenset({"li", "tr", "dd", "dt", "p"})
_MIN_TITLE_CHARS = 4
_UNDATED_LIST_MIN_ROWS = 3
_UNDATED_LIST_MIN_TITLE_CHARS = 8


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One entry of a column list: target URL, title, and the date printed beside it (None if none)."""

    url: str
    title: str
    date: datetime.date | None
    # The list printed a month-day only and its year was read from the list's order (_years_from_order):
    # right for items of the last year, a guess for older ones.
    year_guessed: bool = False


@dataclass(frozen=True, slots=True)
class Listing:
    """A parsed column page: its entries, further list pages, how many placeholders ("暂无信息") it shows,
    and how many characters of body text it has outside navigation and links."""

    entries: list[ListEntry]
    next_pages: list[str]
    placeholders: int  # a channel's empty sub-column box has its own
    body_text_chars: int

    @property
    def placeholder(self) -> bool:
        """The page shows a placeholder somewhere."""
        return self.placeholders > 0


@dataclass(frozen=True, slots=True)
class _Row:
    element: HtmlElement
    anchor: HtmlElement
    url: str
    title: str
    date: datetime.date | None
    rest: str  # the entry's text outside its anchor: the rest of its row, or its segment of a shared one
    year_guessed: bool = False  # ListEntry.year_guessed


def _anchor_title(anchor: HtmlElement) -> str:
    text = element_text(anchor)
    title = (anchor.get("title") or "").strip()
    return title if len(title) >= len(text) or not text else text


def _row_of(anchor: HtmlElement) -> HtmlElement:
    for depth, ancestor in enumerate(anchor.iterancestors()):
        if ancestor.tag in _ROW_TAGS:
            return ancestor
        if depth >= 3 or ancestor.tag in ("ul", "ol", "table", "tbody", "body"):
            break
    parent = anchor.getparent()
    return parent if parent is not None else anchor


def _spaced_text(element: HtmlElement) -> str:
    """Text of an element with its parts kept apart: <span>29</span><span>2026-11</span> is "29 2026-11"."""
    return " ".join(" ".join(element.itertext()).split())


def _holds_anchor(element: HtmlElement) -> bool:
    return element.tag == "a" or element.find(".//a") is not None


def _segment_text(anchor: HtmlElement) -> str:
    """The text after an anchor up to the next entry of a container that holds entries side by side
    (<a>…</a> 2026-11-20<br><a>…</a>): each sibling is read by one anchor only, so a page of n links
    costs O(n), not the O(n²) of reading the shared container once per link."""
    parts = [anchor.tail or ""]
    for sibling in anchor.itersiblings():
        if not isinstance(sibling.tag, str):
            parts.append(sibling.tail or "")
            continue
        if _holds_anchor(sibling):
            break
        parts.append(" ".join(sibling.itertext()))
        parts.append(sibling.tail or "")
    return " ".join(" ".join(parts).split())


# A list row's date box split in two: <span class="day">29</span><span class="ym">2026-11</span>, or the
# other way round. Only read in list rows, where a lone day number beside a year-month is that date.
_SPLIT_DATE = re.compile(
    r"(?<!\d)(?:(?P<day>\d{1,2})日?\s+(?P<year>(?:19|20)\d\d)\s*[-/.年]\s*(?P<month>\d{1,2})月?(?![-/.\d])"
    r"|(?P<year2>(?:19|20)\d\d)\s*[-/.年]\s*(?P<month2>\d{1,2})月?\s+(?P<day2>\d{1,2})日?)(?![-/.:\d])"
)


def _split_date(text: str, today: datetime.date) -> datetime.date | None:
    match = _SPLIT_DATE.search(text)
    if match is None:
        return None
    year, month, day = (match.group("year", "month", "day") if match.group("year")
                        else match.group("year2", "month2", "day2"))
    try:
        found = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return found if found <= today else None


def _row_date(row: HtmlElement, anchor: HtmlElement, title: str, rest: str, today: datetime.date
              ) -> datetime.date | None:
    """Newest date printed in the row outside the title (tables may show 成文日期 and 发布日期)."""
    if row.tag == "tr":
        cells = [cell for cell in row.iter("td", "th") if anchor not in cell.iterdescendants()]
        dates = [parse_date_text(element_text(cell), today=today) for cell in cells]
    else:
        outside = rest.replace(title, " ", 1)
        dates = [parse_date_text(outside, today=today) or _split_date(outside, today)]
        # Some templates print the date inside the anchor: <a><span>title</span><em>11-20</em></a>.
        dates += [
            parse_date_text(element_text(child), today=today)
            for child in anchor.iterdescendants()
            if isinstance(child.tag, str) and element_text(child) != title
        ]
    found = [value for value in dates if value is not None]
    return max(found) if found else None


# A container holding this many entry anchors side by side (no row element of their own) is read
# entry by entry (_segment_text) instead of as one row.
_SHARED_ROW_MIN_ANCHORS = 3


def _rows(tree: HtmlElement, base: str, today: datetime.date, *, skip_nav: bool) -> Iterator[_Row]:
    candidates: list[tuple[HtmlElement, HtmlElement, str, str]] = []
    per_row: dict[HtmlElement, int] = {}
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href:
            continue
        title = _anchor_title(anchor)
        if len(title) < _MIN_TITLE_CHARS or _MORE_TEXT.match(title) or _FORWARD_PAGER_TEXT.match(title):
            continue
        if skip_nav and in_nav(anchor):
            continue
        url = absolute_url(href, base)
        if url is None:
            continue
        row = _row_of(anchor)
        candidates.append((anchor, row, url, title))
        per_row[row] = per_row.get(row, 0) + 1
    for anchor, row, url, title in candidates:
        if per_row[row] >= _SHARED_ROW_MIN_ANCHORS and row.tag != "tr":
            rest = _segment_text(anchor)
        else:
            rest = _spaced_text(row).replace(_spaced_text(anchor), " ", 1)
        yield _Row(row, anchor, url, title, _row_date(row, anchor, title, rest, today), rest)


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


# A heading that names only a year (<h4 class="year">2025年</h4>) before a list that prints month-days.
_YEAR_HEADING = re.compile(r"^\s*((?:19|20)\d\d)\s*年?(?:度)?\s*$")


def _heading_year(container: HtmlElement) -> int | None:
    """The year a heading right before a list names (the first element before it that has text)."""
    before = container.getprevious()
    while before is not None and (not isinstance(before.tag, str) or not element_text(before)):
        before = before.getprevious()
    match = _YEAR_HEADING.match(element_text(before)) if before is not None else None
    return int(match.group(1)) if match else None


def _years_from_heading(group: list[_Row], year: int, today: datetime.date) -> list[_Row]:
    rows = list(group)
    for index, row in enumerate(rows):
        if row.date is not None and row.date.year != year:
            try:
                day = row.date.replace(year=year)
            except ValueError:  # 29 February
                continue
            rows[index] = dataclasses.replace(row, date=day if day <= today else None)
    return rows


def _years_from_order(group: list[_Row], today: datetime.date) -> list[_Row]:
    """A list that prints its dates without the year (11-08), read in its order.

    Each such date was given its most recent year that is not in the future, which is wrong for an item
    more than a year old: a box showing 02-20, 01-02, 11-29 on 7 December, newest first, means last
    year's 29 November, not last week's. Neighbouring items of a list are near in time, so from its newest
    end (the top of a list that mostly falls, else the bottom) each date takes the year, its own or the
    one before, that puts it nearer the item before it. The newest end's first item is no guide for the
    second (it may be pinned: 03-05 on top of 11-20, 10-01 is this year's March, not a turn of the year)
    unless it is last year's already (12-08 on 7 December: nothing below it is newer).
    """
    dated = [(index, row.date) for index, row in enumerate(group) if row.date is not None]
    if len(dated) < 2:
        return [dataclasses.replace(row, year_guessed=row.date is not None) for row in group]
    days = [day for _, day in dated]
    falling = sum(1 for newer, older in itertools.pairwise(days) if newer >= older)
    order = range(len(dated)) if falling * 2 >= len(days) - 1 else range(len(dated) - 1, -1, -1)
    rows = list(group)
    previous: datetime.date | None = None
    for step, n in enumerate(order):
        index, day = dated[n]
        earlier = _year_before(day)
        if previous is not None and (step > 1 or previous.year < today.year) and earlier is not None \
                and abs((earlier - previous).days) < abs((day - previous).days):
            day = earlier
        rows[index] = dataclasses.replace(rows[index], date=day, year_guessed=True)
        previous = day
    return rows


def _yearless_dates(container: HtmlElement, group: list[_Row], today: datetime.date) -> list[_Row]:
    """The dates of a list that prints month-days only, with their years: from a heading right before the
    list that names the year (archives grouped by year), else from the list's order."""
    if any(_YEAR.search(row.rest) for row in group if row.date is not None):
        return group
    year = _heading_year(container)
    return _years_from_heading(group, year, today) if year is not None else _years_from_order(group, today)


def _year_before(day: datetime.date) -> datetime.date | None:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return None


def _list_rows(rows: list[_Row], today: datetime.date) -> list[_Row]:
    """Rows that form the page's list(s): groups sharing a parent, mostly dated, else long-titled."""
    groups: dict[HtmlElement, list[_Row]] = {}
    for row in rows:
        parent = row.element.getparent()
        groups.setdefault(row.element if parent is None else parent, []).append(row)
    dated = [
        _yearless_dates(container, g, today)
        for container, g in groups.items()
        if sum(r.date is not None for r in g) * 2 >= len(g) and any(r.date for r in g)
    ]
    if dated:
        return [row for group in dated for row in group]
    undated = [
        group
        for group in groups.values()
        if len(group) >= _UNDATED_LIST_MIN_ROWS
        and sum(len(row.title) for row in group) / len(group) >= _UNDATED_LIST_MIN_TITLE_CHARS
    ]
    return [row for group in undated for row in group]


def _body_text_chars(tree: HtmlElement) -> int:
    """Non-blank characters of body text outside navigation, scripts and links."""
    body = tree.find("body")
    if body is None:
        return 0

    def count(element: HtmlElement) -> int:
        if (
            not isinstance(element.tag, str)
            or element.tag in ("script", "style", "a", "select")
            or is_nav_element(element)
        ):
            return 0
        total = len("".join((element.text or "").split()))
        for child in element:
            total += count(child) + len("".join((child.tail or "").split()))
        return total

    return count(body)


_DIGIT_RUN = re.compile(r"(\d+)")


def _numbered_sibling(current: str, url: str, number: str) -> bool:
    """Whether `url` is the current page's address with its last number changed to `number`: a numbered
    pager link of any CMS's own scheme (list-80-1.html → list-80-2.html, list_5_1.aspx, /page/2/). The
    page number comes last in them; an earlier number is the column's (list-2-1.html is another column)."""
    mine, theirs = _DIGIT_RUN.split(current), _DIGIT_RUN.split(url)
    if len(mine) != len(theirs) or len(mine) < 3:
        return False
    # split() puts the digit runs at the odd positions: the last one is at -2.
    last = len(mine) - 2
    changed = [index for index, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b]
    return changed == [last] and int(theirs[last]) == int(number)


def _next_pages(tree: HtmlElement, base: str, page_url: str, scripts: str) -> list[str]:
    pages: list[str] = []
    current = canonicalize_url(page_url, keep_fragments=False)
    for anchor in tree.iter("a"):
        href = anchor.get("href") or ""
        text = element_text(anchor) or (anchor.get("title") or "").strip()
        forward = _FORWARD_PAGER_TEXT.match(text) is not None
        paged = _PAGER_HREF.search(href) is not None and (not text or _PAGER_TEXT.match(text) is not None)
        numbered = text.isdigit() and len(text) <= 4
        if not (forward or paged or numbered):
            continue
        url = absolute_url(href, base)
        if url is None or url == current:
            continue
        if forward or paged or _numbered_sibling(current, url, text):
            pages.append(url)
    pages += trs_page_urls(scripts, base)
    for fragment in hanweb_fragments(scripts, pagers=True):
        pages += [url for a in fragment.iter("a") if (url := absolute_url(a.get("href"), base))]
    return [url for url in dict.fromkeys(pages) if url != current]


def parse_column_listing(
    tree_or_html: HtmlElement | str | bytes, base_url: str, *, today: datetime.date
) -> Listing:
    """Entries (with printed dates), further list pages, placeholder flag and body size of a column page."""
    tree = parse_html(tree_or_html)
    base = base_href(tree, base_url)
    scripts = script_texts(tree)
    rows = _list_rows(list(_rows(tree, base, today, skip_nav=True)), today)
    for fragment in script_fragments(scripts):
        rows += list(_rows(fragment, base, today, skip_nav=False))
    found = {row.url: ListEntry(url=row.url, title=row.title, date=row.date, year_guessed=row.year_guessed)
             for row in rows}
    for entry in [*_script_data_entries(scripts, base, today), *_island_entries(tree, base, today)]:
        found.setdefault(entry.url, entry)
    entries = list(found.values())
    body = tree.find("body")
    content_text = "" if body is None else element_text(body)
    # A script's own 暂无数据 (what it would show for an empty answer) is not on the page.
    in_scripts = "" if body is None else " ".join(script.text or "" for script in body.iter("script"))
    return Listing(
        entries=entries,
        next_pages=_next_pages(tree, base, base_url, scripts),
        placeholders=max(0, len(_PLACEHOLDER.findall(content_text)) - len(_PLACEHOLDER.findall(in_scripts))),
        body_text_chars=_body_text_chars(tree),
    )


# --- lists loaded as data (JSON, or XML records) ------------------------------------------------

_DATA_URL_KEY = re.compile(r"url|link|href|path", re.IGNORECASE)
_DATA_TITLE_KEY = re.compile(r"title|name|^bt$|subject|标题", re.IGNORECASE)
# Publish-date keys first; 成文日期 (cwrq, written) and other dates only when nothing says published.
_DATA_PUBLISHED_KEY = re.compile(r"pub|publish|release|^fb|fbrq|fbsj|发布", re.IGNORECASE)
_DATA_DATE_KEY = re.compile(r"date|time|rq$|sj$|日期|时间", re.IGNORECASE)
_DATA_WRITTEN_KEY = re.compile(r"cwrq|成文|written|sign", re.IGNORECASE)
_DATA_TOTAL_PAGES_KEY = re.compile(r"^(?:total_?pages?|page_?count|pages)$", re.IGNORECASE)
# Else the pages follow from the number of records and the page size ({"total": 46, "size": 20}).
_DATA_TOTAL_RECORDS_KEY = re.compile(
    r"^(?:total|total_?(?:count|records?|rows|elements|num)|record_?count|count)$", re.IGNORECASE)
_DATA_PAGE_SIZE_KEY = re.compile(r"^(?:size|page_?size|per_?page|rows|limit)$", re.IGNORECASE)
_PAGE_PARAM = re.compile(
    r"([?&](?:page|pageno|pagenum|pageindex|curpage|currentpage|p|pn)=)(\d+)", re.IGNORECASE
)
_XML_TOTAL_PAGES = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.IGNORECASE)
_DATA_MAX_PAGES = 50


def _data_entry(record: Mapping[str, object], base: str, today: datetime.date) -> ListEntry | None:
    strings = {key: value.strip() for key, value in record.items()
               if isinstance(value, str) and value.strip()}
    url = next((absolute_url(value, base) for key, value in strings.items() if _DATA_URL_KEY.search(key)),
               None)
    title = max((value for key, value in strings.items() if _DATA_TITLE_KEY.search(key)), key=len,
                default="")
    if url is None or not title:
        return None
    published = [value for key, value in strings.items() if _DATA_PUBLISHED_KEY.search(key)]
    dated = [value for key, value in strings.items()
             if _DATA_DATE_KEY.search(key) and not _DATA_WRITTEN_KEY.search(key)]
    dates = [day for value in published or dated if (day := parse_date_text(value, today=today)) is not None]
    return ListEntry(url=url, title=title, date=max(dates) if dates else None)


def _records(data: object) -> Iterator[Mapping[str, object]]:
    """Every JSON object in the document, depth first."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _data_pages(url: str, total: int | None) -> list[str]:
    """Further pages of a paged data address (page=1 of totalPage 3 → page=2, page=3)."""
    match = _PAGE_PARAM.search(url)
    if match is None or not total or int(match.group(2)) != 1:
        return []
    head, tail = url[: match.start(2)], url[match.end(2) :]
    return [f"{head}{number}{tail}" for number in range(2, min(total, _DATA_MAX_PAGES) + 1)]


# An array of objects a page's own script holds and renders itself: var data=[{"title":…,"url":…,"time":…}].
_SCRIPT_ARRAY = re.compile(r"=\s*\[\s*\{")


def _script_data_entries(scripts: str, base: str, today: datetime.date) -> list[ListEntry]:
    """Entries of a list the page carries as data in an inline script (a 站群 platform's list, rendered
    in the browser): JSON objects with an address and a title, read like a data address's answer."""
    decoder = json.JSONDecoder()
    entries: list[ListEntry] = []
    for match in _SCRIPT_ARRAY.finditer(scripts):
        try:
            data, _ = decoder.raw_decode(scripts, scripts.index("[", match.start()))
        except ValueError:
            continue  # a JavaScript literal that is no JSON (unquoted keys, single quotes)
        entries += [entry for record in _records(data) if (entry := _data_entry(record, base, today))]
    return entries


_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*)\]\]>\s*$", re.DOTALL)


def _island_entries(tree: HtmlElement, base: str, today: datetime.date) -> list[ListEntry]:
    """Entries of an XML data island the page's script renders (<xml id="listData"><record><title>…
    <link>…</link><pubdate>…): each record read like a data address's object. The HTML parser keeps the
    records, but makes <link> an empty element whose address follows it, and CDATA plain text."""
    entries: list[ListEntry] = []
    for island in tree.iter("xml"):
        for record in island.iter("record", "item", "row"):
            fields: dict[str, object] = {}
            for child in record:
                if isinstance(child.tag, str):
                    value = child.text if child.text and child.text.strip() else child.tail
                    value = (value or "").strip()
                    cdata = _CDATA.match(value)
                    fields.setdefault(child.tag, cdata.group(1) if cdata else value)
            entry = _data_entry(fields, base, today)
            if entry is not None:
                entries.append(entry)
    return entries


def parse_data_listing(text: str, base_url: str, *, today: datetime.date) -> Listing | None:
    """Entries of a list a page loads as data: JSON objects with an address, a title and dates, or
    大汉 JCMS XML records (<record><![CDATA[<li>…</li>]]></record>); None when the text is neither."""
    stripped = text.lstrip("\ufeff \r\n\t")
    base = canonicalize_url(base_url, keep_fragments=False)
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        entries: dict[str, ListEntry] = {}
        counts: dict[str, int] = {}  # the first total pages, total records and page size found
        for record in _records(data):
            entry = _data_entry(record, base, today)
            if entry is not None:
                entries.setdefault(entry.url, entry)
            for key, value in record.items():
                if not isinstance(value, int) or isinstance(value, bool):
                    continue
                for name, pattern in (("pages", _DATA_TOTAL_PAGES_KEY), ("records", _DATA_TOTAL_RECORDS_KEY),
                                      ("size", _DATA_PAGE_SIZE_KEY)):
                    if pattern.match(key):
                        counts.setdefault(name, value)
        total = counts.get("pages")
        if total is None and counts.get("records") and counts.get("size", 0) > 0:
            total = -(-counts["records"] // counts["size"])
        return Listing(entries=list(entries.values()), next_pages=_data_pages(base, total),
                       placeholders=0, body_text_chars=0)
    fragments = hanweb_fragments(stripped)
    if not fragments and "<datastore" not in stripped[:2000].lower():
        return None
    rows = [row for fragment in fragments for row in _rows(fragment, base, today, skip_nav=False)]
    total_match = _XML_TOTAL_PAGES.search(stripped)
    return Listing(entries=list({row.url: ListEntry(row.url, row.title, row.date) for row in rows}.values()),
                   next_pages=_data_pages(base, int(total_match.group(1)) if total_match else None),
                   placeholders=0, body_text_chars=0)


def is_empty_listing(pages: Listing | Sequence[Listing]) -> bool:
    """V-EMPTY: no entry on any list page, and either a placeholder or < 50 characters of body text.

    A dead column link is empty too; that is the caller's check. A single-page body column
    (机构职能) with ≥ 50 characters of text is not empty.
    """
    listings = [pages] if isinstance(pages, Listing) else list(pages)
    if not listings or any(listing.entries for listing in listings):
        return not listings
    if any(listing.placeholder for listing in listings):
        return True
    return max(listing.body_text_chars for listing in listings) < EMPTY_BODY_MAX_CHARS


# --- home-page columns ---------------------------------------------------------------------------

_HEADING_CLASS = re.compile(r"(?:^|[\s_-])(?:title|tit|hd|bt|head|name|lm|lmmc)(?:$|[\s_-])", re.IGNORECASE)
_COLUMN_NAME_MAX_CHARS = 12


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column found on the home page: its name, list-page URL and level (1 = top navigation)."""

    name: str
    url: str
    level: int


def _menu_of(anchor: HtmlElement) -> HtmlElement | None:
    for ancestor in anchor.iterancestors():
        if ancestor.tag == "nav" or HOME_MENU_MARKERS.search(marker(ancestor)):
            return ancestor
        if ancestor.tag == "footer" or (is_nav_element(ancestor) and ancestor.tag != "header"):
            return None
    return None


def _column_name(text: str) -> str:
    return re.sub(r"^更多|更多$|[>»+＋\s]+", "", text).strip()


def _heading_for(more: HtmlElement) -> str:
    """The heading of the block a "更多" link closes: h1-h6 or a title-classed element nearby."""
    titled = _column_name((more.get("title") or "").strip())
    if titled:
        return titled
    parent = more.getparent()
    if parent is not None:
        # <div class="hd"><span>工作动态</span><a>更多</a></div>: the rest of the bar is the name.
        name = _column_name(element_text(parent).replace(element_text(more), "", 1))
        if 2 <= len(name) <= _COLUMN_NAME_MAX_CHARS:
            return name
    for depth, block in enumerate(more.iterancestors()):
        if depth > 2 or block.tag == "body":
            break
        for candidate in block.iter():
            if candidate is more or more in candidate.iterdescendants() or not isinstance(candidate.tag, str):
                continue
            marker = f"{candidate.get('id', '')} {candidate.get('class', '')}"
            if candidate.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or _HEADING_CLASS.search(marker):
                name = _column_name(element_text(candidate))
                if 2 <= len(name) <= _COLUMN_NAME_MAX_CHARS:
                    return name
    return ""


def find_columns(home_tree: HtmlElement | str | bytes, base_url: str) -> list[ColumnRef]:
    """Columns linked from a home page: navigation menus (level 1, nested items level 2) and content
    blocks with a heading and a "更多"/"more" link (level 2 unless also in the navigation)."""
    tree = parse_html(home_tree)
    base = base_href(tree, base_url)
    home = canonicalize_url(base_url, keep_fragments=False)
    found: dict[str, ColumnRef] = {}

    def add(name: str, url: str | None, level: int) -> None:
        if url is None or url == home or not name or NOT_COLUMN_NAMES.match(name):
            return
        if len(name) > _COLUMN_NAME_MAX_CHARS:
            return
        known = found.get(url)
        if known is None or level < known.level:
            found[url] = ColumnRef(name=name, url=url, level=level)

    for anchor in tree.iter("a"):
        menu = _menu_of(anchor)
        url = absolute_url(anchor.get("href"), base)
        text = element_text(anchor)
        if menu is not None:
            depth = sum(1 for ancestor in anchor.iterancestors() if ancestor.tag == "li")
            depth -= sum(1 for ancestor in menu.iterancestors() if ancestor.tag == "li")
            add(text, url, 2 if depth >= 2 else 1)
        elif _MORE_TEXT.match(text.replace(" ", "")) or _MORE_TEXT.match(_column_name(text) or text):
            add(_heading_for(anchor), url, 2)
        else:
            parent = anchor.getparent()
            marker = "" if parent is None else f"{parent.get('id', '')} {parent.get('class', '')}"
            if parent is not None and (parent.tag in ("h2", "h3", "h4") or _HEADING_CLASS.search(marker)):
                add(_column_name(text), url, 2)
    return list(found.values())


@dataclass(frozen=True, slots=True)
class ChannelBlock:
    """A block of a channel page: the sub-column its "更多" link leads to, and the URLs the block lists."""

    column: ColumnRef
    urls: frozenset[str]
    placeholders: int = 0  # placeholders in the box the "更多" link heads (its list is empty: 暂无内容)


_BLOCK_CLIMB_LIMIT = 4
# Share of a page's list entries that must sit in its "更多" blocks for it to be a channel page.
CHANNEL_ENTRY_SHARE = 0.8
CHANNEL_MIN_BLOCKS = 2


def _block_of(more: HtmlElement, target: str, base: str) -> tuple[HtmlElement, frozenset[str]] | None:
    """The container a "更多" link closes (the nearest ancestor listing other URLs) and those URLs."""
    for depth, ancestor in enumerate(more.iterancestors()):
        if depth >= _BLOCK_CLIMB_LIMIT or ancestor.tag == "body":
            return None
        urls = frozenset(url for a in ancestor.iter("a")
                         if (url := absolute_url(a.get("href"), base)) is not None and url != target)
        if urls:
            return ancestor, urls
    return None


def _box_placeholders(more: HtmlElement) -> int:
    """The placeholders of the box a "更多" link heads: its nearest ancestor holding a list (ul, ol,
    table, dl), so a sub-column box that says 暂无内容 has them and the page's own list has not."""
    for depth, ancestor in enumerate(more.iterancestors()):
        if depth >= _BLOCK_CLIMB_LIMIT or ancestor.tag == "body":
            return 0
        if ancestor.find(".//ul") is not None or ancestor.find(".//ol") is not None \
                or ancestor.find(".//table") is not None or ancestor.find(".//dl") is not None:
            return len(_PLACEHOLDER.findall(element_text(ancestor)))
    return 0


def channel_blocks(tree_or_html: HtmlElement | str | bytes, base_url: str) -> list[ChannelBlock]:
    """The "更多" blocks outside the navigation of a page, one per sub-column they lead to.

    A channel page (政务公开, 新闻中心, 互动交流 landing pages) is made of such blocks: each shows the
    newest items of one sub-column. A column page may have one or two beside its own list.
    """
    tree = parse_html(tree_or_html)
    base = base_href(tree, base_url)
    page = canonicalize_url(base_url, keep_fragments=False)
    blocks: dict[str, ChannelBlock] = {}
    for anchor in tree.iter("a"):
        text = element_text(anchor) or (anchor.get("title") or "").strip()
        if not (_MORE_TEXT.match(text.replace(" ", "")) or _MORE_TEXT.match(_column_name(text) or text)):
            continue
        url = absolute_url(anchor.get("href"), base)
        if url is None or url == page or url in blocks or in_nav(anchor):
            continue
        found = _block_of(anchor, url, base)
        placeholders = _box_placeholders(anchor)
        name = _heading_for(anchor)
        if (found is not None or placeholders) and name:
            # A box whose list is empty (暂无内容) links nothing but its sub-column: a block all the same.
            urls = found[1] if found is not None else frozenset()
            blocks[url] = ChannelBlock(ColumnRef(name=name, url=url, level=2), urls,
                                       placeholders=placeholders)
    return list(blocks.values())


def is_channel(blocks: Sequence[ChannelBlock], listing: Listing) -> bool:
    """A page whose list entries lie mostly in "更多" blocks of sub-columns: two blocks or more (entries
    or not), one block holding entries on a page without a placeholder of its own (an empty column
    with a side block of news is still a column), or one block whose own box holds every placeholder
    the page shows (a channel whose only sub-column is empty: the emptiness is the sub-column's)."""
    entries = listing.entries
    empty_box = len(blocks) == 1 and not entries and 0 < listing.placeholders <= blocks[0].placeholders
    if len(blocks) < CHANNEL_MIN_BLOCKS and not empty_box \
            and not (blocks and entries and not listing.placeholder):
        return False
    inside = frozenset().union(*(block.urls for block in blocks))
    return sum(entry.url in inside for entry in entries) >= CHANNEL_ENTRY_SHARE * len(entries)


# --- consultation columns ------------------------------------------------------------------------

_ASKED_LABEL = re.compile(r"(?:留言|提问|来信|写信|提交|咨询|发布|投诉)(?:时间|日期)")
_ANSWERED_LABEL = re.compile(r"(?:回复|答复|办结|处理|反馈)(?:时间|日期)")
_STATUS_LABEL = re.compile(r"状态")
_PENDING = re.compile(r"未回复|待回复|未答复|待答复|办理中|处理中|受理中|未办结|待处理|未处理")
_ANSWERED = re.compile(r"已回复|已答复|已办结|已处理|已反馈|已受理并回复")
_DATE_RUN = re.compile(
    r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
)


@dataclass(frozen=True, slots=True)
class Message:
    """One consultation message: when it was asked, when (if) it was answered."""

    url: str
    title: str
    asked_at: datetime.date | None
    answered_at: datetime.date | None
    answered: bool


def _header_roles(table: HtmlElement) -> dict[int, str]:
    """Column index → role (asked/answered/status) from a table's header row."""
    for row in table.iter("tr"):
        cells = [element_text(cell) for cell in row if isinstance(cell.tag, str) and cell.tag in ("th", "td")]
        roles: dict[int, str] = {}
        for index, text in enumerate(cells):
            if _ANSWERED_LABEL.search(text):
                roles[index] = "answered"
            elif _ASKED_LABEL.search(text):
                roles[index] = "asked"
            elif _STATUS_LABEL.search(text):
                roles[index] = "status"
        return roles
    return {}


def _message(
    url: str, title: str, parts: Mapping[str, str], rest: str, today: datetime.date
) -> Message | None:
    asked_text, answered_text = parts.get("asked", ""), parts.get("answered", "")
    dates = [parse_date_text(match.group(0), today=today) for match in _DATE_RUN.finditer(rest)]
    if not asked_text and not answered_text:
        # Unlabelled dates: the first is the question, the second the answer.
        asked = dates[0] if dates else None
        answered_at = dates[1] if len(dates) > 1 else None
    else:
        asked = parse_date_text(asked_text, today=today) if asked_text else None
        answered_at = parse_date_text(answered_text, today=today) if answered_text else None
    status = parts.get("status", rest)
    if asked is None and answered_at is None and not (_PENDING.search(status) or _ANSWERED.search(status)):
        return None
    if _PENDING.search(status):
        answered = False
    else:
        answered = answered_at is not None or _ANSWERED.search(status) is not None
    return Message(url=url, title=title, asked_at=asked, answered_at=answered_at, answered=answered)


def _labelled_parts(text: str) -> dict[str, str]:
    """ "留言时间：2026-10-01 回复时间：2026-10-05" → {"asked": "2026-10-01", "answered": "2026-10-05"}."""
    parts: dict[str, str] = {}
    # "已回复 2026-11-22": the status word dates the answer when no 回复时间 label does.
    for label, role in ((_ANSWERED_LABEL, "answered"), (_ASKED_LABEL, "asked"), (_ANSWERED, "answered")):
        for match in label.finditer(text):
            value = _DATE_RUN.match(text[match.end() :].lstrip(" :：]】"))
            if value is not None and role not in parts:
                parts[role] = value.group(0)
    return parts


def parse_message_listing(
    tree_or_html: HtmlElement | str | bytes, base_url: str, *, today: datetime.date
) -> list[Message]:
    """Messages of a consultation list (tables with 留言时间/回复时间/状态 headers, or labelled rows)."""
    tree = parse_html(tree_or_html)
    base = base_href(tree, base_url)
    messages: dict[str, Message] = {}
    for row in _rows(tree, base, today, skip_nav=True):
        parts: dict[str, str] = {}
        rest = row.rest
        if row.element.tag == "tr":
            table = next((a for a in row.element.iterancestors() if a.tag == "table"), None)
            roles = _header_roles(table) if table is not None else {}
            cells = [cell for cell in row.element if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
            for index, role in roles.items():
                if index < len(cells) and row.anchor not in cells[index].iterdescendants():
                    parts[role] = element_text(cells[index])
        if not parts:
            parts = _labelled_parts(rest)
        message = _message(row.url, row.title, parts, rest, today)
        if message is not None and row.url not in messages:
            messages[row.url] = message
    return list(messages.values())
