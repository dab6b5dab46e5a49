"""Text datasets for language modelling: a byte corpus cut into windows of `context + 1` bytes.

`tiny-text` is a few KB of prose bundled with nnc (`corpora/tiny-text.txt`); a spec's dataset
`uri` may name the requester's own UTF-8 text instead. Tokens are bytes (vocabulary 256), so no
tokenizer is downloaded. Windows start every `max(1, context // 2)` bytes; the same hash-ordered
split as the classification sets (`split_indices`) divides them into train and eval windows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from nnc.errors import DatasetError, TrainingError
from nnc.storage.archive import content_digest
from nnc.task import CausalLMSpec, RwkvLMSpec, TaskSpec
from nnc.training.split import split_indices

MAX_CORPUS_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TextData:
    """Windows of `context + 1` byte tokens (int64): inputs are `[:, :-1]`, targets `[:, 1:]`."""

    train: torch.Tensor
    eval: torch.Tensor

    @property
    def n_train(self) -> int:
        return len(self.train)


def corpus_bytes(spec: TaskSpec, dataset_file: Path | None = None) -> bytes:
    """The spec's corpus: `dataset_file` (its fetched `uri`) or the bundled text; checked as UTF-8."""
    if spec.dataset.uri is not None and dataset_file is None:
        raise TrainingError(f"dataset {spec.dataset.name!r} lives at {spec.dataset.uri}: fetch it and pass the file")
    if dataset_file is not None and (spec.dataset.format is not None or dataset_file.is_dir()):
        from nnc.datasets import open_dataset

        raw = open_dataset(dataset_file, spec.dataset.format).text()
        if len(raw) > MAX_CORPUS_BYTES:
            raise DatasetError(f"text dataset {dataset_file} is over {MAX_CORPUS_BYTES} bytes")
    elif dataset_file is not None:
        if dataset_file.stat().st_size > MAX_CORPUS_BYTES:
            raise TrainingError(f"text dataset {dataset_file} is over {MAX_CORPUS_BYTES} bytes")
        raw = dataset_file.read_bytes()
    elif spec.dataset.name == "tiny-text":
        raw = resources.files("nnc.training").joinpath("corpora/tiny-text.txt").read_bytes()
    else:
        raise TrainingError(f"dataset {spec.dataset.name!r} is not a text dataset")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrainingError(f"text dataset is not UTF-8 (byte {exc.start})") from exc
    return raw


def text_digest(raw: bytes) -> str:
    """SHA-256 (hex) of the corpus bytes: what `dataset.digest` pins for a text dataset."""
    return hashlib.sha256(raw).hexdigest()


def load_text(spec: TaskSpec, dataset_file: Path | None = None) -> TextData:
    """The corpus cut into windows and split; checks the spec's pinned digest if any."""
    if not isinstance(spec.model, CausalLMSpec | RwkvLMSpec):
        raise TrainingError(f"a text dataset trains a causal-lm or an rwkv, not a {spec.model.kind!r}")
    raw = corpus_bytes(spec, dataset_file)
    if spec.dataset.digest is not None:
        plain = dataset_file is None or (spec.dataset.format is None and dataset_file.is_file())
        actual = text_digest(raw) if plain else content_digest(dataset_file)  # type: ignore[arg-type]
        if actual != spec.dataset.digest:
            raise DatasetError(f"dataset {spec.dataset.name!r} has digest {actual}, "
                               f"the spec pins {spec.dataset.digest}")
    span = spec.model.context + 1
    stride = max(1, spec.model.context // 2)
    tokens = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8).astype(np.int64))
    if len(tokens) < span + stride:
        raise TrainingError(f"text dataset has {len(tokens)} bytes: too short for two windows of {span}")
    windows = tokens.unfold(0, span, stride).contiguous()
    train, evaluation = split_indices(len(windows), spec.schedule.seed, spec.dataset.eval_fraction)
    return TextData(train=windows[torch.tensor(train)].contiguous(),
                    eval=windows[torch.tensor(evaluation)].contiguous())
