"""The settlement formula of `ITaskMarket`, in Python: estimates for requesters and nodes, and
the reference the end-to-end tests hold the contract to (they must agree to the wei)."""

from __future__ import annotations

from dataclasses import dataclass

from nnc.chain.types import SettlementParams

BPS = 10_000


@dataclass(frozen=True)
class NodePayout:
    gross: int  # taken from the budget
    fee: int  # of gross, to the treasury
    net: int  # credited to the node
    bonus: int  # NNT requested from the rewards pool


def node_payout(budget: int, replication: int, compute_units: int, price: int, quality: int, reputation: int,
                params: SettlementParams) -> NodePayout:
    """What one node of the agreeing majority earns (see ITaskMarket's notes)."""
    share = budget // replication
    cost = share if price == 0 else min(price * compute_units, share)
    factor = (params.base_weight_bps + params.quality_weight_bps * quality // BPS
              + params.reputation_weight_bps * reputation // BPS)
    gross = cost * factor // BPS
    fee = gross * params.protocol_fee_bps // BPS
    bonus = params.reward_per_compute_unit * compute_units * quality // BPS
    return NodePayout(gross=gross, fee=fee, net=gross - fee, bonus=bonus)
