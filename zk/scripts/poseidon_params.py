"""Generates NNC's Poseidon parameters for BN254 from the Poseidon paper's procedure.

Usage: .venv/bin/python zk/scripts/poseidon_params.py [--check]

Writes nnc/zk/poseidon_constants.json (for nnc/zk/poseidon.py) and
zk/circuits/lib/poseidon_constants.circom (for the circuits) for widths t = 2..7, with the x^5
S-box, R_F = 8 full rounds and the partial rounds R_P of the paper's table for 128-bit security
(Grassi, Khovratovich, Rechberger, Roy, Schofnegger: "Poseidon: A New Hash Function for
Zero-Knowledge Proof Systems", USENIX Security 2021, section 4 and appendix F):

- an 80-bit Grain LFSR is initialised with the field type (2 bits, 1 = GF(p)), the S-box (4 bits,
  0 = x^alpha), the field size n (12 bits), t (12 bits), R_F (10 bits), R_P (10 bits) and 30 ones,
  then clocked 160 times with b[i+80] = b[i+62] ^ b[i+51] ^ b[i+38] ^ b[i+23] ^ b[i+13] ^ b[i];
- output bits are taken in pairs: if the first is 1 the second is output, else both are dropped;
- a round constant is n output bits read as a big-endian integer, drawn again while >= p;
  (R_F + R_P) * t of them, round by round;
- the MDS matrix is the Cauchy matrix M[i][j] = 1 / (x_i + y_j) over 2t further draws (n bits each,
  reduced mod p), redrawn if they are not distinct or some x_i + y_j = 0, and redrawn if it fails
  the security checks: every square submatrix invertible (MDS), and no infinitely long subspace
  trail through the partial rounds (Grassi, Rechberger, Schofnegger, "Proving Resistance Against
  Infinitely Long Subspace Trails", ToSC 2020). Their algorithm 1 (minpoly of M^i irreducible of
  degree t, i = 1..2t) is only sufficient: it fails for the first matrices of t = 5 and 6, which
  the reference keeps after its algorithms 2 and 3. We test the condition those look for
  directly: a trail with every partial-round S-box inactive is a subspace V with M^k V inside
  {x_0 = 0} for all k, i.e. inside the kernel of the rows e_0 M^k (k < t); none exists iff those
  t rows are linearly independent.

`--check` exits non-zero if the committed files differ from what the procedure gives
(tests/zk/test_poseidon.py runs the same comparison).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JSON_FILE = ROOT / "nnc" / "zk" / "poseidon_constants.json"
CIRCOM_FILE = ROOT / "zk" / "circuits" / "lib" / "poseidon_constants.circom"

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617  # BN254 scalar field
N_BITS = P.bit_length()  # 254
ALPHA = 5
FULL_ROUNDS = 8
#: R_P by width t for x^5 over a ~254-bit field at 128-bit security (the paper's table, plus the
#: margin the paper prescribes, as its round-number script gives them).
PARTIAL_ROUNDS = {2: 56, 3: 57, 4: 56, 5: 60, 6: 60, 7: 63}


class Grain:
    """The paper's self-shrinking Grain LFSR."""

    def __init__(self, t: int, full_rounds: int, partial_rounds: int) -> None:
        def bits(value: int, width: int) -> list[int]:
            return [(value >> (width - 1 - i)) & 1 for i in range(width)]

        seed = (bits(1, 2) + bits(0, 4) + bits(N_BITS, 12) + bits(t, 12) + bits(full_rounds, 10)
                + bits(partial_rounds, 10) + [1] * 30)
        assert len(seed) == 80
        self.sequence = bytearray(seed)  # b_0, b_1, ...; the state is the last 80 bits
        for _ in range(160):
            self._clock()

    def _clock(self) -> int:
        b, i = self.sequence, len(self.sequence) - 80
        bit = b[i + 62] ^ b[i + 51] ^ b[i + 38] ^ b[i + 23] ^ b[i + 13] ^ b[i]
        b.append(bit)
        return bit

    def _bits(self) -> Iterator[int]:
        while True:
            first, second = self._clock(), self._clock()
            if first == 1:
                yield second

    def integer(self, n: int) -> int:
        value = 0
        for bit in itertools.islice(self._bits(), n):
            value = (value << 1) | bit
        return value

    def field_element(self) -> int:
        """A uniformly drawn element of GF(p) (rejection sampling)."""
        while True:
            value = self.integer(N_BITS)
            if value < P:
                return value


# --- linear algebra over GF(p) ------------------------------------------------------------------

Matrix = list[list[int]]


def _inv(x: int) -> int:
    return pow(x, -1, P)


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    n = len(a)
    return [[sum(a[i][k] * b[k][j] for k in range(n)) % P for j in range(n)] for i in range(n)]


