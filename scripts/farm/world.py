"""Deterministic model of the farm's sites: identities, columns, articles, messages and faults."""

from __future__ import annotations

import calendar
import ipaddress
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

REGIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "510100",
        "成都市",
        [("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区")],
    ),
    ("510300", "自贡市", [("510302", "自流井区"), ("510311", "沿滩区"), ("510321", "荣县")]),
    ("510400", "攀枝花市", [("510402", "东区"), ("510421", "米易县")]),
    ("510500", "泸州市", [("510502", "江阳区"), ("510521", "泸县")]),
    ("510600", "德阳市", [("510603", "旌阳区"), ("510681", "广汉市")]),
    ("510700", "绵阳市", [("510703", "涪城区"), ("510704", "游仙区"), ("510722", "三台县")]),
    ("510800", "广元市", [("510802", "利州区"), ("510824", "苍溪县")]),
    ("510900", "遂宁市", [("510903", "船山区"), ("510921", "蓬溪县")]),
    ("511000", "内江市", [("511002", "市中区"), ("511025", "资中县")]),
    ("511100", "乐山市", [("511102", "市中区"), ("511181", "峨眉山市")]),
    ("511300", "南充市", [("511302", "顺庆区"), ("511381", "阆中市")]),
    ("511400", "眉山市", [("511402", "东坡区"), ("511421", "仁寿县")]),
    ("511500", "宜宾市", [("511502", "翠屏区"), ("511503", "南溪区")]),
    ("511600", "广安市", [("511602", "广安区"), ("511681", "华蓥市")]),
    ("511700", "达州市", [("511702", "通川区"), ("511781", "万源市")]),
    ("511800", "雅安市", [("511802", "雨城区"), ("511823", "汉源县")]),
    ("511900", "巴中市", [("511902", "巴州区"), ("511922", "南江县")]),
    ("512000", "资阳市", [("512002", "雁江区"), ("512022", "乐至县")]),
    ("513200", "阿坝藏族羌族自治州", [("513201", "马尔康市"), ("513221", "汶川县")]),
    ("513300", "甘孜藏族自治州", [("513301", "康定市"), ("513322", "泸定县")]),
    ("513400", "凉山彝族自治州", [("513401", "西昌市"), ("513422", "木里藏族自治县")]),
]
DEPARTMENTS = [
    "教育局",
    "财政局",
    "交通运输局",
    "卫生健康委员会",
    "生态环境局",
    "自然资源和规划局",
    "住房和城乡建设局",
    "农业农村局",
    "文化广电旅游局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "民政局",
    "应急管理局",
    "统计局",
    "审计局",
    "水务局",
    "商务局",
    "司法局",
]

_POST_CHANGED: Final = date(2023, 4, 1)
# Identity marks a home-page footer shows (crawler/extract/identity.py MARKS).
FOOTER_MARKS: Final = ("site_code", "icp", "police", "sponsor")

