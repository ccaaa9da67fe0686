"""Attachments checked and read with one GET, read again only once they changed
(crawler/middlewares/attachment_reads.py, the spider's attachment reads, the frontier's validators).

Two crawl cycles of a site served by a real HTTP server that counts what it is asked, against the real
Redis and Elasticsearch; the report's personal-data findings are built from what the crawls stored.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
import xxhash
from elasticsearch import helpers

from crawler.site_state import CheckPoint, RegisteredSite, build_site_states
from scripts.farm.content import _docx, _pdf, _xlsx
from tests.conftest import CRAWL_SETTINGS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import redis
    from elasticsearch import Elasticsearch

    from tests.conftest import Env

MAX_BYTES = 60_000  # GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES of these crawls
ROWS = [["序号", "姓名", "身份证号码", "手机"], ["1", "张伟", "51010419800101009x", "13812345678"],
        ["2", "王芳", "510104199012311239", "15900001111"], ["3", "李娜", "", "18623456789"]]
MASKED = ["510104********009X   138****5678", "510104********1239   159****1111", "186****6789"]


def _doc(lines: list[str]) -> bytes:
    """A legacy Word file's shape: the OLE signature, then the text as a UTF-16 run between binary."""
    text = "\r".join(lines).encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + text + bytes(200)


@dataclasses.dataclass(slots=True)
class Served:
    """One file of the site: its bytes and how its server describes it."""

    body: bytes
    content_type: str
    validators: str = "etag"  # etag | modified | none
    conditional: bool = True  # False: answers a conditional request in full all the same
    version: int = 1  # its Last-Modified day
    length: bool = True  # False: sent without Content-Length, ended by closing the connection
    stall_after: int | None = None  # send this many bytes, then hold the connection past the timeout


def _files() -> dict[str, Served]:
    login = ('<html><head><title>用户登录</title></head><body><form action="/login" method="post">'
             '附件下载须先登录。用户名<input name="u">密码<input name="p" type="password">'
             '</form></body></html>')
    return {
        "/files/list.xlsx": Served(_xlsx(ROWS), "application/vnd.ms-excel"),
        "/files/fixed.pdf": Served(_pdf(["   ".join(row[2:]) for row in ROWS[1:]]), "application/pdf",
                                   validators="modified"),
        "/files/stubborn.pdf": Served(_pdf(["   ".join(row[2:]) for row in ROWS[1:]]), "application/pdf",
                                      conditional=False),
        "/files/plain.docx": Served(_docx(ROWS), "application/msword", validators="none"),
        "/files/legacy.doc": Served(_doc(["   ".join(row) for row in ROWS]), "application/msword",
                                    validators="none"),
        "/files/big.pdf": Served(b"%PDF-1.4\n" + bytes(4 * MAX_BYTES), "application/pdf"),
        "/files/stream.xlsx": Served(b"PK\x03\x04" + bytes(4 * MAX_BYTES), "application/octet-stream",
                                     length=False),
        "/files/stalled.pdf": Served(b"%PDF-1.4\n" + bytes(30_000), "application/pdf", stall_after=10_000),
        "/files/login.pdf": Served(login.encode(), "text/html; charset=utf-8"),
        "/files/archive.zip": Served(b"PK\x05\x06" + bytes(18), "application/zip"),
    }


HOME_LINKS = {
    "/files/list.xlsx": "2026年城乡低保对象名单", "/files/fixed.pdf": "临时救助人员公示",
    "/files/stubborn.pdf": "残疾人两项补贴名单",
    "/files/plain.docx": "特困人员供养名册", "/files/legacy.doc": "高龄津贴发放名单",
    "/files/big.pdf": "2026年部门预算公开", "/files/stream.xlsx": "政府采购意向汇总表",
    "/files/stalled.pdf": "年度工作报告全文", "/files/login.pdf": "行政许可申请表下载",
    "/files/gone.docx": "已撤销的通知附件", "/files/archive.zip": "政策文件汇编压缩包",
}


