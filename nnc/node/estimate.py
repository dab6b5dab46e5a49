"""The dry run and the one estimate built on it, shared by `nnc task dry-run` and the API.

`estimate(spec, terms)` trains a few real steps of a spec on this machine (before any money is
escrowed) and extrapolates to the whole task: compute units (what nodes are paid for), parameters
and the memory of their training state, time per step and for the whole task here and on each
hardware class, peak memory, and a budget priced with the protocol's fee and settlement weights
(`PricingTerms`: read from the chain's MarketConfig when one is connected, else a deploy
profile's initial values, and the estimate says which).

Time per class scales this machine's measured training throughput (FLOPs per second actually
reached on the spec's model) by the ratio between the class's reference matmul throughput and
this machine's benchmark. Small models are dominated by per-step overheads that do not shrink
on faster hardware, so the estimates for the faster classes are lower bounds.

Figures are measured on the device the spec trains on here (`execution.device`: a GPU when it
allows one and the machine has it), benchmark included, so the per-class scaling compares like
with like. The dry run also trains the first steps twice from the seed and compares their digests
(`nnc.node.determinism`): a spec that is not reproducible gets a warning that replicate mode will
not agree and the spot-check tolerance to use instead.

A spec is not trained (its figures that need no training still come back, `steps_measured` 0)
when its framework is not installed here, when its data live at a URI the caller did not fetch,
or when one step is over the caller's `max_timed_macs`.

The dry run belongs to no node (it runs before any node is assigned) and writes no checkpoints,
so it has no hash chain; were one needed, it would start from `chain_genesis(spec, None)`, the
spec digest itself, the only genesis not bound to a node.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from nnc.chain.profiles import ProtocolParams
from nnc.chain.settlement import BPS, initial_settlement_params, node_payout
from nnc.chain.types import SettlementParams
from nnc.resources import peak_memory
from nnc.runtimes import RUNTIMES, runtime_for
from nnc.task.cost import compute_units, model_macs, parameter_count, training_state_bytes
from nnc.task.spec import TaskSpec
from nnc.task.timing import StepTiming

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.training.program_package import ProgramFiles

CLASS_REFERENCE_GFLOPS: Final = {0: 10.0, 1: 63.0, 2: 632.0, 3: 6325.0}
"""A representative matmul throughput of each hardware class: the geometric middle of its range
(see `nnc.node.profile.hardware_class`: 0 under 20, 1 from 20, 2 from 200, 3 from 2000 GFLOPS)."""

DEFAULT_DRY_STEPS: Final = 20
DEFAULT_PRICE_WEI: Final = 10**12
"""Wei per compute unit a budget assumes when the caller names no price."""
WARM_UP_STEPS: Final = 2
"""Untimed steps before the timed ones: imports, the allocator, kernels."""
DEFAULT_BENCHMARK_SECONDS: Final = 0.5


@dataclass(frozen=True)
class PricingTerms:
    """The protocol's fee and settlement weights an estimate prices with, and where they come from:
    `source` is "chain" (read from MarketConfig) or "profile" (a deploy profile's initial values,
    no chain connected); `detail` says which contract or profile, and why no chain."""

    settlement: SettlementParams
    source: str
    detail: str


def terms_from_chain(client: ChainClient) -> PricingTerms:
    """The fee and weights MarketConfig holds now (governance may have changed them since deploy)."""
    from nnc.chain.market import Market  # web3: only for callers with a chain

    market = Market(client)
    return PricingTerms(market.settlement_params(), "chain",
                        f"MarketConfig {market.config.address} on chain {client.w3.eth.chain_id}")


def terms_from_profile(params: ProtocolParams, why: str) -> PricingTerms:
    """The fee and weights a deployment with the profile `params` starts with; `why` no chain is read."""
    return PricingTerms(initial_settlement_params(params), "profile", f"deploy profile {params.profile} ({why})")


@dataclass(frozen=True)
class Estimate:
    """What a task costs and takes, from a dry run on this machine (see the module's notes).

    Measured figures (`seconds_per_step`, `loss_after`, the benchmark and throughputs, peak memory,
    per-class times) are None, or empty, when the spec was not trained here (`untimed_reason`).
    """

    compute_units: int
    model_macs: int
    total_steps: int
    parameters: int | None  # None: a UNet not built here (its size depends on the framework)
    memory_bytes: int | None  # float32 training state: weights, gradients (+ Adam's two moments)
    steps_measured: int
    seconds_per_step: float | None
    loss_after: float | None
    peak_memory_mb: float | None  # resident set above the process's start, during the timed steps
    benchmark_gflops: float | None  # this machine's matmul benchmark
    training_gflops: float | None  # what training the spec's model reached here
    seconds_by_class: dict[int, float]  # the whole task on each hardware class
    untimed_reason: str | None
    device: str | None  # where the dry run trained: "cpu" or "cuda"
    reproducible: bool | None  # two runs from the seed gave the same digest (None: not checked)
    cpu_cuda_distance: float | None  # relative L2 distance of a CPU replay from the CUDA run (trained on CUDA)
    suggested_tolerance: float | None  # the smallest spot-check tolerance for this spec, by the check
    determinism_warning: str | None  # why replicate mode will not agree (or may not be used), for the requester
    price_per_compute_unit_wei: int
    replication: int
    suggested_budget_wei: int
    node_net_wei: tuple[int, int]  # one paid node's net at the suggested budget: lowest, highest
    terms: PricingTerms

    @property
    def estimated_seconds(self) -> float | None:
        """The whole task on this machine."""
        return None if self.seconds_per_step is None else self.seconds_per_step * self.total_steps


def suggested_budget(units: int, price_per_compute_unit: int, replication: int) -> int:
    """The smallest budget at which `replication` nodes asking `price_per_compute_unit` (wei) fit
    the per-node share (`SettlementMath.affordable`). The protocol fee is not added on top: the
    contract takes it out of each node's gross, so a margin for it would only come back as refund."""
    return units * price_per_compute_unit * replication


def node_net_range(budget: int, replication: int, units: int, price: int, params: SettlementParams) -> tuple[int, int]:
    """One paid node's net credit (`nnc.chain.settlement.node_payout`, gross less the fee, no NNT
    bonus): at its lowest, an unscored result of a node without reputation; at its highest, a
    perfect score and reputation."""
    low = node_payout(budget, replication, units, price, None, 0, params).net
    high = node_payout(budget, replication, units, price, BPS, BPS, params).net
    return low, high


def measured_steps(spec: TaskSpec, steps: int) -> int:
    """How many steps `time_steps` trains when asked for `steps`: at least one, at most the spec's
    (none for an inference task, which the dry run does not time)."""
    if spec.inference is not None:
        return 0
    return max(1, min(steps, spec.schedule.steps))


def time_steps(spec: TaskSpec, steps: int, dataset_file: Path | None = None,
               on_progress: Callable[[int, float], None] | None = None, files: ProgramFiles | None = None,
               ) -> StepTiming:
    """Builds the spec's model and data with its framework's runtime, then times
    `measured_steps(spec, steps)` training steps (the spec's seed, batch order, optimizer and
    thread count); the model is discarded. `on_progress(step, loss)` is called after every step
    (its time counts). A requester's program (`files`: its fetched package and init weights) runs
    in the sandbox, as a node would run it."""
    return runtime_for(spec, files).time_steps(spec, measured_steps(spec, steps), dataset_file,
                                               on_progress=on_progress)


def untimed_reason(spec: TaskSpec, dataset_file: Path | None, max_timed_macs: int | None,
                   files: ProgramFiles | None = None) -> str | None:
    """Why `estimate` would not train `spec` here (None: it would)."""
    if spec.inference is not None:
        return "an inference task: priced by its forward passes, not timed by the dry run"
    if not RUNTIMES[spec.framework].installed():
        return f"the {spec.framework} runtime is not installed here"
    if (spec.program is not None or spec.starts_from_weights) and files is None:
        return "its program package or init weights were not fetched"
    if spec.dataset.uri is not None and dataset_file is None:
        return f"the dataset at {spec.dataset.uri} was not fetched"
    step_macs = model_macs(spec) * spec.schedule.batch_size
    if max_timed_macs is not None and step_macs > max_timed_macs:
        return f"one step is {step_macs} multiply-accumulates, over the {max_timed_macs} timed here"
    return None


def estimate(spec: TaskSpec, terms: PricingTerms, *, steps: int = DEFAULT_DRY_STEPS,
             price_per_compute_unit: int = DEFAULT_PRICE_WEI, replication: int = 1,
             benchmark_seconds: float = DEFAULT_BENCHMARK_SECONDS, dataset_file: Path | None = None,
             max_timed_macs: int | None = None,
             on_progress: Callable[[int, float], None] | None = None, files: ProgramFiles | None = None) -> Estimate:
    """Trains `steps` steps of `spec` (at most all of them; none when `untimed_reason` says so)
    after `WARM_UP_STEPS` untimed ones, and estimates the whole task, its budget priced with
    `terms`. `on_progress(step, loss)` follows the timed steps. Not thread-safe: torch's thread
    and determinism settings are process-wide (callers serving threads hold a lock)."""
    units, macs = compute_units(spec), model_macs(spec)
    budget = suggested_budget(units, price_per_compute_unit, replication)
    parameters = parameter_count(spec)
    passes = spec.schedule.steps if spec.inference is None else spec.inference.batches
    untimed = Estimate(
        compute_units=units, model_macs=macs, total_steps=passes, parameters=parameters,
        memory_bytes=None if parameters is None or spec.inference is not None
        else training_state_bytes(spec, parameters),
        steps_measured=0, seconds_per_step=None, loss_after=None, peak_memory_mb=None, benchmark_gflops=None,
        training_gflops=None, seconds_by_class={},
        untimed_reason=untimed_reason(spec, dataset_file, max_timed_macs, files), device=None, reproducible=None,
        cpu_cuda_distance=None, suggested_tolerance=None, determinism_warning=None,
        price_per_compute_unit_wei=price_per_compute_unit, replication=replication, suggested_budget_wei=budget,
        node_net_wei=node_net_range(budget, replication, units, price_per_compute_unit, terms.settlement),
        terms=terms)
    if untimed.untimed_reason is not None:
        return untimed

    from nnc.node.determinism import check_determinism  # imports torch
    from nnc.node.profile import measure_benchmark
    from nnc.training.device import training_device

    device = training_device(spec, replay=True).type
    with peak_memory() as peak:
        time_steps(spec, WARM_UP_STEPS, dataset_file, files=files)
        timing = time_steps(spec, steps, dataset_file, on_progress, files)
    benchmark = measure_benchmark(benchmark_seconds, device=device).matmul_gflops
    check = check_determinism(spec, dataset_file=dataset_file, replication=replication, files=files)
    total_seconds = timing.seconds_per_step * spec.schedule.steps
    return replace(
        untimed, parameters=timing.parameters, memory_bytes=training_state_bytes(spec, timing.parameters),
        steps_measured=timing.steps, seconds_per_step=timing.seconds_per_step,
        loss_after=timing.loss_after if math.isfinite(timing.loss_after) else None,
        peak_memory_mb=max(0.0, peak.mb_over_start), benchmark_gflops=benchmark,
        training_gflops=6 * macs * spec.schedule.batch_size / timing.seconds_per_step / 1e9,
        seconds_by_class={cls: total_seconds * benchmark / reference
                          for cls, reference in CLASS_REFERENCE_GFLOPS.items()},
        device=device, reproducible=check.reproducible, cpu_cuda_distance=check.cpu_cuda_distance,
        suggested_tolerance=check.suggested_tolerance, determinism_warning=check.warning)


def estimate_document(e: Estimate) -> dict[str, Any]:
    """The estimate as JSON (the API's response, `nnc task dry-run --json`): wei amounts as
    decimal strings (past 2^53 a JSON number loses digits in JavaScript), classes as string keys."""
    terms, s = e.terms, e.terms.settlement
    return {
        "compute_units": e.compute_units, "model_macs": e.model_macs, "parameters": e.parameters,
        "memory_bytes": e.memory_bytes, "steps_measured": e.steps_measured, "total_steps": e.total_steps,
        "seconds_per_step": e.seconds_per_step, "estimated_seconds": e.estimated_seconds,
        "loss_after": e.loss_after, "peak_memory_mb": e.peak_memory_mb, "benchmark_gflops": e.benchmark_gflops,
        "training_gflops": e.training_gflops,
        "seconds_by_class": {str(cls): seconds for cls, seconds in e.seconds_by_class.items()},
        "untimed_reason": e.untimed_reason, "device": e.device, "reproducible": e.reproducible,
        "cpu_cuda_distance": e.cpu_cuda_distance, "suggested_tolerance": e.suggested_tolerance,
        "determinism_warning": e.determinism_warning,
        "price_per_compute_unit_wei": str(e.price_per_compute_unit_wei), "replication": e.replication,
        "suggested_budget_wei": str(e.suggested_budget_wei),
        "node_net_wei": {"lowest": str(e.node_net_wei[0]), "highest": str(e.node_net_wei[1])},
        "protocol_fee_bps": s.protocol_fee_bps,
        "settlement_weights_bps": {"base": s.base_weight_bps, "quality": s.quality_weight_bps,
                                   "reputation": s.reputation_weight_bps},
        "source": terms.source, "source_detail": terms.detail,
    }


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
