"""What a worker reports on chain about a task it is carrying out: checkpoint snapshots as training
goes, and, when the task cannot be finished, why it gives it up (`TaskMarket.abandon`)."""

from __future__ import annotations

import logging
import time

from nnc.chain.market import Market
from nnc.chain.types import AbandonReason, TaskStatus
from nnc.errors import (
    ContentNotFoundError,
    ContractRevertError,
    DecryptionError,
    IntegrityError,
    NNCError,
    ResourceLimitError,
    TaskSpecError,
    TrainingError,
)
from nnc.runtimes import RuntimeMissingError
from nnc.training import Checkpoint

log = logging.getLogger(__name__)

RUNNABLE = frozenset({TaskStatus.ASSIGNED, TaskStatus.RUNNING})
STATUS_CHECK_S = 2.0
"""Between training steps, the task's status is read at most this often (`SnapshotPoster.progress`)."""

# What the task brings that cannot be trained: the spec, its dataset (missing, corrupt, not
# readable with this node's key) or what the training makes of them.
INVALID_TASK_ERRORS: tuple[type[Exception], ...] = (
    TaskSpecError, TrainingError, ContentNotFoundError, IntegrityError, DecryptionError)


def abandon_reason(exc: BaseException) -> AbandonReason:
    """Why a task that failed with `exc` is given up: a broken resource limit, an invalid task,
    or (anything else) a fault of this node."""
    if isinstance(exc, ResourceLimitError):
        return AbandonReason.RESOURCE_LIMIT
    if isinstance(exc, RuntimeMissingError):  # the node lost a runtime it offered: its own fault
        return AbandonReason.NODE_FAULT
    if isinstance(exc, INVALID_TASK_ERRORS):
        return AbandonReason.INVALID_TASK
    return AbandonReason.NODE_FAULT


class TaskClosedError(NNCError):
    """The task left Assigned/Running (its deadline passed, or it expired) while this node
    worked on it: nothing it computes now can be submitted."""


class SnapshotPoster:
    """Posts checkpoint-chain heads on-chain as training goes, within the contract's rate limit.

    A checkpoint that comes sooner than the minimum interval after the last post is skipped (the
    final head is committed by the result anyway); steps already posted before a restart are
    skipped too. A refused snapshot is logged and the training goes on, unless the task is no
    longer runnable (past its deadline, expired): then `TaskClosedError` stops it at that checkpoint.
    The task's status is read at each checkpoint and, between them, at each progress report (at
    most every `STATUS_CHECK_S`): once it left Assigned/Running the training stops there.
    """

    def __init__(self, market: Market, task_id: int, node: str) -> None:
        self.market = market
        self.task_id = task_id
        self.node = node
        latest = market.latest_snapshot(task_id, node)
        self.last_step = latest.step
        self.last_at = latest.posted_at
        self.interval = market.settlement_params().min_snapshot_interval
        self.deadline = market.task(task_id).deadline
        self.checked_at = time.monotonic()

    def progress(self, step: int) -> None:
        """Called between steps: stops the training once the task left Assigned/Running."""
        if time.monotonic() - self.checked_at >= STATUS_CHECK_S:
            self.stop_if_closed(step)

    def stop_if_closed(self, step: int) -> None:
        """Raises `TaskClosedError` when the task is no longer Assigned or Running (it expired, was
        settled without this node, or failed): nothing computed from here on can be submitted."""
        self.checked_at = time.monotonic()
        status = self.market.task(self.task_id).status
        if status not in RUNNABLE:
            raise TaskClosedError(f"task {self.task_id}: {status.name.lower()} at step {step}: training stopped")

    def post(self, checkpoint: Checkpoint) -> None:
        now = self.market.client.block_timestamp()
        if now > self.deadline:
            raise TaskClosedError(f"task {self.task_id}: its deadline passed at step {checkpoint.step}: "
                                  f"training stopped")
        self.stop_if_closed(checkpoint.step)
        due = self.last_at == 0 or now >= self.last_at + self.interval
        if checkpoint.step <= self.last_step or not due:
            log.debug("task %d: checkpoint step %d not posted (rate limit)", self.task_id, checkpoint.step)
            return
        try:
            self.market.post_snapshot(self.task_id, checkpoint.step, bytes.fromhex(checkpoint.chain_head))
        except ContractRevertError as exc:
            if exc.name in ("InvalidStatus", "DeadlinePassed"):
                status = self.market.task(self.task_id).status.name.lower()
                raise TaskClosedError(f"task {self.task_id}: {status} at step {checkpoint.step} (snapshot refused: "
                                      f"{exc.name}): training stopped") from None
            level = logging.DEBUG if exc.name == "SnapshotTooSoon" else logging.WARNING
            log.log(level, "task %d: snapshot at step %d refused: %s", self.task_id, checkpoint.step, exc)
            return
        latest = self.market.latest_snapshot(self.task_id, self.node)
        self.last_step, self.last_at = latest.step, latest.posted_at
        log.info("task %d: checkpoint step %d loss %.4f, chain head %s… posted", self.task_id,
                 checkpoint.step, checkpoint.loss, checkpoint.chain_head[:12])
