"""World b: N sites of mixed CMS families from one seed, their page tables, and their HTTP answers."""

from __future__ import annotations

import random
from functools import lru_cache
from typing import TYPE_CHECKING

from scripts.farm.server import http_response
from scripts.farm.world import site_ips
from scripts.worldb.answer import answer, error_html, soft404_html, split_target, trap_html
from scripts.worldb.model import FAMILIES, TRAPS, Identity, SiteModel, build_model, identity
from scripts.worldb.site import build_site

if TYPE_CHECKING:
    from datetime import date

    from scripts.worldb.build import SiteTable

ROLES = ("down", "slow", "zombie", "homestale")
# Faults that some site of a faulty world always shows, so that a small world has each (site drawn per seed).
FORCED = [f"trap:{t}" for t in TRAPS] + [
    "soft:refresh",
    "soft:redirect404",
    "soft:redirecthome",
    "home:dead",
    "home:external",
    "home:refused",
    "aliases",
    "gbk-undeclared",
    "empty",
    "marks",
]
RESOURCE_TYPES = {
    ".css": "text/css",
    ".js": "application/javascript",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


class WorldB:
    """The world b farm: identities and roles up front, site tables built lazily and cached."""

    world = "b"

    def __init__(
        self,
        *,
        sites: int,
        seed: int,
        today: date,
        port: int = 8800,
        base_ip: str = "127.0.2.1",
        fault_rate: float = 1.0,
    ) -> None:
        self.site_count = sites
        self.seed = seed
        self.today = today
        self.port = port
        self.base_ip = base_ip
        self.fault_rate = fault_rate
        self.ips = site_ips(base_ip, sites)
        self.index_of_ip = {ip: i for i, ip in enumerate(self.ips)}
        rng = random.Random(f"worldb/{seed}/world")
        special = (
            rng.sample(range(1, sites), min(len(ROLES), sites - 1)) if fault_rate > 0 and sites > 1 else []
        )
        self.roles = {idx: role for role, idx in zip(ROLES, special, strict=False)}
        # Every family at least once (when there are five sites or more), the rest drawn with weights, so
        # that both which site runs which CMS and how many of each differ between seeds.
        self.families = list(FAMILIES[:sites]) + rng.choices(
            FAMILIES, weights=(25, 20, 20, 20, 15), k=max(0, sites - len(FAMILIES))
        )
        rng.shuffle(self.families)
        self.identities: list[Identity] = [
            identity(seed, i, self.ips[i], self.roles.get(i) == "down", self.roles.get(i) == "slow")
            for i in range(sites)
        ]
        up = [i for i in range(1, sites) if not self.identities[i].down and self.roles.get(i) != "zombie"]
        self.forced: dict[int, set[str]] = {}
        if fault_rate > 0 and up:
            for feature in FORCED:
                pool = up
                if feature == "aliases":
                    pool = [i for i in up if self.families[i] in ("jsp", "jcms")] or up
                if feature.startswith("soft:"):
                    chosen = rng.choice(up)
                    self.forced.setdefault(chosen, set()).update({feature, "home:gone"})
                    continue
                self.forced.setdefault(rng.choice(pool), set()).add(feature)
        self.model = lru_cache(maxsize=max(512, sites))(self._model)
        self.table = lru_cache(maxsize=max(512, sites))(self._table)

    def host(self, index: int) -> str:
        return f"{self.ips[index]}:{self.port}"

    def role_of(self, index: int) -> str:
        return self.roles.get(index, "")

    def _model(self, index: int) -> SiteModel:
        return build_model(
            self.seed,
            self.identities[index],
            family=self.families[index],
            today=self.today,
            fault_rate=self.fault_rate,
            forced=self.forced.get(index, set()),
            role=self.role_of(index),
        )

    def _table(self, index: int) -> SiteTable:
        return build_site(self.model(index), self.today, self.host(index))

    def http_answer(self, index: int, target: str, head: bool) -> bytes:
        """The raw HTTP response of site `index` to a GET/HEAD of `target`."""
        table = self.table(index)
        model = table.model
        found = answer(table, target)
        html_type = "text/html"
        if model.declared and model.declared_in in ("both", "header"):
            html_type = f"text/html; charset={model.declared}"
        if found.location is not None:
            return http_response(found.status, b"", html_type, head=head, location=found.location)
        page = found.page
        if page is not None:
            if isinstance(page.body, bytes):
                return http_response(200, page.body, page.content_type, head=head)
            if page.content_type == "json":
                return http_response(200, page.body.encode(), "application/json;charset=UTF-8", head=head)
            if page.content_type == "xml":
                return http_response(200, page.body.encode(), "text/xml;charset=UTF-8", head=head)
            return http_response(200, self.encode(model, page.body), html_type, head=head)
        path, query = split_target(target)
        if found.soft404:
            return http_response(
                200, self.encode(model, soft404_html(table, path, self.today)), html_type, head=head
            )
        if found.trap is not None:
            body = trap_html(table, found.trap, path, query, self.today)
            return http_response(200, self.encode(model, body), html_type, head=head)
        if found.resource:
            if path == "/robots.txt":
                return http_response(200, b"User-agent: *\nDisallow:\n", "text/plain", head=head)
            ext = "." + path.rsplit(".", 1)[-1]
            kind = RESOURCE_TYPES.get(ext, "application/octet-stream")
            data = PNG if kind.startswith("image/") else b"/* farm b */\n"
            return http_response(200, data, kind, head=head)
        return http_response(
            found.status, self.encode(model, error_html(table, found.status)), html_type, head=head
        )

    @staticmethod
    def encode(model: SiteModel, html: str) -> bytes:
        data = html.encode(model.encoding, errors="xmlcharrefreplace")
        return b"\xef\xbb\xbf" + data if model.bom else data
