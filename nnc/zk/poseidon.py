"""Poseidon over BN254's scalar field, equal to circomlib's `Poseidon(n)` template.

This mirrors circomlib 2.0.5's `poseidon.circom` (the optimized form with the sparse partial
rounds) step by step, with the constants of `poseidon_constants.circom` stored in
`poseidon_constants.json` for widths t = 2..7 (1 to 6 inputs), which is what NNC's circuits use.
`zk/scripts/poseidon_constants.py` regenerates that file from circomlib.
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
FULL_ROUNDS = 8
PARTIAL_ROUNDS = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)  # by t - 2


@dataclass(frozen=True)
class _Params:
    c: tuple[int, ...]
    s: tuple[int, ...]
    m: tuple[tuple[int, ...], ...]
    p: tuple[tuple[int, ...], ...]


@cache
def _params(t: int) -> _Params:
    data = json.loads(CONSTANTS_FILE.read_text())
    entry = data.get(str(t))
    if entry is None:
        raise ZkInputError("number of Poseidon inputs", t - 1, f"1..{max(map(int, data)) - 1}")
    return _Params(
        c=tuple(int(x, 16) for x in entry["C"]),
        s=tuple(int(x, 16) for x in entry["S"]),
        m=tuple(tuple(int(x, 16) for x in row) for row in entry["M"]),
        p=tuple(tuple(int(x, 16) for x in row) for row in entry["P"]),
    )


def _sigma(x: int) -> int:
    return pow(x, 5, FIELD_MODULUS)


def _mix(state: list[int], m: Sequence[Sequence[int]]) -> list[int]:
    t = len(state)
    return [sum(m[j][i] * state[j] for j in range(t)) % FIELD_MODULUS for i in range(t)]


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib's Poseidon(len(inputs)) of field elements (each in [0, FIELD_MODULUS))."""
    for i, x in enumerate(inputs):
        if not 0 <= x < FIELD_MODULUS:
            raise ZkInputError(f"poseidon input {i}", x, "a field element in [0, FIELD_MODULUS)")
    t = len(inputs) + 1
    if t < 2:
        raise ZkInputError("number of Poseidon inputs", 0, "at least 1")
    k = _params(t)
    n_p = PARTIAL_ROUNDS[t - 2]
    half = FULL_ROUNDS // 2
    q = FIELD_MODULUS

    state = [(x + k.c[i]) % q for i, x in enumerate([0, *inputs])]
    for r in range(half - 1):
        state = [_sigma(x) for x in state]
        state = [(x + k.c[(r + 1) * t + i]) % q for i, x in enumerate(state)]
        state = _mix(state, k.m)
    state = [_sigma(x) for x in state]
    state = [(x + k.c[half * t + i]) % q for i, x in enumerate(state)]
    state = _mix(state, k.p)

    for r in range(n_p):
        state[0] = (_sigma(state[0]) + k.c[(half + 1) * t + r]) % q
        base = (2 * t - 1) * r
        first = sum(k.s[base + i] * state[i] for i in range(t)) % q
        state = [first] + [(state[i] + state[0] * k.s[base + t + i - 1]) % q for i in range(1, t)]

    for r in range(half - 1):
        state = [_sigma(x) for x in state]
        state = [(x + k.c[(half + 1) * t + n_p + r * t + i]) % q for i, x in enumerate(state)]
        state = _mix(state, k.m)
    state = [_sigma(x) for x in state]
    return sum(k.m[j][0] * state[j] for j in range(t)) % q
