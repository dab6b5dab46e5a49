"""Everything an account may withdraw, wherever the protocol keeps it (pull payments): the
market's payouts per token, the rewards pool's NNT bonuses, shares of slashed stake in the node
registry, arbitration payouts and spot-check fees. One list, so a person or a script collects all
of it with one command (`nnc claim --all`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.dispute import Arbitration, SpotCheck
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.rewards import RewardsPool
from nnc.chain.types import ETH


@dataclass(frozen=True)
class Payout:
    """`amount` of `token` (an address; ETH is the zero address) that `source` owes the account;
    `claim` withdraws it (signed by the client the payouts were listed with)."""

    source: str
    token: str
    amount: int
    claim: Callable[[], TxReceipt]


def payouts(client: ChainClient, account: str) -> list[Payout]:
    """What `account` may withdraw, source by source (amounts may be zero); contracts the
    deployment lacks are left out."""
    market = Market(client)
    nnt = str(client.token.address)
    found = [Payout("task market", ETH, market.claimable(account, ETH), lambda: market.claim(ETH)),
             Payout("task market", nnt, market.claimable(account, nnt), lambda: market.claim(nnt))]
    registry = Registry(client)
    found.append(Payout("node registry (slashed stake)", nnt, registry.claimable(account), registry.claim))
    if client.has_contract("RewardsPool"):
        pool = RewardsPool(client)
        found.append(Payout("rewards pool (bonuses)", nnt, pool.claimable(account), pool.claim))
    if client.has_contract("Arbitration"):
        arbitration = Arbitration(client)
        found.append(Payout("arbitration", nnt, arbitration.claimable(account), arbitration.claim))
    if client.has_contract("SpotCheck"):
        spot_check = SpotCheck(client)
        found.append(Payout("spot-check fees", ETH, spot_check.claimable(account), spot_check.claim))
    return found
