"""What every reader yields: batches of float32 inputs `[n, ...]` and int64 class labels `[n]`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from nnc.errors import DatasetError

Inputs: TypeAlias = npt.NDArray[np.float32]
Labels: TypeAlias = npt.NDArray[np.int64]
Batch: TypeAlias = tuple[Inputs, Labels]
Batches: TypeAlias = Iterator[Batch]


def checked_batch(inputs: npt.NDArray[np.generic], labels: npt.NDArray[np.generic], where: str) -> Batch:
    """`inputs` as float32 and `labels` as int64, or DatasetError naming `where` and what is wrong."""
    if not (np.issubdtype(inputs.dtype, np.floating) or np.issubdtype(inputs.dtype, np.integer)):
        raise DatasetError(f"{where}: inputs must be numbers, not {inputs.dtype}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{where}: labels must be integer class indices, not {labels.dtype}")
    if inputs.ndim < 2 or labels.ndim != 1 or len(inputs) != len(labels):
        raise DatasetError(f"{where}: expected inputs [n, ...] and labels [n], got {inputs.shape} and {labels.shape}")
    return np.ascontiguousarray(inputs, dtype=np.float32), np.ascontiguousarray(labels, dtype=np.int64)


def concatenate(batches: Batches, where: str) -> Batch:
    """All batches as one pair of arrays; DatasetError when there are none or their shapes differ."""
    xs: list[Inputs] = []
    ys: list[Labels] = []
    for x, y in batches:
        if xs and x.shape[1:] != xs[0].shape[1:]:
            raise DatasetError(f"{where}: samples of different shapes ({xs[0].shape[1:]} and {x.shape[1:]})")
        xs.append(x)
        ys.append(y)
    if not xs or sum(len(y) for y in ys) == 0:
        raise DatasetError(f"{where}: no samples")
    return np.concatenate(xs), np.concatenate(ys)
