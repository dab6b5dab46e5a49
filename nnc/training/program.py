"""What the deterministic trainer needs to know about one kind of torch model: a `Program`.

`nnc.training.trainer` owns the loop (seeding, batch order, checkpoints, the hash chain,
resumption, replay); a program owns the model: how it is built from the spec, which of its
weights train and are committed, how a batch's loss and the eval metric are computed. One program
per framework family lives in `nnc.runtimes`; `program_for(spec)` picks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, TypeVar

import torch
from torch import nn

from nnc.task import TaskSpec

M = TypeVar("M")


class TrainData(Protocol):
    """A dataset split for training: `n_train` samples the batch sampler draws indices from."""

    @property
    def n_train(self) -> int: ...


class Program(Protocol):
    """One kind of model, for one spec. Every method is deterministic given torch's seeded RNG."""

    def load_data(self, dataset_file: Path | None) -> TrainData:
        """The spec's data split (from `dataset_file`, the fetched `uri`, when the spec names one)."""
        ...

    def build(self) -> nn.Module:
        """A fresh model; initialisation draws from torch's global RNG, seeded by the caller."""
        ...

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        """The parameters the optimizer updates (all of them, or only the adapters of a LoRA)."""
        ...

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """What checkpoints hold, the chain commits to and the result is: the trained weights."""
        ...

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        """Puts `weights` (as `weights` returned them) back into a freshly built `module`;
        raises RuntimeError, ValueError or KeyError when they do not fit."""
        ...

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        """The loss of 1-based `step` on `batch` (indices into the train split)."""
        ...

    def metric(self, module: nn.Module, data: TrainData) -> float:
        """The spec's acceptance metric on the eval split (accuracy, or the eval loss)."""
        ...


def full_weights(module: nn.Module) -> dict[str, torch.Tensor]:
    """Every weight of `module` (its state_dict): the committed weights of a fully trained model."""
    return dict(module.state_dict())


def spec_model(spec: TaskSpec, model_type: type[M], trains: str) -> M:
    """`spec.model` when it is a `model_type`; otherwise a TypeError saying what the program
    `trains` (e.g. "the video program trains conv3d models") and the spec's kind."""
    if not isinstance(spec.model, model_type):
        raise TypeError(f"{trains}, not {spec.model.kind!r}")
    return spec.model


class WholeModelProgram:
    """A `Program`'s weights part for a model trained whole: every parameter trains and the full
    state dict is committed and loaded back."""

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        return list(module.parameters())

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        return full_weights(module)

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        module.load_state_dict(dict(weights))
