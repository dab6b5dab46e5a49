"""A spec's `init` weights (or its `base_model`'s): read from their (digest-checked) file and put into the
freshly built model, so that training starts from them instead of from the seed alone.

The model is still built from the seeded RNG first (so that anything the weights do not cover,
such as a LoRA's adapters, starts as the seed makes it), then the program loads the weights: with
its `load_init(module, weights)` when it has one (a LoRA program loads them into the base it
adapts), else with `load_weights`. Names or shapes that do not fit raise `TrainingError` naming
the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from nnc.errors import TrainingError
from nnc.training.program import Program, TrainData


def read_init_weights(path: Path) -> dict[str, torch.Tensor]:
    """The name → tensor mapping of the safetensors file at `path`, or of the model file (`.pt`, a
    torch-saved flat mapping, loaded with `weights_only`) a spec's `base_model` was fetched into."""
    if path.suffix == ".pt":
        try:
            weights = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many kinds for bytes that are no model file
            raise TrainingError(f"base model weights {path.name} are not a model file torch can load: {exc}") from exc
        if not isinstance(weights, Mapping) or not all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()):
            raise TrainingError(f"base model weights {path.name} are not a mapping of name to tensor")
        return dict(weights)
    try:
        from safetensors.torch import load_file
    except ImportError as exc:
        raise TrainingError("init weights need the safetensors package (pip install safetensors)") from exc
    try:
        return dict(load_file(str(path)))
    except Exception as exc:  # safetensors raises its own error types for a malformed file
        raise TrainingError(f"init weights {path.name} are not a readable safetensors file: {exc}") from exc


class InitializedProgram:
    """`program`, whose every freshly built model starts from `weights` (read from `source`)."""

    def __init__(self, program: Program, weights: Mapping[str, torch.Tensor], source: str) -> None:
        self.program = program
        self.init = dict(weights)
        self.source = source

    def load_data(self, dataset_file: Path | None) -> TrainData:
        return self.program.load_data(dataset_file)

    def build(self) -> nn.Module:
        module = self.program.build()
        load = getattr(self.program, "load_init", None) or self.program.load_weights
        try:
            load(module, self.init)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise TrainingError(f"init weights {self.source} do not fit the model: {exc}") from exc
        return module

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        return self.program.trainable(module)

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        return self.program.weights(module)

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        self.program.load_weights(module, weights)

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        return self.program.loss(module, data, batch, step)

    def metric(self, module: nn.Module, data: TrainData) -> float:
        return self.program.metric(module, data)


def with_init(program: Program, init_file: Path | None) -> Program:
    """`program` starting from the weights in `init_file` (unchanged when None)."""
    if init_file is None:
        return program
    return InitializedProgram(program, read_init_weights(init_file), init_file.name)
