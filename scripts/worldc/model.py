"""The content of one world c site: channels, columns, articles, letters and the faults placed in them.

Nothing here knows a URL: the family (scripts/worldc/families.py) gives every object its paths.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scripts.farm.world import months_before, stale_cutoff
from scripts.worldc import text
from scripts.worldc.ids import short_name

if TYPE_CHECKING:
    import random

    from scripts.worldc.ids import Identity

# (name, slug, type, channel slug); "{short}" is the place without its 县/市 suffix.
GOV_CATALOG: list[tuple[str, str, str, str]] = [
    ("{short}要闻", "bdyw", "news", "xwzx"),
    ("部门动态", "bmdt", "news", "xwzx"),
    ("乡镇动态", "xzdt", "news", "xwzx"),
    ("通知公告", "tzgg", "notice", "zwgk"),
    ("政策文件", "zcwj", "policy", "zwgk"),
    ("政策解读", "zcjd", "policy", "zwgk"),
    ("人事信息", "rsxx", "personnel", "zwgk"),
    ("规划计划", "ghjh", "plan", "zwgk"),
    ("财政资金", "czzj", "other", "zwgk"),
    ("机构职能", "jgzn", "basic", "zwgk"),
    ("意见征集", "yjzj", "survey", "hdjl"),
    ("在线访谈", "zxft", "interview", "hdjl"),
    ("办事指南", "bszn", "service", "zwfw"),
    ("信访之窗", "xfzc", "exempt", "zwfw"),
]
DEPT_CATALOG: list[tuple[str, str, str, str]] = [
    ("工作动态", "gzdt", "news", "xwzx"),
    ("通知公告", "tzgg", "notice", "zwgk"),
    ("政策文件", "zcwj", "policy", "zwgk"),
    ("人事信息", "rsxx", "personnel", "zwgk"),
    ("规划计划", "ghjh", "plan", "zwgk"),
    ("财政资金", "czzj", "other", "zwgk"),
    ("机构职能", "jgzn", "basic", "zwgk"),
    ("意见征集", "yjzj", "survey", "hdjl"),
    ("办事指南", "bszn", "service", "zwfw"),
]
CHANNELS = {"xwzx": "新闻中心", "zwgk": "政务公开", "hdjl": "互动交流", "zwfw": "政务服务"}
_COUNTS = {
    "news": (22, 60),
    "notice": (10, 36),
    "policy": (6, 22),
    "personnel": (4, 14),
    "plan": (3, 9),
    "other": (5, 14),
    "basic": (2, 5),
    "survey": (3, 8),
    "interview": (2, 6),
    "service": (6, 16),
    "exempt": (2, 5),
}
_FRESH = {"news": 5, "notice": 50, "policy": 80, "service": 40}  # newest entry at most this old (days)
_GAPS = {"news": (1, 4), "notice": (3, 18), "policy": (6, 40), "service": (4, 30), "basic": (90, 400)}
ATTACHMENT_EXTS = ["doc", "pdf", "xls", "rar", "docx"]
DATE_STYLES = ["iso", "bracket", "datetime", "cn", "slash", "group"]
# Fault families (docs/farm.md, world c): each forced onto one up site.
LINK_FAULTS = [
    "http404",
    "http410",
    "http403",
    "http500",
    "http502",
    "http503",
    "chain301",
    "dead_attach",
    "dead_img",
    "dns",
    "refused",
]
SOFT_FAULTS = ["soft_alert_back", "soft_alert_home", "soft_template", "soft_302", "soft_empty"]
TRAP_FAULTS = ["trap_search", "trap_calendar", "trap_loop"]
COLUMN_FAULTS = ["col_stale", "col_onlimit", "col_inside", "empty_zero", "empty_placeholder", "empty_dead"]
FAULTS = LINK_FAULTS + SOFT_FAULTS + TRAP_FAULTS + COLUMN_FAULTS + ["late_letters"]
_FAULT_RATES = {
    **dict.fromkeys(LINK_FAULTS, 0.3),
    **dict.fromkeys(SOFT_FAULTS, 0.2),
    **dict.fromkeys(TRAP_FAULTS, 0.15),
    **dict.fromkeys(COLUMN_FAULTS, 0.15),
    "late_letters": 0.6,
}
# Realities (not faults: present at --fault-rate 0 too), each forced onto one up site.
FEATURES = ["asc", "pinned", "dateless", "group", "print"]
_FEATURE_RATES = {"asc": 0.25, "pinned": 0.35, "dateless": 0.3, "group": 0.25, "print": 0.5}


def fault_rate_of(name: str) -> float:
    return _FAULT_RATES[name]


def feature_rate_of(name: str) -> float:
    return _FEATURE_RATES[name]


@dataclass(slots=True, eq=False)
class Attachment:
    name: str
    ext: str
    dead: bool = False
    path: str = ""  # set by the family
    href: str = ""  # as written in the article


@dataclass(slots=True, eq=False)
class Article:
    aid: int
    title: str
    pub: date
    seconds: int  # time of day shown next to the date
    column: Column
    paragraphs: list[str]
    source: str
    views: int
    attachments: list[Attachment] = field(default_factory=list)
    pinned: bool = False
    path: str = ""  # canonical path (server key), set by the family
    href: str = ""  # how lists and the home page link it
    aliases: list[str] = field(default_factory=list)  # other hrefs linked somewhere that serve it
    extra: list[FaultLink] = field(default_factory=list)  # fault links shown in its body
    related: list[Article] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Message:
    uid: str
    title: str
    asker: str
    asked: date
    answered: date | None
    status: str  # 已办结 | 办理中 | 未回复
    column: Column
    path: str = ""


@dataclass(slots=True, eq=False)
class Column:
    cid: int
    name: str
    slug: str
    type: str
    channel: str
    order: str = "desc"  # "asc": the newest entry is on the last page
    date_style: str = "iso"  # "none": the list shows no dates
    per_page: int = 15
    empty_kind: str | None = None  # zero | placeholder | dead
    entries: list[Article] = field(default_factory=list)  # newest first, pinned ones included
    messages: list[Message] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # list page paths (server keys), set by the family
    href: str = ""  # how menus link the column (page 1, maybe an alias)
    shows_reply_date: bool = True  # letter lists: a 回复时间 column

    @property
    def pinned(self) -> list[Article]:
        return [a for a in self.entries if a.pinned]

    def listed(self) -> list[Article]:
        """Entries in list order, pinned ones first."""
        rest = [a for a in self.entries if not a.pinned]
        if self.order == "asc":
            rest = rest[::-1]
        return self.pinned + rest

    def page_count(self) -> int:
        count = len(self.messages) if self.type == "consult" else len(self.entries)
        return max(1, -(-count // self.per_page))


@dataclass(slots=True, eq=False)
class FaultLink:
    """A link placed by a fault: where it points, what it is, how the server answers it."""

    fault: str
    href: str
    text: str
    kind: str  # page | resource | attachment | external
    on_home: bool


@dataclass(slots=True, eq=False)
class SiteModel:
    ident: Identity
    today: date
    rng: random.Random
    columns: list[Column]
    articles: list[Article]
    features: set[str]
    home_links: list[FaultLink] = field(default_factory=list)
    sisters: list[tuple[str, str]] = field(default_factory=list)  # (name, url) of other farm sites

    @property
    def short(self) -> str:
        return short_name(self.ident.place)

    def channel_columns(self, channel: str) -> list[Column]:
        return [c for c in self.columns if c.channel == channel]

    @property
    def channels(self) -> list[tuple[str, str]]:
        present = []
        for slug, name in CHANNELS.items():
            if self.channel_columns(slug):
                present.append((slug, name))
        return present


def _newest_age(column_type: str, rng: random.Random, today: date, fresh_only: bool) -> int:
    if column_type in _FRESH:
        return rng.randint(0, _FRESH[column_type])
    cutoff = stale_cutoff(column_type, today)
    limit = (today - cutoff).days - 20 if cutoff else 400
    return rng.randint(0, max(1, min(limit, 200 if fresh_only else limit)))


def _column_dates(column: Column, count: int, newest: date, rng: random.Random) -> list[date]:
    low, high = _GAPS.get(column.type, (10, 60))
    days, day = [], newest
    for _ in range(count):
        days.append(day)
        day -= timedelta(days=rng.randint(low, high))
    return days


def _fault_newest(fault: str, column_type: str, today: date, rng: random.Random) -> date | None:
    cutoff = stale_cutoff(column_type, today)
    if cutoff is None:
        return None
    if fault == "col_stale":
        return cutoff - timedelta(days=rng.randint(5, 200))
    if fault == "col_onlimit":
        return cutoff
    return cutoff + timedelta(days=1)


def build_columns(ident: Identity, rng: random.Random, today: date) -> list[Column]:
    catalog = GOV_CATALOG if ident.level in ("city", "county") else DEPT_CATALOG
    columns: list[Column] = []
    short = short_name(ident.place)
    for position, (name, slug, kind, channel) in enumerate(catalog):
        if position > 1 and rng.random() < 0.15:
            continue  # not every site has every column
        per_page = {"dede": 12, "empire": 15, "powereasy": 15, "static": 40, "zhanqun": 15, "hdjl": 15}
        column = Column(
            cid=position + 1 + rng.randint(0, 3) * 20,
            name=name.format(short=short),
            slug=slug,
            type=kind,
            channel=channel,
            per_page=per_page[ident.family],
        )
        column.date_style = rng.choice(DATE_STYLES[:5])
        columns.append(column)
    if ident.family == "hdjl":
        columns.append(
            Column(
                cid=90,
                name=f"{'县长' if ident.level == 'county' else '市长'}信箱",
                slug="xjxd",
                type="consult",
                channel="hdjl",
                per_page=15,
                shows_reply_date=rng.random() < 0.6,
            )
        )
    seen: set[int] = set()
    for column in columns:  # distinct ids
        while column.cid in seen:
            column.cid += 1
        seen.add(column.cid)
    return columns


def fill_articles(model: SiteModel, fault_rate: float) -> None:
    """Give every column its entries (dates per class, faults, zombie and homestale roles)."""
    rng, ident, today = model.rng, model.ident, model.today
    aid = rng.randint(80, 900)
    fault_columns = _fault_columns(model)
    for column in model.columns:
        if column.type == "consult":
            _fill_letters(model, column, fault_rate)
            continue
        low, high = _COUNTS[column.type]
        count = rng.randint(low, high)
        newest = today - timedelta(days=_newest_age(column.type, rng, today, fault_rate == 0))
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
        for day in _column_dates(column, count, newest, rng):
            aid += rng.randint(1, 9)
            article = Article(
                aid=aid,
                title=text.title(column.type, rng, ident.place, day),
                pub=day,
                seconds=rng.randint(8 * 3600, 18 * 3600),
                column=column,
                paragraphs=text.paragraphs(rng, ident.place, day, rng.randint(2, 5)),
                source=rng.choice(text.SOURCES),
                views=rng.randint(12, 4000),
            )
            if column.type in ("notice", "policy", "other", "service") and rng.random() < 0.3:
                ext = rng.choice(ATTACHMENT_EXTS)
                article.attachments.append(Attachment(name=f"附件：{article.title[:18]}", ext=ext))
            column.entries.append(article)
            model.articles.append(article)
    _apply_features(model)


def _fault_columns(model: SiteModel) -> dict[int, str]:
    """Which column carries each column fault of the site (never the letters column)."""
    chosen: dict[int, str] = {}
    candidates = [c for c in model.columns if c.type not in ("consult", "exempt")]
    for fault in COLUMN_FAULTS:
        if fault in model.ident.faults:
            free = [c for c in candidates if id(c) not in chosen]
            if fault in ("col_stale", "col_onlimit", "col_inside"):
                free = [c for c in free if c.type != "news" or fault != "col_stale"] or free
            if free:
                chosen[id(model.rng.choice(free))] = fault
    return chosen


def _apply_features(model: SiteModel) -> None:
    """Oldest-first lists, 置顶 entries, dateless lists, year-grouped dates (each forced once per world)."""
    rng = model.rng
    listed = [c for c in model.columns if c.type != "consult" and len(c.entries) >= 6]
    for column in listed:
        if "asc" in model.features and rng.random() < 0.3:
            column.order = "asc"
        if "dateless" in model.features and rng.random() < 0.25:
            column.date_style = "none"
        if "group" in model.features and rng.random() < 0.3 and column.date_style != "none":
            column.date_style = "group"
        if "pinned" in model.features and rng.random() < 0.3:
            for article in rng.sample(column.entries[len(column.entries) // 2 :], rng.randint(1, 2)):
                article.pinned = True
    if listed:  # a forced feature shows for sure on one column
        forced = rng.choice(listed)
        if "asc" in model.features:
            forced.order = "asc"
        if "pinned" in model.features:
            forced.entries[-2].pinned = True
        if "dateless" in model.features:
            rng.choice(listed).date_style = "none"
        if "group" in model.features:
            target = rng.choice([c for c in listed if c.date_style != "none"] or listed)
            target.date_style = "group"
    if model.ident.family == "static":  # hand-made lists: one long page, often dateless
        for column in model.columns:
            column.per_page = 60


def _fill_letters(model: SiteModel, column: Column, fault_rate: float) -> None:
    rng, today = model.rng, model.today
    late = "late_letters" in model.ident.faults
    count = rng.randint(30, 70)
    newest_age = 400 if model.ident.role == "zombie" else rng.randint(0, 6)
    day = today - timedelta(days=newest_age)
    for _ in range(count):
        asked = day
        roll = rng.random()
        answered: date | None = asked + timedelta(days=rng.randint(1, 20))
        status = "已办结"
        if late and roll < 0.12:
            answered = None
            status = rng.choice(["办理中", "未回复"])
        elif late and roll < 0.22:
            answered = asked + timedelta(days=rng.randint(91, 200))
        if answered is not None and answered > today:
            answered, status = None, "办理中"
        column.messages.append(
            Message(
                uid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                title=f"关于{rng.choice(text.LETTER_SUBJECTS)}的{'咨询' if roll > 0.5 else '反映'}",
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
            # Answered 120 days after it was asked: only a letter old enough, or the reply would lie in
            # the future (a reply date after today is no reply).
            old_enough = [m for m in window[1:] if m.asked + timedelta(days=120) <= today]
            if old_enough:
                old_enough[0].answered = old_enough[0].asked + timedelta(days=120)
                old_enough[0].status = "已办结"
    del fault_rate


def homepage_articles(model: SiteModel, count: int, column: Column) -> list[Article]:
    """What a home page block of this column shows (V-HOME sites: nothing younger than 21 days)."""
    entries = [a for a in column.entries]
    if model.ident.role == "homestale":
        entries = [a for a in entries if a.pub <= model.today - timedelta(days=21)]
    return entries[:count]
