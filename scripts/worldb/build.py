"""World b pages: every 200 page of a site rendered once, with the links it carries (the truth's graph)."""

# ruff: noqa: E501 - HTML templates read better on one line

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

from scripts.farm.render import GUIDE_ELEMENTS, PEOPLE, _id_number
from scripts.worldb.model import CHANNELS, Article

if TYPE_CHECKING:
    from scripts.worldb.model import Column, SiteModel

WEEKDAYS = "一二三四五六日"
CN_DIGITS = "〇一二三四五六七八九"
TAGS = 160  # tag-cloud trap: distinct tag pages, each with 50 filter variants
CALENDAR = "/hdjl/calendar.jsp"
SOFT404_TEXTS = [
    "页面不存在",
    "信息已删除",
    "该信息不存在或已过期",
    "您访问的页面不存在或已被删除",
    "对不起，该栏目暂无信息，或信息已撤稿",
    "抱歉，您要查看的信息已被删除或撤稿",
]
LIST_DATES = ["dash", "bracket", "slash", "cn", "box", "td"]


@dataclass(slots=True, frozen=True)
class Link:
    """A link as written in a page: href (relative or not) and what it points at."""

    href: str
    kind: str  # page | resource | attachment | external


@dataclass(slots=True)
class Page:
    """One 200 page of a site."""

    target: str  # canonical path?query
    kind: str  # home | column | channel | article | attachment | other
    title: str
    pub_date: date | None
    column: str | None  # target of the column's first list page
    body: str | bytes
    content_type: str  # "html", "json", "xml" or a MIME type (attachments)
    links: list[Link] = field(default_factory=list)
    data: bool = False  # a JSON/XML list endpoint or an iframe-loaded list
    guide: int = 0  # service guide: elements labelled
    personal: tuple[int, int] = (0, 0)  # (valid ID numbers, distinct mobiles) shown


class Doc:
    """Collects the links of the page being rendered."""

    def __init__(self) -> None:
        self.links: list[Link] = []

    def ref(self, href: str, kind: str = "page") -> str:
        self.links.append(Link(href, kind))
        return escape(href)


@dataclass(slots=True)
class SiteTable:
    """Everything the answer function needs for one site."""

    model: SiteModel
    host: str
    pages: dict[str, Page]
    sorted_pages: dict[str, Page]  # path?sorted query -> page (servers ignore parameter order)
    dead: dict[str, int]  # target -> HTTP status
    gone: set[str]  # targets of deleted items (soft 404 in the site template, or a redirect)
    sort_list: str | None  # list page whose sort links make the sort/session trap
    column_targets: dict[int, list[str]]  # cid -> list page targets (first = the column's URL)


# ----------------------------------------------------------------------------------------- URL schemes
def column_url(model: SiteModel, column: Column, number: int = 1) -> str:
    """Target of list page `number` of a column (first page = the column's URL)."""
    family, variant, cid = model.family, model.variant, column.cid
    if family == "jsp":
        base = {0: f"/list.jsp?cid={cid}", 1: f"/list.aspx?ClassID={cid}", 2: f"/web/list.jsp?cid={cid}"}[
            variant
        ]
        return base if number == 1 else f"{base}&page={number}"
    if family == "gkml":
        folder = f"/xxgk/{column.slug}/" if column.channel == "zwgk" else f"/{column.channel}/{column.slug}/"
        return folder + ("index.html" if number == 1 else f"index_{number}.html")
    if family == "jcms":
        base = f"/col/col{cid}/index.html"
        return base if number == 1 else f"{base}?uid={cid * 7 + 3}&pageNum={number}"
    if family == "trs":
        ext = _trs_ext(model)
        return f"/{column.channel}/{column.slug}/" + ("index" if number == 1 else f"index_{number - 1}") + ext
    return f"/list-{cid}-{number}.html"


def _trs_ext(model: SiteModel) -> str:
    return ".html" if model.variant == 2 else ".shtml"


def channel_url(model: SiteModel, slot: int) -> str:
    slug = CHANNELS[slot][0]
    return {
        "jsp": [
            f"/channel.jsp?chid={slot + 1}",
            f"/channel.aspx?ChannelID={slot + 1}",
            f"/web/channel.jsp?chid={slot + 1}",
        ][model.variant],
        "gkml": f"/{slug}/index.html",
        "jcms": f"/col/col{9000 + model.webid * 10 + slot}/index.html",
        "trs": f"/{slug}/index{_trs_ext(model)}",
        "phpcms": f"/list-{slot + 1}-1.html",
    }[model.family]


