"""The Redis frontier against a real Redis: admission, waiting links, leases, redelivery, memory per URL."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
import redis.asyncio

from crawler.registry import Site
from crawler.scheduler import codec
from crawler.scheduler.frontier import (
    NOT_FOLLOWED,
    OVER_BUDGET,
    QUEUED,
    WAITING,
    Frontier,
    FrontierConfig,
    Offer,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

NOW = 1_800_000_000.0  # a fixed clock: 2027-01-15


def _config(prefix: str, **overrides: Any) -> FrontierConfig:
    values: dict[str, Any] = {
        "prefix": prefix, "shards": 8, "seen_buckets": 4, "lease_seconds": 5.0, "max_pages_per_site": 3,
        "max_checks_per_host": 2,
        "cycle_seconds": 86400.0, "probe_seconds": 3600.0, "column_min_seconds": 3600.0,
        "column_max_seconds": 7 * 86400.0, "article_seconds": 30 * 86400.0,
    }
    values.update(overrides)
    return FrontierConfig(**values)


def _link(url: str, site_id: str = "s1", **kwargs: Any) -> Offer:
    host = url.split("/")[2]
    return Offer(url=url, host=host, site_id=site_id, request={"url": url, "callback": "parse"},
                interval_seconds=86400.0, **kwargs)


def run(redis_url: str, prefix: str, body: Callable[[Frontier], Awaitable[None]], **config: Any) -> None:
    async def main() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            await body(Frontier(client, _config(prefix, **config)))
        finally:
            await client.aclose()

    asyncio.run(main())


def test_a_link_is_queued_once_per_cycle_and_due_again_after(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        assert await frontier.admit([_link("http://a.gov.cn/1.html")], now=NOW) == [QUEUED]
        assert await frontier.admit([_link("http://a.gov.cn/1.html")], now=NOW + 60) == [WAITING]
        shard = frontier.shard("a.gov.cn")
        await frontier.try_acquire(shard, "w1")
        held = await frontier.pop(shard, "w1", 10)
        assert held is not None and [data["url"] for _, data in held] == ["http://a.gov.cn/1.html"]
        await frontier.settle(url="http://a.gov.cn/1.html", host="a.gov.cn", status=codec.OK,
                              kind_interval_seconds=86400.0, now=NOW + 120)
        # Known and fresh: its status is returned, nothing is fetched again within the cycle.
        assert await frontier.admit([_link("http://a.gov.cn/1.html")], now=NOW + 3600) == [codec.OK]
        # A day later it is due again.
        assert await frontier.admit([_link("http://a.gov.cn/1.html")], now=NOW + 86400 + 1200) == [QUEUED]

    run(redis_url, redis_prefix, body)


def test_a_page_settles_and_offers_its_links_in_one_call(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        page, dead, other_host = "http://a.gov.cn/list.html", "http://a.gov.cn/dead.html", "http://b.gov.cn/x"
        await frontier.admit([_link(page), _link(dead, waiter={"f": "http://a.gov.cn/"})], now=NOW)
        await frontier.settle(url=dead, host="a.gov.cn", status=codec.STATUS_CODES["404"],
                              kind_interval_seconds=86400.0, now=NOW + 5)
        waiting = _link(page, waiter={"f": "http://a.gov.cn/"})
        assert await frontier.admit([waiting], now=NOW + 6) == [WAITING]
        links = [_link(dead, waiter={"f": page}), _link("http://a.gov.cn/new.html"), _link(other_host)]
        assert frontier.shard("a.gov.cn") != frontier.shard("b.gov.cn")
        waiters, answers = await frontier.settle_and_admit(
            url=page, host="a.gov.cn", status=codec.OK, kind_interval_seconds=86400.0, content_hash="-",
            links=links, now=NOW + 10)
        codes = [code for code, _ in answers]
        assert waiters == [{"f": "http://a.gov.cn/"}]
        # Links of two shards (two hosts), each answered in order: known status, queued, queued.
        assert codes == [codec.STATUS_CODES["404"], QUEUED, QUEUED]
        # The page itself is settled: offered again in this cycle, its status comes back.
        assert await frontier.admit([_link(page)], now=NOW + 20) == [codec.OK]

    run(redis_url, redis_prefix, body)


def _calls(stats: dict[str, Any], command: str) -> int:
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


def test_scripts_lost_by_a_redis_restart_are_loaded_again_without_an_extra_round_trip_per_call(
        redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        page = "http://a.gov.cn/list.html"
        assert await frontier.admit([_link(page)], now=NOW) == [QUEUED]
        await frontier.client.script_flush()  # what a restarted Redis has forgotten
        before = await frontier.client.info("commandstats")
        waiters, answers = await frontier.settle_and_admit(
            url=page, host="a.gov.cn", status=codec.OK, kind_interval_seconds=86400.0, content_hash="-",
            links=[_link("http://a.gov.cn/a.html"), _link("http://b.gov.cn/b.html")], now=NOW + 10)
        assert (waiters, [code for code, _ in answers]) == ([], [QUEUED, QUEUED])
        assert await frontier.admit([_link(page)], now=NOW + 20) == [codec.OK]
        shard = frontier.shard("a.gov.cn")
        await frontier.try_acquire(shard, "w1")
        held = await frontier.pop(shard, "w1", 10)
        assert held is not None and [data["url"] for _, data in held] == [page, "http://a.gov.cn/a.html"]
        after = await frontier.client.info("commandstats")
        # Calls go by SHA alone: redis-py's pipelined scripts would ask SCRIPT EXISTS every time.
        assert _calls(after, "script|exists") == _calls(before, "script|exists")
        assert _calls(after, "script|load") > _calls(before, "script|load")

    run(redis_url, redis_prefix, body)


def test_pages_linking_a_pending_target_learn_its_broken_status(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        target = "http://a.gov.cn/dead.html"
        first = _link(target, waiter={"f": "http://a.gov.cn/"})
        second = _link(target, waiter={"f": "http://a.gov.cn/list.html"})
        assert await frontier.admit([first], now=NOW) == [QUEUED]
        assert await frontier.admit([second], now=NOW) == [WAITING]
        waiters = await frontier.settle(url=target, host="a.gov.cn", status=codec.STATUS_CODES["404"],
                                        kind_interval_seconds=86400.0, now=NOW + 5)
        assert sorted(w["f"] for w in waiters) == ["http://a.gov.cn/", "http://a.gov.cn/list.html"]
        third = _link(target, waiter={"f": "http://a.gov.cn/other.html"})
        assert await frontier.admit([third], now=NOW + 10) == [codec.STATUS_CODES["404"]]
        # The waiting list survives until the request is acknowledged (a crash before that replays it).
        shard = frontier.shard("a.gov.cn")
        again = await frontier.settle(url=target, host="a.gov.cn", status=codec.STATUS_CODES["404"],
                                      kind_interval_seconds=86400.0, now=NOW + 20)
        assert len(again) == 2
        await frontier.ack([(shard, codec.fingerprint(target))])
        assert await frontier.settle(url=target, host="a.gov.cn", status=codec.STATUS_CODES["404"],
                                     kind_interval_seconds=86400.0, now=NOW + 30) == []

    run(redis_url, redis_prefix, body)


def test_a_report_only_link_is_never_queued_but_learns_a_known_or_pending_status(redis_url: str,
                                                                                 redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        dead, pending, unknown = "http://a.gov.cn/col/old/", "http://a.gov.cn/col/new/", "http://a.gov.cn/col/x/"
        assert await frontier.admit([_link(dead), _link(pending)], now=NOW) == [QUEUED, QUEUED]
        await frontier.settle(url=dead, host="a.gov.cn", status=codec.STATUS_CODES["404"],
                              kind_interval_seconds=86400.0, now=NOW + 5)
        shard = frontier.shard("a.gov.cn")
        queued = await frontier.client.zcard(frontier.keys.queue(shard))
        offers = [_link(url, report_only=True, waiter={"f": "http://a.gov.cn/col/a/t1.html"}, first_seen=True)
                  for url in (dead, pending, unknown)]
        answers = await frontier.admit(offers, now=NOW + 10)
        assert answers == [codec.STATUS_CODES["404"], WAITING, NOT_FOLLOWED]
        assert await frontier.client.zcard(frontier.keys.queue(shard)) == queued  # nothing queued
        assert await frontier.client.hget(frontier._seen_key(shard, codec.fingerprint(unknown)),
                                          codec.fingerprint(unknown)) is None  # nor remembered
        waiters = await frontier.settle(url=pending, host="a.gov.cn", status=codec.STATUS_CODES["404"],
                                        kind_interval_seconds=86400.0, now=NOW + 15)
        assert [w["f"] for w in waiters] == ["http://a.gov.cn/col/a/t1.html"]

    run(redis_url, redis_prefix, body)


def test_the_page_budget_of_a_site_holds_per_cycle(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        links = [_link(f"http://a.gov.cn/{n}.html") for n in range(5)]
        assert await frontier.admit(links, now=NOW) == [QUEUED, QUEUED, QUEUED, OVER_BUDGET, OVER_BUDGET]
        # Link checks count against the checked host's own small budget, not the site's.
        checks = [Offer(url=f"http://b.gov.cn/{n}.pdf", host="b.gov.cn", site_id="@check",
                       request={"url": "u"}, interval_seconds=60) for n in range(3)]
        assert await frontier.admit(checks, now=NOW) == [QUEUED, QUEUED, OVER_BUDGET]
        ttl = await frontier.client.ttl(frontier.keys.check_budget(frontier.shard("b.gov.cn")))
        assert 0 < ttl <= 86400  # the check budget starts afresh every cycle
        probe = Offer(url="http://b.gov.cn/#govcrawl-probe", host="b.gov.cn", site_id="",
                      request={"url": "u"}, interval_seconds=60, force=True)
        assert await frontier.admit([probe], now=NOW) == [QUEUED]  # probes have no budget

    run(redis_url, redis_prefix, body, max_pages_per_site=3)


def test_a_dead_workers_requests_are_redelivered_to_the_next_owner(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        urls = [f"http://a.gov.cn/{n}.html" for n in range(4)]
        await frontier.admit([_link(url) for url in urls], now=NOW)
        shard = frontier.shard("a.gov.cn")
        assert await frontier.try_acquire(shard, "dead-worker") == 0
        held = await frontier.pop(shard, "dead-worker", 3)
        assert held is not None and len(held) == 3
        await frontier.ack([(shard, held[0][0])])  # one finished before the worker died
        assert await frontier.try_acquire(shard, "heir") is None  # the lease still stands
        await frontier.client.delete(frontier.keys.lease(shard))  # ... until it expires
        assert await frontier.try_acquire(shard, "heir") == 2
        rest = await frontier.pop(shard, "heir", 10)
        assert rest is not None
        assert sorted(data["url"] for _, data in rest) == sorted(set(urls) - {held[0][1]["url"]})
        # Only the owner pops: a worker without the lease gets nothing.
        assert await frontier.pop(shard, "dead-worker", 10) is None

    run(redis_url, redis_prefix, body, max_pages_per_site=0)


def test_release_returns_held_requests_and_frees_the_shard(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        await frontier.admit([_link("http://a.gov.cn/1.html")], now=NOW)
        shard = frontier.shard("a.gov.cn")
        await frontier.try_acquire(shard, "w1")
        assert await frontier.pop(shard, "w1", 5)
        assert await frontier.release(shard, "w1")
        assert (await frontier.lease_owners())[shard] is None
        assert await frontier.try_acquire(shard, "w2") == 0
        again = await frontier.pop(shard, "w2", 5)
        assert again is not None and len(again) == 1

    run(redis_url, redis_prefix, body)


def test_a_shard_handed_over_carries_the_receivers_lease_and_its_held_requests(
        redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        await frontier.admit([_link("http://a.gov.cn/1.html"), _link("http://a.gov.cn/2.html")], now=NOW)
        shard = frontier.shard("a.gov.cn")
        await frontier.try_acquire(shard, "w1")
        assert await frontier.pop(shard, "w1", 1)  # buffered by w1, never fetched
        assert not await frontier.release(shard, "w2", to="w3")  # only the owner can give it
        assert await frontier.take_handed("w3") == []
        assert await frontier.release(shard, "w1", to="w2")
        assert (await frontier.lease_owners())[shard] == "w2"
        assert await frontier.take_handed("w2") == [shard]
        assert await frontier.take_handed("w2") == []  # told once
        assert await frontier.pop(shard, "w1", 5) is None
        assert await frontier.try_acquire(shard, "w3") is None  # not free: it is w2's now
        given = await frontier.pop(shard, "w2", 5)
        assert given is not None
        assert sorted(data["url"] for _, data in given) == ["http://a.gov.cn/1.html", "http://a.gov.cn/2.html"]
        ttl = await frontier.client.pttl(frontier.keys.lease(shard))
        assert 0 < ttl <= 5000
        # A receiver too slow to adopt: the lease expired and another worker took the shard over.
        assert await frontier.release(shard, "w2", to="w4")
        await frontier.client.set(frontier.keys.lease(shard), "w5")
        assert await frontier.take_handed("w4") == []

    run(redis_url, redis_prefix, body)


def test_a_heartbeat_tells_a_lease_taken_by_another_worker_from_one_that_was_gone(
        redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        for shard in (0, 1, 2):
            await frontier.try_acquire(shard, "w1")
        await frontier.client.delete(frontier.keys.lease(1))  # expired, or lost with a Redis restart
        await frontier.client.set(frontier.keys.lease(2), "w2")  # taken over by another worker
        lost, retaken = await frontier.heartbeat("w1", [0, 1, 2], {"owned": 3})
        assert (lost, retaken) == ([2], [1])
        assert (await frontier.lease_owners())[:3] == ["w1", "w1", "w2"]
        assert 0 < await frontier.client.pttl(frontier.keys.lease(1)) <= 5000
        # A lease handed to a worker is only renewed, never taken again once gone.
        await frontier.client.delete(frontier.keys.lease(0))
        await frontier.client.rpush(frontier.keys.handed("w1"), 0)
        assert await frontier.take_handed("w1") == []
        assert (await frontier.lease_owners())[0] is None

    run(redis_url, redis_prefix, body)


def test_worker_loads_count_queued_and_held_of_workers_that_own_shards(redis_url: str, redis_prefix: str
                                                                      ) -> None:
    async def body(frontier: Frontier) -> None:
        await frontier.heartbeat("busy", [], {"owned": 3, "queued": 40, "held": 2})
        await frontier.heartbeat("joining", [], {"owned": 0, "queued": 0, "held": 0})
        assert await frontier.worker_loads(["busy", "joining", "gone"]) == {"busy": 42}
        await frontier.admit([_link("http://a.gov.cn/1.html"), _link("http://b.gov.cn/1.html")], now=NOW)
        shards = sorted({frontier.shard("a.gov.cn"), frontier.shard("b.gov.cn")})
        assert sum(await frontier.queue_depths(shards)) == 2

    run(redis_url, redis_prefix, body)


def test_hosts_of_a_shard_are_served_round_robin(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        hosts = [f"h{n}.gov.cn" for n in range(40)]
        by_shard: dict[int, list[str]] = {}
        for host in hosts:
            by_shard.setdefault(frontier.shard(host), []).append(host)
        shard, same = max(by_shard.items(), key=lambda pair: len(pair[1]))
        assert len(same) >= 2
        busy, quiet = same[0], same[1]
        await frontier.admit([_link(f"http://{busy}/{n}.html", site_id=busy) for n in range(3)], now=NOW)
        await frontier.admit([_link(f"http://{quiet}/{n}.html", site_id=quiet) for n in range(3)], now=NOW)
        await frontier.try_acquire(shard, "w1")
        held = await frontier.pop(shard, "w1", 4)
        assert held is not None
        order = [data["url"].split("/")[2] for _, data in held]
        # Each round serves every host once before any host gets a second turn.
        assert set(order[:2]) == set(order[2:]) == {busy, quiet}

    run(redis_url, redis_prefix, body, max_pages_per_site=0)


def test_adaptive_column_interval_grows_while_unchanged_and_shrinks_on_change(
    redis_url: str, redis_prefix: str
) -> None:
    async def body(frontier: Frontier) -> None:
        url = "http://a.gov.cn/tzgg/"
        fp = codec.fingerprint(url)
        seen = frontier.keys.seen(frontier.shard("a.gov.cn"),
                                  codec.bucket_of(fp, frontier.config.seen_buckets))

        async def settle(content: str, now: float) -> tuple[int, int, int]:
            await frontier.settle(url=url, host="a.gov.cn", status=codec.OK, kind_interval_seconds=None,
                                  content_hash=content, now=now)
            return codec.unpack_value(int(await frontier.client.hget(seen, fp)))

        due, exp, _ = await settle("v1", NOW)
        assert exp == 0 and due == codec.due_units(NOW) + 1 + 6  # the current unit is never counted
        _, exp, _ = await settle("v1", NOW)
        assert exp == 1
        _, exp, _ = await settle("v1", NOW)
        assert exp == 2
        _, exp, _ = await settle("v2", NOW)
        assert exp == 1
        _, exp, _ = await settle("", NOW)  # 304 Not Modified: unchanged
        assert exp == 2
        _, exp, _ = await settle("v2", NOW)  # the 304 did not overwrite the last signature
        assert exp == 3
        for _ in range(10):
            _, exp, _ = await settle("v2", NOW)
        assert exp == frontier.config.column_max_exponent == 7  # 1 h x 2^7 > 7 days: capped

    run(redis_url, redis_prefix, body)


def test_the_shard_count_is_fixed_per_cluster(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        await frontier.check_shard_count()
        other = Frontier(frontier.client, _config(frontier.config.prefix, shards=16))
        with pytest.raises(ValueError, match="GOVCRAWL_FRONTIER_SHARDS is 16 but this cluster uses 8"):
            await other.check_shard_count()

    run(redis_url, redis_prefix, body)


def test_seed_schedules_cycles_now_and_spreads_probes(redis_url: str, redis_prefix: str) -> None:
    sites = [Site(site_id=f"510100{n:04d}", name="x", url=f"http://127.0.1.{n}:8800/", level="county",
                  region="成都市", department="") for n in range(1, 6)]

    async def body(frontier: Frontier) -> None:
        assert await frontier.schedule_sites(sites, now=NOW) == 5
        due = {shard: await frontier.take_due(shard, now=NOW, cycles_only=False)
               for shard in range(frontier.config.shards)}
        started = [(site, cycle) for taken in due.values() for kind, site, cycle in taken if kind == b"c"]
        assert sorted(started) == [(site.site_id, 1) for site in sites]
        assert await frontier.cycle_of(sites[0].site_id) == 1
        # Taken but not rescheduled (its home page not yet queued): the cycle is still pending work.
        assert await frontier.pending_work(now=NOW + 1, cycles_only=True) == 5
        for shard, taken in due.items():
            await frontier.reschedule(shard, taken, now=NOW)
        assert await frontier.pending_work(now=NOW + 1, cycles_only=True) == 0

    run(redis_url, redis_prefix, body)


@pytest.mark.parametrize(("history", "limit"), [
    (0, 20), (codec.first_seen_units(NOW) | codec.BACKDATED_FLAG, 24)],
    ids=["link check", "crawled page with its history"])
def test_seen_set_memory_per_url(redis_url: str, redis_prefix: str, history: int, limit: int) -> None:
    """Measured with MEMORY USAGE on the real server, at the bucket fill the defaults are sized for: under
    20 bytes per URL, 24 for a crawled page whose first sighting is kept (a 64-bit value)."""
    urls = 40_000

    async def body(frontier: Frontier) -> None:
        pipe = frontier.client.pipeline(transaction=False)
        for n in range(urls):
            url = f"http://site{n % 50}.gov.cn/art/2026/11/{n}.html"
            fp = codec.fingerprint(url)
            shard = frontier.shard(url.split("/")[2])
            pipe.hset(frontier.keys.seen(shard, codec.bucket_of(fp, frontier.config.seen_buckets)), fp,
                      codec.pack_value(codec.due_units(NOW) + 4320, 0, codec.OK, history))
        await pipe.execute()
        total = 0
        keys = [key async for key in frontier.client.scan_iter(match=f"{frontier.config.prefix}:seen:*")]
        for key in keys:
            total += int(await frontier.client.memory_usage(key, samples=0))
            assert await frontier.client.object("encoding", key) == b"listpack"
        assert total / urls < limit, f"{total / urls:.1f} bytes per URL over {len(keys)} buckets"

    run(redis_url, redis_prefix, body, shards=8, seen_buckets=16)


def test_a_crawled_page_keeps_when_it_was_first_offered_through_revisits_and_rechecks(
        redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        article, check = "http://a.gov.cn/art/1.html", "http://a.gov.cn/logo.png#govcrawl-check"
        shard = frontier.shard("a.gov.cn")
        answers = await frontier.admit_with_history(
            [_link(article, first_seen=True), _link(check, site_id="@check")], now=NOW)
        first_hour = codec.DUE_EPOCH_SECONDS + codec.first_seen_units(NOW) * codec.FIRST_SEEN_UNIT_SECONDS
        assert answers == [(QUEUED, codec.History(first_seen=first_hour)), (QUEUED, codec.NO_HISTORY)]
        assert NOW - 3600 < first_hour <= NOW
        await frontier.try_acquire(shard, "w1")
        held = await frontier.pop(shard, "w1", 10)
        assert held is not None
        metas = {data["url"]: data.get("meta", {}) for _, data in held}
        assert metas[article]["govcrawl_history"] == [first_hour, False]
        assert "govcrawl_history" not in metas[check]  # link checks keep no history: 32-bit values
        await frontier.settle(url=article, host="a.gov.cn", status=codec.OK, kind_interval_seconds=86400.0,
                              now=NOW + 60)
        # A month later it is offered again (due again): its first sighting stays the first.
        later = NOW + 30 * 86400
        assert await frontier.admit_with_history([_link(article, first_seen=True)], now=later) == [
            (QUEUED, codec.History(first_seen=first_hour))]
        await frontier.settle_and_admit(url=article, host="a.gov.cn", status=codec.OK,
                                        kind_interval_seconds=86400.0, content_hash="-", links=(),
                                        backdated=True, now=later + 60)
        assert await frontier.recheck_sites([], [article], now=later + 120) == (0, 1)
        assert await frontier.admit_with_history([_link(article, first_seen=True)], now=later + 180) == [
            (QUEUED, codec.History(first_seen=first_hour, backdated=True))]
        fp = codec.fingerprint(article)
        value = int(await frontier.client.hget(frontier.keys.seen(shard, codec.bucket_of(
            fp, frontier.config.seen_buckets)), fp))
        assert codec.unpack_value(value)[0] == codec.due_units(later + 180) + 1 + 144  # schedule intact

    run(redis_url, redis_prefix, body)


def test_a_list_entry_over_the_budget_is_still_recorded_as_seen(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        pages = [_link(f"http://a.gov.cn/{n}.html", first_seen=True, seen_if_refused=True) for n in range(4)]
        answers = await frontier.admit_with_history(pages, now=NOW)
        assert [code for code, _ in answers] == [QUEUED, QUEUED, QUEUED, OVER_BUDGET]
        assert all(history.first_seen is not None for _, history in answers)
        # Any other page over the budget is not kept: an endless URL space would fill the seen-set.
        other = _link("http://a.gov.cn/calendar?d=2026-12-06", first_seen=True)
        assert await frontier.admit_with_history([other], now=NOW) == [(OVER_BUDGET, answers[3][1])]
        fp = codec.fingerprint(other.url)
        shard = frontier.shard("a.gov.cn")
        bucket = frontier.keys.seen(shard, codec.bucket_of(fp, frontier.config.seen_buckets))
        assert not await frontier.client.hexists(bucket, fp)
        # Next cycle (budget reset) the refused page is queued at once, with its first sighting of the
        # earlier cycle: it was listed then, so it is not new when it is finally fetched.
        await frontier.client.delete(frontier.keys.budget(frontier.shard("a.gov.cn")))
        again = await frontier.admit_with_history([pages[3]], now=NOW + 86400)
        assert again == [(QUEUED, answers[3][1])]

    run(redis_url, redis_prefix, body)


def test_a_list_page_is_handed_out_with_its_previous_read(redis_url: str, redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        column = "http://a.gov.cn/tzgg/"
        shard = frontier.shard("a.gov.cn")
        await frontier.try_acquire(shard, "w1")

        async def fetch(now: float) -> dict[str, Any]:
            assert await frontier.admit([_link(column, site_id="")], now=now) == [QUEUED]  # no budget
            held = await frontier.pop(shard, "w1", 10)
            assert held is not None and len(held) == 1
            return held[0][1].get("meta", {})

        assert "govcrawl_listed" not in await fetch(NOW)  # never read
        entries = ["http://a.gov.cn/tzgg/1.html", "http://a.gov.cn/tzgg/2.html"]
        await frontier.settle_and_admit(url=column, host="a.gov.cn", status=codec.OK,
                                        kind_interval_seconds=None, content_hash="v1", links=(),
                                        entries=entries, shown=(date(2026, 11, 3), date(2026, 11, 30)),
                                        now=NOW)
        listed = codec.Listed.from_record((await fetch(NOW + 86400))["govcrawl_listed"])
        assert NOW - 600 < listed.read_at <= NOW
        assert (listed.oldest, listed.newest) == (date(2026, 11, 3), date(2026, 11, 30))
        assert listed.shows(entries[0]) and listed.shows(entries[1])
        assert not listed.shows("http://a.gov.cn/tzgg/3.html")
        # Unchanged (304) a day later: read again then, showing what it showed.
        await frontier.settle_and_admit(url=column, host="a.gov.cn", status=codec.OK,
                                        kind_interval_seconds=None, content_hash="", links=(),
                                        list_unchanged=True, now=NOW + 86400)
        again = codec.Listed.from_record((await fetch(NOW + 2 * 86400))["govcrawl_listed"])
        assert NOW + 86400 - 600 < again.read_at <= NOW + 86400
        assert (again.oldest, again.newest, again.entries) == (listed.oldest, listed.newest, listed.entries)
        # Read with no entries: an empty list, still a read.
        await frontier.settle_and_admit(url=column, host="a.gov.cn", status=codec.OK,
                                        kind_interval_seconds=None, content_hash="v2", links=(), entries=[],
                                        now=NOW + 2 * 86400)
        empty = codec.Listed.from_record((await fetch(NOW + 3 * 86400))["govcrawl_listed"])
        assert (empty.oldest, empty.newest, empty.entries) == (None, None, frozenset())
        assert empty.read_at > NOW + 86400

    run(redis_url, redis_prefix, body)


def test_only_pages_with_a_recorded_first_sighting_are_marked_backdated(redis_url: str,
                                                                         redis_prefix: str) -> None:
    async def body(frontier: Frontier) -> None:
        recorded, unrecorded = "http://a.gov.cn/new.html", "http://a.gov.cn/old.html"
        await frontier.admit([_link(recorded, first_seen=True), _link(unrecorded)], now=NOW)
        hosts = [(recorded, "a.gov.cn"), (unrecorded, "a.gov.cn"), ("http://a.gov.cn/never.html", "a.gov.cn")]
        assert await frontier.mark_backdated(hosts) == 1
        assert await frontier.mark_backdated(hosts) == 0  # already marked
        answers = await frontier.admit_with_history([_link(recorded, first_seen=True), _link(unrecorded)],
                                                    now=NOW + 86400 + 1200)
        assert [history.backdated for _, history in answers] == [True, False]

    run(redis_url, redis_prefix, body)


_ARTICLE_META = {"site_id": "5101000002", "page_kind": "article", "depth": 3, "cycle": 12,
                 "govcrawl_url": "http://www.chengdu.gov.cn/zwdt/2026-12/04/content_5a1b2c3d.shtml",
                 "target_kind": "page", "column_name": "政务动态", "column_level": 2,
                 "column_url": "http://www.chengdu.gov.cn/zwdt/list.shtml", "listing_date": "2026-12-04"}


@pytest.mark.parametrize("request_dict", [
    codec.request_dict(_ARTICLE_META["govcrawl_url"], callback="parse", errback="on_error",
                       meta=_ARTICLE_META),
    codec.request_dict("http://b.gov.cn/f.pdf", callback="parse_check", errback="on_error", method="HEAD",
                       meta={"site_id": "@check", "page_kind": "check", "depth": 9, "cycle": 1,
                             "govcrawl_url": "http://b.gov.cn/f.pdf#govcrawl-check",
                             "download_maxsize": 4194304, "dont_retry": True,
                             "column_url": "http://a.gov.cn/other/"}),
    {"url": "http://a.gov.cn/x", "callback": None, "errback": None, "meta": {"depth": 1},
     "headers": {"Referer": ["http://a.gov.cn/"]}, "priority": 3},
], ids=["article", "check of another host", "redirect without a frontier URL"])
def test_a_queued_request_is_stored_compact_and_read_back_exactly(request_dict: dict[str, Any]) -> None:
    payload = codec.encode_payload(b"\x00" * 8, request_dict)
    assert codec.decode_payload(payload) == (b"\x00" * 8, request_dict)
    # The earlier form (plain JSON after the fingerprint) is still read: requests queued before an upgrade.
    assert codec.decode_payload(b"\x00" * 8 + json.dumps(request_dict).encode())[1] == request_dict


def test_the_compact_form_halves_a_spider_request() -> None:
    request_dict = codec.request_dict(_ARTICLE_META["govcrawl_url"], callback="parse", errback="on_error",
                                      meta=_ARTICLE_META)
    plain = len(json.dumps(request_dict, ensure_ascii=False, separators=(",", ":")).encode())
    compact = len(codec.encode_payload(b"\x00" * 8, request_dict)) - 8
    assert plain > 450 and compact < plain / 2, (plain, compact)
