"""World b site table: home, channels, columns (inline, JSON, iframe, XML, island, script), articles."""

# ruff: noqa: E501 - HTML templates read better on one line

from __future__ import annotations

import json
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING

from scripts.worldb.build import (
    CALENDAR,
    GK_HEAD,
    Doc,
    Link,
    Page,
    SiteTable,
    _href,
    article_main,
    article_url,
    channel_url,
    chrome,
    cn_date,
    column_url,
    entry_li,
    gk_row,
    gone_url,
    head_meta,
    list_date,
    pager_links,
    session_href,
    skin,
)
from scripts.worldb.model import CHANNELS

if TYPE_CHECKING:
    from scripts.worldb.model import Article, Column, SiteModel

ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ATTACHMENT_BYTES = {
    ".pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    ".doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56),
    ".xlsx": b"PK\x05\x06" + bytes(18),
}


class _Builder:
    """Builds the SiteTable of one model."""

    def __init__(self, model: SiteModel, today: date, host: str) -> None:
        self.model = model
        self.today = today
        self.host = host
        self.pages: dict[str, Page] = {}
        self.dead: dict[str, int] = {}
        self.gone: set[str] = set()
        self.column_targets: dict[int, list[str]] = {}
        self.sort_list: str | None = None

    def add(self, page: Page) -> None:
        self.pages[page.target] = page

    def html(
        self,
        target: str,
        kind: str,
        title: str,
        main: str,
        doc: Doc,
        *,
        column: str | None = None,
        pub: date | None = None,
        extra_head: str = "",
    ) -> Page:
        body = chrome(self.model, doc, self.today, title, main, here=target, extra_head=extra_head)
        page = Page(target, kind, title, pub, column, body, "html", doc.links)
        self.add(page)
        return page

    def build(self) -> SiteTable:
        for column in self.model.columns:
            self.column(column)
        for slot in range(len(CHANNELS)):
            self.channel(slot)
        self.specials()
        self.home()
        ordered = {}
        for target, page in self.pages.items():
            path, _, query = target.partition("?")
            if query:
                ordered[f"{path}?{'&'.join(sorted(query.split('&')))}"] = page
        return SiteTable(
            self.model,
            self.host,
            self.pages,
            ordered,
            self.dead,
            self.gone,
            self.sort_list,
            self.column_targets,
        )

    # --------------------------------------------------------------------------------------- columns
    def column(self, column: Column) -> None:
        model = self.model
        first = column_url(model, column)
        if column.empty_kind == "dead":
            self.dead[first] = 404
            self.column_targets[column.cid] = []
            return
        size = column.page_size
        chunks = [column.articles[i : i + size] for i in range(0, len(column.articles), size)] or [[]]
        loader = column.loader if column.articles else "inline"
        if loader in ("json", "xml", "iframe"):
            self.loaded_column(column, chunks, loader)
            self.column_targets[column.cid] = [first]
        else:
            targets = [column_url(model, column, n + 1) for n in range(len(chunks))]
            self.column_targets[column.cid] = targets
            for number, chunk in enumerate(chunks, start=1):
                self.list_page(column, chunk, number, len(chunks))
        for article in column.articles:
            self.article(column, article)

    def list_page(self, column: Column, chunk: list[Article], number: int, total: int) -> None:
        model = self.model
        target = column_url(model, column, number)
        first = column_url(model, column)
        doc = Doc()
        if not chunk:
            inner = (
                '<div class="nodata">暂无信息</div>' if column.empty_kind == "placeholder" else "<ul></ul>"
            )
        elif model.family == "gkml" and column.channel == "zwgk" and column.type != "consult":
            rows = "".join(
                gk_row(model, column, a, doc, _href(model, target, article_url(model, column, a)))
                for a in chunk
            )
            inner = f'<table class="gk-list">{GK_HEAD}{rows}</table>'
        elif column.loader == "island":
            records = "".join(
                f"<record><![CDATA[{entry_li(model, target, column, a, doc)}]]></record>" for a in chunk
            )
            inner = (
                f'<div id="{column.cid}"><script type="text/xml"><datastore><nextgroup><![CDATA[]]></nextgroup>'
                f"<recordset>{records}</recordset></datastore></script></div>"
            )
        elif column.loader == "write":
            lines = "".join(
                "document.write('" + entry_li(model, target, column, a, doc).replace("'", "\\'") + "');\n"
                for a in chunk
            )
            inner = f'<ul {skin(model).list_box}><script type="text/javascript">\n{lines}</script></ul>'
        else:
            inner = f"<ul {skin(model).list_box}>{''.join(entry_li(model, target, column, a, doc) for a in chunk)}</ul>"
        pager = pager_links(model, column, number, total, doc=doc, here=target) if chunk else ""
        if (
            number == 1
            and chunk
            and self.sort_list is None
            and "sortsid" in model.traps
            and column.type != "consult"
        ):
            self.sort_list = target.split("?")[0]
            joiner = "&" if "?" in target else "?"
            sorts = "".join(
                f'<a href="{doc.ref(_href(model, target, f"{target}{joiner}order={o}&sort={s}&sid=0A{n}F3"))}">'
                f"{label}</a> "
                for n, (o, s, label) in enumerate(
                    [("asc", "title", "按标题"), ("desc", "date", "按日期"), ("asc", "hits", "按点击")]
                )
            )
            inner = f'<div class="sort">排序：{sorts}</div>{inner}'
        main = f'{self.left_tree(doc, target)}<div class="list-box"><h2>{escape(column.name)}</h2>{inner}{pager}</div>'
        self.html(
            target,
            "column",
            column.name if number == 1 else f"{column.name}_第{number}页",
            main,
            doc,
            column=first,
        )

    def loaded_column(self, column: Column, chunks: list[list[Article]], loader: str) -> None:
        """A column page whose list comes from a JSON or XML endpoint, or sits in an iframe."""
        model = self.model
        first = column_url(model, column)
        doc = Doc()
        total = len(chunks)
        if loader == "json":
            api = f"/api/gkml/list?cid={column.cid}&page=1"
            inner = (
                f'<table class="gk-list" id="gkList">{GK_HEAD}</table><div id="pager"></div>'
                f'<script>$(function(){{ $.ajax({{url: "{doc.ref(api)}", dataType: "json", '
                f"success: function(d){{ renderList(d); }} }}); }});</script>"
            )
            for number, chunk in enumerate(chunks, start=1):
                self.json_page(column, chunk, number, total)
        elif loader == "xml":
            proxy = f"/module/web/jpage/dataproxy.jsp?page=1&webid={model.webid}&columnid={column.cid}"
            inner = (
                f'<div id="{column.cid}"></div><script type="text/javascript">var jpage = {{'
                f'url: "{doc.ref(proxy)}", perpage: {column.page_size}, '
                f"col: 1, webid: {model.webid}, columnid: {column.cid}}};\n"
                f'$.get(jpage.url, function(x){{ showRecords(x, "{column.cid}"); }});</script>'
            )
            for number, chunk in enumerate(chunks, start=1):
                self.xml_page(column, chunk, number, total)
        else:
            frame = f"/xxgk/gkml/frame.jsp?cid={column.cid}"
            inner = (
                f'<iframe id="listFrame" src="{doc.ref(frame)}" width="100%" height="900" frameborder="0" '
                f'scrolling="no"></iframe>'
            )
            for number, chunk in enumerate(chunks, start=1):
                self.frame_page(column, chunk, number, total)
        main = (
            f'{self.left_tree(doc, first)}<div class="list-box"><h2>{escape(column.name)}</h2>{inner}</div>'
        )
        self.html(first, "column", column.name, main, doc, column=first)

    def json_page(self, column: Column, chunk: list[Article], number: int, total: int) -> None:
        model = self.model
        first = column_url(model, column)
        target = f"/api/gkml/list?cid={column.cid}&page={number}"
        doc = Doc()
        if number == 1:
            for n in range(2, total + 1):
                doc.ref(f"/api/gkml/list?cid={column.cid}&page={n}")
        for a in chunk:
            doc.ref(article_url(model, column, a))
        rows = [
            {
                "title": a.title,
                "url": article_url(model, column, a),
                "date": f"{a.published:%Y-%m-%d}",
                "cwrq": f"{(a.written or a.published - timedelta(days=2)):%Y-%m-%d}",
                "syh": f"{model.ident.site_id[:6]}/{a.published.year}-{a.ident % 100000:05d}",
            }
            for a in chunk
        ]
        body = json.dumps(
            {
                "code": 0,
                "page": number,
                "totalPage": total,
                "pageSize": column.page_size,
                "total": len(column.articles),
                "data": rows,
            },
            ensure_ascii=False,
        )
        self.add(Page(target, "other", column.name, None, first, body, "json", doc.links, data=True))

    def xml_page(self, column: Column, chunk: list[Article], number: int, total: int) -> None:
        model = self.model
        first = column_url(model, column)
        target = f"/module/web/jpage/dataproxy.jsp?page={number}&webid={model.webid}&columnid={column.cid}"
        doc = Doc()
        if number == 1:
            for n in range(2, total + 1):
                doc.ref(f"/module/web/jpage/dataproxy.jsp?page={n}&webid={model.webid}&columnid={column.cid}")
        records = "".join(
            f"<record><![CDATA[{entry_li(model, '/', column, a, doc)}]]></record>" for a in chunk
        )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{len(column.articles)}</totalrecord>'
            f"<totalpage>{total}</totalpage><recordset>{records}</recordset></datastore>"
        )
        self.add(Page(target, "other", column.name, None, first, body, "xml", doc.links, data=True))

    def frame_page(self, column: Column, chunk: list[Article], number: int, total: int) -> None:
        model = self.model
        first = column_url(model, column)
        base = f"/xxgk/gkml/frame.jsp?cid={column.cid}"
        target = base if number == 1 else f"{base}&page={number}"
        doc = Doc()
        rows = "".join(gk_row(model, column, a, doc, article_url(model, column, a)) for a in chunk)
        pager = " ".join(
            f"<b>{n}</b>"
            if n == number
            else f'<a href="{doc.ref(base if n == 1 else f"{base}&page={n}")}">{n}</a>'
            for n in range(1, total + 1)
        )
        body = (
            f"<!DOCTYPE html><html><head>{head_meta(model)}<title>{escape(column.name)}</title></head>"
            f'<body><table class="gk-list">{GK_HEAD}{rows}</table><div class="page">{pager}</div></body></html>'
        )
        self.add(Page(target, "other", column.name, None, first, body, "html", doc.links, data=True))

    def left_tree(self, doc: Doc, here: str) -> str:
        model = self.model
        if model.family != "gkml":
            return ""
        zwgk = [c for c in model.columns if c.channel == "zwgk"]
        topic = "".join(
            f'<li><a href="{doc.ref(column_url(model, c))}">{escape(c.name)}</a></li>'
            for c in zwgk
            if c.type in ("policy", "plan", "other")
        )
        genre = "".join(
            f'<li><a href="{doc.ref(column_url(model, c))}">{escape(c.name)}</a></li>'
            for c in zwgk
            if c.type in ("notice", "personnel", "basic")
        )
        del here
        return (
            f'<div class="gk-left"><h3>主题分类</h3><ul class="tree">{topic}</ul><h3>机构分类</h3><ul class="tree">'
            f'<li><a href="{doc.ref("/xxgk/gkml/index.html")}">{escape(model.ident.name)}</a></li></ul>'
            f'<h3>体裁分类</h3><ul class="tree">{genre}</ul></div>'
        )

    # -------------------------------------------------------------------------------------- articles
    def article(self, column: Column, article: Article) -> None:
        model = self.model
        target = article_url(model, column, article)
        doc = Doc()
        index = column.articles.index(article)
        siblings = [a for a in column.articles[max(0, index - 2) : index + 3] if a is not article][:4]
        main, extra, personal = article_main(
            model, column, article, doc=doc, here=target, today=self.today, siblings=siblings
        )
        shown: date | None = article.published
        if article.show == "none" and model.family == "jsp":
            shown = None
        page = self.html(
            target,
            "article",
            article.title,
            main,
            doc,
            column=column_url(model, column),
            pub=shown,
            extra_head=extra,
        )
        page.guide = article.guide_elements
        page.personal = personal
        day = article.published
        for name, live in article.attachments:
            path = f"/uploadfiles/{day:%Y%m}/{name}"
            if live:
                ext = "." + name.rsplit(".", 1)[1]
                self.add(
                    Page(path, "attachment", name, None, None, ATTACHMENT_BYTES[ext], ATTACHMENT_TYPES[ext])
                )
            else:
                self.dead[path] = 404
        if article.dead_image:
            self.dead[f"/uploadfiles/image/lost_{article.ident}.jpg"] = 404
        if article.dead_link is not None:
            self.dead[f"/{article.dead_link[0]}/index.html"] = article.dead_link[1]
        if article.gone_link is not None:
            self.gone.add(gone_url(model, column, article.gone_link))

    # -------------------------------------------------------------------------------------- channels
    def channel(self, slot: int) -> None:
        model = self.model
        slug, name = CHANNELS[slot]
        target = channel_url(model, slot)
        doc = Doc()
        boxes = []
        for column in (c for c in model.columns if c.channel == slug):
            href = _href(model, target, column_url(model, column))
            items = "".join(
                f'<li>{list_date("box", a.published)}<a href="{doc.ref(_href(model, target, article_url(model, column, a)))}">'
                f"{escape(a.title)}</a></li>"
                for a in column.articles[:6]
            )
            boxes.append(
                f'<div class="lm-box"><div class="lm-title"><a href="{doc.ref(href)}">{escape(column.name)}</a>'
                f'<a class="more" href="{doc.ref(href)}">更多&gt;&gt;</a></div><ul>{items}</ul></div>'
            )
        if slug == "zwgk" and model.family == "gkml":
            boxes.append(
                f'<div class="lm-box"><a href="{doc.ref("/xxgk/gkzn/index.html")}">政府信息公开指南</a> '
                f'<a href="{doc.ref("/xxgk/gkzd/index.html")}">政府信息公开制度</a></div>'
            )
        self.html(target, "channel", name, f'<div class="channel">{"".join(boxes)}</div>', doc)

    # --------------------------------------------------------------------------------------- specials
    def specials(self) -> None:
        model = self.model
        ident = model.ident
        contact = (
            f"<!DOCTYPE html><html><head>{_meta(model)}<title>联系我们</title></head><body><h2>联系我们</h2>"
            f"<p>地址：{escape(ident.region)}政务服务中心 电话：028-8{ident.index:03d}6123</p>"
            f'<p><a href="/">返回首页</a></p></body></html>'
        )
        self.add(Page("/lxwm.html", "other", "联系我们", None, None, contact, "html", [_link("/")]))
        if model.error_report:
            target = f"/jiucuo.html?site_code={ident.site_id}"
            body = (
                f"<!DOCTYPE html><html><head>{_meta(model)}<title>我为政府网站找错</title></head><body>"
                f'<h2>我为政府网站找错</h2><p>请描述您发现的问题。</p><a href="/">返回首页</a></body></html>'
            )
            self.add(Page(target, "other", "我为政府网站找错", None, None, body, "html", [_link("/")]))
        doc = Doc()
        items = "".join(
            f'<li><a href="{doc.ref(_href(model, "/wzdt.html", column_url(model, c)))}">{escape(c.name)}</a></li>'
            for c in model.columns
        )
        self.html("/wzdt.html", "other", "网站地图", f'<div class="sitemap"><ul>{items}</ul></div>', doc)
        doc = Doc()
        news = [a for c in model.columns if c.type == "news" for a in c.articles[:1]]
        cols = {id(a): c for c in model.columns for a in c.articles}
        entries = "".join(
            f'<li><a href="{doc.ref(article_url(model, cols[id(a)], a))}">{escape(a.title)}</a></li>'
            for a in news
        )
        grow = (
            f'<p><a href="{doc.ref("ztzl/index.html")}">更多专题</a></p>' if "growing" in model.traps else ""
        )
        self.html(
            "/ztzl/index.html",
            "other",
            "专题专栏",
            f'<div class="zt"><h2>专题专栏</h2><ul>{entries}</ul>{grow}</div>',
            doc,
        )
        if model.family == "gkml":
            self.gkml_pages()

    def gkml_pages(self) -> None:
        model = self.model
        doc = Doc()
        rows = []
        latest = sorted(
            (
                (a, c)
                for c in model.columns
                if c.channel == "zwgk" and c.type != "consult"
                for a in c.articles
            ),
            key=lambda p: p[0].published,
            reverse=True,
        )[:10]
        for article, column in latest:
            rows.append(gk_row(model, column, article, doc, article_url(model, column, article)))
        main = (
            f'{self.left_tree(doc, "/xxgk/gkml/index.html")}<div class="gk-right"><h2>最新信息</h2>'
            f'<table class="gk-list">{GK_HEAD}{"".join(rows)}</table></div>'
        )
        self.html("/xxgk/gkml/index.html", "channel", "政府信息公开目录", main, doc)
        for path, title in (
            ("/xxgk/gkzn/index.html", "政府信息公开指南"),
            ("/xxgk/gkzd/index.html", "政府信息公开制度"),
        ):
            doc = Doc()
            text = (
                f"<h2>{title}</h2><p>为了更好地开展政府信息公开工作，根据《中华人民共和国政府信息公开条例》，"
                f"结合{escape(model.ident.name)}实际，编制本{title[6:]}。</p>"
            )
            self.html(path, "other", title, text, doc)

    # ------------------------------------------------------------------------------------------ home
    def home(self) -> None:
        model = self.model
        doc = Doc()
        cols = {id(a): c for c in model.columns for a in c.articles}
        news = sorted(
            (a for c in model.columns if c.type == "news" for a in c.articles),
            key=lambda a: (a.published, a.ident),
            reverse=True,
        )
        if model.homestale:
            news = [a for a in news if a.published <= self.today - timedelta(days=20 + model.webid % 30)]
        top = news[:7]
        absolute = model.family in ("trs", "phpcms") and model.variant == 0
        parts = []
        slides = [
            {
                "title": a.title,
                "url": doc.ref(self._home_href(article_url(model, cols[id(a)], a), absolute)),
                "img": f"/images/slide{n}.jpg",
            }
            for n, a in enumerate(top[:3])
        ]
        parts.append(f"<script>var slides = {json.dumps(slides, ensure_ascii=False)};</script>")
        items = []
        for article in top:
            href = self._home_href(article_url(model, cols[id(article)], article), absolute)
            if model.aliases and model.family == "jsp" and model.variant != 1 and article is top[0]:
                href = session_href(model, href, 0xE1C2B4D)
            items.append(
                f'<li><a href="{doc.ref(href)}" target="_blank">{escape(article.title)}</a>'
                f"{list_date(skin(model).list_date, article.published)}</li>"
            )
        parts.append(f'<div class="ywdt"><h3>要闻动态</h3><ul>{"".join(items)}</ul></div>')
        for column in model.columns:
            if column.type in ("notice", "consult") and column.articles and not model.homestale:
                href = column_url(model, column)
                entries = "".join(entry_li(model, "/", column, a, doc) for a in column.articles[:5])
                parts.append(
                    f'<div class="box"><h3><a href="{doc.ref(href)}">{escape(column.name)}</a></h3>'
                    f"<ul>{entries}</ul></div>"
                )
        consult = next((c for c in model.columns if c.type == "consult" and c.empty_kind != "dead"), None)
        target = column_url(model, consult) if consult else "/lxwm.html"
        parts.append(
            f'<div class="hd"><a href="javascript:void(0);" onclick="window.open(\'{doc.ref(target)}\')">'
            f'<img src="{doc.ref("/images/ldxx.png", "resource")}" alt="领导信箱"></a></div>'
        )
        parts.append(
            f'<img src="{doc.ref("/images/map.png", "resource")}" usemap="#zwmap" alt="政务地图"><map name="zwmap">'
            f'<area shape="rect" coords="0,0,120,60" href="{doc.ref(channel_url(model, 3))}" alt="政务服务">'
            f'<area shape="rect" coords="120,0,240,60" href="{doc.ref("/ztzl/index.html")}" alt="专题专栏"></map>'
        )
        parts.append(self.home_faults(doc))
        parts.append(self.home_extras(doc))
        if "calendar" in model.traps:
            parts.append(f'<a href="{doc.ref(f"{CALENDAR}?date={self.today:%Y-%m-%d}")}">活动日历</a>')
        if "tagtree" in model.traps:
            tags = "".join(f'<a href="{doc.ref(f"/search/tag/{n}.html")}">标签{n}</a> ' for n in (3, 17, 42))
            parts.append(f'<div class="tags">热门标签：{tags}</div>')
        body = chrome(model, doc, self.today, model.ident.name, "".join(parts), here="/")
        self.add(Page("/", "home", model.ident.name, None, None, body, "html", doc.links))

    def home_extras(self, doc: Doc) -> str:
        """Some sites show notices in an iframe include; some link a tiny dated maintenance notice."""
        model = self.model
        parts = []
        notice = next((c for c in model.columns if c.type == "notice" and c.articles), None)
        if notice is not None and model.family in ("trs", "phpcms") and model.variant == 1:
            items = "".join(
                f'<li><a href="{escape(article_url(model, notice, a))}" target="_blank">{escape(a.title)}</a>'
                f"<span>{a.published:%m-%d}</span></li>"
                for a in notice.articles[:6]
            )
            body = (
                f"<!DOCTYPE html><html><head>{head_meta(model)}<title>公示公告</title></head>"
                f'<body><ul class="gsgg">{items}</ul></body></html>'
            )
            links = [Link(article_url(model, notice, a), "page") for a in notice.articles[:6]]
            self.add(Page("/inc/gsgg.html", "other", "公示公告", None, None, body, "html", links))
            parts.append(
                f'<iframe src="{doc.ref("/inc/gsgg.html")}" width="360" height="220" frameborder="0" '
                f'scrolling="no" allowtransparency="true"></iframe>'
            )
        if model.variant == 2:
            day = self.today - timedelta(days=3 + model.webid % 20)
            title = "关于网站系统升级维护的公告"
            body = (
                f"<!DOCTYPE html><html><head>{head_meta(model)}<title>{title}</title></head><body>"
                f"<h3>{title}</h3><p>因系统升级，本网站将于{cn_date(day + timedelta(days=2))}22:00至次日06:00暂停访问。</p>"
                f'<p style="text-align:right">{escape(model.ident.name)}<br>{day:%Y-%m-%d}</p>'
                f'<p><a href="/">返回首页</a></p></body></html>'
            )
            self.add(Page("/wzgg.html", "other", title, day, None, body, "html", [Link("/", "page")]))
            parts.append(f'<p class="gg"><a href="{doc.ref("/wzgg.html")}">{title}</a></p>')
        return "".join(parts)

    def _home_href(self, target: str, absolute: bool) -> str:
        return f"http://{self.host}{target}" if absolute else _href(self.model, "/", target)

    def home_faults(self, doc: Doc) -> str:
        model = self.model
        links = []
        if "dead" in model.home_faults:
            self.dead["/zwgk/old/index.html"] = 404
            self.dead["/xxgk/2019/tzgg.html"] = 410
            links += [
                f'<a href="{doc.ref("/zwgk/old/index.html")}">旧版政务公开</a>',
                f'<a href="{doc.ref("/xxgk/2019/tzgg.html")}">2019年通知</a>',
            ]
        if "external" in model.home_faults:
            links.append(f'<a href="{doc.ref("http://www.scsjzx.invalid/", "external")}">四川省数据中心</a>')
        if "refused" in model.home_faults:
            links.append(f'<a href="{doc.ref("http://127.0.0.1:1/sczwfw/", "external")}">四川政务服务网</a>')
        if "gone" in model.home_faults:
            column = next((c for c in model.columns if c.articles), None)
            if column is not None:
                target = gone_url(model, column, str(column.articles[0].ident + 900000))
                self.gone.add(target)
                links.append(f'<a href="{doc.ref(_href(model, "/", target))}">重要通知</a>')
        return f'<div class="links">{" ".join(links)}</div>' if links else ""


def _link(href: str) -> Link:
    return Link(href, "page")


def _meta(model: SiteModel) -> str:
    return head_meta(model)


def build_site(model: SiteModel, today: date, host: str) -> SiteTable:
    """Every 200 page of a site, the dead and deleted targets, keyed by canonical target."""
    return _Builder(model, today, host).build()
