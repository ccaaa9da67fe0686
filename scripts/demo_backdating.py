"""The demo's second crawl: sites publish items between two crawls, some backdated (issue 14 item 4).

    python -m scripts.demo_backdating publish FARM_DIR COUNT > published.json
        the first COUNT reachable ordinary sites of the farm publish an honest item and a backdated one
        (POST /_farm/publish/IP, scripts/farm/publish.py); prints the items and the sites' ids
    python -m scripts.demo_backdating score PUBLISHED.json ES_PREFIX
        precision and recall of the pages the crawl stored as backdated (GOVCRAWL_ES_URL), against them
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from scripts.accuracy import Score
from scripts.demo_summary import stored_pages


def publish(farm_dir: Path, count: int) -> dict[str, Any]:
    truth = json.loads((farm_dir / "truth.json").read_text(encoding="utf-8"))
    control = (farm_dir / "ready").read_text(encoding="utf-8").strip().removesuffix("/stats")
    sites: list[str] = []
    items: list[dict[str, Any]] = []
    for site in truth["sites"]:
        if len(sites) == count:
            break
        if site["down"] or site["role"] is not None:
            continue
        ip = site["url"].split("//")[1].split(":")[0]
        request = urllib.request.Request(f"{control}/publish/{ip}", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:  # the local farm
            published = json.loads(answer.read())
        if published["ok"]:
            sites.append(site["site_id"])
            items += published["published"]
    return {"sites": sites, "items": items}


def score(published: dict[str, Any], es_prefix: str) -> Score:
    """Every page stored as backdated, on any site, against the backdated items published."""
    found = stored_pages(es_prefix, {"backdated": True})
    true = {item["url"] for item in published["items"] if item["backdated"]}
    return Score(found=len(found), true=len(true), hits=len(found & true))


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "publish":
        sys.stdout.write(json.dumps(publish(Path(argv[1]), int(argv[2])), ensure_ascii=False) + "\n")
        return 0
    if len(argv) == 3 and argv[0] == "score":
        published = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        sys.stdout.write(f"  {'backdated items':16s} {score(published, argv[2])}\n")
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
