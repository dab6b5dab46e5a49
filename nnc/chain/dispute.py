"""Typed access to SpotCheck and Arbitration: verification, challenges, votes, payouts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.errors import ChainError


class CheckStatus(IntEnum):
    """Mirrors `ISpotCheck.CheckStatus`."""

    NONE = 0
    ENABLED = 1
    VERIFYING = 2
    PASSED = 3
    FAILED = 4


class DisputeStatus(IntEnum):
    """Mirrors `IArbitration.DisputeStatus`."""

    NONE = 0
    OPEN = 1
    SLASHED = 2
    RELEASED = 3


@dataclass(frozen=True)
class CheckView:
    status: CheckStatus
    segments: int
    tolerance_micros: int
    report_deadline: int
    trainer: str
    verifier: str
    fee: int
    seed: int

    @property
    def tolerance(self) -> float:
        return self.tolerance_micros / 1_000_000


@dataclass(frozen=True)
class DisputeView:
    task_id: int
    node: str
    bond: int
    challenger: str
    held_since: int  # votes must be held here (the block before the opening) and at the snapshot
    snapshot: int
    vote_end: int
    status: DisputeStatus
    slash_votes: int
    release_votes: int
    frozen: bool = False  # against a frozen node of a settled task (its collateral Held), not the task's result


class SpotCheck:
    """The SpotCheck contract as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("SpotCheck")

    def enable(self, task_id: int, segments: int, tolerance: float, fee: int) -> TxReceipt:
        micros = round(tolerance * 1_000_000)
        return self.client.transact(self.contract.functions.enable(task_id, segments, micros), value=fee,
                                    context=f"enable spot-check of task {task_id}")

    def join(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.join(), context="join the verifier pool")

    def in_pool(self, node: str) -> bool:
        return bool(self.contract.functions.inPool(Web3.to_checksum_address(node)).call())

    def request_verification(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.requestVerification(task_id),
                                    context=f"request verification of task {task_id}")

    def report(self, task_id: int, passed: bool, report_uri: str) -> TxReceipt:
        return self.client.transact(self.contract.functions.report(task_id, passed, report_uri),
                                    context=f"report verification of task {task_id}")

    def replace_verifier(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.replaceVerifier(task_id),
                                    context=f"replace the verifier of task {task_id}")

    def claim(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.claim(), context="claim verification fees")

    def check(self, task_id: int) -> CheckView:
        s, segments, tol, deadline, trainer, verifier, fee, seed = self.contract.functions.getCheck(task_id).call()
        return CheckView(CheckStatus(s), int(segments), int(tol), int(deadline), str(trainer), str(verifier),
                         int(fee), int(seed))

    def claimable(self, account: str) -> int:
        return int(self.contract.functions.claimable(Web3.to_checksum_address(account)).call())


class Arbitration:
    """The Arbitration contract as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("Arbitration")

    def challenge(self, task_id: int, node: str, bond: int, evidence_uri: str = "") -> tuple[int, TxReceipt]:
        """Approves the NNT bond and challenges `node`'s result (a task Submitted or Verifying, or a
        frozen node of a Settled task, before the task's `challengeEndsAt`); returns the dispute id."""
        token = self.client.contract("NNToken")
        self.client.transact(token.functions.approve(self.contract.address, bond), context="approve bond")
        receipt = self.client.transact(
            self.contract.functions.challenge(task_id, Web3.to_checksum_address(node), bond, evidence_uri),
            context=f"challenge task {task_id}")
        events = self.contract.events.DisputeOpened().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("challenge: no DisputeOpened event in the receipt")
        return int(events[0]["args"]["disputeId"]), receipt

    def vote(self, dispute_id: int, slash: bool) -> TxReceipt:
        return self.client.transact(self.contract.functions.vote(dispute_id, slash),
                                    context=f"vote on dispute {dispute_id}")

    def resolve(self, dispute_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.resolve(dispute_id),
                                    context=f"resolve dispute {dispute_id}")

    def claim(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.claim(), context="claim arbitration payouts")

    def dispute(self, dispute_id: int) -> DisputeView:
        t, node, bond, challenger, held, snap, end, status, slash, release, frozen = (
            self.contract.functions.getDispute(dispute_id).call())
        return DisputeView(int(t), str(node), int(bond), str(challenger), int(held), int(snap), int(end),
                           DisputeStatus(status), int(slash), int(release), bool(frozen))

    def dispute_of_task(self, task_id: int) -> int:
        return int(self.contract.functions.disputeOfTask(task_id).call())

    def claimable(self, account: str) -> int:
        return int(self.contract.functions.claimable(Web3.to_checksum_address(account)).call())
