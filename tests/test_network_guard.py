"""Safety settings: which addresses may be fetched, what a bad setting says, what a refusal records."""

from __future__ import annotations

import gzip
import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import helpers
from scrapy.settings import Settings

from crawler import defaults
from crawler.middlewares.network_guard import is_forbidden, parse_networks
from crawler.scheduler.sharded import frontier_config_from_settings
from tests.conftest import CRAWL_SETTINGS

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from elasticsearch import Elasticsearch

    from tests.conftest import Env


@pytest.mark.parametrize(
    ("address", "allowed", "forbidden"),
    [
        ("8.8.8.8", "", False),
        ("127.0.0.1", "", True),
        ("10.1.2.3", "", True),
        ("192.168.0.1", "", True),
        ("169.254.169.254", "", True),
        ("::1", "", True),
        ("127.0.6.1", "127.0.0.0/8", False),
        ("10.1.2.3", "127.0.0.0/8", True),
        ("::1", "127.0.0.0/8, ::1/128", False),
    ],
)
def test_non_public_addresses_are_refused_unless_allowed(address: str, allowed: str, forbidden: bool
                                                         ) -> None:
    assert is_forbidden(ipaddress.ip_address(address), parse_networks(allowed)) is forbidden


def test_a_malformed_network_is_named() -> None:
    with pytest.raises(ValueError,
                       match=r"GOVCRAWL_ALLOWED_NETWORKS: 'banana' is not a network in CIDR form"):
        parse_networks("127.0.0.0/8,banana")


def test_a_crawl_with_a_malformed_network_stops_with_the_reason(env: Env) -> None:
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1",
                       settings=("-s", "GOVCRAWL_ALLOWED_NETWORKS=10.0.0.0/33"), timeout=120)
    assert crawl.returncode != 0
    assert "GOVCRAWL_ALLOWED_NETWORKS: '10.0.0.0/33' is not a network in CIDR form" in crawl.stderr


def _settings(**overrides: object) -> Settings:
    values = {name: value for name, value in vars(defaults).items() if name.startswith("GOVCRAWL_")}
    values.update(overrides)
    return Settings(values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"GOVCRAWL_FRONTIER_PROBE_SECONDS": 5000},
         "GOVCRAWL_FRONTIER_PROBE_SECONDS is 5000.0: home pages need at least 20"),
        ({"GOVCRAWL_FRONTIER_SHARDS": 0},
         "GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1"),
        ({"GOVCRAWL_FRONTIER_SEEN_BUCKETS": 0},
         "GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1"),
    ],
)
def test_frontier_settings_out_of_range_are_named(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        frontier_config_from_settings(_settings(**overrides))


def test_the_default_frontier_settings_are_accepted() -> None:
    config = frontier_config_from_settings(_settings())
    assert config.shards == defaults.GOVCRAWL_FRONTIER_SHARDS
    assert config.probe_seconds <= 86400 / 20


class _RefusingHandler(BaseHTTPRequestHandler):
    """Home pages that the guard or a limit must refuse, each under its own path."""

    def do_GET(self) -> None:
        if self.path.startswith("/metadata/"):
            self._answer(302, b"", [("Location", "http://169.254.169.254/latest/meta-data/")])
        elif self.path.startswith("/big/"):
            self._answer(200, b"<html><body>" + b"x" * 200_000 + b"</body></html>")
        elif self.path.startswith("/bomb/"):
            self._answer(200, gzip.compress(b" " * 5_000_000), [("Content-Encoding", "gzip")])
        elif self.path.startswith("/loop/"):
            self._answer(302, b"", [("Location", "/loop/again/" if self.path == "/loop/" else "/loop/")])
        else:
            self._answer(404, b"")

    def _answer(self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the crawl's log is what the test reads."""


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_refusal_and_limit_leaves_a_page_and_probe_record_of_its_kind(
        env: Env, es_client: Elasticsearch, refusing_server: str, tmp_path: Path) -> None:
    expected = {f"{refusing_server}/metadata/": "blocked_redirect", f"{refusing_server}/big/": "too_large",
                f"{refusing_server}/bomb/": "decompression_limit",
                f"{refusing_server}/loop/": "redirect_loop", "http://10.255.255.1/": "blocked"}
    rows = [f"51000000{number:02d},站点{number},{url},county,成都市," for number, url in enumerate(expected)]
    registry = tmp_path / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n" + "\n".join(rows) + "\n",
                        encoding="utf-8")
    assert env.scrapy("seed", str(registry)).returncode == 0
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=120, settings=(
        *CRAWL_SETTINGS, "-s", "GOVCRAWL_CRAWL_ROBOTS_ENABLED=False",
        "-s", "GOVCRAWL_CRAWL_MAX_RESPONSE_BYTES=100000"))
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    pages = {hit["_source"]["url"]: hit["_source"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-pages", query={"query": {"match_all": {}}})}
    assert {url: pages[url]["error"] for url in expected} == expected
    probes = {hit["_source"]["url"]: hit["_source"] for hit in helpers.scan(
        es_client, index=f"{env.es_prefix}-probes", query={"query": {"match_all": {}}})}
    assert {url: (probes[url]["ok"], probes[url]["error"]) for url in expected} == {
        url: (False, kind) for url, kind in expected.items()}
    report_path = tmp_path / "report.json"
    report = env.scrapy("report", "-o", str(report_path), "--no-store", timeout=120)
    assert report.returncode == 0, report.stderr[-2000:]
    sites = json.loads(report_path.read_text(encoding="utf-8"))["sites"]
    reasons = {site["url"]: site["reason"] for site in sites}
    assert reasons == {
        f"{refusing_server}/metadata/": "首页跳转到内网或保留地址：已拒绝访问",
        f"{refusing_server}/big/": "首页超过下载大小上限：未读取",
        f"{refusing_server}/bomb/": "首页解压后超过下载大小上限：未读取",
        f"{refusing_server}/loop/": "首页重定向循环",
        "http://10.255.255.1/": "首页地址解析到内网或保留地址：已拒绝访问",
    }
