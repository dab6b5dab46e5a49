"""The demo's commentary: one readable line per narrated event, none for the others."""

from __future__ import annotations

from typing import Any

from nnc.chain.artifacts import Artifacts
from nnc.chain.events import ChainEvent
from nnc.chain.types import Bond, TaskStatus
from nnc.narration import LINES, describe

NODE = "0x" + "ab" * 20


def event(name: str, **args: Any) -> ChainEvent:
    return ChainEvent("TaskMarket", name, args, 1, 0, "0x" + "00" * 32, "0x" + "11" * 32)


def test_amounts_are_whole_tokens_and_statuses_words() -> None:
    assert describe(event("TaskPublished", taskId=3, budget=25 * 10**17, replication=2)) == \
        "task 3 published: budget 2.5, replication 2"
    assert describe(event("TaskStatusChanged", taskId=3, **{"from": 0, "to": int(TaskStatus.SETTLED)})) == \
        "task 3 is now settled"
    assert describe(event("TaskSettled", taskId=3, paid=10**18, fee=2 * 10**16, refund=0)) == \
        "task 3 settled: paid 1, fee 0.02, refund 0"


def test_digests_are_shortened_and_addresses_kept() -> None:
    line = describe(event("ResultSubmitted", taskId=1, node=NODE, agreementKey=b"\x12" * 32))
    assert line == f"task 1: node {NODE} committed result 0x121212121212…"
    assert describe(event("TaskAssigned", taskId=1, nodes=[NODE, NODE])) == f"task 1 assigned to {NODE}, {NODE}"


def test_quality_verdict() -> None:
    assert describe(event("QualityReported", taskId=2, score=9150, accepted=False)) == (
        "task 2: oracle reports quality 91.5%, rejected: below the acceptance threshold "
        "(model evaluated on the eval split)")


def test_only_a_frozen_release_of_a_bond_is_narrated() -> None:
    released = event("BondChanged", taskId=4, node=NODE, **{"from": int(Bond.FROZEN), "to": int(Bond.RELEASED)})
    locked = event("BondChanged", taskId=4, node=NODE, **{"from": int(Bond.LOCKED), "to": int(Bond.RELEASED)})
    assert describe(released) == f"task 4: node {NODE}'s frozen collateral released (no challenge in its window)"
    assert describe(locked) is None
    assert describe(event("SomethingElse", taskId=4)) is None


def test_every_narrated_event_exists_in_the_contracts() -> None:
    """A renamed event would silently drop out of the commentary."""
    names = {entry["name"] for abi in Artifacts().all_abis() for entry in abi if entry.get("type") == "event"}
    assert set(LINES) <= names, sorted(set(LINES) - names)
