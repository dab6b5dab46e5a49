"""The worker daemon: a node that applies for tasks, trains them and submits the results.

One loop over an explicit, persisted state (`WorkerState`): the chain follower reads new events
and hands each to this node's handler for its (contract, event) in `Worker.handlers`, then the
node carries out assigned tasks. Every handler is safe to run twice, and the chain is asked
before any transaction that might already have gone through before a restart.

The roles, each in its module: `Membership` (registering, staking, price, verifier pool),
`Intake` (which published tasks to apply for), `Execution` (training, submitting, revealing,
spot-checks, giving up) and `Replacement` (a reserve of a parallel task taking a straggler's seat,
a member replacing a straggler). They share this node's `Node`.

After submitting, the record stays SUBMITTED through the challenge window, a tie (Verifying,
every replica paid after the tie window) or a dispute, until the task ends; what happens to this
node's collateral (released, frozen as an outvoted node until its window closes, slashed) is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from nnc.chain.client import ChainClient
from nnc.chain.events import ChainEvent
from nnc.chain.types import AbandonReason, Bond, TaskStatus
from nnc.daemon import StopFlag
from nnc.daemon.follower import ChainFollower, EventHandler, EventKey, Reorganisation
from nnc.settings import Settings
from nnc.storage import Store
from nnc.worker.execution import Execution
from nnc.worker.intake import Intake
from nnc.worker.membership import Membership
from nnc.worker.node import Node
from nnc.worker.replacement import RESERVE, Replacement
from nnc.worker.state import FINAL_PHASES, Phase

__all__ = ["FINAL_PHASES", "Worker"]

log = logging.getLogger(__name__)


class Worker:
    """`store` holds working data (specs, datasets, profiles); `archive`, when given, the final
    models (Arweave on a full deployment), else `store` does.

    `node` is this node's address; `local` the `Node` its roles share, whose parts (state,
    metrics, standby, ...) the worker also exposes under their own names."""

    def __init__(self, settings: Settings, client: ChainClient, store: Store, archive: Store | None = None) -> None:
        self.local = Node(settings, client, store, archive)
        self.membership = Membership(self.local)
        self.intake = Intake(self.local)
        self.execution = Execution(self.local)
        self.replacement = Replacement(self.local)
        self.client = client
        self.store = store
        self.market = self.local.market
        self.registry = self.local.registry
        self.node = self.local.address
        self.state = self.local.state
        self.key = self.local.key
        self.standby = self.local.standby
        self.metrics = self.local.metrics
        self.tag = self.local.tag
        self.follower = ChainFollower(
            client, self.state, self.metrics, confirmations=settings.confirmations, log_range=settings.log_range,
            on_reorganisation=self._rewind, log=log, tag=self.tag, handlers=self.handlers(), context=self.context,
            task_states=lambda: (record.phase.value for record in self.state.tasks.values()))

    @property
    def settings(self) -> Settings:
        return self.local.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.local.settings = settings

    def context(self, task_id: int | None = None) -> AbstractContextManager[None]:
        """The log context of this daemon's lines: its node address and, when given, the task."""
        return self.local.context(task_id)

    def workdir(self, task_id: int) -> Path:
        return self.local.workdir(task_id)

    # -- the roles -------------------------------------------------------------------------

    def join(self, stake: int, benchmark_seconds: float = 1.0, price: int | None = None) -> None:
        """See `Membership.join`."""
        self.membership.join(stake, benchmark_seconds, price)

    def consider(self, task_id: int, published: dict[str, Any]) -> None:
        """See `Intake.consider`."""
        self.intake.consider(task_id, published)

    def work(self, stop: StopFlag) -> None:
        """See `Replacement.watch` (a reserve's open seats) and `Execution.work`."""
        self.replacement.watch()
        self.execution.work(stop)

    def execute(self, task_id: int) -> None:
        """See `Execution.execute`."""
        self.execution.execute(task_id)

    def give_up(self, task_id: int, reason: AbandonReason, cause: str) -> None:
        """See `Execution.give_up`."""
        self.execution.give_up(task_id, reason, cause)

    # -- the loop --------------------------------------------------------------------------

    def run(self, stop: StopFlag) -> None:
        with self.context():
            log.info("%s: watching from block %d", self.tag, self.state.last_block + 1)
            self.follower.run(stop, self._round, self.settings.poll_interval)
            self.standby.close()
            log.info("%s: stopped at block %d", self.tag, self.state.last_block)

    def _round(self, stop: StopFlag) -> None:
        self.sync()
        self.work(stop)

    def sync(self) -> None:
        """Handles every confirmed event not handled yet. After a chain reorganisation deeper than
        `confirmations` it rewinds to the newest remembered head still on the chain and handles the
        events from there again (handling is idempotent: the chain is asked before acting)."""
        self.follower.sync()

    def _rewind(self, reorganisation: Reorganisation) -> None:
        """This worker's reorganisation policy: rewind to the newest remembered head still on the
        chain and reconcile with the chain every task an undone event touched (every open task
        when no remembered head survived)."""
        rewind_to = reorganisation.rewind_to
        undone = sorted(t for t, block in self.state.touched.items() if block > rewind_to)
        if reorganisation.every_head_lost:
            undone = sorted(t for t, r in self.state.tasks.items() if r.phase not in FINAL_PHASES)
        log.warning("%s: block %d is no longer on the chain (reorganisation): handling events again from "
                    "block %d; reconciling task(s) %s with the chain", self.tag, reorganisation.lost_block,
                    rewind_to + 1, undone)
        self.state.rewind(rewind_to)
        for task_id in undone:
            self.reconcile(task_id)

    def reconcile(self, task_id: int) -> None:
        """Re-derives a task's record from the chain as it is now (after a reorganisation undid the
        events it was built from): submitted, assigned, applied, or considered afresh."""
        record = self.state.tasks.get(task_id)
        self.state.touched.pop(task_id, None)
        if record is None:
            return
        if task_id > self.market.task_count():  # its publication was undone: forget it until it is re-published
            del self.state.tasks[task_id]
            self.state.save()
            return
        task = self.market.task(task_id)
        rederive = self.state.rederive
        if self.node.lower() in {a.lower() for a in self.market.assignees(task_id)}:
            if any(self.market.result_of(task_id, self.node)):
                rederive(task_id, Phase.DONE if task.status.is_final else Phase.SUBMITTED, record.reason)
            elif task.status in (TaskStatus.ASSIGNED, TaskStatus.RUNNING):
                rederive(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri)
            else:
                rederive(task_id, Phase.DONE, task.status.name.lower())
        elif self.node.lower() in {a.lower() for a in self.market.applicants(task_id)}:
            if task.status == TaskStatus.PUBLISHED:
                rederive(task_id, Phase.APPLIED, spec_uri=record.spec_uri)
            elif task.status in (TaskStatus.ASSIGNED, TaskStatus.RUNNING) and self.replacement.has_book(task_id):
                rederive(task_id, Phase.APPLIED, RESERVE, spec_uri=record.spec_uri)
            else:
                rederive(task_id, Phase.DONE, spec_uri=record.spec_uri)
        elif task.status == TaskStatus.PUBLISHED:
            del self.state.tasks[task_id]
            self.consider(task_id, {"specURI": record.spec_uri, "specDigest": "0x" + task.spec_digest.hex()})
        else:
            rederive(task_id, Phase.DONE, "assigned to others")
        log.info("task %d: %s reconciled after the reorganisation: %s", task_id, self.tag,
                 self.state.tasks[task_id].phase.value if task_id in self.state.tasks else "forgotten")

    # -- what each event means for this node -----------------------------------------------

    def handlers(self) -> dict[EventKey, EventHandler]:
        """The handler of each (contract, event) this node acts on; the others are only noted
        (`WorkerState.touched`) for a reorganisation to undo."""
        own = self._own_seat
        return {
            ("TaskMarket", "TaskPublished"): self._task_published,
            ("TaskMarket", "TaskAssigned"): self._task_assigned,
            ("TaskMarket", "TaskStatusChanged"): self._task_status_changed,
            ("TaskMarket", "ApplicantDropped"): own(self._dropped_as_applicant),
            ("TaskMarket", "NodeMissed"): own(self._missed_deadline),
            ("TaskMarket", "NodeFrozen"): own(self._frozen),
            ("TaskMarket", "NodeSlashed"): own(self._slashed),
            ("TaskMarket", "BondChanged"): own(self._bond_changed),
            ("TaskMarket", "NodePaid"): own(self._paid),
            ("SpotCheck", "VerifierPicked"): self._verifier_picked,
            ("RoundBook", "SeatOpened"): self.replacement.seat_opened,
            ("RoundBook", "SeatFilled"): self.replacement.seat_filled,
            ("RoundBook", "RoundMissed"): self.replacement.round_missed,
        }

    def _own_seat(self, handler: Callable[[int, ChainEvent], None]) -> EventHandler:
        """`handler`, run only for events about this node's own seat in a task."""
        def about_this_node(event: ChainEvent) -> None:
            if event.task_id is not None and self.local.is_me(event.args.get("node", "")):
                handler(event.task_id, event)
        return about_this_node

    def _task_published(self, event: ChainEvent) -> None:
        assert event.task_id is not None
        if event.task_id not in self.state.tasks:
            self.consider(event.task_id, event.args)

    def _task_assigned(self, event: ChainEvent) -> None:
        task_id = event.task_id
        assert task_id is not None
        record = self.state.tasks.get(task_id)
        if record is None or record.phase != Phase.APPLIED:
            return
        if any(self.local.is_me(n) for n in event.args["nodes"]):
            self.state.set(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri)
            log.info("task %d: %s assigned", task_id, self.tag)
        else:
            self.standby.discard(task_id)
            if self.replacement.has_book(task_id):  # a parallel task: wait for a straggler's seat
                self.state.set(task_id, Phase.APPLIED, RESERVE, spec_uri=record.spec_uri)
                log.info("task %d: %s not assigned: a reserve for its round book's seats", task_id, self.tag)
            else:
                self.state.set(task_id, Phase.DONE, "assigned to other nodes")

    def _task_status_changed(self, event: ChainEvent) -> None:
        task_id = event.task_id
        assert task_id is not None
        record = self.state.tasks.get(task_id)
        to = TaskStatus(event.args["to"])
        if record is None or record.phase in FINAL_PHASES or not to.is_final:
            return
        self.standby.discard(task_id)
        self.state.set(task_id, Phase.DONE, to.name.lower(), result_digest=record.result_digest,
                       result_uri=record.result_uri)
        log.info("task %d: %s", task_id, to.name.lower())

    def _dropped_as_applicant(self, task_id: int, event: ChainEvent) -> None:
        log.warning("task %d: %s dropped as an applicant (no longer eligible): %d NNT-wei forfeited", task_id,
                    self.tag, int(event.args["forfeited"]))
        record = self.state.tasks.get(task_id)
        if record is not None and record.phase == Phase.APPLIED:
            self.standby.discard(task_id)
            self.state.set(task_id, Phase.DONE, "dropped as an applicant (no longer eligible)")

    def _missed_deadline(self, task_id: int, event: ChainEvent) -> None:
        log.error("task %d: %s missed the deadline: %d NNT-wei collateral lost", task_id, self.tag,
                  int(event.args["slashed"]))
        record = self.state.tasks.get(task_id)
        if record is not None and record.phase not in FINAL_PHASES:
            self.standby.discard(task_id)
            self.state.set(task_id, Phase.FAILED, "missed the deadline (collateral lost)", spec_uri=record.spec_uri)

    def _frozen(self, task_id: int, event: ChainEvent) -> None:
        log.warning("task %d: %s was outvoted: its collateral is frozen until %d (open to a challenge), "
                    "then released", task_id, self.tag, int(event.args["until"]))

    def _slashed(self, task_id: int, event: ChainEvent) -> None:
        log.error("task %d: %s was slashed by arbitration: %d NNT-wei collateral lost", task_id, self.tag,
                  int(event.args["collateral"]))

    def _bond_changed(self, task_id: int, event: ChainEvent) -> None:
        if Bond(event.args["to"]) == Bond.RELEASED and Bond(event.args["from"]) in (Bond.FROZEN, Bond.HELD):
            log.info("task %d: %s collateral released after its freeze window", task_id, self.tag)

    def _paid(self, task_id: int, event: ChainEvent) -> None:
        token = self.market.task(task_id).token
        self.metrics.earnings.labels(token).inc(int(event.args["amount"]))

    def _verifier_picked(self, event: ChainEvent) -> None:
        task_id = event.task_id
        assert task_id is not None
        if self.local.is_me(event.args["verifier"]) and task_id not in self.state.checks:
            self.state.checks.append(task_id)
            self.state.save()
            log.info("task %d: %s picked as verifier", task_id, self.tag)
