"""Node queries for the API: the node list, and one node's profile, stake, reputation, earnings and history."""

from __future__ import annotations

from web3 import Web3

from nnc.api.context import ApiContext
from nnc.api.presenters import present_event
from nnc.api.responses import Event, NodeAssignment, NodeClaimable, NodeDetail, NodeEarning, NodeList, NodeSummary
from nnc.api.validation import Page
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.rewards import RewardsPool
from nnc.chain.types import ETH
from nnc.oracle.index_queries import NodeAssignmentRow

HISTORY_LIMIT = 500


def list_nodes(ctx: ApiContext, page: Page) -> NodeList:
    """Registered nodes (from NodeRegistered events), newest first, with their live stake and reputation."""
    with ctx.index() as index:
        found = index.queries.registered_nodes(page.limit, page.offset)
    registry = Registry(ctx.client)
    items: list[NodeSummary] = []
    for registration in found.items:
        address = registration["node"]
        view = registry.node(address)
        items.append({"address": Web3.to_checksum_address(address),
                      "registered_block": registration["registered_block"],
                      "hardware_class": view.hardware_class, "staked": str(view.staked), "locked": str(view.locked),
                      "reputation": registry.reputation_of(address)})
    return {"items": items, "total": found.total, "limit": page.limit, "offset": page.offset}


def get_node(ctx: ApiContext, address: str) -> NodeDetail:
    """One node: on-chain profile and stake, reputation, what it can claim, earnings, assignments, history.

    Any address has an answer (`registered` false and zeros for one that never registered), so the
    node dashboard of a wallet that is not a node yet shows the registration form, not an error.
    """
    registry = Registry(ctx.client)
    view = registry.node(address)
    with ctx.index() as index:
        history_rows = index.queries.node_events(address, HISTORY_LIMIT)
        assignments = index.queries.node_assignments(address)
    history = [present_event(r, ctx.sender_of(r["tx_hash"]), ctx.timestamp_of(r["block_number"]))
               for r in history_rows]
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
        "claimable": _claimable(ctx, address),
        "assignments": [_assignment(r) for r in assignments],
        "earnings": _earnings(ctx, history, assignments),
        "history": history,
    }


def _claimable(ctx: ApiContext, address: str) -> NodeClaimable:
    """What the node can pull: market payouts per token, pool bonuses, its share of slashed stake."""
    market = Market(ctx.client)
    nnt = ctx.deployment.address_of("NNToken")
    claimable: NodeClaimable = {"eth": str(market.claimable(address, ETH)), "nnt": str(market.claimable(address, nnt)),
                                "slashed_nnt": str(Registry(ctx.client).claimable(address))}
    if ctx.has("RewardsPool"):
        claimable["bonus_nnt"] = str(RewardsPool(ctx.client).claimable(address))
    return claimable


def _earnings(ctx: ApiContext, history: list[Event], assignments: list[NodeAssignmentRow]) -> list[NodeEarning]:
    """Payments (in the task's token) and NNT bonuses, oldest first, from the node's market events."""
    tokens = {int(r["task_id"]): str(r["token"]) for r in assignments}
    nnt = ctx.deployment.address_of("NNToken")
    return [{"task_id": e["task_id"], "block": e["block"], "timestamp": e["timestamp"],
             "amount": e["args"]["amount"],
             "token": tokens.get(int(e["task_id"] or 0), ETH) if e["name"] == "NodePaid" else nnt,
             "kind": "payment" if e["name"] == "NodePaid" else "bonus"}
            for e in reversed(history)
            if e["name"] in ("NodePaid", "BonusGranted") and e["contract"] == "TaskMarket"]


def _assignment(r: NodeAssignmentRow) -> NodeAssignment:
    return {"task_id": r["task_id"], "assigned": bool(r["assigned"]), "status": str(r["status"]).lower(),
            "token": r["token"], "budget": r["budget"], "replication": r["replication"],
            "result_digest": r["result_digest"], "paid": r["paid"],
            "bond": str(r["bond"]).lower(), "dropped": bool(r["dropped"]),
            "frozen_until": r["frozen_until"], "forfeited": r["forfeited"]}
