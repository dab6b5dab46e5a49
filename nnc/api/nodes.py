"""Node queries for the API: the node list, and one node's profile, stake, reputation, earnings and history."""

from __future__ import annotations

import json
from typing import Any

from web3 import Web3

from nnc.api.context import ApiContext
from nnc.api.presenters import present_event
from nnc.api.validation import Page
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.types import ETH

HISTORY_LIMIT = 500


def list_nodes(ctx: ApiContext, page: Page) -> dict[str, Any]:
    """Registered nodes (from NodeRegistered events), newest first, with their live stake and reputation."""
    with ctx.index() as index:
        rows = index.db.execute(
            "SELECT node, block_number FROM events WHERE name = 'NodeRegistered' AND contract = 'NodeRegistry'"
            " ORDER BY block_number DESC, log_index DESC").fetchall()
    seen: dict[str, int] = {}
    for r in rows:
        seen.setdefault(r["node"], int(r["block_number"]))
    addresses = list(seen)[page.offset: page.offset + page.limit]
    registry = Registry(ctx.client)
    items = []
    for address in addresses:
        view = registry.node(address)
        items.append({"address": Web3.to_checksum_address(address), "registered_block": seen[address],
                      "hardware_class": view.hardware_class, "staked": str(view.staked), "locked": str(view.locked),
                      "reputation": registry.reputation_of(address)})
    return {"items": items, "total": len(seen), "limit": page.limit, "offset": page.offset}


def get_node(ctx: ApiContext, address: str) -> dict[str, Any]:
    """One node: on-chain profile and stake, reputation, what it can claim, earnings, assignments, history.

    Any address has an answer (`registered` false and zeros for one that never registered), so the
    node dashboard of a wallet that is not a node yet shows the registration form, not an error.
    """
    registry = Registry(ctx.client)
    view = registry.node(address)
    with ctx.index() as index:
        history_rows = index.db.execute(
            "SELECT * FROM events WHERE node = ? ORDER BY block_number DESC, log_index DESC LIMIT ?",
            (address, HISTORY_LIMIT)).fetchall()
        assignments = index.db.execute(
            "SELECT n.task_id, n.assigned, n.result_digest, n.paid, n.bond, n.dropped, n.frozen_until, n.forfeited,"
            " t.status, t.token, t.budget, t.replication"
            " FROM task_nodes n JOIN tasks t ON t.task_id = n.task_id WHERE n.node = ? ORDER BY n.task_id DESC",
            (address,)).fetchall()
        tokens = {int(r["task_id"]): str(r["token"]) for r in assignments}
    history = [present_event(_decoded(r), ctx.sender_of(r["tx_hash"]), ctx.timestamp_of(r["block_number"]))
               for r in history_rows]
    nnt = ctx.deployment.address_of("NNToken")
    earnings = [{"task_id": e["task_id"], "block": e["block"], "timestamp": e["timestamp"],
                 "amount": e["args"]["amount"],
                 "token": tokens.get(int(e["task_id"]), ETH) if e["name"] == "NodePaid" else nnt,
                 "kind": "payment" if e["name"] == "NodePaid" else "bonus"}
                for e in reversed(history)
                if e["name"] in ("NodePaid", "BonusGranted") and e["contract"] == "TaskMarket"]
    market = Market(ctx.client)
    claimable = {"eth": str(market.claimable(address, ETH)), "nnt": str(market.claimable(address, nnt))}
    if ctx.has("RewardsPool"):
        claimable["bonus_nnt"] = str(ctx.call("RewardsPool", "claimable", Web3.to_checksum_address(address)))
    claimable["slashed_nnt"] = str(registry.contract.functions.claimable(Web3.to_checksum_address(address)).call())
    return {
        "address": Web3.to_checksum_address(address), "registered": view.registered,
        "profile": {"digest": "0x" + view.profile_digest.hex(), "hardware_class": view.hardware_class,
                    "registered_at": view.registered_at, "benchmark_score": view.benchmark_score,
                    "benchmark_attested_at": view.benchmark_attested_at,
                    "encryption_key": "0x" + view.encryption_key.hex()},
        "stake": {"staked": str(view.staked), "locked": str(view.locked), "free": str(view.staked - view.locked),
                  "unbonding": str(view.unbonding), "unbond_ready_at": view.unbond_ready_at,
                  "min_stake": str(registry.min_stake())},
        "reputation": registry.reputation_of(address),
        "balances": {"nnt": str(registry.nnt_balance(address)), "eth": str(ctx.w3.eth.get_balance(
            Web3.to_checksum_address(address)))},
        "claimable": claimable,
        "assignments": [{"task_id": r["task_id"], "assigned": bool(r["assigned"]), "status": str(r["status"]).lower(),
                         "token": r["token"], "budget": r["budget"], "replication": r["replication"],
                         "result_digest": r["result_digest"], "paid": r["paid"],
                         "bond": str(r["bond"]).lower(), "dropped": bool(r["dropped"]),
                         "frozen_until": r["frozen_until"], "forfeited": r["forfeited"]} for r in assignments],
        "earnings": earnings,
        "history": history,
    }


def _decoded(row: Any) -> dict[str, Any]:
    return {**dict(row), "args": json.loads(row["args"])}
