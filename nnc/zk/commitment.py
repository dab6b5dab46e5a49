"""The result commitment of a node (circuit `ResultCommitment`): statement key, tag and proof.

    taskKey      = keccak256(abi.encode(chainId, market, taskId)) mod p
    agreementTag = Poseidon(taskKey, digestHi, digestLo)

where digestHi/digestLo are the high and low 128 bits of the 256-bit result digest. The proof's
public inputs are (taskKey, worker, agreementTag): it holds for one chain, one market, one task
and one submitting address only (`ResultProofs.taskKey` computes the same key on-chain).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak

from nnc.errors import ProverError, ZkInputError
from nnc.zk.poseidon import FIELD_MODULUS, poseidon
from nnc.zk.proof import Proof
from nnc.zk.prover import Prover, shared_prover

CIRCUIT = "ResultCommitment"
LIMB = 1 << 128
ADDRESS_LIMIT = 1 << 160
UINT256_LIMIT = 1 << 256


@dataclass(frozen=True)
class CommitmentProof:
    """A proof of a result commitment, with the public values the contract is given."""

    task_key: int
    worker: int
    agreement_tag: int
    proof: Proof


def field_element(name: str, value: int) -> int:
    """`value` if it is an element of the BN254 scalar field, else ZkInputError naming it."""
    if not isinstance(value, int) or not 0 <= value < FIELD_MODULUS:
        raise ZkInputError(name, value, "an integer in [0, FIELD_MODULUS)")
    return value


def _address(name: str, address: str | int) -> int:
    if isinstance(address, str) and len(address.removeprefix("0x")) != 40:
        raise ZkInputError(name, address, "a 20-byte address")
    try:
        value = int(address, 16) if isinstance(address, str) else int(address)
    except ValueError as exc:
        raise ZkInputError(name, address, "a 20-byte address") from exc
    if not 0 <= value < ADDRESS_LIMIT:
        raise ZkInputError(name, address, "a 20-byte address")
    return value


def task_key(chain_id: int, market: str | int, task_id: int) -> int:
    """The statement key of task `task_id` of `market` on chain `chain_id` (domain separation):
    keccak256(abi.encode(uint256 chainId, address market, uint256 taskId)) mod p."""
    for name, value in (("chainId", chain_id), ("taskId", task_id)):
        if not isinstance(value, int) or not 0 <= value < UINT256_LIMIT:
            raise ZkInputError(name, value, "an unsigned 256-bit integer")
    encoded = b"".join(v.to_bytes(32, "big") for v in (chain_id, _address("market", market), task_id))
    return int.from_bytes(keccak(encoded), "big") % FIELD_MODULUS


def digest_limbs(result_digest: bytes) -> tuple[int, int]:
    """The (high, low) 128-bit halves of a 32-byte digest."""
    if not isinstance(result_digest, bytes | bytearray) or len(result_digest) != 32:
        raise ZkInputError("resultDigest", result_digest, "exactly 32 bytes")
    value = int.from_bytes(result_digest, "big")
    return value // LIMB, value % LIMB


def agreement_tag(key: int, result_digest: bytes) -> int:
    """The tag replicas of the task with statement key `key` agree on (`task_key`)."""
    hi, lo = digest_limbs(result_digest)
    return poseidon([field_element("taskKey", key), hi, lo])


def prove_commitment(key: int, worker: str | int, result_digest: bytes, prover: Prover | None = None,
                     agreement_tag_override: int | None = None) -> CommitmentProof:
    """Proves knowledge of the digest behind this worker's agreement tag for statement key `key`.

    `agreement_tag_override` replaces the tag the digest implies (only to show that the circuit
    then refuses: a tag copied from another node cannot be proven without its digest).
    """
    hi, lo = digest_limbs(result_digest)
    w = _address("worker", worker)
    field_element("taskKey", key)
    tag = agreement_tag(key, result_digest) if agreement_tag_override is None else agreement_tag_override
    field_element("agreementTag", tag)
    inputs = {"taskKey": key, "worker": w, "agreementTag": tag, "digestHi": hi, "digestLo": lo}
    proof = (prover or shared_prover()).prove(CIRCUIT, {k: str(v) for k, v in inputs.items()})
    if proof.public_signals != (key, w, tag):
        raise ProverError(f"{CIRCUIT}: public signals {proof.public_signals} differ from the inputs")
    return CommitmentProof(task_key=key, worker=w, agreement_tag=tag, proof=proof)
