"""The `torch` runtime: classifiers (`mlp`, `cnn`) on classification datasets (images, audio and
video clips), trained with cross-entropy and scored by eval accuracy."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from nnc.runtimes import builtin_program
from nnc.runtimes.base import ProgramRuntime, Runtime
from nnc.task import DATASET_SHAPES, ModelSpec, TaskSpec
from nnc.training.data import SplitData, load_data
from nnc.training.models import build_model
from nnc.training.program import TrainData, WholeModelProgram, spec_model


class ClassifierProgram(WholeModelProgram):
    """Every weight trains; the loss is cross-entropy of the logits; the metric eval accuracy."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.model_spec = spec_model(spec, ModelSpec, "the classifier program trains mlp and cnn models")

    def load_data(self, dataset_file: Path | None) -> SplitData:
        return load_data(self.spec, dataset_file)

    def build(self) -> nn.Module:
        return build_model(self.model_spec, DATASET_SHAPES[self.spec.dataset.name])

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        assert isinstance(data, SplitData)
        return nn.functional.cross_entropy(module(data.train_x[batch]), data.train_y[batch])

    def metric(self, module: nn.Module, data: TrainData) -> float:
        assert isinstance(data, SplitData)
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                predictions = module(data.eval_x).argmax(dim=1)
        finally:
            module.train(was_training)
        return float((predictions == data.eval_y).sum().item()) / len(data.eval_y)


RUNTIME: Runtime = ProgramRuntime(builtin_program)
"""The `torch` runtime: the built-in program of the spec's model kind (this module's classifiers,
or `nnc.runtimes.face_embedding`)."""
