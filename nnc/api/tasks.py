"""Task queries for the API: the list with filters, one task with its nodes and payouts, its audit trace."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.presenters import present_event, present_task_row, status_name
from nnc.api.responses import TaskChainView, TaskDetail, TaskList, TaskNode, Trace
from nnc.api.validation import Page
from nnc.chain.market import Market
from nnc.chain.types import TaskView
from nnc.oracle.index import EventIndex
from nnc.oracle.index_queries import TaskFilter


def list_tasks(ctx: ApiContext, filters: TaskFilter, page: Page) -> TaskList:
    """Tasks newest first, filtered over the index's task projection."""
    with ctx.index() as index:
        found = index.queries.tasks_page(filters, page.limit, page.offset)
        indexed = index.last_block
    items = [present_task_row(r, ctx.strategy_name(r["strategy"])) for r in found.items]
    return {"items": items, "total": found.total, "limit": page.limit, "offset": page.offset,
            "indexed_block": indexed}


def get_task(ctx: ApiContext, task_id: int) -> TaskDetail:
    """The indexed task, its live on-chain view, its nodes and what each was paid."""
    with ctx.index() as index:
        row = require_task(index, task_id)
        seats = index.task_nodes(task_id)
        bonuses = {e["node"]: str(e["args"]["amount"]) for e in index.events(task_id) if e["name"] == "BonusGranted"}
    nodes: list[TaskNode] = [
        {"node": n["node"], "assigned": bool(n["assigned"]), "result_digest": n["result_digest"],
         "result_uri": n["result_uri"], "paid": n["paid"], "bonus": bonuses.get(n["node"]),
         "bond": str(n["bond"]).lower(), "dropped": bool(n["dropped"]), "frozen_until": n["frozen_until"],
         "forfeited": n["forfeited"]}
        for n in seats]
    return {**present_task_row(row, ctx.strategy_name(row["strategy"])),
            "chain": _chain_view(Market(ctx.client).task(task_id)),
            "token_symbol": token_symbol(ctx, row["token"]), "nodes": nodes}


def task_trace(ctx: ApiContext, task_id: int) -> Trace:
    """Every on-chain event of a task, of every protocol contract, in chain order, with its actor."""
    with ctx.index() as index:
        require_task(index, task_id)
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


def _chain_view(view: TaskView) -> TaskChainView:
    return {
        "status": status_name(view.status), "collateral": str(view.collateral),
        "compute_units": view.compute_units, "min_hardware_class": view.min_hardware_class,
        "min_reputation": view.min_reputation, "quality_score": view.quality_score,
        "assigned_at": view.assigned_at, "submitted_at": view.submitted_at,
        "result_digest": "0x" + view.result_digest.hex(), "active": view.active, "tied": view.tied,
        "challenge_ends_at": view.challenge_ends_at, "proofs": view.proofs_enabled, "rejected": view.rejected,
    }


def require_task(index: EventIndex, task_id: int) -> dict[str, Any]:
    """The indexed task; NotFoundError naming the indexed range when there is none."""
    row = index.task(task_id)
    if row is None:
        known = index.queries.task_id_range()
        shown = "none" if known is None else f"{known[0]}..{known[1]}"
        raise NotFoundError(f"unknown task {task_id} (indexed tasks: {shown})")
    return row


__all__ = ["get_task", "list_tasks", "require_task", "task_trace", "token_symbol"]
