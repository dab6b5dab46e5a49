"""The task market's result proofs (`ResultProofs`): optimistic verification.

A node's `submitProof` stores its agreement tag and a hash of its proof and posts the proof in a
`ProofPosted` event, unverified. Until the task's challenge window closes anyone may `challenge`
a posted proof with the contract's bond: the proof is verified on-chain; one that fails takes its
node out of the task and slashes its collateral (a share to the challenger), one that holds earns
its node the bond. Bonds come back through `withdraw` (pull payment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.client import ChainClient

# The gas a challenge needs beyond the verifier's own allowance (`verifyGas`): the market's
# view, the hash, the bond's credit and, for a failing proof, the slash and the task's update.
CHALLENGE_OVERHEAD_GAS = 400_000


@dataclass(frozen=True)
class ChallengeOutcome:
    """What a challenge found: `fraud` when the proof failed (and its node was rejected)."""

    task_id: int
    node: str
    fraud: bool
    receipt: TxReceipt


class ResultProofs:
    """One `ResultProofs` contract as seen by one account."""

    def __init__(self, client: ChainClient, address: str) -> None:
        self.client = client
        self.contract: Contract = client.at("ResultProofs", address)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def challenge_bond(self) -> int:
        return int(self.contract.functions.challengeBond().call())

    def verify_gas(self) -> int:
        return int(self.contract.functions.verifyGas().call())

    def task_key(self, task_id: int) -> int:
        return int(self.contract.functions.taskKey(task_id).call())

    def is_valid(self, task_id: int, node: str, agreement_tag: int, proof: Sequence[int]) -> bool:
        return bool(self.contract.functions.isValid(task_id, Web3.to_checksum_address(node), agreement_tag,
                                                    [int(w) for w in proof]).call())

    def challenge(self, task_id: int, node: str, proof: Sequence[int]) -> ChallengeOutcome:
        """Has `node`'s posted `proof` (its eight calldata words, as in `ProofPosted`) verified
        on-chain, paying the bond; reverts (ContractRevertError) outside the window."""
        fn = self.contract.functions.challenge(task_id, Web3.to_checksum_address(node), [int(w) for w in proof])
        gas = self.verify_gas() * 64 // 63 + CHALLENGE_OVERHEAD_GAS
        receipt = self.client.transact(fn, value=self.challenge_bond(), gas=gas,
                                       context=f"challenge the proof of {node[:10]} for task {task_id}")
        events = self.contract.events.ProofChallenged().process_receipt(receipt, errors=DISCARD)
        fraud = bool(events[0]["args"]["fraud"]) if events else False
        return ChallengeOutcome(task_id, Web3.to_checksum_address(node), fraud, receipt)

    def owed(self, account: str | None = None) -> int:
        who = Web3.to_checksum_address(account or self.client.address)
        return int(self.contract.functions.owed(who).call())

    def withdraw(self) -> TxReceipt:
        """Collects this account's credited bonds."""
        return self.client.transact(self.contract.functions.withdraw(), context="withdraw challenge bonds")