# Staleness limit per column class (docs/checks.md §3); None = never stale.
LIMIT_DAYS = {"news": 14}
LIMIT_MONTHS = {
    "notice": 6,
    "policy": 6,
    "personnel": 12,
    "plan": 12,
    "basic": 12,
    "survey": 12,
    "interview": 12,
    "other": 12,
    "consult": 3,
    "service": 3,
}
COLUMN_TYPES = [
    "news",
    "notice",
    "policy",
    "personnel",
    "plan",
    "basic",
    "consult",
    "survey",
    "interview",
    "service",
    "exempt",
    "other",
]
STYLES = ["trs", "hanweb", "plain"]
# (name, slug, type, parent slug or "")
COLUMN_CATALOG: list[tuple[str, str, str, str]] = [
    ("要闻动态", "ywdt", "news", ""),
    ("部门动态", "bmdt", "news", "ywdt"),
    ("区县动态", "qxdt", "news", "ywdt"),
    ("通知公告", "tzgg", "notice", ""),
    ("政策文件", "zcwj", "policy", ""),
    ("规范性文件", "gfxwj", "policy", "zcwj"),
    ("人事信息", "rsxx", "personnel", ""),
    ("规划计划", "ghjh", "plan", ""),
    ("领导信息", "ldxx", "basic", ""),
    ("机构概况", "jggk", "basic", ""),
    ("领导信箱", "ldxx_xx", "consult", ""),
    ("意见征集", "yjzj", "survey", ""),
    ("在线访谈", "zxft", "interview", ""),
    ("办事服务", "bsfw", "service", ""),
    ("信访工作", "xfgz", "exempt", ""),
    ("纪检举报", "jjjb", "exempt", ""),
    ("文化旅游", "whly", "other", ""),
    ("统计信息", "tjxx", "other", ""),
]
_PARENT_SLUGS = {parent for _, _, _, parent in COLUMN_CATALOG if parent}
OPTIONAL_SLUGS = {"qxdt", "gfxwj", "jggk", "zxft", "jjjb", "tjxx", "whly", "yjzj", "ghjh"}
DATE_FORMATS = ["dash", "slash", "dot", "monthday", "cn", "paren", "td", "lineend"]
SHOW_MODES = ["meta", "label_dash", "label_cn", "riqi", "shijian_slash", "url_only", "none"]
RARE_NAMES = ["王䶮", "李镕", "张堃", "陈喆", "刘玥", "赵䶮"]  # 䶮 is GB18030-only; the rest GBK-only
TOPICS = [
    "乡村振兴",
    "营商环境",
    "安全生产",
    "生态环境保护",
    "民生实事",
    "防汛减灾",
    "政务服务",
    "科技创新",
    "文明城市创建",
    "就业创业",
    "养老服务",
    "食品安全",
    "交通建设",
    "森林防火",
    "招商引资",
    "教育发展",
]


@dataclass(slots=True, frozen=True)
class SiteIdentity:
    """Who a site is: registry row plus the site-level fault flags."""

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
    """One dated item of a column (news item, notice, guide, ...)."""

    path: str
    title: str
    published: date
    time: str
    show: str  # one of SHOW_MODES
    column: Column
    attachments: list[tuple[str, str, bool]] = field(default_factory=list)  # (path, name, live)
    dead_links: list[tuple[str, str]] = field(default_factory=list)  # (url, text)
    dead_image: str | None = None
    personal: str = ""  # "" | "ids" | "mobiles" | "decoys": personal data the page shows (I-PRIVACY)
    content: str = ""  # "" or a content fault (scripts/farm/content.py CONTENT_KINDS; issue 14)

    @property
    def shown_date(self) -> date | None:
        return None if self.show == "none" else self.published


@dataclass(slots=True)
class Message:
    """One consultation letter with its reply state."""

    path: str
    title: str
    asked: date
    answered: date | None
    column: Column


@dataclass(slots=True)
class Column:
    """A 栏目: its list pages and the items it owns."""

    name: str
    slug: str
    type: str
    level: int
    index_path: str
    style: str
    date_format: str
    empty_kind: str  # "" | "zero" | "placeholder" | "dead"
    children: list[Column] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    js_pagination: bool = False

    def list_entries(self) -> list[Article]:
        """Items shown in this column's list: its own plus its sub-columns', newest first."""
        entries = list(self.articles)
        for child in self.children:
            entries.extend(child.articles)
        entries.sort(key=lambda art: (art.published, art.path), reverse=True)
        return entries


