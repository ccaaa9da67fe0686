"""The bulk writer: ids from URLs, and nothing lost while Elasticsearch is unreachable mid-crawl."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import threading
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from elasticsearch import helpers
from scrapy.utils.test import get_crawler
from w3lib.url import canonicalize_url

from crawler import defaults
from crawler.items import FindingItem, LinkItem, PageItem
from pipelines.indexing import IndexingPipeline, Spool, document, to_action
from tests.conftest import CRAWL_SETTINGS, Env, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import pytest
    from elasticsearch import Elasticsearch

    from tests.conftest import RunningFarm


class TcpProxy:
    """Forwards a loopback port to Elasticsearch; `cut()` refuses and drops every connection."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # close() alone leaves a thread blocked in accept() listening; shutdown() wakes it.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def proxy_to(es_url: str) -> Iterator[TcpProxy]:
    address = urlsplit(es_url)
    proxy = TcpProxy((address.hostname or "127.0.0.1", address.port or 9200))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.cut()


def test_document_ids_come_from_identity_fields() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    page = PageItem(site_id="s", url="http://a.gov.cn/1.html", status=200, fetched_at=now)
    again = PageItem(site_id="s", url="http://a.gov.cn/1.html", status=404, fetched_at=now)
    assert to_action(page, "govcrawl")["_id"] == to_action(again, "govcrawl")["_id"]
    assert to_action(page, "govcrawl")["_index"] == "govcrawl-pages"
    link = LinkItem(site_id="s", url="http://x/", found_on="http://a/", on_homepage=True, target_kind="page",
                    checked_at=now, ok=False)
    elsewhere = LinkItem(site_id="s", url="http://x/", found_on="http://b/", on_homepage=False,
                         target_kind="page", checked_at=now, ok=False)
    assert to_action(link, "govcrawl")["_id"] != to_action(elsewhere, "govcrawl")["_id"]


def test_spool_round_trips_and_reports_a_corrupt_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path, "govcrawl")
    now = datetime(2026, 11, 27, tzinfo=UTC)
    actions = [to_action(PageItem(site_id="s", url=f"http://a.gov.cn/{n}", status=200, fetched_at=now),
                         "govcrawl") for n in range(3)]
    spool.append(actions[:2])
    with spool.path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    spool.append(actions[2:])
    assert len(spool) == 4
    taken = spool.take()
    assert [action["_id"] for action in taken] == [action["_id"] for action in actions]
    assert taken[0]["_source"]["fetched_at"] == "2026-11-27T00:00:00+00:00"
    assert len(spool) == 0 and spool.take() == []


def test_elasticsearch_down_mid_crawl_loses_nothing(env: Env, crawl_farm: RunningFarm,
                                                    es_client: Elasticsearch) -> None:
    with proxy_to(env.es_url) as proxy:
        via_proxy = Env(env.redis_url, f"http://127.0.0.1:{proxy.port}", env.redis_prefix, env.es_prefix,
                        env.spool_dir)
        assert via_proxy.scrapy("seed", str(crawl_farm.registry)).returncode == 0
        crawl_farm.call("POST", "reset-stats")
        worker = via_proxy.popen("crawl", "govsite", "-a", "once=1",
                                 settings=(*CRAWL_SETTINGS, "-s", "GOVCRAWL_ES_FLUSH_SECONDS=0.5",
                                           "-s", "GOVCRAWL_METRICS_PORT=0"))
        deadline = time.monotonic() + 60
        while crawl_farm.call("GET", "stats")["total_requests"] < 150:
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.1)
        proxy.cut()
        time.sleep(4)
        proxy.start()
        output, _ = worker.communicate(timeout=240)
    assert worker.returncode == 0, output[-3000:]
    (env.spool_dir.parent / "worker.log").write_text(output, encoding="utf-8")
    notable = [line for line in output.splitlines()
               if "WARNING" in line or "ERROR" in line or "govcrawl/es" in line]
    assert "Elasticsearch unreachable" in output and "spooled to" in output, notable
    es_client.indices.refresh(index=f"{env.es_prefix}-pages")
    urls = [canonicalize_url(hit["_source"]["url"])
            for hit in helpers.scan(es_client, index=f"{env.es_prefix}-pages", _source=["url"])]
    assert len(urls) == len(set(urls))
    missing = {canonicalize_url(url) for url in crawl_farm.crawlable_pages()} - set(urls)
    assert not missing, sorted(missing)[:5]
    assert not any(env.spool_dir.glob("*.jsonl")) or all(
        path.stat().st_size == 0 for path in env.spool_dir.glob("*.jsonl"))