class TestSite:
    """A county government site on 127.0.0.1 and another host on 127.0.0.2, counting every request."""

    __test__ = False

    def __init__(self) -> None:
        self.files = _files()
        self.lock = threading.Lock()
        self.asked: list[tuple[str, str, str, bool]] = []  # (host, method, path, conditional)
        self.servers = [ThreadingHTTPServer((host, 0), _handler(self)) for host in ("127.0.0.1", "127.0.0.2")]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.servers[0].server_address[1]}/"

    @property
    def other_host_file(self) -> str:
        return f"http://127.0.0.2:{self.servers[1].server_address[1]}/files/other.pdf"

    def home(self) -> bytes:
        items = "".join(f'<li><a href="{path}">{name}</a></li>' for path, name in HOME_LINKS.items())
        items += f'<li><a href="{self.other_host_file}">省级文件原文</a></li>'
        return ("<html><head><meta charset='utf-8'><title>测试区人民政府</title></head><body>"
                "<h1>测试区人民政府</h1><p>为进一步做好社会救助工作，现将本区2026年度社会救助对象名单及相关"
                "政策文件予以公开，接受社会监督。如有异议，请于公示期内向区民政局反映。</p>"
                f"<h2>通知公告</h2><ul>{items}</ul><p>测试区人民政府办公室 主办</p></body></html>").encode()

    def record(self, host: str, method: str, path: str, conditional: bool) -> None:
        with self.lock:
            self.asked.append((host, method, path, conditional))

    def taken(self) -> Counter[tuple[str, str, bool]]:
        """(method, path, conditional) of every file request since the last call."""
        with self.lock:
            asked, self.asked = self.asked, []
        return Counter((method, path, conditional) for _, method, path, conditional in asked
                       if path.startswith("/files/"))


