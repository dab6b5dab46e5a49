"""Typed access to the RoundBook contract: round records of data-parallel (DiLoCo) tasks.

The requester of a published task declares it data-parallel (`open`: k nodes, R rounds, a round
duration); once the market assigned its k nodes they are the book's members (`start`, or the
first `commit`). Each round every member commits the SHA-256 digest of its weight delta with the
digest of the round's start weights; the round closes when every seated member committed, or
anyone calls `close_round` after its deadline, which makes the others stragglers of that round.
A member that missed `max_missed_rounds` rounds may be replaced (`replace`, anyone), and anyone
may fill the open seat (`join`): the market admits an unassigned applicant of the task, picked
by the task's strategy, as an assignee with its collateral locked. Each missed round costs a
member `penalty_bps` of its collateral when the market releases it. The spot-check and
arbitration refute a (node, round) whose delta does not replay (`refute`), which freezes the
book. `pay_shares` is what the market pays by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from web3 import Web3
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.errors import ChainError, ContractRevertError

ZERO_ADDRESS = "0x" + "00" * 20


class BookStatus(IntEnum):
    """Mirrors `IRoundBook.BookStatus` (same order)."""

    NONE = 0
    OPENED = 1  # declared by the requester; members not yet known
    RUNNING = 2  # a round is open
    FINISHED = 3  # every round closed
    FROZEN = 4  # a commitment was refuted


class RoundStatus(IntEnum):
    """Mirrors `IRoundBook.RoundStatus` (same order)."""

    PENDING = 0
    OPEN = 1
    CLOSED = 2


class CommitState(IntEnum):
    """Mirrors `IRoundBook.CommitState` (same order)."""

    NONE = 0
    COMMITTED = 1  # the round still open
    COUNTED = 2  # a contributed round
    REFUTED = 3  # its delta did not replay: never counts


@dataclass(frozen=True)
class BookView:
    """`IRoundBook.Book` as read from the chain."""

    task_id: int
    requester: str
    status: BookStatus
    nodes: int
    vacant: int
    max_missed_rounds: int
    rounds: int
    current: int
    closed: int
    refuted_round: int
    total_contributed: int
    round_duration: int
    started_at: int

    @classmethod
    def from_tuple(cls, task_id: int, b: Any) -> BookView:
        return cls(task_id, str(b[0]), BookStatus(b[1]), *(int(v) for v in b[2:12]))


@dataclass(frozen=True)
class RoundView:
    """`IRoundBook.Round` as read from the chain."""

    round: int
    status: RoundStatus
    commits: int
    disputed: bool
    deadline: int
    closed_at: int
    start_digest: bytes

    @classmethod
    def from_tuple(cls, round_: int, r: Any) -> RoundView:
        return cls(round_, RoundStatus(r[0]), int(r[1]), bool(r[2]), int(r[3]), int(r[4]), bytes(r[5]))


@dataclass(frozen=True)
class ParticipantView:
    """`IRoundBook.Participant`: a node that held a seat."""

    seat: int  # 1-based seat it holds now; 0: none (replaced)
    replaced: bool
    joined_round: int
    missed: int
    contributed: int

    @classmethod
    def from_tuple(cls, p: Any) -> ParticipantView:
        return cls(int(p[0]), bool(p[1]), int(p[2]), int(p[3]), int(p[4]))


@dataclass(frozen=True)
class CommitmentView:
    """`IRoundBook.Commitment`: one member's commitment in one round."""

    state: CommitState
    committed_at: int
    delta_digest: bytes
    start_digest: bytes

    @classmethod
    def from_tuple(cls, c: Any) -> CommitmentView:
        return cls(CommitState(c[0]), int(c[1]), bytes(c[2]), bytes(c[3]))


class CellStatus(StrEnum):
    """What one participant's cell of one round shows (`Timeline.status_of`); the value is the
    API's name."""

    NOT_SEATED = "not_seated"  # it held no seat when the round ran (before it joined, after it was replaced)
    PENDING = "pending"  # seated, nothing committed, the round not closed (yet)
    COMMITTED = "committed"  # committed, the round still open
    COUNTED = "counted"  # a contributed round
    REFUTED = "refuted"  # its delta did not replay
    MISSED = "missed"  # seated and committed nothing by the deadline: a straggler's round


_COMMITTED_STATUS = {CommitState.COMMITTED: CellStatus.COMMITTED, CommitState.COUNTED: CellStatus.COUNTED,
                     CommitState.REFUTED: CellStatus.REFUTED}


@dataclass(frozen=True)
class TimelineRow:
    """One participant across the book's rounds: its commitment and delta URI per round."""

    node: str
    participant: ParticipantView
    share_bps: int
    cells: list[CommitmentView]
    delta_uris: list[str | None]  # per round; None where nothing was committed
    missed: list[bool] = field(default_factory=list)  # per round: a RoundMissed event named it


