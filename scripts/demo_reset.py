"""Remove the demo's Redis keys and ES indices: `python -m scripts.demo_reset REDIS_PREFIX ES_PREFIX`."""

from __future__ import annotations

import os
import sys

import redis
from elasticsearch import Elasticsearch

from crawler import defaults


def main(argv: list[str]) -> int:
    redis_prefix, es_prefix = argv
    if not redis_prefix.startswith("govcrawl:") or not es_prefix.startswith("govcrawl-"):
        sys.stderr.write("refusing to delete outside govcrawl:<name> keys and govcrawl-<name> indices\n")
        return 2
    client = redis.Redis.from_url(os.environ.get("GOVCRAWL_REDIS_URL") or defaults.GOVCRAWL_REDIS_URL)
    keys = list(client.scan_iter(match=f"{redis_prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])
    es = Elasticsearch(os.environ.get("GOVCRAWL_ES_URL") or defaults.GOVCRAWL_ES_URL)
    es.indices.delete(index=f"{es_prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
