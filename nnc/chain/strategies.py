"""Typed access to the stake-weighted random strategy's two-step draw.

`commitDraw` (once a task's applications have closed) fixes the applicants' weights and a future
target block; `TaskMarket.assign` draws from that block's hash once it is mined. Both are
permissionless: the oracle sends them.
"""

from __future__ import annotations

from enum import IntEnum

from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS


class DrawState(IntEnum):
    """Mirrors `IStakeWeightedRandomStrategy.DrawState`."""

    NONE = 0  # not committed
    PENDING = 1  # committed, target block not mined yet
    READY = 2  # assign now
    STALE = 3  # the target block's hash is gone (256 blocks): commit again


class StakeWeightedDraw:
    """The StakeWeightedRandomStrategy contract as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract(STRATEGY_CONTRACTS["stake-weighted-random"])

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def uses(self, strategy: str) -> bool:
        """Whether a task published with `strategy` (an address) draws through this contract."""
        return strategy.lower() == self.address.lower()

    def commit_draw(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.commitDraw(task_id),
                                    context=f"commit the assignment draw of task {task_id}")

    def state(self, task_id: int) -> DrawState:
        return DrawState(self.contract.functions.drawState(task_id).call())

    def target_block(self, task_id: int) -> int:
        target, _ = self.contract.functions.drawOf(task_id).call()
        return int(target)
