"""The JSON bodies the API answers with, as types: the services return them, and the OpenAPI
document's schemas are generated from them (`nnc.api.openapi`), so the two cannot drift apart.

Conventions: every uint256 (amounts, ids from events) is a decimal string, addresses are 0x hex,
enums travel as their lower-case Solidity member names, taken from the Python mirrors of the
contracts' enums. Objects allow extra keys unless marked otherwise (clients must ignore them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, WithJsonSchema, with_config
from typing_extensions import TypedDict

from nnc.chain.dispute import DisputeStatus
from nnc.chain.governance import ProposalState
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
Framework = Annotated[str, _enum_of(list(RUNTIMES))]
UploadKind = Literal["spec", "profile", "dataset"]
TaskSpecDocument = Annotated[dict[str, Any], WithJsonSchema(
    {"type": "object", "description": "a task spec, format version 1 (see nnc.task.spec)"})]


@with_config(ConfigDict(extra="forbid"))
class ErrorDetail(TypedDict):
    status: int
    code: str
    message: str


@with_config(ConfigDict(extra="forbid"))
class Error(TypedDict):
    """Every failure: the HTTP status again, a stable code and a message for people."""

    error: ErrorDetail


# -- events and tasks ----------------------------------------------------------------------

class Event(TypedDict):
    """One on-chain event with the account that sent its transaction (`actor`)."""

    block: int
    log_index: int
    tx: Hex32
    timestamp: int
    actor: Address
    contract: str
    name: str
    task_id: int | None
    node: str | None
    args: dict[str, Any]


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


# -- nodes ---------------------------------------------------------------------------------

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


# -- disputes and proposals ----------------------------------------------------------------

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


# -- storage and estimates -----------------------------------------------------------------

class Upload(TypedDict):
    """What was stored, where, and (per kind) the figures to publish or register with."""

    kind: UploadKind
    uri: str
    sha256: Sha256
    size: int
    spec_digest: NotRequired[Hex32]
    compute_units: NotRequired[int]
    name: NotRequired[str]
    profile_digest: NotRequired[Hex32]
    hardware_class: NotRequired[int]


class Validation(TypedDict):
    valid: bool
    problems: list[str]
    spec_digest: NotRequired[Hex32]
    compute_units: NotRequired[int]


class Estimate(TypedDict):
    compute_units: int
    model_macs: int
    parameters: Annotated[int | None, Field(description="null when counting needs the framework to build the "
                                                         "model (a UNet not trained here)")]
    memory_bytes: int | None
    steps_measured: int
    seconds_per_step: float | None
    estimated_seconds: float | None
    loss_after: float | None


class Template(TypedDict):
    id: Annotated[str, Field(description="the file name in examples/")]
    name: str
    framework: Framework
    model_kind: str
    dataset: str
    compute_units: int
    runtime_installed: Annotated[bool, Field(description="whether this server has the framework (else its dry run "
                                                         "is not timed here)")]
    spec: TaskSpecDocument


class TemplateList(TypedDict):
    items: list[Template]


class Runtime(TypedDict):
    framework: Framework
    versions: dict[str, str]


class RuntimeList(TypedDict):
    items: list[Runtime]
    known: list[Framework]


# -- protocol ------------------------------------------------------------------------------

class SettlementInfo(TypedDict):
    base_weight_bps: int
    quality_weight_bps: int
    reputation_weight_bps: int
    protocol_fee_bps: int
    challenge_window: int
    min_snapshot_interval: int
    reward_per_compute_unit: Amount
    abandon_penalty_bps: int
    freeze_window: int
    tie_window: int
    min_execution_window: int
    result_proofs: Address
    treasury: Address


class StakingInfo(TypedDict):
    min_stake: Amount
    unbonding_delay: int


class TokenInfo(TypedDict):
    symbol: str
    address: Address
    decimals: int
    allowed: bool
    value: Annotated[Amount, Field(description="NNT-wei that 1e18 of the token counts as (NNT bonuses are capped "
                                               "at the fee paid, so valued)")]


class StrategyInfo(TypedDict):
    name: str
    contract: str
    address: Address
    allowed: bool


class ReputationInfo(TypedDict):
    agreed_gain: int
    early_gain: int
    dissent_loss: int
    missed_loss: int
    failed_loss: int
    half_life: int
    full_gain_value: Annotated[Amount, Field(description="NNT-wei a task must pay for a full gain")]


class Params(TypedDict):
    """Governance-set parameters, read live from the contracts."""

    chain_id: int
    settlement: SettlementInfo
    staking: StakingInfo
    tokens: list[TokenInfo]
    strategies: list[StrategyInfo]
    reputation: NotRequired[ReputationInfo]
    rewards_pool_available: NotRequired[Amount]


class Deployment(TypedDict):
    chain_id: int
    chain_id_hex: str
    rpc_url: str
    start_block: int
    deployer: Address
    addresses: dict[str, Address]
    abis: dict[str, list[dict[str, Any]]]
    errors: list[dict[str, Any]]
    enums: dict[str, list[str]]


class Health(TypedDict):
    ok: bool
    chain_id: int
    block: int
    indexed_block: int


RESPONSES: tuple[type, ...] = (
    Error, Event, Task, TaskList, TaskDetail, Trace, NodeSummary, NodeList, NodeDetail, Dispute, DisputeList,
    Proposal, ProposalList, Upload, Validation, Estimate, Template, TemplateList, RuntimeList, Params, Deployment,
    Health)
"""Every body the API answers with: the OpenAPI document's component schemas."""
