"""Bodies of /api/tasks/{id}/rounds: a data-parallel task's round book and its timeline, per round
and per member (the same facts `nnc task rounds` prints)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict

from nnc.api.responses.scalars import Address, BookStatusName, CellStatusName, Hex32, RoundStatusName


class RoundCommitment(TypedDict):
    """What a member committed in a round: the digests and where its delta lives."""

    delta_digest: Hex32
    start_digest: Annotated[Hex32, Field(description="the start weights it states it trained from")]
    uri: Annotated[str | None, Field(description="where the delta lives (null: no DeltaCommitted event found)")]
    committed_at: int


class RoundCell(TypedDict):
    """One member's part in one round."""

    node: Address
    status: CellStatusName
    commitment: RoundCommitment | None
    start_disagrees: Annotated[bool, Field(description="its stated start digest is not the round's")]
    check: Annotated[Literal["verifying", "passed", "failed"] | None,
                     Field(description="the spot-check of this (node, round), when the task's check drew it")]


class RoundEntry(TypedDict):
    round: int
    status: RoundStatusName
    deadline: Annotated[int, Field(description="unix time the round closes by (0: not opened yet)")]
    closed_at: int
    commits: int
    flagged: Annotated[bool, Field(description="start digests disagree or a delta was copied: evidence for "
                                               "a dispute")]
    start_digest: Hex32 | None
    cells: Annotated[list[RoundCell], Field(description="one per participant, in the order of `members`")]


class RoundCheck(TypedDict):
    """The task's spot-check: one (node, round) pair drawn with its verifier, replayed from public inputs."""

    status: Annotated[str, Field(description="enabled, verifying, passed, failed, lapsed or refunded")]
    node: Annotated[Address | None, Field(description="the drawn pair's node (null: not drawn yet)")]
    round: Annotated[int, Field(description="the drawn pair's round (0: not drawn yet)")]
    verifier: Annotated[Address | None, Field(description="the drawn verifier (null: none yet)")]
    dispute_id: Annotated[int, Field(description="the dispute a failed check opened (0: none)")]


class RoundMember(TypedDict):
    """A node that held a seat, with what it earned."""

    node: Address
    seat: Annotated[int, Field(description="the 1-based seat it holds now (0: none)")]
    replaced: bool
    joined_round: int
    missed: int
    contributed: Annotated[int, Field(description="rounds it contributed (committed and closed, not refuted)")]
    share_bps: Annotated[int, Field(ge=0, le=10_000, description="its share of the task's node pay")]


class RoundTimeline(TypedDict):
    """A data-parallel task's round book: k members train R rounds of at most `round_duration` s."""

    task_id: int
    status: BookStatusName
    nodes: Annotated[int, Field(description="k: the book's seats")]
    rounds: Annotated[int, Field(description="R")]
    round_duration: int
    current_round: int
    closed_rounds: int
    refuted_round: Annotated[int, Field(description="the round a refuted delta was in (0: none); the rounds "
                                                    "before it are verified")]
    vacant_seats: int
    max_missed_rounds: int
    total_contributed: int
    started_at: int
    members: list[RoundMember]
    timeline: list[RoundEntry]
    spot_check: Annotated[RoundCheck | None, Field(description="null: the requester enabled no spot-check")]
