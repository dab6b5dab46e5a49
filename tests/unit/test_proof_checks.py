"""The oracle's batched check of posted result proofs (`nnc.oracle.proof_checks.check_batch`): the
same verdicts as `nnc.zk.verify`, one by one, whatever the mix of valid, wrong and malformed proofs."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from nnc.oracle.proof_checks import check_batch
from nnc.zk import prove_commitment, verify
from nnc.zk.proof import Proof


def proofs(n: int) -> list[Proof]:
    return [prove_commitment(1000 + i, "0x" + f"{i + 1:02x}" * 20, hashlib.sha256(bytes([i])).digest()).proof
            for i in range(n)]


def test_a_batch_gives_each_proof_the_verifiers_own_verdict() -> None:
    good = proofs(2)  # (each a snarkjs proof: the corruptions below are of copies of these two)
    assert check_batch(good) == [True] * 2
    mixed = [good[0],
             replace(good[1], c=good[1].a),  # on the curve, wrong: only the pairing check finds it
             replace(good[0], public_signals=(good[0].public_signals[0] + 1, *good[0].public_signals[1:])),
             replace(good[1], a=(good[1].a[0], good[1].a[1] ^ 1))]  # off the curve: malformed
    assert not verify(mixed[1]) and not verify(mixed[3])  # (the verifier's own verdicts, for the record)
    assert check_batch(mixed) == [True, False, False, False]
    assert check_batch([]) == []
    swapped = [replace(good[0], c=good[1].c), replace(good[1], c=good[0].c)]  # two wrong proofs that
    assert check_batch(swapped) == [False, False]  # would cancel out without random weights
