"""Ground truth of a World, derived from the same page graph and answers the server uses."""

from __future__ import annotations

import csv
import json
from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scripts.farm.content import site_content_truth
from scripts.farm.pages import MAX_REDIRECTS, answer, build_pages
from scripts.farm.render import guide_labels, personal_block
from scripts.farm.world import LIMIT_DAYS, LIMIT_MONTHS, is_stale, months_before

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from scripts.farm.pages import PageSpec
    from scripts.farm.world import Column, World

REGISTRY_FIELDS = ["site_id", "name", "url", "level", "region", "department"]
Verdict = tuple[str, int | None, str | None]  # ("page" | "live" | "trap" | "dead", status, error)


def classify_link(world: World, index: int, pages: dict[str, PageSpec], url: str) -> Verdict:
    """What following `url` from a page of site `index` leads to."""
    parts = urlsplit(url)
    own_host = world.host(index)
    if parts.scheme == "https":
        return "dead", None, "tls"
    hostname = parts.hostname or ""
    if hostname.endswith(".invalid"):
        return "dead", None, "dns"
    if parts.netloc != own_host:
        other = world.index_of_ip.get(hostname)
        if other is not None and parts.port == world.port:
            return ("dead", None, "refused") if world.identities[other].down else ("live", 200, None)
        return "dead", None, "refused"  # 127.0.0.1:1 and any other address with nothing listening
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    seen: set[str] = set()
    for _ in range(MAX_REDIRECTS + 1):
        found = answer(pages, path)
        if found.hold:
            return "dead", None, "timeout"
        if found.location is not None:
            if path in seen:
                return "dead", None, "redirect_loop"
            seen.add(path)
            path = found.location
            continue
        if found.soft404 or found.not_a_file:
            return "dead", 200, "soft404"
        if found.status >= 400:
            return "dead", found.status, "http"
        if found.page is not None and not seen:
            return "page", 200, path
        return ("trap", 200, None) if found.body == "trap" else ("live", 200, None)
    return "dead", None, "too_many_redirects"


def _column_truth(column: Column, as_of: date) -> dict[str, Any]:
    if column.type == "consult":
        shown = [m.asked for m in column.messages]
        shown += [m.answered for m in column.messages if m.answered is not None]
        count = len(column.messages)
    else:
        entries = column.list_entries()
        shown = [a.shown_date for a in entries if a.shown_date is not None]
        count = len(entries)
    latest = max(shown) if shown else None
    empty = bool(column.empty_kind) or count == 0
    return {
        "name": column.name,
        "url": column.index_path,
        "type": column.type,
        "level": column.level,
        "latest_date": latest.isoformat() if latest else None,
        "entries": count,
        "stale": is_stale(column.type, latest, as_of),
        "empty": empty,
        "empty_kind": column.empty_kind or ("zero" if count == 0 else None),
    }


