"""The split of a training set into the shards of a parallel task's nodes."""

from __future__ import annotations

import hashlib
import struct

from nnc.errors import TrainingError


def shard_indices(n_train: int, k: int, seed: int) -> list[list[int]]:
    """`k` disjoint shards covering `range(n_train)` (indices into the train split), each ascending.

    The rule, a pure function of its arguments like the train/eval split (`nnc.training.split`):
    the indices are ordered by SHA-256(b"nnc-shard" ‖ seed as u64 BE ‖ index as u64 BE); shard `j`
    (0-based) takes the positions `[floor(j·n/k), floor((j+1)·n/k))` of that order, so shard sizes
    differ by at most one; each shard is then sorted ascending. With `k = 1` the one shard is
    `range(n_train)` itself, which is why a single node's rounds sample as plain training does.
    """
    if k < 1:
        raise TrainingError(f"a task is split into at least one shard, not {k}")
    if n_train < k:
        raise TrainingError(f"{n_train} training samples cannot be split into {k} non-empty shards (one per node)")
    prefix = b"nnc-shard" + struct.pack(">Q", seed)
    order = sorted(range(n_train), key=lambda i: hashlib.sha256(prefix + struct.pack(">Q", i)).digest())
    return [sorted(order[j * n_train // k:(j + 1) * n_train // k]) for j in range(k)]
