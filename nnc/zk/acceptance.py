"""Acceptance in zero knowledge (circuit `Acceptance`): a classifier's predictions on the
evaluation set match the requester's committed labels at least `threshold` times.

Both vectors are committed as Poseidon(salt, packed[0..K-1]), each packed element holding
PER = 62 class ids of 4 bits (so up to 16 classes); evaluation sets of up to 256 samples are
padded with zeros, and only the first `count` samples are counted.
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
    proof: Proof


def _padded(name: str, values: Sequence[int]) -> list[int]:
    if len(values) > SAMPLES:
        raise ZkInputError(f"len({name})", len(values), f"at most {SAMPLES} samples")
    for i, v in enumerate(values):
        if not isinstance(v, int) or not 0 <= v < 1 << CLASS_BITS:
            raise ZkInputError(f"{name}[{i}]", v, f"a class id in [0, {1 << CLASS_BITS})")
    return list(values) + [0] * (SAMPLES - len(values))


def pack(values: Sequence[int]) -> list[int]:
    """The field elements a vector of class ids is committed as (after padding)."""
    padded = _padded("values", values)
    packed = [0] * ELEMENTS
    for i, v in enumerate(padded):
        packed[i // PER_ELEMENT] += v << (CLASS_BITS * (i % PER_ELEMENT))
    return packed


def vector_commitment(values: Sequence[int], salt: int) -> int:
    """Poseidon(salt, packed...): what the requester publishes for its labels."""
    return poseidon([field_element("salt", salt), *pack(values)])


def prove_acceptance(predictions: Sequence[int], labels: Sequence[int], threshold: int,
                     predictions_salt: int, labels_salt: int, prover: Prover | None = None) -> AcceptanceProof:
    """Proves that at least `threshold` of the predictions equal their labels."""
    if len(predictions) != len(labels):
        raise ZkInputError("len(predictions)", len(predictions), f"equal to len(labels) = {len(labels)}")
    count = len(labels)
    if not isinstance(threshold, int) or not 0 <= threshold <= count:
        raise ZkInputError("threshold", threshold, f"an integer in [0, {count}] (the number of samples)")
    preds, labs = _padded("predictions", predictions), _padded("labels", labels)
    pc, lc = vector_commitment(predictions, predictions_salt), vector_commitment(labels, labels_salt)
    inputs = {"predictionsCommitment": str(pc), "labelsCommitment": str(lc), "threshold": str(threshold),
              "count": str(count), "predictions": [str(v) for v in preds], "labels": [str(v) for v in labs],
              "predictionsSalt": str(predictions_salt), "labelsSalt": str(labels_salt)}
    proof = (prover or shared_prover()).prove(CIRCUIT, inputs)
    if proof.public_signals != (pc, lc, threshold, count):
        raise ProverError(f"{CIRCUIT}: public signals {proof.public_signals} differ from the inputs")
    return AcceptanceProof(pc, lc, threshold, count, proof)
