"""The oracle's SQLite index of protocol events, with a task projection, rebuildable from chain.

Each event is stored once under its (block, log index) key; the task projection is updated
only when the event row is new, so feeding the same range twice changes nothing. The last
processed block is written in the same SQLite transaction as the events of that range.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nnc.chain.events import ChainEvent
from nnc.chain.types import Bond, TaskStatus
from nnc.oracle.index_queries import IndexQueries

SCHEMA_VERSION = "3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL,
    block_hash TEXT NOT NULL, contract TEXT NOT NULL, name TEXT NOT NULL,
    task_id INTEGER, node TEXT, args TEXT NOT NULL,
    PRIMARY KEY (block_number, log_index));
CREATE INDEX IF NOT EXISTS events_task ON events(task_id);
CREATE INDEX IF NOT EXISTS events_node ON events(node);
CREATE TABLE IF NOT EXISTS tasks (
    task_id INTEGER PRIMARY KEY, requester TEXT NOT NULL, token TEXT NOT NULL, budget TEXT NOT NULL,
    spec_digest TEXT NOT NULL, spec_uri TEXT NOT NULL, replication INTEGER NOT NULL,
    strategy TEXT NOT NULL, apply_deadline INTEGER NOT NULL, deadline INTEGER NOT NULL,
    status TEXT NOT NULL, applicants INTEGER NOT NULL DEFAULT 0, submissions INTEGER NOT NULL DEFAULT 0,
    result_digest TEXT, paid TEXT, fee TEXT, refund TEXT, quality INTEGER,
    accepted INTEGER, tied INTEGER NOT NULL DEFAULT 0, tie_ends_at INTEGER,
    published_block INTEGER NOT NULL, updated_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS task_nodes (
    task_id INTEGER NOT NULL, node TEXT NOT NULL, assigned INTEGER NOT NULL DEFAULT 0,
    result_digest TEXT, result_uri TEXT, paid TEXT,
    bond TEXT NOT NULL DEFAULT 'NONE', dropped INTEGER NOT NULL DEFAULT 0, frozen_until INTEGER,
    forfeited TEXT,
    PRIMARY KEY (task_id, node));
CREATE TABLE IF NOT EXISTS audit_records (task_id INTEGER PRIMARY KEY, uri TEXT NOT NULL);
"""

