"""Ground truth of world d: a breadth-first walk of each site's route table from its home page."""

from __future__ import annotations

import csv
import json
from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from scripts.farm.urls import absolute, key_of, url_of
from scripts.farm.world import LIMIT_DAYS, LIMIT_MONTHS, is_stale, months_before

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.worldd import WorldD
    from scripts.worldd.model import Column
    from scripts.worldd.site import Answer, Node, Site

REGISTRY_FIELDS = ["site_id", "name", "url", "level", "region", "department"]
MAX_REDIRECTS = 10
# ("page", status, canonical key) | ("live"|"trap", ...) | ("dead", status, error)
Verdict = tuple[str, int | None, str | None]


def _follow(site: Site, url: str, first: bool) -> Verdict:
    """Follow `url` on `site` (its own host): redirects, holds, soft 404s, errors."""
    key = key_of(url)
    for hop in range(MAX_REDIRECTS + 1):
        answer: Answer = site.answer(key)
        if answer.hold:
            return "dead", None, "timeout"
        if answer.soft is not None:
            return "dead", 200, "soft404"
        if answer.location is not None:
            url = urljoin(url, answer.location)
            if urlsplit(url).netloc != site.host:
                return "live", None, None
            key = key_of(url)
            continue
        if answer.status >= 400:
            return "dead", answer.status, "http"
        if answer.trap:
            return "trap", 200, None
        if answer.node is not None and hop == 0 and first:
            return "page", 200, answer.node.key
        return "live", 200, None
    return "dead", None, "too_many_redirects"


def classify(world: WorldD, site: Site, url: str) -> Verdict:
    """What following `url` from a page of `site` leads to (redirects followed)."""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return "live", None, None
    if hostname.endswith(".invalid"):
        return "dead", None, "dns"
    if parts.netloc != site.host:
        other = world.index_of_ip.get(hostname)
        if other is None or parts.port != world.port or world.identities[other].down:
            return "dead", None, "refused"
        what, status, detail = _follow(world.site(other), url, first=False)
        return ("dead", status, detail) if what == "dead" else ("live", 200, None)
    return _follow(site, url, first=True)


def _walk(world: WorldD, site: Site, robots: RobotFileParser | None) -> dict[str, Any]:
    """Pages, aliases, dead links and trap entries reachable from the home page."""
    host = site.host
    reachable: dict[str, Node] = {"/": _node(site, "/")}
    queue = deque(["/"])
    verdicts: dict[str, Verdict] = {}
    dead: list[dict[str, Any]] = []
    dead_seen: set[tuple[str, str]] = set()
    traps: dict[str, str] = {}
    aliases: dict[str, str] = {}
    while queue:
        node = reachable[queue.popleft()]
        page_url = url_of(host, node.key)
        hidden = robots is not None and not robots.can_fetch("*", page_url)
        for href, kind in node.links:
            url = absolute(page_url, node.base, href)
            if url is None:
                continue
            verdict = verdicts.get(url)
            if verdict is None:
                verdict = verdicts[url] = classify(world, site, url)
            what, status, detail = verdict
            if what == "page" and detail is not None and kind != "resource":
                if url != url_of(host, detail):
                    aliases[url] = url_of(host, detail)
                if detail not in reachable:
                    reachable[detail] = _node(site, detail)
                    queue.append(detail)
            elif what == "trap" and not hidden:
                traps.setdefault(url, page_url)
            elif what == "dead" and not hidden and (url, page_url) not in dead_seen:
                dead_seen.add((url, page_url))
                dead.append(
                    {
                        "url": url,
                        "found_on": page_url,
                        "on_homepage": node.key == "/",
                        "status": status,
                        "error": detail,
                        "kind": kind,
                    }
                )
    return {"reachable": reachable, "dead": dead, "traps": traps, "aliases": aliases}


def _node(site: Site, key: str) -> Node:
    node = site.answer(key).node
    assert node is not None, key
    return node


def _column_truth(site: Site, column: Column, reachable: dict[str, Node]) -> dict[str, Any]:
    today, host = site.model.today, site.host
    if column.type == "consult":
        shown = [m.asked for m in column.messages]
        if column.shows_reply_date:
            shown += [m.answered for m in column.messages if m.answered is not None]
        count = len(column.messages)
    else:
        shown = [a.pub for a in column.entries]  # every list shows its entries' dates (成文日期 are older)
        count = len(column.entries)
    latest = max(shown) if shown else None
    dead = column.empty_kind == "dead"
    return {
        "name": column.name,
        "url": url_of(host, column.href if dead else column.pages[0]),
        "type": column.type,
        "level": 1,
        "latest_date": latest.isoformat() if latest else None,
        "entries": count,
        "stale": is_stale(column.type, latest, today),
        "empty": column.empty_kind is not None or count == 0,
        "empty_kind": column.empty_kind or ("zero" if count == 0 else None),
        "list_pages": [] if dead else [url_of(host, k) for k in column.pages if k in reachable],
        "data_pages": [] if dead else [url_of(host, k) for k in column.data_pages if k in reachable],
        "list_mode": column.mode,
        "date_style": column.date_style,
        "dates_shown": True,
        "order": "desc",
        "pinned": 0,
    }


