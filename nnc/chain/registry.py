"""Typed access to the NodeRegistry contract and the NNT token from a node's point of view."""

from __future__ import annotations

from web3 import Web3
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.types import NodeView


class Registry:
    """The NodeRegistry as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.registry

    def register(self, profile_digest: bytes, hardware_class: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.register(profile_digest, hardware_class),
                                    context="register node")

    def update_profile(self, profile_digest: bytes, hardware_class: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.updateProfile(profile_digest, hardware_class),
                                    context="update profile")

    def set_price(self, token: str, price_per_compute_unit: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.setPrice(
            Web3.to_checksum_address(token), price_per_compute_unit), context="set price")

    def set_encryption_key(self, public_key: bytes) -> TxReceipt:
        return self.client.transact(self.contract.functions.setEncryptionKey(public_key),
                                    context="set encryption key")

    def attest_benchmark(self, node: str, profile_digest: bytes, score: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.attestBenchmark(
            Web3.to_checksum_address(node), profile_digest, score), context=f"attest benchmark of {node}")

    def price_of(self, node: str, token: str) -> int:
        return int(self.contract.functions.priceOf(Web3.to_checksum_address(node),
                                                   Web3.to_checksum_address(token)).call())

    def reputation_of(self, node: str) -> int:
        return int(self.client.contract("Reputation").functions.reputationOf(
            Web3.to_checksum_address(node)).call())

    def stake(self, amount: int) -> TxReceipt:
        """Approves the registry for `amount` NNT and stakes it."""
        token = self.client.token
        self.client.transact(token.functions.approve(self.contract.address, amount), context="approve stake")
        return self.client.transact(self.contract.functions.stake(amount), context="stake")

    def request_unbond(self, amount: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.requestUnbond(amount), context="request unbond")

    def withdraw(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.withdraw(), context="withdraw stake")

    def node(self, address: str) -> NodeView:
        address = Web3.to_checksum_address(address)
        return NodeView.from_tuple(address, self.contract.functions.getNode(address).call())

    def free_stake(self, address: str) -> int:
        return int(self.contract.functions.freeStake(Web3.to_checksum_address(address)).call())

    def is_eligible(self, address: str, collateral: int, min_hardware_class: int) -> bool:
        return bool(self.contract.functions.isEligible(
            Web3.to_checksum_address(address), collateral, min_hardware_class).call())

    def claimable(self, address: str) -> int:
        """NNT-wei credited to `address` by the registry (its share of slashed stake), not claimed yet."""
        return int(self.contract.functions.claimable(Web3.to_checksum_address(address)).call())

    def claim(self) -> TxReceipt:
        """Withdraws the signer's share of slashed stake."""
        return self.client.transact(self.contract.functions.claim(), context="claim slashed-stake shares")

    def unbonding_delay(self) -> int:
        """Seconds between `requestUnbond` and the moment the stake can be withdrawn."""
        return int(self.contract.functions.unbondingDelay().call())

    def min_stake(self) -> int:
        return int(self.contract.functions.minStake().call())

    def nnt_balance(self, address: str) -> int:
        return int(self.client.token.functions.balanceOf(Web3.to_checksum_address(address)).call())
