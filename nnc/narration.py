"""One line of plain English per protocol event, for the demo's running commentary.

The lines live in a table keyed by event name; each template is filled from the event's
arguments after they are made readable (amounts in whole tokens, digests shortened, the status
and verdict as words). An event without a line, or whose line does not apply (a bond change
other than a frozen seat's release), gives None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nnc.chain.events import ChainEvent
from nnc.chain.types import Bond, TaskStatus

# Arguments counted in wei (18 decimals) of ETH or NNT.
AMOUNTS = frozenset({"budget", "collateral", "slashed", "forfeited", "amount", "paid", "fee", "refund",
                     "toChallenger", "toTreasury"})

LINES: Mapping[str, str] = {
    "TaskPublished": "{task} published: budget {budget}, replication {replication}",
    "TaskStatusChanged": "{task} is now {to}",
    "NodeApplied": "{task}: node {node} applied",
    "TaskAssigned": "{task} assigned to {nodes}",
    "ResultSubmitted": "{task}: node {node} committed result {agreementKey}",
    "ResultRevealed": "{task}: node {node} revealed its model at {resultURI}",
    "ProofPosted": "{task}: node {node} posted its zk proof (verified by anyone; challengeable until the window ends)",
    "ProofRejected": ("{task}: node {node}'s proof failed when {challenger} challenged it: out of the task, "
                      "{toChallenger} NNT to the challenger, {toTreasury} NNT to the treasury"),
    "NodeFrozen": ("{task}: node {node} outvoted, {collateral} NNT collateral frozen until {until} "
                   "(open to a challenge; released by anyone after)"),
    "BondChanged": "{task}: node {node}'s frozen collateral released (no challenge in its window)",
    "TaskTied": "{task}: no strict majority: open to challenges until {endsAt}, then every replica is paid",
    "NodeSlashed": "{task}: node {node} slashed by arbitration ({collateral} NNT), out of the task",
    "NodeMissed": "{task}: node {node} missed the deadline ({slashed} NNT to the treasury)",
    "TaskAbandoned": "{task}: node {node} gave the task up ({slashed} NNT to the treasury)",
    "ApplicantDropped": "{task}: applicant {node} no longer eligible ({forfeited} NNT forfeited)",
    "SnapshotPosted": "{task}: node {node} snapshot at step {step}, chain head {chainHead}",
    "QualityReported": "{task}: oracle reports quality {score}%, {verdict} (model evaluated on the eval split)",
    "BonusGranted": "{task}: node {node} earned a bonus of {amount} NNT",
    "NodePaid": "{task}: node {node} earned {amount} ETH",
    "TaskSettled": "{task} settled: paid {paid}, fee {fee}, refund {refund}",
    "NodeRegistered": "node {node} registered",
    "Staked": "node {node} staked",
}

# Events whose line applies only to some of their occurrences.
APPLIES: Mapping[str, Callable[[Mapping[str, Any]], bool]] = {
    "BondChanged": lambda a: a["from"] == Bond.FROZEN and a["to"] == Bond.RELEASED,
}


def readable(name: str, value: Any) -> str:
    """One argument as the commentary shows it."""
    if name in AMOUNTS:
        return f"{value / 10**18:g}"
    if isinstance(value, bytes):
        value = "0x" + value.hex()
    if isinstance(value, int) and name == "agreementTag":
        value = hex(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) > 42:
        return value[:14] + "…"  # a digest or hash: its head is enough to follow it
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe(event: ChainEvent) -> str | None:
    """The event in one line, or None when the demo does not narrate it."""
    template = LINES.get(event.name)
    applies = APPLIES.get(event.name)
    if template is None or (applies is not None and not applies(event.args)):
        return None
    fields = {name: readable(name, value) for name, value in event.args.items()}
    fields["task"] = f"task {event.args.get('taskId')}"
    if "to" in event.args and event.name == "TaskStatusChanged":
        fields["to"] = TaskStatus(event.args["to"]).name.lower()
    if "score" in event.args:
        fields["score"] = f"{event.args['score'] / 100:g}"
        accepted = event.args.get("accepted", True)
        fields["verdict"] = "accepted" if accepted else "rejected: below the acceptance threshold"
    return template.format_map(fields)
