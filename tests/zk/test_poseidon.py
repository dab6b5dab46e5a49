"""Poseidon in Python equals circomlib's (the circuits' own Poseidon is checked in test_proofs)."""

from __future__ import annotations

import pytest

from nnc.errors import ZkInputError
from nnc.zk import FIELD_MODULUS, poseidon


def test_poseidon_1_2_matches_circomlib() -> None:
    # ../shared/STACK.md; also circomlibjs's test vector 0x115cc0f5...189a
    expected = 7853200120776062878684798364095072458815029376092732009249414926327459813530
    assert poseidon([1, 2]) == expected
    assert hex(expected) == "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"


def test_poseidon_1_2_3_4_matches_circomlibjs() -> None:
    # circomlibjs test/poseidon.js: poseidon([1, 2, 3, 4])
    assert poseidon([1, 2, 3, 4]) == 0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465


def test_poseidon_depends_on_order_and_arity() -> None:
    assert poseidon([1, 2]) != poseidon([2, 1])
    assert poseidon([1, 2]) != poseidon([1, 2, 0])
    assert len({poseidon([i]) for i in range(20)}) == 20


def test_poseidon_refuses_values_outside_the_field() -> None:
    with pytest.raises(ZkInputError, match="FIELD_MODULUS"):
        poseidon([FIELD_MODULUS, 1])
    with pytest.raises(ZkInputError):
        poseidon([-1])


def test_poseidon_refuses_unsupported_widths() -> None:
    with pytest.raises(ZkInputError, match="number of Poseidon inputs"):
        poseidon(list(range(7)))
    with pytest.raises(ZkInputError):
        poseidon([])
