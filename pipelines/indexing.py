"""Write items to Elasticsearch in bulk, spooling to disk while it is unreachable (GOVCRAWL_ES_* settings)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self, cast

import xxhash
from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError
from elasticsearch.helpers import async_streaming_bulk
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler import connections, es_schema
from crawler.items import ITEM_INDEX, AckItem
from crawler.naming import IndexKind, index_name, index_prefix
from crawler.scheduler.session import worker_session
from crawler.service_checks import reason

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

Action = dict[str, Any]

# Which fields make a document's identity: redelivered items overwrite, history is kept where it matters.
_ID_FIELDS: dict[str, tuple[str, ...]] = {
    "sites": ("site_id",),
    "pages": ("url",),
    "links": ("url", "found_on"),
    "probes": ("site_id", "started_at"),
    "columns": ("site_id", "url"),
    "messages": ("url",),
    "findings": ("site_id", "check", "as_of", "key"),
    "reviews": ("quarter", "site_id"),
}


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def document_id(*parts: str) -> str:
    """A stable id, so a redelivered item overwrites its earlier copy instead of duplicating it."""
    return xxhash.xxh128_hexdigest("\x1f".join(parts).encode("utf-8"))


_ATOMIC: Final = (str, int, float, bool, type(None), datetime, date)


def _plain(value: Any) -> Any:
    """A field's value as a fresh JSON-able structure: what dataclasses.asdict gives (a tuple as a list,
    the same JSON), without its deep copy of every string."""
    if isinstance(value, _ATOMIC):
        return value
    if isinstance(value, list | tuple):
        return [_plain(element) for element in value]
    if isinstance(value, dict):
        return {key: _plain(element) for key, element in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return document(value)
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def document(item: Any) -> dict[str, Any]:
    """An item's fields as the document stored for it."""
    cls = type(item)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in dataclasses.fields(cls))
    return {name: _plain(getattr(item, name)) for name in names}


def to_action(item: object, prefix: str) -> Action:
    """The bulk action of an item: its index, its id derived from the URL, its fields."""
    kind = ITEM_INDEX.get(type(item))
    if kind is None:
        raise TypeError(f"no index for items of type {type(item).__name__}")
    source = document(item)
    identity = [str(source[name]) if not isinstance(source[name], datetime) else source[name].isoformat()
                for name in _ID_FIELDS[kind]]
    return {"_op_type": "index", "_index": index_name(prefix, cast("IndexKind", kind)),
            "_id": document_id(*identity), "_source": source}


class Spool:
    """An append-only JSON-lines file of actions Elasticsearch did not take; replayed when it returns."""

    def __init__(self, directory: Path, name: str) -> None:
        self.path = directory / f"{name}.jsonl"
        directory.mkdir(parents=True, exist_ok=True)

    def append(self, actions: list[Action]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            for action in actions:
                handle.write(json.dumps(action, ensure_ascii=False, default=_json_default))
                handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())

    def take(self) -> list[Action]:
        """Read and remove everything spooled (the caller spools again what fails)."""
        if not self.path.exists():
            return []
        claimed = self.path.with_suffix(f".replay-{os.getpid()}")
        self.path.rename(claimed)
        actions = []
        with claimed.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    actions.append(json.loads(line))
                except json.JSONDecodeError:
                    logger.error("Spool %(path)s line %(line)d is corrupt and was skipped",
                                 {"path": claimed, "line": number})
        claimed.unlink()
        return actions

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open("rb") as handle:
            return sum(1 for _ in handle)


