"""Groth16 verification in Python with py-ecc: the same check as the on-chain verifier.

e(A, B) == e(alpha, beta) * e(vk_x, gamma) * e(C, delta), with vk_x = IC_0 + sum(s_i * IC_i),
computed as four Miller loops and a single final exponentiation.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import optimized_curve as curve
from py_ecc.optimized_bn128 import optimized_pairing as pairing

from nnc.zk.artifacts import vkey_path
from nnc.zk.poseidon import FIELD_MODULUS
from nnc.zk.proof import G1Point, G2Point, Proof

BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583

G1 = tuple[FQ, FQ, FQ]
G2 = tuple[FQ2, FQ2, FQ2]


def _g1(x: int, y: int) -> G1 | None:
    if not (0 <= x < BASE_FIELD and 0 <= y < BASE_FIELD):
        return None
    point = (FQ(x), FQ(y), FQ(1))
    return point if curve.is_on_curve(point, curve.b) else None


def _g2(x: tuple[int, int], y: tuple[int, int]) -> G2 | None:
    if not all(0 <= v < BASE_FIELD for v in (*x, *y)):
        return None
    point = (FQ2([x[0], x[1]]), FQ2([y[0], y[1]]), FQ2.one())
    if not curve.is_on_curve(point, curve.b2):
        return None
    return point if curve.is_inf(curve.multiply(point, curve.curve_order)) else None  # the prime-order subgroup


def _parse_g1(coords: list[str]) -> G1:
    point = _g1(int(coords[0]), int(coords[1]))
    if point is None:
        raise ValueError(f"verification key point {coords[:2]} is not on G1")
    return point


def _parse_g2(coords: list[list[str]]) -> G2:
    point = _g2((int(coords[0][0]), int(coords[0][1])), (int(coords[1][0]), int(coords[1][1])))
    if point is None:
        raise ValueError("verification key point is not on G2")
    return point


class VerifyingKey:
    """A snarkjs `verification_key.json` parsed into curve points."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("protocol") != "groth16" or data.get("curve") != "bn128":
            raise ValueError(f"not a Groth16 BN254 key: {data.get('protocol')}/{data.get('curve')}")
        self.n_public = int(data["nPublic"])
        self.alpha = _parse_g1(data["vk_alpha_1"])
        self.beta = _parse_g2(data["vk_beta_2"])
        self.gamma = _parse_g2(data["vk_gamma_2"])
        self.delta = _parse_g2(data["vk_delta_2"])
        self.ic = [_parse_g1(p) for p in data["IC"]]
        # e(alpha, beta) does not depend on the proof: one Miller loop saved per verification
        self.alpha_beta = pairing.pairing(self.beta, self.alpha, final_exponentiate=False)

    @classmethod
    def load(cls, path: Path) -> VerifyingKey:
        return cls(json.loads(path.read_text()))


@cache
def verifying_key(circuit: str) -> VerifyingKey:
    """The committed verification key of a circuit (`ResultCommitment`, `Acceptance`)."""
    return VerifyingKey.load(vkey_path(circuit))


ProofPoints = tuple[G1, G2, G1, G1]
"""A proof's A, B, C and vk_x (the key's IC combined with the public signals)."""


def proof_points(proof: Proof, vk: VerifyingKey) -> ProofPoints | None:
    """The curve points a Groth16 check of `proof` under `vk` pairs, or None for a malformed proof
    (points off the curve or outside the subgroup, coordinates or public signals out of their
    fields, the wrong number of signals)."""
    signals = proof.public_signals
    if len(signals) != vk.n_public or not all(0 <= s < FIELD_MODULUS for s in signals):
        return None
    a, b, c = _g1(*proof.a), _g2(*proof.b), _g1(*proof.c)
    if a is None or b is None or c is None:
        return None
    vk_x = vk.ic[0]
    for s, ic in zip(signals, vk.ic[1:], strict=True):
        vk_x = curve.add(vk_x, curve.multiply(ic, s))
    return a, b, c, vk_x


def verify(proof: Proof, key: VerifyingKey | str = "ResultCommitment") -> bool:
    """Whether `proof` is a valid Groth16 proof of its public signals under `key`.

    Malformed proofs (points off the curve or outside the subgroup, coordinates or public
    signals out of their fields, the wrong number of signals) are invalid, never an exception.
    """
    vk = verifying_key(key) if isinstance(key, str) else key
    points = proof_points(proof, vk)
    if points is None:
        return False
    a, b, c, vk_x = points
    product = (pairing.pairing(b, curve.neg(a), final_exponentiate=False)
               * vk.alpha_beta
               * pairing.pairing(vk.gamma, vk_x, final_exponentiate=False)
               * pairing.pairing(vk.delta, c, final_exponentiate=False))
    return bool(pairing.final_exponentiate(product) == FQ12.one())


__all__ = ["G1Point", "G2Point", "ProofPoints", "VerifyingKey", "proof_points", "verify", "verifying_key"]
