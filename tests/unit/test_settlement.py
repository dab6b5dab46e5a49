"""The Python mirror of the settlement formula (`nnc.chain.settlement`): the issue-12 rules."""

from __future__ import annotations

from nnc.chain.settlement import node_payout
from nnc.chain.types import QUALITY_UNSCORED, SettlementParams

PARAMS = SettlementParams(base_weight_bps=8000, quality_weight_bps=1000, reputation_weight_bps=1000,
                          protocol_fee_bps=200, challenge_window=60, min_snapshot_interval=0,
                          reward_per_compute_unit=10**15)


def test_unscored_counts_as_neutral_quality() -> None:
    assert node_payout(10**18, 2, 100, 0, None, 5000, PARAMS) == node_payout(
        10**18, 2, 100, 0, QUALITY_UNSCORED, 5000, PARAMS)
    assert node_payout(10**18, 2, 100, 0, None, 5000, PARAMS).gross < node_payout(
        10**18, 2, 100, 0, 10_000, 5000, PARAMS).gross


def test_bonus_is_capped_at_the_fee_paid_valued_in_nnt() -> None:
    # a 1-wei-per-node task claiming huge compute units: the bonus is what its fee is worth, at most
    self_dealt = node_payout(2, 2, 2**64 - 1, 0, 10_000, 10_000, PARAMS)
    assert self_dealt.fee == 0 and self_dealt.bonus == 0
    honest = node_payout(10**18, 2, 1000, 0, 10_000, 5000, PARAMS, token_value=2000 * 10**18)
    assert honest.bonus == PARAMS.reward_per_compute_unit * 1000  # under the cap: uncapped
    tight = node_payout(10**18, 2, 10**9, 0, 10_000, 5000, PARAMS, token_value=2000 * 10**18)
    assert tight.bonus == tight.fee * 2000
    unpriced = node_payout(10**18, 2, 1000, 0, 10_000, 5000, PARAMS, token_value=0)
    assert unpriced.bonus == 0


def test_books_close_for_any_paid_subset() -> None:
    budget, r = 10**18 + 7, 3
    paid = [node_payout(budget, r, 10, 0, 7000, rep, PARAMS) for rep in (0, 5000)]  # one replica out
    refund = budget - sum(p.gross for p in paid)
    assert sum(p.net for p in paid) + sum(p.fee for p in paid) + refund == budget
    assert refund >= budget // r


def test_rejected_result_is_paid_its_compute_only() -> None:
    rejected = node_payout(10**18, 2, 100, 0, 9000, 9000, PARAMS, token_value=2000 * 10**18, rejected=True)
    assert rejected.gross == (10**18 // 2) * PARAMS.base_weight_bps // 10_000
    assert rejected.bonus == 0
