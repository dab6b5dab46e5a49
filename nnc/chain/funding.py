"""Typed access to co-funded tasks: the CoFundingFactory and its CoFundingPool clones.

A lead opens a pool with a task's terms (everything a publish takes but the budget), a target
budget, a funding deadline and its first contribution (`CoFunding.open`); others `contribute`
until the target is reached and anyone `publish`es the task, with the pool as its requester and
every contribution as its budget. What the market refunds (cancel, expiry, settlement's
leftover) is shared by contribution: each funder pulls its part with `claim`. If the funding
deadline passes without a publish, each funder claims its whole contribution back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.types import ETH
from nnc.errors import ChainError

log = logging.getLogger(__name__)

FACTORY = "CoFundingFactory"
POOL = "CoFundingPool"


class PoolStatus(IntEnum):
    """Mirrors `ICoFundingPool.PoolStatus` (same order): where a co-funding pool stands."""

    NONE = 0
    FUNDING = 1  # taking contributions until the funding deadline
    PUBLISHED = 2  # the task is on the market; refunds are shared pro rata
    REFUNDING = 3  # funding ended without a publish: every funder takes its contribution back


@dataclass(frozen=True)
class PoolTerms:
    """`ICoFundingPool.Terms`: a task's publish parameters without the budget."""

    spec_digest: bytes
    spec_uri: str
    token: str
    replication: int
    strategy: str
    collateral: int
    min_hardware_class: int
    apply_deadline: int
    deadline: int
    compute_units: int
    min_reputation: int

    def as_tuple(self) -> tuple[Any, ...]:
        if len(self.spec_digest) != 32:
            raise ChainError(f"spec_digest must be 32 bytes, got {len(self.spec_digest)}")
        return (self.spec_digest, self.spec_uri, Web3.to_checksum_address(self.token), self.replication,
                Web3.to_checksum_address(self.strategy), self.collateral, self.min_hardware_class,
                self.apply_deadline, self.deadline, self.compute_units, self.min_reputation)

    @classmethod
    def from_tuple(cls, t: Any) -> PoolTerms:
        return cls(bytes(t[0]), str(t[1]), str(t[2]), int(t[3]), str(t[4]), int(t[5]), int(t[6]), int(t[7]),
                   int(t[8]), int(t[9]), int(t[10]))


@dataclass(frozen=True)
class Funder:
    """One funder of a pool and what it put in."""

    account: str
    contribution: int


@dataclass(frozen=True)
class PoolView:
    """A pool as read from the chain."""

    address: str
    lead: str
    status: PoolStatus
    terms: PoolTerms
    target: int
    total: int
    funding_deadline: int
    task_id: int  # 0 until published
    min_contribution: int  # the least first contribution of a new funder
    funders: tuple[Funder, ...]

    @property
    def token(self) -> str:
        return self.terms.token

    def share_bps(self, account: str) -> int:
        """`account`'s share of the pool in basis points (rounded down; 0: not a funder)."""
        want = account.lower()
        part = sum(f.contribution for f in self.funders if f.account.lower() == want)
        return part * 10_000 // self.total if self.total else 0


