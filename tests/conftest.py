"""Shared fixtures: the real Redis and Elasticsearch servers, per-test key and index prefixes, crawls."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from elastic_transport import TransportError
from elasticsearch import Elasticsearch

from crawler import defaults

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
START_HINT = "start the local servers with `scripts/services.sh start` (or `make services`)"


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("GOVCRAWL_REDIS_URL") or defaults.GOVCRAWL_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at GOVCRAWL_REDIS_URL={url} is unreachable ({exc}): {START_HINT}")
    return url


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("GOVCRAWL_ES_URL") or defaults.GOVCRAWL_ES_URL
    client = Elasticsearch(url, request_timeout=10)
    try:
        client.cluster.health(wait_for_status="yellow", timeout="10s")
    except TransportError as exc:
        pytest.fail(f"Elasticsearch at GOVCRAWL_ES_URL={url} is unreachable ({exc}): {START_HINT}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def es_client(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


def _drop_redis_prefix(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])


def _drop_es_prefix(client: Elasticsearch, prefix: str) -> None:
    client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-*")


@contextlib.contextmanager
def service_prefixes(redis_url: str, es_url: str) -> Iterator[tuple[str, str]]:
    """A Redis key prefix and an Elasticsearch index prefix of one's own, removed afterwards."""
    tag = uuid.uuid4().hex[:12]
    redis_prefix, es_prefix = f"govcrawl:t{tag}", f"govcrawl-t{tag}"
    try:
        yield redis_prefix, es_prefix
    finally:
        redis_client = redis.Redis.from_url(redis_url)
        _drop_redis_prefix(redis_client, redis_prefix)
        redis_client.close()
        es_client = Elasticsearch(es_url, request_timeout=30)
        _drop_es_prefix(es_client, es_prefix)
        es_client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own (`govcrawl:t<hex>`); its keys are removed afterwards."""
    prefix = f"govcrawl:t{uuid.uuid4().hex[:12]}"
    yield prefix
    _drop_redis_prefix(redis_client, prefix)


@pytest.fixture
def es_prefix(es_client: Elasticsearch) -> Iterator[str]:
    """An index prefix of this test's own (`govcrawl-t<hex>`); its indices are removed afterwards."""
    prefix = f"govcrawl-t{uuid.uuid4().hex[:12]}"
    yield prefix
    _drop_es_prefix(es_client, prefix)


