"""How a worker rebalances its shards: a pure decision, taken at every heartbeat (see docs/frontier.md).

Given what the worker owns and how much work each shard has, `plan` says which shards to give up. The
worker session (crawler/scheduler/session.py) carries the plan out against Redis; nothing here talks to
Redis, so every case is tested from a table (tests/test_balance.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Set

# The most loaded worker hands shards to the least loaded one when their loads (requests queued in their
# shards or held) differ by more than this share of its own load, and by more than its prefetch buffer.
BALANCE_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Plan:
    """Shards to give up: `drain` go back to the pool, `hand` go to a named worker."""

    drain: tuple[int, ...] = ()
    hand: Mapping[int, str] = field(default_factory=dict)
    handed_requests: int = 0  # the queued requests of the handed shards


def share_of(shards: int, workers: int) -> int:
    """Each worker's share of the shards: the most any worker should own."""
    return -(-shards // max(1, workers))


def plan(*, me: str, owned: Set[int], draining: Set[int], held: Mapping[int, int], depths: Mapping[int, int],
         target: int, loads: Mapping[str, int] | None, prefetch: int, share: float = BALANCE_SHARE) -> Plan:
    """What this worker gives up to reach an equal share of the shards and of the queued work.

    - Above its share of shards (`target`), it drains the surplus: the shards with the least work
      (queued + held; ties give up the higher shard number first).
    - With `loads` (the other live workers' queued + held requests; None when balancing is not due), if
      this worker has the most work (ties broken by id, so exactly one worker does) and the gap to the
      least loaded worker exceeds both its prefetch buffer and `share` of its own load, it hands that
      worker non-empty shards, largest first, worth at most half the gap. Hosts hash to shards whatever
      their size, so without this one worker's queues run dry while another's are long.
    """
    active = set(owned) - set(draining)

    def work(shard: int) -> tuple[int, int]:
        return depths.get(shard, 0) + held.get(shard, 0), -shard

    surplus = tuple(sorted(sorted(active, key=work)[: max(0, len(active) - target)]))
    if loads is None or not loads:
        return Plan(drain=surplus)
    mine = sum(depths.values()) + sum(held.values())
    everyone = {**loads, me: mine}
    if len(everyone) < 2:
        return Plan(drain=surplus)
    donor = max(everyone, key=lambda worker: (everyone[worker], worker))
    receiver = min(everyone, key=lambda worker: (everyone[worker], worker))
    gap = mine - everyone[receiver]
    if donor != me or gap <= max(prefetch, share * mine):
        return Plan(drain=surplus)
    hand: dict[int, str] = {}
    given = 0
    candidates = sorted(((depth, shard) for shard, depth in depths.items()
                         if depth and shard in active and shard not in surplus), reverse=True)
    for depth, shard in candidates:
        if given + depth <= gap // 2:
            given += depth
            hand[shard] = receiver
    return Plan(drain=surplus, hand=hand, handed_requests=given)
