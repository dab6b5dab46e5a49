"""Datasets a spec may name, loaded and split deterministically.

`sklearn-digits` is scikit-learn's bundled 8x8 digits set (1797 samples, 10 classes): no download.
`synthetic-tones` and `synthetic-motion` are generated (`nnc.training.synthetic`); text corpora
are in `nnc.training.text`.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from nnc.errors import TrainingError
from nnc.storage.base import Store
from nnc.task import DATASET_SHAPES, DatasetSpec, TaskSpec, dataset_kind
from nnc.training import synthetic
from nnc.training.split import split_indices


@dataclass(frozen=True)
class SplitData:
    """Train and eval tensors: inputs float32 `(n, features)` in [0, 1], labels int64 `(n,)`."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    eval_x: torch.Tensor
    eval_y: torch.Tensor

    @property
    def n_train(self) -> int:
        return len(self.train_y)


def _bundled_arrays(dataset: DatasetSpec) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    if dataset.name == "synthetic-tones":
        return synthetic.tones()
    if dataset.name == "synthetic-motion":
        return synthetic.motion()
    if dataset.name != "sklearn-digits":
        raise TrainingError(f"dataset {dataset.name!r} is not a classification dataset")
    from sklearn.datasets import load_digits  # 1.4 s of imports: only for the tasks that use it

    bunch = load_digits()
    inputs = (np.asarray(bunch.data, dtype=np.float64) / 16.0).astype(np.float32)
    return inputs, np.asarray(bunch.target, dtype=np.int64)


def _file_arrays(path: Path) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """`inputs` (float32, n x features) and `labels` (int64, n) of an .npz file (no pickles)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            inputs, labels = archive["inputs"], archive["labels"]
    except (OSError, ValueError, KeyError) as exc:
        raise TrainingError(f"dataset file {path} is not an .npz with 'inputs' and 'labels' arrays: {exc}") from exc
    if inputs.dtype != np.float32 or labels.dtype != np.int64 or inputs.ndim != 2 or labels.shape != inputs.shape[:1]:
        raise TrainingError(f"dataset file {path}: expected float32 inputs (n, features) and int64 labels (n,), "
                            f"got {inputs.dtype} {inputs.shape} and {labels.dtype} {labels.shape}")
    return inputs, labels


def _load_arrays(dataset: DatasetSpec, dataset_file: Path | None = None,
                 ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The dataset's arrays: from `dataset_file` (the spec's `uri`, fetched and hash-checked by
    the caller) when the spec names one, else the bundled copy."""
    if dataset.uri is not None and dataset_file is None:
        raise TrainingError(f"dataset {dataset.name!r} lives at {dataset.uri}: fetch it and pass the file")
    inputs, labels = _file_arrays(dataset_file) if dataset_file is not None else _bundled_arrays(dataset)
    shape = DATASET_SHAPES[dataset.name]
    if inputs.shape[1] != shape.n_inputs or int(labels.max()) + 1 != shape.n_classes:
        raise TrainingError(f"dataset {dataset.name!r} does not have the shape {shape}")
    return inputs, labels


def dataset_digest(inputs: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> str:
    """SHA-256 (hex) of the scaled inputs as float32 little-endian then the labels as int64 little-endian."""
    hasher = hashlib.sha256()
    hasher.update(np.ascontiguousarray(inputs, dtype="<f4").tobytes())
    hasher.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return hasher.hexdigest()


def export_dataset(dataset: DatasetSpec, path: Path) -> Path:
    """Writes the bundled dataset's arrays as the .npz file a spec's `uri` may point to."""
    inputs, labels = _bundled_arrays(dataset)
    with path.open("wb") as fh:
        np.savez(fh, inputs=inputs, labels=labels)
    return path


def load_data(spec: TaskSpec, dataset_file: Path | None = None) -> SplitData:
    """Load the spec's dataset (from `dataset_file` when the spec names a `uri`), check its digest
    if the spec pins one, and split it."""
    inputs, labels = _load_arrays(spec.dataset, dataset_file)
    if spec.dataset.digest is not None:
        actual = dataset_digest(inputs, labels)
        if actual != spec.dataset.digest:
            raise TrainingError(
                f"dataset {spec.dataset.name!r} has digest {actual}, the spec pins {spec.dataset.digest}"
            )
    train, evaluation = split_indices(len(labels), spec.training.seed, spec.dataset.eval_fraction)
    x = torch.from_numpy(inputs)
    y = torch.from_numpy(labels)
    train_idx = torch.tensor(train, dtype=torch.int64)
    eval_idx = torch.tensor(evaluation, dtype=torch.int64)
    return SplitData(
        train_x=x[train_idx].contiguous(),
        train_y=y[train_idx].contiguous(),
        eval_x=x[eval_idx].contiguous(),
        eval_y=y[eval_idx].contiguous(),
    )


def load_dataset_digest(spec: TaskSpec, dataset_file: Path | None = None) -> str:
    """The digest `DatasetSpec.digest` must hold for the spec's dataset (before splitting)."""
    if dataset_kind(spec.dataset.name) == "text":
        from nnc.training.text import corpus_bytes, text_digest

        return text_digest(corpus_bytes(spec, dataset_file))
    return dataset_digest(*_load_arrays(spec.dataset, dataset_file))


def fetch_dataset(spec: TaskSpec, store: Store, directory: Path) -> Path | None:
    """Downloads the spec's dataset `uri` (verified against its content id by the store) into
    `directory`, once; None for a spec that uses the bundled copy."""
    if spec.dataset.uri is None:
        return None
    suffix = ".txt" if dataset_kind(spec.dataset.name) == "text" else ".npz"
    dest = directory / f"dataset-{hashlib.sha256(spec.dataset.uri.encode()).hexdigest()[:16]}{suffix}"
    if not dest.exists():
        directory.mkdir(parents=True, exist_ok=True)
        store.get_file(spec.dataset.uri, dest)
    return dest


class BatchSampler:
    """Batch order as a pure function of (seed, step): resuming at any step replays nothing.

    The training samples form an endless stream of epochs, each a permutation drawn by
    `torch.randperm` from a `torch.Generator` seeded with SHA-256(b"nnc-batch" ‖ seed ‖ epoch);
    step `s` (1-based) takes stream positions `[(s-1)·B, s·B)`, so every batch has exactly
    `batch_size` samples (wrapping into the next epoch) even when `batch_size` exceeds the set.
    """

    def __init__(self, n_samples: int, batch_size: int, seed: int) -> None:
        self._n = n_samples
        self._batch = batch_size
        self._seed = seed
        self._cache: dict[int, torch.Tensor] = {}

    def _epoch(self, epoch: int) -> torch.Tensor:
        perm = self._cache.get(epoch)
        if perm is None:
            material = hashlib.sha256(b"nnc-batch" + struct.pack(">QQ", self._seed, epoch)).digest()
            generator = torch.Generator().manual_seed(int.from_bytes(material[:8], "big") >> 1)
            perm = torch.randperm(self._n, generator=generator)
            self._cache = {k: v for k, v in self._cache.items() if k >= epoch - 1}
            self._cache[epoch] = perm
        return perm

    def indices(self, step: int) -> torch.Tensor:
        """Sample indices (into the training set) of 1-based `step`."""
        start = (step - 1) * self._batch
        parts = []
        position = start
        end = start + self._batch
        while position < end:
            epoch, offset = divmod(position, self._n)
            take = min(self._n - offset, end - position)
            parts.append(self._epoch(epoch)[offset : offset + take])
            position += take
        return parts[0] if len(parts) == 1 else torch.cat(parts)
