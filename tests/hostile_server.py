"""Hostile web sites on loopback for tests/test_hostile.py: each one misbehaves in one way.

Every site is a threaded HTTP server of its own on a 127.x address. Nothing here leaves loopback, and
every loop is bounded in count and in time (the trickles also stop when the suite shuts the sites down).
Each site records its visits (path, start, end, bytes sent), so a test can tell how long the worker
spent on it.
"""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

BOMB_BYTES = 256 << 20  # what the gzip bomb expands to: 256 MiB of zeros (about 260 KB sent)
HUGE_BYTES = 50 * 1024 * 1024  # the huge pages
CHAIN_HOPS = 25  # redirects of the chain (Scrapy follows 20)
TRICKLE_SECONDS = 0.25  # one trickle step of the slow sites...
TRICKLE_MAX_STEPS = 240  # ...at most this many (60 s), and never past the client's going away
CALENDAR_DAY = date(2026, 12, 6)
_CHUNK_BYTES = 64 * 1024
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(slots=True)
class Visit:
    path: str
    started: float  # time.time(), comparable with the fetched_at of the documents
    ended: float = 0.0
    sent_bytes: int = 0


@dataclass(slots=True)
class HostileSite:
    """One site: its kind (a key of KINDS), its address and what the worker asked of it."""

    kind: str
    url: str
    visits: list[Visit] = field(default_factory=list)

    def busy_seconds(self) -> float:
        """From the first request's start to the last one's end: how long the worker was on the site."""
        if not self.visits:
            return 0.0
        return max(visit.ended or time.time() for visit in self.visits) - min(v.started for v in self.visits)


def _page(title: str, body: str, *, charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>{body}</body></html>"


def _article(title: str) -> str:
    return _page(title, f"<h1>{title}</h1><p>发布日期：2026-11-20</p>"
                        f"<p>{title}的正文。本页内容由本机关发布。</p>")


def sitemap(links: int) -> bytes:
    """A 网站地图 with every link directly in one container: no <li>, nothing between them but spaces."""
    anchors = " ".join(f'<a href="/map/{number}.html">政务信息公开目录条目{number}</a>'
                       for number in range(1, links + 1))
    return _page("网站地图", f'<div class="sitemap">{anchors}</div>').encode("utf-8")


def gzip_bomb(expanded_bytes: int = BOMB_BYTES) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(expanded_bytes >> 20)]
    return b"".join([*parts, compressor.flush()])


def _calendar(day: date) -> str:
    first = day.replace(day=1)
    days = [first + timedelta(days=offset) for offset in range(31) if (first + timedelta(days=offset)).month
            == first.month]
    before, after = first - timedelta(days=1), first + timedelta(days=32)
    grid = " ".join(f'<a href="/calendar/?d={each}">{each.day}</a>' for each in days)
    return _page(f"活动日历 {day}", f'<div class="cal"><a href="/calendar/?d={before}">上月</a> {grid} '
                                    f'<a href="/calendar/?d={after.replace(day=1)}">下月</a></div>'
                                    "<p>本日无活动安排。</p>")


