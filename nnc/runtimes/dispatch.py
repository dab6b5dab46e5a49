"""Training, replay and evaluation of any spec, dispatched to its framework's runtime.

The runtimes own this dispatch: `nnc.training` is the deterministic loop below them and never
imports them. These functions load torch and the spec's framework: import this module only where
a command trains, replays or evaluates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Any

import torch

from nnc.runtimes import runtime_for
from nnc.sandbox import SandboxLimits
from nnc.task import TaskSpec
from nnc.training.checkpoints import Checkpoint, CheckpointState
from nnc.training.digest import normalize_node
from nnc.training.program_package import ProgramFiles
from nnc.training.trainer import TrainingResult


def train(
    spec: TaskSpec,
    workdir: Path,
    *,
    node: str | None,
    on_checkpoint: Callable[[Checkpoint], None] | None = None,
    on_progress: Callable[[int, float], None] | None = None,
    resume: bool = True,
    dataset_file: Path | None = None,
    files: ProgramFiles | None = None,
) -> TrainingResult:
    """Train `spec` deterministically in `workdir` as `node` (the training node's address) with its
    framework's runtime and return the result commitment data.

    Same spec, same framework versions and thread count → same `result_digest`; the `chain_head`
    is the same too for the same `node`, and differs between nodes, whose chains start from their
    own genesis (`digest.chain_genesis`). `node=None` only where no node trains (see there).
    Model initialisation is seeded by the spec's seed (inside a forked RNG, so the caller's RNG is
    untouched); batches come from `BatchSampler` (a function of seed and step).

    Every `checkpoint_interval` steps and at the last step a checkpoint is written atomically to
    `workdir/checkpoints/step-<n>.pt`, the chain is extended (see `digest.chain_step`) and
    `on_checkpoint` is called. `on_progress(step, loss)` is called every `PROGRESS_EVERY` steps.
    With `resume=True` the latest checkpoint in `workdir` is verified (against `node`'s genesis:
    a node resumes only its own chain) and training continues from it, ending with the same digest
    and chain head as an uninterrupted run; with `resume=False` existing checkpoint files are
    deleted first. The final weights (a flat name → tensor dict) are written to
    `workdir/model.pt`. A spec whose dataset has a `uri` trains on `dataset_file`, the fetched
    copy; one with `program` or `init` sections uses `files`, their fetched copies (a requester's
    program never trains in process: `nnc.worker.sandboxed_training` trains it). Raises
    `TrainingError` when the data or a checkpoint does not fit, and `RuntimeMissingError` when
    the spec's framework is not installed.
    """
    return runtime_for(spec, files).train(spec, workdir, node=normalize_node(node), on_checkpoint=on_checkpoint,
                                   on_progress=on_progress, resume=resume, dataset_file=dataset_file)


def replay(spec: TaskSpec, start: CheckpointState | None, end_step: int, data: Any | None = None,
           files: ProgramFiles | None = None) -> dict[str, torch.Tensor]:
    """Re-executes training from `start` (or from the seeded initial model when None) up to
    `end_step`, exactly as `train` runs those steps, and returns the weights at `end_step`.

    This is what a spot-check verifier runs for one checkpoint segment: the same seed, batch
    order, optimizer state and thread count give the same weights as the trainer's checkpoint.
    `data` is the runtime's `load_data(spec)`, passed in to load it once for several segments.
    """
    return runtime_for(spec, files).replay(spec, start, end_step, data)


def evaluate(spec: TaskSpec, weights: Mapping[str, torch.Tensor], dataset_file: Path | None = None,
             files: ProgramFiles | None = None, limits: SandboxLimits | None = None) -> float:
    """The spec's acceptance metric (accuracy, or eval loss) of committed `weights` on its eval
    split; a requester's program computes it in the sandbox (under `limits`)."""
    runtime = runtime_for(spec, files, limits)
    data = runtime.load_data(spec, dataset_file)
    with closing(data) if hasattr(data, "close") else nullcontext():
        return runtime.evaluate(spec, weights, data)
