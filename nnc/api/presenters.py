"""Turning index rows and chain values into JSON-safe API objects (the types of `nnc.api.responses`).

Amounts and every other uint256 travel as decimal strings (a JavaScript number loses precision
above 2^53); addresses keep their checksum form where the chain gave one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnc.api.responses import Event, Task
from nnc.chain.types import TaskStatus


def json_safe(value: Any) -> Any:
    """Event arguments with integers as decimal strings (bools stay bools)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def present_event(row: Mapping[str, Any], actor: str, timestamp: int) -> Event:
    return {
        "block": row["block_number"], "log_index": row["log_index"], "tx": row["tx_hash"],
        "timestamp": timestamp, "actor": actor, "contract": row["contract"], "name": row["name"],
        "task_id": row["task_id"], "node": row["node"], "args": json_safe(row["args"]),
    }


def present_task_row(row: Mapping[str, Any], strategy_name: str | None) -> Task:
    return {
        "id": row["task_id"], "status": row["status"].lower(), "requester": row["requester"],
        "token": row["token"], "budget": row["budget"], "replication": row["replication"],
        "strategy": row["strategy"], "strategy_name": strategy_name,
        "spec_uri": row["spec_uri"], "spec_digest": row["spec_digest"],
        "apply_deadline": row["apply_deadline"], "deadline": row["deadline"],
        "applicants": row["applicants"], "submissions": row["submissions"],
        "result_digest": row["result_digest"], "paid": row["paid"], "fee": row["fee"], "refund": row["refund"],
        "quality": row["quality"],
        "accepted": None if row["accepted"] is None else bool(row["accepted"]),  # None: not scored
        "tied": bool(row["tied"]), "tie_ends_at": row["tie_ends_at"],
        "published_block": row["published_block"], "updated_block": row["updated_block"],
    }


def status_name(value: int) -> str:
    return TaskStatus(value).name.lower()
