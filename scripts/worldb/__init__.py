"""World b: a second, independent farm of simulated Sichuan government sites (other CMS families)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scripts.worldb.truth import build_truth, site_truth, write_registry, write_truth
from scripts.worldb.world import WorldB

if TYPE_CHECKING:
    from datetime import date

__all__ = ["WorldB", "build_truth", "generate", "site_truth", "write_registry", "write_truth"]


def generate(
    sites: int,
    seed: int,
    today: date,
    *,
    port: int = 8800,
    base_ip: str = "127.0.2.1",
    fault_rate: float = 1.0,
) -> WorldB:
    """The world b farm for these parameters; tables and truth are derived from it lazily."""
    return WorldB(sites=sites, seed=seed, today=today, port=port, base_ip=base_ip, fault_rate=fault_rate)
