"""`scrapy status`: workers, shards and their owners, queue depths, sites due and the oldest due."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand

from crawler import connections
from crawler.scheduler.frontier import Frontier
from crawler.scheduler.session import frontier_config_from_settings
from crawler.service_checks import redis_client, run_command

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings


@dataclass(slots=True, kw_only=True)
class ShardStatus:
    shard: int
    owner: str | None
    queued: int
    in_flight: int
    sites_due: int


@dataclass(slots=True, kw_only=True)
class ClusterStatus:
    """What `scrapy status` shows; also read by the exporter."""

    shards: int
    workers: dict[str, dict[str, str]]
    queued: int
    in_flight: int
    sites_due: int
    oldest_due_seconds: float | None
    registered_sites: int
    shard_rows: list[ShardStatus] = field(default_factory=list)


async def read_status(frontier: Frontier, *, now: float | None = None) -> ClusterStatus:
    now = time.time() if now is None else now
    keys = frontier.keys
    shards = frontier.config.shards
    workers = await frontier.live_workers()
    pipe = frontier.client.pipeline(transaction=False)
    for worker in workers:
        pipe.hgetall(keys.worker(worker))
    for shard in range(shards):
        pipe.get(keys.lease(shard))
        pipe.zcard(keys.queue(shard))
        pipe.hlen(keys.inflight(shard))
        pipe.zcount(keys.due(shard), "-inf", now)
        pipe.zrange(keys.due(shard), 0, 0, withscores=True)
    pipe.hlen(f"{frontier.config.prefix}:registry:sites")
    results = await pipe.execute()
    info = {
        worker: {k.decode(): v.decode() for k, v in raw.items()}
        for worker, raw in zip(workers, results[: len(workers)], strict=True)
    }
    rows = []
    oldest: float | None = None
    offset = len(workers)
    for shard in range(shards):
        owner, queued, in_flight, due, first = results[offset + 5 * shard: offset + 5 * shard + 5]
        rows.append(ShardStatus(shard=shard, owner=owner.decode() if owner else None, queued=queued,
                                in_flight=in_flight, sites_due=due))
        if first and first[0][1] <= now:
            oldest = max(oldest or 0.0, now - first[0][1])
    return ClusterStatus(
        shards=shards, workers=info, queued=sum(r.queued for r in rows),
        in_flight=sum(r.in_flight for r in rows),
        sites_due=sum(r.sites_due for r in rows), oldest_due_seconds=oldest, registered_sites=results[-1],
        shard_rows=rows,
    )


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def short_desc(self) -> str:
        return "Show workers, shards and their owners, queue depths, sites due and the oldest due"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="print the status as JSON")
        parser.add_argument("--all-shards", action="store_true", help="list idle shards too")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        run_command(self, lambda: self._show(opts))

    def _show(self, opts: argparse.Namespace) -> None:
        assert self.settings is not None
        redis_client(self.settings).close()
        status = asyncio.run(_read(self.settings))
        if opts.json:
            json.dump(asdict(status), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        sys.stdout.write(_render(status, all_shards=opts.all_shards))


async def _read(settings: BaseSettings) -> ClusterStatus:
    client = connections.redis_async(settings)
    try:
        return await read_status(Frontier(client, frontier_config_from_settings(settings)))
    finally:
        await client.aclose()


def _render(status: ClusterStatus, *, all_shards: bool) -> str:
    oldest = "none" if status.oldest_due_seconds is None else f"{status.oldest_due_seconds:.0f}s ago"
    lines = [
        f"sites registered: {status.registered_sites}   shards: {status.shards}   "
        f"workers: {len(status.workers)}",
        f"queued requests: {status.queued}   in flight: {status.in_flight}   "
        f"sites due: {status.sites_due} (oldest due {oldest})",
        "",
        "workers:",
    ]
    owned: dict[str | None, int] = {}
    for row in status.shard_rows:
        owned[row.owner] = owned.get(row.owner, 0) + 1
    for worker, info in sorted(status.workers.items()):
        lines.append(f"  {worker}  shards {owned.get(worker, 0)}  queued {info.get('queued', '?')}  "
                     f"buffered {info.get('buffered', '?')}  held {info.get('held', '?')}")
    if owned.get(None):
        lines.append(f"  (unowned shards: {owned[None]})")
    lines += ["", "shard  owner                              queued  in-flight  sites-due"]
    for row in status.shard_rows:
        if all_shards or row.queued or row.in_flight or row.sites_due:
            lines.append(f"{row.shard:5d}  {row.owner or '-':34s} {row.queued:7d} {row.in_flight:10d} "
                         f"{row.sites_due:10d}")
    return "\n".join(lines) + "\n"