def site_truth(world: World, index: int) -> dict[str, Any]:
    """Truth record of one site (docs/farm.md has the schema)."""
    model = world.model(index)
    today = world.today
    pages = build_pages(model, today)
    base = model.base
    columns = {id(c): c for c in model.columns}
    reachable: dict[str, PageSpec] = {"/": pages["/"]}
    queue = deque(["/"])
    dead: list[dict[str, Any]] = []
    dead_seen: set[tuple[str, str]] = set()
    traps: dict[str, str] = {}
    disallow = model.robots_disallow
    verdicts: dict[str, Verdict] = {}
    while queue:
        path = queue.popleft()
        page = reachable[path]
        page_url = base + path
        blocked = disallow is not None and path.startswith(disallow)
        for link in page.links:
            url = _absolute(base, page_url, link.href)
            cached = verdicts.get(url)
            if cached is None:
                cached = verdicts[url] = classify_link(world, index, pages, url)
            verdict, status, detail = cached
            if verdict == "page" and detail is not None and detail not in reachable:
                reachable[detail] = pages[detail]
                queue.append(detail)
            elif verdict == "trap":
                traps.setdefault(url, page_url)
            elif verdict == "dead" and not blocked and (url, page_url) not in dead_seen:
                dead_seen.add((url, page_url))
                dead.append(
                    {
                        "url": url,
                        "found_on": page_url,
                        "on_homepage": path == "/",
                        "status": status,
                        "error": detail,
                        "kind": link.kind,
                    }
                )
    page_truth: dict[str, dict[str, Any]] = {}
    for path, page in reachable.items():
        column_url = (
            base + page.column.index_path if page.column is not None and id(page.column) in columns else None
        )
        page_truth[base + path] = {
            "kind": page.kind,
            "title": page.title,
            "pub_date": page.pub_date.isoformat() if page.pub_date else None,
            "column": column_url,
            "encoding": None if page.kind == "attachment" else model.encoding,
            "robots_disallowed": disallow is not None and path.startswith(disallow),
        }
    home_dates = [reachable[p].pub_date for p in _home_targets(base, pages["/"], reachable)]
    home_latest = max((d for d in home_dates if d is not None), default=None)
    column_truth = [_column_truth(c, today) for c in model.columns]
    for record in column_truth:
        record["url"] = base + record["url"]
    messages = []
    for column in model.columns:
        for message in column.messages:
            answered = message.answered
            overdue = months_before(today, 12) < message.asked <= months_before(today, 3) and (
                answered is None or answered - message.asked > timedelta(days=90)
            )
            messages.append(
                {
                    "url": base + message.path,
                    "asked_at": message.asked.isoformat(),
                    "answered_at": answered.isoformat() if answered else None,
                    "overdue": overdue,
                }
            )
    personal = []
    for path, page in reachable.items():
        if page.article is not None and page.article.personal:
            _, ids, mobiles = personal_block(model, page.article)
            personal.append({"url": base + path, "id_numbers": ids, "mobiles": mobiles})
    content_issues, personal_attachments = site_content_truth(model, base, reachable.items())
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
        "style": model.style,
        "encoding": model.encoding,
        "declared_charset": model.declared_charset,
        "has_meta": model.has_meta,
        "robots_disallow": disallow,
        "service_guides": [{"url": base + path, "elements": len(guide_labels(model, path))}
                           for path, page in reachable.items() if page.layout == "guide"],
        "personal_data": personal,
        "personal_attachments": personal_attachments,
        "content_issues": content_issues,
        "missing_marks": list(model.missing_marks),
        "site_code_shown": model.site_code_shown,
        "error_report_link": model.error_report,
        "homepage_latest_date": home_latest.isoformat() if home_latest else None,
        "homepage_stale": home_latest is None or home_latest <= today - timedelta(days=14),
        "pages": page_truth,
        "columns": column_truth,
        "dead_links": dead,
        "messages": messages,
        "traps": [{"url": url, "found_on": found_on} for url, found_on in traps.items()],
    }


def _absolute(base: str, page_url: str, href: str) -> str:
    if href.startswith("/") and not href.startswith("//"):
        return base + href
    if href.startswith(("http://", "https://")):
        return href
    return urljoin(page_url, href)


def _home_targets(base: str, home: PageSpec, reachable: dict[str, PageSpec]) -> list[str]:
    paths = []
    for link in home.links:
        url = _absolute(base, base + "/", link.href)
        path = url.removeprefix(base)
        if url.startswith(base + "/") and path in reachable and reachable[path].kind == "article":
            paths.append(path)
    return paths


def truth_header(world: World) -> dict[str, Any]:
    """Top-level truth fields (everything but the sites)."""
    return {
        "as_of": world.today.isoformat(),
        "seed": world.seed,
        "port": world.port,
        "base_ip": world.base_ip,
        "fault_rate": world.fault_rate,
        "thresholds": {"days": LIMIT_DAYS, "months": LIMIT_MONTHS, "exempt": ["exempt"]},
    }


def build_truth(world: World) -> dict[str, Any]:
    """The whole truth as one dict (small worlds; write_truth streams big ones)."""
    return {**truth_header(world), "sites": [site_truth(world, i) for i in range(world.site_count)]}


def write_truth(world: World, path: Path) -> None:
    """Stream truth.json site by site, so thousands of sites never sit in memory at once."""
    header = json.dumps(truth_header(world), ensure_ascii=False)
    with path.open("w", encoding="utf-8") as out:
        out.write(header[:-1] + ', "sites": [')
        for index in range(world.site_count):
            out.write(
                ("," if index else "") + "\n" + json.dumps(site_truth(world, index), ensure_ascii=False)
            )
        out.write("\n]}\n")


def write_registry(world: World, path: Path) -> None:
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
