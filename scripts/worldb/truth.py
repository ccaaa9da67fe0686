"""Ground truth of world b: a walk of each site's page graph through the answer function the server uses."""

from __future__ import annotations

import csv
import json
from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scripts.farm.world import LIMIT_DAYS, LIMIT_MONTHS, is_stale, months_before
from scripts.worldb.answer import answer
from scripts.worldb.build import article_url, column_url

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from scripts.worldb.build import Page, SiteTable
    from scripts.worldb.model import Column
    from scripts.worldb.world import WorldB

REGISTRY_FIELDS = ["site_id", "name", "url", "level", "region", "department"]
MAX_REDIRECTS = 5
# ("page", canonical target, None) | ("dead", status, error) | ("trap"|"live", None, None)
Verdict = tuple[str, int | str | None, str | None]


def classify(table: SiteTable, url: str) -> Verdict:
    """What following `url` from a page of this site leads to."""
    parts = urlsplit(url)
    if parts.netloc != table.host:
        if (parts.hostname or "").endswith(".invalid"):
            return "dead", None, "dns"
        return "dead", None, "refused"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    found = answer(table, target)
    if found.location is not None or found.soft404:
        return "dead", 200, "soft404"  # deleted items: template page, or a redirect to /404.html or home
    if found.page is not None:
        return "page", found.page.target, None
    if found.trap is not None:
        return "trap", None, None
    if found.status >= 400:
        return "dead", found.status, "http"
    return "live", None, None


def absolute(page_url: str, href: str) -> str:
    return urljoin(page_url, href)


def _column_truth(table: SiteTable, column: Column, base: str, as_of: Any) -> dict[str, Any]:
    shown = [a.published for a in column.articles]
    if column.type == "consult":
        shown += [a.answered for a in column.articles if a.answered is not None]
    latest = max(shown) if shown else None
    count = len(column.articles)
    empty_kind = column.empty_kind or ("zero" if count == 0 else None)
    return {
        "name": column.name,
        "url": base + column_url(table.model, column),
        "type": column.type,
        "level": 1,
        "latest_date": latest.isoformat() if latest else None,
        "entries": count,
        "stale": is_stale(column.type, latest, as_of),
        "empty": empty_kind is not None,
        "empty_kind": empty_kind,
        "list_pages": [base + t for t in table.column_targets[column.cid]],
    }


def _messages(table: SiteTable, base: str, today: date) -> list[dict[str, Any]]:
    """Every message of the consult columns: asked, answered, overdue (asked 3-12 months ago, unanswered
    or answered more than 90 days later)."""
    model = table.model
    messages = []
    for column in model.columns:
        if column.type != "consult" or column.empty_kind == "dead":
            continue
        for article in column.articles:
            answered = article.answered
            overdue = months_before(today, 12) < article.published <= months_before(today, 3) and (
                answered is None or answered - article.published > timedelta(days=90)
            )
            messages.append(
                {
                    "url": base + article_url(model, column, article),
                    "asked_at": article.published.isoformat(),
                    "answered_at": answered.isoformat() if answered else None,
                    "overdue": overdue,
                }
            )
    return messages


