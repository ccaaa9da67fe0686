"""One asyncio HTTP/1.1 server for every farm site (one listener per site address) plus /_farm control."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from typing import TYPE_CHECKING, cast
from urllib.parse import unquote

import xxhash

from scripts.farm import render
from scripts.farm.content import attachment_file, defaced_home
from scripts.farm.pages import RESOURCES, PageSpec, answer, build_pages
from scripts.farm.publish import Published, items_for, with_published
from scripts.farm.world import World

if TYPE_CHECKING:
    from scripts.farm.world import SiteModel
    from scripts.worldb.world import WorldB
    from scripts.worldc import WorldC
    from scripts.worldd import WorldD

logger = logging.getLogger(__name__)
MAX_HEAD_BYTES = 65536
Response = tuple[bytes, float]  # raw response bytes, seconds to hold them


@dataclass(slots=True)
class HostStats:
    """Request counters of one host (site address)."""

    requests: int = 0
    inflight: int = 0
    max_inflight: int = 0
    connections: int = 0
    max_connections: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "inflight": self.inflight,
            "max_inflight": self.max_inflight,
            "connections": self.connections,
            "max_connections": self.max_connections,
        }


@dataclass(slots=True)
class FarmStats:
    """Counters read by GET /_farm/stats."""

    total_requests: int = 0
    not_modified: int = 0  # 304 answers to conditional requests
    hosts: dict[str, HostStats] = field(default_factory=dict)

    def host(self, ip: str) -> HostStats:
        stats = self.hosts.get(ip)
        if stats is None:
            stats = self.hosts[ip] = HostStats()
        return stats

    def reset(self) -> None:
        self.total_requests = 0
        self.not_modified = 0
        for ip, stats in list(self.hosts.items()):
            fresh = HostStats(
                inflight=stats.inflight,
                max_inflight=stats.inflight,
                connections=stats.connections,
                max_connections=stats.connections,
            )
            self.hosts[ip] = fresh


# What a fixed path answers: a plain page with enough text not to read as a soft 404.
_FIXED_PAGE = ("<html><head><title>页面已恢复</title></head><body><h1>页面已恢复</h1>"
               "<p>本页面内容已由网站主办单位恢复，原链接现可正常访问。如有疑问请联系网站管理员。</p>"
               "</body></html>").encode()


def http_response(
    status: int,
    body: bytes,
    content_type: str,
    *,
    head: bool = False,
    location: str | None = None,
    keep_alive: bool = True,
) -> bytes:
    """Serialize one HTTP/1.1 response."""
    reason = HTTPStatus(status).phrase
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Server: farm",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    if location is not None:
        lines.append(f"Location: {location}")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + body


class FarmServer:
    """Serves a World: answers site requests, keeps stats, takes sites down and up."""

    def __init__(
        self,
        world: World | WorldB | WorldC | WorldD,
        *,
        slow_seconds: float = 30.0,
        slow_home_seconds: float = 3.0,
        latency_seconds: float = 0.0,
    ) -> None:
        self.world = world
        self.slow_seconds = slow_seconds
        self.slow_home_seconds = slow_home_seconds
        self.latency_seconds = latency_seconds
        self.stats = FarmStats()
        self.listeners: dict[str, asyncio.Server] = {}
        self.connections: dict[str, set[_HttpProtocol]] = {}
        self._control: asyncio.Server | None = None
        self.pages = lru_cache(maxsize=max(256, world.site_count))(self._pages)  # every site, as World.model
        # Paths a site owner fixed at run time (POST /_farm/fix/IP/PATH): they answer a plain 200 page.
        self.fixed: dict[str, set[str]] = {}
        # Sites whose home page was defaced at run time (POST /_farm/deface/IP, /_farm/restore/IP; issue 14).
        self.defaced: set[str] = set()
        # Items sites published at run time (POST /_farm/publish/IP; scripts/farm/publish.py).
        self.published: dict[int, list[Published]] = {}
        self.rendered = lru_cache(maxsize=8192)(self._rendered)

    def _pages(self, index: int) -> dict[str, PageSpec]:
        assert isinstance(self.world, World)
        model = with_published(self.world.model(index), self.published.get(index, []))
        return build_pages(model, self.world.today)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._control = await loop.create_server(
            lambda: _HttpProtocol(self, None), "127.0.0.1", self.world.port, reuse_address=True
        )
        for ident in self.world.identities:
            if not ident.down:
                await self.site_up(ident.ip)
        logger.info(
            "Farm serving %(sites)d sites on port %(port)d",
            {"sites": self.world.site_count, "port": self.world.port},
        )

    async def site_up(self, ip: str) -> None:
        if ip in self.listeners:
            return
        loop = asyncio.get_running_loop()
        self.listeners[ip] = await loop.create_server(
            lambda: _HttpProtocol(self, ip), ip, self.world.port, reuse_address=True, backlog=512
        )

    def site_down(self, ip: str) -> None:
        listener = self.listeners.pop(ip, None)
        if listener is not None:
            listener.close()
        for protocol in list(self.connections.get(ip, ())):
            protocol.abort()

    async def stop(self) -> None:
        for ip in list(self.listeners):
            self.site_down(ip)
        if self._control is not None:
            self._control.close()
            await self._control.wait_closed()

    def _rendered(self, index: int, path: str, head: bool) -> bytes:
        if not isinstance(self.world, World):  # worlds b, c and d answer by themselves
            return self.world.http_answer(index, path, head)
        model = self.world.model(index)
        found = answer(self.pages(index), path)
        html_type = f"text/html; charset={model.declared_charset}" if model.declared_charset else "text/html"
        if found.status == 0:
            return b""
        if found.location is not None:
            return http_response(found.status, b"", html_type, head=head, location=found.location)
        if found.page is not None:
            page = found.page
            if page.kind == "attachment":
                content_type, data = attachment_file(model, page.path)
                return http_response(200, data, content_type, head=head)
            html = render.render_page(model, page, self.world.today)
            return http_response(200, _encode(model, html), html_type, head=head)
        if found.soft404:
            return http_response(200, _encode(model, render.render_soft404(path)), html_type, head=head)
        if path == "/robots.txt":
            return http_response(200, render.robots_txt(model).encode(), "text/plain", head=head)
        if path in RESOURCES:
            return http_response(200, b"/* farm */\n", found.content_type, head=head)
        if found.status == 200:
            body = (
                render.render_trap(path)
                if found.body == "trap"
                else f"<html><body>{found.body}</body></html>"
            )
            return http_response(200, _encode(model, body), html_type, head=head)
        return http_response(
            found.status,
            _encode(model, f"<html><body><h1>{found.status}</h1></body></html>"),
            html_type,
            head=head,
        )

    def site_response(self, ip: str, method: str, target: str, if_none_match: str | None = None) -> Response:
        """Bytes to send (b'' = close the connection) and how long to hold them.

        Every 200 answer carries an ETag of its bytes; a request whose If-None-Match names it gets a
        304, as from a CMS serving static pages.
        """
        index = self.world.index_of_ip[ip]
        path = unquote(target, errors="replace")
        data = self.rendered(index, path, method == "HEAD")
        if path in self.fixed.get(ip, ()):
            data = http_response(200, _FIXED_PAGE, "text/html; charset=utf-8", head=method == "HEAD")
        defaced = ip in self.defaced and path in ("/", "/index.html") and isinstance(self.world, World)
        if defaced and isinstance(self.world, World):  # world b has no defacement
            page = defaced_home(self.world.model(index)).encode()
            data = http_response(200, page, "text/html; charset=utf-8", head=method == "HEAD")
        if data.startswith(b"HTTP/1.1 200 "):
            shown = data if defaced else self.rendered(index, path, False)
            etag = f'"{xxhash.xxh64_hexdigest(shown)}"'
            if if_none_match is not None and etag in if_none_match:
                self.stats.not_modified += 1
                data = http_response(304, b"", "text/html", head=True)
            head_end = data.index(b"\r\n") + 2
            data = data[:head_end] + f"ETag: {etag}\r\n".encode("latin-1") + data[head_end:]
        delay = self.latency_seconds
        if path.startswith("/slow/"):
            delay = self.slow_seconds
        elif path == "/" and self.world.identities[index].slow:
            delay = self.slow_home_seconds
        return data, delay

    async def control_response(self, method: str, target: str) -> bytes:
        parts = target.split("?", maxsplit=1)[0].strip("/").split("/")
        if method == "GET" and parts == ["_farm", "stats"]:
            payload = {
                "total_requests": self.stats.total_requests,
                "not_modified": self.stats.not_modified,
                "hosts": {ip: s.as_dict() for ip, s in sorted(self.stats.hosts.items())},
                "down": sorted(ip for ip in self.world.ips if ip not in self.listeners),
            }
            return http_response(200, json.dumps(payload).encode(), "application/json")
        if method == "POST" and parts == ["_farm", "reset-stats"]:
            self.stats.reset()
            return http_response(200, b'{"ok": true}', "application/json")
        if (
            method == "POST"
            and len(parts) == 4
            and parts[:2] == ["_farm", "site"]
            and parts[2] in self.world.index_of_ip
            and parts[3] in ("up", "down")
        ):
            ip, action = parts[2], parts[3]
            if action == "up":
                await self.site_up(ip)
            else:
                self.site_down(ip)
            logger.info("Site %(ip)s set %(action)s", {"ip": ip, "action": action})
            return http_response(200, b'{"ok": true}', "application/json")
        if method == "POST" and len(parts) >= 4 and parts[:2] in (["_farm", "fix"], ["_farm", "unfix"]) \
                and parts[2] in self.world.index_of_ip:
            return self._fix(parts[1], parts[2], "/" + "/".join(parts[3:]))
        if method == "POST" and len(parts) == 3 and parts[1] == "publish" \
                and parts[2] in self.world.index_of_ip and isinstance(self.world, World):
            return self._publish(parts[2])
        if method == "POST" and len(parts) == 3 and parts[1] in ("deface", "restore") \
                and parts[2] in self.world.index_of_ip:
            (self.defaced.add if parts[1] == "deface" else self.defaced.discard)(parts[2])
            logger.info("Site %(ip)s home page %(action)s", {"ip": parts[2], "action": parts[1]})
            return http_response(200, b'{"ok": true}', "application/json")
        return http_response(404, b'{"error": "unknown control endpoint"}', "application/json")

    def _publish(self, ip: str) -> bytes:
        """A site publishes an honest item and a backdated one in its first news column (once)."""
        assert isinstance(self.world, World)
        index = self.world.index_of_ip[ip]
        model = self.world.model(index)
        items = self.published.setdefault(index, items_for(model, self.world.today))
        self.pages.cache_clear()
        self.rendered.cache_clear()
        logger.info("Site %(ip)s published %(count)d items", {"ip": ip, "count": len(items)})
        answer_ = {"ok": bool(items), "published": [item.record(model.host) for item in items]}
        return http_response(200, json.dumps(answer_, ensure_ascii=False).encode(), "application/json")

    def _fix(self, action: str, ip: str, path: str) -> bytes:
        """A site's owner fixes (or breaks again) one path: a dead link's target answers 200 from now on."""
        fixed = self.fixed.setdefault(ip, set())
        if action == "fix":
            fixed.add(path)
        else:
            fixed.discard(path)
        logger.info("Site %(ip)s path %(path)s %(action)s", {"ip": ip, "path": path, "action": action})
        answer = json.dumps({"ok": True, "fixed": sorted(fixed)}).encode()
        return http_response(200, answer, "application/json")


def _encode(model: SiteModel, html: str) -> bytes:
    return html.encode(model.encoding, errors="xmlcharrefreplace")


class _HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; requests on one connection are answered in order."""

    def __init__(self, server: FarmServer, ip: str | None) -> None:
        self.server = server
        self.ip = ip
        self.buffer = b""
        self.busy = False
        self.held = False  # an answer is being held back (latency or slow endpoint)
        self.closing = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's transports are not subclasses
        if self.ip is not None:
            self.server.connections.setdefault(self.ip, set()).add(self)
            stats = self.server.stats.host(self.ip)
            stats.connections += 1
            stats.max_connections = max(stats.max_connections, stats.connections)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        if self.ip is not None:
            self.server.connections.get(self.ip, set()).discard(self)
            self.server.stats.host(self.ip).connections -= 1
            if self.held:
                # The client hung up on a held answer: like a real server, stop working on it.
                self.held = False
                self.server.stats.host(self.ip).inflight -= 1

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._drain()

    def _drain(self) -> None:
        while not self.busy and not self.closing:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES or (self.buffer and not self.buffer[:1].isalpha()):
                    self._close()  # not HTTP (e.g. a TLS ClientHello): drop it like a plain server would
                return
            head = self.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            request = lines[0].split(" ")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
            }
            body_length = int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < end + 4 + body_length:
                return
            self.buffer = self.buffer[end + 4 + body_length :]
            if len(request) != 3 or not request[2].startswith("HTTP/1."):
                self._close()
                return
            method, target, version = request
            keep_alive = headers.get("connection", "").lower() != "close" and (
                version == "HTTP/1.1" or headers.get("connection", "").lower() == "keep-alive"
            )
            self._handle(method, target, keep_alive, headers.get("if-none-match"))

    def _handle(self, method: str, target: str, keep_alive: bool, if_none_match: str | None = None) -> None:
        if self.ip is None:
            self.busy = True
            task = asyncio.ensure_future(self.server.control_response(method, target))
            task.add_done_callback(lambda done: self._finish(done.result(), keep_alive))
            return
        stats = self.server.stats.host(self.ip)
        self.server.stats.total_requests += 1
        stats.requests += 1
        stats.inflight += 1
        stats.max_inflight = max(stats.max_inflight, stats.inflight)
        data, delay = self.server.site_response(self.ip, method, target, if_none_match)
        if delay > 0:
            self.busy = True
            self.held = True
            asyncio.get_running_loop().call_later(delay, self._finish_site, data, keep_alive)
        else:
            self._finish_site(data, keep_alive)

    def _finish_site(self, data: bytes, keep_alive: bool) -> None:
        if self.ip is not None and (self.held or (self.transport is not None and not self.closing)):
            self.held = False
            self.server.stats.host(self.ip).inflight -= 1
        self._finish(data, keep_alive)

    def _finish(self, data: bytes, keep_alive: bool) -> None:
        self.busy = False
        if self.closing or self.transport is None:
            return
        if not data:
            self._close()
            return
        if not keep_alive:
            data = data.replace(b"Connection: keep-alive", b"Connection: close", 1)
        self.transport.write(data)
        if not keep_alive:
            self._close()
            return
        if self.buffer:
            self._drain()

    def _close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()