def article_url(model: SiteModel, column: Column, article: Article) -> str:
    family, day, number = model.family, article.published, article.ident
    if family == "jsp":
        return [
            f"/content.jsp?id={number}",
            f"/show.aspx?id={number}",
            f"/web/detail.jsp?infoid={number}" if number % 3 else f"/web/getInfo.jsp?id={number}",
        ][model.variant]
    if family == "gkml":
        folder = "xxgk" if column.channel == "zwgk" else column.channel
        return f"/{folder}/{column.slug}/{day:%Y%m}/{number}.html"
    if family == "jcms":
        return f"/art/{day.year}/{day.month}/{day.day}/art_{column.cid}_{number}.html"
    if family == "trs":
        return f"/{column.channel}/{column.slug}/{day:%Y%m}/t{day:%Y%m%d}_{number + 4000000}{_trs_ext(model)}"
    return f"/show-{column.cid}-{number}-1.html"


def gone_url(model: SiteModel, column: Column, number: str) -> str:
    """Link to a deleted item, in the site's article URL scheme."""
    day = column.articles[0].published if column.articles else date(2025, 3, 1)
    return article_url(model, column, Article(int(number), "", day, "", "none"))


def _href(model: SiteModel, from_target: str, target: str) -> str:
    """How the site writes a link to `target` on a page at `from_target` (relative on some families)."""
    folder = from_target.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    if model.family == "jsp" and model.variant == 2 and folder == "/web/" and target.startswith("/web/"):
        return target.removeprefix("/web/")
    if model.family == "jsp" and model.variant == 0 and target.count("/") == 1 and from_target != "/":
        return target.removeprefix("/") if folder == "/" else target
    if model.family == "trs":
        folder = from_target.rsplit("/", 1)[0] + "/"
        if target.startswith(folder) and folder != "/":
            return "./" + target.removeprefix(folder)
        parent = folder.rstrip("/").rsplit("/", 1)[0] + "/"
        if parent != "/" and target.startswith(parent) and target.count("/") == parent.count("/"):
            return "../" + target.removeprefix(parent)
    return target


