"""Datasets a spec may name, loaded and split deterministically.

`sklearn-digits` is scikit-learn's bundled 8x8 digits set (1797 samples, 10 classes): no download.
`synthetic-tones` and `synthetic-motion` are generated (`nnc.training.synthetic`); text corpora
are in `nnc.training.text`.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from nnc.datasets import open_dataset
from nnc.errors import DatasetError, TrainingError
from nnc.storage.archive import archive_kind, content_digest
from nnc.storage.base import Store
from nnc.storage.cache import DATASET_CACHE, ContentCache, link_copy
from nnc.storage.hashing import sha256_file
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
    if dataset.name == "synthetic-faces":
        from nnc.training.synthetic_faces import faces

        return faces()
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
        raise DatasetError(f"dataset file {path} is not an .npz with 'inputs' and 'labels' arrays: {exc}") from exc
    if inputs.dtype != np.float32 or labels.dtype != np.int64 or inputs.ndim < 2 or labels.shape != inputs.shape[:1]:
        raise DatasetError(f"dataset file {path}: expected float32 inputs (n, features) and int64 labels (n,), "
                           f"got {inputs.dtype} {inputs.shape} and {labels.dtype} {labels.shape}")
    return inputs, labels


def is_single_file(dataset: DatasetSpec, dataset_file: Path) -> bool:
    """Whether the dataset is read as before formats existed: one .npz file (or a text file), whose
    digest is that of its loaded arrays (or bytes) rather than of the file or tree."""
    return dataset.format in (None, "npz") and dataset_file.is_file() and archive_kind(dataset_file) is None


def _stored_arrays(dataset: DatasetSpec, dataset_file: Path,
                   ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    if dataset.format is None and dataset_file.is_file():
        return _file_arrays(dataset_file)
    shape = DATASET_SHAPES[dataset.name]
    return open_dataset(dataset_file, dataset.format, input_shape=shape.input_shape).arrays()


def check_fit(dataset: DatasetSpec, inputs: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> None:
    """DatasetError unless the samples fit what the spec's model takes: the named dataset's input
    size and class indices in [0, classes)."""
    shape = DATASET_SHAPES[dataset.name]
    sample = tuple(inputs.shape[1:])
    if math.prod(sample) != shape.n_inputs:
        raise DatasetError(f"dataset {dataset.name!r}: samples of shape {sample} ({math.prod(sample)} values) do "
                           f"not fit the model, which takes {shape.input_shape} ({shape.n_inputs} values)")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= shape.n_classes):
        bad = int(labels.min()) if int(labels.min()) < 0 else int(labels.max())
        raise DatasetError(f"dataset {dataset.name!r}: label {bad} is out of range for the model's "
                           f"{shape.n_classes} classes (0 to {shape.n_classes - 1})")


def _load_arrays(dataset: DatasetSpec, dataset_file: Path | None = None,
                 ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The dataset's arrays, inputs flattened to (n, features): from `dataset_file` (the spec's
    `uri`, fetched and hash-checked by the caller; a file or a directory) when the spec names one,
    else the bundled copy."""
    if dataset.uri is not None and dataset_file is None:
        raise TrainingError(f"dataset {dataset.name!r} lives at {dataset.uri}: fetch it and pass the file")
    inputs, labels = _stored_arrays(dataset, dataset_file) if dataset_file is not None else _bundled_arrays(dataset)
    check_fit(dataset, inputs, labels)
    return inputs.reshape(len(inputs), -1), labels


