"""Where the oracle checks posted result proofs in Python: a process of its own, off the poll loop.

A Groth16 check in py-ecc is pure Python (three Miller loops and a final exponentiation, about
0.4 s of CPU on a quiet core, several seconds on a loaded machine); run on the oracle's loop it
held every other task back (`ProofAuditor` then waited on the GIL, one proof at a time). The
checker process imports only the verifier (no web3, no torch: ~20 MB), parses the committed
verifying key once when it starts (with e(alpha, beta) precomputed, see `nnc.zk.verify`), and
answers `check(proof)` with a bool. The auditor keeps every decision and every transaction.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

from nnc.sandbox import die_with_parent
from nnc.zk.proof import Proof
from nnc.zk.verify import verify, verifying_key

CIRCUIT = "ResultCommitment"


def start_checker() -> None:
    """Initialises the checker process: dies with the oracle, parses the verifying key now."""
    die_with_parent()
    verifying_key(CIRCUIT)


def check(proof: Proof) -> bool:
    """Whether a posted result proof verifies (`nnc.zk.verify`, the committed key)."""
    return verify(proof, CIRCUIT)


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
