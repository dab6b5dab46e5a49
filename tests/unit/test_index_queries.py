"""The index's read side for the API: task pages with filters and totals, registered nodes, a
node's seats and history, the events of given contracts, the range of task ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnc.chain.events import ChainEvent
from nnc.chain.types import TaskStatus
from nnc.oracle.index import EventIndex
from nnc.oracle.index_queries import TaskFilter

A, B = "0x" + "aA" * 20, "0x" + "bB" * 20
ETH, NNT = "0x" + "00" * 20, "0x" + "Cc" * 20


class Chain:
    """Events in chain order, one per block."""

    def __init__(self) -> None:
        self.events: list[ChainEvent] = []

    def emit(self, contract: str, name: str, **args: Any) -> None:
        n = len(self.events)
        self.events.append(ChainEvent(contract, name, args, 10 + n, 0, f"0x{n:064x}", f"0x{n:064x}"))

    def publish(self, task_id: int, requester: str, token: str) -> None:
        self.emit("TaskMarket", "TaskPublished", taskId=task_id, requester=requester, token=token, budget=100,
                  specDigest="0x" + "11" * 32, specURI="local://spec", replication=1, strategy=A,
                  applyDeadline=100, deadline=200)


def indexed(tmp_path: Path, chain: Chain) -> EventIndex:
    index = EventIndex(tmp_path / "index.sqlite", "key", 0)
    index.ingest(chain.events, 1000)
    return index


def test_task_pages_filter_count_and_go_newest_first(tmp_path: Path) -> None:
    chain = Chain()
    for task_id, requester, token in ((1, A, ETH), (2, B, NNT), (3, A, NNT), (4, A, ETH)):
        chain.publish(task_id, requester, token)
    chain.emit("TaskMarket", "TaskStatusChanged", taskId=3, **{"from": 1, "to": int(TaskStatus.ASSIGNED)})
    chain.emit("TaskMarket", "NodeApplied", taskId=2, node=B)
    queries = indexed(tmp_path, chain).queries

    page = queries.tasks_page(TaskFilter(), limit=2, offset=1)
    assert [r["task_id"] for r in page.items] == [3, 2] and page.total == 4
    by_a = queries.tasks_page(TaskFilter(requester=A.lower(), token=NNT.upper().replace("0X", "0x")), 10, 0)
    assert [r["task_id"] for r in by_a.items] == [3] and by_a.total == 1
    assert [r["task_id"] for r in queries.tasks_page(TaskFilter(status=TaskStatus.PUBLISHED), 10, 0).items] == [4, 2, 1]
    assert [r["task_id"] for r in queries.tasks_page(TaskFilter(node=B), 10, 0).items] == [2]
    assert queries.tasks_page(TaskFilter(node=A), 10, 0).total == 0
    assert queries.task_id_range() == (1, 4)


def test_no_task_indexed_has_no_range(tmp_path: Path) -> None:
    assert indexed(tmp_path, Chain()).queries.task_id_range() is None


def test_registered_nodes_once_each_by_latest_registration(tmp_path: Path) -> None:
    chain = Chain()
    chain.emit("NodeRegistry", "NodeRegistered", node=A, hardwareClass=1)
    chain.emit("NodeRegistry", "NodeRegistered", node=B, hardwareClass=1)
    chain.emit("NodeRegistry", "NodeRegistered", node=A, hardwareClass=2)  # registered again: now the latest
    chain.emit("Other", "NodeRegistered", node=B)  # not the registry's event
    queries = indexed(tmp_path, chain).queries
    page = queries.registered_nodes(limit=10, offset=0)
    assert page.items == [{"node": A.lower(), "registered_block": 12}, {"node": B.lower(), "registered_block": 11}]
    assert page.total == 2
    second = queries.registered_nodes(limit=1, offset=1)
    assert [r["node"] for r in second.items] == [B.lower()] and second.total == 2


def test_a_nodes_seats_and_history(tmp_path: Path) -> None:
    chain = Chain()
    chain.publish(1, A, ETH)
    chain.publish(2, A, NNT)
    for task_id in (1, 2):
        chain.emit("TaskMarket", "NodeApplied", taskId=task_id, node=B)
    chain.emit("TaskMarket", "NodePaid", taskId=1, node=B, amount=40)
    queries = indexed(tmp_path, chain).queries
    seats = queries.node_assignments(B)
    assert [(s["task_id"], s["token"], s["paid"], s["status"]) for s in seats] == [
        (2, NNT, None, "PUBLISHED"), (1, ETH, "40", "PUBLISHED")]
    history = queries.node_events(B.upper().replace("0X", "0x"), limit=2)
    assert [(e["name"], e["task_id"], e["args"].get("amount")) for e in history] == [
        ("NodePaid", 1, 40), ("NodeApplied", 2, None)]
    assert queries.node_assignments(A) == [] and queries.node_events(A, 10) == []


def test_events_of_given_contracts_in_chain_order(tmp_path: Path) -> None:
    chain = Chain()
    chain.emit("Arbitration", "DisputeOpened", disputeId=1, taskId=1, node=A)
    chain.emit("TaskMarket", "TaskDisputed", taskId=1)
    chain.emit("SpotCheck", "VerificationReported", taskId=1, disputeId=1, passed=False)
    queries = indexed(tmp_path, chain).queries
    events = queries.contract_events(["SpotCheck", "Arbitration"])
    assert [(e["contract"], e["block_number"], e["args"]["disputeId"]) for e in events] == [
        ("Arbitration", 10, 1), ("SpotCheck", 12, 1)]
    assert queries.contract_events([]) == []
