"""`.npz` and safetensors files holding an `inputs` and a `labels` array (one or several files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnc.datasets.batches import Batches, checked_batch
from nnc.datasets.formats import SUFFIXES, files_with
from nnc.errors import DatasetError


def _need_files(root: Path, suffixes: tuple[str, ...], format_name: str) -> list[Path]:
    files = files_with(root, suffixes)
    if not files:
        raise DatasetError(f"{root}: no {'/'.join(suffixes)} file for format {format_name!r}")
    return files


def npz_batches(root: Path) -> Batches:
    """One batch per .npz file under `root` (no pickles)."""
    for path in _need_files(root, SUFFIXES["npz"], "npz"):
        try:
            with np.load(path, allow_pickle=False) as archive:
                inputs, labels = archive["inputs"], archive["labels"]
        except (OSError, ValueError, KeyError) as exc:
            raise DatasetError(f"{path}: not an .npz with 'inputs' and 'labels' arrays: {exc}") from exc
        yield checked_batch(inputs, labels, str(path))


def safetensors_batches(root: Path) -> Batches:
    """One batch per .safetensors file under `root`, each with `inputs` and `labels` tensors."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    for path in _need_files(root, SUFFIXES["safetensors"], "safetensors"):
        try:
            tensors = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise DatasetError(f"{path}: not a safetensors file: {exc}") from exc
        missing = {"inputs", "labels"} - set(tensors)
        if missing:
            raise DatasetError(f"{path}: no {' or '.join(sorted(missing))} tensor (it has {sorted(tensors)})")
        yield checked_batch(tensors["inputs"], tensors["labels"], str(path))
