"""Typed reads of the RewardsPool: the NNT it can still grant and what each node may claim."""

from __future__ import annotations

from web3 import Web3

from nnc.chain.client import ChainClient


class RewardsPool:
    """The RewardsPool contract (reads only)."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("RewardsPool")

    def available(self) -> int:
        """NNT-wei the pool holds beyond what it owes: the most it grants next."""
        return int(self.contract.functions.available().call())

    def claimable(self, account: str) -> int:
        """NNT-wei of bonuses granted to `account` and not claimed yet."""
        return int(self.contract.functions.claimable(Web3.to_checksum_address(account)).call())
