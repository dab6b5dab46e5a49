"""The read side of the oracle's index for explorers (the API): pages of tasks, a node's seats and
history, the events of given contracts. The index owns its SQL; readers get rows, never a cursor.

Rows are plain dicts typed below; event rows carry their arguments decoded from JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from nnc.chain.types import TaskStatus


class EventRow(TypedDict):
    """One stored event; `node` lower-case, `args` as the chain gave them (integers as ints)."""

    block_number: int
    log_index: int
    tx_hash: str
    block_hash: str
    contract: str
    name: str
    task_id: int | None
    node: str | None
    args: dict[str, Any]


class NodeAssignmentRow(TypedDict):
    """A node's seat in one task, with the figures of the task it needs to be read."""

    task_id: int
    assigned: int
    result_digest: str | None
    paid: str | None
    bond: str
    dropped: int
    frozen_until: int | None
    forfeited: str | None
    status: str
    token: str
    budget: str
    replication: int


class NodeRegistration(TypedDict):
    node: str
    registered_block: int  # of its latest NodeRegistered event


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a page holds (every field None: all). Addresses lower-case."""

    status: TaskStatus | None = None
    requester: str | None = None
    token: str | None = None
    node: str | None = None  # tasks this node applied for (or was assigned)


T = TypeVar("T")


@dataclass(frozen=True)
class RowPage(Generic[T]):
    items: list[T]
    total: int  # matching rows in all, not only on this page


class IndexQueries:
    """Queries over an `EventIndex`'s connection (`EventIndex.queries`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def tasks_page(self, where: TaskFilter, limit: int, offset: int) -> RowPage[dict[str, Any]]:
        """Task rows matching `where`, newest first, `limit` of them after `offset`."""
        clauses: list[str] = []
        params: list[Any] = []
        if where.status is not None:
            clauses.append("status = ?")
            params.append(where.status.name)
        if where.requester is not None:
            clauses.append("lower(requester) = ?")
            params.append(where.requester.lower())
        if where.token is not None:
            clauses.append("lower(token) = ?")
            params.append(where.token.lower())
        if where.node is not None:
            clauses.append("task_id IN (SELECT task_id FROM task_nodes WHERE node = ?)")
            params.append(where.node.lower())
        clause = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = int(self.db.execute(f"SELECT count(*) FROM tasks{clause}", params).fetchone()[0])
        rows = self.db.execute(f"SELECT * FROM tasks{clause} ORDER BY task_id DESC LIMIT ? OFFSET ?",
                               [*params, limit, offset]).fetchall()
        return RowPage([dict(r) for r in rows], total)

    def task_id_range(self) -> tuple[int, int] | None:
        """The lowest and highest indexed task id (None: no task indexed)."""
        low, high = self.db.execute("SELECT min(task_id), max(task_id) FROM tasks").fetchone()
        return None if low is None else (int(low), int(high))

    def registered_nodes(self, limit: int, offset: int) -> RowPage[NodeRegistration]:
        """Every node that ever registered (NodeRegistry's NodeRegistered), latest registration first."""
        latest = ("SELECT node, block_number, log_index, row_number() OVER (PARTITION BY node"
                  " ORDER BY block_number DESC, log_index DESC) AS nth FROM events"
                  " WHERE contract = 'NodeRegistry' AND name = 'NodeRegistered'")
        total = int(self.db.execute(f"SELECT count(*) FROM ({latest}) WHERE nth = 1").fetchone()[0])
        rows = self.db.execute(f"SELECT node, block_number FROM ({latest}) WHERE nth = 1"
                               " ORDER BY block_number DESC, log_index DESC LIMIT ? OFFSET ?",
                               (limit, offset)).fetchall()
        return RowPage([NodeRegistration(node=str(r["node"]), registered_block=int(r["block_number"])) for r in rows],
                    total)

    def node_events(self, node: str, limit: int) -> list[EventRow]:
        """The latest `limit` events naming `node`, newest first."""
        rows = self.db.execute("SELECT * FROM events WHERE node = ? ORDER BY block_number DESC, log_index DESC"
                               " LIMIT ?", (node.lower(), limit)).fetchall()
        return [_event_row(r) for r in rows]

    def node_assignments(self, node: str) -> list[NodeAssignmentRow]:
        """Every seat `node` had (applied or assigned), newest task first."""
        rows = self.db.execute(
            "SELECT n.task_id, n.assigned, n.result_digest, n.paid, n.bond, n.dropped, n.frozen_until, n.forfeited,"
            " t.status, t.token, t.budget, t.replication"
            " FROM task_nodes n JOIN tasks t ON t.task_id = n.task_id WHERE n.node = ? ORDER BY n.task_id DESC",
            (node.lower(),)).fetchall()
        return [NodeAssignmentRow(**dict(r)) for r in rows]  # type: ignore[typeddict-item]

    def contract_events(self, contracts: Sequence[str]) -> list[EventRow]:
        """Every event emitted by one of `contracts` (deployment names), in chain order."""
        if not contracts:
            return []
        marks = ",".join("?" for _ in contracts)
        rows = self.db.execute(f"SELECT * FROM events WHERE contract IN ({marks}) ORDER BY block_number, log_index",
                               list(contracts)).fetchall()
        return [_event_row(r) for r in rows]


def _event_row(row: sqlite3.Row) -> EventRow:
    return EventRow(block_number=int(row["block_number"]), log_index=int(row["log_index"]),
                    tx_hash=str(row["tx_hash"]), block_hash=str(row["block_hash"]), contract=str(row["contract"]),
                    name=str(row["name"]), task_id=row["task_id"], node=row["node"], args=json.loads(row["args"]))
