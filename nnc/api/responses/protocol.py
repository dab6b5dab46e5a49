"""Bodies of /api/params, /api/deployment and /api/health."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from nnc.api.responses.scalars import Address, Amount


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


class SpokeChain(TypedDict):
    """A chain where requesters pay through a SpokeGateway for tasks published here."""

    name: str
    chain_id: int
    chain_id_hex: str
    rpc_url: str
    domain: int  # its Hyperlane domain
    start_block: int  # where its gateway was deployed
    addresses: dict[str, Address]
    abis: dict[str, list[dict[str, Any]]]
    ism: str  # what verifies the route's messages
    tokens: dict[str, Address]  # ERC-20s its gateway allow-lists, by symbol (routed home)


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
    spokes: list[SpokeChain]  # cross-chain routes: empty without a HomeGateway


class Health(TypedDict):
    ok: bool
    chain_id: int
    block: int
    indexed_block: int
