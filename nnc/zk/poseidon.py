"""Poseidon over BN254's scalar field (x^5 S-box, 8 full rounds), the hash of NNC's circuits.

The textbook permutation of the Poseidon paper (each round: add the round constants, the S-box
on every element in full rounds or the first only in partial rounds, multiply by the MDS matrix),
with the constants stored in `poseidon_constants.json` for widths t = 2..7 (1 to 6 inputs).
`zk/scripts/poseidon_params.py` generates that file, and the circuits' copy of the constants,
from the paper's Grain LFSR; the hash of n inputs is the first element of the permutation of
(0, inputs), which equals circomlib's `Poseidon(n)` and the reference test vectors
(tests/zk/test_poseidon.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nnc.errors import ZkInputError

#: The BN254 scalar field: circuit signals, public inputs and Poseidon live modulo this prime.
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617

CONSTANTS_FILE = Path(__file__).with_name("poseidon_constants.json")


@dataclass(frozen=True)
class _Params:
    full_rounds: int
    partial_rounds: int
    c: tuple[int, ...]
    m: tuple[tuple[int, ...], ...]


@cache
def _params(t: int) -> _Params:
    data = json.loads(CONSTANTS_FILE.read_text())
    entry = data["widths"].get(str(t))
    if entry is None:
        raise ZkInputError("number of Poseidon inputs", t - 1, f"1..{max(map(int, data['widths'])) - 1}")
    return _Params(
        full_rounds=data["fullRounds"],
        partial_rounds=entry["partialRounds"],
        c=tuple(int(x, 16) for x in entry["C"]),
        m=tuple(tuple(int(x, 16) for x in row) for row in entry["M"]),
    )


def _mix(state: list[int], m: Sequence[Sequence[int]]) -> list[int]:
    return [sum(row[j] * x for j, x in enumerate(state)) % FIELD_MODULUS for row in m]


def poseidon(inputs: Sequence[int]) -> int:
    """Poseidon of 1 to 6 field elements (each in [0, FIELD_MODULUS)), as circomlib's Poseidon(n)."""
    for i, x in enumerate(inputs):
        if not 0 <= x < FIELD_MODULUS:
            raise ZkInputError(f"poseidon input {i}", x, "a field element in [0, FIELD_MODULUS)")
    t = len(inputs) + 1
    if t < 2:
        raise ZkInputError("number of Poseidon inputs", 0, "at least 1")
    k = _params(t)
    q = FIELD_MODULUS
    half = k.full_rounds // 2
    state = [0, *inputs]
    for r in range(k.full_rounds + k.partial_rounds):
        state = [(x + k.c[r * t + i]) % q for i, x in enumerate(state)]
        if half <= r < half + k.partial_rounds:
            state[0] = pow(state[0], 5, q)
        else:
            state = [pow(x, 5, q) for x in state]
        state = _mix(state, k.m)
    return state[0]
