"""The oracle's own check of the result proofs of a task, in Python (py-ecc), before it spends
gas on that task (quality report, settlement).

The contract has verified every proof already; this second check costs no gas and catches a
misconfigured or compromised verifier before money moves. Proofs are read back from the
`submitProof` transactions named by the `ResultCommitted` events.
"""

from __future__ import annotations

import logging

from web3 import Web3

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.zk import Proof, verify

log = logging.getLogger(__name__)


class ProofChecker:
    """Verifies each (task, node) proof once and remembers the verdict."""

    def __init__(self, client: ChainClient, market: Market) -> None:
        self.client = client
        self.market = market
        self.verdicts: dict[tuple[int, str], bool] = {}

    def task_valid(self, task_id: int) -> bool:
        """False if any proof submitted for the task fails the Python verification."""
        address = self.market.result_proofs(task_id)
        if int(address, 16) == 0:
            return True
        contract = self.client.at("ResultProofs", address)
        start = self.client.deployment.start_block if self.client.deployment else 0
        logs = contract.events.ResultCommitted().get_logs(from_block=start, argument_filters={"taskId": task_id})
        ok = True
        for entry in logs:
            node = str(entry["args"]["node"])
            key = (task_id, node.lower())
            if key not in self.verdicts:
                self.verdicts[key] = self._check(task_id, node, entry["transactionHash"])
            ok = ok and self.verdicts[key]
        return ok

    def _check(self, task_id: int, node: str, tx_hash: bytes) -> bool:
        tx = self.client.w3.eth.get_transaction(Web3.to_hex(tx_hash))
        try:
            fn, args = self.market.contract.decode_function_input(tx["input"])
        except ValueError:
            log.warning("task %d: proof of %s was not sent to the market directly; trusting the chain", task_id, node)
            return True
        if fn.fn_name != "submitProof":
            return True
        proof = Proof.from_calldata(list(args["proof"]), (task_id, int(node, 16), int(args["commitment"]),
                                                          int(args["agreementTag"])))
        valid = verify(proof)
        if valid:
            log.info("task %d: proof of %s verified in Python", task_id, node[:10])
        else:
            log.error("task %d: proof of %s accepted on-chain FAILS the Python verification", task_id, node)
        return valid
