"""`nnc task dry-run`: train a few steps of a spec locally, before any money is escrowed, and
estimate what the whole task costs: compute units, time on each hardware class, peak memory and
a budget.

Time per class scales this machine's measured training throughput (FLOPs per second actually
reached on the spec's model) by the ratio between the class's reference matmul throughput and
this machine's benchmark. Small models are dominated by per-step overheads that do not shrink
on faster hardware, so the estimates for the faster classes are lower bounds.

The dry run belongs to no node (it runs before any node is assigned) and writes no checkpoints,
so it has no hash chain; were one needed, it would start from `chain_genesis(spec, None)`, the
spec digest itself, the only genesis not bound to a node.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nnc.chain.settlement import budget_for
from nnc.resources import peak_memory
from nnc.task.cost import compute_units, model_macs
from nnc.task.spec import TaskSpec
from nnc.task.timing import StepTiming

CLASS_REFERENCE_GFLOPS: Final = {0: 10.0, 1: 63.0, 2: 632.0, 3: 6325.0}
"""A representative matmul throughput of each hardware class: the geometric middle of its range
(see `nnc.worker.profile.hardware_class`: 0 under 20, 1 from 20, 2 from 200, 3 from 2000 GFLOPS)."""

DEFAULT_DRY_STEPS: Final = 20


def measured_steps(spec: TaskSpec, steps: int) -> int:
    """How many steps `time_steps` trains when asked for `steps`: at least one, at most the spec's."""
    return max(1, min(steps, spec.training.steps))


def time_steps(spec: TaskSpec, steps: int, dataset_file: Path | None = None,
               on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
    """Builds the spec's model and data with its framework's runtime, then times
    `measured_steps(spec, steps)` training steps (the spec's seed, batch order, optimizer and
    thread count); the model is discarded. `on_progress(step, loss)` is called after every step
    (its time counts)."""
    from nnc.runtimes import runtime_for  # imports torch and the framework: only for commands that train

    return runtime_for(spec).time_steps(spec, measured_steps(spec, steps), dataset_file, on_progress=on_progress)


@dataclass(frozen=True)
class DryRunReport:
    steps_run: int
    total_steps: int
    seconds_per_step: float
    compute_units: int
    local_benchmark_gflops: float
    local_training_gflops: float
    peak_memory_mb: float
    seconds_by_class: dict[int, float]
    suggested_budget_wei: int
    price_per_compute_unit_wei: int
    replication: int

    @property
    def local_seconds(self) -> float:
        return self.seconds_per_step * self.total_steps


def suggested_budget(units: int, price_per_compute_unit: int, replication: int, fee_bps: int) -> int:
    """What the nodes earn at `price_per_compute_unit` (wei) plus the protocol fee on top, rounded up."""
    return budget_for(units * price_per_compute_unit * replication, fee_bps)


def dry_run(spec: TaskSpec, steps: int = DEFAULT_DRY_STEPS, price_per_compute_unit: int = 10**12,
            replication: int = 1, fee_bps: int = 200, benchmark_seconds: float = 0.5,
            dataset_file: Path | None = None,
            on_progress: Callable[[int, float], None] | None = None) -> DryRunReport:
    """Trains `steps` steps of `spec` (at most all of them) in a scratch directory and estimates;
    `on_progress(step, loss)` follows the timed steps (not the two warm-up steps before them)."""
    from nnc.worker.profile import measure_benchmark  # imports torch

    with peak_memory() as peak:
        time_steps(spec, 2, dataset_file)  # warm-up: imports, allocator, kernels
        timing = time_steps(spec, steps, dataset_file, on_progress)
    steps_run, seconds_per_step = timing.steps, timing.seconds_per_step
    benchmark = measure_benchmark(benchmark_seconds)
    flops_per_step = 6 * model_macs(spec) * spec.training.batch_size
    training_gflops = flops_per_step / seconds_per_step / 1e9
    total_seconds = seconds_per_step * spec.training.steps
    by_class = {cls: total_seconds * benchmark.matmul_gflops / reference
                for cls, reference in CLASS_REFERENCE_GFLOPS.items()}
    units = compute_units(spec)
    return DryRunReport(
        steps_run=steps_run, total_steps=spec.training.steps, seconds_per_step=seconds_per_step,
        compute_units=units, local_benchmark_gflops=benchmark.matmul_gflops, local_training_gflops=training_gflops,
        peak_memory_mb=max(0.0, peak.mb_over_start), seconds_by_class=by_class,
        suggested_budget_wei=suggested_budget(units, price_per_compute_unit, replication, fee_bps),
        price_per_compute_unit_wei=price_per_compute_unit, replication=replication)


TRAINING_EFFICIENCY: Final = 0.1
"""The share of a node's benchmark matmul throughput that training reaches, at worst (small
models reach a few percent to a few tens: per-step overheads, data, the optimizer)."""

STEP_OVERHEAD_S: Final = 0.005
"""Seconds of fixed cost per training step (Python, the framework's dispatch), whatever the model."""

STARTUP_S: Final = 10.0
"""Seconds of fixed cost per task: starting the sandbox, loading the data, storing the model."""


def estimate_training_seconds(units: int, steps: int, matmul_gflops: float) -> float:
    """A rough, deliberately pessimistic estimate of how long a node with `matmul_gflops` takes
    to train a task of `units` compute units (1 CU = 10^6 FLOPs) in `steps` steps, without a
    dry run: the worker's check before it applies (`nnc.worker.daemon.Worker.consider`)."""
    flops_per_second = max(matmul_gflops, 0.1) * 1e9 * TRAINING_EFFICIENCY
    return units * 1e6 / flops_per_second + steps * STEP_OVERHEAD_S + STARTUP_S


def format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