class CoFunding:
    """The co-funding factory and its pools, as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.factory = client.contract(FACTORY)

    def pool(self, address: str) -> Contract:
        """The pool at `address` (ChainError when the factory did not make it)."""
        if not self.is_pool(address):
            raise ChainError(f"{address} is not a co-funding pool of factory {self.factory.address}")
        return self.client.at(POOL, Web3.to_checksum_address(address))

    # -- writes ----------------------------------------------------------------------------

    def open(self, terms: PoolTerms, target: int, funding_deadline: int, amount: int) -> tuple[str, TxReceipt]:
        """Opens a pool with this account as lead and its first contribution `amount` (approving
        an ERC-20 to the factory first); returns the pool's address."""
        value = self._pay(terms.token, self.factory.address, amount)
        receipt = self.client.transact(
            self.factory.functions.open(terms.as_tuple(), target, funding_deadline, amount), value=value,
            context="open co-funding pool")
        events = self.factory.events.PoolCreated().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("open co-funding pool: no PoolCreated event in the receipt")
        pool = str(events[0]["args"]["pool"])
        log.info("pool %s opened by %s: target %d, funding until %d", pool, self.client.address, target,
                 funding_deadline)
        return pool, receipt

    def contribute(self, pool: str, amount: int) -> TxReceipt:
        """Adds `amount` to this account's contribution (approving an ERC-20 to the pool first)."""
        contract = self.pool(pool)
        token = str(contract.functions.terms().call()[2])
        value = self._pay(token, contract.address, amount)
        return self.client.transact(contract.functions.contribute(amount), value=value,
                                    context=f"contribute to pool {pool}")

    def publish(self, pool: str) -> int:
        """Publishes the pool's task (anyone, once the target is reached); returns the task id."""
        contract = self.pool(pool)
        receipt = self.client.transact(contract.functions.publish(), context=f"publish pool {pool}")
        events = contract.events.PoolTaskPublished().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError(f"publish pool {pool}: no PoolTaskPublished event in the receipt")
        return int(events[0]["args"]["taskId"])

    def cancel(self, pool: str) -> TxReceipt:
        """The lead closes the funding, or cancels the published task while its applications are open."""
        return self.client.transact(self.pool(pool).functions.cancel(), context=f"cancel pool {pool}")

    def report_quality(self, pool: str, score: int, accepted: bool = True) -> TxReceipt:
        """The lead reports the task's quality on the market for the funders."""
        return self.client.transact(self.pool(pool).functions.reportQuality(score, accepted),
                                    context=f"report quality for pool {pool}")

    def distribute(self, pool: str, token: str = ETH) -> TxReceipt:
        """Pulls what the market owes the pool and credits every funder its share (anyone)."""
        return self.client.transact(self.pool(pool).functions.distribute(Web3.to_checksum_address(token)),
                                    context=f"distribute pool {pool}")

    def enable_spot_check(self, pool: str, segments: int, tolerance: float, fee: int) -> TxReceipt:
        """The lead turns on spot-checking of the pool's single-trainer task, paying `fee` (ETH)
        itself; an unused fee comes back to the lead alone (`collect_spot_check_fee`)."""
        micros = round(tolerance * 1_000_000)
        return self.client.transact(self.pool(pool).functions.enableSpotCheck(segments, micros), value=fee,
                                    context=f"enable spot-check for pool {pool}")

    def collect_spot_check_fee(self, pool: str) -> TxReceipt:
        """Pulls an unused spot-check fee back into the pool, credited to the lead (anyone)."""
        return self.client.transact(self.pool(pool).functions.collectSpotCheckFee(),
                                    context=f"collect spot-check fee for pool {pool}")

    def collect_arbitration(self, pool: str) -> TxReceipt:
        """Pulls the NNT arbitration credited the pool as requester (its share of a slashed
        node's collateral) into the pool, for `claim(pool, nnt)` (anyone)."""
        return self.client.transact(self.pool(pool).functions.collectArbitration(),
                                    context=f"collect arbitration share for pool {pool}")

    def collect_due(self, pool: str, token: str) -> None:
        """Pulls into the pool what other protocol contracts credited it as requester in `token`:
        an unused spot-check fee (ETH; the lead's) and arbitration's share of a slashed node's
        collateral (NNT). Safe to repeat: it sends nothing when nothing is due."""
        c = self.pool(pool)
        spot_check = str(c.functions.spotCheck().call())
        if int(token, 16) == 0 and int(spot_check, 16) != 0:
            if self.client.at("SpotCheck", spot_check).functions.claimable(c.address).call():
                self.collect_spot_check_fee(pool)
        arbitration = str(c.functions.arbitration().call())
        if int(arbitration, 16) != 0:
            contract = self.client.at("Arbitration", arbitration)
            if Web3.to_checksum_address(token) == contract.functions.nnt().call() and \
                    contract.functions.claimable(c.address).call():
                self.collect_arbitration(pool)

    def claim(self, pool: str, token: str | None = None) -> int:
        """Pays this account its share in `token` (default: the pool's token); returns the amount
        (the pool's `Paid` event: ETH received, before the transaction's gas)."""
        contract = self.pool(pool)
        token = token or str(contract.functions.terms().call()[2])
        receipt = self.client.transact(contract.functions.claim(Web3.to_checksum_address(token)),
                                       context=f"claim from pool {pool}")
        events = contract.events.Paid().process_receipt(receipt, errors=DISCARD)
        return sum(int(e["args"]["amount"]) for e in events)

    # -- reads -----------------------------------------------------------------------------

    def is_pool(self, address: str) -> bool:
        if not Web3.is_address(address):
            raise ChainError(f"{address!r} is not an address")
        return bool(self.factory.functions.isPool(Web3.to_checksum_address(address)).call())

    def view(self, pool: str) -> PoolView:
        c = self.pool(pool)
        f = c.functions
        funders = tuple(Funder(str(a), int(f.contributionOf(a).call())) for a in f.funders().call())
        return PoolView(address=c.address, lead=str(f.lead().call()), status=PoolStatus(f.status().call()),
                        terms=PoolTerms.from_tuple(f.terms().call()), target=int(f.target().call()),
                        total=int(f.totalContributed().call()), funding_deadline=int(f.fundingDeadline().call()),
                        task_id=int(f.taskId().call()), min_contribution=int(f.minContribution().call()),
                        funders=funders)

    def claimable(self, pool: str, account: str | None = None, token: str | None = None) -> int:
        """What `account` (default: this account) could claim from `pool` in `token` now."""
        c = self.pool(pool)
        token = token or str(c.functions.terms().call()[2])
        who = Web3.to_checksum_address(account or self.client.address)
        return int(c.functions.claimableOf(who, Web3.to_checksum_address(token)).call())

    def paid(self, pool: str, account: str, token: str | None = None) -> int:
        c = self.pool(pool)
        token = token or str(c.functions.terms().call()[2])
        return int(c.functions.paidTo(Web3.to_checksum_address(account), Web3.to_checksum_address(token)).call())

    def pools(self) -> list[str]:
        """Every pool the factory opened, oldest first."""
        count = int(self.factory.functions.poolCount().call())
        return [str(self.factory.functions.poolAt(i).call()) for i in range(count)]

    def _pay(self, token: str, spender: str, amount: int) -> int:
        """The ETH value to send, or 0 after approving `spender` for `amount` of an ERC-20."""
        if int(token, 16) == 0:
            return amount
        erc20 = self.client.at("NNToken", token)  # any ERC-20 ABI will do for approve
        self.client.transact(erc20.functions.approve(Web3.to_checksum_address(spender), amount),
                             context="approve contribution")
        return 0