def identity_arrays(dataset: DatasetSpec, dataset_file: Path | None = None,
                    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """As `_load_arrays`, but the labels are identities, not checked against the named dataset's
    class count (a face set holds as many people as the requester's folder has: the model's
    `identities` bounds them, `nnc.runtimes.face_embedding`)."""
    if dataset.uri is not None and dataset_file is None:
        raise TrainingError(f"dataset {dataset.name!r} lives at {dataset.uri}: fetch it and pass the file")
    inputs, labels = _stored_arrays(dataset, dataset_file) if dataset_file is not None else _bundled_arrays(dataset)
    return inputs.reshape(len(inputs), -1), labels


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
        check_digest(spec.dataset, lambda: dataset_digest(inputs, labels), dataset_file)
    train, evaluation = split_indices(len(labels), spec.schedule.seed, spec.dataset.eval_fraction)
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


def load_inputs(spec: TaskSpec, dataset_file: Path | None = None) -> npt.NDArray[np.float32]:
    """Every input of the spec's dataset in stored order, flattened to (n, features), unsplit (an
    inference task runs them all); the digest is checked as `load_data` checks it."""
    inputs, labels = _load_arrays(spec.dataset, dataset_file)
    if spec.dataset.digest is not None:
        check_digest(spec.dataset, lambda: dataset_digest(inputs, labels), dataset_file)
    return inputs


def check_digest(dataset: DatasetSpec, loaded_digest: Callable[[], str], dataset_file: Path | None) -> None:
    """DatasetError unless the dataset's digest is the one the spec pins: `loaded_digest()` (of the
    loaded arrays or corpus) for the bundled copy or a single .npz or text file, else the content
    digest of the file, directory or archive."""
    if dataset.digest is None:
        return
    if dataset_file is None or is_single_file(dataset, dataset_file):
        actual = loaded_digest()
    else:
        actual = content_digest(dataset_file)
    if actual != dataset.digest:
        raise DatasetError(f"dataset {dataset.name!r} has digest {actual}, the spec pins {dataset.digest}"
                           f"{f' (content of {dataset.uri})' if dataset.uri else ''}")


def load_dataset_digest(spec: TaskSpec, dataset_file: Path | None = None) -> str:
    """The digest `DatasetSpec.digest` must hold for the spec's dataset (before splitting)."""
    if dataset_file is not None and not is_single_file(spec.dataset, dataset_file):
        return content_digest(dataset_file)
    if dataset_kind(spec.dataset.name) == "text":
        from nnc.training.text import corpus_bytes, text_digest

        return text_digest(corpus_bytes(spec, dataset_file))
    if dataset_kind(spec.dataset.name) == "speech":
        from nnc.training.speech import load_speech, speech_digest

        return speech_digest(load_speech(spec.dataset.name, spec.dataset.uri, None, dataset_file))
    if spec.dataset.name == "synthetic-video":  # streamed, never loaded whole
        from nnc.training.synthetic_video import video_digest

        return video_digest()
    return dataset_digest(*_load_arrays(spec.dataset, dataset_file))


def fetch_dataset(spec: TaskSpec, store: Store, directory: Path, cache: Path | None = None) -> Path | None:
    """The spec's dataset `uri`, verified against its content id and ready to read, placed in
    `directory`: a file, or the extracted directory of an archive. None for a spec that uses the
    bundled copy.

    The download streams to disk through `cache` (default: `directory/datasets`), a node's cache by
    content id: a second task on the same dataset downloads nothing, and a corrupt cache entry is
    fetched again. What lands in `directory` is made of hard links to the cache where possible
    (a sandboxed program sees it inside its work dir).
    """
    if spec.dataset.uri is None:
        return None
    entries = ContentCache(cache if cache is not None else directory / DATASET_CACHE, store)
    cached = entries.materialized(spec.dataset.uri)
    if cached.parent == directory:
        fetched = cached
    else:
        suffix = ".d" if cached.is_dir() else ".txt" if dataset_kind(spec.dataset.name) == "text" else ".npz"
        fetched = link_copy(cached, directory / f"dataset-{hashlib.sha256(spec.dataset.uri.encode()).hexdigest()[:16]}"
                                              f"{suffix}")
    if spec.program is not None:  # a program reads it as it is: the digest is checked here, not by a loader
        check_digest(spec.dataset, lambda: sha256_file(fetched), fetched)
    return fetched


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
