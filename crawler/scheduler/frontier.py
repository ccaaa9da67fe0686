"""The Redis frontier: host-sharded queues, shard leases, seen-set, revisit times (GOVCRAWL_FRONTIER_*)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.exceptions import NoScriptError, ResponseError

from crawler.naming import redis_key
from crawler.scheduler import codec, lua

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence
    from datetime import date

    from redis.commands.core import AsyncScript

    from crawler.registry import Site

logger = logging.getLogger(__name__)

T = TypeVar("T")

QUEUED: Final = -1
OVER_BUDGET: Final = -2
WAITING: Final = -3
NOT_FOLLOWED: Final = -4  # a report-only offer of a URL the frontier does not know: not queued

_RETAKEN: Final = 2  # RENEW's answer for a lease that was gone and is this worker's again

CYCLE: Final = b"c"
PROBE: Final = b"p"
# The frontier URL of a link check is the link's URL with this suffix (crawler.spiders.govsite).
CHECK_SUFFIX: Final = "#govcrawl-check"


async def retrying(operation: Callable[[], Awaitable[T]], *, what: str, max_wait_seconds: float) -> T:
    """Run a Redis operation until Redis answers: a restart or a network blip delays work, never loses it.

    Every frontier script is atomic and safe to repeat, so a retry after a lost answer does no harm.
    """
    delay = 0.2
    failures = 0
    while True:
        try:
            result = await operation()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            failures += 1
            if failures == 1 or failures % 20 == 0:
                logger.warning("Redis unreachable during %(what)s (%(error)s): retrying",
                               {"what": what, "error": exc})
            await asyncio.sleep(delay)
            delay = min(max_wait_seconds, delay * 2)
            continue
        if failures:
            logger.warning("Redis reachable again: %(what)s done after %(count)d retries",
                           {"what": what, "count": failures})
        return result


def _with_memory(popped: tuple[bytes, dict[str, Any]], history: int, listed: bytes
                 ) -> tuple[bytes, dict[str, Any]]:
    """A popped request with what the frontier remembers of its URL in its meta (see Frontier.pop)."""
    if not history and not listed:
        return popped
    meta = popped[1].setdefault("meta", {})
    if history:
        remembered = codec.History.unpack(history)
        meta["govcrawl_history"] = [remembered.first_seen, remembered.backdated]
    read = codec.Listed.unpack(listed) if listed else None
    if read is not None:
        meta["govcrawl_listed"] = read.record()
    return popped


def _decoded(payload: bytes) -> tuple[bytes, dict[str, Any]]:
    """A queued request; an unreadable payload becomes an empty request dict, which the scheduler
    drops and acknowledges like any request it cannot rebuild, so it never stops the feed."""
    try:
        return codec.decode_payload(payload)
    except ValueError as exc:  # JSON or UTF-8 errors
        logger.error("Unreadable request in the frontier (%(error)s): %(start)r", {"error": exc,
                                                                                  "start": payload[:80]})
        return payload[:8], {"url": "", "meta": {}}


@dataclass(slots=True, frozen=True, kw_only=True)
class FrontierConfig:
    """Effective frontier settings, read once from GOVCRAWL_FRONTIER_* and GOVCRAWL_CRAWL_*."""

    prefix: str
    shards: int
    seen_buckets: int
    lease_seconds: float
    max_pages_per_site: int
    max_checks_per_host: int
    cycle_seconds: float
    probe_seconds: float
    column_min_seconds: float
    column_max_seconds: float
    article_seconds: float

    def units(self, seconds: float) -> int:
        return max(1, math.ceil(seconds / codec.DUE_UNIT_SECONDS))

    @property
    def column_max_exponent(self) -> int:
        ratio = max(1.0, self.column_max_seconds / self.column_min_seconds)
        return min(15, int(math.log2(ratio)))


@dataclass(slots=True, kw_only=True)
class Offer:
    """A discovered link, offered to the frontier: fetch it, wait for its fetch, or reuse its status."""

    url: str
    host: str
    site_id: str
    request: dict[str, Any]  # Scrapy's Request.to_dict() form
    interval_seconds: float
    force: bool = False
    waiter: dict[str, Any] | None = None  # the (found_on, ...) record to report if the target is broken
    first_seen: bool = False  # record when it was first offered (a crawled page of a site: codec.History)
    # ... even when the site's page budget refuses it (a list entry: it is not new when a later cycle
    # fetches it). Not for every page: an endless URL space over the budget would fill the seen-set.
    seen_if_refused: bool = False
    # Only its status: reused when known, waited for when pending, never queued (NOT_FOLLOWED). A
    # repeating page's links into its own URL pattern: the trap is not followed, its broken links are
    # still reported.
    report_only: bool = False
    fp: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.fp = codec.fingerprint(self.url)


class Keys:
    """Every Redis key of the frontier, built from the configured prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def queue(self, shard: int) -> str:
        return redis_key(self.prefix, "queue", shard)

    def inflight(self, shard: int) -> str:
        return redis_key(self.prefix, "inflight", shard)

    def lease(self, shard: int) -> str:
        return redis_key(self.prefix, "lease", shard)

    def hostseq(self, shard: int) -> str:
        return redis_key(self.prefix, "hostseq", shard)

    def budget(self, shard: int) -> str:
        return redis_key(self.prefix, "budget", shard)

    def check_budget(self, shard: int) -> str:
        return redis_key(self.prefix, "checkbudget", shard)

    def due(self, shard: int) -> str:
        return redis_key(self.prefix, "due", shard)

    def seen(self, shard: int, bucket: int) -> str:
        return redis_key(self.prefix, "seen", shard, bucket)

    def seen_prefix(self, shard: int) -> str:
        """The seen keys of a shard without their bucket number (Lua scripts add it)."""
        return redis_key(self.prefix, "seen", shard) + ":"

    def wait_prefix(self, shard: int) -> str:
        return redis_key(self.prefix, "wait", shard) + ":"

    def columns(self, shard: int) -> str:
        return redis_key(self.prefix, "colhash", shard)

    def validators(self, shard: int) -> str:
        return redis_key(self.prefix, "validators", shard)

    def listed(self, shard: int) -> str:
        return redis_key(self.prefix, "listed", shard)

    @property
    def workers(self) -> str:
        return redis_key(self.prefix, "workers", "alive")

    def worker(self, worker_id: str) -> str:
        return redis_key(self.prefix, "workers", worker_id)

    def handed(self, worker_id: str) -> str:
        return redis_key(self.prefix, "handed", worker_id)

    @property
    def config(self) -> str:
        return redis_key(self.prefix, "frontier", "config")

    @property
    def cycles(self) -> str:
        return redis_key(self.prefix, "frontier", "cycles")