class _Handler(BaseHTTPRequestHandler):
    """Answers as the site's kind says; every visit is recorded on the site."""

    server: _SiteServer
    timeout = 30  # a client that stops sending mid-request is dropped

    def do_GET(self) -> None:
        self._visit(head=False)

    def do_HEAD(self) -> None:
        self._visit(head=True)

    def _visit(self, *, head: bool) -> None:
        visit = Visit(self.path, time.time())
        self._sent = 0
        self.server.site.visits.append(visit)
        try:
            if self.path == "/robots.txt":
                self._answer(404, b"")
            else:
                KINDS[self.server.site.kind](self, self.server)
        except _CLIENT_GONE:
            pass  # the worker gave up on the answer: that is what these sites are for
        finally:
            visit.sent_bytes = self._sent
            visit.ended = time.time()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the crawl's log and the visits are what the tests read."""

    # --- answers ------------------------------------------------------------------------------------
    def _answer(self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = (),
                content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self._write(body)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self._sent += len(data)

    def _redirect(self, location: str) -> None:
        self._answer(302, b"", [("Location", location)])

    def _not_found(self) -> None:
        self._answer(404, _page("页面不存在", "<p>您访问的页面不存在</p>").encode("utf-8"))

    def _stream(self, total_bytes: int, *, declared: bool) -> None:
        """`total_bytes` of page in 64 KB chunks (total/64K of them at most), until the client goes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if declared:
            self.send_header("Content-Length", str(total_bytes))
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = (b"<p>" + "政务公开".encode() * 1000 + b"</p>\n") * 5
        chunk = chunk[:_CHUNK_BYTES]
        self._write("<html><head><title>大页</title></head><body>".encode())
        for _ in range(total_bytes // len(chunk)):
            if self.server.stopping.is_set():
                return
            self._write(chunk)

    def _trickle(self, data: bytes, step_bytes: int) -> None:
        """Send `data` a few bytes at a time, TRICKLE_SECONDS apart, for at most TRICKLE_MAX_STEPS steps."""
        for step in range(min(TRICKLE_MAX_STEPS, -(-len(data) // step_bytes))):
            if self.server.stopping.wait(TRICKLE_SECONDS):
                return
            self._write(data[step * step_bytes:(step + 1) * step_bytes])
            self.wfile.flush()


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, site: HostileSite, address: str, cache: dict[str, bytes]) -> None:
        super().__init__((address, 0), _Handler)
        self.site = site
        self.cache = cache
        self.stopping = threading.Event()


# --- the kinds ----------------------------------------------------------------------------------------
def _links(count: int) -> Callable[[_Handler, _SiteServer], None]:
    def answer(handler: _Handler, server: _SiteServer) -> None:
        if handler.path == "/":
            key = f"sitemap-{count}"
            if key not in server.cache:
                server.cache[key] = sitemap(count)
            handler._answer(200, server.cache[key])
        elif handler.path.startswith("/map/") and handler.path.endswith(".html"):
            handler._answer(200, _article(f"目录条目{handler.path[5:-5]}").encode("utf-8"))
        else:
            handler._not_found()
    return answer


UNCLOSED_ROWS = 400  # rows of the unclosed-tags list: past libxml2's 256 levels of nesting


def _unclosed_tags(handler: _Handler, server: _SiteServer) -> None:
    """A list whose every row opens a <div> and never closes it: each row is nested in the one before."""
    if handler.path == "/":
        rows = "".join(f'<div class="row"><a href="/art/{number}.html">关于第{number}项工作的通知</a>'
                       " 2026-11-20" for number in range(1, UNCLOSED_ROWS + 1))
        handler._answer(200, _page("通知公告", f'<div class="list">{rows}</div>').encode("utf-8"))
    elif handler.path.startswith("/art/") and handler.path.endswith(".html"):
        handler._answer(200, _article(f"第{handler.path[5:-5]}项工作的通知").encode("utf-8"))
    else:
        handler._not_found()


def _gzip_bomb(handler: _Handler, server: _SiteServer) -> None:
    if handler.path != "/":
        handler._not_found()
        return
    if "bomb" not in server.cache:
        server.cache["bomb"] = gzip_bomb()
    handler._answer(200, server.cache["bomb"], [("Content-Encoding", "gzip")])


def _huge(declared: bool) -> Callable[[_Handler, _SiteServer], None]:
    def answer(handler: _Handler, server: _SiteServer) -> None:
        if handler.path == "/":
            handler._stream(HUGE_BYTES, declared=declared)
        else:
            handler._not_found()
    return answer


def _slow_headers(handler: _Handler, server: _SiteServer) -> None:
    """Slowloris: the status line, then one header byte at a time; the headers never end."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    handler._trickle(b"X-Padding: " + b"a" * 4000, step_bytes=1)


def _slow_body(handler: _Handler, server: _SiteServer) -> None:
    """Prompt headers announcing 100 KB, then 16 bytes at a time."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler._trickle(b"<html><body>" + b"<p>slow</p>" * 9000, step_bytes=16)


def _redirect_loop(handler: _Handler, server: _SiteServer) -> None:
    handler._redirect("/loop/" if handler.path == "/" else "/")


def _redirect_chain(handler: _Handler, server: _SiteServer) -> None:
    if handler.path == "/":
        handler._redirect("/hop/1")
    elif handler.path.startswith("/hop/"):
        hop = int(handler.path[5:] or 0)
        if hop < CHAIN_HOPS:
            handler._redirect(f"/hop/{hop + 1}")
        else:
            handler._answer(200, _article("链条的终点").encode("utf-8"))
    else:
        handler._not_found()


def _calendar_trap(handler: _Handler, server: _SiteServer) -> None:
    """Every day links every day of its month and the months around it: endless."""
    if handler.path == "/":
        handler._answer(200, _page("某县人民政府", f'<div class="nav"><a href="/calendar/?d={CALENDAR_DAY}">'
                                                   "活动日历</a></div><p>欢迎访问</p>").encode("utf-8"))
    elif handler.path.startswith("/calendar/?d="):
        try:
            day = date.fromisoformat(handler.path.rpartition("=")[2])
        except ValueError:
            handler._not_found()
            return
        handler._answer(200, _calendar(day).encode("utf-8"))
    else:
        handler._not_found()


def _growing_path(handler: _Handler, server: _SiteServer) -> None:
    """Every directory links three deeper ones, each segment new: /docs/a1/, /docs/a1/b2/, ..."""
    path = handler.path.split("?")[0]
    if not (path == "/" or path.startswith("/docs/")) or not path.endswith("/") or path.count("/") > 60:
        handler._not_found()
        return
    depth = path.count("/") - 1
    letter = chr(ord("a") + depth % 26)
    base = "/docs/" if path == "/" else path
    children = " ".join(f'<a href="{base}{letter}{number}/">栏目{letter}{number}</a>' for number in (1, 2, 3))
    page = _page("栏目建设中", f'<div class="sub">{children}</div><p>本栏目内容正在建设中。</p>')
    handler._answer(200, page.encode("utf-8"))


# kind: (home page title, title of the article it links at /art/1.html)
ENCODING_TITLES = {"invalid-utf8": ("四川省人民政府办公厅", "关于印发工作要点的通知"),
                   "gbk-undeclared": ("成都市青羊区人民政府", "青羊区召开政务公开工作会议"),
                   "nul-bytes": ("绵阳市人民政府", "绵阳市人民政府政务公开要点")}


def _encoded(kind: str) -> Callable[[_Handler, _SiteServer], None]:
    """A home page listing one article, both badly encoded:

    invalid-utf8: declared UTF-8 (header and meta), with bytes that are not UTF-8 in the text;
    gbk-undeclared: GBK bytes and no charset anywhere, not in the header, not in a meta tag;
    nul-bytes: NUL bytes in the title, the text and between the tags.
    """
    def answer(handler: _Handler, server: _SiteServer) -> None:
        home_title, article_title = ENCODING_TITLES[kind]
        if handler.path not in ("/", "/art/1.html"):
            handler._not_found()
            return
        title = home_title if handler.path == "/" else article_title
        text = _page(title, f'<div class="list"><a href="/art/1.html">{article_title}</a></div>'
                            "<p>发布日期：2026-11-20　来源：办公室。为进一步做好政务公开工作，"
                            "现将有关事项通知如下。</p>",
                     charset=None if kind == "gbk-undeclared" else "utf-8")
        if kind == "gbk-undeclared":
            handler._answer(200, text.encode("gbk"), content_type="text/html")
        elif kind == "invalid-utf8":
            handler._answer(200, text.encode("utf-8").replace(b"<p>", b"<p>\xc3\x28\xa0\xa1\xfe"))
        else:
            handler._answer(200, text.encode("utf-8").replace("人民".encode(), "人\x00民".encode())
                            .replace(b"><", b">\x00\x00<"))
    return answer


# The sites the linker's home page links: each link is checked, and its LinkItem names how it failed.
LINKED_KINDS = ("gzip-bomb", "huge-declared", "huge-streamed", "slow-headers", "slow-body", "redirect-loop",
                "redirect-chain")


def _linker(handler: _Handler, server: _SiteServer) -> None:
    """A plain home page whose list links the home pages of the failing sites (LINKED_KINDS)."""
    if handler.path == "/":
        handler._answer(200, server.cache["linker"])
    else:
        handler._not_found()


KINDS: dict[str, Callable[[_Handler, _SiteServer], None]] = {
    "links-10000": _links(10_000),
    "links-50000": _links(50_000),
    "links-100000": _links(100_000),
    "unclosed-tags": _unclosed_tags,
    "gzip-bomb": _gzip_bomb,
    "huge-declared": _huge(declared=True),
    "huge-streamed": _huge(declared=False),
    "slow-headers": _slow_headers,
    "slow-body": _slow_body,
    "redirect-loop": _redirect_loop,
    "redirect-chain": _redirect_chain,
    "calendar-trap": _calendar_trap,
    "growing-path": _growing_path,
    **{kind: _encoded(kind) for kind in ENCODING_TITLES},
    "linker": _linker,
}


@dataclass(slots=True)
class HostileSites:
    """The running sites by kind; `registry_rows` lists them for `scrapy seed`."""

    sites: dict[str, HostileSite]
    FIRST_SITE_ID: ClassVar[int] = 5200000001

    def registry_rows(self) -> list[str]:
        return [f"{self.FIRST_SITE_ID + number},敌意站点{kind},{site.url},county,成都市,"
                for number, (kind, site) in enumerate(self.sites.items())]

    def site_id(self, kind: str) -> str:
        return str(self.FIRST_SITE_ID + list(self.sites).index(kind))


@contextlib.contextmanager
def serve_hostile_sites(base_ip: str, kinds: Sequence[str] = tuple(KINDS)) -> Iterator[HostileSites]:
    """Start one server per kind on base_ip, base_ip + 1, ... (loopback only); stop them all afterwards."""
    first = [int(part) for part in base_ip.split(".")]
    if first[0] != 127:
        raise ValueError(f"hostile sites serve loopback only, not {base_ip}")
    cache: dict[str, bytes] = {"bomb": gzip_bomb()} if "gzip-bomb" in kinds else {}
    servers: list[_SiteServer] = []
    sites: dict[str, HostileSite] = {}
    try:
        for number, kind in enumerate(kinds):
            address = ".".join(str(part) for part in (*first[:3], first[3] + number))
            site = HostileSite(kind, "")
            server = _SiteServer(site, address, cache)
            site.url = f"http://{address}:{server.server_address[1]}/"
            servers.append(server)
            sites[kind] = site
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        anchors = " ".join(f'<a href="{sites[kind].url}">{kind}</a>'
                           for kind in LINKED_KINDS if kind in sites)
        cache["linker"] = _page("友情链接", f'<div class="links">{anchors}</div>').encode("utf-8")
        yield HostileSites(sites)
    finally:
        for server in servers:
            server.stopping.set()
            server.shutdown()
            server.server_close()
