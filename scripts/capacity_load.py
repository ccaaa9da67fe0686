"""Measure what a province-sized deployment costs Redis and Elasticsearch (docs/capacity.md).

One synthetic load of the planned size, under prefixes of its own, removed afterwards:

- Redis: the registry of N sites (`scrapy seed` of a generated CSV, the real command) and their
  frontier: URLS_PER_SITE page links per site offered through the real admission script
  (`Frontier.admit`), so every URL sits in the seen-set and in its shard's queue; the seen-set has
  GOVCRAWL_FRONTIER_SEEN_BUCKETS sized for ~1,000 URLs per bucket, as advised. Measured: bytes per
  site of the registry and due schedule, per tracked URL of the seen-set, per queued request.
- Elasticsearch: about a million documents of the real index templates (the shapes of
  scripts/bench_report.py: pages, columns, links, probes, sites), bulk-loaded in batches by one client
  with refresh off, then merged to one segment per shard. Measured: primary store bytes per document
  of each index, and the bulk rate.

    python -m scripts.capacity_load --sites 15000 --urls-per-site 50 --pages 600000

Service addresses and credentials come from the environment, as for every command (GOVCRAWL_REDIS_URL,
GOVCRAWL_ES_URL, ...). Prints one JSON object (also written to --out).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elasticsearch.helpers import streaming_bulk
from scrapy.utils.project import get_project_settings

from crawler import connections
from crawler.es_schema import install_templates
from crawler.naming import INDEX_KINDS, index_name
from crawler.scheduler import codec
from crawler.scheduler.frontier import Frontier, Offer
from crawler.scheduler.sharded import frontier_config_from_settings
from scripts.bench_report import REGIONS, _documents

if TYPE_CHECKING:
    import redis
    from elasticsearch import Elasticsearch
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
_ADMIT_BATCH = 2000  # links per admission round trip
_STORE_STATS_SECONDS = 11.0


def write_registry(path: Path, sites: int) -> None:
    """A registry CSV of `sites` county-level sites spread over the province's cities."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["site_id", "name", "url", "level", "region", "department"])
        for number in range(sites):
            region = REGIONS[number % len(REGIONS)]
            writer.writerow([f"51{number % 100:02d}{number:08d}", f"{region}站点{number}",
                             f"http://s{number}.gov.cn/", "county", region, ""])


def _seed(path: Path, settings: Settings, es_prefix: str) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "scrapy", "seed", str(path),
               "-s", f"GOVCRAWL_REDIS_PREFIX={settings.get('GOVCRAWL_REDIS_PREFIX')}",
               "-s", f"GOVCRAWL_FRONTIER_SEEN_BUCKETS={settings.getint('GOVCRAWL_FRONTIER_SEEN_BUCKETS')}",
               "-s", f"GOVCRAWL_ES_INDEX_PREFIX={es_prefix}"]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"scrapy seed failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def _page_link(site_number: int, page: int) -> Offer:
    """A discovered article link as the spider offers it (same meta and callback)."""
    url = f"http://s{site_number}.gov.cn/xxgk/{2020 + page % 6}/{page // 12:04d}/t{page:06d}.html"
    site_id = f"51{site_number % 100:02d}{site_number:08d}"
    meta = {"site_id": site_id, "page_kind": "page", "depth": 2, "cycle": 1, "govcrawl_url": url,
            "target_kind": "page", "column_name": "政务动态", "column_level": 2,
            "column_url": f"http://s{site_number}.gov.cn/xxgk/zwdt/"}
    return Offer(url=url, host=f"s{site_number}.gov.cn", site_id=site_id, interval_seconds=30 * 86400.0,
                request=codec.request_dict(url, callback="parse", errback="on_error", meta=meta))


async def _admit_frontier(settings: Settings, sites: int, urls_per_site: int) -> float:
    client = connections.redis_async(settings)
    frontier = Frontier(client, frontier_config_from_settings(settings))
    started = time.perf_counter()
    batch: list[Offer] = []
    try:
        for page in range(urls_per_site):
            for site_number in range(sites):
                batch.append(_page_link(site_number, page))
                if len(batch) >= _ADMIT_BATCH:
                    await frontier.admit(batch)
                    batch = []
        if batch:
            await frontier.admit(batch)
    finally:
        await client.aclose()
    return time.perf_counter() - started


