"""Zero-knowledge result commitments and acceptance proofs (Groth16 on BN254, circom + snarkjs).

`prove_commitment` / `prove_acceptance` prove with the committed circuits in a long-lived Node
process; `verify` checks a proof in Python (py-ecc); `poseidon` is the circuits' Poseidon.
"""

from nnc.zk.acceptance import AcceptanceProof, labels_commitment, predictions_commitment, prove_acceptance
from nnc.zk.commitment import CommitmentProof, agreement_tag, digest_limbs, prove_commitment, task_key
from nnc.zk.poseidon import FIELD_MODULUS, poseidon
from nnc.zk.proof import Proof
from nnc.zk.prover import Prover, shared_prover
from nnc.zk.verify import VerifyingKey, verify, verifying_key

__all__ = [
    "FIELD_MODULUS", "AcceptanceProof", "CommitmentProof", "Proof", "Prover", "VerifyingKey", "agreement_tag",
    "digest_limbs", "labels_commitment", "poseidon", "predictions_commitment", "prove_acceptance",
    "prove_commitment", "shared_prover", "task_key", "verify", "verifying_key",
]
