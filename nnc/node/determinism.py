"""The dry run's determinism check: does a spec train to the same weights twice?

Replicate mode pays only when every replica submits the same digest, so a requester learns before
publishing whether the spec is reproducible here: the first `steps` steps are trained twice from
the spec's seed (the replay path a verifier runs, on the device the spec trains on here) and
their weights digests compared. A spec that may train on a GPU is also replayed on the CPU, and
the distance between the two is what a spot-check's tolerance must cover.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nnc.runtimes import runtime_for
from nnc.task import ExecutionSpec, TaskSpec
from nnc.task.execution import GPU_MIN_TOLERANCE, mode_problem
from nnc.training.device import training_device
from nnc.training.digest import model_digest
from nnc.training.program_package import ProgramFiles
from nnc.verification.procedure import relative_distance

logger = logging.getLogger(__name__)

MAX_CHECK_STEPS: Final = 50
"""The check trains the spec's first checkpoint segment, at most this many steps: the first
segment is where CPU and CUDA drift apart most (early Adam steps amplify last-bit differences)."""
TOLERANCE_MARGIN: Final = 10.0
"""A suggested spot-check tolerance is this many times the distance measured here."""
SPOT_CHECK_DEFAULT_TOLERANCE: Final = 1e-4
"""`nnc verify enable`'s default tolerance: a suggestion is never below it."""


@dataclass(frozen=True)
class DeterminismCheck:
    """Two runs of `steps` steps from the seed on `device`: their digests (hex), whether they agree,
    their relative L2 distance, the CPU↔CUDA distance (a spec trained on CUDA here, else None),
    the smallest spot-check tolerance to use, and a warning for the requester (None: no concern)."""

    steps: int
    device: str
    digests: tuple[str, str]
    reproducible: bool
    distance: float
    cpu_cuda_distance: float | None
    suggested_tolerance: float
    warning: str | None


def suggested_tolerance(spec: TaskSpec, *distances: float) -> float:
    """The smallest spot-check tolerance for `spec` given the distances measured: `TOLERANCE_MARGIN`
    times the largest, at least the default tolerance, and at least `GPU_MIN_TOLERANCE` for a
    task that may train on a GPU."""
    floor = GPU_MIN_TOLERANCE if spec.device != "cpu" else SPOT_CHECK_DEFAULT_TOLERANCE
    return max(floor, TOLERANCE_MARGIN * max(distances, default=0.0))


def check_determinism(spec: TaskSpec, steps: int | None = None, dataset_file: Path | None = None,
                      replication: int = 1, files: ProgramFiles | None = None) -> DeterminismCheck:
    """Trains the first `steps` steps of `spec` (default: its first checkpoint segment, at most
    `MAX_CHECK_STEPS`) twice and compares (see the module's notes); `replication` is how many
    nodes the requester means to replicate it on; `files`, a requester's program and init weights
    (the program runs in the sandbox, as everywhere)."""
    if steps is None:
        steps = min(spec.schedule.checkpoint_interval, MAX_CHECK_STEPS)
    runtime = runtime_for(spec, files)
    data = runtime.load_data(spec, dataset_file)
    measured = max(1, min(steps, spec.schedule.steps))
    device = training_device(spec, replay=True)
    decimals = spec.determinism.digest_decimals
    first = runtime.replay(spec, None, measured, data)
    second = runtime.replay(spec, None, measured, data)
    digests = (model_digest(first, decimals).hex(), model_digest(second, decimals).hex())
    distance = relative_distance(second, first)
    cpu_cuda = None
    if device.type == "cuda":
        on_cpu = spec.model_copy(update={"execution": ExecutionSpec(device="cpu")})  # same run, on the CPU
        cpu_cuda = relative_distance(runtime.replay(on_cpu, None, measured, data), first)
    tolerance = suggested_tolerance(spec, distance, cpu_cuda or 0.0)
    reproducible = digests[0] == digests[1]
    warning = None
    if not reproducible:
        warning = (f"not reproducible: two runs of {measured} step(s) from seed {spec.schedule.seed} on {device.type} "
                   f"gave different weights (digests {digests[0][:12]}… and {digests[1][:12]}…, relative distance "
                   f"{distance:.3g}), so replicate mode (replication > 1) will not agree; publish it with "
                   f"replication 1 and a spot-check with tolerance at least {tolerance:.3g}")
    else:
        problem = mode_problem(spec, replication)
        if problem is not None:
            warning = problem
    logger.info("determinism check of %s on %s: %s (distance %.3g%s)", spec.name, device.type,
                "reproducible" if reproducible else "NOT reproducible", distance,
                "" if cpu_cuda is None else f", CPU↔CUDA {cpu_cuda:.3g}")
    return DeterminismCheck(steps=measured, device=device.type, digests=digests, reproducible=reproducible,
                            distance=distance, cpu_cuda_distance=cpu_cuda, suggested_tolerance=tolerance,
                            warning=warning)
