"""The page graph of one site and the answer the farm gives for any path (shared by server and truth)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scripts.farm.content import content_links

if TYPE_CHECKING:
    from scripts.farm.world import Article, Column, Message, SiteModel

PAGE_SIZE = 15
RESOURCES = ("/css/main.css", "/js/common.js", "/images/logo.png")
MAX_REDIRECTS = 20  # Scrapy's REDIRECT_MAX_TIMES; the farm's chains are longer on purpose
_CHAIN = re.compile(r"^/chain/(\d+)/(\w+)\.html$")
_LOOP = re.compile(r"^/loop/([ab])(\w+)\.html$")
_CALENDAR = re.compile(r"^/calendar/\?date=(\d{4})-(\d{2})-(\d{2})$")
_REPEAT = re.compile(r"^/trap/(?:a/)+$")
_SEARCH = re.compile(r"^/search\?(.+)$")


@dataclass(slots=True, frozen=True)
class Link:
    """One reference on a page: href as written (site path or absolute URL), anchor text, what it is."""

    href: str
    text: str
    kind: str  # page | resource | attachment | external


@dataclass(slots=True)
class PageSpec:
    """A page the site serves with 200: what it is, what it links to, what the renderer needs."""

    path: str
    kind: str  # home | column | article | attachment | other
    layout: str  # home | list | placeholder | article | guide | messages | message | attachment | plain
    title: str
    pub_date: date | None = None
    column: Column | None = None
    links: list[Link] = field(default_factory=list)
    entries: list[Article] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    article: Article | None = None
    message: Message | None = None
    page_no: int = 0
    page_count: int = 1
    list_pages: list[str] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Answer:
    """What the farm answers for a path: a status, or a redirect, or a held (timed-out) request."""

    status: int  # 0 = the connection is closed without an answer
    page: PageSpec | None = None
    location: str | None = None
    soft404: bool = False
    hold: bool = False
    body: str = ""
    content_type: str = "text/html"
    not_a_file: bool = False  # a web page where an attachment was linked (a soft 404 of the download)


def chrome_links(model: SiteModel) -> list[Link]:
    """Links every HTML page of the site carries: navigation, resources, footer."""
    links = [Link("/", "首页", "page")]
    links += [Link(col.index_path, col.name, "page") for col in model.columns if col.level == 1]
    links += [Link(res, "", "resource") for res in RESOURCES]
    if model.error_report:
        links.append(Link(f"/jiucuo.html?site_code={model.ident.site_id}", "我为政府网站找错", "page"))
    return links


def list_page_paths(column: Column, page_count: int) -> list[str]:
    """Paths of a column's list pages, first page first (TRS index_N.html or ?page=N)."""
    base = column.index_path
    if column.style == "trs":
        stem = base.removesuffix("index.html")
        return [base] + [f"{stem}index_{n}.html" for n in range(1, page_count)]
    if column.style == "hanweb":
        return [base]  # Hanweb keeps every record in one <datastore> island
    return [base] + [f"{base}?page={n + 1}" for n in range(1, page_count)]


def build_pages(model: SiteModel, today: date) -> dict[str, PageSpec]:
    """Every 200 page of the site keyed by path (with query), links included."""
    chrome = chrome_links(model)
    pages: dict[str, PageSpec] = {}
    home = PageSpec("/", "home", "home", model.ident.name, links=list(chrome))
    pages["/"] = home
    pages[f"/jiucuo.html?site_code={model.ident.site_id}"] = PageSpec(
        f"/jiucuo.html?site_code={model.ident.site_id}",
        "other",
        "plain",
        "我为政府网站找错",
        links=list(chrome),
    )
    for column in model.columns:
        _column_pages(model, column, chrome, pages)
    news = sorted(
        (a for c in model.columns if c.type == "news" for a in c.articles),
        key=lambda a: (a.published, a.path),
        reverse=True,
    )[:8]
    home.entries = news
    home.links += [Link(a.path, a.title, "page") for a in news]
    for column in model.columns:
        if column.level == 1 and column.type != "news" and not column.empty_kind:
            shown = column.list_entries()[:5]
            home.links += [Link(column.index_path, "更多", "page")]
            home.links += [Link(a.path, a.title, "page") for a in shown]
            home.links += [Link(m.path, m.title, "page") for m in column.messages[:5]]
    home.links += [Link(url, text, "page") for url, text in model.home_dead_links]
    home.links += [Link(url, text, "external") for url, text in model.external_links]
    if model.robots_disallow:
        listing = PageSpec(
            "/internal/index.html",
            "other",
            "list",
            "内部资料",
            links=list(chrome),
            entries=model.internal_articles,
        )
        listing.links += [Link(a.path, a.title, "page") for a in model.internal_articles]
        pages[listing.path] = listing
        home.links.append(Link(listing.path, "内部资料", "page"))
        for article in model.internal_articles:
            pages[article.path] = _article_page(model, article, chrome, [])
    if model.traps:
        home.links += [
            Link(f"/calendar/?date={today:%Y-%m-%d}", "活动日历", "page"),
            Link("/trap/a/", "资源目录", "page"),
            Link("/search?q=zhengwu&sort=date&p=1", "站内搜索", "page"),
        ]
    return pages


