"""Typed reads of the Reputation contract: node scores and the governance-set gains and losses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from nnc.chain.client import ChainClient


@dataclass(frozen=True)
class ReputationParams:
    """`IReputation.Params`: gains and losses in basis points of the score, its half-life."""

    agreed_gain: int
    early_gain: int
    dissent_loss: int
    missed_loss: int
    failed_loss: int
    half_life: int  # seconds, of scores and of per-requester gain counts; 0 = no decay
    full_gain_value: int  # NNT-wei a task must pay for a full gain (less: a pro-rata gain)

    @classmethod
    def from_tuple(cls, p: Any) -> ReputationParams:
        return cls(*(int(v) for v in p))


class Reputation:
    """The Reputation contract (reads only)."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("Reputation")

    def params(self) -> ReputationParams:
        return ReputationParams.from_tuple(self.contract.functions.params().call())

    def reputation_of(self, node: str) -> int:
        """The node's score, 0..10000."""
        return int(self.contract.functions.reputationOf(Web3.to_checksum_address(node)).call())
