"""World b model: site identities, CMS family, channels, columns, articles, messages and drawn faults."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from scripts.farm.world import DEPARTMENTS, REGIONS, months_before, stale_cutoff

FAMILIES = ("jsp", "gkml", "jcms", "trs", "phpcms")
# (charset in bytes, declared charset, where declared: "both" | "meta" | "header" | "none", BOM)
ENCODINGS = [
    ("utf-8", "utf-8", "both", False),
    ("utf-8", "utf-8", "meta", False),
    ("utf-8", "utf-8", "both", True),
    ("gbk", "gbk", "both", False),
    ("gbk", "gb2312", "meta", False),
    ("gbk", "gbk", "header", False),
    ("gbk", None, "none", False),
    ("gb18030", "gb18030", "both", False),
]
CHANNELS = [("zwgk", "政务公开"), ("xwzx", "新闻中心"), ("hdjl", "互动交流"), ("zwfw", "政务服务")]
# (name variants, slug, type, channel slug, optional)
CATALOG: list[tuple[tuple[str, ...], str, str, str, bool]] = [
    (("政务要闻", "工作动态", "本地要闻"), "zwyw", "news", "xwzx", False),
    (("部门动态", "部门信息"), "bmdt", "news", "xwzx", True),
    (("乡镇动态", "基层动态", "区县动态"), "xzdt", "news", "xwzx", True),
    (("图片新闻",), "tpxw", "news", "xwzx", True),
    (("媒体聚焦", "媒体关注"), "mtjj", "news", "xwzx", True),
    (("通知公告", "公示公告"), "tzgg", "notice", "zwgk", False),
    (("政策文件", "政府文件"), "zcwj", "policy", "zwgk", False),
    (("政策解读",), "zcjd", "policy", "zwgk", True),
    (("人事信息", "人事任免"), "rsxx", "personnel", "zwgk", False),
    (("规划计划", "发展规划"), "ghjh", "plan", "zwgk", True),
    (("机构职能", "机构概况"), "jgzn", "basic", "zwgk", False),
    (("财政预决算", "财政信息"), "czxx", "other", "zwgk", True),
    (("统计信息", "统计数据"), "tjxx", "other", "zwgk", True),
    (("政府信息公开年报",), "gknb", "other", "zwgk", False),
    (("领导信箱", "书记信箱", "咨询投诉"), "ldxx", "consult", "hdjl", False),
    (("意见征集", "征求意见"), "yjzj", "survey", "hdjl", True),
    (("在线访谈",), "zxft", "interview", "hdjl", True),
    (("办事指南", "服务事项"), "bszn", "service", "zwfw", False),
    (("便民服务",), "bmfw", "service", "zwfw", True),
    (("信访工作",), "xfgz", "exempt", "zwfw", True),
]
GAP_DAYS = {"news": (0, 4), "notice": (2, 18), "policy": (4, 40), "consult": (1, 12), "service": (5, 30)}
TOPICS = [
    "乡村振兴",
    "营商环境",
    "安全生产",
    "生态环境保护",
    "民生实事",
    "防汛减灾",
    "科技创新",
    "就业创业",
    "养老服务",
    "食品安全",
    "交通建设",
    "森林防火",
    "招商引资",
    "教育发展",
    "医疗保障",
    "城乡融合",
    "文明城市",
    "数字政府",
]
ACTIONS = ["召开", "部署", "推进", "开展", "印发", "调研", "检查", "启动", "举行", "通报"]
SHOW_MODES = ["fbsj", "ly_rq", "bare", "read", "table", "meta"]
TRAPS = ("calendar", "sortsid", "growing", "tagtree")


@dataclass(slots=True)
class Identity:
    """Who a site is and whether it answers (the server reads ip, down and slow)."""

    index: int
    site_id: str
    name: str
    level: str
    region: str
    department: str
    ip: str
    down: bool
    slow: bool


@dataclass(slots=True)
class Article:
    """One article (or message, attachment-bearing notice, service guide) of a column."""

    ident: int  # numeric id used by the family's URL scheme
    title: str
    published: date
    time: str
    show: str  # date display mode
    written: date | None = None  # 成文日期 (policy, notice), before published
    attachments: list[tuple[str, bool]] = field(default_factory=list)  # (file name, live)
    dead_image: bool = False
    dead_link: tuple[str, int] | None = None  # a related link that fails: (target, status 404/410/500/503)
    gone_link: str | None = None  # a related link to a deleted item (soft 404)
    external: str | None = None  # an external link that does not resolve or refuses
    answered: date | None = None  # messages
    personal: str = ""  # "" | "ids" | "mobiles" | "decoys"
    guide_elements: int = 0  # service guides: how many of the ten labelled elements


@dataclass(slots=True)
class Column:
    """A real list column: entries on one or more list pages (or a JSON/XML/iframe-loaded list)."""

    cid: int
    name: str
    slug: str
    type: str
    channel: str
    loader: str  # "inline" | "json" | "iframe" | "xml" | "island" | "write"
    empty_kind: str  # "" | "zero" | "placeholder" | "dead"
    page_size: int
    articles: list[Article] = field(default_factory=list)


@dataclass(slots=True)
class SiteModel:
    """Everything about one site that rendering and the truth need."""

    ident: Identity
    family: str
    variant: int  # markup variant inside the family (0-2)
    encoding: str
    declared: str | None
    declared_in: str
    bom: bool
    columns: list[Column]
    traps: tuple[str, ...]
    aliases: bool  # jsessionid / reordered-parameter links
    soft404_style: str  # "plain" | "refresh" | "redirect404" | "redirecthome"
    home_faults: list[str]
    missing_marks: tuple[str, ...]
    site_code_shown: str | None
    error_report: bool
    homestale: bool
    webid: int

    def column(self, slug: str) -> Column | None:
        for column in self.columns:
            if column.slug == slug:
                return column
        return None


def _dates(rng: random.Random, newest: date, count: int, kind: str) -> list[date]:
    low, high = GAP_DAYS.get(kind, (10, 60))
    days, current = [], newest
    for _ in range(count):
        days.append(current)
        current -= timedelta(days=rng.randint(low, high))
    return days


def newest_date(rng: random.Random, column_type: str, scenario: str, today: date) -> date:
    """Newest date of a column for a freshness scenario (fresh, stale, limit, inside)."""
    cutoff = stale_cutoff(column_type, today) or months_before(today, 12)
    if scenario == "stale":
        return cutoff - timedelta(days=rng.randint(1, 200))
    if scenario == "limit":
        return cutoff
    if scenario == "inside":
        return cutoff + timedelta(days=1)
    span = (today - cutoff).days - 1
    return today - timedelta(days=rng.randint(0, max(0, min(span, 6 if column_type == "news" else 40))))


def identity(seed: int, index: int, ip: str, down: bool, slow: bool) -> Identity:
    """Name, level, region and id of site `index` (site 0 is the provincial portal)."""
    rng = random.Random(f"worldb/{seed}/id/{index}")
    region_code, city, counties = REGIONS[rng.randrange(len(REGIONS))] if index else REGIONS[0]
    code = region_code
    if index == 0:
        code, name, level, dept, city = "510000", "四川省人民政府", "province", "", "四川省"
    else:
        pick = rng.random()
        county_code, county = counties[rng.randrange(len(counties))]
        dept = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        if pick < 0.2:
            name, level, dept = f"{city}人民政府", "city", ""
        elif pick < 0.5:
            code, name, level, dept = county_code, f"{county}人民政府", "county", ""
        elif pick < 0.8:
            name, level = f"{city}{dept}", "department"
        else:
            code, name, level = county_code, f"{county}{dept}", "department"
    return Identity(index, f"{code}{index + 1:04d}", name, level, city, dept, ip, down, slow)


def _title(rng: random.Random, ident: Identity, column: Column) -> str:
    topic = rng.choice(TOPICS)
    short = ident.name.removesuffix("人民政府")
    if column.type == "notice":
        return f"关于{rng.choice(['做好', '开展', '加强'])}{topic}工作的通知"
    if column.type == "policy":
        return f"{short}关于{rng.choice(['印发', '进一步推进'])}{topic}实施方案的通知"
    if column.type == "personnel":
        return f"{short}{rng.choice(['2026年公开招聘', '人事任免', '干部任前公示'])}{rng.randint(1, 9)}号公告"
    if column.type == "consult":
        return f"关于{topic}的{rng.choice(['咨询', '建议', '投诉'])}"
    if column.type == "service":
        return f"{topic}{rng.choice(['备案', '许可', '登记', '补贴申领'])}办事指南"
    if column.slug == "gknb":
        return f"{short}{rng.randint(2019, 2025)}年政府信息公开工作年度报告"
    return f"{short}{rng.choice(ACTIONS)}{topic}{rng.choice(['工作会议', '专题会', '推进会', '情况'])}"


def build_model(
    world_seed: int,
    ident: Identity,
    *,
    family: str,
    today: date,
    fault_rate: float,
    forced: set[str],
    role: str,
) -> SiteModel:
    """The model of one site: every random draw comes from the site's own stream."""
    rng = random.Random(f"worldb/{world_seed}/site/{ident.index}")
    noise = fault_rate if ident.index else 0.0
    encoding, declared, declared_in, bom = ENCODINGS[rng.randrange(len(ENCODINGS))]
    if "gbk-undeclared" in forced:
        encoding, declared, declared_in, bom = ENCODINGS[6]
    large = family in ("jsp", "gkml") and rng.random() < 0.25
    columns: list[Column] = []
    # Article dates shown one or two ways a site (PubDate meta only on some; none on a few JSP sites).
    modes = rng.sample(SHOW_MODES, 2) + (["none"] if family == "jsp" and rng.random() < 0.3 else [])
    modes = [modes[0], modes[0], *modes[1:]]
    next_id = rng.randint(1000, 60000)
    cid = rng.randint(10, 40)
    for names, slug, column_type, channel, optional in CATALOG:
        if optional and rng.random() < 0.45:
            continue
        cid += rng.randint(1, 7)
        loader = _loader(rng, family)
        if column_type == "consult":
            loader = "inline"
        empty = ""
        if rng.random() < 0.04 * noise and column_type not in ("consult", "service"):
            empty = rng.choice(["zero", "placeholder", "placeholder", "dead"])
        column = Column(
            cid, rng.choice(names), slug, column_type, channel, loader, empty, rng.choice([10, 15, 20])
        )
        columns.append(column)
        if empty:
            continue
        scenario = _scenario(rng, noise, role)
        count = _count(rng, column_type, large)
        newest = newest_date(rng, column_type, scenario, today)
        if role == "zombie":
            newest = min(newest, today - timedelta(days=370 + rng.randint(0, 90)))
        if slug == "gknb":
            newest, count = date(today.year, 1, rng.randint(10, 28)), rng.randint(3, 6)
            if newest > today:
                newest = newest.replace(year=today.year - 1)
        for day in _dates(rng, newest, count, column_type):
            next_id += rng.randint(1, 9)
            column.articles.append(
                _article(
                    rng,
                    ident,
                    column,
                    number=next_id,
                    day=day,
                    today=today,
                    noise=noise,
                    family=family,
                    modes=modes,
                )
            )
        if slug == "gknb":
            for step, article in enumerate(column.articles):
                article.published = date(newest.year - step, newest.month, newest.day)
                article.title = (
                    f"{ident.name.removesuffix('人民政府')}{newest.year - 1 - step}年政府信息公开工作年度报告"
                )
    if "empty" in forced:
        victim = next(c for c in columns if c.type == "other" or c.slug == "gknb")
        victim.empty_kind, victim.articles = "placeholder", []
    traps = tuple(t for t in TRAPS if rng.random() < 0.08 * noise or f"trap:{t}" in forced)
    home_faults = [
        f
        for f, p in (("dead", 0.5), ("external", 0.4), ("refused", 0.2), ("gone", 0.3))
        if rng.random() < p * noise or f"home:{f}" in forced
    ]
    styles = ["plain", "refresh", "redirect404", "redirecthome"]
    soft = next((s for s in styles if f"soft:{s}" in forced), styles[rng.randrange(4)])
    missing, code_shown = _footer(rng, ident, noise, forced)
    return SiteModel(
        ident=ident,
        family=family,
        variant=rng.randrange(3),
        encoding=encoding,
        declared=declared,
        declared_in=declared_in,
        bom=bom,
        columns=columns,
        traps=traps,
        aliases=family in ("jsp", "jcms") and (rng.random() < 0.6 or "aliases" in forced),
        soft404_style=soft,
        home_faults=home_faults,
        missing_marks=missing,
        site_code_shown=code_shown,
        error_report=rng.random() >= 0.1 * noise,
        homestale=role == "homestale",
        webid=rng.randint(1, 90),
    )