@dataclass(frozen=True)
class Timeline:
    """A book's round timeline (what `nnc task rounds` prints and the web app shows)."""

    book: BookView
    rounds: list[RoundView]
    rows: list[TimelineRow] = field(default_factory=list)

    def status_of(self, row: TimelineRow, round_: int) -> CellStatus:
        """The status of `row`'s cell in round `round_` (1-based): a commitment's state, or why
        there is none (missed by the deadline, not seated then, or not yet due)."""
        cell = row.cells[round_ - 1]
        if cell.state != CommitState.NONE:
            return _COMMITTED_STATUS[cell.state]
        if row.missed and row.missed[round_ - 1]:
            return CellStatus.MISSED
        seated_now = row.participant.seat != 0 and round_ >= row.participant.joined_round
        if self.rounds[round_ - 1].status == RoundStatus.CLOSED or not seated_now:
            # a member seated when a round closes without its delta misses it, but for a
            # replacement's joining round (its grace round): shown as not seated
            return CellStatus.NOT_SEATED
        return CellStatus.PENDING


class RoundBook:
    """The RoundBook as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("RoundBook")

    # ------------------------------------------------------------ transactions

    def open(self, task_id: int, nodes: int, rounds: int, round_duration: int) -> TxReceipt:
        """Declares a published task data-parallel: `nodes` (= its replication) train it in
        `rounds` rounds of at most `round_duration` seconds (the task's requester only)."""
        return self.client.transact(self.contract.functions.open(task_id, nodes, rounds, round_duration),
                                    context=f"open the round book of task {task_id}")

    def start(self, task_id: int) -> TxReceipt:
        """Seats the market's assignees and opens round 1 (anyone, once the task is assigned)."""
        return self.client.transact(self.contract.functions.start(task_id),
                                    context=f"start the round book of task {task_id}")

    def commit(self, task_id: int, round_: int, delta_digest: bytes, start_digest: bytes,
               delta_uri: str) -> TxReceipt:
        """Commits this account's delta for the open round, with the start weights it trained from."""
        for name, digest in (("delta_digest", delta_digest), ("start_digest", start_digest)):
            if len(digest) != 32:
                raise ChainError(f"{name} must be a 32-byte SHA-256 digest, got {len(digest)} bytes")
        return self.client.transact(
            self.contract.functions.commit(task_id, round_, delta_digest, start_digest, delta_uri),
            context=f"commit the delta of task {task_id} round {round_}")

    def close_round(self, task_id: int) -> TxReceipt:
        """Closes the open round after its deadline; the members that did not commit miss it."""
        return self.client.transact(self.contract.functions.closeRound(task_id),
                                    context=f"close the open round of task {task_id}")

    def replace(self, task_id: int, node: str) -> TxReceipt:
        """Opens the seat of a member that missed too many rounds (anyone)."""
        return self.client.transact(self.contract.functions.replace(task_id, Web3.to_checksum_address(node)),
                                    context=f"replace {node} in task {task_id}")

    def join(self, task_id: int) -> TxReceipt:
        """Fills the book's first open seat with the replacement the market admits: an unassigned
        applicant of the task picked by its strategy (anyone may call it; the caller does not
        choose who is seated: see `seatings` or the SeatFilled event)."""
        return self.client.transact(self.contract.functions.join(task_id),
                                    context=f"fill an open seat of task {task_id}'s round book")

    def refute(self, task_id: int, node: str, round_: int) -> TxReceipt:
        """Marks a (node, round) refuted (REFUTER_ROLE: the spot-check and arbitration)."""
        return self.client.transact(
            self.contract.functions.refute(task_id, Web3.to_checksum_address(node), round_),
            context=f"refute {node} in task {task_id} round {round_}")

    # ------------------------------------------------------------ views

    def min_round_duration(self) -> int:
        """The shortest round a requester may declare now, in seconds."""
        return int(self.client.call(self.contract.functions.minRoundDuration(), context="the shortest round"))

    def max_missed_rounds(self) -> int:
        """The missed rounds after which a member may be replaced, for books opened now (a book
        keeps the value it opened with: `BookView.max_missed_rounds`)."""
        return int(self.client.call(self.contract.functions.maxMissedRounds(), context="max missed rounds"))

    def missed_round_penalty_bps(self) -> int:
        """The share of a member's collateral each missed round costs, for books opened now."""
        return int(self.client.call(self.contract.functions.missedRoundPenaltyBps(),
                                    context="the missed-round penalty"))

    def penalty_bps(self, task_id: int, node: str) -> int:
        """The share of its collateral `node` forfeits for the rounds it missed in the book of
        `task_id` (taken when the market releases the collateral), capped by the book."""
        return int(self.client.call(self.contract.functions.penaltyBpsOf(task_id, Web3.to_checksum_address(node)),
                                    context=f"the penalty of {node} in task {task_id}"))

    def seatings(self, task_id: int) -> list[tuple[int, str, int]]:
        """Every seat filled, in order, as (seat (1-based), node, round it trains from), from the
        SeatFilled events: the holder of a seat in a round is the last one seated by then."""
        start = self.client.deployment.start_block if self.client.deployment else 0
        logs = self.contract.events.SeatFilled().get_logs(from_block=start, argument_filters={"taskId": task_id})
        ordered = sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))
        return [(int(e["args"]["seat"]), str(e["args"]["node"]), int(e["args"]["round"])) for e in ordered]

    def book(self, task_id: int) -> BookView:
        return BookView.from_tuple(task_id, self.client.call(self.contract.functions.getBook(task_id),
                                                             context=f"round book of task {task_id}"))

    def round(self, task_id: int, round_: int) -> RoundView:
        return RoundView.from_tuple(round_, self.client.call(self.contract.functions.getRound(task_id, round_),
                                                             context=f"task {task_id} round {round_}"))

    def participant(self, task_id: int, node: str) -> ParticipantView:
        return ParticipantView.from_tuple(self.contract.functions.participantOf(
            task_id, Web3.to_checksum_address(node)).call())

    def commitment(self, task_id: int, round_: int, node: str) -> CommitmentView:
        return CommitmentView.from_tuple(self.contract.functions.commitmentOf(
            task_id, round_, Web3.to_checksum_address(node)).call())

    def members(self, task_id: int) -> list[str | None]:
        """The seat holders by seat (None: an open seat)."""
        return [None if str(a) == ZERO_ADDRESS else str(a)
                for a in self.contract.functions.membersOf(task_id).call()]

    def participants(self, task_id: int) -> list[str]:
        """Every node that ever held a seat, in the order it was seated."""
        return [str(a) for a in self.contract.functions.participantsOf(task_id).call()]

    def contributed_rounds(self, task_id: int, node: str) -> int:
        return int(self.contract.functions.contributedRounds(task_id, Web3.to_checksum_address(node)).call())

    def pay_shares(self, task_id: int) -> dict[str, int]:
        """Each participant's share of the task's node pay in bps (summing to 10,000 once any
        round was contributed)."""
        nodes, shares = self.contract.functions.payShares(task_id).call()
        return {str(n): int(s) for n, s in zip(nodes, shares, strict=True)}

    def delta_uris(self, task_id: int) -> dict[tuple[int, str], str]:
        """Where each committed delta lives, by (round, node), from the DeltaCommitted events."""
        start = self.client.deployment.start_block if self.client.deployment else 0
        logs = self.contract.events.DeltaCommitted().get_logs(from_block=start, argument_filters={"taskId": task_id})
        return {(int(e["args"]["round"]), str(e["args"]["node"])): str(e["args"]["deltaURI"]) for e in logs}

    def missed_rounds(self, task_id: int) -> set[tuple[int, str]]:
        """The (round, node) pairs of the members that committed nothing by a round's deadline,
        from the RoundMissed events."""
        start = self.client.deployment.start_block if self.client.deployment else 0
        logs = self.contract.events.RoundMissed().get_logs(from_block=start, argument_filters={"taskId": task_id})
        return {(int(e["args"]["round"]), str(e["args"]["node"])) for e in logs}

    def find_timeline(self, task_id: int) -> Timeline | None:
        """The timeline of task `task_id`'s book; None when the task has none (never declared
        data-parallel)."""
        try:
            return self.timeline(task_id)
        except ContractRevertError as exc:
            if exc.name == "UnknownBook":
                return None
            raise

    def timeline(self, task_id: int) -> Timeline:
        """The book, its rounds and, per participant, its commitment and delta URI in every round."""
        book = self.book(task_id)
        rounds = [self.round(task_id, r) for r in range(1, book.rounds + 1)]
        nodes, cells = self.client.call(self.contract.functions.timeline(task_id),
                                        context=f"round timeline of task {task_id}")
        shares = self.pay_shares(task_id)
        uris = self.delta_uris(task_id)
        missed = self.missed_rounds(task_id)
        rows = []
        for i, node in enumerate(str(n) for n in nodes):
            row = [CommitmentView.from_tuple(c) for c in cells[i * book.rounds:(i + 1) * book.rounds]]
            rows.append(TimelineRow(node, self.participant(task_id, node), shares.get(node, 0), row,
                                    [uris.get((r, node)) for r in range(1, book.rounds + 1)],
                                    [(r, node) in missed for r in range(1, book.rounds + 1)]))
        return Timeline(book, rounds, rows)
