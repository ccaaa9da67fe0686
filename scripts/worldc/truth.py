"""Ground truth of world c: a breadth-first walk of each site's route table from its home page."""

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
from scripts.worldc.family import META_LABEL

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.worldc import WorldC
    from scripts.worldc.model import Column
    from scripts.worldc.site import Node, Site

REGISTRY_FIELDS = ["site_id", "name", "url", "level", "region", "department"]
MAX_REDIRECTS = 10
# ("page", status, canonical key) | ("alias", ...) | ("live"|"trap", ...) | ("dead", status, error)
Verdict = tuple[str, int | None, str | None]


def classify(world: WorldC, site: Site, url: str) -> Verdict:
    """What following `url` from a page of `site` leads to (redirects followed)."""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return "live", None, None
    if hostname.endswith(".invalid"):
        return "dead", None, "dns"
    if parts.netloc != site.host:
        other = world.index_of_ip.get(hostname)
        if other is not None and parts.port == world.port:
            return ("dead", None, "refused") if world.identities[other].down else ("live", 200, None)
        return "dead", None, "refused"
    key = key_of(url)
    for hop in range(MAX_REDIRECTS + 1):
        answer = site.answer(key)
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
        if answer.node is not None and hop == 0:
            return "page", 200, answer.node.key
        return "live", 200, None
    return "dead", None, "too_many_redirects"


def _walk(world: WorldC, site: Site) -> dict[str, Any]:
    """Pages, aliases, dead links and trap entries reachable from the home page."""
    host = site.host
    reachable: dict[str, Node] = {"/": _node(site, "/")}
    queue = deque(["/"])
    verdicts: dict[str, Verdict] = {}
    dead: list[dict[str, Any]] = []
    dead_seen: set[tuple[str, str]] = set()
    traps: dict[str, str] = {}
    aliases: dict[str, str] = {}
    home_keys = set(site.family.home_keys)
    while queue:
        node = reachable[queue.popleft()]
        page_url = url_of(host, node.key)
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
            elif what == "trap":
                traps.setdefault(url, page_url)
            elif what == "dead" and (url, page_url) not in dead_seen:
                dead_seen.add((url, page_url))
                dead.append(
                    {
                        "url": url,
                        "found_on": page_url,
                        "on_homepage": node.key in home_keys,
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


def _column_truth(site: Site, column: Column, urls: dict[int, list[str]]) -> dict[str, Any]:
    today = site.model.today
    if column.type == "consult":
        shown = [m.asked for m in column.messages]
        if column.shows_reply_date:
            shown += [m.answered for m in column.messages if m.answered is not None]
        count = len(column.messages)
    else:
        shown = [a.pub for a in column.entries]  # dateless lists: the articles' own dates (docs/farm.md)
        count = len(column.entries)
    latest = max(shown) if shown else None
    url = url_of(site.host, column.pages[0] if column.empty_kind != "dead" else column.href)
    return {
        "name": column.name,
        "url": url,
        "type": column.type,
        "level": 1,
        "latest_date": latest.isoformat() if latest else None,
        "entries": count,
        "stale": is_stale(column.type, latest, today),
        "empty": column.empty_kind is not None or count == 0,
        "empty_kind": column.empty_kind or ("zero" if count == 0 else None),
        "list_pages": urls.get(id(column), []),
        "dates_shown": column.date_style != "none",
        "order": column.order,
        "pinned": len(column.pinned),
    }


def _robots(site: Site) -> RobotFileParser | None:
    """The site's robots.txt rules, if it serves one: a crawler that obeys them never sees those pages."""
    answer = site.routes.get("/robots.txt")
    if answer is None or answer.status != 200:
        return None
    rules = RobotFileParser()
    rules.parse(answer.body.decode("utf-8", "replace").splitlines())
    return rules


def site_truth(world: WorldC, index: int) -> dict[str, Any]:
    """Truth record of one site (docs/farm.md, world c)."""
    site = world.site(index)
    ident, host, today = site.ident, site.host, site.model.today
    walk = _walk(world, site)
    reachable: dict[str, Node] = walk["reachable"]
    pages: dict[str, dict[str, Any]] = {}
    list_pages: dict[int, list[str]] = {}
    robots = _robots(site)
    for key, node in reachable.items():
        column_url = url_of(host, node.column.pages[0]) if node.column is not None else None
        pages[url_of(host, key)] = {
            "kind": node.kind,
            "title": node.title,
            "pub_date": node.pub.isoformat() if node.pub else None,
            "column": column_url,
            "encoding": None if node.kind == "attachment" else site.family.codec,
            "robots_disallowed": robots is not None and not robots.can_fetch("*", url_of(host, key)),
        }
    for column in site.model.columns:  # in page order: an oldest-first list has its newest entry last
        list_pages[id(column)] = [
            url_of(host, key) for key in column.pages if column.empty_kind != "dead" and key in reachable
        ]
    home_dates = []
    for key in site.family.home_keys:
        part = reachable.get(key)
        for href, _ in part.links if part is not None else ():
            url = absolute(url_of(host, key), part.base if part else None, href)
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
    encoding = ident.encoding
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
        "encoding": site.family.codec,
        "declared_charset": site.family.header_charset or META_LABEL[encoding],
        "header_charset": site.family.header_charset,
        "meta_charset": META_LABEL[encoding],
        "xml_prolog": encoding == "xml-prolog",
        "encoding_variant": encoding,
        "has_meta": META_LABEL[encoding] is not None,
        "robots_disallow": None,
        "features": sorted(ident.features),
        "faults": sorted(ident.faults),
        "homepage_latest_date": home_latest.isoformat() if home_latest else None,
        "homepage_stale": home_latest is None or home_latest <= today - timedelta(days=14),
        "home_pages": [url_of(host, key) for key in site.family.home_keys],
        "pages": pages,
        "aliases": walk["aliases"],
        "columns": [_column_truth(site, c, list_pages) for c in site.model.columns],
        "dead_links": walk["dead"],
        "soft404": sorted(url for url in soft if url in linked_soft),
        "soft404_kinds": {url: kind for url, kind in sorted(soft.items()) if url in linked_soft},
        "messages": messages,
        "traps": [{"url": url, "found_on": found_on} for url, found_on in walk["traps"].items()],
    }


def truth_header(world: WorldC) -> dict[str, Any]:
    return {
        "world": "c",
        "as_of": world.today.isoformat(),
        "seed": world.seed,
        "port": world.port,
        "base_ip": world.base_ip,
        "fault_rate": world.fault_rate,
        "thresholds": {"days": LIMIT_DAYS, "months": LIMIT_MONTHS, "exempt": ["exempt"]},
    }


def build_truth(world: WorldC) -> dict[str, Any]:
    return {**truth_header(world), "sites": [site_truth(world, i) for i in range(world.site_count)]}


def write_truth(world: WorldC, path: Path) -> None:
    header = json.dumps(truth_header(world), ensure_ascii=False)
    with path.open("w", encoding="utf-8") as out:
        out.write(header[:-1] + ', "sites": [')
        for index in range(world.site_count):
            out.write(
                ("," if index else "") + "\n" + json.dumps(site_truth(world, index), ensure_ascii=False)
            )
        out.write("\n]}\n")


def write_registry(world: WorldC, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REGISTRY_FIELDS)
        for ident in world.identities:
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
