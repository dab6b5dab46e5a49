"""The oracle's audit of posted result proofs: optimistic verification's watcher.

The market verifies nothing when a node posts its proof (`submitProof` stores the agreement tag
and a hash of the proof and emits `ProofPosted`). The oracle verifies every posted proof of an
open task in Python (py-ecc, no gas) as soon as it is indexed and, when one fails, challenges it
on-chain (`ResultProofs.challenge`, with the bond): the contract then verifies it, takes the node
out of the task and slashes it. A proof that verifies is left alone. Verdicts are kept per
(task, node) while the task is open; after a restart they are recomputed from the index.

With a checker pool (`nnc.oracle.proof_checks`, the daemon's) the Python check runs in a process
of its own: `audit` hands each new proof over and, on a later round, reads the verdicts that are
in and challenges the failing ones; a task with a check in flight is `pending` (the daemon sends
nothing for it meanwhile). Without one (the step-by-step test harness) it checks on the spot.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from dataclasses import dataclass

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.chain.result_proofs import ResultProofs
from nnc.errors import ContractRevertError
from nnc.oracle.index import EventIndex
from nnc.oracle.proof_checks import check_batch
from nnc.zk import Proof

log = logging.getLogger(__name__)


@dataclass
class _Check:
    """A posted proof for the checker pool: queued until a checker is free, then in a batch."""

    task_id: int
    node: str
    words: list[int]
    proof: Proof
    since: float  # time.monotonic() when it was queued
    batch: Future[list[bool]] | None = None  # its batch's verdicts, once sent
    slot: int = 0  # its place in the batch

    def verdict(self) -> bool | None:
        """The verdict once its batch is checked (raises what the pool raised); None before."""
        if self.batch is None or not self.batch.done():
            return None
        return self.batch.result()[self.slot]


class ProofAuditor:
    """Verifies each posted (task, node) proof once, challenging the ones that fail. `checks`
    makes the pool the checks run in (`checker_pool`, `checkers` processes); None: on the
    caller's thread. With a pool, `audit` queues a task's new proofs and `dispatch` (at the end of
    a round) sends what is queued to the free checkers, as batches (`check_batch`)."""

    def __init__(self, client: ChainClient, market: Market, index: EventIndex,
                 checks: Callable[[], Executor] | None = None, checkers: int = 1) -> None:
        self.client = client
        self.market = market
        self.index = index
        self.verdicts: dict[int, dict[str, bool]] = {}  # task -> node (lower case) -> valid
        # tasks with a proof that fails in Python yet stands on-chain (its challenge failed or
        # could not be sent): a misconfigured or compromised verifier; no gas is spent on them
        self.suspect: set[int] = set()
        self._checks = checks
        self._pool = checks() if checks is not None else None
        self._in_flight: dict[int, dict[str, _Check]] = {}  # task -> node (lower case) -> its check
        self._queued: list[_Check] = []  # not sent yet: the next `dispatch` sends them as batches
        self._batches: list[Future[list[bool]]] = []  # sent, at most one per checker process
        self._checkers = checkers
        self._keys: dict[int, int] = {}  # task -> statement key (fixed for a task: one call each)

    def pending(self, task_id: int) -> bool:
        """Whether a proof of the task is being checked (in the pool): its verdict is not in yet."""
        return bool(self._in_flight.get(task_id))

    def in_flight(self) -> int:
        return sum(len(checks) for checks in self._in_flight.values())

    def audit(self, task_id: int) -> list[str]:
        """Checks the task's posted proofs not checked yet (or hands them to the pool, and reads
        the verdicts it has); returns "challenge_proof" for each failing proof it challenged."""
        verdicts = self.verdicts.setdefault(task_id, {})
        failing: list[tuple[str, list[int]]] = []
        for event in self.index.events(task_id, name="ProofPosted"):  # read every round: only these rows
            if event["contract"] != "TaskMarket":
                continue
            node = str(event["args"]["node"])
            key = node.lower()
            if key in verdicts or key in self._in_flight.get(task_id, {}):
                continue
            posted = self.market.proof_of(task_id, node)
            if posted is None:  # out of the task already, or its window closed: nothing to check
                verdicts[key] = True
                continue
            words = [int(w) for w in event["args"]["proof"]]
            proof = Proof.from_calldata(words, (self._statement_key(task_id), int(node, 16), posted[0]))
            if self._pool is None:
                verdicts[key] = self._logged(task_id, node, check_batch([proof])[0])
                if not verdicts[key]:
                    failing.append((node, words))
            else:
                queued = _Check(task_id, node, words, proof, time.monotonic())
                self._in_flight.setdefault(task_id, {})[key] = queued
                self._queued.append(queued)
        for key, pending in list(self._in_flight.get(task_id, {}).items()):
            try:
                valid = pending.verdict()
            except (BrokenExecutor, CancelledError) as exc:  # the checker died: a new one checks them again
                log.warning("task %d: the proof checker stopped (%s): %s's proof is checked again",
                            task_id, exc.__class__.__name__, pending.node)
                self._restart()
                break
            if valid is None:
                continue
            del self._in_flight[task_id][key]
            verdicts[key] = self._logged(task_id, pending.node, valid, time.monotonic() - pending.since)
            if not valid:
                failing.append((pending.node, pending.words))
        done: list[str] = []
        for node, words in failing:
            fraud = self._challenge(task_id, node, words)
            if fraud is not None:
                done.append("challenge_proof")
            if not fraud:
                self.suspect.add(task_id)
        return done

    def dispatch(self) -> int:
        """Sends the queued proofs to the free checker processes, split evenly between them (one
        batch each: a busy checker's next batch grows with the load); returns how many went."""
        if self._pool is None or not self._queued:
            return 0
        self._batches = [b for b in self._batches if not b.done()]
        free = self._checkers - len(self._batches)
        if free <= 0:
            return 0
        sent, size = len(self._queued), -(-len(self._queued) // free)
        for start in range(0, sent, size):
            batch = self._queued[start:start + size]
            try:
                future = self._pool.submit(check_batch, [c.proof for c in batch])
            except BrokenExecutor:
                self._restart()
                return 0
            for slot, queued in enumerate(batch):
                queued.batch, queued.slot = future, slot
            self._batches.append(future)
        self._queued = []
        return sent

    def prune(self, open_ids: Iterable[int]) -> None:
        """Keeps the verdicts of open tasks only (a final task's can no longer matter)."""
        keep = set(open_ids)
        self.verdicts = {t: v for t, v in self.verdicts.items() if t in keep}
        self._in_flight = {t: c for t, c in self._in_flight.items() if t in keep and c}
        self._queued = [c for c in self._queued if c.task_id in keep]
        self._keys = {t: k for t, k in self._keys.items() if t in keep}
        self.suspect &= keep

    def close(self) -> None:
        """Stops the checker pool (the checks in flight are lost: a restart checks them again)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _statement_key(self, task_id: int) -> int:
        if task_id not in self._keys:
            self._keys[task_id] = self.market.statement_key(task_id)
        return self._keys[task_id]

    def _restart(self) -> None:
        """A new checker pool in place of one that broke (its process died): every check in flight
        is forgotten, so each task's next `audit` hands its proofs over again."""
        assert self._pool is not None and self._checks is not None
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._checks()
        self._in_flight, self._queued, self._batches = {}, [], []

    @staticmethod
    def _logged(task_id: int, node: str, valid: bool, seconds: float | None = None) -> bool:
        if valid:
            log.info("task %d: posted proof of %s verified in Python%s", task_id, node[:10],
                     "" if seconds is None else f" ({seconds:.1f} s after it was handed over)")
        else:
            log.error("task %d: posted proof of %s FAILS verification: challenging it", task_id, node)
        return valid

    def _challenge(self, task_id: int, node: str, words: Sequence[int]) -> bool | None:
        """Challenges the proof on-chain: whether it failed there (None: not sent)."""
        proofs = ResultProofs(self.client, self.market.result_proofs(task_id))
        try:
            outcome = proofs.challenge(task_id, node, words)
        except ContractRevertError as exc:
            log.error("task %d: challenge of %s's failing proof not possible: %s", task_id, node, exc)
            return None
        if outcome.fraud:
            log.warning("task %d: %s's proof failed on-chain: the node is out of the task and slashed",
                        task_id, node)
        else:  # the Python and on-chain verifiers disagree: a misconfigured key or verifier
            log.error("task %d: %s's proof failed in Python but holds on-chain: bond lost; check the "
                      "verifying key against the task's ResultProofs", task_id, node)
        return outcome.fraud
