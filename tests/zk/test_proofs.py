"""Proving with the committed circuits (long-lived snarkjs process) and verifying in Python (py-ecc)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

import pytest
from eth_hash.auto import keccak

from nnc.errors import ProverError, ZkInputError
from nnc.zk import (
    FIELD_MODULUS,
    Prover,
    agreement_tag,
    labels_commitment,
    predictions_commitment,
    prove_acceptance,
    prove_commitment,
    task_key,
    verify,
)
from nnc.zk.acceptance import prove_claim

WORKER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DIGEST = hashlib.sha256(b"model weights").digest()
KEY = task_key(31337, MARKET, 7)


def test_task_key_is_keccak_of_chain_market_and_task_mod_p() -> None:
    encoded = (31337).to_bytes(32, "big") + bytes(12) + bytes.fromhex(MARKET[2:]) + (7).to_bytes(32, "big")
    assert KEY == int.from_bytes(keccak(encoded), "big") % FIELD_MODULUS
    assert len({KEY, task_key(1, MARKET, 7), task_key(31337, OTHER, 7), task_key(31337, MARKET, 8)}) == 4


def test_valid_commitment_proof_verifies_and_matches_python_poseidon(prover: Prover) -> None:
    p = prove_commitment(KEY, WORKER, DIGEST, prover=prover)
    assert p.agreement_tag == agreement_tag(KEY, DIGEST)
    assert p.proof.public_signals == (KEY, int(WORKER, 16), p.agreement_tag)
    assert verify(p.proof)


def test_same_digest_same_tag_per_task(prover: Prover) -> None:
    a = prove_commitment(KEY, WORKER, DIGEST, prover=prover)
    b = prove_commitment(KEY, OTHER, DIGEST, prover=prover)
    assert a.agreement_tag == b.agreement_tag
    assert a.proof != b.proof
    assert agreement_tag(task_key(31337, MARKET, 8), DIGEST) != a.agreement_tag  # tags are per task
    assert agreement_tag(task_key(10, MARKET, 7), DIGEST) != a.agreement_tag  # ... per chain


def test_tampered_proof_is_rejected(prover: Prover) -> None:
    proof = prove_commitment(KEY, WORKER, DIGEST, prover=prover).proof
    assert not verify(replace(proof, a=(proof.a[0], proof.a[1] ^ 1)))  # off the curve
    assert not verify(replace(proof, c=proof.a))  # on the curve, wrong point
    assert not verify(replace(proof, b=(proof.b[1], proof.b[0])))
    assert verify(proof)


def test_proof_replayed_for_another_worker_task_chain_or_tag_is_rejected(prover: Prover) -> None:
    proof = prove_commitment(KEY, WORKER, DIGEST, prover=prover).proof
    key, worker, tag = proof.public_signals
    assert not verify(proof.with_public_signals((key, int(OTHER, 16), tag)))
    assert not verify(proof.with_public_signals((task_key(31337, MARKET, 8), worker, tag)))  # another task
    assert not verify(proof.with_public_signals((task_key(10, MARKET, 7), worker, tag)))  # another chain
    assert not verify(proof.with_public_signals((task_key(31337, OTHER, 7), worker, tag)))  # another market
    other_tag = agreement_tag(KEY, hashlib.sha256(b"other model").digest())
    assert not verify(proof.with_public_signals((key, worker, other_tag)))
    assert not verify(proof.with_public_signals((key, worker, tag + FIELD_MODULUS)))
    assert not verify(proof.with_public_signals((key, worker)))


def test_copied_agreement_tag_cannot_be_proven_without_its_digest(prover: Prover) -> None:
    honest_tag = agreement_tag(KEY, DIGEST)
    wrong_digest = hashlib.sha256(b"a lazy node's guess").digest()
    with pytest.raises(ProverError, match="refused"):
        prove_commitment(KEY, OTHER, wrong_digest, prover=prover, agreement_tag_override=honest_tag)
    # the prover stays usable after a refusal
    assert verify(prove_commitment(KEY, OTHER, DIGEST, prover=prover).proof)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"result_digest": b"\x01" * 31}, "resultDigest"),
    ({"result_digest": b"\x01" * 33}, "resultDigest"),
    ({"key": FIELD_MODULUS}, "taskKey"),
    ({"key": -1}, "taskKey"),
    ({"worker": 1 << 160}, "worker"),
    ({"worker": "0xnot-an-address"}, "worker"),
])
def test_out_of_range_commitment_inputs_are_refused_by_name(prover: Prover, kwargs: dict[str, object],
                                                             name: str) -> None:
    args: dict[str, object] = {"key": 1, "worker": WORKER, "result_digest": DIGEST}
    args.update(kwargs)
    with pytest.raises(ZkInputError) as info:
        prove_commitment(prover=prover, **args)  # type: ignore[arg-type]
    assert info.value.name == name


@pytest.mark.parametrize(("args", "name"), [((-1, MARKET, 1), "chainId"), ((1, "0x12", 1), "market"),
                                            ((1, MARKET, 1 << 256), "taskId")])
def test_out_of_range_task_key_inputs_are_refused_by_name(args: tuple[int, str, int], name: str) -> None:
    with pytest.raises(ZkInputError) as info:
        task_key(*args)
    assert info.value.name == name


def test_circuit_itself_refuses_a_digest_limb_over_128_bits(prover: Prover) -> None:
    # Bypass the Python checks: a limb of 2^128 would let another field element stand for the digest.
    inputs = {"taskKey": "1", "worker": str(int(WORKER, 16)), "agreementTag": "0",
              "digestHi": str(1 << 128), "digestLo": "0"}
    with pytest.raises(ProverError):
        prover.prove("ResultCommitment", inputs)


def _classifier(n: int, wrong: int, seed: int = 0) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    labels = [rng.randrange(10) for _ in range(n)]
    predictions = list(labels)
    for i in rng.sample(range(n), wrong):
        predictions[i] = (labels[i] + 1) % 10
    return predictions, labels


def test_acceptance_proves_met_over_256_samples(prover: Prover) -> None:
    predictions, labels = _classifier(256, wrong=30)
    p = prove_acceptance(predictions, labels, threshold=226, labels_salt=22, prover=prover)
    assert p.met
    assert p.labels_commitment == labels_commitment(labels, 22)
    assert p.predictions_commitment == predictions_commitment(predictions)  # anyone with the model
    assert p.proof.public_signals == (p.predictions_commitment, p.labels_commitment, 226, 256, 1)
    assert verify(p.proof, "Acceptance")
    for forged in ((p.predictions_commitment, p.labels_commitment, 227, 256, 1),   # higher threshold
                   (p.predictions_commitment, p.labels_commitment, 226, 256, 0),   # outcome flipped
                   (p.predictions_commitment, p.labels_commitment, 226, 255, 1)):  # another count
        assert not verify(p.proof.with_public_signals(forged), "Acceptance")


def test_acceptance_proves_not_met_and_a_false_claim_cannot_be_proven(prover: Prover) -> None:
    predictions, labels = _classifier(256, wrong=30)
    p = prove_acceptance(predictions, labels, threshold=227, labels_salt=1, prover=prover)
    assert not p.met
    assert p.proof.public_signals[4] == 0
    assert verify(p.proof, "Acceptance")
    with pytest.raises(ProverError):  # "met" at 227 is false
        prove_claim(predictions, labels, 227, 1, met=True, prover=prover)
    with pytest.raises(ProverError):  # a requester cannot prove "not met" at 226 either
        prove_claim(predictions, labels, 226, 1, met=False, prover=prover)


def test_count_is_bound_so_padding_cannot_inflate_the_set(prover: Prover) -> None:
    predictions, labels = _classifier(150, wrong=10, seed=3)
    p = prove_acceptance(predictions, labels, threshold=140, labels_salt=1, prover=prover)
    assert p.met and p.count == 150
    assert verify(p.proof, "Acceptance")
    # the same 150 labels padded with zeros to 200 are another commitment: a proof of 196/200
    # over zero padding is not a proof about the labels the requester committed
    padded_p, padded_l = predictions + [0] * 50, labels + [0] * 50
    assert labels_commitment(padded_l, 1) != labels_commitment(labels, 1)
    assert predictions_commitment(padded_p) != predictions_commitment(predictions)
    inflated = prove_acceptance(padded_p, padded_l, threshold=190, labels_salt=1, prover=prover)
    assert inflated.labels_commitment != p.labels_commitment
    with pytest.raises(ProverError):  # padding (zeros in both) does not count as correct
        prove_claim(predictions, labels, 141, 1, met=True, prover=prover)


@pytest.mark.parametrize(("predictions", "labels", "threshold", "name"), [
    ([16], [0], 0, "predictions[0]"),
    ([0], [-1], 0, "labels[0]"),
    ([0] * 257, [0] * 257, 0, "len(predictions)"),
    ([0, 1], [0], 0, "len(predictions)"),
    ([0], [0], 2, "threshold"),
])
def test_out_of_range_acceptance_inputs_are_refused_by_name(prover: Prover, predictions: list[int],
                                                            labels: list[int], threshold: int, name: str) -> None:
    with pytest.raises(ZkInputError) as info:
        prove_acceptance(predictions, labels, threshold, 2, prover=prover)
    assert info.value.name == name
