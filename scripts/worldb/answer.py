"""World b answer function (target -> what the site answers) and the pages rendered on demand."""

# ruff: noqa: E501 - HTML templates read better on one line

from __future__ import annotations

import posixpath
import re
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING

from scripts.worldb.build import CALENDAR, SOFT404_TEXTS, TAGS, Doc, article_url, chrome

if TYPE_CHECKING:
    from scripts.worldb.build import Page, SiteTable

TAG_PAGE = re.compile(r"^/search/tag/(\d+)\.html$")
GROWING = re.compile(r"^/ztzl/(?:ztzl/)+index\.html$")
RESOURCE_DIRS = ("/css/", "/js/", "/images/", "/uploadfiles/image/")
ID_ENDPOINTS = ("/content.jsp", "/show.aspx", "/web/detail.jsp", "/web/getInfo.jsp")
TAG_TYPES = ("gz", "tz", "wj", "jd", "bs")
TAG_YEARS = tuple(range(2017, 2027))


@dataclass(slots=True, frozen=True)
class Answer:
    """What a site answers for one target; status 0 never happens in world b."""

    status: int
    page: Page | None = None
    location: str | None = None
    soft404: bool = False
    trap: str | None = None
    resource: bool = False
    canonical: str | None = None  # the page's own target when the request was an alias


def split_target(target: str) -> tuple[str, str]:
    """(path without ;jsessionid and dot segments, query) of a request target."""
    target = target.split("#", 1)[0]
    path, _, query = target.partition("?")
    if ";" in path:
        path = path.split(";", 1)[0]
    if "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        path = "/" + path.lstrip("/") + ("/" if trailing and path != "/" else "")
    return path, query


def answer(table: SiteTable, target: str) -> Answer:
    """The site's answer for a request target (path and query as sent)."""
    path, query = split_target(target)
    plain = f"{path}?{query}" if query else path
    page = table.pages.get(plain)
    if page is None and query:
        page = table.sorted_pages.get(f"{path}?{'&'.join(sorted(query.split('&')))}")
    if page is not None:
        return Answer(200, page=page, canonical=page.target)
    if plain in table.dead:
        return Answer(table.dead[plain])
    model = table.model
    if plain in table.gone:
        style = model.soft404_style
        if style == "redirect404":
            return Answer(302, location="/404.html")
        if style == "redirecthome":
            return Answer(302, location=f"http://{table.host}/")
        return Answer(200, soft404=True)
    if path in ("/404.html", "/error.html"):
        return Answer(200, soft404=True)
    trap = _trap(table, path, query)
    if trap is not None:
        return Answer(200, trap=trap)
    if path.startswith(RESOURCE_DIRS) or path == "/robots.txt":
        return Answer(200, resource=True)
    if path in ID_ENDPOINTS and query:
        return Answer(200, soft404=True)  # the CMS answers unknown ids with its template
    return Answer(404)


def _trap(table: SiteTable, path: str, query: str) -> str | None:
    traps = table.model.traps
    if "calendar" in traps and path == CALENDAR and query.startswith("date="):
        return "calendar"
    if "tagtree" in traps:
        match = TAG_PAGE.match(path)
        if match and int(match.group(1)) < TAGS:
            return "tagtree"
    if "growing" in traps and GROWING.match(path):
        return "growing"
    if table.sort_list is not None and path == table.sort_list and "sort=" in query:
        return "sortsid"
    return None


def soft404_html(table: SiteTable, target: str, today: date) -> str:
    """The site's full template with a 'page gone' message (and sometimes a refresh to home)."""
    text = SOFT404_TEXTS[zlib.crc32(target.encode()) % len(SOFT404_TEXTS)]
    refresh = (
        '<meta http-equiv="refresh" content="3;url=/">' if table.model.soft404_style == "refresh" else ""
    )
    main = (
        f'<div class="error-box"><img src="/images/404.png" alt=""><h2>{text}</h2>'
        f'<p>可能原因：信息已撤稿、链接地址错误或已过期。</p><p><a href="/">返回首页</a> '
        f'<a href="javascript:history.back()">返回上一页</a></p></div>'
    )
    return chrome(table.model, Doc(), today, "提示信息", main, here="/", extra_head=refresh)


