"""The markup every world c family shares (head, header, menu, footer, lists, articles), with hooks the
families (scripts/worldc/families.py) override: URL schemes, pagers, list items, article info lines."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scripts.farm.doc import Doc, esc
from scripts.worldc.model import homepage_articles
from scripts.worldc.text import show_date

if TYPE_CHECKING:
    from scripts.worldc.model import Article, Column, Message, SiteModel

# encoding variant → (bytes codec, charset in the HTTP header, what the page declares in its head)
ENCODING_VARIANTS: dict[str, tuple[str, str | None, str]] = {
    "utf8": ("utf-8", "utf-8", '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'),
    "gb2312-meta": ("gbk", None, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'),
    "gbk-none": ("gbk", None, ""),
    "utf8-misspelled": ("utf-8", None, '<meta charset="utf8">'),
    "xml-prolog": ("gbk", None, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'),
    "conflict-utf8": (
        "utf-8",
        "utf-8",
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />',
    ),
    "conflict-gbk": ("gbk", "gbk", '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'),
}
META_LABEL = {
    "utf8": "utf-8",
    "gb2312-meta": "gb2312",
    "gbk-none": None,
    "utf8-misspelled": "utf8",
    "xml-prolog": "gb2312",
    "conflict-utf8": "gb2312",
    "conflict-gbk": "utf-8",
}
_XHTML = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">'
)
_BLANK = ' target="_blank"'
SOFT_MESSAGES = [
    "对不起，您要查看的文章不存在或已被删除！",
    "参数错误！",
    "该信息已过期，无法查看。",
    "对不起，您要查看的信息不存在！",
]


def md5(value: str) -> str:
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


class Family:
    """One CMS family: where things live and how pages look. Subclasses set the URL scheme."""

    name = ""
    server = "nginx/1.12.2"
    powered: str | None = None
    iis = False  # paths (and query names) answered case-insensitively
    css = "/css/style.css"
    js = "/js/jquery.js"
    logo = "/images/logo.png"
    list_class = "list"

    def __init__(self, model: SiteModel, host: str) -> None:
        self.m = model
        self.host = host
        self.v = model.ident.variant
        self.codec, self.header_charset, self.meta = ENCODING_VARIANTS[model.ident.encoding]
        self.channel_paths: dict[str, str] = {}
        self.about = ""
        self.sitemap = ""
        self.home_keys = ["/"]  # the home page and the pages it frames or sends a browser to
        self.home_date_style = ["iso", "short", "bracket"][model.rng.randrange(3)]

    # ---- URL scheme (families override) ----
    def assign(self) -> None:
        raise NotImplementedError

    def deleted_url(self, n: int) -> str:
        raise NotImplementedError

    def dead_url(self, n: int) -> str:
        raise NotImplementedError

    def attachment_dir(self, article: Article) -> str:
        return f"/uploads/{article.pub:%Y%m}/"

    def image_url(self, article: Article, n: int) -> str:
        return f"/uploads/image/{article.pub:%Y%m%d}/{article.aid}{n}.jpg"

    def search_url(self, keyword: str, page: int) -> str:
        return f"/search.php?keyword={keyword}&page={page}"

    # ---- page skeleton ----
    def content_type(self) -> str:
        return f"text/html; charset={self.header_charset}" if self.header_charset else "text/html"

    def prolog(self) -> str:
        return '<?xml version="1.0" encoding="gb2312"?>\n' if self.m.ident.encoding == "xml-prolog" else ""

    def head(self, doc: Doc, title: str, extra: str = "") -> str:
        prolog = self.prolog()
        doctype = _XHTML if self.v != 1 or self.name == "zhanqun" else "<!DOCTYPE html>\n<html>"
        return (
            f"{prolog}{doctype}\n<head>\n{self.meta}\n<title>{esc(title)}</title>\n"
            f'<meta name="keywords" content="{esc(self.m.ident.name)}" />\n'
            f"{extra}{doc.css(self.css)}\n{doc.script(self.js)}\n</head>\n"
        )

    def page(self, doc: Doc, title: str, content: str, *, extra_head: str = "") -> str:
        full_title = f"{title}_{self.m.ident.name}" if title != self.m.ident.name else title
        return (
            self.head(doc, full_title, extra_head)
            + '<body>\n<a name="top" id="top"></a>\n'
            + self.header(doc)
            + self.nav(doc)
            + f'<div class="main">\n{content}\n</div>\n'
            + self.footer(doc)
            + "</body>\n</html>\n"
        )

    def header(self, doc: Doc) -> str:
        ident = self.m.ident
        banner = ""
        if self.v == 2:
            today = self.m.today
            banner = f'<span class="today">今天是：{today.year}年{today.month}月{today.day}日</span>'
        return (
            f'<div class="top"><div class="topbar">{banner}<a href="javascript:void(0)" '
            f"onclick=\"this.style.behavior='url(#default#homepage)';this.setHomePage(location.href);\">设为首页</a>"
            ' | <a href="javascript:void(0)" onclick="window.ex'
            'ternal.addFavorite(location.href,document.title)">'
            f'加入收藏</a> | <a href="#">无障碍浏览</a></div>\n'
            f'<div class="logo">{doc.img(self.logo, ident.name)}<h1>{esc(ident.name)}</h1></div>\n'
            f'<form action="{esc(self.search_action())}" method="get" name="formsearch">'
            f'<input type="text" name="keyword" value="请输入关键字" /><input type="submit" value="搜索" />'
            f"</form></div>\n"
        )

    def search_action(self) -> str:
        return "/search.php"

    def nav(self, doc: Doc) -> str:
        items = [doc.a("/", "首页")]
        for slug, name in self.m.channels:
            items.append(doc.a(self.channel_paths[slug], name))
        items.append(doc.a(self.about, "联系我们"))
        return '<div class="nav"><ul>' + "".join(f"<li>{i}</li>" for i in items) + "</ul></div>\n"

    def footer(self, doc: Doc) -> str:
        ident = self.m.ident
        rng_seed = int(ident.site_id[-6:])
        return (
            f'<div class="footer"><p>{doc.a(self.about, "联系我们")} | {doc.a(self.sitemap, "网站地图")} | '
            f'<a href="#top">返回顶部</a> | <a href="mailto:zfb{rng_seed % 997}@163.com">联系邮箱</a></p>\n'
            f"<p>主办单位：{esc(ident.name)}办公室　承办：{esc(ident.place)}信息中心　"
            f'联系电话：<a href="tel:0839-{5500000 + rng_seed % 99999}'
            f'">0839-{5500000 + rng_seed % 99999}</a></p>\n'
            f"<p>网站标识码：{ident.site_id}　蜀ICP备{rng_seed % 90000000 + 10000000:08d}号　"
            f"川公网安备 {ident.site_id[:6]}0{rng_seed % 10000000:07d}号</p>\n"
            f"<p>技术支持：{self.support()}　建议使用1024×768分辨率 IE8.0以上浏览器</p></div>\n"
        )

    def support(self) -> str:
        return "四川某某网络科技有限公司"

    # ---- shared building blocks ----
    def crumbs(self, doc: Doc, column: Column | None, channel: str | None = None) -> str:
        parts = [doc.a("/", "首页")]
        slug = column.channel if column is not None else channel
        if slug is not None:
            parts.append(doc.a(self.channel_paths[slug], dict(self.m.channels)[slug]))
        if column is not None:
            parts.append(doc.a(column.href, column.name))
        return '<div class="position">当前位置：' + " &gt; ".join(parts) + "</div>\n"

    def entry_date(self, article: Article, style: str) -> str:
        return show_date(article.pub, style, article.seconds)

    def link_to(self, article: Article, where: str) -> str:
        """How a page of kind `where` (home | list | channel | related) writes the link to an article."""
        del where
        return article.href

    def column_link(self, column: Column, where: str) -> str:
        del where
        return column.href

    def home_block(self, doc: Doc, column: Column, articles: list[Article], where: str = "home") -> str:
        rows = []
        for article in articles:
            when = (
                show_date(article.pub, self.home_date_style)
                if self.home_date_style != "short"
                else f"{article.pub:%m-%d}"
            )
            rows.append(
                f"<li>{doc.a(self.link_to(article, where), esc(article.title), extra=_BLANK)}"
                f'<span class="date">{when}</span></li>'
            )
        if not rows:
            rows.append('<li class="none">暂无内容</li>')
        return (
            '<div class="box"><div class="box-title"><h3'
            f">{doc.a(self.column_link(column, where), column.name)}</h3>"
            f'<span class="more">{doc.a(self.column_link(column, where), "更多&gt;&gt;")}</span></div>\n<ul>'
            + "\n".join(rows)
            + "</ul></div>\n"
        )

    def list_items(self, doc: Doc, column: Column, entries: list[Article]) -> str:
        """Entries of one list page: dates in the column's style, year headings for "group"."""
        rows: list[str] = []
        year = None
        for article in entries:
            if column.date_style == "group" and article.pub.year != year:
                year = article.pub.year
                rows.append(f'</ul><h4 class="year">{year}年</h4><ul class="{self.list_class}">')
            flag = '<span class="top">[置顶]</span>' if article.pinned else ""
            when = self.entry_date(article, column.date_style)
            date_html = f'<span class="date">{when}</span>' if when else ""
            rows.append(
                f"<li>{flag}{doc.a(self.link_to(article, 'list'), esc(article.title), extra=_BLANK)}"
                f"{date_html}</li>"
            )
        return f'<ul class="{self.list_class}">' + "\n".join(rows) + "</ul>\n"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        if total == 1:
            return ""
        links = [doc.a(column.pages[0], "首页")]
        if page > 1:
            links.append(doc.a(column.pages[page - 2], "上一页"))
        if page < total:
            links.append(doc.a(column.pages[page], "下一页"))
        links.append(doc.a(column.pages[-1], "尾页"))
        return f'<div class="page">共{total}页 当前第{page}页 ' + " ".join(links) + "</div>\n"

    def empty_list(self) -> str:
        return [
            '<p class="none">暂无内容</p>',
            '<p class="none">没有找到相关信息！</p>',
            '<p class="none">该栏目下暂无信息</p>',
        ][self.v]

    def placeholder(self) -> str:
        return '<div class="building"><p>本栏目正在建设中，敬请期待……</p></div>'

    def list_content(self, doc: Doc, column: Column, page: int) -> str:
        if column.empty_kind == "placeholder":
            return self.crumbs(doc, column) + self.placeholder()
        listed = column.listed()
        chunk = listed[(page - 1) * column.per_page : page * column.per_page]
        body = self.list_items(doc, column, chunk) if chunk else self.empty_list()
        return (
            self.crumbs(doc, column)
            + f'<div class="list-title"><h2>{column.name}</h2></div>\n'
            + body
            + self.pager(doc, column, page)
        )

    def render_list(self, column: Column, page: int) -> tuple[str, Doc]:
        doc = Doc()
        return self.page(doc, column.name, self.list_content(doc, column, page)), doc

    def render_channel(self, slug: str) -> tuple[str, Doc]:
        doc = Doc()
        boxes = [
            self.letter_block(doc, c)
            if c.type == "consult"
            else self.home_block(doc, c, c.entries[:6] if c.empty_kind is None else [], "channel")
            for c in self.m.channel_columns(slug)
        ]
        name = dict(self.m.channels)[slug]
        content = (
            self.crumbs(doc, None, slug) + f'<div class="channel"><h2>{name}</h2>' + "".join(boxes) + "</div>"
        )
        return self.page(doc, name, content), doc

    def article_info(self, doc: Doc, article: Article) -> str:
        return (
            f'<div class="info">发布时间：{article.pub.isoformat()} 来源：{esc(article.source)} '
            f"浏览次数：{article.views}</div>\n"
        )

    def article_tools(self, doc: Doc, article: Article) -> str:
        tools = [
            '<a href="javascript:window.print()">【打印本页】</a>',
            '<a href="javascript:window.close()">【关闭窗口】</a>',
        ]
        if "print" in self.m.features:
            join = "&" if "?" in article.path else "?"
            tools = [
                doc.a(f"{article.path}{join}print=1", "【打印】"),
                "字号：" + doc.a(f"{article.path}{join}fontsize=16", "大"),
                '<a href="javascript:doZoom(14)">中</a>',
                '<a href="javascript:doZoom(12)">小</a>',
            ]
        return '<div class="tools">' + " ".join(tools) + "</div>\n"

    def article_body(self, doc: Doc, article: Article) -> str:
        parts = [f"<p>{esc(p)}</p>" for p in article.paragraphs]
        if article.aid % 4 == 0:
            parts.insert(
                1,
                f'<p style="text-align:center">{doc.img(self.image_url(article, 1), article.title[:10])}</p>',
            )
        for fault in article.extra:
            if fault.kind == "resource":
                parts.append(f'<p style="text-align:center">{doc.img(fault.href, fault.text)}</p>')
        for attachment in article.attachments:
            parts.append(
                f"<p>附件：{doc.a(attachment.href, esc(f'{attachment.name}.{attachment.ext}'), 'attachment')}"
                "</p>"
            )
        links = [
            f"<li>{doc.a(f.href, esc(f.text), f.kind)}</li>" for f in article.extra if f.kind != "resource"
        ]
        if links:
            parts.append('<div class="xglj"><h4>相关链接：</h4><ul>' + "".join(links) + "</ul></div>")
        return '<div class="content" id="zoom">\n' + "\n".join(parts) + "\n</div>\n"

    def neighbours(self, doc: Doc, article: Article) -> str:
        entries = article.column.entries
        index = entries.index(article)
        newer = (
            doc.a(self.link_to(entries[index - 1], "related"), esc(entries[index - 1].title))
            if index > 0
            else "没有了"
        )
        older = (
            doc.a(self.link_to(entries[index + 1], "related"), esc(entries[index + 1].title))
            if index + 1 < len(entries)
            else "没有了"
        )
        return f'<div class="prenext"><p>上一篇：{newer}</p><p>下一篇：{older}</p></div>\n'

    def render_article(self, article: Article) -> tuple[str, Doc]:
        doc = Doc()
        extra_head = (
            f'<meta name="PubDate" content="{article.pub.isoformat()} {article.seconds // 3600:02d}:00" />\n'
            if self.name == "zhanqun"
            else ""
        )
        content = (
            self.crumbs(doc, article.column)
            + f'<div class="article"><h1>{esc(article.title)}</h1>\n'
            + self.article_info(doc, article)
            + self.article_body(doc, article)
            + self.article_tools(doc, article)
            + self.neighbours(doc, article)
            + "</div>"
        )
        return self.page(doc, article.title, content, extra_head=extra_head), doc

    def render_home(self) -> tuple[str, Doc]:
        doc = Doc()
        return self.page(doc, self.m.ident.name, self.home_content(doc)), doc

    def home_content(self, doc: Doc) -> str:
        blocks = []
        for slug, _ in self.m.channels:
            for column in self.m.channel_columns(slug)[:3]:
                if column.type == "consult":
                    blocks.append(self.letter_block(doc, column))
                    continue
                shown = homepage_articles(self.m, 7, column) if column.empty_kind is None else []
                blocks.append(self.home_block(doc, column, shown))
        return "".join(blocks) + self.home_extras(doc)

    def letter_block(self, doc: Doc, column: Column) -> str:
        shown = column.messages
        if self.m.ident.role == "homestale":  # V-HOME: the home page (and its boxes) show nothing recent
            shown = [m for m in shown if m.asked <= self.m.today - timedelta(days=21)]
        rows = "".join(f"<li>{doc.a(m.path, esc(m.title))}<span>{m.status}</span></li>" for m in shown[:6])
        return (
            f'<div class="box letters"><h3>{doc.a(column.pages[0], column.name)}</h3>'
            f'<span class="more">{doc.a(column.pages[0], "更多&gt;&gt;")}</span><ul>{rows}</ul></div>\n'
        )

    def home_extras(self, doc: Doc) -> str:
        """Fault links shown on the home page, trap entries, 友情链接 (other farm sites, dead hosts)."""
        parts = []
        faults = [
            f for f in self.m.home_links if f.fault not in ("trap_search", "trap_calendar", "trap_loop")
        ]
        if faults:
            items = "".join(
                f"<li>{doc.a(f.href, esc(f.text), f.kind)}</li>" for f in faults if f.kind != "resource"
            )
            images = "".join(doc.img(f.href, f.text) for f in faults if f.kind == "resource")
            parts.append(f'<div class="ztzl"><h3>专题专栏</h3>{images}<ul>{items}</ul></div>')
        traps = [f for f in self.m.home_links if f.fault in ("trap_search", "trap_calendar", "trap_loop")]
        if traps:
            parts.append('<div class="hot">' + " ".join(doc.a(f.href, esc(f.text)) for f in traps) + "</div>")
        sisters = [(name, url) for name, url in self.m.sisters]
        if sisters:
            options = "".join(
                f'<option value="{doc.href(url, "external")}">{esc(name)}</option>' for name, url in sisters
            )
            parts.append(
                '<div class="yqlj">友情链接：<select onchange="if(this.value!=\'\')window.open(this.value)">'
                f'<option value="">---政府网站---</option>{options}</select></div>'
            )
        return "\n".join(parts)

    def render_about(self, loop_href: str | None = None) -> tuple[str, Doc]:
        doc = Doc()
        ident = self.m.ident
        extra = f"<p>{doc.a(loop_href, '网站声明')}</p>" if loop_href else ""
        content = (
            self.crumbs(doc, None) + f'<div class="about"><h2>联系我们</h2><p>单位名称：{esc(ident.name)}</p>'
            f"<p>通讯地址：{esc(ident.place)}政务服务中心大楼</p><p>邮政编码：6{ident.site_id[1:6]}</p>"
            f"<p>办公时间：周一至周五 上午9:00-12:00 下午14:00-17:30（法定节假日除外）</p>{extra}</div>"
        )
        return self.page(doc, "联系我们", content), doc

    def render_sitemap(self) -> tuple[str, Doc]:
        doc = Doc()
        parts = []
        for slug, name in self.m.channels:
            items = " ".join(doc.a(c.href, c.name) for c in self.m.channel_columns(slug))
            parts.append(f"<dl><dt>{doc.a(self.channel_paths[slug], name)}</dt><dd>{items}</dd></dl>")
        return self.page(
            doc, "网站地图", '<div class="sitemap"><h2>网站地图</h2>' + "".join(parts) + "</div>"
        ), doc

    def render_soft_template(self, n: int) -> tuple[str, Doc]:
        doc = Doc()
        message = SOFT_MESSAGES[n % len(SOFT_MESSAGES)]
        content = f'<div class="error"><h2>提示信息</h2><p>{message}</p><p>{doc.a("/", "返回首页")}</p></div>'
        return self.page(doc, "提示信息", content), doc

    def render_calendar(self, year: int, month: int) -> tuple[str, Doc]:
        doc = Doc()
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        shown = [a for a in self.m.articles if (a.pub.year, a.pub.month) == (year, month)][:30]
        rows = "".join(
            f"<li>{doc.a(a.href, esc(a.title))}<span>{a.pub.isoformat()}</span></li>" for a in shown
        )
        content = (
            f'<div class="archive"><h2>文章归档：{year}年{month}'
            f"月</h2><ul>{rows or '<li>本月暂无文章</li>'}</ul>"
            f"<p>{doc.a(f'/archives/{prev_y:04d}/{prev_m:02d}/', '&lt;&lt; 上个月')} "
            f"{doc.a(f'/archives/{next_y:04d}/{next_m:02d}/', '下个月 &gt;&gt;')}</p></div>"
        )
        return self.page(doc, f"{year}年{month}月归档", content), doc

    def render_search(self, keyword: str, page: int) -> tuple[str, Doc]:
        doc = Doc()
        start = (page * 7) % max(1, len(self.m.articles))
        shown = (self.m.articles[start:] + self.m.articles)[:10]
        rows = "".join(f"<li>{doc.a(a.href, esc(a.title))} {a.pub.isoformat()}</li>" for a in shown)
        nav = doc.a(self.search_url(keyword, page + 1), "下一页")
        if page > 1:
            nav = doc.a(self.search_url(keyword, page - 1), "上一页") + " " + nav
        content = (
            f'<div class="search"><h2>搜索结果：{esc(keyword)}</h2><p>共找到 {3000 + page} 条记录，'
            f"当前第 {page} 页</p><ul>{rows}</ul><p>{nav}</p></div>"
        )
        return self.page(doc, "搜索结果", content), doc

    def render_letters(self, column: Column, page: int) -> tuple[str, Doc]:
        raise NotImplementedError

    def render_letter(self, message: Message) -> tuple[str, Doc]:
        raise NotImplementedError

    def error_page(self, status: int) -> str:
        reason = {
            403: "403 Forbidden",
            404: "404 Not Found",
            410: "410 Gone",
            500: "500 Internal Server Error",
            502: "502 Bad Gateway",
            503: "503 Service Temporarily Unavailable",
        }[status]
        return (
            f'<html>\r\n<head><title>{reason}</title></head>\r\n<body bgcolor="white">\r\n'
            f"<center><h1>{reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )

    # ---- helpers for schemes ----
    def days_ago(self, days: int) -> date:
        return self.m.today - timedelta(days=days)