class EventIndex:
    """Events and tasks of one deployment, in a SQLite file."""

    def __init__(self, path: Path, deployment_key: str, start_block: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self._migrate()
        self.start_block = start_block
        known = self._meta("deployment")
        if known is not None and known != deployment_key:
            self.reset()  # another deployment (a new devnet): rebuild from its first block
        self._set_meta("deployment", deployment_key)

    def _migrate(self) -> None:
        """Creates the tables; an index of another schema version is dropped and rebuilt from chain."""
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if self._meta("schema") not in (None, SCHEMA_VERSION):
            for table in ("events", "tasks", "task_nodes", "audit_records"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            self.db.execute("DELETE FROM meta")
        self.db.executescript(SCHEMA)
        self._set_meta("schema", SCHEMA_VERSION)

    # -- position --------------------------------------------------------------------------

    @property
    def last_block(self) -> int:
        value = self._meta("last_block")
        return int(value) if value is not None else self.start_block - 1

    def reset(self) -> None:
        """Forgets everything; the next `ingest` rebuilds the index from the deployment's start."""
        with self._tx():
            for table in ("events", "tasks", "task_nodes", "audit_records"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key IN ('last_block', 'last_block_hash')")

    def ingest(self, events: Iterable[ChainEvent], up_to_block: int, block_hash: str | None = None) -> int:
        """Stores the events of a range and moves the position to `up_to_block`, atomically;
        `block_hash`, the hash of `up_to_block`, lets a later sync notice a reorganisation.

        Returns how many events were new.
        """
        new = 0
        with self._tx():
            for event in events:
                if self._insert(event):
                    self._project(event)
                    new += 1
            if up_to_block >= self.last_block:
                self._set_meta("last_block", str(up_to_block))
                if block_hash is not None:
                    self._set_meta("last_block_hash", block_hash)
        return new

    @property
    def last_block_hash(self) -> str | None:
        """Hash of `last_block` as it was indexed (None: not recorded)."""
        return self._meta("last_block_hash")

    def heads(self) -> dict[int, str]:
        """The one head the index remembers, as a `ChainFollower`'s cursor: `last_block` and its
        hash (none before the first block is indexed). Events are the index's only source, so
        after a reorganisation it is rebuilt from the start (`reset`), not rewound."""
        known = self.last_block_hash
        if known is None or self.last_block < self.start_block:
            return {}
        return {self.last_block: known}

    # -- reads -----------------------------------------------------------------------------

    def task(self, task_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        return dict(row) if row else None

    def tasks(self, status: TaskStatus | None = None) -> list[dict[str, Any]]:
        if status is None:
            rows = self.db.execute("SELECT * FROM tasks ORDER BY task_id").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM tasks WHERE status = ? ORDER BY task_id",
                                   (status.name,)).fetchall()
        return [dict(r) for r in rows]

    def open_tasks(self) -> list[dict[str, Any]]:
        """Tasks not in a final status, by id: what the oracle pokes each round (final ones are
        left out, so a round's cost follows the open tasks, not every task ever published)."""
        rows = self.db.execute(f"SELECT * FROM tasks WHERE status IN ({_OPEN_PLACEHOLDERS}) ORDER BY task_id",
                               _OPEN_STATUSES).fetchall()
        return [dict(r) for r in rows]

    def unarchived_final_tasks(self) -> list[int]:
        """Tasks in a final status whose audit record has not been archived yet, by id."""
        rows = self.db.execute(
            f"SELECT task_id FROM tasks WHERE status NOT IN ({_OPEN_PLACEHOLDERS}) AND task_id NOT IN "
            "(SELECT task_id FROM audit_records) ORDER BY task_id", _OPEN_STATUSES).fetchall()
        return [int(r[0]) for r in rows]

    def task_nodes(self, task_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM task_nodes WHERE task_id = ? ORDER BY node", (task_id,))
        return [dict(r) for r in rows.fetchall()]

    def frozen_nodes(self) -> list[dict[str, Any]]:
        """Seats whose collateral is frozen (outvoted where results are proven), oldest task first:
        each is released by anyone once its `frozen_until` has passed, unless challenged (Held)."""
        rows = self.db.execute("SELECT * FROM task_nodes WHERE bond = ? ORDER BY task_id, node", (Bond.FROZEN.name,))
        return [dict(r) for r in rows.fetchall()]

    def events(self, task_id: int | None = None, name: str | None = None) -> list[dict[str, Any]]:
        """Events in chain order, for one task or all, of one name or all: the audit trace."""
        where: list[str] = []
        params: list[Any] = []
        if task_id is not None:
            where.append("task_id = ?")
            params.append(task_id)
        if name is not None:
            where.append("name = ?")
            params.append(name)
        query = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.db.execute(query + " ORDER BY block_number, log_index", params).fetchall()
        return [{**dict(r), "args": json.loads(r["args"])} for r in rows]

    @property
    def queries(self) -> IndexQueries:
        """The explorer's queries (pages of tasks, node histories, contract events) over this index."""
        return IndexQueries(self.db)

    def unspent_spot_check_fees(self) -> list[int]:
        """Tasks whose spot-check fee was escrowed (`SpotCheckEnabled`) and, as far as the index
        has seen, neither paid to a verifier, lapsed back nor refunded."""
        rows = self.db.execute(
            "SELECT DISTINCT e.task_id FROM events e WHERE e.contract = 'SpotCheck' AND e.name = 'SpotCheckEnabled'"
            " AND NOT EXISTS (SELECT 1 FROM events x WHERE x.task_id = e.task_id AND x.contract = 'SpotCheck'"
            " AND x.name IN ('VerificationReported', 'VerificationLapsed', 'FeeRefunded'))"
            " ORDER BY e.task_id").fetchall()
        return [int(r[0]) for r in rows]

    def audit_uri(self, task_id: int) -> str | None:
        """Where the audit record of a finished task was archived (None: not yet)."""
        row = self.db.execute("SELECT uri FROM audit_records WHERE task_id = ?", (task_id,)).fetchone()
        return str(row[0]) if row else None

    def set_audit_uri(self, task_id: int, uri: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO audit_records (task_id, uri) VALUES (?, ?)", (task_id, uri))

    def close(self) -> None:
        self.db.close()

    # -- internals -------------------------------------------------------------------------

    def _insert(self, e: ChainEvent) -> bool:
        task_id = e.args.get("taskId")
        node = e.args.get("node")
        cur = self.db.execute(
            "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?)",
            (e.block_number, e.log_index, e.tx_hash, e.block_hash, e.contract, e.name,
             task_id, node.lower() if isinstance(node, str) else None, json.dumps(e.args)))
        return cur.rowcount == 1

    def _project(self, e: ChainEvent) -> None:
        """Updates the task projection from a new event, by the table of projections below."""
        projection = _PROJECTIONS.get((e.contract, e.name))
        if projection is not None and "taskId" in e.args:
            projection(self, int(e.args["taskId"]), e)

    def _task_published(self, task_id: int, e: ChainEvent) -> None:
        a = e.args
        self.db.execute(
            "INSERT OR IGNORE INTO tasks (task_id, requester, token, budget, spec_digest, spec_uri,"
            " replication, strategy, apply_deadline, deadline, status, published_block, updated_block)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (task_id, a["requester"], a["token"], str(a["budget"]), a["specDigest"], a["specURI"],
             a["replication"], a["strategy"], a["applyDeadline"], a["deadline"],
             TaskStatus.PUBLISHED.name, e.block_number, e.block_number))

    def _task_status_changed(self, task_id: int, e: ChainEvent) -> None:
        to = TaskStatus(e.args["to"])
        self._update_task(task_id, e.block_number, status=to.name)
        if to == TaskStatus.FAILED:  # every assignee gave up: the whole budget went back
            self.db.execute("UPDATE tasks SET refund = budget WHERE task_id = ?", (task_id,))

    def _node_applied(self, task_id: int, e: ChainEvent) -> None:
        self.db.execute("INSERT OR IGNORE INTO task_nodes (task_id, node) VALUES (?, ?)",
                        (task_id, e.args["node"].lower()))
        self.db.execute("UPDATE tasks SET applicants = applicants + 1 WHERE task_id = ?", (task_id,))

    def _applicant_dropped(self, task_id: int, e: ChainEvent) -> None:
        """No longer eligible: its slot taken, or dropped at assignment."""
        self._update_node(task_id, e.args["node"], forfeited=str(e.args["forfeited"]))
        self.db.execute("UPDATE tasks SET applicants = MAX(applicants - 1, 0) WHERE task_id = ? AND status = ?",
                        (task_id, TaskStatus.PUBLISHED.name))

    def _bond_changed(self, task_id: int, e: ChainEvent) -> None:
        self._update_node(task_id, e.args["node"], bond=Bond(e.args["to"]).name)

    def _node_dropped_out(self, task_id: int, e: ChainEvent) -> None:
        """Missed the deadline or abandoned the task: the others go on."""
        self._update_node(task_id, e.args["node"], dropped=1, forfeited=str(e.args["slashed"]))

    def _node_slashed(self, task_id: int, e: ChainEvent) -> None:
        """Out of the task by arbitration; its share is refunded at settlement."""
        self._update_node(task_id, e.args["node"], forfeited=str(e.args["collateral"]))

    def _node_frozen(self, task_id: int, e: ChainEvent) -> None:
        self._update_node(task_id, e.args["node"], frozen_until=int(e.args["until"]))

    def _task_tied(self, task_id: int, e: ChainEvent) -> None:
        self._update_task(task_id, e.block_number, tied=1, tie_ends_at=int(e.args["endsAt"]))

    def _task_assigned(self, task_id: int, e: ChainEvent) -> None:
        for node in e.args["nodes"]:
            self.db.execute("INSERT INTO task_nodes (task_id, node, assigned) VALUES (?, ?, 1) "
                            "ON CONFLICT (task_id, node) DO UPDATE SET assigned = 1", (task_id, node.lower()))

    def _result_submitted(self, task_id: int, e: ChainEvent) -> None:
        """A commitment: where the model lives is revealed later."""
        self.db.execute("UPDATE task_nodes SET result_digest = ? WHERE task_id = ? AND node = ?",
                        (e.args["agreementKey"], task_id, e.args["node"].lower()))
        self.db.execute("UPDATE tasks SET submissions = submissions + 1 WHERE task_id = ?", (task_id,))

    def _result_revealed(self, task_id: int, e: ChainEvent) -> None:
        self._update_node(task_id, e.args["node"], result_uri=e.args["resultURI"])

    def _node_paid(self, task_id: int, e: ChainEvent) -> None:
        self.db.execute("UPDATE task_nodes SET paid = ? WHERE task_id = ? AND node = ?",
                        (str(e.args["amount"]), task_id, e.args["node"].lower()))

    def _task_settled(self, task_id: int, e: ChainEvent) -> None:
        a = e.args
        self._update_task(task_id, e.block_number, result_digest=a["agreementKey"], paid=str(a["paid"]),
                          fee=str(a["fee"]), refund=str(a["refund"]))

    def _quality_reported(self, task_id: int, e: ChainEvent) -> None:
        self._update_task(task_id, e.block_number, quality=int(e.args["score"]),
                          accepted=int(bool(e.args["accepted"])))

    def _budget_refunded(self, task_id: int, e: ChainEvent) -> None:
        """Cancelled or expired: the budget went back to the requester."""
        self._update_task(task_id, e.block_number, refund=str(e.args["refund"]))

    def _update_node(self, task_id: int, node: str, **fields: Any) -> None:
        self.db.execute("INSERT OR IGNORE INTO task_nodes (task_id, node) VALUES (?, ?)", (task_id, node.lower()))
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE task_nodes SET {assignments} WHERE task_id = ? AND node = ?",
                        (*fields.values(), task_id, node.lower()))

    def _update_task(self, task_id: int, block: int, **fields: Any) -> None:
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE tasks SET {assignments}, updated_block = ? WHERE task_id = ?",
                        (*fields.values(), block, task_id))

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)


_OPEN_STATUSES = tuple(s.name for s in TaskStatus if not s.is_final)
_OPEN_PLACEHOLDERS = ",".join("?" * len(_OPEN_STATUSES))

_PROJECTIONS: dict[tuple[str, str], Callable[[EventIndex, int, ChainEvent], None]] = {
    ("TaskMarket", "TaskPublished"): EventIndex._task_published,
    ("TaskMarket", "TaskStatusChanged"): EventIndex._task_status_changed,
    ("TaskMarket", "NodeApplied"): EventIndex._node_applied,
    ("TaskMarket", "ApplicantDropped"): EventIndex._applicant_dropped,
    ("TaskMarket", "BondChanged"): EventIndex._bond_changed,
    ("TaskMarket", "NodeMissed"): EventIndex._node_dropped_out,
    ("TaskMarket", "TaskAbandoned"): EventIndex._node_dropped_out,
    ("TaskMarket", "NodeSlashed"): EventIndex._node_slashed,
    ("TaskMarket", "NodeFrozen"): EventIndex._node_frozen,
    ("TaskMarket", "TaskTied"): EventIndex._task_tied,
    ("TaskMarket", "TaskAssigned"): EventIndex._task_assigned,
    ("TaskMarket", "ResultSubmitted"): EventIndex._result_submitted,
    ("TaskMarket", "ResultRevealed"): EventIndex._result_revealed,
    ("TaskMarket", "NodePaid"): EventIndex._node_paid,
    ("TaskMarket", "TaskSettled"): EventIndex._task_settled,
    ("TaskMarket", "QualityReported"): EventIndex._quality_reported,
    ("TaskMarket", "TaskCancelled"): EventIndex._budget_refunded,
    ("TaskMarket", "TaskExpired"): EventIndex._budget_refunded,
}
"""How each event updates the task projection: (contract, event name) -> projection. Every
event is stored in `events` whether or not it projects."""


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
