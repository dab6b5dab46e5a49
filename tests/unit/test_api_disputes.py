"""Grouping arbitration events into disputes (the shape of IArbitration's events; args JSON-safe)."""

from __future__ import annotations

from typing import Any

from nnc.api.governance import group_disputes


def event(name: str, block: int, task_id: int | None = None, **args: Any) -> dict[str, Any]:
    return {"block": block, "log_index": 0, "tx": "0x" + "ab" * 32, "timestamp": 1, "actor": "0x" + "11" * 20,
            "contract": "Arbitration", "name": name, "task_id": task_id, "node": args.get("node"), "args": args}


NODE = "0x" + "22" * 20


def test_votes_add_up_per_side_and_the_outcome_sets_the_status() -> None:
    events = [
        event("DisputeOpened", 10, 4, disputeId="1", taskId="4", node=NODE, challenger="0x" + "33" * 20,
              bond="5", snapshot="9", voteEnd="30", evidenceURI="ipfs://evidence"),
        event("VoteCast", 11, disputeId="1", voter="0x" + "44" * 20, slash=True, weight="300"),
        event("VoteCast", 12, disputeId="1", voter="0x" + "55" * 20, slash=False, weight="200"),
        event("VoteCast", 13, disputeId="1", voter="0x" + "66" * 20, slash=True, weight="50"),
        event("DisputeOpened", 14, 5, disputeId="2", taskId="5", node=NODE, evidenceURI="ar://other"),
        event("DisputeResolved", 40, disputeId="1", slashed=True, slashVotes="350", releaseVotes="200"),
        event("Credited", 40, disputeId="1", account="0x" + "33" * 20, amount="7"),
        event("Claimed", 41, account="0x" + "33" * 20, amount="7"),  # no disputeId: not a dispute event
    ]
    first, second = group_disputes(events)
    assert first["id"] == "1" and first["task_id"] == 4 and first["node"] == NODE
    assert first["votes"] == {"slash": "350", "release": "200"}
    assert first["status"] == "slashed" and first["evidence"] == ["ipfs://evidence"]
    assert [e["name"] for e in first["events"]] == ["DisputeOpened", "VoteCast", "VoteCast", "VoteCast",
                                                     "DisputeResolved", "Credited"]
    assert second["status"] == "open" and second["votes"] == {"slash": "0", "release": "0"}


def test_a_released_dispute() -> None:
    events = [event("DisputeOpened", 1, 2, disputeId="7", node=NODE),
              event("DisputeResolved", 9, disputeId="7", slashed=False, slashVotes="0", releaseVotes="10")]
    assert group_disputes(events)[0]["status"] == "released"
