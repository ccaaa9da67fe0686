"""The markup of world d sites: the shared template (head, header, menu, footer, lists, articles) and the
three platform families (URL schemes, list rendering, article heads)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scripts.farm.doc import Doc, esc
from scripts.worldd.model import hexid, homepage_articles
from scripts.worldd.text import show_date

if TYPE_CHECKING:
    from scripts.worldd.model import Article, Column, Message, SiteModel

# encoding variant → (bytes codec, HTTP header charset, meta as written, meta label, BOM)
ENCODING_VARIANTS: dict[str, tuple[str, str | None, str, str, bool]] = {
    "utf8": ("utf-8", "utf-8", '<meta charset="utf-8">', "utf-8", False),
    "utf8-meta": (
        "utf-8",
        None,
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />',
        "UTF-8",
        False,
    ),
    "gb18030": (
        "gb18030",
        None,
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />',
        "gb2312",
        False,
    ),
    "utf8-bom": ("utf-8", None, '<meta charset="utf-8" />', "utf-8", True),
}
# how an article head shows its date (one per site; 政府信息公开 articles add the 索引号 table)
HEAD_STYLES = {
    "kaipu": ["fbsj", "source_fbsj", "bracket", "bare"],
    "nanwei": ["fbrq", "riqi", "shijian", "fbsj"],
    "trsgk": ["source_fbsj", "riqi", "bare", "bracket"],
}
_BLANK = ' target="_blank"'
NOT_FOUND_JS = (
    "<html><head><title>提示</title></head><body><p>您访问的页面不存在或已被删除，3秒后返回首页。</p>"
    "<script>setTimeout(function(){location.href='/'},3000)</script></body></html>"
)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


class Family:
    """One platform family: where things live and how pages look. Subclasses set the URL scheme."""

    name = ""
    server = "nginx"
    css = "/css/common.css"
    js = "/js/jquery.min.js"
    logo = "/images/logo.png"
    home_alias: str | None = "/index.html"
    robots: str | None = None
    stats_page: str | None = None  # a 网站统计 page linked from the footer

    def __init__(self, model: SiteModel, host: str) -> None:
        self.m = model
        self.host = host
        self.v = model.ident.variant
        self.codec, self.header_charset, self.meta, self.meta_label, self.bom = ENCODING_VARIANTS[
            model.ident.encoding
        ]
        self.channel_paths: dict[str, str] = {}
        self.channel_aliases: dict[str, str] = {}
        self.about = ""
        self.sitemap = ""
        self.jiucuo = ""
        self.extra_pages: dict[str, str] = {}  # key → title of 信息公开指南-like pages (kind other)
        self.head_style = model.rng.choice(HEAD_STYLES[self.name or "kaipu"])
        self.home_dates = model.rng.choice(["md", "iso"])
        self.key = "/"  # the page being rendered (the search trap link carries it)

    # ---- URL scheme (families override) ----
    def assign(self) -> None:
        raise NotImplementedError

    def article_path(self, article: Article) -> str:
        raise NotImplementedError

    def part_path(self, article: Article, n: int) -> str:
        stem, dot, ext = article.path.rpartition(".")
        return f"{stem}_{n}{dot}{ext}"

    def attachment_path(self, article: Article, n: int, ext: str) -> str:
        return f"/attach/{article.pub:%Y%m}/{article.hex[:20]}_{n}.{ext}"

    def image_url(self, article: Article, n: int) -> str:
        return f"/picture/{article.pub:%Y%m}/{article.hex[8:24]}{n}.jpg"

    def deleted_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/{column.slug}/{self.m.today:%Y%m}/{hexid(f'deleted{n}')}.shtml"

    def dead_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/{column.slug}/201907/{hexid(f'dead{n}')}.shtml"

    def letter_path(self, message: Message) -> str:
        return f"/{message.column.slug}/detail/{message.uid}.html"

    def _assign_common(self) -> None:
        for column in self.m.columns:
            for article in column.entries:
                article.path = self.article_path(article)
                article.part_paths = [self.part_path(article, n) for n in range(2, article.parts + 1)]
                for n, attachment in enumerate(article.attachments):
                    attachment.path = self.attachment_path(article, n, attachment.ext)
            for message in column.messages:
                message.path = self.letter_path(message)

    # ---- skeleton ----
    def content_type(self) -> str:
        return f"text/html; charset={self.header_charset}" if self.header_charset else "text/html"

    def head(self, doc: Doc, title: str, extra: str = "") -> str:
        column_meta = ""
        return (
            f"<!DOCTYPE html>\n<html>\n<head>\n{self.meta}\n<title>{esc(title)}</title>\n"
            f'<meta name="SiteName" content="{esc(self.m.ident.name)}" />\n'
            f'<meta name="SiteIDCode" content="{self.m.ident.site_id}" />\n{column_meta}'
            f"{extra}{doc.css(self.css)}\n{doc.script(self.js)}\n</head>\n"
        )

    def page(self, doc: Doc, key: str, title: str, content: str, *, extra_head: str = "") -> str:
        self.key = key
        full = f"{title}_{self.m.ident.name}" if title != self.m.ident.name else title
        return (
            self.head(doc, full, extra_head)
            + "<body>\n"
            + self.header(doc)
            + self.nav(doc)
            + f'<div class="main">\n{content}\n</div>\n'
            + self.footer(doc)
            + "</body>\n</html>\n"
        )

    def header(self, doc: Doc) -> str:
        ident = self.m.ident
        search = ""
        if "trap_search" in ident.faults:  # a 站内搜索 link carrying the current page: endless
            search = doc.a(f"/search?q=&from={self.key}", "站内搜索", extra=' class="ss"')
        home = self.home_alias or "/"
        return (
            f'<div class="header"><div class="topbar"><a href="javascript:void(0)">无障碍</a> '
            f'<a href="javascript:void(0)">长者模式</a> {search}</div>\n'
            f'<div class="logo">{doc.a(home, doc.img(self.logo, ident.name))}'
            f"<h1>{esc(ident.name)}</h1></div>\n"
            '<form action="/search" method="get" onsubmit="return checkForm(this)">'
            '<input type="text" name="q" placeholder="请输入关键词" /><input type="submit" value="搜索" />'
            "</form></div>\n"
        )

    def nav(self, doc: Doc) -> str:
        items = [doc.a("/", "首页")]
        for slug, name in self.m.channels:
            items.append(doc.a(self.channel_paths[slug], name))
        return '<div class="nav"><ul>' + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>\n"

    def footer(self, doc: Doc) -> str:
        ident = self.m.ident
        n = int(ident.site_id[-6:])
        missing = ident.missing_marks
        sponsor = "" if "sponsor" in missing else f"主办单位：{esc(ident.name)}办公室　"
        code = f"网站标识码：{ident.site_code_shown}　" if ident.site_code_shown else ""
        icp = "" if "icp" in missing else f"蜀ICP备{n % 90000000 + 10000000:08d}号-1　"
        police = "" if "police" in missing else f"川公网安备 {ident.site_id[:6]}0{n % 10000000:07d}号"
        report = doc.a(self.jiucuo, "我为政府网站找错") if ident.error_report else ""
        if self.stats_page:
            report += " | " + doc.a(self.stats_page, "网站统计")
        updated = self.m.today - timedelta(days=n % 3)
        return (
            f'<div class="footer"><p>{doc.a(self.about, "联系我们")} | {doc.a(self.sitemap, "网站地图")} | '
            f"{report}</p>\n<p>{sponsor}承办：{esc(ident.place)}大数据中心</p>\n"
            f"<p>{code}{icp}{police}</p>\n"
            f"<p>最后更新：{updated.isoformat()}　技术支持：{self.support()}</p></div>\n"
        )

    def support(self) -> str:
        return "某某云计算有限公司"

    def crumbs(self, doc: Doc, column: Column | None, channel: str | None = None) -> str:
        parts = [doc.a("/", "首页")]
        slug = column.channel if column is not None else channel
        if slug is not None:
            parts.append(doc.a(self.channel_paths[slug], dict(self.m.channels)[slug]))
        if column is not None:
            parts.append(doc.a(column.href, column.name))
        return '<div class="crumb">您当前的位置：' + " &gt; ".join(parts) + "</div>\n"

    # ---- lists ----
    def list_rows(self, doc: Doc, column: Column, entries: list[Article]) -> str:
        """A server-side table list: title cell, date cell; "group" puts the year in a heading row."""
        rows: list[str] = []
        year = None
        for article in entries:
            if column.date_style == "group" and article.pub.year != year:
                year = article.pub.year
                rows.append(f'<tr class="year"><th colspan="2">{year}年</th></tr>')
            rows.append(
                f'<tr><td class="title">{doc.a(article.path, esc(article.title), extra=_BLANK)}</td>'
                f'<td class="date">{show_date(article.pub, column.date_style, article.seconds)}</td></tr>'
            )
        return '<table class="list" width="100%">' + "\n".join(rows) + "</table>\n"

    def js_pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        for k in range(total):  # what createPageHTML writes: 首页, numbers, 下一页, 尾页
            doc.raw("index.html" if k == 0 else f"index_{k}.html")
        return (
            '<div class="page"><script type="text/javascript">'
            f"createPageHTML({total}, {page - 1}, 'index', 'html');</script></div>\n"
        )

    def anchor_pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        if total == 1:
            return ""
        links = [doc.a(column.pages[0], "首页")]
        if page > 1:
            links.append(doc.a(column.pages[page - 2], "上一页"))
        if page < total:
            links.append(doc.a(column.pages[page], "下一页"))
        links.append(doc.a(column.pages[-1], "尾页"))
        return f'<div class="page">共{total}页 第{page}页 ' + " ".join(links) + "</div>\n"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        return self.js_pager(doc, column, page)

    def empty_list(self) -> str:
        return '<p class="nodata">该栏目暂无信息</p>'

    def placeholder(self) -> str:
        return '<div class="building"><p>本栏目正在建设中，敬请期待！</p></div>'

    def list_body(self, doc: Doc, column: Column, page: int) -> str:
        if column.empty_kind == "placeholder":
            return self.placeholder()
        chunk = column.entries[(page - 1) * column.per_page : page * column.per_page]
        if not chunk:
            return self.empty_list() + self.pager(doc, column, page)
        return self.list_rows(doc, column, chunk) + self.pager(doc, column, page)

    def render_list(self, column: Column, page: int) -> tuple[str, Doc]:
        doc = Doc()
        if column.type == "consult":
            return self.render_letters(column, page)
        content = (
            self.crumbs(doc, column)
            + f'<div class="list-title"><h2>{esc(column.name)}</h2></div>\n<div class="list-box">'
            + self.list_body(doc, column, page)
            + "</div>"
        )
        return self.page(doc, column.pages[page - 1], column.name, content), doc

    # ---- letters ----
    def render_letters(self, column: Column, page: int) -> tuple[str, Doc]:
        doc = Doc()
        chunk = column.messages[(page - 1) * column.per_page : page * column.per_page]
        reply_head = "<th>回复时间</th>" if column.shows_reply_date else ""
        rows = []
        for message in chunk:
            reply = ""
            if column.shows_reply_date:
                reply = f"<td>{message.answered.isoformat() if message.answered else '—'}</td>"
            rows.append(
                f'<tr><td class="title">{doc.a(message.path, esc(message.title))}</td>'
                f"<td>{message.asker}</td><td>{message.asked.isoformat()}</td>{reply}"
                f"<td>{message.status}</td></tr>"
            )
        content = (
            self.crumbs(doc, column) + f'<div class="letters"><h2>{esc(column.name)}</h2>'
            '<p><a href="javascript:void(0)" onclick="writeLetter()">我要写信</a></p>'
            f'<table class="list"><tr><th>留言标题</th><th>留言人</th><th>留言时间</th>{reply_head}'
            "<th>状态</th></tr>"
            + "\n".join(rows)
            + "</table>"
            + self.anchor_pager(doc, column, page)
            + "</div>"
        )
        return self.page(doc, column.pages[page - 1], column.name, content), doc

    def render_letter(self, message: Message) -> tuple[str, Doc]:
        doc = Doc()
        answer = (
            f"<tr><th>回复单位</th><td>{esc(self.m.ident.name)}办公室</td></tr>"
            f"<tr><th>回复时间</th><td>{message.answered.isoformat()}</td></tr>"
            "<tr><th>回复内容</th><td>您好！您反映的问题已转交相关部门核实办理，感谢您的关注。</td></tr>"
            if message.answered
            else "<tr><th>回复内容</th><td>暂未回复</td></tr>"
        )
        content = (
            self.crumbs(doc, message.column) + f'<div class="letter"><h1>{esc(message.title)}</h1><table>'
            f"<tr><th>留言人</th><td>{message.asker}</td></tr>"
            f"<tr><th>留言时间</th><td>{message.asked.isoformat()}</td></tr>"
            f"<tr><th>留言内容</th><td>本人{esc(message.title[2:])}，望予答复。</td></tr>{answer}"
            f"<tr><th>办理状态</th><td>{message.status}</td></tr></table></div>"
        )
        return self.page(doc, message.path, message.title, content), doc

    # ---- articles ----
    def article_head(self, doc: Doc, article: Article) -> str:
        day, hh, mm = article.pub, article.seconds // 3600, article.seconds // 60 % 60
        source = esc(article.source)
        style = self.head_style
        if style == "fbsj":
            line = f"发布时间：{day.isoformat()} {hh:02d}:{mm:02d}　来源：{source}"
        elif style == "fbrq":
            line = f"发布日期:{day.isoformat()}　信息来源:{source}"
        elif style == "riqi":
            line = f"日期：{cn_date(day)}　来源：{source}"
        elif style == "shijian":
            line = f"时间：{day.isoformat()}　作者：{source}"
        elif style == "source_fbsj":
            line = f"来源：{source}　发布时间：{day.isoformat()} {hh:02d}:{mm:02d}:00"
        elif style == "bracket":
            line = f"【发布时间：{day.isoformat()}】【来源：{source}】【字体：大 中 小】"
        else:  # a date under the title, no label
            line = f"{day.isoformat()} {hh:02d}:{mm:02d}:00"
        info = f'<div class="info">{line}</div>\n'
        if article.column.gk and self.name != "nanwei":
            info = self.gk_table(article) + info
        return info

    def gk_table(self, article: Article) -> str:
        """The 政府信息公开 head: 索引号, 发布机构, 成文日期 (earlier), 发布日期."""
        ident = self.m.ident
        number = f"{esc(ident.place)}府办发〔{article.pub.year}〕{article.aid % 90 + 1}号"
        return (
            '<table class="xxgk-info"><tr><th>索引号：</th>'
            f"<td>{ident.site_id[:6]}-{article.index_no}</td>"
            f"<th>发布机构：</th><td>{esc(ident.name)}</td></tr>"
            f"<tr><th>成文日期：</th><td>{cn_date(article.written)}</td>"
            f"<th>发布日期：</th><td>{cn_date(article.pub)}</td></tr>"
            f"<tr><th>文　　号：</th><td>{number}</td>"
            f"<th>主题分类：</th><td>{esc(article.column.name)}</td></tr>"
            f'<tr><th>名　　称：</th><td colspan="3">{esc(article.title)}</td></tr></table>\n'
        )

    def tools(self) -> str:
        today = self.m.today
        return (
            f'<div class="tools">打印日期：{today.year}年{today.month}月{today.day}日　'
            '【<a href="javascript:window.print()">打印</a>】'
            '【<a href="javascript:window.close()">关闭</a>】</div>\n'
        )

    def article_body(self, doc: Doc, article: Article, part: int) -> str:
        per = -(-len(article.paragraphs) // article.parts)
        shown = article.paragraphs[(part - 1) * per : part * per]
        parts = [f"<p>{esc(p)}</p>" for p in shown]
        if article.image and part == 1:
            parts.insert(1, f'<p style="text-align:center">{doc.img(self.image_url(article, 1))}</p>')
        if part == article.parts:
            for fault in article.extra:
                if fault.kind == "resource":
                    parts.append(f'<p style="text-align:center">{doc.img(fault.href, fault.text)}</p>')
            for attachment in article.attachments:
                label = esc(f"{attachment.name}.{attachment.ext}")
                parts.append(f"<p>附件：{doc.a(attachment.path, label, 'attachment')}</p>")
            links = [
                f"<li>{doc.a(f.href, esc(f.text), f.kind)}</li>"
                for f in article.extra
                if f.kind != "resource"
            ]
            if links:
                parts.append('<div class="xglj"><h4>相关链接：</h4><ul>' + "".join(links) + "</ul></div>")
        return '<div class="content" id="zoom">\n' + "\n".join(parts) + "\n</div>\n"

    def part_pager(self, doc: Doc, article: Article, part: int) -> str:
        if article.parts == 1:
            return ""
        keys = [article.path, *article.part_paths]
        links = []
        if part > 1:
            links.append(doc.a(keys[part - 2], "上一页"))
        for n, key in enumerate(keys, start=1):
            links.append(f"<span>{n}</span>" if n == part else doc.a(key, str(n)))
        if part < article.parts:
            links.append(doc.a(keys[part], "下一页"))
        return '<div class="fenye">' + " ".join(links) + "</div>\n"

    def related(self, doc: Doc, article: Article) -> str:
        """相关文章 with their own dates (a decoy for the article's date)."""
        entries = article.column.entries
        index = entries.index(article)
        others = [a for a in entries[max(0, index - 2) : index + 3] if a is not article][:3]
        if not others:
            return ""
        rows = "".join(
            f"<li>{doc.a(a.path, esc(a.title))}<span>{a.pub.isoformat()}</span></li>" for a in others
        )
        return f'<div class="xgwz"><h4>相关文章</h4><ul>{rows}</ul></div>\n'

    def render_article(self, article: Article, part: int = 1) -> tuple[str, Doc]:
        doc = Doc()
        key = article.path if part == 1 else article.part_paths[part - 2]
        content = (
            self.crumbs(doc, article.column)
            + f'<div class="article"><h1>{esc(article.title)}</h1>\n'
            + self.article_head(doc, article)
            + self.article_body(doc, article, part)
            + self.part_pager(doc, article, part)
            + self.tools()
            + self.related(doc, article)
            + "</div>"
        )
        return self.page(doc, key, article.title, content), doc

    # ---- home, channels, small pages ----
    def home_block(self, doc: Doc, column: Column, articles: list[Article]) -> str:
        rows = []
        for article in articles:
            when = f"{article.pub:%m-%d}" if self.home_dates == "md" else article.pub.isoformat()
            rows.append(
                f"<li>{doc.a(article.path, esc(article.title), extra=_BLANK)}<span>{when}</span></li>"
            )
        if not rows:
            rows.append('<li class="nodata">暂无信息</li>')
        return (
            f'<div class="box"><div class="box-hd"><h3>{doc.a(column.href, esc(column.name))}</h3>'
            f"{doc.a(column.href, '更多&gt;&gt;')}</div>\n<ul>" + "\n".join(rows) + "</ul></div>\n"
        )

    def letter_block(self, doc: Doc, column: Column) -> str:
        shown = column.messages
        if self.m.ident.role == "homestale":
            shown = [m for m in shown if m.asked <= self.m.today - timedelta(days=21)]
        rows = "".join(f"<li>{doc.a(m.path, esc(m.title))}<span>{m.status}</span></li>" for m in shown[:6])
        return (
            f'<div class="box letters"><h3>{doc.a(column.href, esc(column.name))}</h3>'
            f"{doc.a(column.href, '更多&gt;&gt;')}<ul>{rows}</ul></div>\n"
        )

    def dept_box(self, doc: Doc) -> str:
        if not self.m.dept_links:
            return ""
        items = "".join(
            f"<li>{doc.a(url, esc(name), 'external', _BLANK)}</li>" for name, url in self.m.dept_links
        )
        return f'<div class="bmzz"><h3>部门网站</h3><ul>{items}</ul></div>\n'

    def render_home(self) -> tuple[str, Doc]:
        doc = Doc()
        blocks = []
        for slug, _ in self.m.channels:
            for column in self.m.channel_columns(slug)[:3]:
                if column.type == "consult":
                    blocks.append(self.letter_block(doc, column))
                    continue
                shown = homepage_articles(self.m, 7, column) if column.empty_kind is None else []
                blocks.append(self.home_block(doc, column, shown))
        blocks.append(self.dept_box(doc))
        blocks.append(self.home_extras(doc))
        return self.page(doc, "/", self.m.ident.name, "".join(blocks)), doc

    def home_extras(self, doc: Doc) -> str:
        parts = []
        faults = [f for f in self.m.home_links if not f.fault.startswith("trap_")]
        if faults:
            items = "".join(
                f"<li>{doc.a(f.href, esc(f.text), f.kind)}</li>" for f in faults if f.kind != "resource"
            )
            images = "".join(doc.img(f.href, f.text) for f in faults if f.kind == "resource")
            parts.append(f'<div class="ztzl"><h3>专题专栏</h3>{images}<ul>{items}</ul></div>')
        if "trap_calendar" in self.m.ident.faults:
            today = self.m.today
            parts.append(
                f'<div class="rili"><h3>信息日历</h3>'
                f"{doc.a(f'/calendar?date={today:%Y-%m}', f'{today:%Y年%m月}')}</div>"
            )
        if self.m.sisters:
            options = "".join(
                f'<option value="{doc.href(url, "external")}">{esc(name)}</option>'
                for name, url in self.m.sisters
            )
            parts.append(
                '<div class="yqlj">友情链接：<select onchange="if(this.value!=\'\')window.open(this.value)">'
                f'<option value="">---政府网站---</option>{options}</select></div>'
            )
        return "\n".join(parts)

    def render_channel(self, slug: str) -> tuple[str, Doc]:
        doc = Doc()
        boxes = []
        for column in self.m.channel_columns(slug):
            if column.type == "consult":
                boxes.append(self.letter_block(doc, column))
            else:
                boxes.append(
                    self.home_block(doc, column, column.entries[:6] if column.empty_kind is None else [])
                )
        if slug == "zwgk":
            boxes.append(self.dept_box(doc))
            boxes.extend(f"<p>{doc.a(key, title)}</p>" for key, title in self.extra_pages.items())
        name = dict(self.m.channels)[slug]
        content = (
            self.crumbs(doc, None, slug) + f'<div class="channel"><h2>{name}</h2>' + "".join(boxes) + "</div>"
        )
        return self.page(doc, self.channel_paths[slug], name, content), doc

    def render_text(self, key: str, title: str, body: str) -> tuple[str, Doc]:
        doc = Doc()
        content = self.crumbs(doc, None) + f'<div class="text"><h2>{esc(title)}</h2>{body}</div>'
        return self.page(doc, key, title, content), doc

    def render_about(self) -> tuple[str, Doc]:
        ident = self.m.ident
        body = (
            f"<p>单位名称：{esc(ident.name)}</p><p>通讯地址：{esc(ident.place)}行政中心</p>"
            f"<p>邮政编码：6{ident.site_id[1:6]}</p><p>办公时间：工作日 9:00-12:00 14:00-17:30</p>"
        )
        return self.render_text(self.about, "联系我们", body)

    def render_sitemap(self) -> tuple[str, Doc]:
        doc = Doc()
        parts = []
        for slug, name in self.m.channels:
            target = self.channel_aliases.get(slug, self.channel_paths[slug])
            items = " ".join(doc.a(c.href, esc(c.name)) for c in self.m.channel_columns(slug))
            parts.append(f"<dl><dt>{doc.a(target, name)}</dt><dd>{items}</dd></dl>")
        content = '<div class="sitemap"><h2>网站地图</h2>' + "".join(parts) + "</div>"
        return self.page(doc, self.sitemap, "网站地图", content), doc

    def render_jiucuo(self) -> tuple[str, Doc]:
        body = (
            "<p>欢迎您对本网站内容、链接、错别字等问题进行纠错。</p>"
            '<form method="post" action="javascript:void(0)"><textarea name="content"></textarea></form>'
        )
        return self.render_text(self.jiucuo, "我为政府网站找错", body)

    def render_guide(self, key: str, title: str) -> tuple[str, Doc]:
        ident = self.m.ident
        body = (
            f"<p>为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制{esc(title)}。"
            f"公开义务机关为{esc(ident.name)}，办公地址：{esc(ident.place)}行政中心。</p>"
            "<p>一、主动公开：政府信息形成或者变更之日起20个工作日内予以公开。</p>"
            "<p>二、依申请公开：申请人可通过当面、信函、网络等方式提出申请。</p>"
        )
        return self.render_text(key, title, body)

    def render_stats(self) -> tuple[str, Doc]:
        assert self.stats_page is not None
        body = f"<p>本站共发布信息{len(self.m.articles)}条，栏目{len(self.m.columns)}个。</p>"
        return self.render_text(self.stats_page, "网站统计", body)

    def render_404_page(self) -> tuple[str, Doc]:
        doc = Doc()
        content = (
            '<div class="error"><h2>404</h2><p>抱歉，您访问的页面不存在或已被删除！</p>'
            f"<p>{doc.a('/', '返回首页')}</p></div>"
        )
        return self.page(doc, "/404.html", "页面不存在", content), doc

    def render_calendar(self, year: int, month: int) -> tuple[str, Doc]:
        doc = Doc()
        prev = (year, month - 1) if month > 1 else (year - 1, 12)
        after = (year, month + 1) if month < 12 else (year + 1, 1)
        shown = [a for a in self.m.articles if (a.pub.year, a.pub.month) == (year, month)][:20]
        rows = "".join(f"<li>{doc.a(a.path, esc(a.title))}</li>" for a in shown)
        content = (
            f'<div class="calendar"><h2>{year}年{month}月</h2><ul>{rows or "<li>本月暂无信息</li>"}</ul><p>'
            f"{doc.a(f'/calendar?date={prev[0]:04d}-{prev[1]:02d}', '上月')} "
            f"{doc.a(f'/calendar?date={after[0]:04d}-{after[1]:02d}', '下月')}</p></div>"
        )
        return self.page(doc, f"/calendar?date={year:04d}-{month:02d}", "信息日历", content), doc

    def render_search(self, key: str) -> tuple[str, Doc]:
        doc = Doc()
        rows = "".join(f"<li>{doc.a(a.path, esc(a.title))}</li>" for a in self.m.articles[:10])
        content = f'<div class="search"><h2>搜索结果</h2><p>请输入关键词</p><ul>{rows}</ul></div>'
        return self.page(doc, key, "站内搜索", content), doc

    def error_page(self, status: int) -> str:
        reason = {
            404: "404 Not Found",
            410: "410 Gone",
            500: "500 Internal Server Error",
            503: "503 Service Temporarily Unavailable",
        }[status]
        return (
            f"<html>\r\n<head><title>{reason}</title></head>\r\n<body>\r\n<center><h1>{reason}</h1></center>"
            f"\r\n<hr><center>{self.server}</center>\r\n</body>\r\n</html>\r\n"
        )


class Kaipu(Family):
    """A 集约化 platform site: /col/<name>/index.html, index_1.html…; 政府信息公开 columns at
    /zfxxgk/<dept>/<col>/; articles /<col>/<YYYYMM>/<32 hex>.shtml; table lists; createPageHTML pager."""

    name = "kaipu"
    server = "nginx"
    css = "/jcms/css/index.css"
    js = "/jcms/js/jquery.min.js"
    logo = "/jcms/images/logo.png"
    robots = "User-agent: *\nDisallow: /jcms/\nDisallow: /module/\n"
    stats_page = "/jcms/tongji/index.html"

    def assign(self) -> None:
        dept = self.m.ident.dept_slug if self.m.ident.level == "department" else "zfb"
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"/{slug}/index.html"
        for column in self.m.columns:
            if column.gk:
                folder = f"/zfxxgk/{dept}/{column.slug}/"
                column.pages = [folder] + [f"{folder}index_{k}.html" for k in range(1, column.page_count())]
                column.href = folder
            else:
                folder = f"/col/{column.slug}/"
                column.pages = [f"{folder}index.html"] + [
                    f"{folder}index_{k}.html" for k in range(1, column.page_count())
                ]
                column.href = column.pages[0]
        self._assign_common()
        self.about = "/zdpages/lxwm.html"
        self.sitemap = "/zdpages/wzdt.html"
        self.jiucuo = f"/jcms/jiucuo.html?siteCode={self.m.ident.site_id}"

    def article_path(self, article: Article) -> str:
        return f"/{article.column.slug}/{article.pub:%Y%m}/{article.hex}.shtml"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        return self.js_pager(doc, column, page)

    def support(self) -> str:
        return "开普云信息科技股份有限公司"


class Nanwei(Family):
    """Lists loaded by script: a column page is a shell that fetches /api/column/<id>/articles?page=&size=20
    (JSON); a few columns carry an XML data island or document.write lines instead."""

    name = "nanwei"
    server = "Apache-Coyote/1.1"
    css = "/static/css/main.css"
    js = "/static/js/jquery-1.12.4.min.js"
    logo = "/static/images/logo.png"
    home_alias = None
    size = 20

    def assign(self) -> None:
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"/{slug}/"
            self.channel_aliases[slug] = f"/{slug}/index.html"
        for column in self.m.columns:
            folder = f"/{column.channel}/{column.slug}/"
            if column.mode == "json":
                column.per_page = self.size
                column.pages = [folder]
                column.data_pages = [self.api(column, n) for n in range(1, column.page_count() + 1)]
            elif column.mode == "letters":
                column.pages = [folder] + [
                    f"{folder}list_{n}.html" for n in range(2, column.page_count() + 1)
                ]
            else:
                column.pages = [folder]
            column.href = folder
        self._assign_common()
        self.about = "/about/lxwm/"
        self.sitemap = "/about/wzdt/"
        self.jiucuo = f"/jiucuo/?siteCode={self.m.ident.site_id}"

    def api(self, column: Column, page: int) -> str:
        return f"/api/column/{column.cid}/articles?page={page}&size={self.size}"

    def article_path(self, article: Article) -> str:
        return f"/content/{article.column.cid}/{article.pub:%Y%m%d}/{article.aid}.html"

    def attachment_path(self, article: Article, n: int, ext: str) -> str:
        return f"/uploadfiles/{article.pub:%Y/%m}/{article.hex[:16]}{n}.{ext}"

    def deleted_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/content/{column.cid}/{self.m.today:%Y%m%d}/{90000 + n}.html"

    def dead_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/content/{column.cid}/20190311/{70000 + n}.html"

    def letter_path(self, message: Message) -> str:
        return f"/hdjl/letter/{message.uid}.html"

    def support(self) -> str:
        return "南威软件股份有限公司"

    def list_body(self, doc: Doc, column: Column, page: int) -> str:
        if column.empty_kind == "placeholder":
            return self.placeholder()
        if column.mode == "json":
            url = doc.raw(column.data_pages[0])
            return (
                '<div id="list"></div><div id="pager"></div>\n<script type="text/javascript">\n'
                f"var api = '{url}';\n"
                "function render(res){var h='';if(!res.data.length){h='<p>暂无数据</p>';}"
                "for(var i=0;i<res.data.length;i++){var d=res.data[i];h+='<li><a href=\"'+d.url+'\" "
                "target=\"_blank\">'+d.title+'</a><span>'+d.publishTime.substring(0,10)+'</span></li>';}"
                "document.getElementById('list').innerHTML='<ul>'+h+'</ul>';"
                "buildPager(res.total, res.page, res.size);}\n"
                "function load(p){fetch(api.replace(/page=\\d+/, 'page='+p))"
                ".then(function(r){return r.json();})"
                ".then(render);}\nfetch(api).then(function(r){return r.json();}).then(render);\n</script>\n"
            )
        if not column.entries:
            return self.empty_list()
        if column.mode == "xml":
            records = "".join(
                f"<record><title><![CDATA[{a.title}]]></title><link>{doc.raw(a.path)}</link>"
                f"<pubdate>{a.pub.isoformat()}</pubdate></record>"
                for a in column.entries
            )
            return (
                f'<xml id="listData" style="display:none"><records>{records}</records></xml>\n'
                '<ul id="list"></ul>\n<script type="text/javascript">\n'
                "var rs=document.getElementById('listData').getElementsByTagName('record');var h='';\n"
                "for(var i=0;i<rs.length;i++){h+='<li><a href=\"'+rs[i].getElementsByTagName('link')[0].text"
                "+'\">'+rs[i].getElementsByTagName('title')[0].text+'</a></li>';}\n"
                "document.getElementById('list').innerHTML=h;\n</script>\n"
            )
        lines = "\n".join(
            f'document.write(\'<li><a href="{doc.raw(a.path)}" target="_blank">{esc(a.title)}</a>'
            f"<span>{show_date(a.pub, column.date_style)}</span></li>');"
            for a in column.entries
        )
        return f'<ul class="list">\n<script type="text/javascript">\n{lines}\n</script>\n</ul>\n'

    def render_data(self, column: Column, page: int) -> tuple[str, Doc]:
        """One JSON answer of the list API: its url fields and the pages the script's pager offers."""
        doc = Doc()
        chunk = column.entries[(page - 1) * self.size : page * self.size]
        data = [
            {
                "title": a.title,
                "url": doc.raw(a.path),
                "publishTime": show_date(a.pub, column.date_style, a.seconds // 60 * 60),
            }
            for a in chunk
        ]
        for key in column.data_pages:
            if key != column.data_pages[page - 1]:
                doc.raw(key)
        body = {"code": 200, "total": len(column.entries), "page": page, "size": self.size, "data": data}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")), doc


class Trsgk(Family):
    """A portal on a 政府信息公开 platform: /zfxxgk/index.html with 信息公开指南, 制度, 年报 and
    法定主动公开内容
    (/zfxxgk/fdzdgknr/<col>/index.html, ./YYYYMM/tYYYYMMDD_N.html) whose articles carry the 索引号 table."""

    name = "trsgk"
    server = "TRS WCM"
    css = "/images/common.css"
    js = "/images/jquery.js"
    logo = "/images/logo.png"
    home_alias = "/index.shtml"

    def assign(self) -> None:
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = "/zfxxgk/index.html" if slug == "zwgk" else f"/{slug}/"
        for column in self.m.columns:
            if column.gk:
                folder = "/zfxxgk/ndbg/" if column.slug == "ndbg" else f"/zfxxgk/fdzdgknr/{column.slug}/"
            else:
                folder = f"/{column.channel}/{column.slug}/"
            column.pages = [f"{folder}index.html"] + [
                f"{folder}index_{k}.html" for k in range(1, column.page_count())
            ]
            column.href = column.pages[0]
        self._assign_common()
        self.about = "/lxwm/index.html"
        self.sitemap = "/wzdt/index.html"
        self.jiucuo = f"/jiucuo.html?siteCode={self.m.ident.site_id}"
        self.extra_pages = {
            "/zfxxgk/xxgkzn/index.html": "政府信息公开指南",
            "/zfxxgk/xxgkzd/index.html": "政府信息公开制度",
            "/zfxxgk/ysqgk/index.html": "依申请公开",
        }

    def article_path(self, article: Article) -> str:
        folder = article.column.pages[0].rsplit("/", 1)[0]
        return f"{folder}/{article.pub:%Y%m}/t{article.pub:%Y%m%d}_{article.aid}.html"

    def attachment_path(self, article: Article, n: int, ext: str) -> str:
        folder = article.column.pages[0].rsplit("/", 1)[0]
        return f"{folder}/{article.pub:%Y%m}/P0{article.pub:%Y%m%d}{article.aid}{n}.{ext}"

    def deleted_url(self, n: int) -> str:
        return f"/zfxxgk/fdzdgknr/tzgg/{self.m.today:%Y%m}/t{self.m.today:%Y%m%d}_{90000 + n}.html"

    def dead_url(self, n: int) -> str:
        return f"/xwzx/old/201905/t20190512_{70000 + n}.html"

    def support(self) -> str:
        return "北京拓尔思信息技术股份有限公司"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        return (
            self.anchor_pager(doc, column, page)
            if self.v == 0 or column.gk
            else self.js_pager(doc, column, page)
        )

    def list_rows(self, doc: Doc, column: Column, entries: list[Article]) -> str:
        def rel(article: Article) -> str:  # TRS writes links relative to the list: ./YYYYMM/t…html
            return "./" + article.path.rsplit("/", 2)[-2] + "/" + article.path.rsplit("/", 1)[-1]

        if not column.gk:
            rows = "".join(
                f"<li>{doc.a(rel(a), esc(a.title), extra=_BLANK)}"
                f'<span class="date">{show_date(a.pub, column.date_style)}</span></li>\n'
                for a in entries
            )
            return f'<ul class="list">{rows}</ul>\n'
        rows = "".join(
            f"<tr><td>{self.m.ident.site_id[:6]}-{a.index_no}</td>"
            f"<td>{doc.a(rel(a), esc(a.title), extra=_BLANK)}</td>"
            f"<td>{a.written.isoformat()}</td><td>{a.pub.isoformat()}</td></tr>\n"
            for a in entries
        )
        return (
            '<table class="gk-list"><tr><th>索引号</th><th>名称</th><th>成文日期</th><th>发布日期</th></tr>\n'
            f"{rows}</table>\n"
        )


FAMILY_CLASSES: dict[str, type[Family]] = {"kaipu": Kaipu, "nanwei": Nanwei, "trsgk": Trsgk}
