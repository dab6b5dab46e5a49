"""The oracle index's projection of the issue-12 events: seats (bonds, drop-outs, frozen windows),
ties, reveals and refunds, idempotent and rebuilt from the events alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnc.chain.events import ChainEvent
from nnc.chain.types import Bond, TaskStatus
from nnc.oracle.index import EventIndex

A, B, C = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20


class Log:
    def __init__(self) -> None:
        self.events: list[ChainEvent] = []

    def __call__(self, name: str, **args: Any) -> None:
        n = len(self.events)
        self.events.append(ChainEvent("TaskMarket", name, {"taskId": 1, **args}, 10 + n, 0, f"0x{n:064x}",
                                      f"0x{n:064x}"))


def status(log: Log, to: TaskStatus, frm: TaskStatus = TaskStatus.NONE) -> None:
    log("TaskStatusChanged", **{"from": int(frm), "to": int(to)})


def bond(log: Log, node: str, to: Bond, frm: Bond) -> None:
    log("BondChanged", node=node, **{"from": int(frm), "to": int(to)})


def task_log() -> Log:
    log = Log()
    log("TaskPublished", requester=A, token="0x" + "00" * 20, budget=1000, specDigest="0x" + "11" * 32,
        specURI="local://spec", replication=3, strategy=A, applyDeadline=100, deadline=200)
    status(log, TaskStatus.PUBLISHED)
    for node in (A, B, C):
        log("NodeApplied", node=node)
        bond(log, node, Bond.LOCKED, Bond.NONE)
    log("TaskAssigned", nodes=[A, B, C])
    status(log, TaskStatus.ASSIGNED, TaskStatus.PUBLISHED)
    for node, digest in ((A, "0x" + "01" * 32), (B, "0x" + "02" * 32)):
        log("ResultSubmitted", node=node, agreementKey=digest)
    log("NodeMissed", node=C, slashed=10)
    bond(log, C, Bond.SLASHED, Bond.LOCKED)
    status(log, TaskStatus.SUBMITTED, TaskStatus.ASSIGNED)
    log("ResultRevealed", node=A, resultURI="local://a")
    log("TaskTied", endsAt=500)
    status(log, TaskStatus.VERIFYING, TaskStatus.SUBMITTED)
    return log


def test_seats_ties_and_reveals_are_projected_once(tmp_path: Path) -> None:
    index = EventIndex(tmp_path / "index.sqlite", "key", 0)
    log = task_log()
    assert index.ingest(log.events, 100) == len(log.events)
    assert index.ingest(log.events, 100) == 0  # the same range again changes nothing
    row = index.task(1)
    assert row is not None and row["status"] == "VERIFYING" and row["tied"] == 1 and row["tie_ends_at"] == 500
    nodes = {n["node"]: n for n in index.task_nodes(1)}
    assert nodes[A]["result_uri"] == "local://a" and nodes[B]["result_uri"] is None
    assert (nodes[C]["dropped"], nodes[C]["forfeited"], nodes[C]["bond"]) == (1, "10", "SLASHED")
    assert row["refund"] is None  # a drop-out refunds nothing by itself
    assert index.frozen_nodes() == []


def test_frozen_seat_listed_until_released_and_failed_task_refunds_the_budget(tmp_path: Path) -> None:
    index = EventIndex(tmp_path / "index.sqlite", "key", 0)
    log = task_log()
    log("NodeFrozen", node=B, collateral=10, until=900)
    bond(log, B, Bond.FROZEN, Bond.LOCKED)
    index.ingest(log.events, 100)
    assert [(n["node"], n["frozen_until"]) for n in index.frozen_nodes()] == [(B, 900)]
    more = Log()
    more.events = list(log.events)
    bond(more, B, Bond.RELEASED, Bond.FROZEN)
    index.ingest(more.events[len(log.events):], 200)
    assert index.frozen_nodes() == []

    failed = EventIndex(tmp_path / "failed.sqlite", "key", 0)
    log = Log()
    log("TaskPublished", requester=A, token="0x" + "00" * 20, budget=777, specDigest="0x" + "11" * 32,
        specURI="local://spec", replication=1, strategy=A, applyDeadline=100, deadline=200)
    status(log, TaskStatus.PUBLISHED)
    log("TaskAbandoned", node=A, reason=0, slashed=1)
    status(log, TaskStatus.FAILED, TaskStatus.ASSIGNED)
    failed.ingest(log.events, 100)
    row = failed.task(1)
    assert row is not None and row["status"] == "FAILED" and row["refund"] == "777"