# ------------------------------------------------------------------------------------------ date shows
def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cn_numeral_date(day: date) -> str:
    year = "".join(CN_DIGITS[int(d)] for d in str(day.year))
    tens = ["", "十", "二十", "三十"]

    def small(n: int) -> str:
        return (tens[n // 10] + (CN_DIGITS[n % 10] if n % 10 else "")) if n >= 10 else CN_DIGITS[n]

    return f"{year}年{small(day.month)}月{small(day.day)}日"


def list_date(style: str, day: date) -> str:
    return {
        "dash": f'<span class="date">{day:%Y-%m-%d}</span>',
        "bracket": f"<span>[{day:%Y-%m-%d}]</span>",
        "slash": f'<span class="time">{day:%Y/%m/%d}</span>',
        "cn": f"<em>{cn_date(day)}</em>",
        "box": f'<div class="datebox"><span class="day">{day.day:02d}</span><span class="ym">{day:%Y-%m}</span></div>',
        "td": f"<td>{day:%Y-%m-%d}</td>",
    }[style]


# -------------------------------------------------------------------------------------------- template
@dataclass(slots=True)
class Skin:
    """Per-site markup variation."""

    header: str
    nav: str
    main: str
    list_date: str
    footer: str
    heading: str  # opening tag of an article's title
    body_box: str  # attributes of the article text container
    list_box: str  # attributes of a list's <ul>


@lru_cache(maxsize=4096)
def _skin(key: str) -> Skin:
    rng = random.Random(key)
    return Skin(
        rng.choice(["header", "top", "head_box", "g-header"]),
        rng.choice(["nav", "menu", "mainNav"]),
        rng.choice(["main", "container", "wrap", "content_box"]),
        rng.choice(LIST_DATES[:5]),
        rng.choice(["footer", "foot", "bottom"]),
        rng.choice(
            ['<h1 class="title">', '<h2 class="article-title">', '<div class="bt">', '<h1 id="ivs_title">']
        ),
        rng.choice(
            ['class="TRS_Editor"', 'id="zoom"', 'class="Custom_UnionStyle"', 'class="article-content"']
        ),
        rng.choice(['class="list"', 'class="news_list"', 'class="lb_list"', 'id="list"']),
    )


def skin(model: SiteModel) -> Skin:
    """The site's markup variation (drawn from its id and its own random web id)."""
    return _skin(f"skin/{model.ident.site_id}/{model.webid}/{model.variant}")


def head_meta(model: SiteModel) -> str:
    if model.declared_in not in ("both", "meta") or model.declared is None:
        return ""
    if model.declared == "utf-8" and model.variant != 1:
        return '<meta charset="utf-8">'
    return f'<meta http-equiv="Content-Type" content="text/html; charset={model.declared}">'


def chrome(
    model: SiteModel, doc: Doc, today: date, title: str, main: str, *, here: str = "/", extra_head: str = ""
) -> str:
    """A full page in the site's template: header, menu with every channel and column, footer."""
    ident, sk = model.ident, skin(model)
    resources = ["/css/style.css", "/js/jquery.min.js", "/js/common.js"]
    css = f'<link rel="stylesheet" href="{doc.ref(resources[0], "resource")}">'
    scripts = "".join(f'<script src="{doc.ref(r, "resource")}"></script>' for r in resources[1:])
    banner = f"今天是：{today.year}年{today.month}月{today.day}日 星期{WEEKDAYS[today.weekday()]}"
    menu = [f'<li class="first"><a href="{doc.ref("/")}">首页</a></li>']
    for slot, (slug, name) in enumerate(CHANNELS):
        subs = [c for c in model.columns if c.channel == slug]
        items = "".join(
            f'<li><a href="{doc.ref(_href(model, here, column_url(model, c)))}">{escape(c.name)}</a></li>'
            for c in subs
        )
        menu.append(
            f'<li><a href="{doc.ref(_href(model, here, channel_url(model, slot)))}">{name}</a>'
            f'<ul class="sub">{items}</ul></li>'
        )
    if model.family == "gkml":
        menu.append(f'<li><a href="{doc.ref("/xxgk/gkml/index.html")}">信息公开目录</a></li>')
    header = (
        f'<div class="{sk.header}"><div class="topbar"><span id="todayDate">{banner}</span>'
        f'<span class="tools"><a href="javascript:void(0)" onclick="SetHome(this)">设为首页</a>'
        f' <a href="javascript:void(0)" onclick="AddFavorite()">加入收藏</a> <a href="javascript:;">无障碍</a></span></div>'
        f'<div class="logo"><a href="{doc.ref("/")}"><img src="{doc.ref("/images/logo.png", "resource")}" '
        f'alt="{escape(ident.name)}"></a></div>'
        f'<form class="search" action="/search/search.jsp" method="get"><input type="text" name="q" '
        f'placeholder="请输入关键字"><input type="submit" value="搜索"></form></div>'
        f'<div class="{sk.nav}" id="{sk.nav}"><ul>{"".join(menu)}</ul></div>'
    )
    return (
        f"<!DOCTYPE html><html><head>{head_meta(model)}<title>{escape(title)}</title>{extra_head}{css}{scripts}"
        f'</head><body>{header}<div class="{sk.main}">{_aspx_form(model, here, main)}</div>'
        f"{footer(model, doc, today)}</body></html>"
    )


def _aspx_form(model: SiteModel, here: str, main: str) -> str:
    """ASP.NET Web Forms pages wrap their content in the postback form with a view state."""
    if model.family != "jsp" or model.variant != 1:
        return main
    state = f"/wEPDwUKMTY1NDU2MTA1{zlib.crc32(here.encode()):08X}ZGQ="
    action = "." + escape(here) if here.count("/") == 1 and here != "/" else "./"
    return (
        f'<form name="form1" method="post" action="{action}" id="form1"><div class="aspNetHidden">'
        f'<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{state}" /></div>{main}</form>'
    )


def footer(model: SiteModel, doc: Doc, today: date) -> str:
    ident, sk = model.ident, skin(model)
    missing = model.missing_marks
    sponsor = "" if "sponsor" in missing else f"主办单位：{escape(ident.name)}办公室 "
    marks = [
        f"网站标识码：{model.site_code_shown}" if model.site_code_shown else "",
        "" if "icp" in missing else f"蜀ICP备{int(ident.site_id[-6:]) + 100000}号",
        "" if "police" in missing else f"川公网安备 {ident.site_id}0001号",
    ]
    links = [
        f'<a href="{doc.ref("/lxwm.html")}">联系我们</a>',
        f'<a href="{doc.ref("/wzdt.html")}">网站地图</a>',
    ]
    if model.error_report:
        links.append(f'<a href="{doc.ref(f"/jiucuo.html?site_code={ident.site_id}")}">我为政府网站找错</a>')
    return (
        f'<div class="{sk.footer}"><p>{" | ".join(links)}</p><p>{sponsor}版权所有 © 2003-{today.year} '
        f"承办：{escape(ident.name)}信息中心</p><p>{' '.join(m for m in marks if m)}</p>"
        f"<p>建议使用1366×768分辨率 IE9以上浏览器</p></div>"
    )


# --------------------------------------------------------------------------------------- list markup
def session_href(model: SiteModel, href: str, salt: int) -> str:
    """The link with a Tomcat session id in its path (`content.jsp;jsessionid=...?id=5`)."""
    path, _, query = href.partition("?")
    session = f"{zlib.crc32(model.ident.site_id.encode()):08X}{salt:08X}".ljust(32, "0")
    return f"{path};jsessionid={session}?{query}"


def entry_li(model: SiteModel, here: str, column: Column, article: Article, doc: Doc) -> str:
    href = _href(model, here, article_url(model, column, article))
    if model.aliases and model.family == "jsp" and model.variant != 1 and article.ident % 4 == 0:
        href = session_href(model, href, article.ident)
    style = skin(model).list_date
    if column.type == "consult":
        state = (
            f'<span class="hf">已回复 {article.answered:%Y-%m-%d}</span>'
            if article.answered
            else f'<span class="wh">{"未回复" if article.ident % 2 else "待回复"}</span>'
        )
        return (
            f'<li><a href="{doc.ref(href)}" target="_blank">{escape(article.title)}</a>'
            f'<span class="lx">来信时间：{article.published:%Y-%m-%d}</span>{state}</li>'
        )
    if style == "box":
        return f'<li>{list_date(style, article.published)}<a href="{doc.ref(href)}">{escape(article.title)}</a></li>'
    return (
        f'<li><a href="{doc.ref(href)}" title="{escape(article.title)}">{escape(article.title)}</a>'
        f"{list_date(style, article.published)}</li>"
    )


def gk_row(model: SiteModel, column: Column, article: Article, doc: Doc, href: str) -> str:
    written = article.written or article.published - timedelta(days=2)
    return (
        f'<tr><td>{index_number(model, column, article)}</td><td class="mc"><a href="{doc.ref(href)}" '
        f'target="_blank">{escape(article.title)}</a></td><td>{escape(model.ident.name)}</td>'
        f"<td>{written:%Y-%m-%d}</td><td>{article.published:%Y-%m-%d}</td></tr>"
    )


def index_number(model: SiteModel, column: Column, article: Article) -> str:
    return f"{model.ident.site_id[:6]}{model.ident.index:03d}/{article.published.year}-{article.ident % 100000:05d}"


GK_HEAD = "<tr><th>索引号</th><th>名称</th><th>发文机关</th><th>成文日期</th><th>发布日期</th></tr>"


def pager_links(model: SiteModel, column: Column, number: int, total: int, *, doc: Doc, here: str) -> str:
    """Pagination of a list page in the family's manner."""
    if total <= 1:
        return '<div class="page">共1页</div>'
    if model.family == "trs":
        count = f"var countPage = {total}//共多少页"
        if model.variant == 1:
            for n in range(2, total + 1):
                doc.ref(_href(model, here, column_url(model, column, n)))
            return (
                f'<script>{count}\nvar currentPage = {number - 1};//当前页\nvar prePage = "index";'
                f'\nvar fileExt = "{_trs_ext(model)[1:]}";\nfor (var i = 0; i < countPage; i++) {{'
                f' document.write("<a href=\'" + prePage + (i ? "_" + i : "") + "." + fileExt + "\'>" + (i + 1)'
                f' + "</a>"); }}</script>'
            )
        for n in range(2, total + 1):
            doc.ref(_href(model, here, column_url(model, column, n)))
        return (
            f"<script>{count}\nvar currentPage = {number - 1};//当前页\n"
            f'createPageHTML({total}, {number - 1}, "index", "{_trs_ext(model)[1:]}");</script>'
        )
    parts = [f"<span>共{total}页 当前第{number}页</span>"]
    for n in range(1, total + 1):
        target = column_url(model, column, n)
        if n == number:
            parts.append(f"<b>{n}</b>")
            continue
        parts.append(f'<a href="{doc.ref(_href(model, here, target))}">{n}</a>')
    if number < total and model.aliases and "?" in column_url(model, column, number + 1):
        base, _, query = column_url(model, column, number + 1).partition("?")
        swapped = "&".join(reversed(query.split("&")))
        parts.append(f'<a href="{doc.ref(_href(model, here, base + "?" + swapped))}">下一页</a>')
    return f'<div class="page">{" ".join(parts)}</div>'


# ---------------------------------------------------------------------------------------- article page
def article_main(
    model: SiteModel,
    column: Column,
    article: Article,
    *,
    doc: Doc,
    here: str,
    today: date,
    siblings: list[Article],
) -> tuple[str, str, tuple[int, int]]:
    """(main HTML, extra head, personal data counts) of an article page."""
    sk = skin(model)
    day = article.published
    views = 100 + zlib.crc32(here.encode()) % 12000
    source = f"来源：{escape(model.ident.name)}"
    show = {
        "fbsj": f'<div class="info">发布时间：{day:%Y-%m-%d} {article.time}　{source}　浏览次数：<span id="hits">{views}</span></div>',
        "ly_rq": f'<div class="info">{source}　日期：{cn_date(day)}</div>',
        "bare": f'<div class="time">{day:%Y-%m-%d} {article.time}:{views % 60:02d}</div>',
        "read": f'<div class="fbxx">{day:%Y-%m-%d}&nbsp;&nbsp;阅读{views}次</div>',
        "table": (
            f'<table class="xxgk_info"><tr><td>索引号</td><td>{index_number(model, column, article)}</td>'
            f"<td>发布机构</td><td>{escape(model.ident.name)}</td></tr><tr><td>成文日期</td>"
            f"<td>{(article.written or day - timedelta(days=2)):%Y-%m-%d}</td><td>发布日期</td>"
            f"<td>{day:%Y-%m-%d}</td></tr></table>"
        ),
        "meta": f'<div class="info">{source}　浏览次数：{views}</div>',
        "none": f'<div class="info">{source}</div>',
    }[article.show]
    extra = f'<meta name="PubDate" content="{day:%Y-%m-%d} {article.time}">' if article.show == "meta" else ""
    extra += f'<meta name="ArticleTitle" content="{escape(article.title)}"><meta name="ColumnName" content="{escape(column.name)}">'
    body = [
        f"<p>　　{escape(article.title)}。近日，{escape(model.ident.name)}围绕{escape(column.name)}工作"
        f"进行了专题研究，会议要求各地各部门认真落实相关部署，确保各项工作取得实效。</p>"
    ]
    body += paragraphs(model, column, article)
    if article.written is not None and article.show != "table":
        body.append(f'<p class="wh" style="text-align:right">{cn_numeral_date(article.written)}</p>')
    body.append(f'<p><img src="{doc.ref(f"/uploadfiles/image/{article.ident}.jpg", "resource")}" alt=""></p>')
    if article.dead_image:
        body.append(
            f'<p><img src="{doc.ref(f"/uploadfiles/image/lost_{article.ident}.jpg", "resource")}"></p>'
        )
    for name, _live in article.attachments:
        href = f"/uploadfiles/{day:%Y%m}/{name}"
        body.append(f'<p>附件：<a href="{doc.ref(href, "attachment")}">{escape(name)}</a></p>')
    if article.dead_link is not None:
        href = f"/{article.dead_link[0]}/index.html"
        body.append(f'<p>相关链接：<a href="{doc.ref(href)}">原文链接</a></p>')
    if article.gone_link is not None:
        href = _href(model, here, gone_url(model, column, article.gone_link))
        body.append(f'<p>相关文件：<a href="{doc.ref(href)}">点击查看</a></p>')
    if article.external is not None:
        body.append(f'<p><a href="{doc.ref(article.external, "external")}" target="_blank">原网站</a></p>')
    personal = (0, 0)
    if article.personal:
        block, ids, mobiles = personal_block(model, article)
        body.append(block)
        personal = (ids, mobiles)
    if column.type == "service":
        labels = GUIDE_ELEMENTS[10 - article.guide_elements :]
        body.append(
            '<table class="bszn">'
            + "".join(f"<tr><th>{label}</th><td>详见说明</td></tr>" for label in labels)
            + "</table>"
        )
    if column.type == "consult":
        reply = (
            f'<div class="reply"><p>回复单位：{escape(model.ident.name)}</p><p>回复时间：{article.answered:%Y-%m-%d}</p>'
            f"<p>您好，您反映的问题已转相关部门办理。</p></div>"
            if article.answered
            else '<div class="reply">暂未回复</div>'
        )
        show = f'<div class="info">来信时间：{day:%Y-%m-%d}</div>'
        body.append(reply)
    related = "".join(
        f'<li><a href="{doc.ref(_href(model, here, article_url(model, column, other)))}">{escape(other.title)}</a>'
        f"<span>{other.published:%Y-%m-%d}</span></li>"
        for other in siblings
    )
    print_date = (
        f'<span class="print">打印日期：{today:%Y-%m-%d}</span>' if zlib.crc32(here.encode()) % 3 == 0 else ""
    )
    back = _href(model, here, column_url(model, column))
    main = (
        f'<div class="location">当前位置：<a href="{doc.ref("/")}">首页</a> &gt; '
        f'<a href="{doc.ref(back)}">{escape(column.name)}</a></div><div class="article">'
        f"{sk.heading}{escape(article.title)}</{sk.heading[1:].split(' ')[0]}>{show}<div {sk.body_box}>{''.join(body)}</div>"
        f'<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">'
        f"【关闭窗口】</a>{print_date}</div></div>"
        + (f'<div class="related"><h3>相关文章</h3><ul>{related}</ul></div>' if related else "")
    )
    return main, extra, personal


PARAGRAPHS = [
    "会议指出，{t}工作事关群众切身利益，各级各部门要提高政治站位，压紧压实责任，细化工作措施，"
    "确保各项目标任务按时保质完成。",
    "会议强调，要坚持问题导向，聚焦{t}领域的突出问题和薄弱环节，建立健全长效机制，"
    "加强部门协同配合，形成工作合力。",
    "据了解，今年以来，{n}持续推进{t}各项工作，累计开展专项检查{k}次，整改问题{m}个，群众满意度进一步提升。",
    "下一步，{n}将继续深化{t}工作，加大宣传力度，及时回应社会关切，推动工作取得新成效。",
    "各乡镇（街道）、各有关部门主要负责同志参加会议。",
]


def paragraphs(model: SiteModel, column: Column, article: Article) -> list[str]:
    """Two to five more paragraphs of ordinary article text."""
    rng = random.Random(f"{model.ident.site_id}/{article.ident}/text")
    topic = column.name if column.type in ("service", "consult") else article.title[-8:-4] or column.name
    name = escape(model.ident.name)
    chosen = rng.sample(PARAGRAPHS, rng.randint(2, 5))
    return [
        "<p>　　" + text.format(t=escape(topic), n=name, k=rng.randint(3, 90), m=rng.randint(1, 40)) + "</p>"
        for text in chosen
    ]


def personal_block(model: SiteModel, article: Article) -> tuple[str, int, int]:
    """The personal data an article shows: (HTML, valid resident ID numbers, distinct mobiles)."""
    rng = random.Random(f"{model.ident.site_id}/{article.ident}")
    region = model.ident.site_id[:6]
    people = rng.sample(PEOPLE, 4)
    if article.personal == "ids":
        rows = "".join(f"<tr><td>{name}</td><td>{_id_number(rng, region)}</td></tr>" for name in people[:3])
        return f"<table><tr><th>姓名</th><th>身份证号码</th></tr>{rows}</table>", 3, 0
    if article.personal == "mobiles":
        rows = "".join(
            f"<tr><td>{name}</td><td>1{rng.choice('35789')}{rng.randrange(10**9):09d}</td></tr>"
            for name in people
        )
        return f"<table><tr><th>联系人</th><th>联系电话</th></tr>{rows}</table>", 0, 4
    valid = _id_number(rng, region)
    masked = f"{valid[:6]}********{valid[14:]}"
    return f"<p>申请人：{people[0]}（身份证号：{masked}）办公电话：028-8{rng.randrange(10**7):07d}</p>", 0, 0
