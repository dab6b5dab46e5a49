"""Grouping arbitration events into disputes (the shape of IArbitration's events; args JSON-safe),
with each dispute's status and tally taken from the contract's state, not from its events."""

from __future__ import annotations

from typing import Any

from nnc.api.governance import group_disputes
from nnc.api.responses import Event
from nnc.chain.dispute import DisputeStatus, DisputeView


def event(name: str, block: int, task_id: int | None = None, contract: str = "Arbitration", **args: Any) -> Event:
    return {"block": block, "log_index": 0, "tx": "0x" + "ab" * 32, "timestamp": 1, "actor": "0x" + "11" * 20,
            "contract": contract, "name": name, "task_id": task_id, "node": args.get("node"), "args": args}


NODE = "0x" + "22" * 20


def state(status: DisputeStatus, slash: int = 0, release: int = 0) -> DisputeView:
    """What `Arbitration.dispute` answers, as far as the grouping reads it."""
    return DisputeView(task_id=0, node=NODE, bond=0, challenger=NODE, held_since=0, snapshot=0, vote_end=0,
                       status=status, slash_votes=slash, release_votes=release)


def test_the_status_and_the_tally_are_the_contracts() -> None:
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
    states = {1: state(DisputeStatus.SLASHED, 350, 200), 2: state(DisputeStatus.OPEN)}
    first, second = group_disputes(events, states.__getitem__)
    assert first["id"] == "1" and first["task_id"] == 4 and first["node"] == NODE
    assert first["votes"] == {"slash": "350", "release": "200"}
    assert first["status"] == "slashed" and first["evidence"] == ["ipfs://evidence"]
    assert [e["name"] for e in first["events"]] == ["DisputeOpened", "VoteCast", "VoteCast", "VoteCast",
                                                     "DisputeResolved", "Credited"]
    assert second["status"] == "open" and second["votes"] == {"slash": "0", "release": "0"}


def test_the_status_and_votes_follow_the_contract_even_where_the_events_say_otherwise() -> None:
    events = [event("DisputeOpened", 1, 2, disputeId="7", node=NODE),
              event("VoteCast", 2, disputeId="7", voter=NODE, slash=True, weight="10"),
              event("DisputeResolved", 9, disputeId="7", slashed=True, slashVotes="10", releaseVotes="0")]
    (grouped,) = group_disputes(events, lambda _: state(DisputeStatus.RELEASED, 4, 25))
    assert grouped["status"] == "released" and grouped["votes"] == {"slash": "4", "release": "25"}
    assert group_disputes(events[:1], lambda _: state(DisputeStatus.RELEASED))[0]["status"] == "released"


def test_a_spot_check_that_opened_no_dispute_is_not_one() -> None:
    """A passed report carries `disputeId` 0 (ids start at 1); a failed one the dispute it opened."""
    passed = event("VerificationReported", 3, 2, contract="SpotCheck", taskId="2", verifier=NODE, passed=True,
                   reportURI="ipfs://ok", disputeId="0")
    opened = event("DisputeOpened", 5, 3, disputeId="1", taskId="3", node=NODE)
    failed = event("VerificationReported", 5, 3, contract="SpotCheck", taskId="3", verifier=NODE, passed=False,
                   reportURI="ipfs://bad", disputeId="1")
    asked: list[int] = []

    def state_of(dispute_id: int) -> DisputeView:
        asked.append(dispute_id)
        return state(DisputeStatus.OPEN)

    (dispute,) = group_disputes([passed, opened, failed], state_of)
    assert dispute["id"] == "1" and dispute["contract"] == "Arbitration" and asked == [1]
    assert [e["contract"] for e in dispute["events"]] == ["Arbitration", "SpotCheck"]