def test_closing_while_elasticsearch_is_gone_spools_the_rest_and_only_warns(
        env: Env, es_client: Elasticsearch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    stored, unsent = (PageItem(site_id="s", url=f"http://a.gov.cn/{n}.html", status=200, fetched_at=now)
                      for n in range(2))

    async def crawl_then_lose_elasticsearch(proxy: TcpProxy) -> None:
        settings = {name: getattr(defaults, name) for name in dir(defaults) if name.startswith("GOVCRAWL_")}
        settings.update(GOVCRAWL_ES_URL=f"http://127.0.0.1:{proxy.port}", GOVCRAWL_ES_SPOOL_DIR=str(tmp_path),
                        GOVCRAWL_ES_INDEX_PREFIX=env.es_prefix, GOVCRAWL_ES_MAX_RETRIES=0,
                        GOVCRAWL_ES_REQUEST_TIMEOUT_SECONDS=2.0)
        pipeline = IndexingPipeline.from_crawler(get_crawler(settings_dict=settings))
        await pipeline.open_spider()
        await pipeline.process_item(stored)
        await pipeline.flush()
        await pipeline.process_item(unsent)
        proxy.cut()
        await pipeline.close_spider()  # must not raise: the crawl's outcome is already safe

    with caplog.at_level(logging.WARNING, logger="pipelines.indexing"), proxy_to(env.es_url) as proxy:
        asyncio.run(crawl_then_lose_elasticsearch(proxy))
    assert "Could not refresh" in caplog.text, caplog.text
    assert "1 documents remain spooled" in caplog.text, caplog.text
    assert [action["_id"] for action in Spool(tmp_path, env.es_prefix).take()] == [
        to_action(unsent, env.es_prefix)["_id"]]
    es_client.indices.refresh(index=f"{env.es_prefix}-pages")
    hits = es_client.search(index=f"{env.es_prefix}-pages", query={"match_all": {}})["hits"]["hits"]
    assert [hit["_source"]["url"] for hit in hits] == [stored.url]


def test_a_document_holds_what_asdict_gives_as_a_copy_of_its_own() -> None:
    now = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    page = PageItem(site_id="s", url="http://a.gov.cn/1.html", status=200, fetched_at=now,
                    meta={"PubDate": "2026-11-20", "SiteName": "某市人民政府"}, capped=["links"],
                    content_issues=[{"kind": "typo", "sentence": "按装"}], home_links_sketch=[3, 1, 4])
    finding = FindingItem(site_id="s", region="成都市", level="city", check="D-LINK", severity="deduction",
                          points=0.1, detail="死链", confidence="confirmed", as_of=date(2026, 11, 27),
                          computed_at=now, evidence=["http://a.gov.cn/x.html", "404"])
    link = LinkItem(site_id="s", url="http://x/", found_on="http://a/", on_homepage=True, target_kind="page",
                    checked_at=now, ok=False, mobiles=["138****0000"])
    for item in (page, finding, link):
        source = document(item)
        assert source == dataclasses.asdict(item)
        assert to_action(item, "govcrawl")["_source"] == source
    source = document(page)
    source["meta"]["PubDate"] = "changed"
    source["content_issues"][0]["kind"] = "changed"
    assert page.meta["PubDate"] == "2026-11-20"
    assert page.content_issues[0]["kind"] == "typo"