@dataclass(slots=True)
class Env:
    """Settings every subprocess of a test shares: service addresses and its own prefixes."""

    redis_url: str
    es_url: str
    redis_prefix: str
    es_prefix: str
    spool_dir: Path

    def settings(self) -> list[str]:
        return [
            "-s", f"GOVCRAWL_REDIS_PREFIX={self.redis_prefix}",
            "-s", f"GOVCRAWL_ES_INDEX_PREFIX={self.es_prefix}",
            "-s", f"GOVCRAWL_ES_SPOOL_DIR={self.spool_dir}",
        ]

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(GOVCRAWL_REDIS_URL=self.redis_url, GOVCRAWL_ES_URL=self.es_url, PYTHONPATH=str(ROOT))
        return env

    def scrapy(self, *args: str, settings: Sequence[str] = (), timeout: float = 300
               ) -> subprocess.CompletedProcess[str]:
        """Run `scrapy ARGS` from the project root, as an operator would, and return what it printed."""
        command = [sys.executable, "-m", "scrapy", *args, *self.settings(), *settings]
        return subprocess.run(command, cwd=ROOT, env=self.environ(), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def popen(self, *args: str, settings: Sequence[str] = ()) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "scrapy", *args, *self.settings(), *settings]
        return subprocess.Popen(command, cwd=ROOT, env=self.environ(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def env(redis_url: str, es_url: str, redis_prefix: str, es_prefix: str, tmp_path: Path) -> Env:
    return Env(redis_url, es_url, redis_prefix, es_prefix, tmp_path / "spool")


def terminate(process: subprocess.Popen[Any] | None) -> str:
    """SIGTERM a child process, kill it if it has not exited 20 s later; returns its piped stdout."""
    if process is None:
        return ""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdout is None:
        return ""
    with process.stdout:
        output = process.stdout.read()
    return output if isinstance(output, str) else output.decode("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(slots=True)
class RunningFarm:
    """A farm subprocess (scripts/farm) and what it wrote: registry.csv and truth.json."""

    port: int
    out: Path
    process: subprocess.Popen[bytes]
    truth: dict[str, Any]

    @property
    def registry(self) -> Path:
        return self.out / "registry.csv"

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.port}/_farm"

    def call(self, method: str, path: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.control}/{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body.strip().startswith(b"{") else {}

    def crawlable_pages(self) -> dict[str, dict[str, Any]]:
        """Pages a polite crawl reaches: up sites, robots-allowed, attachments excluded."""
        return {url: page for site in self.truth["sites"] if not site["down"]
                for url, page in site["pages"].items()
                if not page["robots_disallowed"] and page["kind"] != "attachment"}


def seed_one_county_site(env: Env, work: Path, url: str, site_id: str) -> None:
    """Register one county site (测试县人民政府, 成都市) at `url` with `scrapy seed`."""
    registry = work / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        f"{site_id},测试县人民政府,{url},county,成都市,\n", encoding="utf-8")
    assert env.scrapy("seed", str(registry)).returncode == 0, "seed failed"


def crawl_and_report(env: Env, work: Path, name: str) -> tuple[dict[str, Any], str]:
    """Crawl one cycle (`-a once=1`), then `scrapy report -o WORK/NAME.json`: the report, and what the report
    command printed."""
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1", settings=CRAWL_SETTINGS, timeout=300)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    path = work / f"{name}.json"
    report = env.scrapy("report", "-o", str(path), timeout=120)
    assert report.returncode == 0, report.stderr[-3000:]
    return json.loads(path.read_text(encoding="utf-8")), report.stderr


@contextlib.contextmanager
def page_server(address: str, body: Callable[[str], str | None]) -> Iterator[str]:
    """A small site on a real HTTP server at `address` (any free port): body(path) is a page's HTML, served
    as UTF-8, or None for a 404. Yields the site's URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server name
            page = body(self.path.split("?")[0])
            data = (page or "<html><body><h1>404 页面不存在</h1></body></html>").encode("utf-8")
            self.send_response(200 if page is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer((address, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def run_farm(out: Path, *, sites: int, seed: int, base_ip: str, extra: Sequence[str] = ()
             ) -> Iterator[RunningFarm]:
    port = free_port()
    command = [sys.executable, "-m", "scripts.farm", "serve", "--sites", str(sites), "--seed", str(seed),
               "--out", str(out), "--port", str(port), "--base-ip", base_ip, *extra]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        line = process.stdout.readline().decode()
        if not line.startswith("farm ready"):
            pytest.fail(f"the farm did not start ({' '.join(command)}): {line!r}")
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
        yield RunningFarm(port, out, process, truth)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture(scope="session")
def crawl_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    """The farm crawl tests share: 8 sites with every fault family, slow answers held 4 s."""
    with run_farm(tmp_path_factory.mktemp("crawl-farm"), sites=8, seed=5, base_ip="127.0.6.1",
                  extra=("--slow-seconds", "4", "--slow-home-seconds", "1")) as farm:
        yield farm


CRAWL_SETTINGS = (
    "-s", "GOVCRAWL_ALLOWED_NETWORKS=127.0.0.0/8",
    "-s", "GOVCRAWL_CRAWL_DELAY_SECONDS=0",
    "-s", "GOVCRAWL_CRAWL_TIMEOUT_SECONDS=2.5",
    "-s", "LOG_LEVEL=INFO",
)
