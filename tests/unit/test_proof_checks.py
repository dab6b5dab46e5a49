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
    good = proofs(5)
    assert check_batch(good) == [True] * 5
    mixed = list(good)
    mixed[1] = replace(good[1], c=good[1].a)  # on the curve, wrong: only the pairing check finds it
    mixed[3] = replace(good[3], public_signals=(good[3].public_signals[0] + 1, *good[3].public_signals[1:]))
    mixed[4] = replace(good[4], a=(good[4].a[0], good[4].a[1] ^ 1))  # off the curve: malformed
    expected = [verify(p) for p in mixed]
    assert expected == [True, False, True, False, False]
    assert check_batch(mixed) == expected
    assert check_batch(mixed[1:2]) == [False] and check_batch([]) == []
    swapped = [replace(good[0], c=good[2].c), replace(good[2], c=good[0].c)]  # two wrong proofs that
    assert check_batch(swapped) == [False, False]  # would cancel out without random weights
