"""Canonical model digests and the checkpoint hash chain."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from nnc.task import load_spec, spec_digest
from nnc.training.digest import chain_genesis, chain_step, genesis_from_digest, model_digest, round_loss, round_values
from tests.nodes import NODE, OTHER_NODE

TINY_SPEC = Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json"


def reference_digest(state: dict[str, torch.Tensor], decimals: int) -> bytes:
    """The byte layout documented in `model_digest`, written out independently."""
    hasher = hashlib.sha256()
    for key in sorted(state):
        values = state[key].double().numpy()
        name = key.encode()
        hasher.update(struct.pack("<Q", len(name)) + name + struct.pack("<Q", values.ndim))
        hasher.update(b"".join(struct.pack("<Q", size) for size in values.shape))
        for value in values.reshape(-1):
            rounded = float(np.round(value, decimals)) + 0.0
            hasher.update(struct.pack("<d", rounded))
    return hasher.digest()


def sample_state() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    return {
        "layer.weight": torch.randn(4, 3, generator=generator),
        "layer.bias": torch.randn(4, generator=generator),
        "head.weight": torch.randn(2, 4, generator=generator) * 1e-7,
    }


def test_digest_matches_the_documented_layout() -> None:
    state = sample_state()
    for decimals in (0, 3, 6, 12):
        assert model_digest(state, decimals) == reference_digest(state, decimals)


def test_digest_is_32_bytes_and_independent_of_key_order() -> None:
    state = sample_state()
    reordered = dict(reversed(list(state.items())))
    assert len(model_digest(state, 6)) == 32
    assert model_digest(reordered, 6) == model_digest(state, 6)


def test_rounding_absorbs_last_bit_differences() -> None:
    state = sample_state()
    nudged = {key: value + 1e-9 for key, value in state.items()}
    assert model_digest(nudged, 6) == model_digest(state, 6)
    assert model_digest(nudged, 12) != model_digest(state, 12)


def test_a_real_change_changes_the_digest() -> None:
    state = sample_state()
    changed = dict(state)
    changed["layer.bias"] = state["layer.bias"].clone()
    changed["layer.bias"][0] += 1e-4
    assert model_digest(changed, 6) != model_digest(state, 6)


def test_shape_and_names_enter_the_digest() -> None:
    state = sample_state()
    reshaped = dict(state, **{"layer.weight": state["layer.weight"].reshape(3, 4)})
    renamed = {("x" + key if key == "layer.bias" else key): value for key, value in state.items()}
    assert model_digest(reshaped, 6) != model_digest(state, 6)
    assert model_digest(renamed, 6) != model_digest(state, 6)


def test_negative_zero_and_dtype_do_not_matter() -> None:
    zeros = {"w": torch.tensor([0.0, -0.0, -1e-9, 0.25])}
    positive = {"w": torch.tensor([0.0, 0.0, 0.0, 0.25], dtype=torch.float64)}
    assert model_digest(zeros, 6) == model_digest(positive, 6)
    assert model_digest({"w": torch.tensor([0.1], dtype=torch.float32)}, 6) == model_digest(
        {"w": torch.tensor([0.1], dtype=torch.float64)}, 6
    )


def test_non_contiguous_tensors_hash_by_value() -> None:
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    assert model_digest({"w": base.t()}, 6) == model_digest({"w": base.t().contiguous()}, 6)


def test_nan_is_canonical() -> None:
    negative_nan = -torch.tensor([float("nan")], dtype=torch.float64)
    assert model_digest({"w": negative_nan}, 6) == model_digest({"w": torch.tensor([float("nan")])}, 6)
    assert np.isnan(round_values(np.array([float("nan")]), 3)[0])


def test_round_loss_uses_the_same_rounding() -> None:
    assert round_loss(0.1234567, 6) == 0.123457
    assert round_loss(-0.0000001, 6) == 0.0
    assert str(round_loss(-0.0000001, 6)) == "0.0"
    assert round_loss(2.5, 0) == 2.0  # half to even, as np.round


def test_chain_step_matches_its_definition() -> None:
    previous = hashlib.sha256(b"spec").digest()
    weights = hashlib.sha256(b"weights").digest()
    expected = hashlib.sha256(previous + weights + (300).to_bytes(8, "big") + struct.pack(">d", 0.125)).digest()
    assert chain_step(previous, weights, 300, 0.125) == expected
    assert chain_step(previous, weights, 301, 0.125) != expected
    assert chain_step(previous, weights, 300, 0.126) != expected


def test_chain_step_rejects_wrong_lengths() -> None:
    with pytest.raises(ValueError):
        chain_step(b"short", bytes(32), 1, 0.0)


def test_chain_genesis_binds_the_spec_to_the_node() -> None:
    """h_0 = SHA-256(spec_digest(spec) ‖ node address as its 20 bytes), whatever the address's letter case."""
    spec = load_spec(TINY_SPEC)
    expected = hashlib.sha256(spec_digest(spec) + bytes.fromhex(NODE[2:])).digest()
    assert chain_genesis(spec, NODE) == chain_genesis(spec, NODE.lower()) == chain_genesis(spec, NODE[2:]) == expected
    assert genesis_from_digest(spec_digest(spec), NODE) == expected
    assert chain_genesis(spec, OTHER_NODE) != expected
    assert chain_genesis(spec, None) == spec_digest(spec)  # no node: only where none trains


@pytest.mark.parametrize("node", ["", "0x", "0x" + "ab" * 19, "0x" + "ab" * 21, "0x" + "zz" * 20, NODE + "00"])
def test_chain_genesis_refuses_a_malformed_address(node: str) -> None:
    with pytest.raises(ValueError, match="20 bytes in hex"):
        chain_genesis(load_spec(TINY_SPEC), node)