@dataclass(slots=True)
class SiteModel:
    """Everything a site serves, generated from (seed, index)."""

    ident: SiteIdentity
    host: str  # ip:port
    style: str
    has_meta: bool
    encoding: str  # codec of the bytes
    declared_charset: str | None  # what the header and meta say
    columns: list[Column]
    robots_disallow: str | None
    home_dead_links: list[tuple[str, str]]
    external_links: list[tuple[str, str]]
    internal_articles: list[Article]
    traps: bool
    # Footer faults (D-ID, D-ERRLINK): identity marks left out, a 标识码 not the registered one, no
    # link to the national error-report entry.
    missing_marks: tuple[str, ...] = ()
    site_code_shown: str | None = None
    error_report: bool = True
    poor_guides: bool = False  # every service guide lacks four of the ten elements
    # Attachments served as real files with personal data: path -> "ids" | "mobiles" | "decoys".
    attachment_personal: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{self.host}"


def months_before(day: date, months: int) -> date:
    """Same day `months` calendar months earlier, clamped to the month's end."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_cutoff(column_type: str, as_of: date) -> date | None:
    """Newest date that already counts as stale for a class; None when the class is never stale."""
    if column_type in LIMIT_DAYS:
        return as_of - timedelta(days=LIMIT_DAYS[column_type])
    if column_type in LIMIT_MONTHS:
        return months_before(as_of, LIMIT_MONTHS[column_type])
    return None


def is_stale(column_type: str, latest: date | None, as_of: date) -> bool:
    """A column is stale when its newest shown date is on or before the cutoff (or it has none)."""
    cutoff = stale_cutoff(column_type, as_of)
    if cutoff is None:
        return False
    return latest is None or latest <= cutoff


def site_ips(base_ip: str, count: int) -> list[str]:
    """`count` consecutive loopback addresses from base_ip, skipping .0 and .255 host parts."""
    address = ipaddress.IPv4Address(base_ip)
    ips: list[str] = []
    while len(ips) < count:
        if not address.is_loopback:
            raise ValueError(f"site address {address} is outside 127.0.0.0/8: choose a lower --base-ip")
        if address.packed[3] not in (0, 255):
            ips.append(str(address))
        address += 1
    return ips


class World:
    """The farm: N sites from one seed, with models built lazily and cached."""

    def __init__(
        self,
        *,
        sites: int,
        seed: int,
        today: date,
        port: int = 8800,
        base_ip: str = "127.0.1.1",
        fault_rate: float = 1.0,
    ) -> None:
        self.site_count = sites
        self.seed = seed
        self.today = today
        self.port = port
        self.base_ip = base_ip
        self.fault_rate = fault_rate
        self.ips = site_ips(base_ip, sites)
        self.index_of_ip = {ip: i for i, ip in enumerate(self.ips)}
        world_rng = random.Random(f"farm/{seed}/world")
        special = world_rng.sample(range(1, sites), min(4, sites - 1)) if fault_rate > 0 and sites > 1 else []
        self._special = {
            role: idx for role, idx in zip(("down", "slow", "zombie", "homestale"), special, strict=False)
        }
        self.identities = [self._identity(i, world_rng) for i in range(sites)]
        up = [i for i in range(1, sites) if not self.identities[i].down]
        # The first three sites that are up (portal aside) show each newer fault family for sure, so that
        # a small farm has every case: see `showcase`.
        self._showcase = up[:3] if fault_rate > 0 else []
        # One site whose service guides all lack four elements (V-SERVICE when it has five or more).
        self.poor_guides_site = up[3] if fault_rate > 0 and len(up) > 3 else None
        # Every site stays cached: a crawler visits all sites round-robin, so a smaller cache would
        # rebuild a model on nearly every request of a large farm.
        self.model = lru_cache(maxsize=max(512, sites))(self._build_model)

    def role_of(self, index: int) -> str:
        for role, idx in self._special.items():
            if idx == index:
                return role
        return ""

    def _identity(self, index: int, world_rng: random.Random) -> SiteIdentity:
        rng = random.Random(f"farm/{self.seed}/id/{index}")
        slot = index - 1
        code, city, counties = REGIONS[(slot // 4) % len(REGIONS)] if index else REGIONS[0]
        if index == 0:
            code, name, level, dept = "510000", "四川省人民政府", "province", ""
        elif slot % 4 == 0 and slot < 4 * len(REGIONS):
            name, level, dept = f"{city}人民政府", "city", ""
        else:
            pick = rng.random()
            county_code, county = counties[rng.randrange(len(counties))]
            dept = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
            if pick < 0.35:
                code, name, level, dept = county_code, f"{county}人民政府", "county", ""
            elif pick < 0.7:
                name, level = f"{city}{dept}", "department"
            else:
                code, name, level = county_code, f"{county}{dept}", "department"
        role = self.role_of(index)
        noise = self.fault_rate * 0.03
        down = role == "down" or (index > 0 and world_rng.random() < noise)
        slow = role == "slow" or (index > 0 and not down and world_rng.random() < noise)
        site_id = f"{code}{index + 1:04d}"
        return SiteIdentity(index, site_id, name, level, city, dept, self.ips[index], down, slow)

    def host(self, index: int) -> str:
        return f"{self.ips[index]}:{self.port}"

    def showcase(self, index: int) -> int | None:
        """0, 1 or 2 for the three sites that show one forced case of each newer fault family, else None."""
        return self._showcase.index(index) if index in self._showcase else None

    def personal_data(self, index: int, articles: int) -> list[str]:
        """What personal data each of a site's articles shows: 1 % a list of resident ID numbers, 1 % a
        list of mobile numbers, 3 % look-alikes only (masked IDs, bad check digits, one hotline).

        The first three sites that are up (portal aside) show one kind each on their first article.
        """
        rng = random.Random(f"farm/{self.seed}/personal/{index}")
        noise = self.fault_rate if index > 0 else 0.0
        kinds = []
        for _ in range(articles):
            pick = rng.random()
            kinds.append("ids" if pick < 0.01 * noise else "mobiles" if pick < 0.02 * noise
                         else "decoys" if pick < 0.05 * noise else "")
        slot = self.showcase(index)
        if articles and slot is not None:
            kinds[0] = ("ids", "mobiles", "decoys")[slot]
        return kinds

    def content_faults(self, index: int, articles: int) -> list[str]:
        """The content fault of each of a site's articles (scripts/farm/content.py): about 1 % a wrong
        word, 0.5 % a wrong law name or leader post, 0.3 % each a wrong national name, a banned term,
        injected gambling text or dark links, 2 % decoys that must raise nothing. The three showcase sites
        show three kinds each on their articles 1-3. Their own random stream: no other page changed."""
        rng = random.Random(f"farm/{self.seed}/content/{index}")
        noise = self.fault_rate if index > 0 else 0.0
        thresholds = (("typo", 0.01), ("name", 0.015), ("post", 0.02), ("national", 0.023),
                      ("banned", 0.026), ("injected", 0.029), ("dark", 0.032), ("decoy", 0.052))
        kinds = []
        for _ in range(articles):
            pick = rng.random()
            kinds.append(next((kind for kind, below in thresholds if pick < below * noise), ""))
        slot = self.showcase(index)
        if slot is not None:
            forced = (("typo", "post", "dark"), ("national", "injected", "decoy"),
                      ("name", "banned", "decoy"))[slot]
            for position, kind in enumerate(forced, 1):
                if position < articles:
                    kinds[position] = kind
        return kinds

    def attachment_faults(self, index: int, paths: list[str]) -> dict[str, str]:
        """Which of a site's live PDF/DOCX/XLSX attachments list personal data: 3 % resident ID numbers,
        3 % mobile numbers, 4 % look-alikes only; a showcase site's first one shows one kind."""
        rng = random.Random(f"farm/{self.seed}/attachments/{index}")
        noise = self.fault_rate if index > 0 else 0.0
        found = {}
        for path in paths:
            pick = rng.random()
            kind = "ids" if pick < 0.03 * noise else "mobiles" if pick < 0.06 * noise else \
                "decoys" if pick < 0.1 * noise else ""
            if kind:
                found[path] = kind
        slot = self.showcase(index)
        if paths and slot is not None:
            found[paths[0]] = ("ids", "mobiles", "decoys")[slot]
        return found

    def footer_faults(self, index: int) -> tuple[tuple[str, ...], str | None, bool]:
        """(identity marks missing, 标识码 shown, links the error-report entry) of a site's footer.

        The first three sites that are up (the portal aside) get one fault each (a missing mark,
        a neighbouring region's code, no error-report link), so that a small farm shows all three;
        the others draw them at random. Their own random stream: adding them changed no other page.
        """
        rng = random.Random(f"farm/{self.seed}/footer/{index}")
        code = self.identities[index].site_id
        pick, mark, link = rng.random(), FOOTER_MARKS[rng.randrange(len(FOOTER_MARKS))], rng.random()
        noise = self.fault_rate if index > 0 else 0.0  # the provincial portal stays clean
        forced = self.showcase(index)
        if forced == 0:  # a missing mark
            pick, link = 0.0, 1.0
        elif forced == 1:  # a wrong code
            pick, link = 0.16 * noise, 1.0
        elif forced == 2:  # no error-report link
            pick, link = 1.0, 0.0
        reports_errors = link >= 0.1 * noise
        if pick < 0.15 * noise:
            return (mark,), None if mark == "site_code" else code, reports_errors
        if pick < 0.2 * noise:
            return (), f"{int(code[:6]) + 1}{code[6:]}", reports_errors
        return (), code, reports_errors

    def _build_model(self, index: int) -> SiteModel:
        return _SiteBuilder(self, index).build()


