"""Where the oracle checks posted result proofs in Python: a process of its own, off the poll loop.

A Groth16 check in py-ecc is pure Python (three Miller loops and a final exponentiation, about
0.37 s of CPU on a quiet core, several seconds on a loaded machine); run on the oracle's loop it
held every other task back (`ProofAuditor` then waited on the GIL, one proof at a time). The
checker process imports only the verifier (no web3, no torch: ~20 MB), parses the committed
verifying key once when it starts (with e(alpha, beta) precomputed, see `nnc.zk.verify`), and
answers `check_batch(proofs)` with one bool per proof. The auditor keeps every decision and every
transaction.

Proofs that arrive while the checker is busy are checked together (`check_batch`): with random
128-bit weights r_i, every proof holds (except with probability 2^-128) iff

    prod_i e(-r_i A_i, B_i) * e(alpha, beta)^(sum r_i) * e(sum r_i vk_x_i, gamma) * e(sum r_i C_i, delta) == 1,

N + 2 Miller loops and one final exponentiation instead of 3N and N (about 0.1 s a proof instead
of 0.37 s). A batch that fails is split in halves until each failing proof is found alone, and a
single proof is checked by `nnc.zk.verify` itself, so a verdict of "fails" is always the
verifier's own.
"""

from __future__ import annotations

import multiprocessing
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import optimized_curve as curve
from py_ecc.optimized_bn128 import optimized_pairing as pairing

from nnc.sandbox import die_with_parent
from nnc.zk.proof import Proof
from nnc.zk.verify import ProofPoints, proof_points, verifying_key

CIRCUIT = "ResultCommitment"
WEIGHT_BITS = 128


def start_checker() -> None:
    """Initialises the checker process: dies with the oracle, parses the verifying key now."""
    die_with_parent()
    verifying_key(CIRCUIT)


def check_batch(proofs: Sequence[Proof]) -> list[bool]:
    """Whether each posted result proof verifies under the committed key (the checks of
    `nnc.zk.verify`): malformed ones fail alone; the others in one batched pairing check when all
    hold, in halves of a batch that does not (see the module doc)."""
    parsed = [_parsed(proof) for proof in proofs]
    well_formed = [i for i, points in enumerate(parsed) if points is not None]
    verdicts = [False] * len(proofs)
    for i, holds in zip(well_formed, _hold([p for p in parsed if p is not None]), strict=True):
        verdicts[i] = holds
    return verdicts


def _parsed(proof: Proof) -> ProofPoints | None:
    """The proof's points, or None for a malformed proof (as `nnc.zk.verify` rejects it)."""
    return proof_points(proof, verifying_key(CIRCUIT))


def _hold(batch: Sequence[ProofPoints]) -> list[bool]:
    if not batch:
        return []
    if _all_hold(batch):
        return [True] * len(batch)
    if len(batch) == 1:
        return [False]
    half = len(batch) // 2
    return _hold(batch[:half]) + _hold(batch[half:])


def _all_hold(batch: Sequence[ProofPoints]) -> bool:
    """The batched check; for a single proof (weight 1) exactly `nnc.zk.verify`'s equation."""
    vk = verifying_key(CIRCUIT)
    product, weights = FQ12.one(), 0
    sum_vk_x, sum_c = curve.Z1, curve.Z1
    for i, (a, b, c, vk_x) in enumerate(batch):
        r = 1 if i == 0 else secrets.randbits(WEIGHT_BITS) | 1  # the first weight may be 1
        product = product * pairing.pairing(b, curve.neg(curve.multiply(a, r)), final_exponentiate=False)
        sum_vk_x = curve.add(sum_vk_x, curve.multiply(vk_x, r))
        sum_c = curve.add(sum_c, curve.multiply(c, r))
        weights += r
    product = (product * vk.alpha_beta ** weights
               * pairing.pairing(vk.gamma, sum_vk_x, final_exponentiate=False)
               * pairing.pairing(vk.delta, sum_c, final_exponentiate=False))
    return bool(pairing.final_exponentiate(product) == FQ12.one())


def checker_pool(processes: int = 1) -> Callable[[], Executor]:
    """A factory of the checker pool: `processes` spawned processes (not forked from the daemon's
    threads), started at once so that their start-up is not on the first proof's path."""
    def make() -> Executor:
        pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_checker)
        for _ in range(processes):
            pool.submit(int)
        return pool
    return make