def _text(reply: object) -> str:
    """A Redis reply as text (the client answers in bytes)."""
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def _memory_by_family(client: redis.Redis, prefix: str) -> dict[str, dict[str, int]]:
    """Bytes (MEMORY USAGE, all samples) and entries per key family: <prefix>:<family>:..."""
    families: dict[str, dict[str, int]] = {}
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        family = _text(key)[len(prefix) + 1:].split(":", 1)[0]
        entry = families.setdefault(family, {"keys": 0, "bytes": 0, "entries": 0})
        entry["keys"] += 1
        entry["bytes"] += int(client.memory_usage(key, samples=0) or 0)
        kind = _text(client.type(key))
        count = {"hash": client.hlen, "zset": client.zcard, "list": client.llen, "set": client.scard}
        entry["entries"] += int(count[kind](key)) if kind in count else 1
    return families


def measure_redis(settings: Settings, sites: int, urls_per_site: int, registry: Path,
                  es_prefix: str) -> dict[str, Any]:
    client = connections.redis_sync(settings)
    prefix = settings.get("GOVCRAWL_REDIS_PREFIX")
    before = int(client.info("memory")["used_memory"])
    seed_seconds = _seed(registry, settings, es_prefix)
    registry_families = _memory_by_family(client, prefix)
    admit_seconds = asyncio.run(_admit_frontier(settings, sites, urls_per_site))
    families = _memory_by_family(client, prefix)
    after = int(client.info("memory")["used_memory"])
    encodings = {_text(client.object("encoding", key))
                 for key in client.scan_iter(match=f"{prefix}:seen:*", count=1000)}
    client.close()
    urls = sites * urls_per_site
    seen, queue = families.get("seen", {}), families.get("queue", {})
    registry_bytes = sum(entry["bytes"] for entry in registry_families.values())
    return {
        "sites": sites, "urls": urls, "seed_seconds": round(seed_seconds, 1),
        "admit_seconds": round(admit_seconds, 1), "admit_urls_per_second": round(urls / admit_seconds),
        "families": families, "registry_families": registry_families,
        "registry_and_schedule_bytes_per_site": round(registry_bytes / sites, 1),
        "seen_bytes_per_url": round(seen.get("bytes", 0) / max(1, seen.get("entries", 0)), 1),
        "seen_encodings": sorted(encodings),
        "queue_bytes_per_request": round(queue.get("bytes", 0) / max(1, queue.get("entries", 0)), 1),
        "all_keys_bytes": sum(entry["bytes"] for entry in families.values()),
        "used_memory_delta_bytes": after - before,
    }


def _primary_store(client: Elasticsearch, prefix: str) -> dict[str, dict[str, int]]:
    # Elasticsearch caches store sizes for index.store.stats_refresh_interval (10 s): read past it.
    time.sleep(_STORE_STATS_SECONDS)
    stats = client.indices.stats(index=f"{prefix}-*", metric=["docs", "store", "segments"])
    return {
        name.removeprefix(f"{prefix}-"): {
            "docs": int(figures["primaries"]["docs"]["count"]),
            "bytes": int(figures["primaries"]["store"]["size_in_bytes"]),
            "segments": int(figures["primaries"]["segments"]["count"]),
        }
        for name, figures in stats["indices"].items()
    }


