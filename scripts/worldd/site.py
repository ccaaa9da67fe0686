"""One world d site as the server answers it: every page rendered once, every fault in the route table.

Truth (scripts/worldd/truth.py) walks the same table through `Site.answer`, so the two cannot disagree.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scripts.farm.urls import absolute, key_of, url_of
from scripts.worldd.family import FAMILY_CLASSES, NOT_FOUND_JS, Nanwei
from scripts.worldd.model import (
    Attachment,
    FaultLink,
    SiteModel,
    build_columns,
    fill_articles,
    hexid,
)
from scripts.worldd.text import TOPICS

if TYPE_CHECKING:
    from datetime import date

    from scripts.farm.doc import Doc
    from scripts.worldd.family import Family
    from scripts.worldd.ids import Identity
    from scripts.worldd.model import Article, Column

_ATTACHMENT_TYPES = {
    "pdf": (
        "application/pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n",
    ),
    "doc": ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(200),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(240),
    ),
}
_RESOURCE_TYPES = {"css": "text/css", "js": "application/javascript", "png": "image/png", "jpg": "image/jpeg"}
_DEAD_HOSTS = [
    ("省政务服务网（旧版）", "www.sczwfw.gov.invalid"),
    ("市公共资源交易中心", "ggzy.scsz.gov.invalid"),
    ("12345政务服务便民热线", "rx12345.scgov.invalid"),
    ("县融媒体中心", "rmt.xian.gov.invalid"),
]
_HTTP_FAULTS = {"http404": 404, "http410": 410, "http500": 500, "http503": 503}
_CALENDAR = re.compile(r"/calendar\?date=(\d{4})-(\d{2})")


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
    part_of: str | None = None  # pages 2.. of a split article: the article's key


@dataclass(slots=True, eq=False)
class Answer:
    """What the server sends for one key."""

    status: int
    body: bytes = b""
    ctype: str = "text/html"
    location: str | None = None
    node: Node | None = None
    trap: bool = False
    soft: str | None = None  # js_redirect | redirect_404page | empty
    hold: bool = False  # a /slow/ endpoint: the farm server holds the answer (timeout)


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
        dept_links: list[tuple[str, str]],
    ) -> None:
        self.ident = ident
        self.host = host
        rng = random.Random(f"worldd/{seed}/site/{ident.index}")
        model = SiteModel(ident=ident, today=today, rng=rng, columns=build_columns(ident, rng), articles=[])
        fill_articles(model, fault_rate)
        model.sisters = sisters
        model.dept_links = dept_links
        self.model = model
        self.family: Family = FAMILY_CLASSES[ident.family](model, host)
        self.family.assign()
        self.routes: dict[str, Answer] = {}
        self.soft404: dict[str, str] = {}  # key → kind
        self._faults = random.Random(f"worldd/{seed}/faults/{ident.index}")
        self._counter = 0
        self._place_faults()
        self._build_pages()
        # Query parameters are read by name, in any order (a crawler that sorts them gets the same page).
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
            if fault.startswith(("col_", "empty_", "late_", "trap_", "dept_")):
                continue  # placed by the model, the family or the world
            for _ in range(rng.randint(1, 2)):
                on_home = rng.random() < 0.3
                if fault in _HTTP_FAULTS:
                    key = self.family.dead_url(self._next())
                    status = _HTTP_FAULTS[fault]
                    self.routes[key] = Answer(status, self._encode(self.family.error_page(status)))
                    self._place(FaultLink(fault, key, self._link_text(), "page", on_home))
                elif fault == "dead_attach":
                    article = self._host_article()
                    if article is not None:
                        n = self._next()
                        ext = rng.choice(["pdf", "doc", "xlsx"])
                        path = f"{self.family.attachment_path(article, 10 + n, ext)}"
                        article.attachments.append(
                            Attachment(name=f"附件{n}：{article.title[:14]}", ext=ext, dead=True, path=path)
                        )
                elif fault == "dead_img":
                    article = self._host_article()
                    target = self.family.image_url(article, 9) if article else "/picture/banner_old.jpg"
                    self._place(FaultLink(fault, target, "宣传图片", "resource", on_home))
                elif fault == "dns":
                    name, dead_host = rng.choice(_DEAD_HOSTS)
                    self._place(FaultLink(fault, f"http://{dead_host}/", name, "external", on_home))
                elif fault == "refused":
                    target = f"http://127.0.0.1:1/portal/{self._next()}.html"
                    self._place(FaultLink(fault, target, "政务外网入口", "external", on_home))
                elif fault == "timeout":
                    key = f"/slow/{hexid(f'slow{self._next()}')[:12]}.html"
                    self.routes[key] = Answer(200, self._encode("<html><body>稍后</body></html>"), hold=True)
                    self._place(FaultLink(fault, key, self._link_text(), "page", on_home))
                else:  # soft 404 families
                    self._place(FaultLink(fault, self._soft_fault(fault), self._link_text(), "page", on_home))

    def _link_text(self) -> str:
        return f"{self._faults.choice(TOPICS)}专题"

    def _soft_fault(self, fault: str) -> str:
        key = self.family.deleted_url(self._next())
        if fault == "soft_js":
            answer = Answer(200, self._encode(NOT_FOUND_JS), self.family.content_type(), soft="js_redirect")
        elif fault == "soft_404page":
            answer = Answer(302, location="/404.html", soft="redirect_404page")
        else:
            answer = Answer(200, b"", self.family.content_type(), soft="empty")
        self.routes[key] = answer
        self.soft404[key] = answer.soft or ""
        return key

    # ---- pages ----
    def _encode(self, html: str) -> bytes:
        data = html.encode(self.family.codec, errors="xmlcharrefreplace")
        return b"\xef\xbb\xbf" + data if self.family.bom else data

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
        if fam.home_alias:
            self.routes[fam.home_alias] = home
        for slug, name in model.channels:
            channel = self._add(fam.channel_paths[slug], "channel", name, fam.render_channel(slug))
            if slug in fam.channel_aliases:
                self.routes[fam.channel_aliases[slug]] = channel
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
        self._add(fam.about, "other", "联系我们", fam.render_about())
        self._add(fam.sitemap, "other", "网站地图", fam.render_sitemap())
        self._add(fam.jiucuo, "other", "我为政府网站找错", fam.render_jiucuo())
        if fam.stats_page:
            self._add(fam.stats_page, "other", "网站统计", fam.render_stats())
        for key, title in fam.extra_pages.items():
            self._add(key, "other", title, fam.render_guide(key, title))
        not_found = self._add("/404.html", "other", "页面不存在", fam.render_404_page())
        not_found.soft = "page404"
        if fam.robots:
            self.routes["/robots.txt"] = Answer(200, fam.robots.encode(), "text/plain")
        self._build_resources()

    def _build_column(self, column: Column) -> None:
        fam = self.family
        first = None
        for page, key in enumerate(column.pages, start=1):
            answer = self._add(key, "column", column.name, fam.render_list(column, page), column=column)
            first = first or answer
        assert first is not None
        if column.pages[0].endswith("/"):  # the createPageHTML 首页 link and a directory's index
            self.routes[column.pages[0] + "index.html"] = first
        if isinstance(fam, Nanwei) and column.mode == "json" and column.empty_kind is None:
            for page, key in enumerate(column.data_pages, start=1):
                body, doc = fam.render_data(column, page)
                node = Node(key, "other", column.name, None, column, doc.links, None)
                self.routes[key] = Answer(
                    200, body.encode("utf-8"), "application/json;charset=UTF-8", node=node
                )

    def _build_article(self, article: Article) -> None:
        fam = self.family
        self._add(
            article.path,
            "article",
            article.title,
            fam.render_article(article),
            pub=article.pub,
            column=article.column,
        )
        for part, key in enumerate(article.part_paths, start=2):
            answer = self._add(
                key,
                "other",
                article.title,
                fam.render_article(article, part),
                pub=article.pub,
                column=article.column,
            )
            assert answer.node is not None
            answer.node.part_of = article.path
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
        if found is None and "?" in key:
            found = self.by_params.get(_params_key(key))
        if found is None:
            found = self._dynamic(key)
        return found

    def _dynamic(self, key: str) -> Answer:
        fam = self.family
        match = _CALENDAR.fullmatch(key)
        if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
            return self._trap(fam.render_calendar(int(match.group(1)), int(match.group(2))))
        if key.partition("?")[0] == "/search":  # any query: the search page always answers
            return self._trap(fam.render_search(key))
        return Answer(404, self._encode(fam.error_page(404)))

    def _trap(self, rendered: tuple[str, Doc]) -> Answer:
        html, doc = rendered
        node = Node("", "other", "", None, None, doc.links, doc.base)
        return Answer(200, self._encode(html), self.family.content_type(), node=node, trap=True)


def _params_key(key: str) -> str:
    path, _, query = key.partition("?")
    return path + "?" + "&".join(sorted(query.split("&")))


def _resource(key: str) -> Answer:
    path = key.partition("?")[0]
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    ctype = _RESOURCE_TYPES.get(ext, "application/octet-stream")
    body = (
        b"/* site */\n"
        if ext in ("css", "js")
        else b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!"
    )
    return Answer(200, body, ctype)
