"""Canonical digests of model weights and the checkpoint hash chain.

The pickle that `torch.save` writes is not canonical (it embeds storage ids, protocol details and
the dict's insertion order), so nothing on chain is ever a hash of a `.pt` file. Weights are
hashed by `model_digest`, and checkpoints are linked by `chain_step` into a chain that starts at
`chain_genesis(spec, node)`: each node's chain is its own, while the model digest is the same for
every replica.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import torch

from nnc.task import TaskSpec, spec_digest

_U64_LE: Final = struct.Struct("<Q")
_STEP_LOSS_BE: Final = struct.Struct(">Qd")


def round_values(values: npt.ArrayLike, decimals: int) -> npt.NDArray[np.float64]:
    """Values as float64 rounded to `decimals` decimals, with -0.0 made 0.0 and every NaN one NaN.

    Rounding is numpy's (`np.round`: scale by 10**decimals, round half to even, scale back), used
    for weights and losses alike so that every implementation can reproduce it.
    """
    array: npt.NDArray[np.float64] = np.asarray(values, dtype=np.float64).round(decimals)
    array = array + 0.0  # -0.0 + 0.0 == +0.0 under round-to-nearest
    array[np.isnan(array)] = np.nan
    return array


def round_loss(loss: float, decimals: int) -> float:
    """A loss rounded exactly as `round_values` rounds weights; this is the loss the chain commits."""
    return float(round_values(np.array([loss]), decimals)[0])


def model_digest(state_dict: Mapping[str, torch.Tensor], decimals: int) -> bytes:
    """SHA-256 (32 bytes) of a model's weights in canonical form, rounded to `decimals` decimals.

    Bytes hashed, for each key in sorted (code point) order:
    `len(key) ‖ key ‖ ndim ‖ dim_0 ‖ … ‖ dim_{n-1} ‖ values`, where `key` is UTF-8, lengths and
    dimensions are unsigned 64-bit little-endian, and `values` are the tensor's elements in
    row-major order converted to float64, passed through `round_values` and written as IEEE-754
    little-endian. The dtype and device of the tensor do not enter the digest.

    Why rounding: replicas on different CPUs may disagree in the last bits of a float (fused
    multiply-add, vector widths, libm), and the digest must still agree. Rounding to `decimals`
    decimals absorbs such differences. Residual risk: a value lying within a last-bit error of a
    rounding boundary (…5 at the decimal after the kept ones) can round differently on two machines,
    and differences amplified by training (chaotic dynamics, long runs, large learning rates) are
    not absorbed at all. Replication therefore pins framework versions and thread counts as well;
    where hardware differs too much, `spot-check` verification is the mode to use.
    """
    hasher = hashlib.sha256()
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().to(device="cpu", dtype=torch.float64).contiguous()
        name = key.encode("utf-8")
        hasher.update(_U64_LE.pack(len(name)))
        hasher.update(name)
        hasher.update(_U64_LE.pack(tensor.dim()))
        for size in tensor.shape:
            hasher.update(_U64_LE.pack(size))
        values = round_values(tensor.numpy(), decimals)
        hasher.update(values.astype("<f8", copy=False).tobytes(order="C"))
    return hasher.digest()


def node_address(node: str) -> bytes:
    """The 20 bytes of an account address written in hex (`0x` and any letter case accepted, so a
    checksummed address and its lower-case form are the same node). Raises `ValueError` otherwise."""
    digits = node[2:] if node[:2] in ("0x", "0X") else node
    if len(digits) != 40:
        raise ValueError(f"a node address is 20 bytes in hex (0x and 40 hex digits), not {node!r}")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ValueError(f"a node address is 20 bytes in hex (0x and 40 hex digits), not {node!r}") from None


def normalize_node(node: str | None) -> str | None:
    """`node` as `0x` and 40 lower-case hex digits (None stays None); raises `ValueError` for a
    malformed address."""
    return None if node is None else "0x" + node_address(node).hex()


def genesis_from_digest(digest: bytes, node: str | None) -> bytes:
    """`chain_genesis` from the spec's digest (`spec_digest(spec)`, 32 bytes) instead of the spec."""
    if len(digest) != 32:
        raise ValueError("a spec digest is a 32-byte SHA-256 value")
    return digest if node is None else hashlib.sha256(digest + node_address(node)).digest()


def chain_genesis(spec: TaskSpec, node: str | None) -> bytes:
    """`h_0` of `node`'s checkpoint hash chain for `spec`: `SHA-256(spec_digest(spec) ‖ node)`,
    where `node` is the training node's account address as its 20 bytes.

    Binding the chain to the node makes every replica's chain, and so every snapshot it posts
    on-chain (`TaskMarket.postSnapshot`), its own: two replicas of one task agree on the model
    digest (`model_digest`, what `result_digest` commits) but post different chain heads, and a
    node that posts another's snapshots posts heads that do not verify from its own genesis. To
    reproduce a node's chain, train as that node (`nnc task train --node ADDRESS`).

    `node=None` gives `spec_digest(spec)` itself, the genesis of a chain that belongs to no node:
    only for training that no node does for a task (benchmarks of a runtime, local experiments).
    Nothing a node posts or submits is chained so.
    """
    return genesis_from_digest(spec_digest(spec), node)


def chain_step(previous: bytes, weights_digest: bytes, step: int, loss: float) -> bytes:
    """Next link of the checkpoint hash chain.

    `h_i = SHA-256(h_{i-1} ‖ weights_digest_i ‖ step_i as u64 big-endian ‖ loss_i as float64
    big-endian)` with `h_0 = chain_genesis(spec, node)`; `weights_digest_i` is `model_digest` of
    the checkpoint's weights and `loss_i` the rounded loss (`round_loss`) recorded with it.
    """
    if len(previous) != 32 or len(weights_digest) != 32:
        raise ValueError("chain links and weight digests are 32-byte SHA-256 values")
    return hashlib.sha256(previous + weights_digest + _STEP_LOSS_BE.pack(step, loss)).digest()
