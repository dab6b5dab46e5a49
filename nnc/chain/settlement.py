"""The settlement formula of `ITaskMarket`, in Python: estimates for requesters and nodes, and
the reference the end-to-end tests hold the contract to (they must agree to the wei).

The contracts are the source (`SettlementMath`, composed by `TaskSettlement`); this is the
off-chain preview, with the contracts' constants from `nnc.chain.generated`. tests/e2e/
test_lifecycle.py and test_economic_security.py compare it with what the market pays on a devnet.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnc.chain.generated import CONSTANTS
from nnc.chain.profiles import ProtocolParams
from nnc.chain.types import QUALITY_UNSCORED, SettlementParams

BPS = CONSTANTS["SettlementMath.BPS"]
TOKEN_UNIT = 10**18


def initial_settlement_params(params: ProtocolParams) -> SettlementParams:
    """The settlement parameters a deployment with the profile `params` starts with (what
    `nnc.chain.deploy` sets on MarketConfig; governance may change them later)."""
    return SettlementParams(
        base_weight_bps=params.base_weight_bps, quality_weight_bps=params.quality_weight_bps,
        reputation_weight_bps=params.reputation_weight_bps, protocol_fee_bps=params.protocol_fee_bps,
        challenge_window=params.challenge_window, min_snapshot_interval=params.snapshot_interval,
        reward_per_compute_unit=params.reward_per_compute_unit)


@dataclass(frozen=True)
class NodePayout:
    gross: int  # taken from the budget
    fee: int  # of gross, to the treasury
    net: int  # credited to the node
    bonus: int  # NNT requested from the rewards pool


def node_payout(budget: int, replication: int, compute_units: int, price: int, quality: int | None, reputation: int,
                params: SettlementParams, token_value: int = TOKEN_UNIT, rejected: bool = False,
                share_bps: int | None = None) -> NodePayout:
    """What one paid node earns (see ITaskMarket's notes): a node of the agreeing majority, or
    every active replica of a tie that stood through its window.

    `quality` None means unscored (QUALITY_UNSCORED, neutral). `token_value` is what governance
    counts 1e18 of the task's token as in NNT-wei (`MarketConfig.tokenValue`): the NNT bonus is
    capped at the fee paid, valued so. The bonus is what the node asks the pool for; the pool
    grants at most its balance. A `rejected` result (below the spec's acceptance threshold) is
    paid its compute only: the base weight, no quality or reputation share, no bonus.
    `share_bps` is the node's pay share in the task's started round book (data-parallel tasks,
    `RoundBook.payShares`): its cost is scaled by `share_bps * replication / BPS` (0: unpaid).
    """
    q = QUALITY_UNSCORED if quality is None else quality
    share = budget // replication
    cost = share if price == 0 else min(price * compute_units, share)
    if share_bps is not None:
        cost = cost * share_bps * replication // BPS
    factor = params.base_weight_bps
    if not rejected:
        factor += params.quality_weight_bps * q // BPS + params.reputation_weight_bps * reputation // BPS
    gross = cost * factor // BPS
    fee = gross * params.protocol_fee_bps // BPS
    bonus = 0 if rejected else params.reward_per_compute_unit * compute_units * q // BPS
    bonus = min(bonus, fee * token_value // TOKEN_UNIT)
    return NodePayout(gross=gross, fee=fee, net=gross - fee, bonus=bonus)
