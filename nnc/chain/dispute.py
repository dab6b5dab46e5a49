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
    VERIFYING = 2  # a draw is pending (no verifier yet) or the drawn verifier is due to report
    PASSED = 3
    FAILED = 4
    LAPSED = 5  # timed out without a report: settled unverified, fee back to the requester
    REFUNDED = 6  # the task ended without a verification: fee back to the requester

    @property
    def fee_unspent(self) -> bool:
        """The fee is still escrowed (no verifier was paid, no refund made)."""
        return self in (CheckStatus.ENABLED, CheckStatus.VERIFYING)


class DisputeStatus(IntEnum):
    """Mirrors `IArbitration.DisputeStatus`."""

    NONE = 0
    OPEN = 1
    SLASHED = 2
    RELEASED = 3


@dataclass(frozen=True)
class CheckView:
    """Mirrors `ISpotCheck.Check`."""

    status: CheckStatus
    segments: int
    tolerance_micros: int
    report_deadline: int  # of the drawn verifier; 0 while a draw is pending
    draw_block: int  # target block of the pending verifier draw; 0 when none is pending
    requested_at: int  # when verification was requested (the verification timeout runs from it)
    trainer: str
    draw_pool_size: int
    verifier: str  # the zero address while a draw is pending
    excluded: str  # the late verifier a redraw skips
    fee: int
    seed: int
    by_rounds: bool = False  # a data-parallel task: one (trainer, round) pair of its round book is checked
    round: int = 0  # that pair's round (1-based), drawn with the seed; 0 before the draw, or single-trainer
    dispute_id: int = 0  # the dispute a failing report opened; 0: none

    @property
    def tolerance(self) -> float:
        return self.tolerance_micros / 1_000_000

    @property
    def draw_pending(self) -> bool:
        """Verification was requested (or a late verifier dismissed) and the draw is not made yet."""
        return self.status == CheckStatus.VERIFYING and self.draw_block != 0

    @property
    def has_verifier(self) -> bool:
        return int(self.verifier, 16) != 0


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
        """Holds the task as Verifying and commits the verifier draw to a future block (step 1)."""
        return self.client.transact(self.contract.functions.requestVerification(task_id),
                                    context=f"request verification of task {task_id}")

    def draw_verifier(self, task_id: int) -> TxReceipt:
        """Draws the verifier from the committed block's hash (step 2), or commits the draw again
        if that block is more than 256 blocks old. Anyone may send it once the block is mined."""
        return self.client.transact(self.contract.functions.drawVerifier(task_id),
                                    context=f"draw the verifier of task {task_id}")

    def lapse(self, task_id: int) -> TxReceipt:
        """Ends a check past the verification timeout: the task settles unverified, the fee goes back."""
        return self.client.transact(self.contract.functions.lapse(task_id),
                                    context=f"lapse the verification of task {task_id}")

    def refund_fee(self, task_id: int) -> TxReceipt:
        """Credits the fee of a check no verification used back to the requester (task ended)."""
        return self.client.transact(self.contract.functions.refundFee(task_id),
                                    context=f"refund the spot-check fee of task {task_id}")

    def report(self, task_id: int, passed: bool, report_uri: str) -> TxReceipt:
        return self.client.transact(self.contract.functions.report(task_id, passed, report_uri),
                                    context=f"report verification of task {task_id}")

    def replace_verifier(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.replaceVerifier(task_id),
                                    context=f"replace the verifier of task {task_id}")

    def claim(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.claim(), context="claim verification fees")

    def check(self, task_id: int) -> CheckView:
        (s, segments, tol, deadline, draw_block, requested_at, trainer, pool_size, verifier, excluded, fee,
         seed, by_rounds, round_, dispute_id) = self.contract.functions.getCheck(task_id).call()
        return CheckView(CheckStatus(s), int(segments), int(tol), int(deadline), int(draw_block), int(requested_at),
                         str(trainer), int(pool_size), str(verifier), str(excluded), int(fee), int(seed),
                         bool(by_rounds), int(round_), int(dispute_id))

    def refute_round(self, task_id: int) -> TxReceipt:
        """Marks a data-parallel check's (node, round) Refuted in the round book once the dispute
        its failing report opened was upheld (anyone)."""
        return self.client.transact(self.contract.functions.refuteRound(task_id),
                                    context=f"refute the checked round of task {task_id}")

    def verification_timeout(self) -> int:
        """Seconds after a request past which a check still verifying may lapse."""
        return int(self.contract.functions.verificationTimeout().call())

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

    def challenge_quality(self, task_id: int, score: int, accepted: bool, bond: int,
                          evidence_uri: str = "") -> tuple[int, TxReceipt]:
        """Approves the NNT bond and challenges the quality score (and acceptance) reported for a
        submitted task, claiming it should be `score` (`accepted`); returns the dispute id. Upheld
        (a "slash" majority), the claimed score is set; else the report stands."""
        token = self.client.contract("NNToken")
        self.client.transact(token.functions.approve(self.contract.address, bond), context="approve bond")
        receipt = self.client.transact(
            self.contract.functions.challengeQuality(task_id, score, accepted, bond, evidence_uri),
            context=f"challenge the quality of task {task_id}")
        events = self.contract.events.DisputeOpened().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("challengeQuality: no DisputeOpened event in the receipt")
        return int(events[0]["args"]["disputeId"]), receipt

    def quality_claim(self, dispute_id: int) -> tuple[int, bool] | None:
        """The (score, accepted) a quality challenge claims; None for a dispute about a node."""
        score, accepted, is_open = self.contract.functions.qualityClaimOf(dispute_id).call()
        return (int(score), bool(accepted)) if is_open else None

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
