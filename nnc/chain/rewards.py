"""The RewardsPool: the NNT it can still grant, what each node may claim, and the claim."""

from __future__ import annotations

from web3 import Web3
from web3.types import TxReceipt

from nnc.chain.client import ChainClient


class RewardsPool:
    """The RewardsPool contract as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("RewardsPool")

    def available(self) -> int:
        """NNT-wei the pool holds beyond what it owes: the most it grants next."""
        return int(self.contract.functions.available().call())

    def claimable(self, account: str) -> int:
        """NNT-wei of bonuses granted to `account` and not claimed yet."""
        return int(self.contract.functions.claimable(Web3.to_checksum_address(account)).call())

    def claim(self) -> TxReceipt:
        """Withdraws every NNT bonus granted to the signer."""
        return self.client.transact(self.contract.functions.claim(), context="claim NNT bonuses")
