"""Bodies of /api/tasks: pages of tasks, one task with its seats, its audit trace."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from nnc.api.responses.common import Event
from nnc.api.responses.scalars import Address, Amount, BondName, Hex32, TaskStatusName


class Task(TypedDict):
    """A task as the index projects it from the market's events."""

    id: int
    status: TaskStatusName
    requester: Address
    token: Address
    budget: Amount
    replication: int
    strategy: Address
    strategy_name: str | None
    spec_uri: str
    spec_digest: Hex32
    apply_deadline: int
    deadline: int
    applicants: int
    submissions: int
    result_digest: str | None
    paid: Amount | None
    fee: Amount | None
    refund: Amount | None
    quality: int | None
    accepted: Annotated[bool | None, Field(description="whether the result met the spec's acceptance threshold "
                                                       "(null: not scored); a rejected result is paid its compute "
                                                       "only")]
    tied: bool
    tie_ends_at: int | None
    published_block: int
    updated_block: int


class TaskList(TypedDict):
    items: list[Task]
    total: int
    limit: int
    offset: int
    indexed_block: int


class TaskChainView(TypedDict):
    """The task as the market holds it now."""

    status: TaskStatusName
    collateral: Amount
    compute_units: int
    min_hardware_class: int
    min_reputation: int
    quality_score: int
    assigned_at: int
    submitted_at: int
    result_digest: Hex32
    active: int
    tied: bool
    challenge_ends_at: int
    proofs: bool
    rejected: bool


class TaskNode(TypedDict):
    """One node's seat in a task: its result, its pay, its collateral."""

    node: str
    assigned: bool
    result_digest: str | None
    result_uri: str | None
    paid: Amount | None
    bonus: Amount | None
    bond: BondName
    dropped: bool
    frozen_until: int | None
    forfeited: Amount | None


class TaskDetail(Task):
    token_symbol: str
    chain: TaskChainView
    nodes: list[TaskNode]


class Trace(TypedDict):
    task_id: int
    events: list[Event]
    indexed_block: int