class Frontier:
    """Async operations on the frontier; one instance per worker (or per command).

    The client answers in bytes (no decode_responses, as connections.redis_async builds it); the
    casts below narrow redis-py's `bytes | str` replies to that.
    """

    def __init__(self, client: redis.asyncio.Redis, config: FrontierConfig) -> None:
        self.client = client
        self.config = config
        self.keys = Keys(config.prefix)
        self._admit = client.register_script(lua.ADMIT)
        self._pop = client.register_script(lua.POP)
        self._settle = client.register_script(lua.SETTLE)
        self._ack = client.register_script(lua.ACK)
        self._recover = client.register_script(lua.RECOVER)
        self._renew = client.register_script(lua.RENEW)
        self._release = client.register_script(lua.RELEASE)
        self._mark = client.register_script(lua.MARK_BACKDATED)
        self._scripts = {script.sha: script.script for script in (
            self._admit, self._pop, self._settle, self._ack, self._recover, self._renew, self._release,
            self._mark)}

    def _call(self, pipe: Any, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> None:
        """Add a script call to a pipeline by its SHA alone (see `_execute` for a script Redis lacks).

        redis-py's own pipelined scripts ask SCRIPT EXISTS before every execute: one more round trip
        per page, as many as all the frontier's other calls together.
        """
        pipe.evalsha(script.sha, len(keys), *keys, *args)

    async def _execute(self, pipe: Any) -> list[Any]:
        """Run a pipeline, always give its connection back to the pool, and mend a lost script cache.

        A Redis that restarted has forgotten the Lua scripts: those calls answer NOSCRIPT without doing
        anything, so the scripts are loaded and just those calls run again. Any other error is raised.
        """
        commands = list(pipe.command_stack)
        replies = await self._send(pipe)
        missing = [index for index, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            for sha in {commands[index][0][1] for index in missing}:
                await self.client.script_load(self._scripts[sha])
            again: Any = self.client.pipeline(transaction=False)
            for index in missing:
                args, options = commands[index]
                again.execute_command(*args, **options)
            for index, reply in zip(missing, await self._send(again), strict=True):
                replies[index] = reply
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    @staticmethod
    async def _send(pipe: Any) -> list[Any]:
        """Execute a pipeline, errors as replies; reset it even if that fails, so its connection goes back."""
        try:
            return cast("list[Any]", await pipe.execute(raise_on_error=False))
        finally:
            await pipe.reset()

    # --- set-up -------------------------------------------------------------------------------
    async def check_shard_count(self) -> None:
        """The shard count is fixed per cluster: the first worker records it, the rest must agree."""
        await self.client.hsetnx(self.keys.config, "shards", self.config.shards)
        stored = int(await self.client.hget(self.keys.config, "shards") or 0)
        if stored != self.config.shards:
            raise ValueError(
                f"GOVCRAWL_FRONTIER_SHARDS is {self.config.shards} but this cluster uses {stored}: "
                f"set GOVCRAWL_FRONTIER_SHARDS={stored} (the count cannot change while a crawl is stored)"
            )

    def shard(self, host: str) -> int:
        return codec.shard_of(host, self.config.shards)

    def _seen_key(self, shard: int, fp: bytes) -> str:
        """The seen-set bucket of a URL fingerprint in its shard."""
        return self.keys.seen(shard, codec.bucket_of(fp, self.config.seen_buckets))

    async def schedule_sites(self, sites: Iterable[Site], *, now: float | None = None) -> int:
        """Make every site's cycle due now and spread its probes over the probe interval (kept if set)."""
        now = time.time() if now is None else now
        cycles: dict[int, dict[bytes, float]] = {}
        probes: dict[int, dict[bytes, float]] = {}
        count = 0
        for site in sites:
            shard = self.shard(site.host)
            offset = random.Random(site.site_id).random() * self.config.probe_seconds
            member = site.site_id.encode()
            cycles.setdefault(shard, {})[CYCLE + b"|" + member] = now
            probes.setdefault(shard, {})[PROBE + b"|" + member] = now + offset
            count += 1
        # One ZADD per shard and kind: 100,000 sites in a few hundred commands, not 200,000.
        pipe = self.client.pipeline(transaction=False)
        for shard, members in cycles.items():
            pipe.zadd(self.keys.due(shard), members)
            pipe.zadd(self.keys.due(shard), probes[shard], nx=True)
        if cycles:
            await self._execute(pipe)
        return count

    async def unschedule_sites(self, sites: Iterable[Site]) -> None:
        """Stop crawling and probing sites that left the registry."""
        pipe = self.client.pipeline(transaction=False)
        for site in sites:
            member = site.site_id.encode()
            pipe.zrem(self.keys.due(self.shard(site.host)), CYCLE + b"|" + member, PROBE + b"|" + member)
        await self._execute(pipe)

    # --- links ------------------------------------------------------------------------------------
    async def admit(self, links: Sequence[Offer], *, now: float | None = None) -> list[int]:
        """Offer links: each result is QUEUED, OVER_BUDGET, WAITING, NOT_FOLLOWED or a known status code."""
        return [code for code, _ in await self.admit_with_history(links, now=now)]

    async def admit_with_history(self, links: Sequence[Offer], *, now: float | None = None
                                 ) -> list[tuple[int, codec.History]]:
        """`admit`, with what the frontier remembers of each link's URL."""
        pipe = self.client.pipeline(transaction=False)
        collect = self._queue_admit(pipe, links, codec.due_units(time.time() if now is None else now))
        return collect(await self._execute(pipe))

    def _queue_admit(self, pipe: Any, links: Sequence[Offer], now_units: int
                     ) -> Callable[[Sequence[Any]], list[tuple[int, codec.History]]]:
        """Add the ADMIT calls for links to a pipeline; returns what reads their codes and histories from
        its replies."""
        by_shard: dict[int, list[int]] = {}
        for index, link in enumerate(links):
            by_shard.setdefault(self.shard(link.host), []).append(index)
        order = []
        for shard, indices in by_shard.items():
            args: list[Any] = [now_units, self.config.max_pages_per_site, self.keys.wait_prefix(shard),
                               self.config.max_checks_per_host, int(self.config.cycle_seconds)]
            for index in indices:
                link = links[index]
                args += [
                    self._seen_key(shard, link.fp),
                    link.fp,
                    codec.encode_payload(link.fp, link.request),
                    link.host,
                    link.site_id,
                    self.config.units(link.interval_seconds),
                    2 if link.report_only else 1 if link.force else 0,
                    "" if link.waiter is None else json.dumps(link.waiter, ensure_ascii=False),
                    (2 if link.seen_if_refused else 1) if link.first_seen else 0,
                ]
            self._call(pipe, self._admit, [self.keys.queue(shard), self.keys.hostseq(shard),
                                           self.keys.budget(shard), self.keys.check_budget(shard)], args)
            order.append(indices)

        def collect(replies: Sequence[Any]) -> list[tuple[int, codec.History]]:
            results = [(0, codec.NO_HISTORY)] * len(links)
            for indices, answers in zip(order, replies, strict=True):
                for index, code, history in zip(indices, answers[::2], answers[1::2], strict=True):
                    results[index] = (int(code), codec.History.unpack(int(history)) if history
                                      else codec.NO_HISTORY)
            return results

        return collect

    async def pop(self, shard: int, worker_id: str, count: int) -> list[tuple[bytes, dict[str, Any]]] | None:
        """Up to count requests of an owned shard, now held in flight; None if the lease was lost.

        What the frontier remembers of a request's URL rides in its meta: `govcrawl_history`
        (first_seen, backdated) of a crawled page, `govcrawl_listed` (read_at, entry keys) of a list page
        read before (codec.History, codec.Listed; kept as lists so the meta stays JSON).
        """
        return (await self.pop_many([shard], worker_id, count))[shard]

    async def pop_many(self, shards: Sequence[int], worker_id: str, count: int
                       ) -> dict[int, list[tuple[bytes, dict[str, Any]]] | None]:
        """`pop` for several owned shards in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for shard in shards:
            self._call(pipe, self._pop,
                       [self.keys.queue(shard), self.keys.inflight(shard), self.keys.lease(shard),
                        self.keys.listed(shard)],
                       [count, worker_id, self.keys.seen_prefix(shard), self.config.seen_buckets])
        return {
            shard: None if replies is None else [
                _with_memory(_decoded(payload), int(history), listed)
                for payload, history, listed in zip(replies[::3], replies[1::3], replies[2::3], strict=True)]
            for shard, replies in zip(shards, await self._execute(pipe), strict=True)
        }

    async def settle(self, *, url: str, host: str, status: int, kind_interval_seconds: float | None,
                     content_hash: str = "", now: float | None = None) -> list[dict[str, Any]]:
        """Record a fetch outcome and its next due time; return the links that wait for it.

        kind_interval_seconds None means an adaptive column page: its interval shrinks when its
        content changed since the last fetch and grows when it did not.
        """
        waiters, _ = await self.settle_and_admit(url=url, host=host, status=status,
                                                 kind_interval_seconds=kind_interval_seconds,
                                                 content_hash=content_hash, links=(), now=now)
        return waiters

    async def settle_and_admit(self, *, url: str, host: str, status: int, kind_interval_seconds: float | None,
                               content_hash: str, links: Sequence[Offer], now: float | None = None,
                               backdated: bool = False, entries: Sequence[str] | None = None,
                               shown: tuple[date | None, date | None] = (None, None),
                               list_unchanged: bool = False
                               ) -> tuple[list[dict[str, Any]], list[tuple[int, codec.History]]]:
        """`settle` a fetched page and `admit` its links in one round trip: (waiters, (code, history) of
        each link).

        `backdated` marks the page's own history; `entries` (the pages a list page links) with `shown`
        (the oldest and newest dates bounding which items it shows: crawler.backdating), or
        `list_unchanged` (a list page that answered 304), record when the list was read and what it
        showed.
        """
        fp = codec.fingerprint(url)
        shard = self.shard(host)
        now_units = codec.due_units(time.time() if now is None else now)
        interval = 0 if kind_interval_seconds is None else self.config.units(kind_interval_seconds)
        if list_unchanged:
            listing = b"="
        elif entries is not None:
            listing = b"+" + codec.pack_entries(entries, *shown)
        else:
            listing = b""
        pipe = self.client.pipeline(transaction=False)
        self._call(pipe, self._settle,
                   [self._seen_key(shard, fp),
                    self.keys.wait_prefix(shard).encode() + fp, self.keys.columns(shard),
                    self.keys.listed(shard)],
                   [fp, status, now_units, interval, content_hash,
                    self.config.units(self.config.column_min_seconds), self.config.column_max_exponent,
                    1 if backdated else 0, listing])
        collect = self._queue_admit(pipe, links, now_units)
        replies = await self._execute(pipe)
        return [json.loads(entry) for entry in replies[0]], collect(replies[1:])

    async def mark_backdated(self, urls: Iterable[tuple[str, str]]) -> int:
        """Mark crawled pages (url, host) backdated, if their first-seen time is recorded; how many were."""
        seen_keys: list[str] = []
        fingerprints: list[bytes] = []
        for url, host in urls:
            fp = codec.fingerprint(url)
            seen_keys.append(self._seen_key(self.shard(host), fp))
            fingerprints.append(fp)
        if not seen_keys:
            return 0
        pipe = self.client.pipeline(transaction=False)
        self._call(pipe, self._mark, seen_keys, fingerprints)
        return int((await self._execute(pipe))[0])

    async def ack(self, tokens: Iterable[tuple[int, bytes]]) -> None:
        """Forget requests whose outcome and items are stored (token = (shard, fingerprint))."""
        pipe = self.client.pipeline(transaction=False)
        for shard, fp in tokens:
            self._call(pipe, self._ack,
                       [self.keys.inflight(shard), self.keys.wait_prefix(shard).encode() + fp], [fp])
        await self._execute(pipe)

    async def validators(self, url: str, host: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified a column page last answered with, for a conditional request."""
        etag, modified, _ = await self.stored_validators(url, host)
        return etag, modified

    async def stored_validators(self, url: str, host: str) -> tuple[str | None, str | None, int | None]:
        """(ETag, Last-Modified, length in bytes) of the URL's last answer; the length is kept for
        attachments whose text was read, whose servers may send no validators at all."""
        raw = cast("bytes | None",
                   await self.client.hget(self.keys.validators(self.shard(host)), codec.fingerprint(url)))
        if not raw:
            return None, None, None
        etag, _, rest = raw.decode("latin-1").partition("\x1f")
        modified, _, length = rest.partition("\x1f")
        return etag or None, modified or None, int(length) if length.isdigit() else None

    async def store_validators(self, url: str, host: str, etag: str | None, modified: str | None,
                               length: int | None = None) -> None:
        """Keep what the URL answered for its next conditional request (nothing known: forget it).

        One value per URL: `etag US modified`, and `US length` after it for an attachment read.
        """
        key = self.keys.validators(self.shard(host))
        if etag is None and modified is None and length is None:
            await self.client.hdel(key, codec.fingerprint(url))
            return
        value = f"{etag or ''}\x1f{modified or ''}" + ("" if length is None else f"\x1f{length}")
        await self.client.hset(key, codec.fingerprint(url), value.encode("latin-1"))

    # --- leases ----------------------------------------------------------------------------------
    async def heartbeat(self, worker_id: str, owned: Sequence[int], info: dict[str, Any]
                        ) -> tuple[list[int], list[int]]:
        """Announce this worker and renew its leases: (shards another worker holds now, shards retaken).

        A lease that no longer exists (it expired while this worker stalled, or Redis restarted without
        it) is taken again: no other worker holds the shard.
        """
        now_ms = int(time.time() * 1000)
        lease_ms = int(self.config.lease_seconds * 1000)
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(self.keys.workers, {worker_id: now_ms})
        pipe.hset(self.keys.worker(worker_id), mapping={k: str(v) for k, v in info.items()})
        pipe.pexpire(self.keys.worker(worker_id), lease_ms * 4)
        for shard in owned:
            self._call(pipe, self._renew, [self.keys.lease(shard)], [worker_id, lease_ms, 1])
        results = await self._execute(pipe)
        outcomes = list(zip(owned, results[3:], strict=True))
        return ([shard for shard, code in outcomes if code == 0],
                [shard for shard, code in outcomes if code == _RETAKEN])

    async def live_workers(self) -> list[str]:
        cutoff = int((time.time() - self.config.lease_seconds) * 1000)
        await self.client.zremrangebyscore(self.keys.workers, "-inf", cutoff)
        members = cast("list[bytes]", await self.client.zrange(self.keys.workers, 0, -1))
        return sorted(member.decode() for member in members)

    async def try_acquire(self, shard: int, worker_id: str) -> int | None:
        """Take a free shard; returns how many requests of a dead owner were put back, None if taken."""
        acquired = await self.client.set(self.keys.lease(shard), worker_id, nx=True,
                                         px=int(self.config.lease_seconds * 1000))
        if not acquired:
            return None
        return int(await self._recover(keys=[self.keys.queue(shard), self.keys.inflight(shard),
                                             self.keys.lease(shard)], args=[worker_id]))

    async def release(self, shard: int, worker_id: str, *, to: str | None = None) -> bool:
        """Give up an owned shard: free it, or hand it to worker `to`, whose id its lease then carries.

        False if this worker no longer owned it.
        """
        return bool(await self._release(
            keys=[self.keys.queue(shard), self.keys.inflight(shard), self.keys.lease(shard),
                  self.keys.handed(to or worker_id)],
            args=[worker_id, to or "", int(self.config.lease_seconds * 1000), shard]))

    async def take_handed(self, worker_id: str) -> list[int]:
        """The shards handed to this worker since it last asked whose leases it still holds (renewed)."""
        popped = cast("list[bytes] | None", await self.client.lpop(self.keys.handed(worker_id),
                                                                    self.config.shards))
        shards = sorted({int(shard) for shard in popped or ()})
        if not shards:
            return []
        pipe = self.client.pipeline(transaction=False)
        for shard in shards:
            self._call(pipe, self._renew, [self.keys.lease(shard)], [worker_id,
                                                                    int(self.config.lease_seconds * 1000), 0])
        return [shard for shard, ok in zip(shards, await self._execute(pipe), strict=True) if ok]

    async def queue_depths(self, shards: Sequence[int]) -> list[int]:
        """How many requests wait in each of these shards' queues."""
        pipe = self.client.pipeline(transaction=False)
        for shard in shards:
            pipe.zcard(self.keys.queue(shard))
        return [int(depth) for depth in await self._execute(pipe)] if shards else []

    async def worker_loads(self, workers: Sequence[str]) -> dict[str, int]:
        """Requests queued in each worker's shards or held by it, as of its last heartbeat.

        Workers that owned no shard at their last heartbeat (just started) are left out.
        """
        pipe = self.client.pipeline(transaction=False)
        for worker in workers:
            pipe.hmget(self.keys.worker(worker), ["owned", "queued", "held"])
        replies = await self._execute(pipe) if workers else []
        return {worker: int(queued or 0) + int(held or 0)
                for worker, (owned, queued, held) in zip(workers, replies, strict=True) if int(owned or 0)}

    async def lease_owners(self) -> list[str | None]:
        values = cast("list[bytes | None]",
                      await self.client.mget([self.keys.lease(shard) for shard in range(self.config.shards)]))
        return [None if value is None else value.decode() for value in values]

    # --- due sites -------------------------------------------------------------------------------
    async def take_due(self, shard: int, *, now: float, cycles_only: bool, limit: int = 200
                       ) -> list[tuple[bytes, str, int]]:
        """Sites of a shard whose cycle or probe is due: (kind, site id, cycle number).

        A due cycle starts here (its page budget is reset, its cycle number goes up), but stays due
        until `reschedule` runs after its home page is queued: a worker killed in between leaves it
        due, and the next owner starts it again instead of skipping the site for a whole cycle.
        """
        members = cast("list[bytes]", await self.client.zrangebyscore(self.keys.due(shard), "-inf", now,
                                                                       start=0, num=limit))
        due: list[tuple[bytes, str]] = []
        pipe = self.client.pipeline(transaction=False)
        for member in members:
            kind, _, site_id = member.partition(b"|")
            if cycles_only and kind != CYCLE:
                continue
            if kind == CYCLE:
                pipe.hdel(self.keys.budget(shard), site_id)
                pipe.hincrby(self.keys.cycles, site_id, 1)
            else:
                pipe.hget(self.keys.cycles, site_id)
            due.append((kind, site_id.decode()))
        if not due:
            return []
        replies = iter(await self._execute(pipe))
        started: list[tuple[bytes, str, int]] = []
        for kind, name in due:
            if kind == CYCLE:
                next(replies)  # the budget reset
            started.append((kind, name, int(next(replies) or 0)))
        return started

    async def reschedule(self, shard: int, due: Sequence[tuple[bytes, str, int]], *, now: float) -> None:
        """Set the next time of cycles and probes taken by `take_due`, once their home pages are queued."""
        pipe = self.client.pipeline(transaction=False)
        for kind, site_id, _ in due:
            step = self.config.cycle_seconds if kind == CYCLE else self.config.probe_seconds
            pipe.zadd(self.keys.due(shard), {kind + b"|" + site_id.encode(): now + step}, xx=True)
        if due:
            await self._execute(pipe)

    async def cycle_of(self, site_id: str) -> int:
        return int(await self.client.hget(self.keys.cycles, site_id) or 0)

    # --- re-check on demand (`scrapy recheck`) ----------------------------------------------------
    async def recheck_sites(self, sites: Iterable[Site], urls: Iterable[str], *, now: float | None = None
                            ) -> tuple[int, int]:
        """Make the sites' whole cycle due now: the cycle itself, and every given URL of theirs (pages,
        columns, link targets, as `url` and as a link check) due again and fetched without validators,
        so nothing answers from an earlier visit. Returns (sites, URLs known to the frontier)."""
        now = time.time() if now is None else now
        recheck = self.client.register_script(lua.RECHECK)
        self._scripts[recheck.sha] = recheck.script
        pipe = self.client.pipeline(transaction=False)
        count = 0
        for site in sites:
            pipe.zadd(self.keys.due(self.shard(site.host)), {CYCLE + b"|" + site.site_id.encode(): now})
            count += 1
        seen_keys: list[str] = []
        fingerprints: list[bytes] = []
        for url in urls:
            shard = self.shard(urlsplit(url).hostname or "")
            for variant in (url, url + CHECK_SUFFIX):
                fp = codec.fingerprint(variant)
                seen_keys.append(self._seen_key(shard, fp))
                fingerprints.append(fp)
                pipe.hdel(self.keys.validators(shard), fp)
        for start in range(0, len(seen_keys), 1000):
            self._call(pipe, recheck, seen_keys[start:start + 1000], fingerprints[start:start + 1000])
        replies = await self._execute(pipe) if count or seen_keys else []
        known = sum(int(reply) for reply in replies[-math.ceil(len(seen_keys) / 1000):]) if seen_keys else 0
        return count, known

    # --- status ----------------------------------------------------------------------------------
    async def pending_work(self, *, now: float, cycles_only: bool) -> int:
        """Queued + in-flight requests + due sites across all shards (0 means the crawl is done).

        Read in one transaction: a page's links are queued before it leaves the in-flight hash, so an
        atomic view never misses work that moved from one shard to another.
        """
        pipe = self.client.pipeline(transaction=True)
        for shard in range(self.config.shards):
            pipe.zcard(self.keys.queue(shard))
            pipe.hlen(self.keys.inflight(shard))
            pipe.zrangebyscore(self.keys.due(shard), "-inf", now, start=0, num=50)
        results = await self._execute(pipe)
        total = 0
        for start in range(0, len(results), 3):
            queued, inflight, due = results[start:start + 3]
            total += queued + inflight
            total += sum(1 for member in due if not cycles_only or member.startswith(CYCLE + b"|"))
        return total
