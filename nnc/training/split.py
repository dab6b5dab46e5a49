"""The deterministic train/eval split every dataset kind shares (classification sets, text)."""

from __future__ import annotations

import hashlib
import math
import struct

from nnc.errors import TrainingError


def split_indices(n: int, seed: int, eval_fraction: float) -> tuple[list[int], list[int]]:
    """Deterministic (train, eval) split of `range(n)`, both in ascending order.

    Samples are ordered by SHA-256(b"nnc-split" ‖ seed as u64 BE ‖ index as u64 BE) and the first
    `max(1, floor(n × eval_fraction))` form the eval set. This is a pure function of its arguments,
    the same across library versions and platforms.
    """
    n_eval = max(1, math.floor(n * eval_fraction))
    if n_eval >= n:
        raise TrainingError(f"eval_fraction {eval_fraction} leaves no training samples out of {n}")
    prefix = b"nnc-split" + struct.pack(">Q", seed)
    order = sorted(range(n), key=lambda i: hashlib.sha256(prefix + struct.pack(">Q", i)).digest())
    eval_set = set(order[:n_eval])
    train = [i for i in range(n) if i not in eval_set]
    return train, sorted(eval_set)