class IndexingPipeline:
    """Buffers items and sends them with the async streaming bulk helper, by size, on a timer and at close."""

    def __init__(self, crawler: Crawler, client: AsyncElasticsearch, *, prefix: str, batch_size: int,
                 flush_seconds: float, max_retries: int, spool: Spool) -> None:
        self.crawler = crawler
        self.session = worker_session(crawler)  # told when stored items' requests may be acknowledged
        self.client = client
        self.prefix = prefix
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.max_retries = max_retries
        self.spool = spool
        self._pending: list[Action] = []
        self._acks_pending: list[tuple[int, AckItem]] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()  # flushes asked for by the session, still running
        self._last_flush = time.monotonic()
        self._written: set[str] = set()  # indices this worker wrote to: refreshed at close

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("GOVCRAWL_ES_ENABLED"):
            raise NotConfigured("GOVCRAWL_ES_ENABLED is off: items are not indexed")
        prefix = index_prefix(settings)
        spool = Spool(Path(settings.get("GOVCRAWL_ES_SPOOL_DIR")), prefix)
        return cls(
            crawler,
            connections.elasticsearch_async(settings),
            prefix=prefix,
            batch_size=settings.getint("GOVCRAWL_ES_BATCH_SIZE"),
            flush_seconds=settings.getfloat("GOVCRAWL_ES_FLUSH_SECONDS"),
            max_retries=settings.getint("GOVCRAWL_ES_MAX_RETRIES"),
            spool=spool,
        )

    @property
    def buffered_count(self) -> int:
        """Documents waiting for the next bulk request."""
        return len(self._pending)

    @property
    def seconds_since_flush(self) -> float:
        return time.monotonic() - self._last_flush

    async def open_spider(self) -> None:
        address = connections.describe_es(self.crawler.settings)
        try:
            await self.client.cluster.health()
        except (TransportError, ApiError) as exc:
            await self.client.close()
            raise CloseSpider(f"Elasticsearch at {address} is unreachable ({reason(exc)}): start it "
                              "(scripts/services.sh start) or fix GOVCRAWL_ES_URL") from exc
        try:
            for line in await es_schema.install_templates_async(self.client, self.prefix):
                logger.debug("Elasticsearch: %(line)s", {"line": line})
        except es_schema.SchemaError as exc:
            await self.client.close()
            raise CloseSpider(str(exc)) from exc
        logger.info("Indexing into %(address)s, prefix %(prefix)s, batches of %(batch)d every %(seconds).1fs",
                    {"address": address, "prefix": self.prefix, "batch": self.batch_size,
                     "seconds": self.flush_seconds})
        self._timer = asyncio.get_running_loop().create_task(self._flush_periodically())
        self.session.store = self

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, AckItem):
            # Acknowledged once everything queued before it is stored.
            self._acks_pending.append((len(self._pending), item))
            return item
        self._pending.append(to_action(item, self.prefix))
        if len(self._pending) >= self.batch_size:
            await self.flush()
        return item

    def store_soon(self) -> None:
        """Store buffered items now (the session is handing shards over and waits for their acks)."""
        if self._pending or self._acks_pending:
            task = asyncio.get_running_loop().create_task(self.flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            if time.monotonic() - self._last_flush >= self.flush_seconds:
                await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            batch, self._pending = self._pending, []
            acks, self._acks_pending = self._acks_pending, []
            batch = self.spool.take() + batch
            if batch:
                await self._send(batch)
            self._last_flush = time.monotonic()
        if acks:
            # Sent or durably spooled: the requests behind these items need not be fetched again.
            self.session.requests_stored(token for _, token in acks)

    async def _send(self, batch: list[Action]) -> None:
        stats = self.crawler.stats
        assert stats is not None
        failed: list[Action] = []
        sent = processed = 0
        try:
            async for ok, result in async_streaming_bulk(
                self.client, batch, chunk_size=self.batch_size, max_retries=self.max_retries,
                initial_backoff=0.5, max_backoff=10, raise_on_error=False, raise_on_exception=True,
                yield_ok=True,
            ):
                processed += 1
                if ok:
                    sent += 1
                    continue
                info = next(iter(result.values()))
                logger.warning("Elasticsearch refused document %(id)s in %(index)s: %(error)s",
                               {"id": info.get("_id"), "index": info.get("_index"),
                                "error": info.get("error")})
                stats.inc_value("govcrawl/es/failed_count")
                if info.get("status", 0) >= 500 or info.get("status") == 429:
                    failed.append(_find(batch, info))
        except (EsConnectionError, TransportError, ApiError) as exc:
            remaining = batch[processed:]
            logger.warning("Elasticsearch unreachable (%(error)s): %(count)d documents spooled to %(path)s",
                           {"error": exc, "count": len(remaining), "path": self.spool.path})
            self.spool.append(remaining)
            stats.inc_value("govcrawl/es/spooled_count", len(remaining))
            return
        stats.inc_value("govcrawl/es/indexed_count", sent)
        if sent:
            self._written.update(action["_index"] for action in batch)
        if failed:
            self.spool.append(failed)
            stats.inc_value("govcrawl/es/spooled_count", len(failed))

    async def close_spider(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._flushes:
            await asyncio.gather(*self._flushes)
        await self.flush()
        await self._refresh_written()
        await self.client.close()
        left = len(self.spool)
        if left:
            logger.error("%(count)d documents remain spooled in %(path)s: they are sent when a worker next "
                         "reaches Elasticsearch", {"count": left, "path": self.spool.path})

    async def _refresh_written(self) -> None:
        """Make what this worker wrote searchable now, not at the next refresh interval (up to 30 s)."""
        if not self._written:
            return
        try:
            await self.client.indices.refresh(index=sorted(self._written), ignore_unavailable=True)
        except (TransportError, ApiError) as exc:
            logger.warning("Could not refresh %(indices)s (%(error)s): the last documents become searchable "
                           "at the next refresh interval", {"indices": ", ".join(sorted(self._written)),
                                                            "error": exc})


def _find(batch: list[Action], info: dict[str, Any]) -> Action:
    for action in batch:
        if action["_id"] == info.get("_id") and action["_index"] == info.get("_index"):
            return action
    raise LookupError(f"bulk answered for unknown document {info.get('_id')}")
