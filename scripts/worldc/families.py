"""The six CMS families of world c: URL schemes, pagers and the markup that sets each apart."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from scripts.farm.doc import Doc, esc
from scripts.worldc.family import Family, md5
from scripts.worldc.text import show_date

if TYPE_CHECKING:
    from scripts.worldc.model import Article, Column, Message


def _uuid(value: str) -> str:
    h = md5(value)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Dede(Family):
    """织梦 DedeCMS: /a/<dir>/, list_<tid>_<n>.html, /a/<dir>/<YYYY>/<MMDD>/<id>.html, /plus/view.php?aid=."""

    name = "dede"
    server = "Apache/2.2.22 (Win32) PHP/5.2.17"
    powered = "PHP/5.2.17"
    css = "/templets/default/style/dedecms.css"
    js = "/templets/default/js/jquery.min.js"
    logo = "/templets/default/images/logo.png"
    list_class = "e2"

    def assign(self) -> None:
        rng = self.m.rng
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"/a/{slug}/"
        for column in self.m.columns:
            folder = f"/a/{column.channel}/{column.slug}/"
            column.pages = [folder] + [
                f"{folder}list_{column.cid}_{n}.html" for n in range(2, column.page_count() + 1)
            ]
            column.href = folder
            for article in column.entries:
                static = f"{folder}{article.pub:%Y}/{article.pub:%m%d}/{article.aid}.html"
                if rng.random() < 0.1:  # never generated as HTML: only the dynamic view exists
                    article.path = article.href = f"/plus/view.php?aid={article.aid}"
                else:
                    article.path = article.href = static
                    article.aliases.append(f"/plus/view.php?aid={article.aid}")
                for n, attachment in enumerate(article.attachments):
                    attachment.path = attachment.href = (
                        f"/uploads/soft/{article.pub:%y%m}/1-{article.pub:%y%m%d}{article.aid % 100:02d}{n}"
                        f"{chr(65 + article.aid % 26)}.{attachment.ext}"
                    )
        self.about = "/a/about/lxwm.html"
        self.sitemap = "/data/sitemap.html"

    def link_to(self, article: Article, where: str) -> str:
        if where == "related" and self.v == 2 and article.aliases:
            return article.aliases[0]
        return article.href

    def deleted_url(self, n: int) -> str:
        return f"/plus/view.php?aid={90000 + n}"

    def dead_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/a/{column.channel}/{column.slug}/2019/0311/{70000 + n}.html"

    def attachment_dir(self, article: Article) -> str:
        return "/uploads/soft/"

    def image_url(self, article: Article, n: int) -> str:
        return f"/uploads/allimg/{article.pub:%y%m%d}/1-{article.pub:%y%m%d}{article.aid}{n}.jpg"

    def search_url(self, keyword: str, page: int) -> str:
        return f"/plus/search.php?keyword={keyword}&page={page}"

    def search_action(self) -> str:
        return "/plus/search.php"

    def support(self) -> str:
        return "DedeCMS"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        if total == 1:
            return ""

        def rel(n: int) -> str:
            return f"list_{column.cid}_{n}.html"

        items = [f"<li><a href='{doc.href(rel(1))}'>首页</a></li>"]
        if self.v != 1:
            if page > 1:
                items.append(f"<li><a href='{doc.href(rel(page - 1))}'>上一页</a></li>")
            for n in range(max(1, page - 2), min(total, page + 2) + 1):
                items.append(
                    '<li class="thisclass">' + str(n) + "</li>"
                    if n == page
                    else f"<li><a href='{doc.href(rel(n))}'>{n}</a></li>"
                )
            if page < total:
                items.append(f"<li><a href='{doc.href(rel(page + 1))}'>下一页</a></li>")
        items.append(f"<li><a href='{doc.href(rel(total))}'>末页</a></li>")
        options = "".join(
            f"<option value='{doc.href(rel(n))}'{' selected' if n == page else ''}>{n}</option>"
            for n in range(1, total + 1)
        )
        items.append(
            "<li><select name='sldd' style='width:36px' "
            f"onchange='location.href=this.options[this.selectedIndex].value;'>{options}</select></li>"
        )
        count = len(column.entries)
        items.append(
            f'<li><span class="pageinfo">共 <strong>{total}</strong>页<strong>{count}</strong>条</span></li>'
        )
        return '<div class="dede_pages"><ul class="pagelist">' + "\n".join(items) + "</ul></div>\n"

    def list_items(self, doc: Doc, column: Column, entries: list[Article]) -> str:
        if self.v != 1 or column.date_style == "group":
            return super().list_items(doc, column, entries)
        rows = []
        for article in entries:  # a table list: title cell and date cell
            flag = "<font color='red'>[置顶]</font>" if article.pinned else ""
            when = self.entry_date(article, column.date_style)
            rows.append(
                f'<tr><td class="title">{flag}{doc.a(self.link_to(article, "list"), esc(article.title))}</td>'
                f'<td class="date">{when}</td></tr>'
            )
        return '<table class="listtable" width="100%">' + "\n".join(rows) + "</table>\n"

    def article_info(self, doc: Doc, article: Article) -> str:
        when = f"{article.pub.isoformat()} {article.seconds // 3600:02d}:{article.seconds // 60 % 60:02d}"
        count = doc.script(f"/plus/count.php?view=yes&aid={article.aid}&mid=1")
        return (
            f'<div class="info"><small>时间:</small>{when}<small>来源:</small>{esc(article.source)}'
            f"<small>作者:</small>admin<small>点击:</small>{count}次</div>\n"
        )

    def error_page(self, status: int) -> str:
        if status == 500:
            return (
                "<br />\n<b>Fatal error</b>:  Call to a member function GetOne() on a non-object in "
                "<b>D:\\wwwroot\\include\\arc.archives.class.php</b> on line <b>86</b><br />\n"
            )
        reason = {
            403: "Forbidden",
            404: "Not Found",
            410: "Gone",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }
        return (
            '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"'
            f">\n<html><head>\n<title>{status} {reason[status]}"
            f"</title>\n</head><body>\n<h1>{reason[status]}</h1>\n<p>The requested URL was not found on this "
            "server.</p>\n</body></html>\n"
        )


class Empire(Family):
    """帝国 EmpireCMS: /<dir>/index.html, index_2.html, /<dir>/<YYYY-MM-DD>/<id>.html, ShowInfo.php."""

    name = "empire"
    server = "nginx/1.16.1"
    powered = "PHP/5.6.40"
    css = "/skin/default/css/style.css"
    js = "/skin/default/js/jquery.min.js"
    logo = "/skin/default/images/logo.jpg"

    def assign(self) -> None:
        rng = self.m.rng
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"/{slug}/"
        for column in self.m.columns:
            folder = f"/{column.channel}/{column.slug}/"
            column.pages = [folder] + [f"{folder}index_{n}.html" for n in range(2, column.page_count() + 1)]
            column.href = folder
            for article in column.entries:
                if rng.random() < 0.12:
                    article.path = f"/e/action/ShowInfo.php?classid={column.cid}&id={article.aid}"
                else:
                    article.path = f"{folder}{article.pub.isoformat()}/{article.aid}.html"
                article.href = article.path
                for n, attachment in enumerate(article.attachments):
                    attachment.path = attachment.href = (
                        f"/d/file/{column.channel}/{column.slug}/{article.pub.isoformat()}/"
                        f"{md5(f'{article.aid}/{n}')}.{attachment.ext}"
                    )
        self.about = "/about/lxwm.html"
        self.sitemap = "/sitemap.html"

    def deleted_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/e/action/ShowInfo.php?classid={column.cid}&id={90000 + n}"

    def dead_url(self, n: int) -> str:
        column = self.m.columns[n % len(self.m.columns)]
        return f"/{column.channel}/{column.slug}/2019-03-11/{70000 + n}.html"

    def attachment_dir(self, article: Article) -> str:
        return "/d/file/"

    def image_url(self, article: Article, n: int) -> str:
        return f"/d/file/p/{article.pub.isoformat()}/{md5(f'img{article.aid}/{n}')}.jpg"

    def search_url(self, keyword: str, page: int) -> str:
        return f"/e/search/result/index.php?keyboard={keyword}&page={page}"

    def search_action(self) -> str:
        return "/e/search/index.php"

    def support(self) -> str:
        return "EmpireCMS"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        if total == 1:
            return ""

        def url(n: int) -> str:
            return f"{column.pages[0]}index.html" if n == 1 else column.pages[n - 1]

        parts = [f'<a title="Total record">&nbsp;<b>{len(column.entries)}</b> </a>&nbsp;&nbsp;']
        if page > 1:
            parts.append(
                f'<a href="{doc.href(url(1))}">首页</a>&nbsp;<a href="{doc.href(url(page - 1))}">上一页</a>'
            )
        if self.v != 1:
            for n in range(max(1, page - 4), min(total, page + 5) + 1):
                parts.append(f"<b>{n}</b>" if n == page else f'<a href="{doc.href(url(n))}">{n}</a>')
        if page < total:
            parts.append(
                f'<a href="{doc.href(url(page + 1))}">下一页</a>&'
                f'nbsp;<a href="{doc.href(url(total))}">尾页</a>'
            )
        return '<div class="epages">' + "&nbsp;".join(parts) + "</div>\n"

    def article_info(self, doc: Doc, article: Article) -> str:
        hh, mm, ss = article.seconds // 3600, article.seconds // 60 % 60, article.seconds % 60
        counter = doc.script(f"/e/public/ViewClick/?classid={article.column.cid}&id={article.aid}&addclick=1")
        return (
            f'<div class="info">发布时间：{article.pub.isoformat()} {hh:02d}:{mm:02d}:{ss:02d}&nbsp;&nbsp;'
            f"来源：{esc(article.source)}&nbsp;&nbsp;点击：{counter}</div>\n"
        )

    def error_page(self, status: int) -> str:
        if status == 500:
            return (
                "<b>Fatal error</b>: Maximum execution time of 30 seconds exceeded in "
                "/e/class/connect.php on line 2841"
            )
        return super().error_page(status)


class PowerEasy(Family):
    """动易 PowerEasy: ShowClass.asp?ClassID=&page=, ShowArticle.asp?ArticleID= (variants 0, 1) or the ASP.NET
    SiteFactory /Category_N/Index_2.aspx, /Item/N.aspx (variant 2). IIS: paths answer in any case."""

    name = "powereasy"
    server = "Microsoft-IIS/6.0"
    powered = "ASP.NET"
    iis = True
    css = "/Skin/DefaultSkin.css"
    js = "/js/common.js"
    logo = "/Images/logo.gif"

    def assign(self) -> None:
        aspx = self.v == 2
        for position, (slug, _) in enumerate(self.m.channels):
            self.channel_paths[slug] = (
                f"/Category_{position + 1}/Index.aspx"
                if aspx
                else f"/Article/ShowClass.asp?ClassID={position + 1}"
            )
        for column in self.m.columns:
            cid = column.cid + 10
            if aspx:
                column.pages = [f"/Category_{cid}/Index.aspx"] + [
                    f"/Category_{cid}/Index_{n}.aspx" for n in range(2, column.page_count() + 1)
                ]
            else:
                column.pages = [f"/Article/ShowClass.asp?ClassID={cid}"] + [
                    f"/Article/ShowClass.asp?ClassID={cid}&page={n}"
                    for n in range(2, column.page_count() + 1)
                ]
            column.href = column.pages[0]
            for article in column.entries:
                article.path = article.href = (
                    f"/Item/{article.aid}.aspx"
                    if aspx
                    else f"/Article/ShowArticle.asp?ArticleID={article.aid}"
                )
                article.aliases.append(article.path.lower())
                for n, attachment in enumerate(article.attachments):
                    attachment.path = attachment.href = (
                        f"/UploadFiles/{article.pub:%Y%m}/{article.pub:%Y%m%d}{article.seconds:05d}{n}.{attachment.ext}"
                    )
        self.about = "/html/LXWM.HTM"
        self.sitemap = "/SiteMap.aspx" if aspx else "/SiteMap.asp"

    def link_to(self, article: Article, where: str) -> str:
        if where == "related" and self.v >= 1:
            return article.aliases[0]  # IIS does not care: /article/showarticle.asp?articleid=12
        return article.href

    def footer(self, doc: Doc) -> str:
        text = super().footer(doc)
        return text.replace(f'href="{esc(self.about)}"', f'href="{doc.href(self.about.lower())}"', 1)

    def deleted_url(self, n: int) -> str:
        return f"/Item/{90000 + n}.aspx" if self.v == 2 else f"/Article/ShowArticle.asp?ArticleID={90000 + n}"

    def dead_url(self, n: int) -> str:
        return f"/Article/HTML/{70000 + n}.html"

    def attachment_dir(self, article: Article) -> str:
        return "/UploadFiles/"

    def image_url(self, article: Article, n: int) -> str:
        return f"/UploadFiles/{article.pub:%Y%m}/{article.pub:%Y%m%d}{article.aid}{n}.JPG"

    def search_url(self, keyword: str, page: int) -> str:
        if self.v == 2:
            return f"/Search.aspx?searchtype=0&Keyword={keyword}&page={page}"
        return f"/Article/Search.asp?Field=Title&Keyword={keyword}&page={page}"

    def search_action(self) -> str:
        return "/Search.aspx" if self.v == 2 else "/Article/Search.asp"

    def support(self) -> str:
        return "动易网络"

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        if total == 1:
            return ""
        if self.v == 2:
            links = [doc.a(column.pages[0], "首页")]
            if page > 1:
                links.append(doc.a(column.pages[page - 2], "上一页"))
            links += [
                doc.a(column.pages[n - 1], str(n)) if n != page else f"<span>{n}</span>"
                for n in range(1, total + 1)
            ]
            if page < total:
                links.append(doc.a(column.pages[page], "下一页"))
            links.append(doc.a(column.pages[-1], "尾页"))
            return '<div class="pager">' + " ".join(links) + f" 页次：{page}/{total}</div>\n"
        base = column.pages[0].removeprefix("/Article/")
        first = f"{base}&page=1"
        parts = [f"共 <b>{len(column.entries)}</b> 篇文章&nbsp;&nbsp;"]
        if page > 1:
            previous = first if page == 2 else f"{base}&page={page - 1}"
            parts.append(
                f"<a href='{doc.href(first)}'>首页</a> <a href='{doc.href(previous)}'>上一页</a>&nbsp;"
            )
        else:
            parts.append("首页 上一页&nbsp;")
        if page < total:
            parts.append(
                f"<a href='{doc.href(f'{base}&page={page + 1}')}'>下一页</a> "
                f"<a href='{doc.href(f'{base}&page={total}')}'>尾页</a>"
            )
        else:
            parts.append("下一页 尾页")
        options = "".join(
            f"<option value='{n}'{' selected' if n == page else ''}>第{n}页</option>"
            for n in range(1, total + 1)
        )
        parts.append(
            f"&nbsp;页次：<strong><font color=red>{page}</font>/{total}</strong>页 &nbsp;<b>{column.per_page}"
            "</b>篇文章/页&nbsp;转到：<select name='page' size='1' onchange=\"javascript:window.location="
            f"'{base}&page='+this.options[this.selectedIndex].value;\">{options}</select>"
        )
        return '<div class="showpage">' + "".join(parts) + "</div>\n"

    def list_items(self, doc: Doc, column: Column, entries: list[Article]) -> str:
        if column.date_style == "group":
            return super().list_items(doc, column, entries)
        rows = []
        for article in entries:
            flag = "<font color=red>[顶]</font>" if article.pinned else ""
            when = self.entry_date(article, column.date_style)
            date_cell = f'<td width="90" align="right">{when}</td>' if when else ""
            rows.append(
                f'<tr><td width="10"><img src="{doc.href("/Images/arrow.gif", "resource")}"></td>'
                f'<td class="listA">{flag}{doc.a(self.link_to(article, "list"), esc(article.title))}</td>'
                f"{date_cell}</tr>"
            )
        return (
            '<table width="100%" border="0" cellspacing="0" cellpadding="0">' + "\n".join(rows) + "</table>\n"
        )

    def entry_date(self, article: Article, style: str) -> str:
        if self.v == 2 and style == "datetime":
            return show_date(article.pub, "aspnet", article.seconds)
        return super().entry_date(article, style)

    def article_info(self, doc: Doc, article: Article) -> str:
        if self.v == 2:
            return (
                f'<div class="info">发布时间：{show_date(article.pub, "aspnet", article.seconds)}　'
                f"来源：{esc(article.source)}　浏览：{article.views}</div>\n"
            )
        return (
            f'<div class="info">作者：佚名&nbsp;&nbsp;文章来源：{esc(article.source)}&nbsp;&nbsp;'
            f"点击数：{article.views}&nbsp;&nbsp;更新时间：{article.pub.year}-{article.pub.month}-{article.pub.day}"
            "</div>\n"
        )

    def error_page(self, status: int) -> str:
        return iis_error_page(status)


def iis_error_page(status: int) -> str:
    """What IIS 6 answers: an ASP database error (500) or its own error page."""
    if status == 500:
        return (
            '<font face="宋体" size=2>Microsoft OLE DB Provider for ODBC Drivers</font> <font face="宋体" '
            "size=2>错误 '80004005'</font><p><font face=\"宋体\" "
            "size=2>[Microsoft][ODBC Microsoft Access Driver]"
            "常见错误 不能打开注册表关键字 'Temporary (volatile) Jet DSN for process'</font><p>"
            '<font face="宋体" size=2>/Inc/Conn.asp</font><font face="宋体" size=2>, 行 12</font>'
        )
    titles = {
        403: "403 - 禁止访问: 访问被拒绝。",
        404: "404 - 找不到文件或目录。",
        410: "410 - 资源已被删除。",
        502: "502 - Web 服务器在作为网关或代理服务器时收到了无效响应。",
        503: "Service Unavailable",
    }
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n<html><head><title>'
        f'{titles[status]}</title></head><body><div id="header"><h1>服务器错误</h1></div>'
        f'<div id="content"><div class="content-container"><fieldset><h2>{titles[status]}</h2>'
        "<h3>您要查找的资源可能已被删除，已更改名称或者暂时不可用。</h3></fieldset></div></div></body></html>"
    )


class Static(Family):
    """A hand-made Dreamweaver/FrontPage site on IIS: a frameset or splash home, backslashes, spaces and
    Chinese file names in links, <base href>, GB2312 pages."""

    name = "static"
    server = "Microsoft-IIS/6.0"
    iis = True
    css = "/css.css"
    js = "/js/menu.js"
    logo = "/images/banner.jpg"
    list_class = "list"

    def assign(self) -> None:
        rng = self.m.rng
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"/{slug}/index.htm"
        self.chinese: set[int] = set()
        for column in self.m.columns:
            stem = (
                f"/{column.channel}/{column.name}"
                if rng.random() < 0.5
                else f"/{column.channel}/{column.slug}"
            )
            if "/" + column.name in stem:
                self.chinese.add(id(column))
            column.pages = [f"{stem}.htm"] + [f"{stem}_{n}.htm" for n in range(2, column.page_count() + 1)]
            column.href = column.pages[0]
            for article in column.entries:
                article.path = article.href = f"/{column.slug}/{article.pub:%Y}/{article.aid:04d}.htm"
                if article.aid % 7 == 0:
                    article.aliases.append(article.path.removesuffix(".htm") + ".HTM")
                for attachment in article.attachments:
                    name = (
                        f"{article.pub.year}年 {attachment.name.removeprefix('附件：')[:12]}.{attachment.ext}"
                    )
                    attachment.path = f"/files/{article.pub.year}/{name}"
                    attachment.href = attachment.path
        self.about = "/lxwm.htm"
        self.sitemap = "/wzdt.htm"
        self.home_keys = ["/", "/top.htm", "/main.htm"] if self.v == 0 else ["/", "/index2.htm"]

    def gbk_href(self, column: Column) -> str | None:
        """A FrontPage link to a Chinese file name, percent-encoded in GBK (IIS maps it to the file)."""
        if id(column) not in self.chinese:
            return None
        return quote(column.pages[0].encode("gbk"), safe="/")

    def column_link(self, column: Column, where: str) -> str:
        gbk = self.gbk_href(column)
        if where == "channel" and gbk is not None and self.v != 1:
            return gbk
        return column.href

    def link_to(self, article: Article, where: str) -> str:
        path = article.aliases[0] if article.aliases and where == "list" else article.href
        if where == "list":
            if self.v == 0:
                return ".." + path.replace("/", "\\")  # news\2019\001.htm, the way FrontPage wrote them
            if self.v == 1:
                return path.split("/", 2)[2]  # relative to <base href="http://host/<slug>/">
            return ".." + path
        if where == "home" and self.v == 2:
            return path.lstrip("/").replace("/", "\\")
        if where == "home":
            return path.lstrip("/")
        return path

    def render_list(self, column: Column, page: int) -> tuple[str, Doc]:
        doc = Doc()
        base = doc.set_base(f"http://{self.host}/{column.slug}/") + "\n" if self.v == 1 else ""
        return self.page(doc, column.name, self.list_content(doc, column, page), extra_head=base), doc

    def deleted_url(self, n: int) -> str:
        return f"/news/{self.m.today.year - 1}/{900 + n}.htm"

    def dead_url(self, n: int) -> str:
        return f"/news/2018/{700 + n}.htm"

    def attachment_dir(self, article: Article) -> str:
        return "/files/"

    def image_url(self, article: Article, n: int) -> str:
        return f"/images/news/{article.aid}_{n}.jpg"

    def search_url(self, keyword: str, page: int) -> str:
        return f"/search.asp?keyword={keyword}&page={page}"

    def search_action(self) -> str:
        return "/search.asp"

    def support(self) -> str:
        return f"{self.m.ident.place}信息中心"

    def article_info(self, doc: Doc, article: Article) -> str:
        day = article.pub
        if self.v == 1:
            return f'<p align="center"><font color="#666666">[{day.isoformat()}]</font></p>\n'
        shown = f"{day.year}年{day.month}月{day.day}日"
        return f'<p align="center">发布日期：{shown}　来源：{esc(article.source)}</p>\n'

    def render_home(self) -> tuple[str, Doc]:
        doc = Doc()
        title = esc(self.m.ident.name)
        head = f"{self.meta}\n<title>{title}</title>\n"
        if self.v == 0:
            page = (
                f'<html>\n<head>\n{head}</head>\n<frameset rows="150,*,80" frameborder="no" border="0">\n'
                f'<frame src="{doc.href("top.htm")}" name="topFrame" scrolling="No" noresize="noresize" />\n'
                f'<frame src="{doc.href("main.htm")}" name="mainFrame" />\n'
                f'<frame src="{doc.href("bottom.htm")}" name="bottomFrame" scrolling="No" />\n</frameset>\n'
                "<noframes><body>您的浏览器不支持框架，请<a href="
                f'"{doc.href("main.htm")}">点击这里</a>。</body>'
                "</noframes>\n</html>\n"
            )
        elif self.v == 1:
            page = (
                f'<html>\n<head>\n{head}<meta http-equiv="refres'
                f'h" content="15;url={doc.href("index2.htm")}">\n'
                f'</head>\n<body bgcolor="#FFFFFF"><div align="center">{doc.img("images/splash.jpg", title)}'
                f'<br /><a href="{doc.href("index2.htm")}"><font '
                'size="4">进入首页</font></a></div></body>\n</html>\n'
            )
        else:
            page = (
                f'<html>\n<head>\n{head}</head>\n<body>\n<script language="javascript">\n'
                f"window.location.href='{doc.href('index2.htm')}';\n</script>\n"
                f'<noscript><a href="{doc.href("index2.htm")}">进入首页</a></noscript>\n</body>\n</html>\n'
            )
        return self.prolog() + page, doc

    def render_frame(self, which: str) -> tuple[str, Doc]:
        """top.htm (banner and menu), bottom.htm (footer) of the frameset home."""
        doc = Doc()
        head = (
            f"{self.prolog()}<html>\n<head>\n{self.meta}\n<title>{esc(self.m.ident.name)}</title>\n"
            f"{doc.css(self.css)}\n</head>\n"
        )
        if which == "top":
            items = [f'<a href="{doc.href("main.htm")}" target="mainFrame">首页</a>']
            items += [
                f'<a href="{doc.href(self.channel_paths[s].lstrip("/"))}" target="mainFrame">{n}</a>'
                for s, n in self.m.channels
            ]
            banner = doc.img("images/banner.jpg", self.m.ident.name)
            body = f'<body>{banner}<div class="nav">{" | ".join(items)}</div>'
        else:
            body = "<body>" + self.footer(doc)
        return head + body + "</body>\n</html>\n", doc

    def render_main(self) -> tuple[str, Doc]:
        doc = Doc()
        return self.page(doc, self.m.ident.name, self.home_content(doc)), doc

    def nav(self, doc: Doc) -> str:
        home = "/main.htm" if self.v == 0 else "/index2.htm"
        items = [doc.a(home, "首页")]
        items += [doc.a(self.channel_paths[s], n) for s, n in self.m.channels]
        return '<table class="nav"><tr>' + "".join(f"<td>{i}</td>" for i in items) + "</tr></table>\n"

    def error_page(self, status: int) -> str:
        return iis_error_page(status)


class ZhanQun(Family):
    """A department site on a 站群 platform: /<dept>/<col>/list.shtml?page=N whose entries sit in a script
    array (var data=[{"title","url","time"}]), articles /<dept>/<col>/<YYYYMM>/<md5>.shtml."""

    name = "zhanqun"
    server = "nginx"
    css = "/css/zq/common.css"
    js = "/js/zq/jquery.min.js"
    logo = "/images/zq/logo.png"

    def assign(self) -> None:
        prefix = "/" + self.m.ident.dept_slug
        self.prefix = prefix
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"{prefix}/{slug}/index.shtml"
        for column in self.m.columns:
            first = f"{prefix}/{column.slug}/list.shtml"
            column.pages = [first] + [f"{first}?page={n}" for n in range(2, column.page_count() + 1)]
            column.href = first
            for article in column.entries:
                article.path = article.href = (
                    f"{prefix}/{column.slug}/{article.pub:%Y%m}/{md5(f'{article.aid}')}.shtml"
                )
                for n, attachment in enumerate(article.attachments):
                    attachment.path = attachment.href = (
                        f"{prefix}/{column.slug}/{article.pub:%Y%m}/{md5(f'{article.aid}')}/files/"
                        f"{md5(f'{article.aid}/{n}')[:16]}.{attachment.ext}"
                    )
        self.about = f"{prefix}/lxwm/index.shtml"
        self.sitemap = f"{prefix}/wzdt/index.shtml"

    def nav(self, doc: Doc) -> str:
        text = super().nav(doc)
        home = f"{self.prefix}/index.shtml"
        return text.replace('<a href="/">', f'<a href="{doc.href(home)}">', 1)

    def deleted_url(self, n: int) -> str:
        return f"{self.prefix}/tzgg/{self.m.today:%Y%m}/{md5(f'deleted{n}')}.shtml"

    def dead_url(self, n: int) -> str:
        return f"{self.prefix}/gzdt/201905/{md5(f'dead{n}')}.shtml"

    def attachment_dir(self, article: Article) -> str:
        return f"{self.prefix}/uploadfiles/"

    def image_url(self, article: Article, n: int) -> str:
        return (
            f"{self.prefix}/{article.column.slug}/{article.pub:%Y%m}/{md5(f'{article.aid}')}/images/{n}.jpg"
        )

    def search_url(self, keyword: str, page: int) -> str:
        return f"/s?searchWord={keyword}&siteCode={self.m.ident.site_id}&page={page}"

    def search_action(self) -> str:
        return "/s"

    def support(self) -> str:
        return "政府网站集约化平台"

    def list_items(self, doc: Doc, column: Column, entries: list[Article]) -> str:
        records = []
        for article in entries:
            url = article.href
            if self.v == 2:
                url = "./" + url.split("/", 3)[3]  # relative to .../<col>/list.shtml
            fields = [f'"title":"{esc(article.title)}"', f'"url":"{doc.raw(url)}"']
            style = "cn" if column.date_style == "group" else column.date_style
            if style != "none":
                fields.append(f'"time":"{show_date(article.pub, style, article.seconds)}"')
            if article.pinned:
                fields.append('"top":1')
            records.append("{" + ",".join(fields) + "}")
        return (
            '<ul class="list" id="list"></ul>\n<script type="text/javascript">\nvar data=['
            + ",\n".join(records)
            + "];\nvar html='';\nfor(var i=0;i<data.length;i++){var d=data[i];\n"
            "html+='<li>'+(d.top?'<b>[置顶]</b>':'')+'<a href"
            "=\"'+d.url+'\" target=\"_blank\">'+d.title+'</a>'"
            "+'<span>'+(d.time||'')+'</span></li>';}\n"
            "document.getElementById('list').innerHTML=html;\n</script>\n"
        )

    def pager(self, doc: Doc, column: Column, page: int) -> str:
        total = column.page_count()
        if total == 1:
            return ""
        first = "list.shtml?page=1" if self.v == 1 else "list.shtml"
        links = [doc.a(first, "首页")]
        if page > 1:
            links.append(doc.a(first if page == 2 else f"list.shtml?page={page - 1}", "上一页"))
        if page < total:
            links.append(doc.a(f"list.shtml?page={page + 1}", "下一页"))
        links.append(doc.a(f"list.shtml?page={total}", "尾页"))
        jump = (
            '<input type="text" id="pageNum" size="2" /><a href="javascript:void(0)" '
            "onclick=\"location.href='list.shtml?page='+document.getElementById('pageNum').value\">跳转</a>"
        )
        return f'<div class="page">共{total}页 ' + " ".join(links) + f" {jump}</div>\n"

    def article_info(self, doc: Doc, article: Article) -> str:
        return (
            f'<div class="info"><span>发布时间：{article.pub.isoformat()} {article.seconds // 3600:02d}:'
            f"{article.seconds // 60 % 60:02d}</span><span>来源：{esc(article.source)}</span>"
            f'<span>浏览次数：<em id="hits">{article.views}</em></span></div>\n'
        )


class Hdjl(Family):
    """A portal whose 互动交流 is a Java platform: /<ch>/<col>/list?pageNo=&pageSize=15, detail?id=<uuid>,
    the mayor's mailbox /hdjl/xjxd/list with 来信时间, 回复时间 and 办理状态."""

    name = "hdjl"
    server = "nginx"
    css = "/static/css/index.css"
    js = "/static/js/jquery.min.js"
    logo = "/static/img/logo.png"

    def assign(self) -> None:
        for slug, _ in self.m.channels:
            self.channel_paths[slug] = f"/{slug}/index"
        for column in self.m.columns:
            folder = f"/{column.channel}/{column.slug}"
            column.pages = [
                f"{folder}/list?pageNo={n}&pageSize=15" for n in range(1, column.page_count() + 1)
            ]
            column.href = column.pages[0]
            for article in column.entries:
                article.path = article.href = f"{folder}/detail?id={_uuid(f'{article.aid}')}"
                for n, attachment in enumerate(article.attachments):
                    attachment.path = attachment.href = (
                        f"/upload/{article.pub:%Y/%m/%d}/{md5(f'{article.aid}/{n}')}.{attachment.ext}"
                    )
            for message in column.messages:
                message.path = f"{folder}/detail?id={message.uid}"
        self.about = "/about/lxwm"
        self.sitemap = "/about/wzdt"

    def deleted_url(self, n: int) -> str:
        return f"/zwgk/tzgg/detail?id={_uuid(f'deleted{n}')}"

    def dead_url(self, n: int) -> str:
        return f"/zwgk/old/{70000 + n}.html"

    def attachment_dir(self, article: Article) -> str:
        return "/upload/"

    def image_url(self, article: Article, n: int) -> str:
        return f"/upload/{article.pub:%Y/%m/%d}/{md5(f'img{article.aid}/{n}')}.jpg"

    def search_url(self, keyword: str, page: int) -> str:
        return f"/search?keyword={keyword}&pageNo={page}"

    def search_action(self) -> str:
        return "/search"

    def support(self) -> str:
        return "某某软件股份有限公司"

    def article_info(self, doc: Doc, article: Article) -> str:
        return f'<div class="info">发布日期：{article.pub.isoformat()}　来源：{esc(article.source)}</div>\n'

    def render_list(self, column: Column, page: int) -> tuple[str, Doc]:
        if column.type == "consult":
            return self.render_letters(column, page)
        return super().render_list(column, page)

    def render_letters(self, column: Column, page: int) -> tuple[str, Doc]:
        doc = Doc()
        chunk = column.messages[(page - 1) * column.per_page : page * column.per_page]
        reply_head = "<th>回复时间</th>" if column.shows_reply_date else ""
        rows = []
        for message in chunk:
            reply = ""
            if column.shows_reply_date:
                reply = f"<td>{message.answered.isoformat() if message.answered else '—'}</td>"
            colour = {"已办结": "green", "办理中": "orange", "未回复": "red"}[message.status]
            rows.append(
                f'<tr><td class="title">{doc.a(message.path, esc(message.title))}'
                f"</td><td>{message.asker}</td>"
                f'<td>{message.asked.isoformat()}</td>{reply}<td><span style="color:{colour}">'
                f"{message.status}</span></td></tr>"
            )
        total = column.page_count()
        links = [doc.a(column.pages[0], "首页")]
        if page > 1:
            links.append(doc.a(column.pages[page - 2], "上一页"))
        if page < total:
            links.append(doc.a(column.pages[page], "下一页"))
        links.append(doc.a(column.pages[-1], "末页"))
        content = (
            self.crumbs(doc, column) + f'<div class="xjxd"><h2>{column.name}</h2>'
            f"<p>{doc.a('javascript:void(0)', '我要写信')}</p>"
            f'<table class="letters"><tr><th>信件标题</th><th>来信人</th><th>来信时间</th>{reply_head}'
            f"<th>办理状态</th></tr>" + "\n".join(rows) + "</table>"
            f'<div class="page">第{page}/{total}页 共{len(column.messages)}条 '
            + " ".join(links)
            + "</div></div>"
        )
        doc.links = [link for link in doc.links if not link[0].startswith("javascript:")]
        return self.page(doc, column.name, content), doc

    def render_letter(self, message: Message) -> tuple[str, Doc]:
        doc = Doc()
        hour, minute = 10 + len(message.uid) % 8, int(message.uid[:2], 16) % 60
        asked = f"{message.asked.isoformat()} {hour:02d}:{minute:02d}:12"
        answer = (
            "<tr><th>回复内容</th><td>您好！您反映的问题已转相关部门办理，感谢您对我们工作的关注和支持。</td></tr>"
            f"<tr><th>回复单位</th><td>{esc(self.m.ident.place)}信访局</td></tr>"
            f"<tr><th>回复时间</th><td>{message.answered.isoformat()} 16:20:05</td></tr>"
            if message.answered
            else "<tr><th>回复内容</th><td>暂无回复</td></tr>"
        )
        content = (
            self.crumbs(doc, message.column) + f'<div class="letter"><h1>{esc(message.title)}</h1><table>'
            f"<tr><th>来信人</th><td>{message.asker}</td></tr><tr><th>来信时间</th><td>{asked}</td></tr>"
            f"<tr><th>来信内容</th><td>本人反映{esc(message.title[2:])}，希望相关部门尽快处理为盼。</td></tr>"
            f"{answer}<tr><th>办理状态</th><td>{message.status}</td></tr></table></div>"
        )
        return self.page(doc, message.title, content), doc

    def error_page(self, status: int) -> str:
        if status == 500:
            return (
                '<!doctype html><html lang="en"><head><title>HTTP Status 500 – Internal Server Error</title>'
                '</head><body><h1>HTTP Status 500 – Internal Server Error</h1><hr class="line" /><p><b>Type'
                "</b> Exception Report</p><p><b>Description</b> "
                "The server encountered an unexpected condition "
                "that prevented it from fulfilling the request.</p><pre>java.lang.NullPointerException\n"
                "\tcom.gov.portal.controller.InfoController.detail(InfoController.java:88)</pre></body></html>"
            )
        return super().error_page(status)


FAMILY_CLASSES: dict[str, type[Family]] = {
    "dede": Dede,
    "empire": Empire,
    "powereasy": PowerEasy,
    "static": Static,
    "zhanqun": ZhanQun,
    "hdjl": Hdjl,
}
