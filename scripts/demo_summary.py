"""Print the demo's summary: per-city figures from the report, and its accuracy against the farm's truth.

`python -m scripts.demo_summary REPORT.json [TRUTH.json [ES_PREFIX]]`: with the index prefix the pages
the crawl stored are read from Elasticsearch (GOVCRAWL_ES_URL) for the page recall.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from crawler import defaults
from scripts import accuracy


def stored_pages(es_prefix: str, term: dict[str, Any] | None = None) -> set[str]:
    """URLs of the pages a crawl stored matching a term (default: with a 200 answer)."""
    client = Elasticsearch(os.environ.get("GOVCRAWL_ES_URL") or defaults.GOVCRAWL_ES_URL)
    client.indices.refresh(index=f"{es_prefix}-pages")
    hits = helpers.scan(client, index=f"{es_prefix}-pages", _source=["url"],
                        query={"query": {"term": term or {"status": 200}}})
    return {hit["_source"]["url"] for hit in hits}


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    truth = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if len(argv) > 1 else None
    by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for site in report["sites"]:
        by_region[site["region"]].append(site)
    out = sys.stdout
    out.write(f"\n== {len(report['sites'])} sites judged as of {report['as_of']}\n")
    out.write(f"{'city':10s} {'sites':>5s} {'down':>5s} {'vetoed':>6s} {'avg score':>9s} "
              f"{'dead links':>10s} {'stale cols':>10s} {'empty cols':>10s}\n")
    for region, sites in sorted(by_region.items()):
        scores = [site["score"] for site in sites if site.get("score") is not None]
        vetoed = sum(1 for site in sites if any(f["severity"] == "veto" for f in site["findings"]))
        out.write(
            f"{region:10s} {len(sites):5d} {sum(1 for s in sites if not s['reachable']):5d} {vetoed:6d} "
            f"{(sum(scores) / len(scores)) if scores else float('nan'):9.1f} "
            f"{sum(len(s['dead_links']) for s in sites):10d} "
            f"{sum(1 for s in sites for c in s['columns'] if c['stale']):10d} "
            f"{sum(1 for s in sites for c in s['columns'] if c['empty']):10d}\n"
        )
    if truth is not None:
        out.write("\n== accuracy against the farm's ground truth\n")
        if len(argv) > 2:
            out.write(f"live pages     {accuracy.pages(stored_pages(argv[2]), truth)}\n")
        out.write(f"dead links     {accuracy.dead_links(report, truth)}\n")
        out.write(f"soft 404s      {accuracy.soft404s(report, truth)}\n")
        out.write(f"stale columns  {accuracy.columns(report, truth, 'stale')}\n")
        out.write(f"empty columns  {accuracy.columns(report, truth, 'empty')}\n")
        out.write(f"column dates   {accuracy.column_dates(report, truth)}\n")
        out.write(f"columns found  {accuracy.columns_found(report, truth)}\n")
        identity_keys = {"missing_marks", "site_code_shown", "error_report_link"}
        if all(identity_keys <= set(site) for site in truth["sites"]):
            out.write(f"footer marks   {accuracy.identity(report, truth)}\n")
        if not all("service_guides" in site for site in truth["sites"]):
            # A world whose truth has no service guides or personal data (worlds c and d).
            return 0
        out.write(f"service vetoes {accuracy.service_vetoes(report, truth)}\n")
        out.write(f"personal data  {accuracy.personal_data(report, truth)}\n")
        out.write(f"service forms  {accuracy.service_forms(report, truth)}\n")
        out.write(f"service stats  {accuracy.service_statistics(report, truth)}\n")
        out.write("content checks (issue 14; a finding per site and form found):\n")
        for name, (check, kinds) in accuracy.CONTENT_CHECKS.items():
            out.write(f"  {name:16s} {accuracy.content_issues(report, truth, check, kinds)}\n")
        out.write(f"  {'attachment data':16s} {accuracy.attachment_personal_data(report, truth)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
