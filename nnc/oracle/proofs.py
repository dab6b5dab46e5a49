"""The oracle's audit of posted result proofs: optimistic verification's watcher.

The market verifies nothing when a node posts its proof (`submitProof` stores the agreement tag
and a hash of the proof and emits `ProofPosted`). The oracle verifies every posted proof of an
open task in Python (py-ecc, no gas) as soon as it is indexed and, when one fails, challenges it
on-chain (`ResultProofs.challenge`, with the bond): the contract then verifies it, takes the node
out of the task and slashes it. A proof that verifies is left alone. Verdicts are kept per
(task, node) while the task is open; after a restart they are recomputed from the index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.chain.result_proofs import ResultProofs
from nnc.errors import ContractRevertError
from nnc.oracle.index import EventIndex
from nnc.zk import Proof, verify

log = logging.getLogger(__name__)


class ProofAuditor:
    """Verifies each posted (task, node) proof once, challenging the ones that fail."""

    def __init__(self, client: ChainClient, market: Market, index: EventIndex) -> None:
        self.client = client
        self.market = market
        self.index = index
        self.verdicts: dict[int, dict[str, bool]] = {}  # task -> node (lower case) -> valid
        # tasks with a proof that fails in Python yet stands on-chain (its challenge failed or
        # could not be sent): a misconfigured or compromised verifier; no gas is spent on them
        self.suspect: set[int] = set()

    def audit(self, task_id: int) -> list[str]:
        """Checks the task's posted proofs not checked yet; returns "challenge_proof" for each
        failing proof it challenged."""
        done: list[str] = []
        verdicts = self.verdicts.setdefault(task_id, {})
        for event in self.index.events(task_id, name="ProofPosted"):  # read every round: only these rows
            if event["contract"] != "TaskMarket":
                continue
            node = str(event["args"]["node"])
            key = node.lower()
            if key in verdicts:
                continue
            posted = self.market.proof_of(task_id, node)
            if posted is None:  # out of the task already, or its window closed: nothing to check
                verdicts[key] = True
                continue
            words = [int(w) for w in event["args"]["proof"]]
            verdicts[key] = self._valid(task_id, node, posted[0], words)
            if not verdicts[key]:
                fraud = self._challenge(task_id, node, words)
                if fraud is not None:
                    done.append("challenge_proof")
                if not fraud:
                    self.suspect.add(task_id)
        return done

    def prune(self, open_ids: Iterable[int]) -> None:
        """Keeps the verdicts of open tasks only (a final task's can no longer matter)."""
        keep = set(open_ids)
        self.verdicts = {t: v for t, v in self.verdicts.items() if t in keep}
        self.suspect &= keep

    def _valid(self, task_id: int, node: str, agreement_tag: int, words: Sequence[int]) -> bool:
        signals = (self.market.statement_key(task_id), int(node, 16), agreement_tag)
        if verify(Proof.from_calldata(list(words), signals)):
            log.info("task %d: posted proof of %s verified in Python", task_id, node[:10])
            return True
        log.error("task %d: posted proof of %s FAILS verification: challenging it", task_id, node)
        return False

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