def _column_pages(model: SiteModel, column: Column, chrome: list[Link], pages: dict[str, PageSpec]) -> None:
    if column.empty_kind == "dead":
        return
    sub_links = [Link(child.index_path, child.name, "page") for child in column.children]
    if column.empty_kind == "placeholder":
        pages[column.index_path] = PageSpec(
            column.index_path, "column", "placeholder", column.name, column=column, links=chrome + sub_links
        )
        return
    if column.type == "consult":
        spec = PageSpec(
            column.index_path,
            "column",
            "messages",
            column.name,
            column=column,
            links=chrome + [Link(m.path, m.title, "page") for m in column.messages],
            messages=column.messages,
        )
        pages[column.index_path] = spec
        for message in column.messages:
            pages[message.path] = PageSpec(
                message.path,
                "article",
                "message",
                message.title,
                message.asked,
                column,
                links=[*chrome, Link(column.index_path, column.name, "page")],
                message=message,
            )
        return
    entries = column.list_entries()
    per_page = (len(entries) or 1) if column.style == "hanweb" else PAGE_SIZE
    page_count = max(1, -(-len(entries) // per_page))
    paths = list_page_paths(column, page_count)
    for page_no, path in enumerate(paths):
        shown = entries[page_no * per_page : (page_no + 1) * per_page]
        links = chrome + sub_links + [Link(a.path, a.title, "page") for a in shown]
        links += [Link(p, str(n + 1), "page") for n, p in enumerate(paths) if p != path]
        pages[path] = PageSpec(
            path,
            "column",
            "list",
            column.name,
            column=column,
            links=links,
            entries=shown,
            page_no=page_no,
            page_count=page_count,
            list_pages=paths,
        )
    for article in column.articles:
        related = [a for a in column.articles if a is not article][:3]
        pages[article.path] = _article_page(model, article, chrome, related)
        for path, name, live in article.attachments:
            if live:
                pages[path] = PageSpec(path, "attachment", "attachment", name, column=column)


def _article_page(model: SiteModel, article: Article, chrome: list[Link], related: list[Article]) -> PageSpec:
    column = article.column
    links = [*chrome, Link(column.index_path, column.name, "page")]
    links += [Link(a.path, a.title, "page") for a in related]
    links += [Link(url, text, "external") for url, text in content_links(model, article)]
    links += [Link(path, name, "attachment") for path, name, _ in article.attachments]
    links += [Link(url, text, "page") for url, text in article.dead_links]
    if article.dead_image:
        links.append(Link(article.dead_image, "", "resource"))
    layout = "guide" if column.type == "service" and column.slug != "bjtj" else "article"  # 办件统计: reports
    return PageSpec(
        article.path,
        "article",
        layout,
        article.title,
        article.shown_date,
        column,
        links=links,
        article=article,
        entries=related,
    )


def answer(pages: dict[str, PageSpec], path: str) -> Answer:
    """The farm's answer for a path of one site (no I/O, no rendering)."""
    page = pages.get(path)
    if page is not None:
        return Answer(200, page=page)
    if path == "/robots.txt":
        return Answer(200, body="", content_type="text/plain")
    if path in RESOURCES:
        return Answer(200, content_type="text/css" if path.endswith(".css") else "application/javascript")
    prefix = path.split("/", 2)[1] if path.count("/") >= 2 else ""
    fixed = {"notfound": 404, "gone": 410, "err500": 500, "err503": 503}
    if prefix in fixed:
        return Answer(fixed[prefix])
    if prefix == "soft404" or path == "/error.html":
        return Answer(200, soft404=True)
    if prefix == "download":  # attachments behind a login wall: a normal page, never the file
        body = ('附件下载须先登录。<form action="/login" method="post">'
                '用户名 <input name="u"> 密码 <input name="p"></form>')
        return Answer(200, body=body, not_a_file=True)
    if prefix == "soft302":
        return Answer(302, location="/error.html")
    if prefix == "slow":
        return Answer(200, hold=True)
    if prefix == "secure":
        return Answer(0)
    if match := _LOOP.match(path):
        other = "b" if match.group(1) == "a" else "a"
        return Answer(302, location=f"/loop/{other}{match.group(2)}.html")
    if match := _CHAIN.match(path):
        hops = int(match.group(1))
        if hops == 0:
            return Answer(200, body="跳转完成")
        return Answer(302, location=f"/chain/{hops - 1}/{match.group(2)}.html")
    if _CALENDAR.match(path) or _REPEAT.match(path) or _SEARCH.match(path):
        return Answer(200, body="trap")
    return Answer(404)


def trap_links(path: str) -> list[str]:
    """Links a trap page carries (each leads one step deeper, forever)."""
    if match := _CALENDAR.match(path):
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return [
            f"/calendar/?date={day + timedelta(days=1):%Y-%m-%d}",
            f"/calendar/?date={day - timedelta(days=1):%Y-%m-%d}",
        ]
    if _REPEAT.match(path):
        return ["a/"]
    if match := _SEARCH.match(path):
        params = dict(part.split("=", 1) for part in match.group(1).split("&") if "=" in part)
        page_no = int(params.get("p", "1")) + 1
        return [
            f"/search?q={params.get('q', '')}&sort=date&p={page_no}",
            f"/search?sort=title&q={params.get('q', '')}&p={page_no}",
        ]
    return []
