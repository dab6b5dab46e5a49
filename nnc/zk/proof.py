"""A Groth16 proof with its public signals, as snarkjs writes it and as Solidity takes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

G1Point = tuple[int, int]
G2Point = tuple[tuple[int, int], tuple[int, int]]  # ((x.c0, x.c1), (y.c0, y.c1))


@dataclass(frozen=True)
class Proof:
    """Groth16 proof (affine points, BN254) and the public signals it was made for."""

    a: G1Point
    b: G2Point
    c: G1Point
    public_signals: tuple[int, ...]

    @classmethod
    def from_snarkjs(cls, proof: dict[str, Any], public_signals: list[str]) -> Proof:
        pa, pb, pc = proof["pi_a"], proof["pi_b"], proof["pi_c"]
        return cls(
            a=(int(pa[0]), int(pa[1])),
            b=((int(pb[0][0]), int(pb[0][1])), (int(pb[1][0]), int(pb[1][1]))),
            c=(int(pc[0]), int(pc[1])),
            public_signals=tuple(int(s) for s in public_signals),
        )

    def calldata(self) -> list[int]:
        """The proof as the eight uint256 a Solidity verifier takes: each G2 coordinate's two
        limbs swapped (EIP-197 orders them imaginary part first)."""
        (bx0, bx1), (by0, by1) = self.b
        return [self.a[0], self.a[1], bx1, bx0, by1, by0, self.c[0], self.c[1]]

    @classmethod
    def from_calldata(cls, words: list[int] | tuple[int, ...], public_signals: tuple[int, ...]) -> Proof:
        """Inverse of `calldata` (the oracle reads submitted proofs back from transactions)."""
        w = [int(x) for x in words]
        return cls(a=(w[0], w[1]), b=((w[3], w[2]), (w[5], w[4])), c=(w[6], w[7]),
                   public_signals=tuple(public_signals))

    def with_public_signals(self, public_signals: tuple[int, ...]) -> Proof:
        return Proof(self.a, self.b, self.c, tuple(public_signals))