def _robots(site: Site) -> RobotFileParser | None:
    answer = site.routes.get("/robots.txt")
    if answer is None or answer.status != 200:
        return None
    rules = RobotFileParser()
    rules.parse(answer.body.decode("utf-8", "replace").splitlines())
    return rules


def site_truth(world: WorldD, index: int) -> dict[str, Any]:
    """Truth record of one site (docs/farm.md, world d)."""
    site = world.site(index)
    ident, host, today, fam = site.ident, site.host, site.model.today, site.family
    robots = _robots(site)
    walk = _walk(world, site, robots)
    reachable: dict[str, Node] = walk["reachable"]
    pages: dict[str, dict[str, Any]] = {}
    parts: dict[str, str] = {}
    for key, node in reachable.items():
        column = node.column
        column_url = (
            url_of(host, column.href if column.empty_kind == "dead" else column.pages[0]) if column else None
        )
        ctype = site.answer(key).ctype
        pages[url_of(host, key)] = {
            "kind": node.kind,
            "title": node.title,
            "pub_date": node.pub.isoformat() if node.pub else None,
            "column": column_url,
            "encoding": None if node.kind == "attachment" else ("utf-8" if "json" in ctype else fam.codec),
            "robots_disallowed": robots is not None and not robots.can_fetch("*", url_of(host, key)),
        }
        if node.part_of is not None:
            parts[url_of(host, key)] = url_of(host, node.part_of)
    home = reachable["/"]
    home_dates = []
    for href, _ in home.links:
        url = absolute(url_of(host, "/"), home.base, href)
        target = reachable.get(key_of(walk["aliases"].get(url, url))) if url else None
        if target is not None and target.kind == "article" and target.pub is not None:
            home_dates.append(target.pub)
    home_latest = max(home_dates, default=None)
    messages = []
    for column in site.model.columns:
        for message in column.messages:
            answered = message.answered
            overdue = months_before(today, 12) < message.asked <= months_before(today, 3) and (
                answered is None or answered - message.asked > timedelta(days=90)
            )
            messages.append(
                {
                    "url": url_of(host, message.path),
                    "asked_at": message.asked.isoformat(),
                    "answered_at": answered.isoformat() if answered else None,
                    "overdue": overdue,
                }
            )
    soft = {url_of(host, key): kind for key, kind in site.soft404.items()}
    linked_soft = {d["url"] for d in walk["dead"] if d["error"] == "soft404"}
    return {
        "site_id": ident.site_id,
        "name": ident.name,
        "url": f"http://{host}/",
        "level": ident.level,
        "region": ident.region,
        "department": ident.department,
        "down": ident.down,
        "slow": ident.slow,
        "role": ident.role or None,
        "style": ident.family,
        "variant": ident.variant,
        "encoding": fam.codec,
        "declared_charset": fam.header_charset or fam.meta_label,
        "header_charset": fam.header_charset,
        "meta_charset": fam.meta_label,
        "xml_prolog": False,
        "bom": fam.bom,
        "encoding_variant": ident.encoding,
        "has_meta": True,
        "robots_disallow": "/jcms/" if robots is not None else None,
        "features": sorted(ident.features),
        "faults": sorted(ident.faults),
        "missing_marks": list(ident.missing_marks),
        "site_code_shown": ident.site_code_shown,
        "error_report_link": ident.error_report,
        "head_style": fam.head_style,
        "homepage_latest_date": home_latest.isoformat() if home_latest else None,
        "homepage_stale": home_latest is None or home_latest <= today - timedelta(days=14),
        "home_pages": [url_of(host, "/")],
        "pages": pages,
        "aliases": walk["aliases"],
        "article_parts": parts,
        "dept_sites": [url for _, url in site.model.dept_links],
        "columns": [_column_truth(site, c, reachable) for c in site.model.columns],
        "dead_links": walk["dead"],
        "soft404": sorted(url for url in soft if url in linked_soft),
        "soft404_kinds": {url: kind for url, kind in sorted(soft.items()) if url in linked_soft},
        "messages": messages,
        "traps": [{"url": url, "found_on": found_on} for url, found_on in walk["traps"].items()],
    }


def truth_header(world: WorldD) -> dict[str, Any]:
    return {
        "world": "d",
        "as_of": world.today.isoformat(),
        "seed": world.seed,
        "port": world.port,
        "base_ip": world.base_ip,
        "fault_rate": world.fault_rate,
        "thresholds": {"days": LIMIT_DAYS, "months": LIMIT_MONTHS, "exempt": ["exempt"]},
    }


def build_truth(world: WorldD) -> dict[str, Any]:
    return {**truth_header(world), "sites": [site_truth(world, i) for i in range(world.site_count)]}


def write_truth(world: WorldD, path: Path) -> None:
    header = json.dumps(truth_header(world), ensure_ascii=False)
    with path.open("w", encoding="utf-8") as out:
        out.write(header[:-1] + ', "sites": [')
        for index in range(world.site_count):
            out.write(
                ("," if index else "") + "\n" + json.dumps(site_truth(world, index), ensure_ascii=False)
            )
        out.write("\n]}\n")


def write_registry(world: WorldD, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REGISTRY_FIELDS)
        for ident in world.identities[: world.site_count]:  # unregistered department sites aside
            writer.writerow(
                [
                    ident.site_id,
                    ident.name,
                    f"http://{ident.ip}:{world.port}/",
                    ident.level,
                    ident.region,
                    ident.department,
                ]
            )
