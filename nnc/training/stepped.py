"""The training loop of runtimes whose models step outside torch (`jax`, `tensorflow`).

Such a runtime wraps its model and optimizer state in a `SteppedModel`; training, replay and the
dry run's timing are then `train_program`'s steps exactly: the same batch order
(`BatchSampler`), checkpoints every `checkpoint_interval` steps and at the last through
`record_checkpoint` (so the same hash chain), resumption from the node's own latest checkpoint,
progress every `PROGRESS_EVERY` steps, and `finish` for the model file and digest. Weights and
optimizer state cross over as torch tensors in the torch classifier's layout.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import torch

from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.task.timing import StepTiming
from nnc.training.checkpoints import Checkpoint, CheckpointState, list_checkpoints
from nnc.training.data import BatchSampler
from nnc.training.trainer import (
    PROGRESS_EVERY,
    TrainingResult,
    finish,
    is_checkpoint_step,
    latest_checkpoint,
    record_checkpoint,
)

logger = logging.getLogger(__name__)


class SteppedModel(Protocol):
    """One spec's model and optimizer state, stepped by its own framework."""

    def fresh(self) -> None:
        """The seeded initial weights and an optimizer that has taken no step."""

    def restore(self, state: CheckpointState, what: str) -> None:
        """Weights and optimizer state from a checkpoint (`what` names it in errors)."""

    def step(self, data: Any, sampler: BatchSampler, step: int) -> float:
        """Training step `step` on its batch from `sampler`; returns the loss."""

    def weights(self) -> dict[str, torch.Tensor]:
        """The weights as torch tensors in the torch classifier's names, order and layout."""

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        """The optimizer state as named torch tensors (`t`: steps taken)."""

    def accuracy(self, data: Any) -> float:
        """Eval accuracy of the current weights."""

    def parameter_count(self) -> int: ...


def train_stepped(spec: TaskSpec, workdir: Path, model: SteppedModel, data: Any, n_train: int, *, framework: str,
                  node: str | None, on_checkpoint: Callable[[Checkpoint], None] | None = None,
                  on_progress: Callable[[int, float], None] | None = None, resume: bool = True) -> TrainingResult:
    """`Runtime.train` over `model` (`data` its framework's copy of a split of `n_train` training
    rows): from the node's latest checkpoint in `workdir` when `resume`, else from the seed."""
    started = time.perf_counter()
    workdir = Path(workdir)
    training = spec.schedule
    if not resume:
        for _, stale in list_checkpoints(workdir):
            stale.unlink()
    found = latest_checkpoint(spec, workdir, node=node) if resume else None
    history: list[Checkpoint] = []
    if found is not None:
        state, path = found
        model.restore(state, f"checkpoint {path}")
        history = state.history
    else:
        model.fresh()
    step = resumed_from = history[-1].step if history else 0
    sampler = BatchSampler(n_train, training.batch_size, training.seed)
    if step < training.steps:
        logger.info("training %s (%s): steps %d..%d, batch %d, %s lr %g", spec.name, framework, step + 1,
                    training.steps, training.batch_size, training.optimizer, training.learning_rate)
    while step < training.steps:
        step += 1
        loss = model.step(data, sampler, step)
        if not math.isfinite(loss):
            logger.warning("%s: loss is %s at step %d", spec.name, loss, step)
        if on_progress is not None and (step % PROGRESS_EVERY == 0 or step == training.steps):
            on_progress(step, loss)
        if is_checkpoint_step(spec, step):
            history = record_checkpoint(spec, workdir, history, step, loss, model.weights(),
                                        model.optimizer_state(), on_checkpoint, node=node)
    return finish(spec, workdir, model.weights(), model.accuracy(data), started, history=history,
                  resumed_from=resumed_from)


def replay_stepped(spec: TaskSpec, model: SteppedModel, data: Any, n_train: int, start: CheckpointState | None,
                   end_step: int) -> dict[str, torch.Tensor]:
    """`Runtime.replay`: the weights after `end_step`, trained from `start` (None: the seed)."""
    begin = 0 if start is None else start.step
    if not begin <= end_step <= spec.schedule.steps:
        raise TrainingError(f"cannot replay from step {begin} to {end_step} (spec has {spec.schedule.steps} steps)")
    if start is None:
        model.fresh()
    else:
        model.restore(start, f"checkpoint at step {begin}")
    sampler = BatchSampler(n_train, spec.schedule.batch_size, spec.schedule.seed)
    for step in range(begin + 1, end_step + 1):
        model.step(data, sampler, step)
    return model.weights()


def time_stepped(spec: TaskSpec, model: SteppedModel, data: Any, n_train: int, steps: int,
                 on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
    """`Runtime.time_steps`: one untimed step (compiles or traces it), then `steps` (at most the
    spec's) timed ones from the seed again, weights and optimizer state both reset."""
    measured = max(1, min(steps, spec.schedule.steps))
    sampler = BatchSampler(n_train, spec.schedule.batch_size, spec.schedule.seed)
    model.fresh()
    model.step(data, sampler, 1)
    model.fresh()
    started = time.perf_counter()
    loss = math.nan
    for step in range(1, measured + 1):
        loss = model.step(data, sampler, step)
        if on_progress is not None:
            on_progress(step, loss)
    seconds = time.perf_counter() - started
    return StepTiming(measured, seconds / measured, model.parameter_count(), loss)