def trap_html(table: SiteTable, trap: str, path: str, query: str, today: date) -> str:
    """A trap page: endless calendar, tag cloud with filters, growing path, sort/session permutations."""
    model = table.model
    doc = Doc()
    if trap == "calendar":
        try:
            day = date.fromisoformat(query.split("=", 1)[1][:10])
        except ValueError:
            day = today
        prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
        main = (
            f'<div class="calendar"><h2>活动日历 {day:%Y年%m月%d日}</h2><p>当日暂无活动安排。</p>'
            f'<a href="{CALENDAR}?date={prev_day:%Y-%m-%d}">前一天</a> '
            f'<a href="{CALENDAR}?date={next_day:%Y-%m-%d}">后一天</a></div>'
        )
        return chrome(model, doc, today, "活动日历", main, here=path, extra_head="")
    if trap == "tagtree":
        match = TAG_PAGE.match(path)
        number = int(match.group(1)) if match else 0
        cloud = " ".join(
            f'<a href="/search/tag/{(number * 7 + k * 13) % TAGS}.html">标签{(number * 7 + k * 13) % TAGS}</a>'
            for k in range(1, 21)
        )
        filters = " ".join(
            f'<a href="/search/tag/{number}.html?type={t}&amp;year={y}">{t}{y}</a>'
            for t in TAG_TYPES
            for y in TAG_YEARS
        )
        return chrome(
            model,
            doc,
            today,
            f"标签{number}",
            f'<div class="tagcloud">{cloud}</div><div class="filter">{filters}</div>{_sample_list(table)}',
            here=path,
        )
    if trap == "growing":
        return chrome(
            model,
            doc,
            today,
            "专题专栏",
            f'<div class="zt"><h2>专题专栏</h2>{_sample_list(table)}'
            f'<p><a href="ztzl/index.html">更多专题</a></p></div>',
            here=path,
        )
    sid = f"{zlib.crc32((path + query).encode()):08X}"
    sorts = " ".join(
        f'<a href="{escape(path)}?{_without_sort(query)}order={o}&amp;sort={s}&amp;sid={sid}{n}">{s}</a>'
        for n, (o, s) in enumerate([("asc", "title"), ("desc", "date"), ("asc", "hits")])
    )
    return chrome(
        model, doc, today, "列表", f'<div class="sort">排序：{sorts}</div>{_sample_list(table)}', here=path
    )


def _without_sort(query: str) -> str:
    kept = [p for p in query.split("&") if p and p.split("=")[0] not in ("order", "sort", "sid")]
    return "&amp;".join(kept) + ("&amp;" if kept else "")


def _sample_list(table: SiteTable) -> str:
    model = table.model
    column = next((c for c in model.columns if c.articles), None)
    if column is None:
        return "<ul></ul>"
    items = "".join(
        f'<li><a href="{escape(article_url(model, column, a))}">{escape(a.title)}</a></li>'
        for a in column.articles[:5]
    )
    return f'<ul class="list">{items}</ul>'


def error_html(table: SiteTable, status: int) -> str:
    """Error bodies in the manner of the family's server (Tomcat, IIS, nginx)."""
    family = table.model.family
    if family == "jsp" and table.model.variant == 1:
        return f"<html><head><title>{status} - 找不到文件或目录。</title></head><body><h2>{status} - 服务器错误</h2></body></html>"
    if family in ("jsp", "jcms"):
        return (
            f"<!doctype html><html><head><title>HTTP Status {status}</title></head><body>"
            f"<h1>HTTP Status {status}</h1><hr><h3>Apache Tomcat</h3></body></html>"
        )
    return f"<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center><hr><center>nginx</center></body></html>"