def measure_elasticsearch(settings: Settings, sites: int, pages: int, probes_per_site: int,
                          batch: int) -> dict[str, Any]:
    client = connections.elasticsearch_sync(settings).options(request_timeout=300)
    prefix = settings.get("GOVCRAWL_ES_INDEX_PREFIX")
    install_templates(client, prefix)
    names = [index_name(prefix, kind) for kind in INDEX_KINDS]
    client.indices.put_settings(index=names, settings={"index": {"refresh_interval": "-1"}})
    started = time.perf_counter()
    loaded = failed = 0
    for ok, _ in streaming_bulk(client, _documents(sites, pages, probes_per_site, prefix), chunk_size=batch,
                                raise_on_error=False, max_retries=3):
        loaded += ok
        failed += not ok
    client.indices.put_settings(index=names, settings={"index": {"refresh_interval": "30s"}})
    client.indices.refresh(index=names)
    bulk_seconds = time.perf_counter() - started
    loaded_store = _primary_store(client, prefix)
    started = time.perf_counter()
    client.indices.forcemerge(index=names, max_num_segments=1)
    merge_seconds = time.perf_counter() - started
    merged_store = _primary_store(client, prefix)
    client.close()
    return {
        "documents": loaded, "failed": failed, "bulk_seconds": round(bulk_seconds, 1),
        "documents_per_second": round(loaded / bulk_seconds), "merge_seconds": round(merge_seconds, 1),
        "after_bulk": loaded_store, "merged": merged_store,
        "bytes_per_document_merged": {
            kind: round(entry["bytes"] / entry["docs"], 1)
            for kind, entry in merged_store.items() if entry["docs"]
        },
    }


def _drop(settings: Settings, es_prefixes: list[str]) -> None:
    client = connections.redis_sync(settings)
    prefix = settings.get("GOVCRAWL_REDIS_PREFIX")
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])
    client.close()
    es = connections.elasticsearch_sync(settings).options(request_timeout=300)
    for es_prefix in es_prefixes:
        names = list(es.indices.get(index=f"{es_prefix}-*", allow_no_indices=True))
        if names:
            es.indices.delete(index=names)
        es.options(ignore_status=404).indices.delete_index_template(name=f"{es_prefix}-*")
    es.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=15_000)
    parser.add_argument("--urls-per-site", type=int, default=50, help="page links admitted per site")
    parser.add_argument("--urls-per-bucket", type=int, default=1000,
                        help="seen-set buckets are sized for this many URLs each, as advised")
    parser.add_argument("--pages", type=int, default=600_000,
                        help="page documents; with columns, links, probes and sites ~1.25 M documents")
    parser.add_argument("--probes-per-site", type=int, default=24)
    parser.add_argument("--batch", type=int, default=2000, help="documents per bulk request")
    parser.add_argument("--skip-redis", action="store_true")
    parser.add_argument("--skip-elasticsearch", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("run/capacity.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    tag = uuid.uuid4().hex[:8]
    settings = get_project_settings()
    settings.set("GOVCRAWL_REDIS_PREFIX", f"govcrawl:capacity{tag}", priority="cmdline")
    settings.set("GOVCRAWL_ES_INDEX_PREFIX", f"govcrawl-capacity{tag}", priority="cmdline")
    # The registry's copy in Elasticsearch (written by seed) stays apart from the measured index set.
    seed_es_prefix = f"govcrawl-capacityseed{tag}"
    urls = args.sites * args.urls_per_site
    buckets = max(1, round(urls / (settings.getint("GOVCRAWL_FRONTIER_SHARDS") * args.urls_per_bucket)))
    settings.set("GOVCRAWL_FRONTIER_SEEN_BUCKETS", buckets, priority="cmdline")
    result: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        if not args.skip_redis:
            with tempfile.TemporaryDirectory() as scratch:
                registry = Path(scratch) / "registry.csv"
                write_registry(registry, args.sites)
                result["redis"] = measure_redis(settings, args.sites, args.urls_per_site, registry,
                                                seed_es_prefix)
                result["redis"]["seen_buckets_per_shard"] = buckets
            logger.info("Redis: %(figures)s", {"figures": json.dumps(result["redis"], ensure_ascii=False)})
        if not args.skip_elasticsearch:
            result["elasticsearch"] = measure_elasticsearch(settings, args.sites, args.pages,
                                                            args.probes_per_site, args.batch)
    finally:
        _drop(settings, [settings.get("GOVCRAWL_ES_INDEX_PREFIX"), seed_es_prefix])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    args.out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
