"""Disputes and governance proposals, as far as the deployment has the contracts for them.

Arbitration and the Governor are optional parts of a deployment: when the deployment file lists
no contract that emits their events, the lists are empty and `available` is false, so clients
show an empty state. Both are read from the index, which stores every event of every deployed
contract: disputes are the events that carry a `disputeId` (grouped by it), proposals the
OpenZeppelin Governor events keyed by `proposalId`. What each has come to is read from the
contracts: a dispute's status from Arbitration, a proposal's state from its governor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from web3.exceptions import Web3Exception

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.presenters import present_event
from nnc.api.responses import (
    Dispute,
    DisputeList,
    Event,
    GovernedParameter,
    GovernedParameterList,
    Proposal,
    ProposalList,
)
from nnc.chain.dispute import Arbitration, DisputeView
from nnc.chain.governance import Governance
from nnc.chain.governed import current_value, governed_parameters

GOVERNOR_EVENTS = ("ProposalCreated", "VoteCast", "VoteCastWithParams", "ProposalQueued", "ProposalExecuted",
                   "ProposalCanceled")
NO_DISPUTE = "0"
"""The `disputeId` of an event that opened none (a spot check that passed): dispute ids start at 1."""


def contracts_with_event(ctx: ApiContext, event: str) -> list[str]:
    """Deployed contracts whose ABI declares `event` (e.g. the governor for ProposalCreated)."""
    found = []
    for name in ctx.deployment.addresses:
        abi = ctx.client.artifacts.get(name).abi
        if any(e.get("type") == "event" and e.get("name") == event for e in abi):
            found.append(name)
    return found


def arbitration_contracts(ctx: ApiContext) -> list[str]:
    """Deployed contracts with an event that carries a `disputeId` (Arbitration, SpotCheck)."""
    found = []
    for name in ctx.deployment.addresses:
        abi = ctx.client.artifacts.get(name).abi
        if any(e.get("type") == "event" and any(i.get("name") == "disputeId" for i in e.get("inputs", []))
               for e in abi):
            found.append(name)
    return found


def list_disputes(ctx: ApiContext) -> DisputeList:
    contracts = arbitration_contracts(ctx)
    items: list[Dispute] = []
    if contracts and ctx.has("Arbitration"):
        arbitration = Arbitration(ctx.client)
        items = group_disputes(_events_of(ctx, contracts), arbitration.dispute)
    return {"available": bool(contracts), "contracts": contracts, "items": items}


def group_disputes(events: list[Event], state_of: Callable[[int], DisputeView]) -> list[Dispute]:
    """Disputes from their events (presented, in chain order): task, node, evidence, events; the
    status and the votes on each side are `state_of(dispute id)`'s, as the arbitration contract
    holds them (its tally is the one that decides, whatever the events say)."""
    disputes: dict[str, Dispute] = {}
    for event in events:
        a = event["args"]
        dispute_id = a.get("disputeId")
        if dispute_id is None or str(dispute_id) == NO_DISPUTE:
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
        entry["events"].append(event)
    for entry in disputes.values():
        state = state_of(int(entry["id"]))
        entry["status"] = state.status.name.lower()
        entry["votes"] = {"slash": str(state.slash_votes), "release": str(state.release_votes)}
    return list(disputes.values())


def get_dispute(ctx: ApiContext, dispute_id: int) -> Dispute:
    for item in list_disputes(ctx)["items"]:
        if item["id"] == str(dispute_id):
            return item
    raise NotFoundError(f"unknown dispute {dispute_id}")


def list_proposals(ctx: ApiContext) -> ProposalList:
    governors = contracts_with_event(ctx, "ProposalCreated")
    proposals: dict[str, Proposal] = {}
    if governors:
        for event in _events_of(ctx, governors):
            if event["name"] not in GOVERNOR_EVENTS:
                continue
            if event["args"].get("proposalId") is None:
                continue
            proposal_id = str(event["args"]["proposalId"])
            if event["name"] == "ProposalCreated":
                a = event["args"]
                proposals[proposal_id] = {
                    "id": proposal_id, "governor": event["contract"], "proposer": a.get("proposer"),
                    "description": a.get("description"), "targets": a.get("targets", []),
                    "values": a.get("values", []), "calldatas": a.get("calldatas", []),
                    "vote_start": a.get("voteStart"), "vote_end": a.get("voteEnd"),
                    "created_block": event["block"], "state": "unknown", "votes": [], "events": []}
            entry = proposals.get(proposal_id)
            if entry is None:
                continue
            entry["events"].append(event)
            if event["name"].startswith("VoteCast"):
                entry["votes"].append({"voter": event["args"].get("voter"), "support": event["args"].get("support"),
                                       "weight": event["args"].get("weight"), "block": event["block"]})
        readers = {name: Governance(ctx.client, name) for name in governors}
        for entry in proposals.values():
            entry["state"] = _proposal_state(readers[entry["governor"]], int(entry["id"]))
    return {"available": bool(governors), "contracts": governors, "items": list(proposals.values())}


def list_parameters(ctx: ApiContext) -> GovernedParameterList:
    """Every governed parameter with its value now (`nnc.chain.governed`)."""
    if not ctx.has("NNCGovernor") or not ctx.has("NNCTimelock"):
        return {"available": False, "governor": None, "timelock": None, "items": []}
    items: list[GovernedParameter] = []
    for parameter in governed_parameters(ctx.client):
        items.append({"name": parameter.name, "contract": parameter.contract,
                      "address": ctx.deployment.address_of(parameter.contract), "setter": parameter.setter,
                      "signature": parameter.signature, "inputs": list(parameter.inputs), "keyed": parameter.keyed,
                      "current": _json_value(current_value(ctx.client, parameter))})
    return {"available": True, "governor": ctx.deployment.address_of("NNCGovernor"),
            "timelock": ctx.deployment.address_of("NNCTimelock"), "items": items}


def _json_value(value: Any) -> Any:
    """Integers as decimal strings (uint256 do not fit a JSON number), inside lists and objects too."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)


def get_proposal(ctx: ApiContext, proposal_id: int) -> Proposal:
    for item in list_proposals(ctx)["items"]:
        if item["id"] == str(proposal_id):
            return item
    raise NotFoundError(f"unknown proposal {proposal_id}")


def _events_of(ctx: ApiContext, contracts: list[str]) -> list[Event]:
    with ctx.index() as index:
        rows = index.queries.contract_events(contracts)
    return [present_event(r, ctx.sender_of(r["tx_hash"]), ctx.timestamp_of(r["block_number"])) for r in rows]


def _proposal_state(governor: Governance, proposal_id: int) -> str:
    try:
        return governor.proposal_state(proposal_id).name.lower()
    except (Web3Exception, ValueError):  # the read reverted, or a state this client does not know: unknown
        return "unknown"


__all__ = ["get_dispute", "get_proposal", "list_disputes", "list_proposals"]
