"""One world c site as the server answers it: every page rendered once, every fault in the route table.

Truth (scripts/worldc/truth.py) walks the same table through `Site.answer`, so the two cannot disagree.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from scripts.farm.urls import absolute, key_of, url_of
from scripts.worldc.families import FAMILY_CLASSES, Static
from scripts.worldc.family import md5
from scripts.worldc.model import (
    Attachment,
    FaultLink,
    SiteModel,
    build_columns,
    fill_articles,
)
from scripts.worldc.text import TOPICS

if TYPE_CHECKING:
    from datetime import date

    from scripts.farm.doc import Doc
    from scripts.worldc.family import Family
    from scripts.worldc.ids import Identity
    from scripts.worldc.model import Article, Column

_ATTACHMENT_TYPES = {
    "pdf": (
        "application/pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n",
    ),
    "doc": ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
    "xls": ("application/vnd.ms-excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(200),
    ),
    "rar": ("application/x-rar-compressed", b"Rar!\x1a\x07\x00\xcf\x90s\x00\x00\r\x00" + bytes(100)),
}
_RESOURCE_TYPES = {
    "css": "text/css",
    "js": "application/javascript",
    "png": "image/png",
    "gif": "image/gif",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
# (directory, file) of the 网站声明 page whose relative link to itself grows the path (trap_loop)
_LOOPS = {
    "dede": ("a/about", "wzsm.html"),
    "empire": ("about", "wzsm.html"),
    "powereasy": ("html", "WZSM.HTM"),
    "static": ("html", "wzsm.htm"),
    "hdjl": ("about", "wzsm.html"),
}
_DEAD_HOSTS = [
    ("四川省教育厅（旧版）", "www.scedu.gov.invalid"),
    ("市政务服务网", "zwfw.scsz.gov.invalid"),
    ("县融媒体中心", "www.xrmt.gov.invalid"),
    ("阳光政务热线", "yg.12345sc.gov.invalid"),
]
_SOFT_ALERT = "<script>alert('该信息不存在或已被删除！');{action}</script>"
_SOFT_STATUS_FAULTS = {
    "http404": 404,
    "http410": 410,
    "http403": 403,
    "http500": 500,
    "http502": 502,
    "http503": 503,
}


@dataclass(slots=True, eq=False)
class Node:
    """A page: what truth says about it and the links it carries."""

    key: str
    kind: str  # home | channel | column | article | attachment | other
    title: str
    pub: date | None
    column: Column | None
    links: list[tuple[str, str]]
    base: str | None


@dataclass(slots=True, eq=False)
class Answer:
    """What the server sends for one key."""

    status: int
    body: bytes = b""
    ctype: str = "text/html"
    location: str | None = None
    node: Node | None = None
    trap: bool = False
    soft: str | None = None  # alert_back | alert_home | template | redirect_home | empty


class Site:
    """The route table of one site, built eagerly (a few ms), answered by key (path + query, decoded)."""

    def __init__(
        self,
        ident: Identity,
        *,
        seed: int,
        today: date,
        host: str,
        fault_rate: float,
        sisters: list[tuple[str, str]],
    ) -> None:
        self.ident = ident
        self.host = host
        rng = random.Random(f"worldc/{seed}/site/{ident.index}")
        model = SiteModel(
            ident=ident,
            today=today,
            rng=rng,
            columns=build_columns(ident, rng, today),
            articles=[],
            features=set(ident.features),
        )
        fill_articles(model, fault_rate)
        model.sisters = sisters
        self.model = model
        self.family: Family = FAMILY_CLASSES[ident.family](model, host)
        self.family.assign()
        self.routes: dict[str, Answer] = {}
        self.soft404: dict[str, str] = {}  # key → kind
        self.loop: tuple[str, str] | None = None
        self._faults = random.Random(f"worldc/{seed}/faults/{ident.index}")
        self._counter = 0
        self._place_faults()
        self._build_pages()
        self.lower = {key.lower(): answer for key, answer in self.routes.items()} if self.family.iis else {}
        # A real PHP/ASP/JSP server reads query parameters in any order: ?id=5&classid=2 is ?classid=2&id=5.
        self.by_params = {_params_key(key): answer for key, answer in self.routes.items() if "?" in key}

    # ---- faults ----
    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _host_article(self) -> Article | None:
        articles = [a for a in self.model.articles if a.column.empty_kind is None]
        return self._faults.choice(articles) if articles else None

    def _place(self, link: FaultLink) -> None:
        article = None if link.on_home else self._host_article()
        if article is None:
            link.on_home = True
            self.model.home_links.append(link)
        else:
            article.extra.append(link)

    def _place_faults(self) -> None:
        rng = self._faults
        for fault in sorted(self.ident.faults):
            if fault.startswith(("col_", "empty_", "late_")):
                continue  # placed by the model
            if fault.startswith("trap_"):
                self._place_trap(fault)
                continue
            for _ in range(rng.randint(1, 2)):
                on_home = rng.random() < 0.3
                if fault in _SOFT_STATUS_FAULTS or fault == "chain301":
                    self._place(FaultLink(fault, self._http_fault(fault), self._link_text(), "page", on_home))
                elif fault == "dead_attach":
                    self._dead_attachment()
                elif fault == "dead_img":
                    article = self._host_article()
                    target = self.family.image_url(article, 9) if article else "/images/banner_old.jpg"
                    self._place(FaultLink(fault, target, "宣传图片", "resource", on_home))
                elif fault == "dns":
                    name, dead_host = rng.choice(_DEAD_HOSTS)
                    self._place(FaultLink(fault, f"http://{dead_host}/", name, "external", on_home))
                elif fault == "refused":
                    self._place(
                        FaultLink(
                            fault,
                            f"http://127.0.0.1:1/portal/{self._next()}.html",
                            "政务外网入口",
                            "external",
                            on_home,
                        )
                    )
                else:  # soft 404 families
                    self._place(FaultLink(fault, self._soft_fault(fault), self._link_text(), "page", on_home))

    def _link_text(self) -> str:
        return f"{self._faults.choice(TOPICS)}工作专题"

    def _http_fault(self, fault: str) -> str:
        n = self._next()
        if fault == "chain301":
            first, second = f"/zt{n}/", f"/zt/zt{n}/"
            self.routes[first] = Answer(301, location=f"http://{self.host}{second}")
            self.routes[second] = Answer(301, location="index.html")  # ends in a 404: /zt/ztN/index.html
            return first
        status = _SOFT_STATUS_FAULTS[fault]
        if status == 403:
            article = self._host_article()
            key = self.family.attachment_dir(article) if article else "/uploads/"
        else:
            key = self.family.dead_url(n)
        self.routes[key] = Answer(status, self._encode(self.family.error_page(status)))
        return key

    def _soft_fault(self, fault: str) -> str:
        n = self._next()
        key = self.family.deleted_url(n)
        kind = fault.removeprefix("soft_")
        if kind == "alert_back":
            answer = Answer(200, self._encode(_SOFT_ALERT.format(action="history.back();")))
        elif kind == "alert_home":
            answer = Answer(200, self._encode(_SOFT_ALERT.format(action="location.href='/';")))
        elif kind == "template":
            html, _ = self.family.render_soft_template(n)
            answer = Answer(200, self._encode(html))
        elif kind == "302":
            kind = "redirect_home"
            answer = Answer(302, location=f"http://{self.host}/")
        else:
            answer = Answer(200, b"")
        answer.soft = kind
        self.routes[key] = answer
        self.soft404[key] = kind
        return key

    def _dead_attachment(self) -> None:
        article = self._host_article()
        if article is None:
            return
        ext = self._faults.choice(["doc", "pdf", "xls", "rar"])
        n = self._next()
        if self.ident.family == "static":
            path = f"/files/{article.pub.year}/附件{n} {article.title[:8]}.{ext}"
        else:
            path = f"{self.family.attachment_dir(article)}{article.pub:%Y%m}/{md5(f'gone{n}')[:20]}.{ext}"
        article.attachments.append(
            Attachment(name=f"附件{n}：{article.title[:14]}", ext=ext, dead=True, path=path, href=path)
        )

    def _place_trap(self, fault: str) -> None:
        today = self.model.today
        if fault == "trap_search":
            for keyword in self._faults.sample(TOPICS, 2):
                self._place(FaultLink(fault, self.family.search_url(keyword, 1), keyword, "page", True))
        elif fault == "trap_calendar":
            self._place(FaultLink(fault, f"/archives/{today:%Y}/{today:%m}/", "文章归档", "page", True))
        else:
            folder, name = _LOOPS.get(self.ident.family, (self.ident.dept_slug, "wzsm.shtml"))
            self.loop = (folder, name)
            self._place(FaultLink(fault, f"/{folder}/{name}", "网站声明", "page", True))

    # ---- pages ----
    def _encode(self, html: str) -> bytes:
        return html.encode(self.family.codec, errors="xmlcharrefreplace")

    def _add(
        self,
        key: str,
        kind: str,
        title: str,
        rendered: tuple[str, Doc],
        *,
        pub: date | None = None,
        column: Column | None = None,
    ) -> Answer:
        html, doc = rendered
        node = Node(key, kind, title, pub, column, doc.links, doc.base)
        answer = Answer(200, self._encode(html), self.family.content_type(), node=node)
        self.routes[key] = answer
        return answer

    def _build_pages(self) -> None:
        fam, model = self.family, self.model
        home = self._add("/", "home", self.ident.name, fam.render_home())
        self._build_home_parts(home)
        for slug, name in model.channels:
            self._add(fam.channel_paths[slug], "channel", name, fam.render_channel(slug))
        for column in model.columns:
            if column.empty_kind != "dead":
                self._build_column(column)
        for article in model.articles:
            self._build_article(article)
        for column in model.columns:
            for message in column.messages:
                self._add(
                    message.path,
                    "article",
                    message.title,
                    fam.render_letter(message),
                    pub=message.asked,
                    column=column,
                )
        about = self._add(fam.about, "other", "联系我们", fam.render_about())
        if fam.name == "powereasy":
            self.routes[fam.about.lower()] = about
        self._add(fam.sitemap, "other", "网站地图", fam.render_sitemap())
        if self.loop is not None:
            folder, name = self.loop
            self._add(f"/{folder}/{name}", "other", "网站声明", fam.render_about(f"{folder}/{name}"))
        if fam.name == "dede":
            robots = b"User-agent: *\nDisallow: /data/\nDisallow: /dede/\nDisallow: /include/\n"
            self.routes["/robots.txt"] = Answer(200, robots, "text/plain")
        self._build_resources()

    def _build_home_parts(self, home: Answer) -> None:
        fam = self.family
        if fam.name == "static":
            assert isinstance(fam, Static)
            if fam.v == 0:
                self._add("/top.htm", "other", self.ident.name, fam.render_frame("top"))
                self._add("/bottom.htm", "other", self.ident.name, fam.render_frame("bottom"))
                self._add("/main.htm", "other", self.ident.name, fam.render_main())
            else:
                self._add("/index2.htm", "other", self.ident.name, fam.render_main())
        elif fam.name == "zhanqun":
            self.routes[f"/{self.ident.dept_slug}/index.shtml"] = home

    def _build_column(self, column: Column) -> None:
        fam = self.family
        first = None
        for page, key in enumerate(column.pages, start=1):
            answer = self._add(key, "column", column.name, fam.render_list(column, page), column=column)
            first = first or answer
        assert first is not None
        page_one = column.pages[0]
        aliases = {
            "dede": [f"{page_one}list_{column.cid}_1.html", f"{page_one}index.html"],
            "empire": [f"{page_one}index.html"],
            "powereasy": [f"{page_one}&page=1"] if "?" in page_one else [page_one.lower()],
            "zhanqun": [f"{page_one}?page=1"],
        }.get(fam.name, [])
        if fam.name == "static":
            assert isinstance(fam, Static)
            gbk = fam.gbk_href(column)
            if gbk is not None:
                aliases.append(unquote(gbk, errors="replace"))
        for alias in aliases:
            self.routes[alias] = first

    def _build_article(self, article: Article) -> None:
        fam = self.family
        answer = self._add(
            article.path,
            "article",
            article.title,
            fam.render_article(article),
            pub=article.pub,
            column=article.column,
        )
        aliases = list(article.aliases)
        if "print" in self.model.features:
            join = "&" if "?" in article.path else "?"
            aliases += [f"{article.path}{join}print=1", f"{article.path}{join}fontsize=16"]
        for alias in aliases:
            self.routes[alias] = answer
        for attachment in article.attachments:
            if not attachment.dead:
                ctype, data = _ATTACHMENT_TYPES[attachment.ext]
                node = Node(attachment.path, "attachment", attachment.name, None, article.column, [], None)
                self.routes[attachment.path] = Answer(200, data, ctype, node=node)

    def _build_resources(self) -> None:
        """Every stylesheet, script and image a page links answers 200, dead images aside."""
        dead = {f.href for a in self.model.articles for f in a.extra if f.kind == "resource"}
        dead |= {f.href for f in self.model.home_links if f.kind == "resource"}
        base = f"http://{self.host}/"
        for answer in list(self.routes.values()):
            node = answer.node
            if node is None:
                continue
            page_url = url_of(self.host, node.key)
            for href, kind in node.links:
                if kind != "resource" or href in dead:
                    continue
                url = absolute(page_url, node.base, href)
                if url is None or not url.startswith(base):
                    continue
                key = key_of(url)
                if key not in self.routes:
                    self.routes[key] = _resource(key)

    # ---- answers ----
    def answer(self, key: str) -> Answer:
        found = self.routes.get(key)
        if found is None and self.lower:
            found = self.lower.get(key.lower())
        if found is None and "?" in key:
            found = self.by_params.get(_params_key(key))
            if found is None and self.lower:
                found = self.by_params.get(_params_key(key.lower()))
        if found is None:
            found = self._dynamic(key)
        return found

    def _dynamic(self, key: str) -> Answer:
        faults = self.ident.faults
        fam = self.family
        if "trap_calendar" in faults:
            match = re.fullmatch(r"/archives/(\d{4})/(\d{2})/", key)
            if match and 1 <= int(match.group(2)) <= 12:
                return self._trap(fam.render_calendar(int(match.group(1)), int(match.group(2))))
        if "trap_search" in faults:
            path, _, query = key.partition("?")
            probe = fam.search_url("x", 1).partition("?")[0]
            params = dict(parse_qsl(query))
            page = params.get("page") or params.get("pageNo") or ""
            keyword = (
                params.get("keyword")
                or params.get("keyboard")
                or params.get("Keyword")
                or params.get("searchWord")
            )
            if path == probe and keyword and page.isdigit() and int(page) >= 1:
                return self._trap(fam.render_search(keyword, int(page)))
        if self.loop is not None:
            folder, name = self.loop
            pattern = f"(/{re.escape(folder)}){{2,}}/{re.escape(name)}"
            if re.fullmatch(pattern, key, flags=re.IGNORECASE if fam.iis else 0):
                return self._trap(fam.render_about(f"{folder}/{name}"))
        return Answer(404, self._encode(fam.error_page(404)))

    def _trap(self, rendered: tuple[str, Doc]) -> Answer:
        html, doc = rendered
        node = Node("", "other", "", None, None, doc.links, doc.base)
        return Answer(200, self._encode(html), self.family.content_type(), node=node, trap=True)


def _params_key(key: str) -> str:
    """A key with its query parameters in a fixed order, as a server that reads them by name sees it."""
    path, _, query = key.partition("?")
    return path + "?" + "&".join(sorted(query.split("&")))


def _resource(key: str) -> Answer:
    path = key.partition("?")[0]
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if ext in ("php", "") or "ViewClick" in path:
        return Answer(
            200, b"document.write('" + str(len(key) * 37 % 4000).encode() + b"');", "application/javascript"
        )
    ctype = _RESOURCE_TYPES.get(ext, "application/octet-stream")
    body = (
        b"/* site */\n"
        if ext in ("css", "js")
        else b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!"
    )
    return Answer(200, body, ctype)
