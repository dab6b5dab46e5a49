"""The result commitment of a node (circuit `ResultCommitment`): inputs, tag and proof.

    commitment   = Poseidon(taskId, worker, digestHi, digestLo, salt)
    agreementTag = Poseidon(taskId, digestHi, digestLo)

where digestHi/digestLo are the high and low 128 bits of the 256-bit result digest.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from nnc.errors import ProverError, ZkInputError
from nnc.zk.poseidon import FIELD_MODULUS, poseidon
from nnc.zk.proof import Proof
from nnc.zk.prover import Prover, shared_prover

CIRCUIT = "ResultCommitment"
LIMB = 1 << 128
ADDRESS_LIMIT = 1 << 160


@dataclass(frozen=True)
class CommitmentProof:
    """A proof of a result commitment, with the public values the contract is given."""

    task_id: int
    worker: int
    commitment: int
    agreement_tag: int
    proof: Proof


def field_element(name: str, value: int) -> int:
    """`value` if it is an element of the BN254 scalar field, else ZkInputError naming it."""
    if not isinstance(value, int) or not 0 <= value < FIELD_MODULUS:
        raise ZkInputError(name, value, "an integer in [0, FIELD_MODULUS)")
    return value


def _worker(worker: str | int) -> int:
    try:
        value = int(worker, 16) if isinstance(worker, str) else int(worker)
    except ValueError as exc:
        raise ZkInputError("worker", worker, "a 20-byte address") from exc
    if not 0 <= value < ADDRESS_LIMIT:
        raise ZkInputError("worker", worker, "a 20-byte address")
    return value


def digest_limbs(result_digest: bytes) -> tuple[int, int]:
    """The (high, low) 128-bit halves of a 32-byte digest."""
    if not isinstance(result_digest, bytes | bytearray) or len(result_digest) != 32:
        raise ZkInputError("resultDigest", result_digest, "exactly 32 bytes")
    value = int.from_bytes(result_digest, "big")
    return value // LIMB, value % LIMB


def agreement_tag(task_id: int, result_digest: bytes) -> int:
    hi, lo = digest_limbs(result_digest)
    return poseidon([field_element("taskId", task_id), hi, lo])


def commitment(task_id: int, worker: str | int, result_digest: bytes, salt: int) -> int:
    hi, lo = digest_limbs(result_digest)
    return poseidon([field_element("taskId", task_id), _worker(worker), hi, lo, field_element("salt", salt)])


def new_salt() -> int:
    """A uniformly random field element."""
    return secrets.randbelow(FIELD_MODULUS)


def prove_commitment(task_id: int, worker: str | int, result_digest: bytes, salt: int,
                     prover: Prover | None = None, agreement_tag_override: int | None = None) -> CommitmentProof:
    """Proves knowledge of the digest and salt behind this worker's commitment and agreement tag.

    `agreement_tag_override` replaces the tag the digest implies (only to show that the circuit
    then refuses: a tag copied from another node cannot be proven without its digest).
    """
    hi, lo = digest_limbs(result_digest)
    w = _worker(worker)
    c = commitment(task_id, w, result_digest, salt)
    tag = agreement_tag(task_id, result_digest) if agreement_tag_override is None else agreement_tag_override
    field_element("agreementTag", tag)
    inputs = {"taskId": task_id, "worker": w, "commitment": c, "agreementTag": tag,
              "digestHi": hi, "digestLo": lo, "salt": salt}
    proof = (prover or shared_prover()).prove(CIRCUIT, {k: str(v) for k, v in inputs.items()})
    if proof.public_signals != (task_id, w, c, tag):
        raise ProverError(f"{CIRCUIT}: public signals {proof.public_signals} differ from the inputs")
    return CommitmentProof(task_id=task_id, worker=w, commitment=c, agreement_tag=tag, proof=proof)
