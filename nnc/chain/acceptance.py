"""The acceptance book (`AcceptanceBook`): acceptance proven, not asserted.

While a task is Published its requester may commit to hidden evaluation labels (their count and
a salt bound in: `nnc.zk.labels_commitment`) and the threshold. Whoever holds the labels' opening
(the requester, or the oracle it sealed them to) later proves in zero knowledge whether the
predictions of the settled model (`nnc.zk.predictions_commitment`, recomputable by anyone who has
the model and the public evaluation inputs) met the threshold (`nnc.zk.prove_acceptance`). At
settlement a task with committed labels is paid as rejected only if it was reported not accepted
and "not met" is proven for it and "met" is not: a requester cannot reject a model proven to
meet its threshold, and nodes never see the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3.contract import Contract
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.errors import ChainError
from nnc.zk import AcceptanceProof


@dataclass(frozen=True)
class Labels:
    """A task's committed labels (commitment 0: none)."""

    commitment: int
    count: int
    threshold: int


class AcceptanceBook:
    """The deployment's AcceptanceBook (`MarketConfig.acceptanceBook`) as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        config = client.at("MarketConfig", client.market.functions.config().call())
        address = str(config.functions.acceptanceBook().call())
        if int(address, 16) == 0:
            raise ChainError("this deployment has no acceptance book (deployed without result proofs)")
        self.contract: Contract = client.at("AcceptanceBook", address)

    def commit_labels(self, task_id: int, commitment: int, count: int, threshold: int) -> TxReceipt:
        """Records the hidden labels of `task_id` (its requester, while the task is Published)."""
        return self.client.transact(self.contract.functions.commitLabels(task_id, commitment, count, threshold),
                                    context=f"commit the labels of task {task_id}")

    def prove_outcome(self, task_id: int, proof: AcceptanceProof) -> TxReceipt:
        """Posts a proven outcome (met or not met) for the model whose predictions `proof` commits."""
        fn = self.contract.functions.proveOutcome(task_id, proof.predictions_commitment, proof.met,
                                                  proof.proof.calldata())
        return self.client.transact(fn, context=f"prove the acceptance of task {task_id}")

    def labels(self, task_id: int) -> Labels:
        commitment, count, threshold = self.contract.functions.labelsOf(task_id).call()
        return Labels(int(commitment), int(count), int(threshold))

    def may_reject(self, task_id: int) -> bool:
        """Whether a report of "not accepted" would stand at settlement."""
        return bool(self.contract.functions.mayReject(task_id).call())
