"""Task queries for the API: the list with filters, one task with its nodes and payouts, its audit trace."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.presenters import present_event, present_task_row, status_name
from nnc.api.validation import Page, TaskFilters
from nnc.chain.market import Market
from nnc.oracle.index import EventIndex


def list_tasks(ctx: ApiContext, filters: TaskFilters, page: Page) -> dict[str, Any]:
    """Tasks newest first, filtered in SQL over the index's task projection."""
    where: list[str] = []
    params: list[Any] = []
    if filters.status is not None:
        where.append("status = ?")
        params.append(filters.status.name)
    if filters.requester is not None:
        where.append("lower(requester) = ?")
        params.append(filters.requester)
    if filters.token is not None:
        where.append("lower(token) = ?")
        params.append(filters.token)
    if filters.node is not None:
        where.append("task_id IN (SELECT task_id FROM task_nodes WHERE node = ?)")
        params.append(filters.node)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with ctx.index() as index:
        total = int(index.db.execute(f"SELECT count(*) FROM tasks{clause}", params).fetchone()[0])
        rows = index.db.execute(f"SELECT * FROM tasks{clause} ORDER BY task_id DESC LIMIT ? OFFSET ?",
                                [*params, page.limit, page.offset]).fetchall()
        items = [present_task_row(dict(r), ctx.strategy_name(r["strategy"])) for r in rows]
        indexed = index.last_block
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset, "indexed_block": indexed}


def get_task(ctx: ApiContext, task_id: int) -> dict[str, Any]:
    """The indexed task, its live on-chain view, its nodes and what each was paid."""
    with ctx.index() as index:
        row = _task_row(index, task_id)
        nodes = index.task_nodes(task_id)
        bonuses = {e["node"]: str(e["args"]["amount"]) for e in index.events(task_id) if e["name"] == "BonusGranted"}
    view = Market(ctx.client).task(task_id)
    task = present_task_row(row, ctx.strategy_name(row["strategy"]))
    task["chain"] = {
        "status": status_name(view.status), "collateral": str(view.collateral),
        "compute_units": view.compute_units, "min_hardware_class": view.min_hardware_class,
        "min_reputation": view.min_reputation, "quality_score": view.quality_score,
        "assigned_at": view.assigned_at, "submitted_at": view.submitted_at,
        "result_digest": "0x" + view.result_digest.hex(), "active": view.active, "tied": view.tied,
        "challenge_ends_at": view.challenge_ends_at, "proofs": view.proofs_enabled, "rejected": view.rejected,
    }
    task["token_symbol"] = token_symbol(ctx, row["token"])
    task["nodes"] = [{"node": n["node"], "assigned": bool(n["assigned"]), "result_digest": n["result_digest"],
                      "result_uri": n["result_uri"], "paid": n["paid"], "bonus": bonuses.get(n["node"]),
                      "bond": str(n["bond"]).lower(), "dropped": bool(n["dropped"]), "frozen_until": n["frozen_until"],
                      "forfeited": n["forfeited"]}
                     for n in nodes]
    return task


def task_trace(ctx: ApiContext, task_id: int) -> dict[str, Any]:
    """Every on-chain event of a task, of every protocol contract, in chain order, with its actor."""
    with ctx.index() as index:
        _task_row(index, task_id)
        events = index.events(task_id)
        indexed = index.last_block
    trace = [present_event(e, ctx.sender_of(e["tx_hash"]), ctx.timestamp_of(e["block_number"])) for e in events]
    return {"task_id": task_id, "events": trace, "indexed_block": indexed}


def token_symbol(ctx: ApiContext, token: str) -> str:
    if int(token, 16) == 0:
        return "ETH"
    if ctx.has("NNToken") and ctx.deployment.address_of("NNToken").lower() == token.lower():
        return "NNT"
    return Web3.to_checksum_address(token)


def _task_row(index: EventIndex, task_id: int) -> dict[str, Any]:
    row = index.task(task_id)
    if row is None:
        raise NotFoundError(f"unknown task {task_id} (indexed tasks: {_known(index)})")
    return row


def _known(index: EventIndex) -> str:
    low, high = index.db.execute("SELECT min(task_id), max(task_id) FROM tasks").fetchone()
    return "none" if low is None else f"{low}..{high}"


__all__ = ["get_task", "list_tasks", "task_trace", "token_symbol"]
