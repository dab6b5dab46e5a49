"""Where a task trains, and which verification modes a task that may train on a GPU can use.

A spec's `execution.device` says where it may train (`nnc.task.spec.ExecutionSpec`): `cpu` (the
default), `cuda` or `auto` (CUDA where the node has it). Float results differ in their last bits
between a CPU and a GPU, and between GPU models (other kernels, other summation orders); the
digest's rounding absorbs some of that, training amplifies the rest. Hence the rules for a task
that may train on a GPU (`may_use_gpu`):

- **spot-check** (one trainer, a verifier replays segments): allowed, with a tolerance calibrated
  on CPU↔CUDA replays of the same segment: the dry run replays the spec's first segment on both
  and suggests the tolerance (`nnc.node.determinism`); publishing tools refuse one under
  `GPU_MIN_TOLERANCE`. The verifier may replay on its CPU or its GPU; one without a GPU replays a
  `cuda` task on its CPU.
- **replicate** (several nodes must produce the same digest): allowed only when the spec pins
  the GPU model (`execution.device_model`): every replica trains on that model with deterministic
  algorithms forced (`nnc.training.device.deterministic_cuda`), and a node without it does not
  apply (`node_refusal`). The chain needs no new field: the spec, whose digest the task commits
  to, carries the model, and each node checks it against its own hardware before applying.

`check_publish` enforces the rules when a task is published, `check_spot_check_tolerance` when
its spot-check is enabled, `node_refusal` when a node considers it. This module imports no torch:
`nnc.training.device` turns `resolve_device`'s answer into a `torch.device`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from nnc.errors import TaskSpecError, TrainingError
from nnc.task.spec import TaskSpec

TrainingDevice = Literal["cpu", "cuda"]

GPU_MIN_TOLERANCE: Final = 1e-3
"""The smallest spot-check tolerance (relative L2 distance per segment) a task that may train on a
GPU accepts; a floor, not a calibration. On an H100 (BENCHMARKS.md, "GPUs"), CPU replays of CUDA
segments landed within 3e-7 for small models and for every segment after the first, but the
first segment of a wide MLP trained by Adam (lr 0.01) landed 0.016 away (a CNN's, 2.4e-4): early
Adam steps amplify last-bit differences. The dry run measures the spec's own first segment
(`nnc.node.determinism`) and suggests its tolerance; this floor only rejects tolerances no GPU
task can meet."""


def may_use_gpu(spec: TaskSpec) -> bool:
    """Whether some node may train `spec` on a GPU (`device` is `cuda` or `auto`)."""
    return spec.device != "cpu"


def resolve_device(spec: TaskSpec, cuda_available: bool, *, replay: bool = False) -> TrainingDevice:
    """The device this machine runs `spec` on: `cpu` for a CPU task, CUDA for `auto` when the
    machine has it, CUDA for `cuda`. `replay=True` (a verifier's replay, an evaluation, a
    requester's dry run) runs a `cuda` task on the CPU of a machine without CUDA, since spot-checks
    of GPU tasks tolerate the difference; a node training it there raises `TrainingError`."""
    if spec.device == "cpu" or (spec.device == "auto" and not cuda_available):
        return "cpu"
    if cuda_available:
        return "cuda"
    if replay:
        return "cpu"
    raise TrainingError(f"{spec.name}: the spec trains on CUDA (execution.device 'cuda') and this machine has no "
                        "CUDA device")


def mode_problem(spec: TaskSpec, replication: int) -> str | None:
    """Why `spec` may not be published with `replication` nodes (None: it may)."""
    if spec.parallel is not None and replication != spec.parallel.nodes:
        return (f"a parallel task is trained by its {spec.parallel.nodes} nodes together, one per shard, each "
                f"assigned by the market: publish it with replication {spec.parallel.nodes}, not {replication}")
    if replication > 1 and may_use_gpu(spec) and (spec.execution is None or spec.execution.device_model is None):
        return (f"replicate mode (replication {replication}) needs bitwise agreement, which GPUs of different "
                f"models do not promise: a task with execution.device {spec.device!r} replicates only with "
                "execution.device_model naming the GPU every replica trains on; otherwise publish it with "
                f"replication 1 and a spot-check with tolerance at least {GPU_MIN_TOLERANCE:g}")
    return None


def check_publish(spec: TaskSpec, replication: int) -> None:
    """Raises `TaskSpecError` when `spec` may not be published with `replication` nodes."""
    problem = mode_problem(spec, replication)
    if problem is not None:
        raise TaskSpecError(f"{spec.name}: {problem}")


def check_spot_check_tolerance(spec: TaskSpec, tolerance: float) -> None:
    """Raises `TaskSpecError` when a spot-check of `spec` with `tolerance` would fail honest GPU
    trainers (a verifier's CPU replay differs from their CUDA training in the last bits)."""
    if may_use_gpu(spec) and tolerance < GPU_MIN_TOLERANCE:
        raise TaskSpecError(f"{spec.name}: a task with execution.device {spec.device!r} needs a spot-check tolerance "
                            f"of at least {GPU_MIN_TOLERANCE:g} (CPU and CUDA replays of a segment differ), "
                            f"not {tolerance:g}")


def node_refusal(spec: TaskSpec, replication: int, gpu_models: Sequence[str]) -> str | None:
    """Why a node whose CUDA devices are `gpu_models` (names, empty: none) must not apply for
    `spec` trained by `replication` nodes (None: it may)."""
    has = ", ".join(gpu_models) or "no GPU"
    wanted = None if spec.execution is None else spec.execution.device_model
    if wanted is not None and wanted not in gpu_models:
        return f"the task trains on a {wanted} (execution.device_model); this node has {has}"
    problem = mode_problem(spec, replication)
    if problem is not None:
        return problem
    if spec.device == "cuda" and not gpu_models:
        return "the task trains on CUDA (execution.device 'cuda'); this node has no GPU"
    return None