def _handler(site: TestSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(head=False)

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def _answer(self, *, head: bool) -> None:
            conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
            site.record(self.server.server_address[0], self.command, self.path, conditional)
            if self.path == "/":
                self._send(200, site.home(), "text/html; charset=utf-8", {}, head=head)
                return
            served = site.files.get(self.path.replace("/other.pdf", "/fixed.pdf"))
            if served is None:
                self._send(404, b"<html><body><h1>404</h1></body></html>", "text/html", {}, head=head)
                return
            headers: dict[str, str] = {}
            if served.validators == "etag":
                headers["ETag"] = f'"{xxhash.xxh64_hexdigest(served.body)}"'
            elif served.validators == "modified":
                headers["Last-Modified"] = f"Tue, {served.version:02d} Dec 2026 08:00:00 GMT"
            asked = {"ETag": self.headers.get("If-None-Match"),
                     "Last-Modified": self.headers.get("If-Modified-Since")}
            if served.conditional and any(asked[name] == value for name, value in headers.items()):
                self._send(304, b"", None, headers, head=True)
                return
            self._send(200, served.body, served.content_type, headers, head=head, length=served.length,
                       stall_after=served.stall_after)

        def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str], *,
                  head: bool, length: bool = True, stall_after: int | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if head:
                return
            try:
                if stall_after is not None:
                    self.wfile.write(body[:stall_after])
                    self.wfile.flush()
                    time.sleep(4)  # past the crawl's 2.5 s timeout
                self.wfile.write(body)
            except OSError:
                pass  # the crawler stopped reading: what this test is about

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the counts."""

    return Handler


@pytest.fixture
def test_site() -> Iterator[TestSite]:
    site = TestSite()
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in site.servers]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        for server in site.servers:
            server.shutdown()
            server.server_close()


def _crawl(env: Env, registry: Path, *settings: str) -> dict[str, int]:
    """One once=1 crawl cycle of the registry; returns its govcrawl/content/* and link-check stats."""
    assert env.scrapy("seed", str(registry)).returncode == 0
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=180, settings=(
        *CRAWL_SETTINGS, "-s", f"GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES={MAX_BYTES}", *settings))
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return {name: int(count) for name, count in
            re.findall(r"'govcrawl/(content/attachment_\w+|links/checked/\w+)': (\d+)", crawl.stderr)}


def _next_cycle(redis_client: redis.Redis, env: Env) -> None:
    """Forget what was seen (validators stay), so the next seed starts a cycle that fetches all again."""
    for key in redis_client.scan_iter(match=f"{env.redis_prefix}:seen:*"):
        redis_client.delete(key)


def _links(es_client: Elasticsearch, env: Env) -> list[dict[str, Any]]:
    return [hit["_source"] for hit in helpers.scan(es_client, index=f"{env.es_prefix}-links",
                                                   query={"query": {"match_all": {}}})]


def _reported(es_client: Elasticsearch, env: Env, site: RegisteredSite) -> dict[str, tuple[str, ...]]:
    """The attachments the report would name for personal data (I-PRIVACY), with their masked numbers."""
    [state] = build_site_states(es_client, env.es_prefix, [site],
                                CheckPoint.at(None, datetime.now(UTC)))
    return {page.url.rsplit("/", 1)[-1]: page.id_numbers + page.mobiles for page in state.personal_data}


def test_one_get_per_attachment_and_only_changed_files_are_read_again(
        env: Env, test_site: TestSite, es_client: Elasticsearch, redis_client: redis.Redis, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        f"5101990001,测试区人民政府,{test_site.url},county,成都市,\n", encoding="utf-8")
    site = RegisteredSite(site_id="5101990001", name="测试区人民政府", url=test_site.url, region="成都市",
                          level="county")
    files = {f"/files/{name}" for name in ("list.xlsx", "fixed.pdf", "stubborn.pdf", "plain.docx",
                                           "legacy.doc", "big.pdf", "stream.xlsx", "stalled.pdf", "login.pdf",
                                           "gone.docx")}
    personal = ("list.xlsx", "fixed.pdf", "stubborn.pdf", "plain.docx", "legacy.doc")

    stats = _crawl(env, registry)
    first = test_site.taken()
    # One GET for each of the site's own PDF/DOC/DOCX/XLS/XLSX links, read or not; the one whose file
    # stopped arriving mid-body is checked again by HEAD. Other hosts and other kinds: HEAD, as before.
    by_head = {("HEAD", f"/files/{name}", False): 1 for name in ("stalled.pdf", "archive.zip", "other.pdf")}
    assert first == Counter({("GET", path, False): 1 for path in files} | by_head)
    assert stats["content/attachment_read"] == 5
    assert stats["content/attachment_not_read"] == 3  # too large with and without a length, stalled
    assert "content/attachment_unchanged" not in stats
    broken = {link["url"].rsplit("/", 1)[-1]: (link["status"], link["error"])
              for link in _links(es_client, env) if not link["ok"]}
    assert broken == {"login.pdf": (200, "soft404"), "gone.docx": (404, "http")}  # the others work
    everyone = ("510104********009X", "510104********1239", "138****5678", "159****1111", "186****6789")
    assert _reported(es_client, env, site) == {name: everyone for name in personal}
    read_first = {link["url"]: link["checked_at"] for link in _links(es_client, env) if link["ok"]}

    # The next cycle: fixed.pdf was corrected (numbers masked, a new Last-Modified); nothing else changed.
    fixed = test_site.files["/files/fixed.pdf"]
    test_site.files["/files/fixed.pdf"] = dataclasses.replace(fixed, body=_pdf(MASKED), version=2)
    _next_cycle(redis_client, env)
    stats = _crawl(env, registry)
    second = test_site.taken()
    conditional = {"/files/list.xlsx", "/files/fixed.pdf", "/files/stubborn.pdf"}  # they sent validators
    assert second == Counter({("GET", path, path in conditional): 1 for path in files} | by_head)
    # list.xlsx answered 304; stubborn.pdf its ETag again, in full (cut after the headers); plain.docx the
    # same length without validators: none was read again. legacy.doc too, but an OLE file's length says
    # nothing of an edit: it is read again.
    assert stats["content/attachment_unchanged"] == 3
    assert stats["content/attachment_read"] == 2
    read_second = {link["url"]: link["checked_at"] for link in _links(es_client, env) if link["ok"]}
    renewed = {url.rsplit("/", 1)[-1] for url, at in read_second.items() if at != read_first.get(url)}
    assert renewed == {"fixed.pdf", "legacy.doc"}
    # The unchanged files are reported as their last reading found them; the corrected one no longer.
    assert _reported(es_client, env, site) == {name: everyone for name in personal if name != "fixed.pdf"}

    # The cycle after: the site deleted list.xlsx (the usual correction). It answers 404 now: a broken
    # link, and no longer a file that shows personal data.
    del test_site.files["/files/list.xlsx"]
    _next_cycle(redis_client, env)
    _crawl(env, registry)
    broken = {link["url"].rsplit("/", 1)[-1]: (link["status"], link["error"])
              for link in _links(es_client, env) if not link["ok"]}
    assert broken["list.xlsx"] == (404, "http")
    assert _reported(es_client, env, site) == {name: everyone for name in personal
                                               if name not in ("fixed.pdf", "list.xlsx")}


def test_with_the_content_checks_off_attachments_are_only_checked_by_head(
        env: Env, test_site: TestSite, tmp_path: Path) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        f"5101990002,测试区人民政府,{test_site.url},county,成都市,\n", encoding="utf-8")
    stats = _crawl(env, registry, "-s", "GOVCRAWL_CONTENT_ENABLED=False")
    taken = test_site.taken()
    assert {method for method, _, _ in taken} == {"HEAD", "GET"}
    # HEAD for every file; a GET only to confirm what HEAD cannot tell: a web page, or a 404.
    assert {path for method, path, _ in taken if method == "GET"} == {"/files/login.pdf", "/files/gone.docx"}
    assert sum(count for (method, _, _), count in taken.items() if method == "HEAD") == len(HOME_LINKS) + 1
    assert not [name for name in stats if name.startswith("content/")]
