"""Python mirrors of the contracts' enums and structs.

The enums here are typed views of `nnc.chain.generated` (written by `nnc build` from the
compiled contracts), with the behaviour clients need; tests/unit/test_mirrors.py holds each to
the generated members, in order, and each struct view to its struct's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from nnc.chain.generated import CONSTANTS, ENUMS

ETH = "0x0000000000000000000000000000000000000000"

STRATEGY_CONTRACTS = {
    "first-come": "FirstComeStrategy",
    "reputation-priority": "ReputationPriorityStrategy",
    "lowest-price": "LowestPriceStrategy",
    "stake-weighted-random": "StakeWeightedRandomStrategy",
}
"""Scheduling strategies by the name a task spec or the CLI uses -> contract name."""


class TaskStatus(IntEnum):
    """Mirrors `ITaskMarket.TaskStatus` (same order)."""

    NONE = 0
    PUBLISHED = 1
    ASSIGNED = 2
    RUNNING = 3
    SUBMITTED = 4
    VERIFYING = 5
    SETTLED = 6
    CANCELLED = 7
    EXPIRED = 8
    DISPUTED = 9
    SLASHED = 10
    FAILED = 11  # every assignee gave it up (`abandon`): the budget was refunded

    @property
    def is_final(self) -> bool:
        return self in (TaskStatus.SETTLED, TaskStatus.CANCELLED, TaskStatus.EXPIRED, TaskStatus.SLASHED,
                        TaskStatus.FAILED)


class AbandonReason(IntEnum):
    """Mirrors `ITaskMarket.AbandonReason` (same order): why a node gave a task up."""

    RESOURCE_LIMIT = 0  # training broke the node's memory or time limit
    INVALID_TASK = 1  # the spec or its data cannot be trained
    NODE_FAULT = 2  # anything else that went wrong on the node


class Bond(IntEnum):
    """Mirrors `ITaskMarket.Bond` (same order): the state of the collateral one node locked for one task."""

    NONE = 0  # never applied
    LOCKED = 1  # applied or assigned: the collateral is locked in the registry
    RELEASED = 2  # back to the node's free stake
    FROZEN = 3  # outvoted where results are proven: open to a challenge until the task's challengeEndsAt
    HELD = 4  # frozen and challenged: arbitration decides
    SLASHED = 5  # taken, wholly or in part (the rest released)


class Ineligibility(IntEnum):
    """Mirrors `ITaskMarket.Ineligibility` (same order): why a node may not apply (`NotEligible`)."""

    REGISTRATION = 0
    STAKE = 1
    HARDWARE_CLASS = 2
    REPUTATION = 3
    PRICE = 4


QUALITY_UNSCORED = CONSTANTS["TaskMarket.QUALITY_UNSCORED"]
"""The quality a task counts until an oracle scores it (`TaskMarket.QUALITY_UNSCORED`): neutral."""

SOLIDITY_ENUMS: dict[str, list[str]] = {name: list(members) for name, members in ENUMS.items()}
"""Every enum of the contracts by name, its members as Solidity spells them (revert decoding, the web app)."""


@dataclass(frozen=True)
class TaskView:
    """`ITaskMarket.Task` as read from the chain."""

    task_id: int
    requester: str
    status: TaskStatus
    replication: int
    submissions: int
    min_hardware_class: int
    token: str
    apply_deadline: int
    strategy: str
    deadline: int
    collateral: int
    budget: int
    spec_digest: bytes
    result_digest: bytes
    compute_units: int
    min_reputation: int
    quality_score: int
    assigned_at: int
    submitted_at: int  # when the last result came in
    active: int = 0  # assignees still in the task (not dropped, not slashed)
    tied: bool = False  # settlement found no strict majority: the tie window was opened
    challenge_ends_at: int = 0  # challenges until then: results (Submitted, Verifying), frozen nodes (Settled)
    result_proofs: str = ETH  # the verifier this task's results are proven to, fixed at publish (zero: digests)
    rejected: bool = False  # the result missed the spec's acceptance threshold: compute paid, nothing more
    scored_by: int = 0  # ITaskMarket.QualitySource: 0 none, 1 requester, 2 oracle, 3 arbitration

    @property
    def proofs_enabled(self) -> bool:
        """Whether this task's results are submitted as zero-knowledge proofs (`submitProof`)."""
        return int(self.result_proofs, 16) != 0

    @classmethod
    def from_tuple(cls, task_id: int, t: Any) -> TaskView:
        return cls(task_id, t[0], TaskStatus(t[1]), t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9],
                   t[10], bytes(t[11]), bytes(t[12]), t[13], t[14], t[15], t[16], t[17], int(t[18]), bool(t[19]),
                   int(t[20]), str(t[21]), bool(t[22]), int(t[23]))


@dataclass(frozen=True)
class ParticipationView:
    """`ITaskMarket.Participation`: one node's part in one task."""

    applied: bool
    assigned: bool
    submitted: bool
    submitted_at: int
    last_snapshot_step: int
    last_snapshot_at: int
    price: int
    result_digest: bytes
    snapshot_head: bytes
    bond: Bond
    dropped: bool
    revealed: bool  # its result URI is published (only once every active result was committed)
    proof_hash: bytes  # a task with result proofs: the first 28 bytes of keccak256(abi.encode(proof))

    @classmethod
    def from_tuple(cls, p: Any) -> ParticipationView:
        return cls(bool(p[0]), bool(p[1]), bool(p[2]), int(p[3]), int(p[4]), int(p[5]), int(p[6]), bytes(p[7]),
                   bytes(p[8]), Bond(p[9]), bool(p[10]), bool(p[11]), bytes(p[12]))


@dataclass(frozen=True)
class NodeView:
    """`INodeRegistry.Node` as read from the chain."""

    address: str
    profile_digest: bytes
    registered_at: int
    hardware_class: int
    staked: int
    locked: int
    unbonding: int
    unbond_ready_at: int
    benchmark_score: int
    benchmark_attested_at: int
    encryption_key: bytes

    @property
    def registered(self) -> bool:
        return self.registered_at != 0

    @classmethod
    def from_tuple(cls, address: str, n: Any) -> NodeView:
        return cls(address, bytes(n[0]), n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8], bytes(n[9]))


@dataclass(frozen=True)
class Snapshot:
    """The latest checkpoint-chain head a node posted for a task."""

    step: int
    chain_head: bytes
    posted_at: int


@dataclass(frozen=True)
class SettlementParams:
    """`IMarketConfig.SettlementParams`: governance-set weights, fee and windows."""

    base_weight_bps: int
    quality_weight_bps: int
    reputation_weight_bps: int
    protocol_fee_bps: int
    challenge_window: int
    min_snapshot_interval: int
    reward_per_compute_unit: int

    @classmethod
    def from_tuple(cls, p: Any) -> SettlementParams:
        return cls(*(int(v) for v in p))


@dataclass(frozen=True)
class MarketParams:
    """`IMarketConfig.Params`: everything the market reads from its config."""

    settlement: SettlementParams
    abandon_penalty_bps: int
    freeze_window: int  # seconds a frozen dissenter stays open to a challenge after settlement
    tie_window: int  # seconds a tied task waits in Verifying before every replica is paid
    min_execution_window: int  # seconds between assignment and the deadline, at least
    treasury: str
    result_proofs: str  # the verifier new tasks use (zero: plain digests)

    @classmethod
    def from_tuple(cls, p: Any) -> MarketParams:
        return cls(SettlementParams.from_tuple(p[0]), int(p[1]), int(p[2]), int(p[3]), int(p[4]), str(p[5]),
                   str(p[6]))