def _loader(rng: random.Random, family: str) -> str:
    options = {
        "jsp": ["inline", "inline", "inline"],
        "gkml": ["inline", "json", "iframe"],
        "jcms": ["island", "xml", "xml"],
        "trs": ["inline", "write", "inline"],
        "phpcms": ["inline", "inline", "inline"],
    }[family]
    return options[rng.randrange(3)]


def _scenario(rng: random.Random, noise: float, role: str) -> str:
    if role == "zombie":
        return "stale"
    pick = rng.random()
    if pick < 0.12 * noise:
        return "stale"
    if pick < 0.15 * noise:
        return "limit"
    if pick < 0.18 * noise:
        return "inside"
    return "fresh"


def _count(rng: random.Random, column_type: str, large: bool) -> int:
    low, high = {"news": (8, 32), "notice": (5, 22), "policy": (3, 18), "consult": (4, 15)}.get(
        column_type, (2, 8)
    )
    count = rng.randint(low, high)
    return count * 3 if large and column_type in ("news", "notice", "policy") else count


def _article(
    rng: random.Random,
    ident: Identity,
    column: Column,
    *,
    number: int,
    day: date,
    today: date,
    noise: float,
    family: str,
    modes: list[str],
) -> Article:
    if family == "gkml" and column.channel == "zwgk":
        modes = ["table", "table", "fbsj"]
    article = Article(
        number,
        _title(rng, ident, column),
        day,
        f"{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}",
        rng.choice(modes),
    )
    if column.type in ("policy", "notice"):
        article.written = day - timedelta(days=rng.randint(1, 12))
    if column.type in ("notice", "policy", "plan", "other") and rng.random() < 0.3:
        article.attachments.append(
            (
                f"{day:%Y%m%d}{number % 100000:05d}{rng.choice(['.pdf', '.doc', '.xlsx'])}",
                rng.random() >= 0.2 * noise,
            )
        )
    article.dead_image = rng.random() < 0.03 * noise
    if rng.random() < 0.03 * noise:
        article.dead_link = (f"old{rng.randint(100, 999)}", rng.choice([404, 404, 410, 500, 503]))
    if rng.random() < 0.03 * noise:
        article.gone_link = f"{number + 500000}"
    if rng.random() < 0.015 * noise:
        article.external = rng.choice(["http://www.scgov-old.invalid/index.html", "http://127.0.0.1:1/zwgk/"])
    if column.type == "consult":
        wait = rng.randint(2, 130)
        answered = day + timedelta(days=wait)
        article.answered = answered if answered <= today and rng.random() < 0.75 else None
    if column.type == "service":
        article.guide_elements = rng.randint(6, 10)
    pick = rng.random()
    article.personal = (
        "ids"
        if pick < 0.01 * noise
        else "mobiles"
        if pick < 0.02 * noise
        else "decoys"
        if pick < 0.04 * noise
        else ""
    )
    return article


def _footer(
    rng: random.Random, ident: Identity, noise: float, forced: set[str]
) -> tuple[tuple[str, ...], str | None]:
    """(marks the footer leaves out, 标识码 shown): 12 % miss one mark, 5 % show a neighbour's code."""
    marks = ("site_code", "icp", "police", "sponsor")
    pick = rng.random()
    missing = (marks[rng.randrange(4)],) if pick < 0.12 * noise or "marks" in forced else ()
    code_shown: str | None = ident.site_id
    if "site_code" in missing:
        code_shown = None
    elif pick > 1 - 0.05 * noise:
        code_shown = f"{int(ident.site_id[:6]) + 1}{ident.site_id[6:]}"
    return missing, code_shown
