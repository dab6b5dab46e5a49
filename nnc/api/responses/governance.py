"""Bodies of /api/disputes and /api/proposals."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from nnc.api.responses.common import Event
from nnc.api.responses.scalars import Amount, DisputeStatusName, ProposalStateName


class DisputeVotes(TypedDict):
    slash: Amount
    release: Amount


class Dispute(TypedDict):
    """A dispute: its events grouped, its status as the arbitration contract holds it."""

    id: str
    contract: str
    task_id: int | None
    node: str | None
    opened_block: int
    status: DisputeStatusName
    evidence: list[str]
    votes: DisputeVotes
    events: list[Event]


class DisputeList(TypedDict):
    available: bool
    contracts: list[str]
    items: list[Dispute]


class ProposalVote(TypedDict):
    voter: str | None
    support: str | None
    weight: str | None
    block: int


class Proposal(TypedDict):
    """A governor proposal from its events; `state` read live from the governor."""

    id: str
    governor: str
    proposer: str | None
    description: str | None
    targets: list[Any]
    values: list[Any]
    calldatas: list[Any]
    vote_start: str | None
    vote_end: str | None
    created_block: int
    state: ProposalStateName
    votes: list[ProposalVote]
    events: list[Event]


class ProposalList(TypedDict):
    available: bool
    contracts: list[str]
    items: list[Proposal]


class GovernedParameter(TypedDict):
    """A parameter the DAO sets (`nnc.chain.governed`): its setter on `contract` at `address`,
    the setter's ABI `inputs`, and `current`, its value now (integers as decimal strings; a
    struct as an object; None for a keyed one, read per key)."""

    name: str
    contract: str
    address: str
    setter: str
    signature: str
    inputs: list[Any]
    keyed: bool
    current: Any


class GovernedParameterList(TypedDict):
    """Every governed parameter, with the governor that proposes changes and the timelock that
    makes them (the account a change is simulated as)."""

    available: bool
    governor: str | None
    timelock: str | None
    items: list[GovernedParameter]
