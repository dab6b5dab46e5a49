"""The oracle daemon: index events, then poke every task whose next step is due.

Pokes are permissionless contract calls (assign, settle, expire) that move no money on the
oracle's say: the contract checks every condition. Each is simulated first, so a task that is
not ready costs no gas, and the on-chain status is re-read before acting, so a restart or a
second oracle never double-acts.
"""

from __future__ import annotations

import logging

from nnc.chain.client import TRANSIENT_ERRORS, ChainClient
from nnc.chain.events import EventReader
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.daemon import Backoff, StopFlag
from nnc.errors import ContractRevertError
from nnc.oracle.index import EventIndex
from nnc.settings import Settings

log = logging.getLogger(__name__)

# Reverts that only mean "not yet": the oracle tries again on a later round.
NOT_READY = frozenset({"ApplicationOpen", "NotEnoughApplicants", "DeadlineNotReached", "InvalidStatus"})


def open_index(settings: Settings, client: ChainClient) -> EventIndex:
    assert client.deployment is not None
    d = client.deployment
    key = f"{d.chain_id}:{d.addresses.get('TaskMarket', '').lower()}:{d.start_block}"
    return EventIndex(settings.data_dir / "oracle" / "index.sqlite", key, d.start_block)


class Oracle:
    def __init__(self, settings: Settings, client: ChainClient, index: EventIndex) -> None:
        assert client.deployment is not None
        self.settings = settings
        self.client = client
        self.market = Market(client)
        self.index = index
        self.reader = EventReader(client.w3, client.artifacts, client.deployment, settings.log_range)

    def sync(self) -> int:
        """Indexes every confirmed block not indexed yet; returns the number of new events."""
        head = self.client.block_number() - self.settings.confirmations
        start = self.index.last_block + 1
        if head < start:
            return 0
        new = self.index.ingest(self.reader.read(start, head), head)
        if new:
            log.info("indexed %d new events up to block %d", new, head)
        return new

    def poke(self) -> list[tuple[int, str]]:
        """Sends the due permissionless transitions; returns (task id, action) for each sent."""
        now = self.client.block_timestamp()
        done: list[tuple[int, str]] = []
        for row in self.index.tasks():
            status = TaskStatus[row["status"]]
            if status.is_final:
                continue
            action = self._due_action(row, status, now)
            if action is None:
                continue
            task_id = int(row["task_id"])
            try:
                onchain = self.market.task(task_id).status
                if onchain != status:
                    continue  # the index lags: act on the next round, after syncing
                getattr(self.market, action)(task_id)
                log.info("task %d: %s sent", task_id, action)
                done.append((task_id, action))
            except ContractRevertError as exc:
                level = logging.DEBUG if exc.name in NOT_READY else logging.WARNING
                log.log(level, "task %d: %s not possible now: %s", task_id, action, exc)
        return done

    @staticmethod
    def _due_action(row: dict[str, object], status: TaskStatus, now: int) -> str | None:
        deadline = int(str(row["deadline"]))
        if status in (TaskStatus.PUBLISHED, TaskStatus.ASSIGNED) and now > deadline:
            return "expire"
        if status == TaskStatus.PUBLISHED and int(str(row["applicants"])) >= int(str(row["replication"])):
            return "assign"
        if status == TaskStatus.PUBLISHED and now >= int(str(row["apply_deadline"])):
            return "assign" if int(str(row["applicants"])) > 0 else None
        if status == TaskStatus.SUBMITTED:
            return "settle"
        return None

    def run(self, stop: StopFlag) -> None:
        log.info("oracle %s watching %s from block %d", self.client.address, self.settings.rpc_url,
                 self.index.last_block + 1)
        backoff = Backoff()
        while not stop.is_set:
            try:
                self.sync()
                if self.poke():
                    self.sync()
                backoff.succeeded()
                delay = self.settings.poll_interval
            except TRANSIENT_ERRORS as exc:
                delay = backoff.failed()
                log.warning("chain unavailable (%s); retrying in %.1f s", exc, delay)
            stop.sleep(delay)
        log.info("oracle stopped at block %d", self.index.last_block)
