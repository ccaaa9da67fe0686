"""The content of one world d site: channels, columns, articles, letters and the faults placed in them.

Nothing here knows a URL: the family (scripts/worldd/family.py) gives every object its paths.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scripts.farm.world import months_before, stale_cutoff
from scripts.worldd import text
from scripts.worldd.ids import short_name

if TYPE_CHECKING:
    import random

    from scripts.worldd.ids import Identity

# (name, slug, type, channel, 政府信息公开 column); "{short}" is the place without its suffix.
PORTAL_CATALOG: list[tuple[str, str, str, str, bool]] = [
    ("{short}要闻", "yw", "news", "xwzx", False),
    ("部门动态", "bmdt", "news", "xwzx", False),
    ("乡镇动态", "xzdt", "news", "xwzx", False),
    ("通知公告", "tzgg", "notice", "xwzx", False),
    ("政策文件", "zcwj", "policy", "zwgk", True),
    ("政策解读", "zcjd", "policy", "zwgk", True),
    ("人事信息", "rsxx", "personnel", "zwgk", True),
    ("规划计划", "ghjh", "plan", "zwgk", True),
    ("财政预决算", "czyjs", "other", "zwgk", True),
    ("机构职能", "jgzn", "basic", "zwgk", True),
    ("政府信息公开年报", "ndbg", "other", "zwgk", True),
    ("征集调查", "zjdc", "survey", "hdjl", False),
    ("在线访谈", "zxft", "interview", "hdjl", False),
    ("{head}信箱", "ldxx", "consult", "hdjl", False),
    ("办事指南", "bszn", "service", "zwfw", False),
    ("信访专栏", "xfzl", "exempt", "zwfw", False),
]
DEPT_CATALOG: list[tuple[str, str, str, str, bool]] = [
    ("工作动态", "gzdt", "news", "xwzx", False),
    ("通知公告", "tzgg", "notice", "xwzx", False),
    ("政策文件", "zcwj", "policy", "zwgk", True),
    ("人事信息", "rsxx", "personnel", "zwgk", True),
    ("规划计划", "ghjh", "plan", "zwgk", True),
    ("财政资金", "czzj", "other", "zwgk", True),
    ("机构职能", "jgzn", "basic", "zwgk", True),
    ("办事指南", "bszn", "service", "zwfw", False),
    ("留言咨询", "lyzx", "consult", "hdjl", False),
]
CHANNELS = {"xwzx": "新闻中心", "zwgk": "政务公开", "hdjl": "互动交流", "zwfw": "政务服务"}
_COUNTS = {
    "news": (25, 70),
    "notice": (10, 40),
    "policy": (6, 24),
    "personnel": (4, 14),
    "plan": (3, 9),
    "other": (5, 14),
    "basic": (2, 5),
    "survey": (3, 8),
    "interview": (2, 6),
    "service": (6, 18),
    "exempt": (2, 5),
}
_FRESH = {"news": 5, "notice": 50, "policy": 80, "service": 40}  # newest entry at most this old (days)
_GAPS = {"news": (1, 4), "notice": (3, 18), "policy": (6, 40), "service": (4, 30), "basic": (90, 400)}
ATTACHMENT_EXTS = ["pdf", "doc", "docx", "xlsx"]
# list date styles (scripts/worldd/text.py show_date) per family variant
TABLE_DATE_STYLES = {0: ["cn", "iso"], 1: ["slash", "cn"], 2: ["bracket", "iso"]}
LINK_FAULTS = [
    "http404",
    "http410",
    "http500",
    "http503",
    "dead_attach",
    "dead_img",
    "dns",
    "refused",
    "timeout",
    "dept_dead",
]
SOFT_FAULTS = ["soft_js", "soft_404page", "soft_empty"]
TRAP_FAULTS = ["trap_search", "trap_calendar"]
COLUMN_FAULTS = ["col_stale", "col_onlimit", "col_inside", "empty_zero", "empty_placeholder", "empty_dead"]
FAULTS = LINK_FAULTS + SOFT_FAULTS + TRAP_FAULTS + COLUMN_FAULTS + ["late_letters"]
_FAULT_RATES = {
    **dict.fromkeys(LINK_FAULTS, 0.3),
    **dict.fromkeys(SOFT_FAULTS, 0.2),
    **dict.fromkeys(TRAP_FAULTS, 0.15),
    **dict.fromkeys(COLUMN_FAULTS, 0.15),
    "late_letters": 0.6,
}
# Realities (present at --fault-rate 0 too), each forced onto one up site (xml/docwrite: a nanwei one).
FEATURES = ["split", "group", "xml", "docwrite"]
_FEATURE_RATES = {"split": 0.5, "group": 0.3, "xml": 0.4, "docwrite": 0.4}


def fault_rate_of(name: str) -> float:
    return _FAULT_RATES[name]


def feature_rate_of(name: str) -> float:
    return _FEATURE_RATES[name]


def hexid(value: str) -> str:
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True, eq=False)
class Attachment:
    name: str
    ext: str
    dead: bool = False
    path: str = ""


@dataclass(slots=True, eq=False)
class FaultLink:
    """A link placed by a fault: where it points, what it is."""

    fault: str
    href: str
    text: str
    kind: str  # page | resource | attachment | external
    on_home: bool


@dataclass(slots=True, eq=False)
class Article:
    aid: int
    title: str
    pub: date
    written: date  # 成文日期 (on or before the 发布日期)
    seconds: int
    column: Column
    paragraphs: list[str]
    source: str
    attachments: list[Attachment] = field(default_factory=list)
    parts: int = 1  # pages the article is split over
    image: bool = False
    path: str = ""  # page 1 (server key); pages 2.. are part_paths
    part_paths: list[str] = field(default_factory=list)
    extra: list[FaultLink] = field(default_factory=list)

    @property
    def hex(self) -> str:
        return hexid(f"{self.column.slug}/{self.aid}")

    @property
    def index_no(self) -> str:
        return f"{self.column.cid:03d}-{self.pub:%Y}-{self.aid % 100000:06d}"


@dataclass(slots=True, eq=False)
class Message:
    uid: str
    title: str
    asker: str
    asked: date
    answered: date | None
    status: str  # 已回复 | 办理中 | 未回复
    column: Column
    path: str = ""


@dataclass(slots=True, eq=False)
class Column:
    cid: int
    name: str
    slug: str
    type: str
    channel: str
    gk: bool  # a 政府信息公开 column
    mode: str = "table"  # table | json | xml | docwrite | letters
    date_style: str = "iso"
    per_page: int = 20
    empty_kind: str | None = None  # zero | placeholder | dead
    entries: list[Article] = field(default_factory=list)  # newest first
    messages: list[Message] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # HTML list page keys, set by the family
    data_pages: list[str] = field(default_factory=list)  # JSON API page keys (json mode)
    href: str = ""  # how menus link the column
    shows_reply_date: bool = True

    def page_count(self) -> int:
        count = len(self.messages) if self.type == "consult" else len(self.entries)
        return max(1, -(-count // self.per_page))


@dataclass(slots=True, eq=False)
class SiteModel:
    ident: Identity
    today: date
    rng: random.Random
    columns: list[Column]
    articles: list[Article]
    home_links: list[FaultLink] = field(default_factory=list)
    sisters: list[tuple[str, str]] = field(default_factory=list)  # 友情链接: (name, url) of farm sites
    dept_links: list[tuple[str, str]] = field(default_factory=list)  # 部门子站: (name, url)

    @property
    def short(self) -> str:
        return short_name(self.ident.place)

    def channel_columns(self, channel: str) -> list[Column]:
        return [c for c in self.columns if c.channel == channel]

    @property
    def channels(self) -> list[tuple[str, str]]:
        return [(slug, name) for slug, name in CHANNELS.items() if self.channel_columns(slug)]


def build_columns(ident: Identity, rng: random.Random) -> list[Column]:
    catalog = PORTAL_CATALOG if ident.portal else DEPT_CATALOG
    head = {"city": "市长", "county": "县长"}.get(ident.level, "局长")
    columns: list[Column] = []
    for position, (name, slug, kind, channel, gk) in enumerate(catalog):
        if position > 1 and kind not in ("consult", "basic") and rng.random() < 0.12:
            continue
        if kind == "consult" and not ident.portal and rng.random() < 0.5:
            continue
        column = Column(
            cid=100 + position * 3 + rng.randint(0, 2),
            name=name.format(short=short_name(ident.place), head=head),
            slug=slug,
            type=kind,
            channel=channel,
            gk=gk,
        )
        if kind == "consult":
            column.mode, column.per_page = "letters", 15
            column.shows_reply_date = rng.random() < 0.6
        elif ident.family == "kaipu":
            column.date_style = rng.choice(TABLE_DATE_STYLES[ident.variant])
        elif ident.family == "nanwei":
            column.mode, column.date_style = "json", ["datetime", "iso", "isot"][ident.variant]
            roll = rng.random()
            if roll < 0.12 and "xml" in ident.features:
                column.mode, column.date_style, column.per_page = "xml", "iso", 100
            elif roll < 0.24 and "docwrite" in ident.features:
                column.mode, column.date_style, column.per_page = "docwrite", "cn", 100
        else:  # trsgk
            column.per_page = 15
            column.date_style = "iso" if gk else rng.choice(["bracket", "iso", "cn"])
        columns.append(column)
    if ident.family == "nanwei":  # a forced feature shows for sure on one column
        plain = [c for c in columns if c.mode == "json" and c.type not in ("basic", "exempt")]
        for mode, style in (("xml", "iso"), ("docwrite", "cn")):
            if mode in ident.features and not any(c.mode == mode for c in columns) and plain:
                chosen = rng.choice(plain)
                plain.remove(chosen)
                chosen.mode, chosen.date_style, chosen.per_page = mode, style, 100
    if "group" in ident.features and ident.family == "kaipu":
        tables = [c for c in columns if c.mode == "table" and c.type in ("news", "notice", "policy")]
        for column in rng.sample(tables, min(len(tables), rng.randint(1, 2))):
            column.date_style = "group"
    return columns


def _newest_age(column_type: str, rng: random.Random, today: date, clean: bool) -> int:
    if column_type in _FRESH:
        return rng.randint(0, _FRESH[column_type])
    cutoff = stale_cutoff(column_type, today)
    limit = (today - cutoff).days - 20 if cutoff else 400
    return rng.randint(0, max(1, min(limit, 200 if clean else limit)))


def _fault_newest(fault: str, column_type: str, today: date, rng: random.Random) -> date | None:
    cutoff = stale_cutoff(column_type, today)
    if cutoff is None:
        return None
    if fault == "col_stale":
        return cutoff - timedelta(days=rng.randint(5, 200))
    if fault == "col_onlimit":
        return cutoff
    return cutoff + timedelta(days=1)


def _dates(column: Column, count: int, newest: date, rng: random.Random) -> list[date]:
    if column.slug == "ndbg":  # annual reports: one each January (by the 31st), for the year before
        latest = date(newest.year if newest.month > 1 else newest.year - 1, 1, rng.randint(10, 28))
        while latest > newest:
            latest = latest.replace(year=latest.year - 1)
        return [latest.replace(year=latest.year - n) for n in range(count)]
    low, high = _GAPS.get(column.type, (10, 60))
    days, day = [], newest
    for _ in range(count):
        days.append(day)
        day -= timedelta(days=rng.randint(low, high))
    return days


def _fault_columns(model: SiteModel) -> dict[int, str]:
    """Which column carries each column fault of the site (never the letters, exempt or 年报 column)."""
    chosen: dict[int, str] = {}
    candidates = [c for c in model.columns if c.type not in ("consult", "exempt") and c.slug != "ndbg"]
    for fault in COLUMN_FAULTS:
        if fault in model.ident.faults:
            free = [c for c in candidates if id(c) not in chosen]
            if free:
                chosen[id(model.rng.choice(free))] = fault
    return chosen


def fill_articles(model: SiteModel, fault_rate: float) -> None:
    """Give every column its entries (dates per class, faults, zombie and homestale roles)."""
    rng, ident, today = model.rng, model.ident, model.today
    aid = rng.randint(1000, 9000)
    fault_columns = _fault_columns(model)
    rare = ident.encoding == "gb18030"
    for column in model.columns:
        if column.type == "consult":
            _fill_letters(model, column)
            continue
        low, high = _COUNTS[column.type]
        count = rng.randint(low, high) if column.slug != "ndbg" else rng.randint(3, 6)
        newest = today - timedelta(days=_newest_age(column.type, rng, today, fault_rate == 0))
        if column.slug == "ndbg":
            newest = today  # the latest annual report came out last January
        if fault_rate > 0 and rng.random() < 0.08 * fault_rate and column.type != "exempt":
            newest = today - timedelta(days=400 + rng.randint(0, 300))  # a column nobody updates
        forced = fault_columns.get(id(column))
        if forced in ("col_stale", "col_onlimit", "col_inside"):
            newest = _fault_newest(forced, column.type, today, rng) or newest
        elif forced in ("empty_zero", "empty_placeholder", "empty_dead"):
            column.empty_kind = forced.removeprefix("empty_")
            count = 0
        if ident.role == "zombie":
            newest = min(newest, today - timedelta(days=370 + rng.randint(0, 500)))
        for day in _dates(column, count, newest, rng):
            aid += rng.randint(1, 9)
            title = (
                f"{ident.name}{day.year - 1}年政府信息公开工作年度报告"
                if column.slug == "ndbg"
                else text.title(column.type, rng, ident.place, day)
            )
            paragraphs = text.paragraphs(rng, ident.place, day, rng.randint(2, 6))
            if rare and rng.random() < 0.3:
                paragraphs.append(f"联系人：{rng.choice(text.RARE)}。")
            article = Article(
                aid=aid,
                title=title,
                pub=day,
                written=day - timedelta(days=rng.randint(1, 12)),
                seconds=rng.randint(8 * 3600, 18 * 3600),
                column=column,
                paragraphs=paragraphs,
                source=rng.choice(text.SOURCES),
                image=rng.random() < 0.2,
            )
            if column.type in ("notice", "policy", "other", "service") and rng.random() < 0.3:
                ext = rng.choice(ATTACHMENT_EXTS)
                article.attachments.append(Attachment(name=f"附件：{article.title[:18]}", ext=ext))
            if "split" in ident.features and len(paragraphs) >= 4 and rng.random() < 0.15:
                article.parts = rng.randint(2, 3)
            column.entries.append(article)
            model.articles.append(article)
    if "split" in ident.features and not any(a.parts > 1 for a in model.articles):
        long = [a for a in model.articles if a.column.type == "news"] or model.articles
        if long:
            long[0].parts = 2


def _fill_letters(model: SiteModel, column: Column) -> None:
    rng, today = model.rng, model.today
    late = "late_letters" in model.ident.faults
    newest_age = 400 if model.ident.role == "zombie" else rng.randint(0, 6)
    day = today - timedelta(days=newest_age)
    for _ in range(rng.randint(25, 60)):
        asked = day
        roll = rng.random()
        answered: date | None = asked + timedelta(days=rng.randint(1, 25))
        status = "已回复"
        if late and roll < 0.12:
            answered, status = None, rng.choice(["办理中", "未回复"])
        elif late and roll < 0.22:
            answered = asked + timedelta(days=rng.randint(91, 200))
        if answered is not None and answered > today:
            answered, status = None, "办理中"
        column.messages.append(
            Message(
                uid=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                title=f"关于{rng.choice(text.LETTER_SUBJECTS)}的{'咨询' if roll > 0.5 else '建议'}",
                asker=rng.choice(text.SURNAMES) + "**",
                asked=asked,
                answered=answered,
                status=status,
                column=column,
            )
        )
        day -= timedelta(days=rng.randint(1, 12))
    if late:  # one letter for sure unanswered inside the overdue window, one answered late
        window = [m for m in column.messages if months_before(today, 12) < m.asked <= months_before(today, 3)]
        if len(window) >= 2:
            window[0].answered, window[0].status = None, "未回复"
            old_enough = [m for m in window[1:] if m.asked + timedelta(days=120) <= today]
            if old_enough:
                old_enough[0].answered = old_enough[0].asked + timedelta(days=120)
                old_enough[0].status = "已回复"


def homepage_articles(model: SiteModel, count: int, column: Column) -> list[Article]:
    """What a home page block shows (V-HOME sites: nothing younger than 21 days)."""
    entries = list(column.entries)
    if model.ident.role == "homestale":
        entries = [a for a in entries if a.pub <= model.today - timedelta(days=21)]
    return entries[:count]
