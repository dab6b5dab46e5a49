"""Disputes and governance proposals, as far as the deployment has the contracts for them.

Arbitration and the Governor are optional parts of a deployment: when the deployment file lists
no contract that emits their events, the lists are empty and `available` is false, so clients
show an empty state. Both are read from the index, which stores every event of every deployed
contract: disputes are the events that carry a `disputeId`, proposals the OpenZeppelin Governor
events keyed by `proposalId`; a proposal's state is read live from its governor.
"""

from __future__ import annotations

import json
from typing import Any

from web3.exceptions import Web3Exception

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.presenters import present_event

GOVERNOR_EVENTS = ("ProposalCreated", "VoteCast", "VoteCastWithParams", "ProposalQueued", "ProposalExecuted",
                   "ProposalCanceled")
# OpenZeppelin IGovernor.ProposalState, in order.
PROPOSAL_STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed")


def contracts_with_event(ctx: ApiContext, event: str) -> list[str]:
    """Deployed contracts whose ABI declares `event` (e.g. the governor for ProposalCreated)."""
    found = []
    for name in ctx.deployment.addresses:
        abi = ctx.client.artifacts.get(name).abi
        if any(e.get("type") == "event" and e.get("name") == event for e in abi):
            found.append(name)
    return found


def arbitration_contracts(ctx: ApiContext) -> list[str]:
    found = []
    for name in ctx.deployment.addresses:
        abi = ctx.client.artifacts.get(name).abi
        if any(e.get("type") == "event" and any(i.get("name") == "disputeId" for i in e.get("inputs", []))
               for e in abi):
            found.append(name)
    return found


def list_disputes(ctx: ApiContext) -> dict[str, Any]:
    contracts = arbitration_contracts(ctx)
    items = group_disputes(_events_of(ctx, contracts)) if contracts else []
    return {"available": bool(contracts), "contracts": contracts, "items": items}


def group_disputes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Disputes from their events (presented, in chain order): task, node, evidence, votes, status."""
    disputes: dict[str, dict[str, Any]] = {}
    for event in events:
        a = event["args"]
        dispute_id = a.get("disputeId")
        if dispute_id is None:
            continue
        entry = disputes.setdefault(dispute_id, {
            "id": dispute_id, "contract": event["contract"], "task_id": None, "node": None,
            "opened_block": event["block"], "status": "open", "evidence": [],
            "votes": {"slash": "0", "release": "0"}, "events": []})
        if event["task_id"] is not None:
            entry["task_id"] = event["task_id"]
        entry["node"] = a.get("node", entry["node"])
        if a.get("evidenceURI"):
            entry["evidence"].append(a["evidenceURI"])
        if "slash" in a and "weight" in a:  # a vote: weight for slashing or for releasing
            side = "slash" if a["slash"] else "release"
            entry["votes"][side] = str(int(entry["votes"][side]) + int(a["weight"]))
        entry["status"] = _dispute_status(event["name"], a, entry["status"])
        entry["events"].append(event)
    return list(disputes.values())


def get_dispute(ctx: ApiContext, dispute_id: int) -> dict[str, Any]:
    for item in list_disputes(ctx)["items"]:
        if item["id"] == str(dispute_id):
            return dict(item)
    raise NotFoundError(f"unknown dispute {dispute_id}")


def list_proposals(ctx: ApiContext) -> dict[str, Any]:
    governors = contracts_with_event(ctx, "ProposalCreated")
    proposals: dict[str, dict[str, Any]] = {}
    if governors:
        for event in _events_of(ctx, governors):
            if event["name"] not in GOVERNOR_EVENTS:
                continue
            proposal_id = event["args"].get("proposalId")
            if event["name"] == "ProposalCreated":
                a = event["args"]
                proposals[proposal_id] = {
                    "id": proposal_id, "governor": event["contract"], "proposer": a.get("proposer"),
                    "description": a.get("description"), "targets": a.get("targets", []),
                    "values": a.get("values", []), "calldatas": a.get("calldatas", []),
                    "vote_start": a.get("voteStart"), "vote_end": a.get("voteEnd"),
                    "created_block": event["block"], "votes": [], "events": []}
            entry = proposals.get(proposal_id)
            if entry is None:
                continue
            entry["events"].append(event)
            if event["name"].startswith("VoteCast"):
                entry["votes"].append({"voter": event["args"].get("voter"), "support": event["args"].get("support"),
                                       "weight": event["args"].get("weight"), "block": event["block"]})
        for entry in proposals.values():
            entry["state"] = _proposal_state(ctx, entry["governor"], int(entry["id"]))
    return {"available": bool(governors), "contracts": governors, "items": list(proposals.values())}


def get_proposal(ctx: ApiContext, proposal_id: int) -> dict[str, Any]:
    for item in list_proposals(ctx)["items"]:
        if item["id"] == str(proposal_id):
            return dict(item)
    raise NotFoundError(f"unknown proposal {proposal_id}")


def _events_of(ctx: ApiContext, contracts: list[str]) -> list[dict[str, Any]]:
    marks = ",".join("?" for _ in contracts)
    with ctx.index() as index:
        rows = index.db.execute(f"SELECT * FROM events WHERE contract IN ({marks}) ORDER BY block_number, log_index",
                                contracts).fetchall()
    return [present_event({**dict(r), "args": json.loads(r["args"])}, ctx.sender_of(r["tx_hash"]),
                          ctx.timestamp_of(r["block_number"])) for r in rows]


def _dispute_status(event_name: str, args: dict[str, Any], current: str) -> str:
    """open, then slashed or released once resolved (from the outcome's `slashed` flag when given)."""
    lowered = event_name.lower()
    if "resolved" in lowered and "slashed" in args:
        return "slashed" if args["slashed"] else "released"
    for word in ("slashed", "released", "resolved", "cancelled"):
        if word in lowered:
            return word
    return current


def _proposal_state(ctx: ApiContext, governor: str, proposal_id: int) -> str:
    try:
        value = int(ctx.call(governor, "state", proposal_id))
    except (Web3Exception, ValueError, AttributeError):  # no `state`, or the read reverted: unknown
        return "unknown"
    return PROPOSAL_STATES[value] if 0 <= value < len(PROPOSAL_STATES) else str(value)


__all__ = ["get_dispute", "get_proposal", "list_disputes", "list_proposals"]
