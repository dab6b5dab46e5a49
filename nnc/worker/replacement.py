"""Stragglers and replacements in data-parallel (DiLoCo) tasks, as one worker takes part in them.

Two roles, each driven by the task's RoundBook events (`Worker.handlers`):

- **The reserve.** A node that applied to a parallel task and was not assigned stays its reserve
  (its record stays APPLIED, "reserve", instead of DONE). `replace` fills the seat it opens at
  once with the market's pick: an unassigned applicant chosen by the task's strategy
  (`admitReplacement`); this node learns it was picked from `SeatFilled` naming it. A seat left
  open (no applicant was eligible then) is filled later by anyone calling `join`: a reserve does
  when it sees the seat still open (`SeatOpened`, and on every pass of its loop while it is open
  and the node eligible: it may have become eligible since); the caller does not choose who is
  seated. The
  one seated is an assignee like any other (its collateral locked by the market): its record
  moves to ASSIGNED and `Rounds` trains the task from the round it joined in, from that round's
  start weights (computed from the chain and storage; a joining node starts with a fresh inner
  optimizer). Its joining round is a grace round: missing it is no miss.
- **The keeper.** When a round closes with a member missing it (`RoundMissed`) that has now
  missed the book's `maxMissedRounds`, a worker seated in the same book calls `replace` (anyone
  may; the members are the ones with a reason to, their rounds waiting on the straggler).

Every handler is safe to run twice: a seat already filled (`NoVacantSeat`), a member already
replaced (`NotMember`) or back at work (`NotReplaceable`), a book that moved on
(`InvalidBookStatus`), a task with no candidate left (`NoReplacementCandidate`) or past its
deadline are refusals logged and passed over, never errors of the daemon.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from nnc.chain.events import ChainEvent
from nnc.chain.rounds import BookStatus, RoundBook
from nnc.chain.types import Bond
from nnc.errors import ContractRevertError
from nnc.worker.node import Node
from nnc.worker.state import Phase

__all__ = ["RESERVE", "Replacement"]

# the worker daemon's lines share one logger, whichever role writes them (operators filter on it)
log = logging.getLogger("nnc.worker.daemon")

RESERVE = "reserve: not assigned, waiting for a seat in its round book"
"""The reason on the APPLIED record of a parallel task this node waits to replace a straggler in."""

PASSED_OVER = frozenset({"NoVacantSeat", "NotMember", "NotReplaceable", "InvalidBookStatus",
                         "NoReplacementCandidate", "DeadlinePassed", "InvalidStatus", "AlreadyParticipant"})
"""The book's and the market's refusals that mean another worker acted first or the moment passed."""


class Replacement:
    """This node as a reserve of the parallel tasks it applied to, and as a keeper of the books
    it is seated in (see the module's notes)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.book = RoundBook(node.client)

    def has_book(self, task_id: int) -> bool:
        """Whether the task has a round book that is running or about to (a reserve may serve it)."""
        try:
            status = self.book.book(task_id).status
        except ContractRevertError as exc:
            if exc.name != "UnknownBook":
                raise
            return False
        return status in (BookStatus.OPENED, BookStatus.RUNNING)

    # -- the reserve -----------------------------------------------------------------------

    def seat_opened(self, event: ChainEvent) -> None:
        """A straggler lost its seat: a reserve of the task asks the book to fill it, unless the
        replacement filled it at once."""
        assert event.task_id is not None
        self._offer(event.task_id, f"seat {int(event.args['seat'])} opened ({event.args['node']} missed "
                                   f"{int(event.args['missed'])} rounds)")

    def watch(self) -> None:
        """On every pass: a seat still open in a book this node is a reserve of (no reserve was
        eligible when it opened) is asked to be filled once this node is eligible for the task."""
        n = self.node
        for task_id in n.state.in_phase(Phase.APPLIED):
            if n.state.tasks[task_id].reason != RESERVE:
                continue
            task = n.market.task(task_id)
            if n.registry.is_eligible(n.address, task.collateral, task.min_hardware_class):
                self._offer(task_id, "a seat is still open and this node is eligible")

    def _offer(self, task_id: int, why: str) -> None:
        """Asks the book to fill its open seat when this node is a reserve of the task and a seat is open."""
        n = self.node
        record = n.state.tasks.get(task_id)
        if record is None or record.phase != Phase.APPLIED or record.reason != RESERVE:
            return
        p = n.market.participation(task_id, n.address)
        if p.assigned or p.bond != Bond.RELEASED:
            return
        book = self.book.book(task_id)
        if book.status != BookStatus.RUNNING or book.vacant == 0:
            return  # no seat open (the replacement filled it at once, or the book moved on)
        log.info("task %d: %s %s: asking the book to fill it", task_id, n.tag, why)
        self._try(task_id, "fill the open seat", lambda: self.book.join(task_id))

    def seat_filled(self, event: ChainEvent) -> None:
        """A seat was filled: when by this node (a reserve the market admitted), it trains from now on."""
        n = self.node
        task_id = event.task_id
        assert task_id is not None
        record = n.state.tasks.get(task_id)
        if not n.is_me(event.args["node"]) or record is None or record.phase != Phase.APPLIED:
            return
        n.state.set(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri)
        log.info("task %d: %s seated in seat %d from round %d as a replacement: an assignee now", task_id, n.tag,
                 int(event.args["seat"]), int(event.args["round"]))

    # -- the keeper ------------------------------------------------------------------------

    def round_missed(self, event: ChainEvent) -> None:
        """A member missed a round: once it missed the book's limit, a member of the book
        replaces it, opening its seat for a reserve."""
        n = self.node
        task_id = event.task_id
        assert task_id is not None
        straggler = str(event.args["node"])
        if n.is_me(straggler):
            log.warning("task %d: %s missed round %d (%d missed): its pay for the round is lost and a share of "
                        "its collateral with it", task_id, n.tag, int(event.args["round"]), int(event.args["missed"]))
            return
        if self.book.participant(task_id, n.address).seat == 0:
            return  # not a member of this book: its members keep it
        book = self.book.book(task_id)
        participant = self.book.participant(task_id, straggler)
        if book.status != BookStatus.RUNNING or participant.seat == 0 or participant.missed < book.max_missed_rounds:
            return
        log.info("task %d: %s replacing %s (missed %d rounds, the book's limit is %d)", task_id, n.tag, straggler,
                 participant.missed, book.max_missed_rounds)
        self._try(task_id, f"replace {straggler}", lambda: self.book.replace(task_id, straggler))

    def _try(self, task_id: int, what: str, send: Callable[[], object]) -> None:
        try:
            send()
        except ContractRevertError as exc:
            if exc.name not in PASSED_OVER:
                raise
            log.info("task %d: %s did not %s: %s (another worker acted first, or the moment passed)", task_id,
                     self.node.tag, what, exc.name)
