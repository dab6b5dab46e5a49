"""The `face-embedding` model kind of the `torch` runtime: face verification.

A small CNN maps a face image to an L2-normalised embedding; two images show the same person when
their embeddings' cosine similarity is above a threshold. Training is ArcFace (Deng et al. 2019):
a learned unit vector per identity, logits `scale · cos θ` against each, with the additive angular
`margin` added to the true identity's angle, under cross-entropy.

The split is by identity, not by image: the eval split holds whole identities (a fraction
`dataset.eval_fraction` of them, chosen by the spec's seed as `nnc.training.split` chooses
samples) that training never sees, so the score measures verification of strangers, as LFW's
protocol does. The metric `tar_at_far` compares every pair of eval images: genuine pairs (the same
identity) and impostor pairs (two identities); the similarity threshold is the one that accepts a
fraction `acceptance.far` (default 1 %) of the impostor pairs, and the score is the fraction of
genuine pairs above it (the true-accept rate at that false-accept rate). Higher is better, in
[0, 1], scored as accuracy is.

Data: `synthetic-faces` (`nnc.training.synthetic_faces`), or a requester's folder in the LFW
layout (one sub-folder per person holding that person's images, `format: imagefolder`) decoded
to the named dataset's image shape; every identity of the eval split needs two images at least.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nnc.errors import DatasetError
from nnc.task import DATASET_SHAPES, FaceEmbeddingSpec, TaskSpec
from nnc.training.data import SplitData, check_digest, dataset_digest, identity_arrays
from nnc.training.program import TrainData, WholeModelProgram, spec_model
from nnc.training.split import split_indices


class FaceEmbeddingNet(nn.Module):
    """Convs (3x3, ReLU, 2x2 max pool) → linear → unit embedding; `identities` rows of ArcFace."""

    def __init__(self, model: FaceEmbeddingSpec, image: tuple[int, int, int]) -> None:
        super().__init__()
        c_in, height, width = image
        layers: list[nn.Module] = []
        for c_out in model.channels:
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c_in, height, width = c_out, height // 2, width // 2
        self.image = image
        self.features = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_in * height * width, model.embedding))
        self.identities = nn.Parameter(torch.randn(model.identities, model.embedding) * 0.1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Unit embeddings of flattened images `(n, c·h·w)`."""
        embedded: torch.Tensor = self.features(inputs.view(-1, *self.image))
        return nn.functional.normalize(embedded, dim=1)


def arcface_loss(embeddings: torch.Tensor, centres: torch.Tensor, labels: torch.Tensor,
                 margin: float, scale: float) -> torch.Tensor:
    """ArcFace: cross-entropy of `scale · cos(θ_j)` over identities j, the true identity's angle
    widened to `θ + margin`. Where `θ + margin` would pass π (cos θ below cos(π - margin)) the
    target falls back to `cos θ - margin · sin(margin)`, keeping the logit decreasing in θ (as
    insightface does). `embeddings` are unit vectors; `centres` one row per identity."""
    cosine = embeddings @ nn.functional.normalize(centres, dim=1).T
    target = cosine.gather(1, labels[:, None])
    sine = torch.sqrt((1.0 - target * target).clamp(min=1e-7))
    widened = target * math.cos(margin) - sine * math.sin(margin)
    widened = torch.where(target > math.cos(math.pi - margin), widened, target - margin * math.sin(margin))
    logits = cosine.scatter(1, labels[:, None], widened) * scale
    return nn.functional.cross_entropy(logits, labels)


def tar_at_far(embeddings: torch.Tensor, labels: torch.Tensor, far: float) -> float:
    """The true-accept rate at false-accept rate `far` over every pair of the given unit
    embeddings: the threshold is the k-th highest impostor similarity, k = ⌊far × impostor
    pairs⌋, and a pair is accepted when its similarity is strictly above it (ties rejected), so
    at most a fraction `far` of impostor pairs is accepted. Then the fraction of genuine pairs
    accepted. `DatasetError` without genuine or impostor pairs."""
    similarity = embeddings @ embeddings.T
    upper = torch.triu(torch.ones_like(similarity, dtype=torch.bool), diagonal=1)
    same = labels[:, None] == labels[None, :]
    genuine, impostor = similarity[upper & same], similarity[upper & ~same]
    if len(genuine) == 0 or len(impostor) == 0:
        raise DatasetError(f"verification needs genuine and impostor pairs: the eval split has {len(genuine)} "
                           f"genuine and {len(impostor)} impostor (two images of some identity, two identities)")
    k = math.floor(far * len(impostor))
    threshold = torch.sort(impostor, descending=True).values[min(k, len(impostor) - 1)]
    return float((genuine > threshold).sum().item()) / len(genuine)


def identity_split(labels: np.ndarray, seed: int, eval_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the (train, eval) images: the eval identities are `split_indices` of the
    sorted distinct labels, so a person's images are all on one side."""
    people = np.unique(labels)
    _, held_out = split_indices(len(people), seed, eval_fraction)
    in_eval = np.isin(labels, people[held_out])
    return np.flatnonzero(~in_eval), np.flatnonzero(in_eval)


def load_faces(spec: TaskSpec, dataset_file: Path | None) -> SplitData:
    """The spec's identity images (the generated set, or `dataset_file`: its LFW-layout folder or
    .npz) checked against its digest and model, split by identity."""
    assert isinstance(spec.model, FaceEmbeddingSpec)
    dataset = spec.dataset
    inputs, labels = identity_arrays(dataset, dataset_file)
    check_digest(dataset, lambda: dataset_digest(inputs, labels), dataset_file)
    n_inputs = DATASET_SHAPES[dataset.name].n_inputs
    if inputs.shape[1] != n_inputs:
        raise DatasetError(f"dataset {dataset.name!r}: images of {inputs.shape[1]} values do not fit the model, which "
                           f"takes {DATASET_SHAPES[dataset.name].input_shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= spec.model.identities):
        raise DatasetError(f"dataset {dataset.name!r} holds identity {int(labels.max())} but model.identities is "
                           f"{spec.model.identities}: set it to the number of identities ({int(labels.max()) + 1})")
    train, held_out = identity_split(labels, spec.schedule.seed, dataset.eval_fraction)
    x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
    return SplitData(train_x=x[train].contiguous(), train_y=y[train].contiguous(),
                     eval_x=x[held_out].contiguous(), eval_y=y[held_out].contiguous())


class FaceEmbeddingProgram(WholeModelProgram):
    """Every weight trains (the ArcFace rows too: committed with the rest, though verification
    uses only the embedding); the loss is ArcFace's; the metric `tar_at_far` on unseen identities."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.model_spec = spec_model(spec, FaceEmbeddingSpec, "the face-embedding program trains face-embedding models")

    def load_data(self, dataset_file: Path | None) -> SplitData:
        return load_faces(self.spec, dataset_file)

    def build(self) -> nn.Module:
        return FaceEmbeddingNet(self.model_spec, DATASET_SHAPES[self.spec.dataset.name].input_shape)

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        assert isinstance(data, SplitData) and isinstance(module, FaceEmbeddingNet)
        return arcface_loss(module(data.train_x[batch]), module.identities, data.train_y[batch],
                            self.model_spec.margin, self.model_spec.scale)

    def metric(self, module: nn.Module, data: TrainData) -> float:
        assert isinstance(data, SplitData)
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                embeddings = module(data.eval_x)
        finally:
            module.train(was_training)
        return tar_at_far(embeddings, data.eval_y, self.spec.goal.false_accept_rate)

