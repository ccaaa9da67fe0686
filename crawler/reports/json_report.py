"""The JSON report (schema govcrawl.report/1, docs/operations.md), streamed one site at a time."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from crawler.reports import NO_OWNER, SCHEMA, site_record

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.reports import ReportMeta, SiteOwner
    from crawler.scoring import SiteResult, SiteState


class JsonReportWriter:
    """Writes `{"schema", "generated_at", "as_of", "sites": [...]}` without holding the sites in memory."""

    def __init__(self, path: Path, meta: ReportMeta) -> None:
        self.path = path
        self._partial = path.with_name(f".{path.name}.partial")
        self._handle = self._partial.open("w", encoding="utf-8")
        generated = meta.generated_at.isoformat().replace("+00:00", "Z")
        head = json.dumps({"schema": SCHEMA, "generated_at": generated, "as_of": meta.as_of.isoformat()},
                          ensure_ascii=False)
        self._handle.write(head[:-1] + ', "sites": [')
        self._count = 0

    def add(self, state: SiteState, result: SiteResult, owner: SiteOwner = NO_OWNER) -> None:
        self._handle.write(",\n" if self._count else "\n")
        self._handle.write(json.dumps(site_record(state, result, owner), ensure_ascii=False))
        self._count += 1

    def close(self) -> None:
        self._handle.write("\n]}\n")
        self._handle.close()
        os.replace(self._partial, self.path)
