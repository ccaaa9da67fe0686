"""Print the tables of docs/metrics.md from crawler/metrics_catalog.py; `--write` rewrites them in place."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crawler import metrics_catalog as catalog

if TYPE_CHECKING:
    from collections.abc import Iterable

ROOT = Path(__file__).resolve().parent.parent
METRICS_DOC = ROOT / "docs" / "metrics.md"
START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"
BUDGET_SITES = 15_000  # the province the series budget is sized for


def _labels_cell(spec: catalog.MetricSpec) -> str:
    """The label names of a family, each fixed-set label followed by its values (no `|`: it splits cells)."""
    if not spec.labels:
        return "—"
    cells = []
    for label in spec.labels:
        values = spec.label_values.get(label)
        cells.append(f"`{label}` ({', '.join(values)})" if values else f"`{label}`")
    return ", ".join(cells)


def _kind_cell(spec: catalog.MetricSpec) -> str:
    """The family's Prometheus type, with `sparse` when only non-zero series are exported."""
    return f"{spec.kind.value}, sparse" if spec.sparse else spec.kind.value


def _family_rows(specs: Iterable[catalog.MetricSpec], *, per_site: bool) -> list[str]:
    """Markdown rows of one group of families; site families also get their most series per site."""
    if per_site:
        rows = ["| metric | type | labels | most series per site | meaning |",
                "| --- | --- | --- | ---: | --- |"]
    else:
        rows = ["| metric | type | labels | meaning |", "| --- | --- | --- | --- |"]
    for spec in specs:
        cells = [f"`{spec.name}`", _kind_cell(spec), _labels_cell(spec)]
        if per_site:
            cells.append(str(catalog.MAX_SERIES_PER_SITE[spec.name]))
        cells.append(spec.help.replace("|", "/"))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def metrics_table() -> str:
    """The generated part of docs/metrics.md: one table per process kind, buckets and series budget."""
    buckets = " ".join(f"{bucket:g}" for bucket in catalog.FETCH_DURATION_BUCKETS_SECONDS)
    always, most = catalog.always_exported_series_per_site(), catalog.max_series_per_site()
    lines = [
        "### Site state (`scrapy exporter`, one series set per registered site)",
        "",
        *_family_rows(catalog.SITE_METRICS, per_site=True),
        "",
        f"A site adds **{always}** series whatever its state (the families that are not sparse) and at most "
        f"**{most}** with every sparse family full: for {BUDGET_SITES:,} sites, {always * BUDGET_SITES:,} "
        f"series always and {most * BUDGET_SITES:,} at worst. "
        "`govcrawl_site_columns` is exported for the states "
        f"{', '.join(catalog.SITE_COLUMN_EXPORTED_STATES)} only, and "
        "`govcrawl_site_column_last_update_timestamp_seconds` for the classes "
        f"{', '.join(catalog.SITE_COLUMN_LAST_UPDATE_EXPORTED_CLASSES)} only "
        "(`SITE_COLUMN_EXPORTED_STATES`, `SITE_COLUMN_LAST_UPDATE_EXPORTED_CLASSES`).",
        "",
        "### Exporter health and cluster figures (`scrapy exporter`, read from Redis at each scrape)",
        "",
        *_family_rows(catalog.EXPORTER_METRICS, per_site=False),
        "",
        "### Each worker (`scrapy crawl govsite`, label `worker` = the worker id `host-pid-xxxx`)",
        "",
        *_family_rows(catalog.WORKER_METRICS, per_site=False),
        "",
        f"`govcrawl_fetch_duration_seconds` buckets: {buckets} s.",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Print the tables, or with `--write` replace the block between the markers of docs/metrics.md."""
    table = metrics_table()
    if "--write" not in argv:
        sys.stdout.write(table + "\n")
        return 0
    text = METRICS_DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        sys.stderr.write(f"{METRICS_DOC}: the markers {START} and {END} are missing; "
                         "add them where the tables go\n")
        return 1
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    METRICS_DOC.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
