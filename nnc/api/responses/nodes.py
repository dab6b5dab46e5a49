"""Bodies of /api/nodes: pages of registered nodes, one node's stake, earnings and history."""

from __future__ import annotations

from typing import Literal, NotRequired

from typing_extensions import TypedDict

from nnc.api.responses.common import Event
from nnc.api.responses.scalars import Address, Amount, BondName, Hex32, Reputation, TaskStatusName


class NodeSummary(TypedDict):
    address: Address
    registered_block: int
    hardware_class: int
    staked: Amount
    locked: Amount
    reputation: int


class NodeList(TypedDict):
    items: list[NodeSummary]
    total: int
    limit: int
    offset: int


class NodeProfile(TypedDict):
    digest: Hex32
    hardware_class: int
    registered_at: int
    benchmark_score: int
    benchmark_attested_at: int
    encryption_key: Hex32


class NodeStake(TypedDict):
    staked: Amount
    locked: Amount
    free: Amount
    unbonding: Amount
    unbond_ready_at: int
    min_stake: Amount


class NodeBalances(TypedDict):
    nnt: Amount
    eth: Amount


class NodeClaimable(TypedDict):
    eth: Amount
    nnt: Amount
    slashed_nnt: Amount
    bonus_nnt: NotRequired[Amount]  # only where the deployment has a RewardsPool


class NodeAssignment(TypedDict):
    task_id: int
    assigned: bool
    status: TaskStatusName
    token: Address
    budget: Amount
    replication: int
    result_digest: str | None
    paid: Amount | None
    bond: BondName
    dropped: bool
    frozen_until: int | None
    forfeited: Amount | None


class NodeEarning(TypedDict):
    task_id: int | None
    block: int
    timestamp: int
    amount: Amount
    token: Address
    kind: Literal["payment", "bonus"]


class NodeDetail(TypedDict):
    """Any address has one: `registered` false and zeros for an address that never registered."""

    address: Address
    registered: bool
    profile: NodeProfile
    stake: NodeStake
    reputation: Reputation
    balances: NodeBalances
    claimable: NodeClaimable
    assignments: list[NodeAssignment]
    earnings: list[NodeEarning]
    history: list[Event]
