"""World d: a fourth, independent simulated farm of Chinese government sites (docs/farm.md, "World d").

Families: 集约化 platform sites (/col/<name>/index.html, createPageHTML pagers, table lists), sites whose
lists load by script from a JSON API (or an XML data island, or document.write), and portals on a
政府信息公开 platform (索引号 tables). Portals link their departments' own sites on other hosts. The farm
server calls `WorldD.http_answer`.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from scripts.farm import raw_http as http
from scripts.farm.world import site_ips
from scripts.worldd.ids import ENCODINGS, ROLES, Identity, families_for, make_identity
from scripts.worldd.model import FAULTS, FEATURES, fault_rate_of, feature_rate_of
from scripts.worldd.site import Site
from scripts.worldd.truth import build_truth, site_truth, write_registry, write_truth

if TYPE_CHECKING:
    from datetime import date

__all__ = ["WorldD", "build_truth", "generate", "site_truth", "write_registry", "write_truth"]

HIDDEN_SITES = 2  # department sites on farm addresses that are not in the registry (linked by portals)
_MARKS = ["site_code", "icp", "police", "sponsor"]


class WorldD:
    """N registered sites (plus a few unregistered department sites) from one seed."""

    def __init__(
        self,
        *,
        sites: int,
        seed: int,
        today: date,
        port: int = 8800,
        base_ip: str = "127.0.5.1",
        fault_rate: float = 1.0,
    ) -> None:
        self.site_count = sites
        self.seed = seed
        self.today = today
        self.port = port
        self.base_ip = base_ip
        self.fault_rate = fault_rate
        spare = site_ips(base_ip, sites + HIDDEN_SITES + 1)
        self.ips = spare[:sites]
        self.hidden_ips = spare[sites : sites + HIDDEN_SITES]
        self.unused_ip = spare[-1]  # nothing listens there: a dead 部门网站 link is refused
        rng = random.Random(f"worldd/{seed}/world")
        families = families_for(sites, rng)
        self.identities: list[Identity] = [
            make_identity(i, seed, ip, families[i]) for i, ip in enumerate(self.ips)
        ]
        if fault_rate > 0:
            self._assign_roles(rng)
        up = [ident for ident in self.identities if not ident.down]
        self._assign_features(rng, up)
        self._assign_encodings(rng, up)
        if fault_rate > 0:
            self._assign_faults(rng, up)
        self._assign_marks(random.Random(f"worldd/{seed}/marks"), up, fault_rate)
        for n, ip in enumerate(self.hidden_ips):  # served like any site, never in registry or truth
            hidden = make_identity(sites + n, seed, ip, "kaipu" if n % 2 == 0 else "trsgk")
            hidden.level, hidden.name = "department", f"{hidden.place}{hidden.department or '统计局'}"
            hidden.department = hidden.department or "统计局"
            self.identities.append(hidden)
        self.index_of_ip = {ident.ip: i for i, ident in enumerate(self.identities)}
        self.site = lru_cache(maxsize=None)(self._build_site)

    def _assign_roles(self, rng: random.Random) -> None:
        """down, slow, zombie, homestale on four distinct sites; the down site's family has another site."""
        counts = Counter(ident.family for ident in self.identities)
        spare = [ident for ident in self.identities if counts[ident.family] > 1] or self.identities
        down = rng.choice(spare)
        others = [ident for ident in self.identities if ident is not down]
        chosen = [down, *rng.sample(others, min(3, len(others)))]
        for role, ident in zip(ROLES, chosen, strict=False):
            ident.role = role
            ident.down = role == "down"
            ident.slow = role == "slow"

    def _assign_features(self, rng: random.Random, up: list[Identity]) -> None:
        for ident in self.identities:
            for feature in FEATURES:
                if rng.random() < feature_rate_of(feature):
                    ident.features.add(feature)
        for feature in FEATURES:  # every reality at least once, on a site that is up
            pool = up
            if feature in ("xml", "docwrite"):
                pool = [ident for ident in up if ident.family == "nanwei"] or up
            elif feature == "group":
                pool = [ident for ident in up if ident.family == "kaipu"] or up
            rng.choice(pool).features.add(feature)

    def _assign_encodings(self, rng: random.Random, up: list[Identity]) -> None:
        for encoding in ENCODINGS:
            counts = Counter(ident.encoding for ident in up)
            if counts[encoding] or encoding == "utf8-bom":
                continue
            spare = [i for i in up if counts[i.encoding] > 1 and i.family != "nanwei"]
            if spare:
                rng.choice(spare).encoding = encoding

    def _assign_faults(self, rng: random.Random, up: list[Identity]) -> None:
        for ident in self.identities:
            for fault in FAULTS:
                if rng.random() < fault_rate_of(fault) * self.fault_rate:
                    ident.faults.add(fault)
        plain = [ident for ident in up if ident.role != "zombie"] or up
        for fault in FAULTS:  # each fault family forced onto one up site
            pool = plain
            if fault == "dept_dead":
                pool = [ident for ident in plain if ident.portal] or plain
            rng.choice(pool).faults.add(fault)
        for ident in self.identities:
            if not ident.portal:
                ident.faults.discard("dept_dead")

    def _assign_marks(self, rng: random.Random, up: list[Identity], fault_rate: float) -> None:
        """Footers: a mark left out (15 %), a neighbour's 标识码 (5 %), no 找错 link (10 %); the first three
        up sites get one of each (their own random stream: nothing else changes)."""
        for ident in self.identities:
            ident.site_code_shown = ident.site_id
            if fault_rate <= 0:
                continue
            if rng.random() < 0.15:
                ident.missing_marks = [rng.choice(_MARKS)]
            elif rng.random() < 0.05:
                ident.site_code_shown = self._neighbour_code(ident, rng)
            if rng.random() < 0.10:
                ident.error_report = False
        if fault_rate > 0 and len(up) >= 3:
            up[0].missing_marks, up[0].site_code_shown = [rng.choice(_MARKS)], up[0].site_id
            up[1].missing_marks, up[1].site_code_shown = [], self._neighbour_code(up[1], rng)
            up[2].error_report = False
        for ident in self.identities:
            if "site_code" in ident.missing_marks:
                ident.site_code_shown = None

    def _neighbour_code(self, ident: Identity, rng: random.Random) -> str:
        others = [i for i in self.identities if i.region != ident.region] or [
            i for i in self.identities if i is not ident
        ]
        return rng.choice(others).site_id if others else ident.site_id

    def _build_site(self, index: int) -> Site:
        ident = self.identities[index]
        rng = random.Random(f"worldd/{self.seed}/links/{index}")
        registered = [i for i in range(self.site_count) if i != index]
        sisters = [
            (self.identities[i].name, f"http://{self.ips[i]}:{self.port}/")
            for i in sorted(rng.sample(registered, min(3, len(registered))))
        ]
        dept_links: list[tuple[str, str]] = []
        if ident.portal and index < self.site_count:
            depts = [i for i in registered if self.identities[i].level == "department"]
            near = [i for i in depts if self.identities[i].region == ident.region]
            chosen = sorted(set(near[:2] + rng.sample(depts, min(2, len(depts)))))
            dept_links = [(self.identities[i].name, f"http://{self.ips[i]}:{self.port}/") for i in chosen]
            if self.hidden_ips:
                hidden = self.identities[self.site_count + rng.randrange(len(self.hidden_ips))]
                dept_links.append((hidden.name, f"http://{hidden.ip}:{self.port}/"))
            if "dept_dead" in ident.faults:
                dept_links.append((f"{ident.place}统计局", f"http://{self.unused_ip}:{self.port}/"))
                live = [i for i in registered if not self.identities[i].down]
                if live:
                    other = self.identities[rng.choice(live)]
                    dept_links.append(
                        (
                            f"{ident.place}{other.department or '审计局'}",
                            f"http://{other.ip}:{self.port}/{other.dept_slug}/index.html",
                        )
                    )
        return Site(
            ident,
            seed=self.seed,
            today=self.today,
            host=self.host(index),
            fault_rate=self.fault_rate,
            sisters=sisters,
            dept_links=dept_links,
        )

    def host(self, index: int) -> str:
        return f"{self.identities[index].ip}:{self.port}"

    def http_answer(self, index: int, target: str, head: bool) -> bytes:
        """The raw response to GET/HEAD `target` (path and query, already percent-decoded by the server)."""
        site = self.site(index)
        answer = site.answer(target)
        return http.response(
            answer.status,
            answer.body,
            answer.ctype,
            head=head,
            location=answer.location,
            server=site.family.server,
        )


def generate(
    sites: int,
    seed: int,
    today: date,
    *,
    port: int = 8800,
    base_ip: str = "127.0.5.1",
    fault_rate: float = 1.0,
) -> WorldD:
    """World d for these parameters (deterministic by seed, sites and today)."""
    return WorldD(sites=sites, seed=seed, today=today, port=port, base_ip=base_ip, fault_rate=fault_rate)