def site_truth(world: WorldB, index: int) -> dict[str, Any]:
    """Truth record of one site (docs/farm.md, section World b)."""
    table = world.table(index)
    model = table.model
    today = world.today
    base = f"http://{table.host}"
    reached: dict[str, Page] = {"/": table.pages["/"]}
    queue = deque(["/"])
    dead: list[dict[str, Any]] = []
    seen_dead: set[tuple[str, str]] = set()
    traps: dict[str, str] = {}
    aliases: dict[str, str] = {}
    soft404: list[str] = []
    verdicts: dict[str, Verdict] = {}
    while queue:
        target = queue.popleft()
        page = reached[target]
        page_url = base + target
        for link in page.links:
            url = absolute(page_url, link.href)
            verdict = verdicts.get(url)
            if verdict is None:
                verdict = verdicts[url] = classify(table, url)
            what, detail, error = verdict
            if what == "page":
                canonical = str(detail)
                if base + canonical != url:
                    aliases[url] = base + canonical
                if canonical not in reached:
                    reached[canonical] = table.pages[canonical]
                    queue.append(canonical)
            elif what == "trap":
                traps.setdefault(url, page_url)
            elif what == "dead" and (url, page_url) not in seen_dead:
                seen_dead.add((url, page_url))
                dead.append(
                    {
                        "url": url,
                        "found_on": page_url,
                        "on_homepage": target == "/",
                        "status": detail,
                        "error": error,
                        "kind": link.kind,
                    }
                )
                if error == "soft404" and url not in soft404:
                    soft404.append(url)
    pages: dict[str, dict[str, Any]] = {}
    for target, page in reached.items():
        pages[base + target] = {
            "kind": page.kind,
            "title": page.title,
            "pub_date": page.pub_date.isoformat() if page.pub_date else None,
            "column": base + page.column if page.column else None,
            "encoding": None
            if page.kind == "attachment"
            else ("utf-8" if page.content_type in ("json", "xml") else model.encoding),
            "robots_disallowed": False,
        }
    home_dates = []
    for link in table.pages["/"].links:
        url = absolute(base + "/", link.href)
        canonical = aliases.get(url, url)
        record = pages.get(canonical)
        if record is not None and record["kind"] == "article" and record["pub_date"]:
            home_dates.append(record["pub_date"])
    home_latest = max(home_dates, default=None)
    messages = _messages(table, base, today)
    ident = model.ident
    return {
        "site_id": ident.site_id,
        "name": ident.name,
        "url": base + "/",
        "level": ident.level,
        "region": ident.region,
        "department": ident.department,
        "down": ident.down,
        "slow": ident.slow,
        "role": world.role_of(index) or None,
        "style": model.family,
        "variant": model.variant,
        "encoding": model.encoding,
        "declared_charset": model.declared,
        "charset_declared_in": model.declared_in,
        "bom": model.bom,
        "has_meta": False,
        "robots_disallow": None,
        "missing_marks": list(model.missing_marks),
        "site_code_shown": model.site_code_shown,
        "error_report_link": model.error_report,
        "service_guides": [{"url": base + t, "elements": p.guide} for t, p in reached.items() if p.guide],
        "personal_data": [
            {"url": base + t, "id_numbers": p.personal[0], "mobiles": p.personal[1]}
            for t, p in reached.items()
            if p.personal != (0, 0)
        ],
        "homepage_latest_date": home_latest,
        "homepage_stale": home_latest is None or home_latest <= (today - timedelta(days=14)).isoformat(),
        "pages": pages,
        "columns": [_column_truth(table, c, base, today) for c in model.columns],
        "aliases": aliases,
        "soft404": soft404,
        "dead_links": dead,
        "messages": messages,
        "traps": [{"url": url, "found_on": found_on} for url, found_on in traps.items()],
    }


def truth_header(world: WorldB) -> dict[str, Any]:
    return {
        "world": "b",
        "as_of": world.today.isoformat(),
        "seed": world.seed,
        "port": world.port,
        "base_ip": world.base_ip,
        "fault_rate": world.fault_rate,
        "thresholds": {"days": LIMIT_DAYS, "months": LIMIT_MONTHS, "exempt": ["exempt"]},
    }


def build_truth(world: WorldB) -> dict[str, Any]:
    """The whole truth as one dict."""
    return {**truth_header(world), "sites": [site_truth(world, i) for i in range(world.site_count)]}


def write_truth(world: WorldB, path: Path) -> None:
    """truth.json, streamed site by site."""
    header = json.dumps(truth_header(world), ensure_ascii=False)
    with path.open("w", encoding="utf-8") as out:
        out.write(header[:-1] + ', "sites": [')
        for index in range(world.site_count):
            out.write(
                ("," if index else "") + "\n" + json.dumps(site_truth(world, index), ensure_ascii=False)
            )
        out.write("\n]}\n")


def write_registry(world: WorldB, path: Path) -> None:
    """registry.csv in the contract format."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REGISTRY_FIELDS)
        for index, ident in enumerate(world.identities):
            writer.writerow(
                [
                    ident.site_id,
                    ident.name,
                    f"http://{world.host(index)}/",
                    ident.level,
                    ident.region,
                    ident.department,
                ]
            )