class _SiteBuilder:
    """Builds one SiteModel; all randomness comes from the site's own stream."""

    def __init__(self, world: World, index: int) -> None:
        self.world = world
        self.ident = world.identities[index]
        self.rng = random.Random(f"farm/{world.seed}/site/{index}")
        self.today = world.today
        self.faults = world.fault_rate
        self.style = STYLES[self.rng.randrange(3)]
        self.next_id = 1000 + self.rng.randrange(9000)
        role = world.role_of(index)
        self.max_date = self.today
        self.encoding = "utf-8"
        if role == "homestale":
            self.max_date = self.today - timedelta(days=15 + self.rng.randrange(20))
        elif role == "zombie":
            self.max_date = self.today - timedelta(days=120 + self.rng.randrange(200))

    def _fault(self, probability: float) -> bool:
        return self.rng.random() < probability * self.faults

    def build(self) -> SiteModel:
        rng = self.rng
        enc_pick = rng.random()
        if enc_pick < 0.55:
            encoding, declared = "utf-8", "utf-8"
        elif enc_pick < 0.7:
            encoding, declared = "gbk", "gbk"
        elif enc_pick < 0.8:
            encoding, declared = "gb18030", "gb2312"
        elif enc_pick < 0.9:
            encoding, declared = "gbk", None
        else:
            encoding, declared = "gb18030", "gb18030"
        self.encoding = encoding
        columns = self._columns()
        ident = self.ident
        host = self.world.host(ident.index)
        home_dead, article_dead = self._dead_links(host)
        articles = [art for col in columns for art in col.articles]
        self._login_walled_forms(columns)
        personal = self.world.personal_data(ident.index, len(articles))
        for article, kind in zip(articles, personal, strict=True):
            article.personal = kind
        content = self.world.content_faults(ident.index, len(articles))
        for article, kind in zip(articles, content, strict=True):
            # a wrong post needs an article from after the post changed hands (2023-03-11)
            article.content = "typo" if kind == "post" and article.published < _POST_CHANGED else kind
        for position, link in enumerate(article_dead):
            if articles:
                articles[(position * 7) % len(articles)].dead_links.append(link)
        if articles and self.faults > 0:
            articles[len(articles) // 2].dead_image = f"/images/missing_{self.next_id}.jpg"
        internal: list[Article] = []
        robots = None
        if self._fault(0.5):
            robots = "/internal/"
            holder = Column("内部资料", "internal", "other", 2, "/internal/index.html", "plain", "dash", "")
            for n in range(3):
                day = self.today - timedelta(days=3 + n * 11)
                internal.append(
                    Article(
                        f"/internal/t{day:%Y%m%d}_{n + 1}.html",
                        f"{ident.name}内部工作简报第{n + 1}期",
                        day,
                        "10:00",
                        "label_dash",
                        holder,
                    )
                )
        externals = []
        for other in self.rng.sample(range(self.world.site_count), min(3, self.world.site_count)):
            if other != ident.index:
                externals.append((f"http://{self.world.host(other)}/", self.world.identities[other].name))
        has_meta = rng.random() < 0.8
        self._stats_column(columns)
        model = SiteModel(
            ident,
            host,
            self.style,
            has_meta,
            encoding,
            declared,
            columns,
            robots,
            home_dead,
            externals,
            internal,
            self.faults > 0,
            *self.world.footer_faults(ident.index),
            ident.index == self.world.poor_guides_site,
        )
        scanned = [path for article in articles for path, _, live in article.attachments
                   if live and path.rsplit(".", 1)[-1] in ("pdf", "docx", "xlsx")]
        model.attachment_personal = self.world.attachment_faults(ident.index, scanned)
        return model

    def _stats_column(self, columns: list[Column]) -> None:
        """A 办件统计 sub-column of 办事服务 on 60 % of sites: monthly reports, the newest 3-8 months old
        on 30 % of them (D-SVC-STATS). The second site that is up gets a stale one, the third a fresh
        one. Drawn last and from a stream of its own: every other page stayed as it was.
        """
        index = self.ident.index
        rng = random.Random(f"farm/{self.world.seed}/stats/{index}")
        parent = next((column for column in columns if column.slug == "bsfw" and not column.empty_kind), None)
        forced = self.world.showcase(index)
        shown, stale = rng.random() < 0.6, rng.random() < 0.3 * self.faults
        if forced in (1, 2):
            shown, stale = True, forced == 1
        if parent is None or not shown:
            return
        site_rng, self.rng = self.rng, rng  # paths draw ids from self.rng
        try:
            base = {"trs": "/col/bjtj/index.html", "hanweb": f"/col/col{self._new_id()}/index.html"}
            column = Column("办件统计", "bjtj", "service", 2, base.get(self.style, "/bjtj/list.html"),
                            self.style, "dash", "", js_pagination=parent.js_pagination)
            day = self.today - timedelta(days=95 + rng.randrange(150) if stale else rng.randrange(30))
            for _ in range(4 + rng.randrange(5)):
                show = SHOW_MODES[1 + rng.randrange(4)]  # a label the date is read from
                title = f"{day.year}年{day.month}月政务服务办件统计"
                column.articles.append(Article(self._article_path(column, day, show), title, day, "09:00",
                                               show, column))
                day = months_before(day, 1)
        finally:
            self.rng = site_rng
        parent.children.append(column)
        columns.insert(columns.index(parent) + 1, column)

    def _login_walled_forms(self, columns: list[Column]) -> None:
        """Put a quarter of the service guides' live forms behind a login page (/download/, D-ATTACH).

        A stream of their own, so that no other page changed; the first site that is up gets one.
        """
        rng = random.Random(f"farm/{self.world.seed}/forms/{self.ident.index}")
        forced = self.world.showcase(self.ident.index) == 0
        for column in columns:
            if column.type != "service":
                continue
            for article in column.articles:
                for position, (path, name, live) in enumerate(article.attachments):
                    if live and (forced or rng.random() < 0.25 * self.faults):
                        article.attachments[position] = (path.replace("/uploads/", "/download/"), name, False)
                        forced = False

    def _dead_links(self, host: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        if self.faults <= 0:
            return [], []
        token = f"{self.next_id}"
        everywhere = [
            (f"/notfound/{token}.html", "原文链接"),
            (f"/gone/{token}.html", "专题回顾"),
            (f"/err500/{token}.html", "数据开放"),
            (f"/err503/{token}.html", "网上调查"),
            (f"/soft404/{token}.html", "历史文件"),
            (f"/soft302/{token}.html", "政策解读"),
            (f"http://dead-{self.ident.site_id}.invalid/", "友情链接（已失效）"),
            ("http://127.0.0.1:1/", "旧版网站"),
            (f"/slow/{token}.html", "在线办事大厅"),
            (f"/loop/a{token}.html", "互动平台"),
            (f"/chain/25/{token}.html", "数据查询"),
            (f"https://{host}/secure/{token}.html", "安全登录"),
        ]
        home = [link for i, link in enumerate(everywhere) if i % 2 == 0]
        other = [link for i, link in enumerate(everywhere) if i % 2 == 1] + [
            (f"/notfound/a{token}.html", "附件说明")
        ]
        return home, other

    def _columns(self) -> list[Column]:
        rng = self.rng
        by_slug: dict[str, Column] = {}
        columns: list[Column] = []
        js_pages = rng.random() < 0.5
        for name, slug, ctype, parent in COLUMN_CATALOG:
            if slug in OPTIONAL_SLUGS and rng.random() < 0.3:
                continue
            if parent and parent not in by_slug:
                continue
            level = 2 if parent else 1
            if self.style == "trs":
                path = f"/col/{slug}/index.html"
            elif self.style == "hanweb":
                path = f"/col/col{self._new_id()}/index.html"
            else:
                path = f"/{slug}/list.html"
            empty = ""
            if ctype != "consult" and slug not in _PARENT_SLUGS and self._fault(0.12):
                empty = ["zero", "placeholder", "dead"][rng.randrange(3)]
            fmt = DATE_FORMATS[rng.randrange(len(DATE_FORMATS))]
            column = Column(name, slug, ctype, level, path, self.style, fmt, empty, js_pagination=js_pages)
            by_slug[slug] = column
            columns.append(column)
            if parent:
                by_slug[parent].children.append(column)
            if not empty:
                self._fill(column)
        return columns

    def _new_id(self) -> int:
        self.next_id += 1 + self.rng.randrange(5)
        return self.next_id

    def _newest_date(self, column: Column) -> date:
        rng = self.rng
        cutoff = stale_cutoff(column.type, self.today)
        state = rng.random()
        if cutoff is None:
            newest = self.today - timedelta(days=rng.randrange(400))
        elif state < 0.12 * self.faults:
            newest = cutoff - timedelta(days=1 + rng.randrange(300))  # stale
        elif state < 0.18 * self.faults:
            newest = cutoff  # stale, exactly on the limit
        elif state < 0.26 * self.faults:
            newest = cutoff + timedelta(days=1)  # fresh, just inside the limit
        else:
            span = max(1, (self.today - cutoff).days // 2)
            newest = self.today - timedelta(
                days=rng.randrange(min(span, 6) if column.type == "news" else span)
            )
        return min(newest, self.max_date)

    def _fill(self, column: Column) -> None:
        rng = self.rng
        newest = self._newest_date(column)
        count = 3 + rng.randrange(4 if column.level == 2 else 9)
        if column.type == "news" and column.level == 1:
            count += 12
        gap_days = {"news": 3, "notice": 25, "policy": 30}.get(column.type, 45)
        day = newest
        if column.type == "consult":
            self._fill_messages(column, newest, count + 6)
            return
        if column.date_format == "monthday" and (self.today - newest).days + count * gap_days > 300:
            column.date_format = "dash"  # a year-less date is only printed for recent lists
        for n in range(count):
            title = self._title(column, n)
            show = SHOW_MODES[rng.randrange(len(SHOW_MODES))] if n else SHOW_MODES[rng.randrange(5)]
            path = self._article_path(column, day, show)
            article = Article(
                path, title, day, f"{8 + rng.randrange(10):02d}:{rng.randrange(60):02d}", show, column
            )
            if column.type == "service" or rng.random() < 0.15:
                for k in range(1 + rng.randrange(2)):
                    ext = [".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".zip", ".rar"][rng.randrange(8)]
                    live = not (k == 1 and self._fault(0.5))
                    article.attachments.append(
                        (f"/uploads/{self._new_id()}{ext}", f"{title[:8]}附件{k + 1}{ext}", live)
                    )
            column.articles.append(article)
            day -= timedelta(days=rng.randrange(gap_days + 1))

    def _fill_messages(self, column: Column, newest: date, count: int) -> None:
        rng = self.rng
        day = newest
        for n in range(count):
            pick = rng.random()
            if pick < 0.15 * self.faults:
                answered = None
            elif pick < 0.25 * self.faults:
                answered = day + timedelta(days=91 + rng.randrange(40))
            else:
                answered = day + timedelta(days=1 + rng.randrange(20))
            if answered is not None and answered > self.today:
                answered = None if answered - day > timedelta(days=90) else self.today
            topic = TOPICS[rng.randrange(len(TOPICS))]
            mid = self._new_id()
            column.messages.append(
                Message(
                    f"/hdjl/{column.slug}/msg_{mid}.html",
                    f"关于{topic}的咨询（{n + 1}）",
                    day,
                    answered,
                    column,
                )
            )
            day -= timedelta(days=3 + rng.randrange(25))

    def _title(self, column: Column, n: int) -> str:
        rng = self.rng
        topic = TOPICS[rng.randrange(len(TOPICS))]
        place = self.ident.name.removesuffix("人民政府")
        names = [name for name in RARE_NAMES if self.encoding != "gbk" or "䶮" not in name]
        person = names[rng.randrange(len(names))] if rng.random() < 0.15 else "王明"
        templates = {
            "news": [
                f"{place}召开{topic}工作推进会",
                f"{person}调研{topic}工作",
                f"{place}{topic}工作取得新进展",
            ],
            "notice": [f"关于做好{topic}工作的通知", f"关于{topic}项目的公示", f"{place}{topic}专项检查公告"],
            "policy": [f"关于印发《{place}{topic}实施方案》的通知", f"{place}关于加快{topic}的若干措施"],
            "personnel": [f"关于{person}等同志职务任免的通知", f"{place}公开招聘{topic}工作人员公告"],
            "plan": [f"{place}{topic}“十四五”规划", f"{place}2026年{topic}工作计划"],
            "basic": [f"{place}领导分工调整情况", f"{place}机构职能介绍（{topic}）"],
            "service": [f"{topic}事项办事指南", f"{topic}相关业务办理指南"],
        }.get(column.type, [f"{place}{topic}情况通报", f"{topic}相关信息公开"])
        return (
            f"{templates[rng.randrange(len(templates))]}（{n + 1}）"
            if n % 3 == 2
            else templates[rng.randrange(len(templates))]
        )

    def _article_path(self, column: Column, day: date, show: str) -> str:
        aid = self._new_id()
        base = column.index_path.rsplit("/", 1)[0]
        if show == "none":
            return f"{base}/content_{aid}.html" if self.style != "hanweb" else f"/art/art_{aid}.html"
        if self.style == "trs":
            return f"{base}/{day:%Y%m}/t{day:%Y%m%d}_{aid}.html"
        if self.style == "hanweb":
            return f"/art/{day.year}/{day.month}/{day.day}/art_{aid % 97}_{aid}.html"
        return f"{base}/{day:%Y/%m/%d}/art_{aid}.html" if aid % 2 else f"{base}/t{day:%Y%m%d}_{aid}.html"
