"""Benchmark `scrapy report` on a synthetic index set (15,000 sites, 1,000,000 pages): wall time, peak RSS."""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import parallel_bulk

from crawler import defaults
from crawler.es_schema import install_templates
from crawler.items import ColumnItem, LinkItem, PageItem, ProbeItem, SiteItem
from crawler.naming import INDEX_KINDS, index_name
from pipelines.indexing import to_action

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 27)
END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
REGIONS = (
    "成都市",
    "自贡市",
    "攀枝花市",
    "泸州市",
    "德阳市",
    "绵阳市",
    "广元市",
    "遂宁市",
    "内江市",
    "乐山市",
    "南充市",
    "眉山市",
    "宜宾市",
    "广安市",
    "达州市",
    "雅安市",
    "巴中市",
    "资阳市",
    "阿坝州",
    "甘孜州",
    "凉山州",
)
LEVELS = ("city", "county", "county", "department", "department", "department")
COLUMN_TYPES: tuple[Any, ...] = (
    "news",
    "news",
    "notice",
    "policy",
    "personnel",
    "plan",
    "basic",
    "consult",
    "survey",
    "interview",
    "service",
    "other",
)


def _site(number: int) -> SiteItem:
    region = REGIONS[number % len(REGIONS)]
    site_id = f"51{number % len(REGIONS):02d}{number:06d}"
    return SiteItem(
        site_id=site_id,
        name=f"{region}站点{number}",
        url=f"http://s{number}.gov.cn/",
        level=LEVELS[number % len(LEVELS)],
        region=region,
    )


def _documents(sites: int, pages: int, probes_per_site: int, prefix: str) -> Iterator[dict[str, Any]]:
    """Every synthetic document, site by site (bounded memory): sites, pages, columns, links, probes."""
    draw = random.Random(20261127)
    base_pages, extra_pages = divmod(pages, sites)
    for number in range(sites):
        site = _site(number)
        pages_per_site = max(1, base_pages + (number < extra_pages))
        yield to_action(site, prefix)
        home = site.url
        yield to_action(
            PageItem(
                site_id=site.site_id,
                url=home,
                status=200,
                fetched_at=END,
                page_kind="home",
                pub_date=AS_OF - timedelta(days=draw.randint(0, 30)),
            ),
            prefix,
        )
        for page in range(pages_per_site - 1):
            yield to_action(
                PageItem(
                    site_id=site.site_id,
                    url=f"{home}a/{page}.html",
                    status=200,
                    fetched_at=END,
                    page_kind="article",
                    title=f"文章{page}",
                    body_bytes=9000,
                    pub_date=AS_OF - timedelta(days=draw.randint(0, 700)),
                ),
                prefix,
            )
        for column, kind in enumerate(COLUMN_TYPES):
            empty = draw.random() < 0.04
            yield to_action(
                ColumnItem(
                    site_id=site.site_id,
                    url=f"{home}c{column}/",
                    name=f"栏目{column}",
                    type=kind,
                    level=1 + column % 2,
                    checked_at=END,
                    empty=empty,
                    entries=0 if empty else draw.randint(1, 300),
                    latest_date=None if empty else AS_OF - timedelta(days=draw.randint(0, 400)),
                ),
                prefix,
            )
        for link in range(max(1, pages_per_site // 5)):
            dead = draw.random() < 0.1
            yield to_action(
                LinkItem(
                    site_id=site.site_id,
                    url=f"{home}t/{link}.html",
                    found_on=f"{home}a/{link}.html" if link else home,
                    on_homepage=link == 0,
                    target_kind="page",
                    checked_at=END,
                    ok=not dead,
                    status=404 if dead else 200,
                    error="http" if dead else None,
                    confirmed=dead,
                ),
                prefix,
            )
        step = timedelta(days=7) / probes_per_site
        for probe in range(probes_per_site):
            failed = draw.random() < 0.02
            yield to_action(
                ProbeItem(
                    site_id=site.site_id,
                    url=home,
                    started_at=END - step * probe,
                    ok=not failed,
                    elapsed_ms=200,
                    http_status=503 if failed else 200,
                ),
                prefix,
            )


def load(client: Elasticsearch, prefix: str, *, sites: int, pages: int, probes_per_site: int) -> float:
    install_templates(client, prefix)
    names = [index_name(prefix, kind) for kind in INDEX_KINDS]
    client.indices.put_settings(index=names, settings={"index": {"refresh_interval": "-1"}})
    started = time.perf_counter()
    loaded = failed = 0
    for ok, _ in parallel_bulk(
        client,
        _documents(sites, pages, probes_per_site, prefix),
        thread_count=2,
        chunk_size=2000,
        raise_on_error=False,
    ):
        loaded += ok
        failed += not ok
        if loaded % 500_000 == 0 and ok:
            logger.info("loaded %(count)d documents", {"count": loaded})
    client.indices.put_settings(index=names, settings={"index": {"refresh_interval": "1s"}})
    client.indices.refresh(index=names)
    seconds = time.perf_counter() - started
    logger.info(
        "Loaded %(count)d documents (%(failed)d failed) in %(seconds).0fs",
        {"count": loaded, "failed": failed, "seconds": seconds},
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=15_000)
    parser.add_argument("--pages", type=int, default=1_000_000)
    parser.add_argument("--probes-per-site", type=int, default=24, help="probes per site over 7 days")
    parser.add_argument("--prefix", default="govcrawl-bench", help="index prefix of the synthetic set")
    parser.add_argument("--skip-load", action="store_true", help="reuse an index set loaded before")
    parser.add_argument("--keep", action="store_true", help="keep the indices afterwards")
    parser.add_argument("--output", type=Path, default=Path("/tmp/govcrawl-bench-report.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    url = os.environ.get("GOVCRAWL_ES_URL") or defaults.GOVCRAWL_ES_URL
    client = Elasticsearch(url, request_timeout=120)
    try:
        if not args.skip_load:
            client.indices.delete(index=f"{args.prefix}-*", ignore_unavailable=True, allow_no_indices=True)
            load(
                client, args.prefix, sites=args.sites, pages=args.pages, probes_per_site=args.probes_per_site
            )
        counts = {
            kind: client.count(index=index_name(args.prefix, kind))["count"]
            for kind in ("sites", "pages", "columns", "links", "probes")
        }
        logger.info("Index set: %(counts)s", {"counts": counts})
        command = [
            sys.executable,
            "-m",
            "scrapy",
            "report",
            "-o",
            str(args.output),
            "--as-of",
            AS_OF.isoformat(),
            "-s",
            f"GOVCRAWL_ES_INDEX_PREFIX={args.prefix}",
        ]
        started = time.perf_counter()
        finished = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "GOVCRAWL_ES_URL": url},
            check=False,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if finished.returncode:
            raise SystemExit(f"report failed:\n{finished.stderr[-3000:]}")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        logger.info(
            "Report of %(sites)d sites: %(seconds).1fs wall, peak RSS %(rss).0f MiB, %(size).1f MiB JSON",
            {
                "sites": counts["sites"],
                "seconds": seconds,
                "rss": peak_mib,
                "size": args.output.stat().st_size / 2**20,
            },
        )
    finally:
        if not args.keep:
            client.indices.delete(index=f"{args.prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        client.close()


if __name__ == "__main__":
    main()
