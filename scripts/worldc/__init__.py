"""World c: a third, independent simulated farm of Chinese government sites (docs/farm.md, "World c").

Families: 织梦 DedeCMS, 帝国 EmpireCMS, 动易 PowerEasy (ASP and ASP.NET), hand-made static sites,
department sites on a 站群 platform, portals with a 领导信箱 platform. The farm server calls
`WorldC.http_answer`.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from scripts.farm import raw_http as http
from scripts.farm.world import site_ips
from scripts.worldc.ids import ENCODINGS, ROLES, Identity, families_for, make_identity
from scripts.worldc.model import FAULTS, FEATURES, fault_rate_of, feature_rate_of
from scripts.worldc.site import Site
from scripts.worldc.truth import build_truth, site_truth, write_registry, write_truth

if TYPE_CHECKING:
    from datetime import date

__all__ = ["WorldC", "build_truth", "generate", "site_truth", "write_registry", "write_truth"]


class WorldC:
    """N sites from one seed; each site's route table is built on first use and kept."""

    def __init__(
        self,
        *,
        sites: int,
        seed: int,
        today: date,
        port: int = 8800,
        base_ip: str = "127.0.3.1",
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
        rng = random.Random(f"worldc/{seed}/world")
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
            rng.choice(up).features.add(feature)

    def _assign_encodings(self, rng: random.Random, up: list[Identity]) -> None:
        for encoding in ENCODINGS:
            counts = Counter(ident.encoding for ident in up)
            if counts[encoding] or len(up) < len(ENCODINGS):
                continue
            spare = [ident for ident in up if counts[ident.encoding] > 1]
            if spare:
                rng.choice(spare).encoding = encoding

    def _assign_faults(self, rng: random.Random, up: list[Identity]) -> None:
        for ident in self.identities:
            for fault in FAULTS:
                if rng.random() < fault_rate_of(fault) * self.fault_rate:
                    ident.faults.add(fault)
        plain = [ident for ident in up if ident.role not in ("zombie",)] or up
        for fault in FAULTS:  # each fault family forced onto one up site
            pool = plain
            if fault == "late_letters":
                pool = [ident for ident in up if ident.family == "hdjl"] or plain
            rng.choice(pool).faults.add(fault)
        for ident in self.identities:
            if ident.family != "hdjl":
                ident.faults.discard("late_letters")

    def _build_site(self, index: int) -> Site:
        rng = random.Random(f"worldc/{self.seed}/sisters/{index}")
        others = [i for i in range(self.site_count) if i != index]
        sisters = [
            (self.identities[i].name, f"http://{self.ips[i]}:{self.port}/")
            for i in sorted(rng.sample(others, min(3, len(others))))
        ]
        return Site(
            self.identities[index],
            seed=self.seed,
            today=self.today,
            host=self.host(index),
            fault_rate=self.fault_rate,
            sisters=sisters,
        )

    def host(self, index: int) -> str:
        return f"{self.ips[index]}:{self.port}"

    def http_answer(self, index: int, target: str, head: bool) -> bytes:
        """The raw response to GET/HEAD `target` (path and query, already percent-decoded by the server)."""
        site = self.site(index)
        answer = site.answer(target)
        family = site.family
        return http.response(
            answer.status,
            answer.body,
            answer.ctype,
            head=head,
            location=answer.location,
            server=family.server,
            powered=family.powered,
        )


def generate(
    sites: int,
    seed: int,
    today: date,
    *,
    port: int = 8800,
    base_ip: str = "127.0.3.1",
    fault_rate: float = 1.0,
) -> WorldC:
    """World c for these parameters (deterministic by seed, sites and today)."""
    return WorldC(sites=sites, seed=seed, today=today, port=port, base_ip=base_ip, fault_rate=fault_rate)