def _det(m: Matrix) -> int:
    a = [row[:] for row in m]
    n, det = len(a), 1
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col]), None)
        if pivot is None:
            return 0
        if pivot != col:
            a[col], a[pivot] = a[pivot], a[col]
            det = -det
        det = det * a[col][col] % P
        inv = _inv(a[col][col])
        for r in range(col + 1, n):
            f = a[r][col] * inv % P
            if f:
                a[r] = [(x - f * y) % P for x, y in zip(a[r], a[col], strict=True)]
    return det % P


def is_mds(m: Matrix) -> bool:
    t = len(m)
    for size in range(1, t + 1):
        for rows in itertools.combinations(range(t), size):
            for cols in itertools.combinations(range(t), size):
                if _det([[m[r][c] for c in cols] for r in rows]) == 0:
                    return False
    return True


def _rank(rows: Matrix) -> int:
    a = [row[:] for row in rows]
    rank = 0
    for col in range(len(a[0])):
        pivot = next((r for r in range(rank, len(a)) if a[r][col]), None)
        if pivot is None:
            continue
        a[rank], a[pivot] = a[pivot], a[rank]
        inv = _inv(a[rank][col])
        for r in range(len(a)):
            if r != rank and a[r][col]:
                f = a[r][col] * inv % P
                a[r] = [(x - f * y) % P for x, y in zip(a[r], a[rank], strict=True)]
        rank += 1
    return rank


def has_no_inactive_subspace_trail(m: Matrix) -> bool:
    """No nonzero subspace keeps the partial rounds' S-box input (x_0) zero for ever."""
    t = len(m)
    rows, power = [], [[int(i == j) for j in range(t)] for i in range(t)]
    for _ in range(t):
        rows.append(power[0])  # e_0 M^k
        power = _matmul(power, m)
    return _rank(rows) == t


def _cauchy(grain: Grain, t: int) -> Matrix | None:
    draws = [grain.integer(N_BITS) % P for _ in range(2 * t)]
    if len(set(draws)) != 2 * t:
        return None
    xs, ys = draws[:t], draws[t:]
    if any((x + y) % P == 0 for x in xs for y in ys):
        return None
    return [[_inv((x + y) % P) for y in ys] for x in xs]


def generate(t: int) -> dict[str, object]:
    """Round constants (round by round, t per round) and the MDS matrix for width t."""
    r_p = PARTIAL_ROUNDS[t]
    grain = Grain(t, FULL_ROUNDS, r_p)
    constants = [grain.field_element() for _ in range((FULL_ROUNDS + r_p) * t)]
    while True:
        m = _cauchy(grain, t)
        if m is not None and is_mds(m) and has_no_inactive_subspace_trail(m):
            break
    return {"partialRounds": r_p, "C": [hex(c) for c in constants], "M": [[hex(x) for x in row] for row in m]}


def generate_all() -> dict[str, dict[str, object]]:
    return {str(t): generate(t) for t in PARTIAL_ROUNDS}


def render_json(params: dict[str, dict[str, object]]) -> str:
    return json.dumps({"fullRounds": FULL_ROUNDS, "alpha": ALPHA, "widths": params}, separators=(",", ":")) + "\n"


def render_circom(params: dict[str, dict[str, object]]) -> str:
    lines = [
        "pragma circom 2.1.0;",
        "",
        "// Generated by zk/scripts/poseidon_params.py (the Poseidon paper's Grain LFSR and Cauchy MDS",
        "// construction for BN254, x^5, R_F = 8); do not edit. t = number of inputs + 1.",
        "",
        "function POSEIDON_PARTIAL_ROUNDS(t) {",
        "    var rounds[8] = [0, 0, " + ", ".join(str(params[str(t)]["partialRounds"]) for t in PARTIAL_ROUNDS) + "];",
        "    return rounds[t];",
        "}",
    ]
    for name, key in (("POSEIDON_C", "C"), ("POSEIDON_M", "M")):
        lines += ["", f"function {name}(t) {{"]
        widths = list(PARTIAL_ROUNDS)
        for t in widths:
            value = params[str(t)][key]
            assert isinstance(value, list)
            body = ", ".join(value) if key == "C" else ", ".join("[" + ", ".join(row) + "]" for row in value)
            if t == widths[-1]:  # every branch must return an array: the last width closes the chain
                lines.append(f"    assert(t == {t});\n    return [{body}];")
            else:
                lines.append(f"    if (t == {t}) {{\n        return [{body}];\n    }}")
        lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args()
    params = generate_all()
    outputs = {JSON_FILE: render_json(params), CIRCOM_FILE: render_circom(params)}
    if args.check:
        stale = [str(path) for path, text in outputs.items() if not path.exists() or path.read_text() != text]
        for name in stale:
            print(f"{name} differs from what zk/scripts/poseidon_params.py generates", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
