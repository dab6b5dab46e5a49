"""An inference task's outputs: one array per shard, their digests, the hash chain over them, and
the outputs file a node stores.

`shard_digest` hashes one shard's outputs in canonical form, rounded to the spec's
`inference.decimals` as `nnc.training.digest.round_values` rounds weights: replicas whose last
bits differ still agree. The shard digests are chained from the spec's digest,
`h_0 = SHA-256("nnc-inference" ‖ spec_digest)`, `h_i = SHA-256(h_{i-1} ‖ shard_digest_{i-1} ‖ i-1 as
u64 big-endian)`, and the head after the last shard is the result digest a node commits. It
binds every output of every shard in order, is the same for every honest replica (no node
address enters it), and lets a verifier check any one shard against the commitment from the
outputs file alone.

The outputs file is an `.npz` (no pickles) holding `shard-00000`, `shard-00001`, …: logits as
float32 (inputs × classes), classes as int64 (inputs,).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from nnc.errors import VerificationError
from nnc.task import TaskSpec, spec_digest
from nnc.task.inference_spec import InferenceSpec
from nnc.training.digest import round_values

_U64_LE: Final = struct.Struct("<Q")
_U64_BE: Final = struct.Struct(">Q")
GENESIS_TAG: Final = b"nnc-inference"


def shard_key(shard: int) -> str:
    """The name of `shard`'s array in the outputs file."""
    return f"shard-{shard:05d}"


def shard_digest(outputs: npt.ArrayLike, decimals: int) -> bytes:
    """SHA-256 of one shard's outputs: `ndim ‖ dim_0 ‖ … ‖ values`, dimensions as u64
    little-endian, values converted to float64, rounded (`round_values`) and written as IEEE-754
    little-endian in row-major order (the dtype does not enter it)."""
    array = np.asarray(outputs)
    hasher = hashlib.sha256(_U64_LE.pack(array.ndim))
    for size in array.shape:
        hasher.update(_U64_LE.pack(size))
    hasher.update(round_values(array, decimals).astype("<f8", copy=False).tobytes(order="C"))
    return hasher.digest()


def outputs_genesis(spec: TaskSpec) -> bytes:
    """`h_0` of the outputs chain: SHA-256 of "nnc-inference" and the spec's digest."""
    return hashlib.sha256(GENESIS_TAG + spec_digest(spec)).digest()


def outputs_step(previous: bytes, shard: int, digest: bytes) -> bytes:
    """The next link of the outputs chain, after shard `shard` whose outputs have `digest`."""
    if len(previous) != 32 or len(digest) != 32:
        raise ValueError("chain links and shard digests are 32-byte SHA-256 values")
    return hashlib.sha256(previous + digest + _U64_BE.pack(shard)).digest()


def outputs_digest(spec: TaskSpec, shard_digests: Sequence[bytes]) -> bytes:
    """The result digest: the chain's head over every shard's digest, in order."""
    head = outputs_genesis(spec)
    for shard, digest in enumerate(shard_digests):
        head = outputs_step(head, shard, digest)
    return head


def expected_shape(inference: InferenceSpec, shard: int, classes: int | None) -> tuple[int, ...]:
    """The shape `shard`'s outputs must have: (rows,) for classes, (rows, classes) for logits
    (`classes` None: any width)."""
    start, end = inference.shard_bounds(shard)
    if inference.outputs == "classes":
        return (end - start,)
    return (end - start, classes if classes is not None else -1)


def write_outputs(path: Path, shards: Sequence[npt.NDArray[np.generic]]) -> Path:
    """Writes the outputs file: every shard's array under its `shard_key`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez(fh, **{shard_key(i): array for i, array in enumerate(shards)})  # type: ignore[arg-type]
    return path


def read_outputs(path: Path, inference: InferenceSpec) -> list[npt.NDArray[np.generic]]:
    """The shards of the outputs file at `path`, checked to be the spec's: one array per shard,
    each with one output per input of its shard. Raises `VerificationError` naming what is wrong."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = sorted(archive.files)
            shards = [archive[shard_key(i)] for i in range(inference.shards) if shard_key(i) in archive.files]
    except (OSError, ValueError) as exc:
        raise VerificationError(f"outputs file {path.name} is not an .npz of shard arrays: {exc}") from exc
    wanted = [shard_key(i) for i in range(inference.shards)]
    if names != wanted:
        raise VerificationError(f"outputs file {path.name} holds {len(names)} array(s), the task has "
                                f"{inference.shards} shard(s) ({wanted[0]} to {wanted[-1]})")
    for i, array in enumerate(shards):
        shape = expected_shape(inference, i, None)
        if array.ndim != len(shape) or array.shape[0] != shape[0]:
            raise VerificationError(f"outputs file {path.name}: {shard_key(i)} has shape {array.shape}, "
                                    f"the shard has {shape[0]} input(s)")
    return shards
