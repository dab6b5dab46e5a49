"""The scalar types of API bodies: amounts, addresses, digests, and enums by their member names
(taken from the Python mirrors of the contracts' enums, so the document follows the contracts)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from nnc.chain.dispute import DisputeStatus
from nnc.chain.governance import ProposalState
from nnc.chain.rounds import BookStatus, CellStatus, RoundStatus
from nnc.chain.types import Bond, TaskStatus
from nnc.runtimes import RUNTIMES


def _enum_of(names: list[str], description: str | None = None) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "enum": names}
    if description:
        schema["description"] = description
    return WithJsonSchema(schema)


Amount = Annotated[str, Field(pattern=r"^[0-9]+$", description="an integer amount in the token's smallest unit, "
                                                                 "as a decimal string")]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Reputation = Annotated[int, Field(ge=0, le=10_000)]
TaskStatusName = Annotated[str, _enum_of([s.name.lower() for s in TaskStatus if s != TaskStatus.NONE])]
BondName = Annotated[str, _enum_of([b.name.lower() for b in Bond], "the state of the node's collateral for the task")]
DisputeStatusName = Annotated[str, _enum_of([s.name.lower() for s in DisputeStatus if s != DisputeStatus.NONE])]
ProposalStateName = Annotated[str, _enum_of([s.name.lower() for s in ProposalState] + ["unknown"],
                                            "unknown: the governor's state could not be read")]
BookStatusName = Annotated[str, _enum_of([s.name.lower() for s in BookStatus if s != BookStatus.NONE])]
RoundStatusName = Annotated[str, _enum_of([s.name.lower() for s in RoundStatus])]
CellStatusName = Annotated[str, _enum_of(
    [s.value for s in CellStatus],
    "counted: a contributed round; refuted: its delta did not replay; committed: the round still open; "
    "missed: seated and nothing committed by the deadline; pending: seated, the round not closed yet; "
    "not_seated: it held no seat while the round ran")]
Framework = Annotated[str, _enum_of(list(RUNTIMES))]
UploadKind = Literal["spec", "profile", "dataset", "review"]
TaskSpecDocument = Annotated[dict[str, Any], WithJsonSchema(
    {"type": "object", "description": "a task spec, format version 1 (see nnc.task.spec)"})]
