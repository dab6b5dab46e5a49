"""`nnc task dry-run`: a few real training steps and the estimates derived from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.task import compute_units, load_spec
from nnc.task.dryrun import dry_run, format_seconds, suggested_budget

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json"


def test_budget_covers_the_nodes_and_the_fee_rounded_up() -> None:
    assert suggested_budget(273, 10**12, 2, 0) == 546 * 10**12
    budget = suggested_budget(273, 10**12, 2, 200)
    assert budget - budget * 200 // 10_000 >= 546 * 10**12  # what is left after the fee pays both nodes
    assert suggested_budget(1, 1, 1, 9_999) == 10_000


@pytest.mark.parametrize(("seconds", "text"), [(0.0042, "4.2 ms"), (3.25, "3.2 s"), (600, "10.0 min"),
                                               (36_000, "10.0 h"), (float("inf"), "?")])
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_dry_run_trains_a_few_steps_and_estimates_the_whole_task() -> None:
    spec = load_spec(TINY)
    progress: list[tuple[int, float]] = []
    report = dry_run(spec, steps=5, price_per_compute_unit=10**9, replication=3, benchmark_seconds=0.1,
                     on_progress=lambda step, loss: progress.append((step, loss)))
    assert report.steps_run == 5 and report.total_steps == spec.training.steps
    assert [step for step, _ in progress] == [1, 2, 3, 4, 5] and all(loss > 0 for _, loss in progress)
    assert report.compute_units == compute_units(spec)
    assert report.seconds_per_step > 0 and report.local_training_gflops > 0
    assert report.local_seconds == pytest.approx(report.seconds_per_step * spec.training.steps)
    times = [report.seconds_by_class[c] for c in sorted(report.seconds_by_class)]
    assert times == sorted(times, reverse=True)  # faster classes, shorter estimates
    assert report.suggested_budget_wei == suggested_budget(report.compute_units, 10**9, 3, 200)
    assert dry_run(spec, steps=10_000, benchmark_seconds=0.05).steps_run == spec.training.steps  # capped
