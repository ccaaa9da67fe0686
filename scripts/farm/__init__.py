"""Simulated Chinese government website farm: deterministic sites, one async server, ground truth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scripts.farm.truth import build_truth, site_truth
from scripts.farm.world import World

if TYPE_CHECKING:
    from datetime import date

__all__ = ["World", "build_truth", "generate", "site_truth"]


def generate(
    sites: int,
    seed: int,
    today: date,
    *,
    port: int = 8800,
    base_ip: str = "127.0.1.1",
    fault_rate: float = 1.0,
) -> World:
    """The farm world for these parameters; pages and truth are derived from it lazily."""
    return World(sites=sites, seed=seed, today=today, port=port, base_ip=base_ip, fault_rate=fault_rate)
