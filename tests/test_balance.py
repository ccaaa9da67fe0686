"""The rebalancing decision (crawler.scheduler.balance.plan), case by case, without Redis."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.scheduler.balance import Plan, plan, share_of

ME = "w-me"


def decide(owned: set[int], *, depths: dict[int, int], held: dict[int, int] | None = None,
           draining: set[int] | None = None, target: int = 64, loads: dict[str, int] | None = None,
           prefetch: int = 10) -> Plan:
    return plan(me=ME, owned=owned, draining=draining or set(), held=held or {}, depths=depths, target=target,
                loads=loads, prefetch=prefetch)


@pytest.mark.parametrize(("shards", "workers", "share"), [
    (64, 1, 64), (64, 2, 32), (64, 3, 22), (64, 64, 1), (64, 100, 1), (16, 0, 16),
])
def test_each_worker_s_share_of_the_shards(shards: int, workers: int, share: int) -> None:
    assert share_of(shards, workers) == share


# owned, depths, held, draining, target -> the drained shards
SURPLUS: list[tuple[set[int], dict[int, int], dict[int, int], set[int], int, tuple[int, ...]]] = [
    # At or under its share: nothing to give up.
    ({1, 2, 3}, {1: 5, 2: 0, 3: 9}, {}, set(), 3, ()),
    ({1, 2}, {1: 5, 2: 0}, {}, set(), 3, ()),
    # Over its share: the shards with the least work go (queued + held).
    ({1, 2, 3, 4}, {1: 50, 2: 0, 3: 9, 4: 1}, {}, set(), 2, (2, 4)),
    ({1, 2, 3}, {1: 0, 2: 0, 3: 9}, {1: 4}, set(), 2, (2,)),
    # Equal work: the higher shard number goes first.
    ({5, 6, 7}, {5: 0, 6: 0, 7: 0}, {}, set(), 2, (7,)),
    # Shards already draining do not count as owned for the share.
    ({1, 2, 3, 4}, {1: 50, 3: 9, 4: 1}, {}, {2}, 2, (4,)),
    # A worker whose share fell to 1 keeps its busiest shard.
    ({1, 2, 3}, {1: 3, 2: 30, 3: 2}, {}, set(), 1, (1, 3)),
]


@pytest.mark.parametrize("case", SURPLUS)
def test_a_worker_over_its_share_drains_the_shards_with_least_work(
        case: tuple[set[int], dict[int, int], dict[int, int], set[int], int, tuple[int, ...]]) -> None:
    owned, depths, held, draining, target, drained = case
    decision = decide(owned, depths=depths, held=held, draining=draining, target=target)
    assert decision.drain == drained
    assert not decision.hand


# depths of this worker's shards, other workers' loads -> shards handed to whom, requests handed
HANDOVER: list[tuple[str, dict[int, int], dict[str, int], dict[int, str], int]] = [
    ("the most loaded worker hands its largest shards to the least loaded, up to half the gap",
     {1: 400, 2: 300, 3: 100, 4: 0}, {"w-a": 0, "w-b": 200}, {1: "w-a"}, 400),
    ("shards that do not fit in half the gap are skipped for smaller ones",
     {1: 500, 2: 300, 3: 100, 4: 60}, {"w-a": 40}, {2: "w-a", 3: "w-a", 4: "w-a"}, 460),
    ("a shard bigger than half the gap stays",
     {1: 900, 2: 50}, {"w-a": 0}, {2: "w-a"}, 50),
    ("not the most loaded: nothing moves (the other worker hands)",
     {1: 400}, {"w-a": 900, "w-b": 0}, {}, 0),
    ("a gap within the prefetch buffer is no reason to move",
     {1: 8}, {"w-a": 0}, {}, 0),
    ("a gap within a tenth of its own load is no reason to move",
     {1: 500, 2: 500}, {"w-a": 920}, {}, 0),
    ("empty shards are never handed",
     {1: 0, 2: 0}, {"w-a": 0}, {}, 0),
    ("alone: nobody to hand to",
     {1: 400, 2: 300}, {}, {}, 0),
]


@pytest.mark.parametrize(("case", "depths", "loads", "handed", "requests"), HANDOVER,
                         ids=[case[0] for case in HANDOVER])
def test_the_most_loaded_worker_hands_work_to_the_least_loaded(
        case: str, depths: dict[int, int], loads: dict[str, int], handed: dict[int, str], requests: int
) -> None:
    decision = decide(set(depths), depths=depths, loads=loads)
    assert dict(decision.hand) == handed, case
    assert decision.handed_requests == requests
    assert decision.handed_requests <= max(0, sum(depths.values()) - min(loads.values(), default=0)) // 2


def test_ties_in_load_pick_one_donor_and_one_receiver_by_id() -> None:
    # Two workers with the same load: only the one with the greater id gives.
    depths = {1: 300, 2: 200}
    assert not decide(set(depths), depths=depths, loads={"w-zz": 500, "w-a": 0}).hand
    assert dict(decide(set(depths), depths=depths, loads={"w-aa": 500, "w-a": 0}).hand) == {2: "w-a"}


def test_surplus_shards_are_not_also_handed_and_draining_ones_stay_put() -> None:
    depths = {1: 0, 2: 400, 3: 300}
    decision = decide({1, 2, 3, 4}, depths=depths, draining={4}, target=2, loads={"w-a": 0})
    assert decision.drain == (1,)
    assert dict(decision.hand) == {3: "w-a"}
    held_work: dict[str, Any] = {"held": {2: 1000}}
    # Held requests count in the load, but a shard is handed by its queued requests only.
    decision = decide({2, 3}, depths={2: 0, 3: 300}, loads={"w-a": 0}, **held_work)
    assert dict(decision.hand) == {3: "w-a"}


def test_without_loads_only_the_surplus_is_decided() -> None:
    depths = {1: 400, 2: 300}
    assert decide({1, 2}, depths=depths, loads=None) == Plan()
