"""Acceptance in zero knowledge (circuit `Acceptance`): a classifier's predictions on the
evaluation set match the requester's committed labels at least `threshold` times (met), or
fewer than `threshold` times (not met), without revealing the labels.

Both vectors are committed as Poseidon(head, packed[0..K-1]), each packed element holding
PER = 62 class ids of 4 bits (so up to 16 classes) and the last one also the count, as one more
digit after its last id: a 150-sample set padded with zeros is not a 206-sample one. The labels'
head is the requester's salt (they stay hidden); the predictions' head is 0, so anyone with the
model and the public evaluation inputs recomputes their commitment. Sets of up to 256 samples
are padded with zeros, and only the first `count` samples are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nnc.errors import ProverError, ZkInputError
from nnc.zk.commitment import field_element
from nnc.zk.poseidon import poseidon
from nnc.zk.proof import Proof
from nnc.zk.prover import Prover, shared_prover

CIRCUIT = "Acceptance"
SAMPLES = 256
CLASS_BITS = 4
PER_ELEMENT = 248 // CLASS_BITS
ELEMENTS = -(-SAMPLES // PER_ELEMENT)


@dataclass(frozen=True)
class AcceptanceProof:
    predictions_commitment: int
    labels_commitment: int
    threshold: int
    count: int
    met: bool
    proof: Proof

    def public_signals(self) -> tuple[int, int, int, int, int]:
        return (self.predictions_commitment, self.labels_commitment, self.threshold, self.count, int(self.met))


def _padded(name: str, values: Sequence[int]) -> list[int]:
    if len(values) > SAMPLES:
        raise ZkInputError(f"len({name})", len(values), f"at most {SAMPLES} samples")
    for i, v in enumerate(values):
        if not isinstance(v, int) or not 0 <= v < 1 << CLASS_BITS:
            raise ZkInputError(f"{name}[{i}]", v, f"a class id in [0, {1 << CLASS_BITS})")
    return list(values) + [0] * (SAMPLES - len(values))


def pack(values: Sequence[int]) -> list[int]:
    """The field elements a vector of class ids and its count are committed as (after padding)."""
    padded = _padded("values", values)
    packed = [0] * ELEMENTS
    for i, v in enumerate(padded):
        packed[i // PER_ELEMENT] += v << (CLASS_BITS * (i % PER_ELEMENT))
    packed[-1] += len(values) << (CLASS_BITS * (SAMPLES - (ELEMENTS - 1) * PER_ELEMENT))
    return packed


def labels_commitment(labels: Sequence[int], salt: int) -> int:
    """Poseidon(salt, packed labels and count): what the requester records at publish."""
    return poseidon([field_element("salt", salt), *pack(labels)])


def predictions_commitment(predictions: Sequence[int]) -> int:
    """Poseidon(0, packed predictions and count): recomputable by anyone who runs the model."""
    return poseidon([0, *pack(predictions)])


def correct_count(predictions: Sequence[int], labels: Sequence[int]) -> int:
    return sum(1 for p, y in zip(predictions, labels, strict=True) if p == y)


def prove_acceptance(predictions: Sequence[int], labels: Sequence[int], threshold: int,
                     labels_salt: int, prover: Prover | None = None) -> AcceptanceProof:
    """Proves whether at least `threshold` of the predictions equal their labels (either way:
    the proof says met or not met, and the labels stay private)."""
    if len(predictions) != len(labels):
        raise ZkInputError("len(predictions)", len(predictions), f"equal to len(labels) = {len(labels)}")
    count = len(labels)
    if not isinstance(threshold, int) or not 0 <= threshold <= count:
        raise ZkInputError("threshold", threshold, f"an integer in [0, {count}] (the number of samples)")
    preds, labs = _padded("predictions", predictions), _padded("labels", labels)
    pc, lc = predictions_commitment(predictions), labels_commitment(labels, labels_salt)
    met = correct_count(predictions, labels) >= threshold
    inputs = {"predictionsCommitment": str(pc), "labelsCommitment": str(lc), "threshold": str(threshold),
              "count": str(count), "met": str(int(met)), "predictions": [str(v) for v in preds],
              "labels": [str(v) for v in labs], "labelsSalt": str(labels_salt)}
    proof = (prover or shared_prover()).prove(CIRCUIT, inputs)
    result = AcceptanceProof(pc, lc, threshold, count, met, proof)
    if proof.public_signals != result.public_signals():
        raise ProverError(f"{CIRCUIT}: public signals {proof.public_signals} differ from the inputs")
    return result


def prove_claim(predictions: Sequence[int], labels: Sequence[int], threshold: int, labels_salt: int,
                met: bool, prover: Prover | None = None) -> Proof:
    """Tries to prove a given outcome, true or not (for tests of soundness: a false claim fails
    in the prover, since the circuit's constraints cannot be satisfied)."""
    pc, lc = predictions_commitment(predictions), labels_commitment(labels, labels_salt)
    inputs = {"predictionsCommitment": str(pc), "labelsCommitment": str(lc), "threshold": str(threshold),
              "count": str(len(labels)), "met": str(int(met)),
              "predictions": [str(v) for v in _padded("predictions", predictions)],
              "labels": [str(v) for v in _padded("labels", labels)], "labelsSalt": str(labels_salt)}
    return (prover or shared_prover()).prove(CIRCUIT, inputs)
