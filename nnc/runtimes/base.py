"""The interface every runtime implements, and `ProgramRuntime`, the one torch-based runtimes share.

A runtime trains a spec deterministically with checkpoints and the hash chain (`train`),
re-executes a segment of that training for a spot-check (`replay`), scores committed weights on
the eval split (`evaluate`) and times a few steps for the dry run (`time_steps`). Weights always
travel as a flat mapping of name → torch tensor, whatever the framework, so digests
(`nnc.training.digest`), checkpoint files and model files are the same for every runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from nnc.task import TaskSpec
from nnc.task.timing import StepTiming
from nnc.training import trainer
from nnc.training.checkpoints import Checkpoint, CheckpointState
from nnc.training.program import Program
from nnc.training.trainer import TrainingResult


class Runtime(Protocol):
    """Trains, replays, evaluates and times specs of the frameworks it serves."""

    def train(self, spec: TaskSpec, workdir: Path, *, node: str | None,
              on_checkpoint: Callable[[Checkpoint], None] | None = None,
              on_progress: Callable[[int, float], None] | None = None, resume: bool = True,
              dataset_file: Path | None = None) -> TrainingResult:
        """As `nnc.runtimes.dispatch.train` documents it (`node`: 0x and lower-case hex, or None); checkpoints
        go through `trainer.record_checkpoint` and resumption through `trainer.latest_checkpoint`."""
        ...

    def load_data(self, spec: TaskSpec, dataset_file: Path | None = None) -> Any:
        """The spec's data split, to pass to `replay` and `evaluate` (loaded once for many calls)."""
        ...

    def replay(self, spec: TaskSpec, start: CheckpointState | None, end_step: int,
               data: Any | None = None) -> dict[str, torch.Tensor]:
        """The weights at `end_step`, re-executed from checkpoint `start` (None: from the seed)."""
        ...

    def evaluate(self, spec: TaskSpec, weights: Mapping[str, torch.Tensor], data: Any) -> float:
        """The spec's acceptance metric of committed `weights` on the eval split of `data`."""
        ...

    def time_steps(self, spec: TaskSpec, steps: int, dataset_file: Path | None = None,
                   on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
        """`steps` real optimisation steps (at most the spec's), timed without data loading or
        building; `on_progress(step, loss)` after each."""
        ...


@dataclass(frozen=True)
class ProgramRuntime:
    """A torch runtime: the trainer's loop driven by the `Program` that `make_program(spec)` gives."""

    make_program: Callable[[TaskSpec], Program]

    def train(self, spec: TaskSpec, workdir: Path, *, node: str | None,
              on_checkpoint: Callable[[Checkpoint], None] | None = None,
              on_progress: Callable[[int, float], None] | None = None, resume: bool = True,
              dataset_file: Path | None = None) -> TrainingResult:
        return trainer.train_program(spec, self.make_program(spec), workdir, node=node, on_checkpoint=on_checkpoint,
                                     on_progress=on_progress, resume=resume, dataset_file=dataset_file)

    def load_data(self, spec: TaskSpec, dataset_file: Path | None = None) -> Any:
        return self.make_program(spec).load_data(dataset_file)

    def replay(self, spec: TaskSpec, start: CheckpointState | None, end_step: int,
               data: Any | None = None) -> dict[str, torch.Tensor]:
        return trainer.replay_program(spec, self.make_program(spec), start, end_step, data)

    def evaluate(self, spec: TaskSpec, weights: Mapping[str, torch.Tensor], data: Any) -> float:
        return trainer.evaluate_program(spec, self.make_program(spec), weights, data)

    def time_steps(self, spec: TaskSpec, steps: int, dataset_file: Path | None = None,
                   on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
        return trainer.time_program_steps(spec, self.make_program(spec), steps, dataset_file, on_progress)
