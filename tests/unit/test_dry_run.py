"""`nnc task dry-run`: a few real training steps and the estimates derived from them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nnc.chain.profiles import DEVNET, PRODUCTION
from nnc.chain.settlement import BPS, initial_settlement_params, node_payout
from nnc.node.estimate import estimate, format_seconds, suggested_budget, terms_from_profile
from nnc.task import compute_units, load_spec
from nnc.task.cost import parameter_count

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json"
OFFLINE = terms_from_profile(DEVNET, "a unit test")


def test_budget_is_the_least_that_makes_every_node_affordable() -> None:
    """SettlementMath.affordable: price * cu <= budget / r. One wei less and a node asking the price no longer fits."""
    budget = suggested_budget(273, 10**12, 2)
    assert budget == 546 * 10**12
    assert 273 * 10**12 <= budget // 2 and 273 * 10**12 > (budget - 1) // 2


@pytest.mark.parametrize(("seconds", "text"), [(0.0042, "4.2 ms"), (3.25, "3.2 s"), (600, "10.0 min"),
                                               (36_000, "10.0 h"), (float("inf"), "?")])
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_dry_run_trains_a_few_steps_and_estimates_the_whole_task() -> None:
    spec = load_spec(TINY)
    progress: list[tuple[int, float]] = []
    report = estimate(spec, OFFLINE, steps=5, price_per_compute_unit=10**9, replication=3, benchmark_seconds=0.1,
                      on_progress=lambda step, loss: progress.append((step, loss)))
    assert report.steps_measured == 5 and report.total_steps == spec.training.steps
    assert [step for step, _ in progress] == [1, 2, 3, 4, 5] and all(loss > 0 for _, loss in progress)
    assert report.loss_after == pytest.approx(progress[-1][1])
    assert report.compute_units == compute_units(spec) and report.untimed_reason is None
    assert report.parameters == parameter_count(spec) == 64 * 16 + 16 + 16 * 10 + 10
    assert report.memory_bytes == report.parameters * 4 * 4  # adam: weights, gradients, two moments
    assert report.seconds_per_step and report.training_gflops and report.peak_memory_mb is not None
    assert report.estimated_seconds == pytest.approx(report.seconds_per_step * spec.training.steps)
    times = [report.seconds_by_class[c] for c in sorted(report.seconds_by_class)]
    assert times == sorted(times, reverse=True)  # faster classes, shorter estimates
    assert report.suggested_budget_wei == suggested_budget(report.compute_units, 10**9, 3)
    assert estimate(spec, OFFLINE, steps=10_000, benchmark_seconds=0.05).steps_measured == spec.training.steps


def test_untimed_estimate_still_prices_the_task() -> None:
    spec = load_spec(TINY)
    report = estimate(spec, OFFLINE, max_timed_macs=1)
    assert report.steps_measured == 0 and report.seconds_per_step is None and report.estimated_seconds is None
    assert report.untimed_reason is not None and "over the 1" in report.untimed_reason
    assert report.seconds_by_class == {} and report.parameters == parameter_count(spec)
    assert report.suggested_budget_wei == suggested_budget(compute_units(spec), 10**12, 1)


def test_node_earnings_follow_the_profile_fee_and_weights() -> None:
    spec = load_spec(TINY)
    units = compute_units(spec)
    costly = replace(PRODUCTION, protocol_fee_bps=1000, base_weight_bps=6000, quality_weight_bps=2000,
                     reputation_weight_bps=2000)
    terms = terms_from_profile(costly, "a unit test")
    report = estimate(spec, terms, replication=2, max_timed_macs=1)
    assert terms.source == "profile" and "production" in terms.detail
    cheap = estimate(spec, OFFLINE, replication=2, max_timed_macs=1)
    assert report.suggested_budget_wei == suggested_budget(units, 10**12, 2) == cheap.suggested_budget_wei
    assert report.node_net_wei[1] < cheap.node_net_wei[1]  # a 10% fee leaves the node less than a 2% one
    params = initial_settlement_params(costly)
    assert report.node_net_wei == (
        node_payout(report.suggested_budget_wei, 2, units, 10**12, None, 0, params).net,
        node_payout(report.suggested_budget_wei, 2, units, 10**12, BPS, BPS, params).net)
    assert report.node_net_wei[0] < report.node_net_wei[1] == units * 10**12 * 9 // 10  # full weight, 10% fee
