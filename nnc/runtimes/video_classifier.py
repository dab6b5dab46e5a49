"""The `conv3d` kind (`torch`): a video classifier that convolves over time as well as space,
on clips of (frames, height, width) grey values (`synthetic-video`: 16 frames of 64x64).

Clips stream: none of the dataset is held in memory. The bundled `synthetic-video` generates
each clip of a batch from its index (`nnc.training.synthetic_video`); a spec's `uri` (format
`webdataset`: tar shards of `.npy` clips and `.cls` labels) is indexed once and each batch reads
its own clips from disk (`nnc.datasets.shard_index`). Which clips a step reads is the trainer's
`BatchSampler`'s, a function of the seed and step, so replicas, replays and a resumed run read the
same batches. Scored by accuracy on the eval split, read in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import torch
from torch import nn

from nnc.datasets.shard_index import ShardIndex, index_shards
from nnc.errors import DatasetError, TrainingError
from nnc.task import DATASET_SHAPES, Conv3DSpec, TaskSpec
from nnc.training.data import check_digest
from nnc.training.program import TrainData, WholeModelProgram, spec_model
from nnc.training.split import split_indices
from nnc.training.synthetic_video import BUNDLED_CLIPS, clip, video_digest

EVAL_CHUNK: Final = 32
"""Clips scored at once."""


class VideoNet(nn.Module):
    """Average over `pool` x `pool` pixels, then per channel count a 3x3x3 conv (padding 1),
    ReLU and 2x2x2 max pooling; global average pooling; a linear head."""

    def __init__(self, model: Conv3DSpec, classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.AvgPool3d((1, model.pool, model.pool))] if model.pool > 1 else []
        c_in = 1
        for c_out in model.channels:
            layers += [nn.Conv3d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2)]
            c_in = c_out
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool3d(1), nn.Flatten())
        self.head = nn.Linear(c_in, classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Logits of clips `(n, frames, height, width)` in [0, 1]."""
        out: torch.Tensor = self.head(self.features(clips.unsqueeze(1)))
        return out


@dataclass(frozen=True)
class VideoData:
    """The train and eval clip numbers of a clip source (the generator, or a shard index)."""

    source: ShardIndex | None
    shape: tuple[int, ...]
    train: np.ndarray
    eval: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.train)

    def labels(self, numbers: np.ndarray) -> torch.Tensor:
        if self.source is None:
            return torch.from_numpy(np.asarray([clip(int(i))[1] for i in numbers], dtype=np.int64))
        return torch.from_numpy(self.source.labels[numbers])

    def clips(self, numbers: np.ndarray) -> torch.Tensor:
        """Clips `numbers` as float32 `(n, frames, height, width)` in [0, 1], read now."""
        arrays = [clip(int(i))[0] if self.source is None else self.source.read(int(i)) for i in numbers]
        for i, array in zip(numbers, arrays, strict=True):
            if array.shape != self.shape or array.dtype not in (np.uint8, np.float32):
                raise DatasetError(f"clip {int(i)} is {array.dtype} {array.shape}; the model takes uint8 (or float32 "
                                   f"in [0, 1]) clips of {self.shape}")
        stacked = np.stack(arrays)
        scaled = stacked.astype(np.float32) / 255.0 if stacked.dtype == np.uint8 else stacked
        return torch.from_numpy(np.ascontiguousarray(scaled, dtype=np.float32))


def load_video(spec: TaskSpec, dataset_file: Path | None) -> VideoData:
    """The spec's clips (generated, or `dataset_file`'s shards, indexed), digest-checked, split."""
    dataset = spec.dataset
    shape = DATASET_SHAPES[dataset.name]
    if dataset.uri is not None and dataset_file is None:
        raise TrainingError(f"dataset {dataset.name!r} lives at {dataset.uri}: fetch it and pass the file")
    if dataset_file is None:
        if dataset.name != "synthetic-video":
            raise DatasetError(f"model kind 'conv3d' streams clips: dataset {dataset.name!r} has no bundled clips "
                               f"(use 'synthetic-video', or a uri of webdataset shards)")
        source, n = None, BUNDLED_CLIPS
        check_digest(dataset, lambda: video_digest(n), None)
    else:
        if dataset.format not in (None, "webdataset"):
            raise DatasetError(f"model kind 'conv3d' streams webdataset shards of .npy clips, not {dataset.format!r}")
        check_digest(dataset, lambda: "", dataset_file)
        source = index_shards(dataset_file)
        n = len(source)
        if source.labels.min() < 0 or source.labels.max() >= shape.n_classes:
            raise DatasetError(f"dataset {dataset.name!r}: label {int(source.labels.max())} is out of range for the "
                               f"model's {shape.n_classes} classes")
    train, held_out = split_indices(n, spec.schedule.seed, dataset.eval_fraction)
    return VideoData(source, shape.input_shape, np.asarray(train, dtype=np.int64), np.asarray(held_out, dtype=np.int64))


class VideoClassifierProgram(WholeModelProgram):
    """Every weight trains; the loss is cross-entropy; the metric eval accuracy."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.model_spec = spec_model(spec, Conv3DSpec, "the video program trains conv3d models")

    def load_data(self, dataset_file: Path | None) -> VideoData:
        return load_video(self.spec, dataset_file)

    def build(self) -> nn.Module:
        return VideoNet(self.model_spec, DATASET_SHAPES[self.spec.dataset.name].n_classes)

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        assert isinstance(data, VideoData)
        numbers = data.train[batch.cpu().numpy()]
        device = batch.device
        return nn.functional.cross_entropy(module(data.clips(numbers).to(device)), data.labels(numbers).to(device))

    def metric(self, module: nn.Module, data: TrainData) -> float:
        assert isinstance(data, VideoData)
        device = next(module.parameters()).device
        was_training = module.training
        module.eval()
        right = 0
        try:
            with torch.no_grad():
                for first in range(0, len(data.eval), EVAL_CHUNK):
                    numbers = data.eval[first:first + EVAL_CHUNK]
                    predicted = module(data.clips(numbers).to(device)).argmax(dim=1).cpu()
                    right += int((predicted == data.labels(numbers)).sum())
        finally:
            module.train(was_training)
        return right / len(data.eval)
