"""The oracle daemon: index events, then poke every task whose next step is due.

Pokes are permissionless contract calls (commit a stake-weighted draw, assign, request, draw,
replace or lapse a spot-check's verifier, settle, expire, release frozen collateral, refund a
spot-check fee) that move no money on the oracle's say: the contract checks every condition.
Each is simulated first, so a task that is not ready costs no gas, and the on-chain state is
re-read before acting, so a restart or a second oracle never double-acts. The task transitions
(assign, commit a draw, settle, expire) are sent without waiting for their receipts
(`nnc.chain.pending`): a task with one in flight gets nothing more until the next round reads the
receipt, and one that reverted (a lost race) or was dropped is logged and derived again from the
chain, like any task. The due ones:

- assign a published task with enough applicants; expire it when applications closed without
  enough eligible ones (or too little time is left to run it);
- expire an assigned or running task past its deadline, whether or not some results are in
  (the nodes that submitted nothing drop out; the task goes on to settlement with the others);
- settle a submitted task after its challenge window, and a tied one (Verifying) after its tie
  window: every active replica is then paid;
- release the collateral of every frozen node (outvoted where results are proven) once its
  freeze window closed without a challenge. Frozen seats come from the index (rebuilt from the
  chain's events after a restart) and are checked on-chain before each release.

After each round it also keeps the model library (`nnc.oracle.library`, a role action, not a
poke): it lists every settled, accepted task's model and records which settled tasks used a
listed model (the verified users whose ratings the library shows). With `home_gateway` set (a
cross-chain route), each round also relays the settlement of every bridged task that became final
(`nnc.oracle.bridge`).

Quality reports are not pokes: each submitted task's majority model goes to the evaluation pool
(`nnc.oracle.evaluation`: processes of their own, a restart-safe ledger) as soon as a node of the
majority revealed it, and the score is reported on the next round (or between two tasks of one);
the loop never waits for an evaluation. A submitted task with nothing to do (its challenge window
open as the chain said, no spot-check, its evaluation handed over) costs no call in a round.

Draws that pick people take two steps, a commit to a future block and the draw from its hash
(see SECURITY.md): the oracle sends the commit when it is due and the draw once the block is
mined, on a later round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

from nnc.chain.client import ChainClient
from nnc.chain.dispute import Arbitration, CheckStatus, CheckView, DisputeStatus, SpotCheck
from nnc.chain.market import Market
from nnc.chain.pending import PendingTransactions
from nnc.chain.rounds import CommitState, RoundBook
from nnc.chain.strategies import DrawState, StakeWeightedDraw
from nnc.chain.types import Bond, TaskStatus
from nnc.daemon import StopFlag
from nnc.daemon.follower import ChainFollower, Reorganisation
from nnc.errors import ContractRevertError, StorageError
from nnc.logs import log_context
from nnc.metrics import DaemonMetrics
from nnc.oracle.audit import audit_record
from nnc.oracle.bridge import SettlementKeeper
from nnc.oracle.evaluation import (
    FINISHED,
    EvaluationJob,
    Evaluations,
    evaluation_cache,
    process_pool,
    score,
    score_in_process,
)
from nnc.oracle.index import EventIndex
from nnc.oracle.library import Librarian
from nnc.oracle.proof_checks import checker_pool
from nnc.oracle.proofs import ProofAuditor
from nnc.oracle.reports import majority_job, send_report
from nnc.oracle.scores import Quality
from nnc.settings import Settings
from nnc.storage import Store

log = logging.getLogger(__name__)

# Reverts that only mean "not yet": the oracle tries again on a later round.
NOT_READY = frozenset({"ApplicationOpen", "NotEnoughApplicants", "DeadlineNotReached", "InvalidStatus",
                       "ChallengeWindowOpen", "InvalidBond", "ExecutionWindowTooShort", "ApplicationsOpen",
                       "DrawNotCommitted", "DrawNotReady", "DrawAlreadyCommitted", "DrawStale",
                       "InvalidCheckStatus", "VerificationNotTimedOut", "ReportNotDue"})
# Reverts of `assign` after which the task can only expire (once its applications closed).
UNASSIGNABLE = frozenset({"NotEnoughApplicants", "ExecutionWindowTooShort"})
SLOW_ROUND_S = 2.0
BOOKKEEPING_S = 0.5
"""Seconds a round spends archiving audit records, and as much listing models, before it moves on
(at least one of each): the loop's time goes to the events and the due transitions first."""
OPEN = (TaskStatus.PUBLISHED, TaskStatus.ASSIGNED, TaskStatus.RUNNING)


def deployment_key(client: ChainClient) -> str:
    """The deployment the oracle's index and ledger belong to (another one: they start afresh)."""
    assert client.deployment is not None
    d = client.deployment
    return f"{d.chain_id}:{d.addresses.get('TaskMarket', '').lower()}:{d.start_block}"


def open_index(settings: Settings, client: ChainClient) -> EventIndex:
    assert client.deployment is not None
    return EventIndex(settings.data_dir / "oracle" / "index.sqlite", deployment_key(client),
                      client.deployment.start_block)


class Oracle:
    """`store` reads specs and models (quality reports need it); `archive`, when given, receives
    the audit record of every task that reaches a final status (Arweave on a full deployment)."""

    def __init__(self, settings: Settings, client: ChainClient, index: EventIndex, store: Store | None = None,
                 archive: Store | None = None) -> None:
        assert client.deployment is not None
        self.settings = settings
        self.store = store
        self.archive = archive
        # model evaluations run off the poll loop; reported by the loop as each finishes
        # processes of their own (`process_pool`), or inside `poke` when there are none (the test harness)
        ledger, key = settings.data_dir / "oracle" / "evaluations.json", deployment_key(client)
        self.evaluations = (Evaluations(ledger, key, score_in_process, settings.oracle_evaluators,
                                        process_pool(settings)) if settings.oracle_evaluators
                            else Evaluations(ledger, key, self._evaluate, 0))
        self.undrawable: set[tuple[int, int]] = set()  # (task, draw block) that found no verifier: warned
        # what the chain said of open submitted tasks, so that a round skips those with nothing to do:
        self.window_ends: dict[int, int] = {}  # task -> end of its challenge window
        self.unchecked: set[int] = set()  # tasks without a spot-check (it cannot be enabled later)
        self.client = client
        # the oracle owns its key: it counts its nonce itself, and sends a round's pokes without
        # waiting for each receipt (`pending`: checked at the start of the next round)
        client.local_nonce = True
        self.pending = PendingTransactions(client)
        self.market = Market(client)
        self.spot_check = SpotCheck(client)
        self.arbitration = Arbitration(client)
        self.draw = StakeWeightedDraw(client)
        self.index = index
        # posted proofs checked in a process of their own (`checker_pool`) beside the evaluation
        # processes, or on the spot when there are none (the test harness)
        self.proofs = ProofAuditor(client, self.market, index,
                                   checker_pool() if settings.oracle_evaluators else None)
        self.metrics = DaemonMetrics("oracle")
        self.metrics.watch(client)
        self.follower = ChainFollower(
            client, index, self.metrics, confirmations=settings.confirmations, log_range=settings.log_range,
            on_reorganisation=self._rebuild, log=log, tag="oracle",
            task_states=lambda: (str(row["status"]).lower() for row in self.index.tasks()))
        self.reader = self.follower.reader
        # lists settled tasks' models and records model uses (needs the spec store and a library)
        self.library = (Librarian(client, self.market, index, store, self.context)
                        if store is not None and Librarian.available(client) else None)
        # relays the settlement of tasks published from another chain (a cross-chain route only)
        # audit records uploaded off the loop (`archive_audits`): task -> its upload
        self._uploads: dict[int, Future[str]] = {}
        self._upload_pool: ThreadPoolExecutor | None = None
        self.bridge = (SettlementKeeper(client, settings.home_gateway, settings.data_dir / "oracle" / "bridge.json",
                                        client.deployment.start_block, settings.log_range)
                       if settings.home_gateway else None)

    def context(self, task_id: int | None = None) -> AbstractContextManager[None]:
        """The log context of this daemon's lines: the daemon and, when given, the task."""
        return log_context(daemon="oracle", task_id=task_id)

    def sync(self) -> int:
        """Indexes every confirmed block not indexed yet; returns the number of new events.

        A chain reorganisation deeper than `confirmations` (the last indexed block is no longer on
        the chain) is logged and the index is rebuilt from the chain: events are its only source.
        """
        new = self.follower.sync()
        if new:
            log.info("indexed %d new events up to block %d", new, self.index.last_block)
        return new

    def _rebuild(self, reorganisation: Reorganisation) -> None:
        """The oracle's reorganisation policy: forget the index, rebuild it from the chain."""
        log.warning("block %d is no longer on the chain (reorganisation): rebuilding the index",
                    reorganisation.lost_block)
        self.index.reset()

    def poke(self) -> list[tuple[int, str]]:
        """Sends the due permissionless transitions and the finished evaluations' quality reports
        (between tasks too: one is reported as soon as it is ready); returns (task id, action)
        for each sent."""
        self.check_sent()
        now = self.client.block_timestamp()
        done: list[tuple[int, str]] = []
        open_ids = []
        for row in self.index.open_tasks():
            task_id = int(row["task_id"])
            open_ids.append(task_id)
            done.extend(self.report_ready())
            with self.context(task_id):
                done.extend((task_id, action) for action in self._poke_task(row, TaskStatus[row["status"]], now))
        self.proofs.dispatch()  # this round's new proofs, to the checker processes (batched)
        done.extend(self.report_ready())
        self.evaluations.prune(open_ids)
        self.proofs.prune(open_ids)
        self.undrawable = {(t, block) for t, block in self.undrawable if t in open_ids}
        self.window_ends = {t: end for t, end in self.window_ends.items() if t in open_ids}
        self.unchecked.intersection_update(open_ids)
        done.extend(self.release_frozen(now))
        done.extend(self.refund_fees())
        if self.bridge is not None:
            done.extend(self.bridge.relay_due())
        return done

    def release_frozen(self, now: int) -> list[tuple[int, str]]:
        """Releases every frozen seat whose freeze window has closed (and was not challenged: a
        challenged seat is Held until arbitration decides). Asks the chain first, so a restart, a
        lagging index or another caller never makes it send twice."""
        done: list[tuple[int, str]] = []
        for seat in self.index.frozen_nodes():
            until = seat["frozen_until"]
            if until is None or now < int(until):
                continue
            task_id, node = int(seat["task_id"]), str(seat["node"])
            with self.context(task_id):
                try:
                    bond = self.market.participation(task_id, node).bond
                    if bond != Bond.FROZEN:
                        continue  # released or held already: the index catches up on its next sync
                    self.market.release_frozen(task_id, node)
                except ContractRevertError as exc:
                    level = logging.DEBUG if exc.name in NOT_READY else logging.WARNING
                    log.log(level, "task %d: releasing %s not possible now: %s", task_id, node, exc)
                    continue
                log.info("task %d: frozen collateral of %s released (freeze window closed)", task_id, node)
                done.append((task_id, "release_frozen"))
        return done

    def _poke_task(self, row: dict[str, Any], status: TaskStatus, now: int) -> list[str]:
        """The due transitions of one open task, sent; returns the actions sent."""
        task_id = int(row["task_id"])
        done: list[str] = []
        if self.pending.busy(task_id):
            return done  # a transition sent for it is not mined yet: nothing is sent twice
        if status in (TaskStatus.ASSIGNED, TaskStatus.RUNNING, TaskStatus.SUBMITTED):
            done.extend(self.proofs.audit(task_id))  # every posted proof, once: challenged if it fails
            if done or task_id in self.proofs.suspect:
                # a node was taken out of the task (act after the next sync), or a proof failing in
                # Python stands on-chain: no gas spent on the task
                return done
            if self.proofs.pending(task_id):  # a proof's check is in flight: nothing is sent meanwhile,
                if status == TaskStatus.SUBMITTED and row["quality"] is None and self.store is not None:
                    self._submit_evaluation(row)  # but the model is evaluated already
                return done
        if status == TaskStatus.SUBMITTED and self._waiting(row, now):
            return done
        if status == TaskStatus.SUBMITTED and row["quality"] is None and self.store is not None:
            self._submit_evaluation(row)
            if self.evaluations.state(task_id) == "running":
                return done  # the task waits for its evaluation (off the loop)
        finished = self.evaluations.state(task_id) in FINISHED
        if status == TaskStatus.SUBMITTED and not finished and not self._gas_due(task_id, now):
            return done  # nothing to send yet (no model revealed, window open)
        if status == TaskStatus.SUBMITTED and self.evaluations.state(task_id) == "done" and self._report(task_id):
            done.append("report_quality")  # ready already
        if status in (TaskStatus.SUBMITTED, TaskStatus.VERIFYING):
            spot_action = self._spot_check(task_id, status, now)
            if spot_action is not None:
                done.append(spot_action)
                return done
        action = self._due_action(row, status, now)
        if action == "assign" and self.draw.uses(str(row["strategy"])):
            action = self._draw_step(task_id, now, int(row["apply_deadline"]))
        if action is None:
            return done
        try:
            onchain_task = self.market.task(task_id)
            onchain = onchain_task.status
            if onchain != status:
                return done  # the index lags: act on the next round, after syncing
            if action == "settle" and onchain == TaskStatus.SUBMITTED and now < onchain_task.challenge_ends_at:
                self.window_ends[task_id] = onchain_task.challenge_ends_at
                return done  # not due yet: the task is skipped until its window closes
            self._send_transition(task_id, action)
            done.append(action)
        except ContractRevertError as exc:
            if action == "assign" and exc.name in UNASSIGNABLE and now >= int(row["apply_deadline"]):
                # some applicants are no longer eligible, or too little time is left: release the budget
                self._send_transition(task_id, "expire")
                done.append("expire")
                return done
            level = logging.DEBUG if exc.name in NOT_READY else logging.WARNING
            log.log(level, "task %d: %s not possible now: %s", task_id, action, exc)
        return done

    def _send_transition(self, task_id: int, action: str) -> None:
        """Sends `action` (assign, settle, expire, commit_draw) for the task without waiting for
        its receipt: simulated first (a revert raises ContractRevertError here, nothing sent), then
        tracked in `pending` until `check_sent` reads its receipt on the next round."""
        if action == "commit_draw":
            fn = self.draw.contract.functions.commitDraw(task_id)
            context = f"commit the assignment draw of task {task_id}"
        else:
            fn, context = getattr(self.market.contract.functions, action)(task_id), f"{action} task {task_id}"
        sent = self.client.submit(fn, context=context)
        self.pending.add(task_id, sent)
        log.info("task %d: %s sent (tx %s)", task_id, action, sent.tx_hash)

    def check_sent(self) -> None:
        """Reads the receipts of the transitions the last rounds sent. A reverted one (a race lost
        to another sender, the task moved on) is logged with its decoded reason, a dropped one
        warned of; either way its task is free again, and this round derives its next step from
        the chain as for any task (nothing is lost: the work is where the chain says it is)."""
        for outcome in self.pending.check():
            with self.context(outcome.key if isinstance(outcome.key, int) else None):
                if outcome.error is None:
                    continue  # dropped: warned of by the tracker
                expected = isinstance(outcome.error, ContractRevertError) and outcome.error.name in NOT_READY
                log.log(logging.INFO if expected else logging.WARNING, "%s: transaction %s reverted (%s): the "
                        "step is derived again from the chain", outcome.sent.label, outcome.sent.tx_hash,
                        outcome.error)

    def _waiting(self, row: dict[str, Any], now: int) -> bool:
        """True for a submitted task with nothing to do this round, by what the chain said of it
        before: its challenge window still open, no spot-check, and its evaluation handed over
        (in flight, or reported) or impossible. Such a task costs no call in a round."""
        task_id = int(row["task_id"])
        if now >= self.window_ends.get(task_id, 0) or task_id not in self.unchecked:
            return False
        evaluation = self.evaluations.state(task_id)
        return row["quality"] is not None or self.store is None or evaluation not in (None, "done")

    def _gas_due(self, task_id: int, now: int) -> bool:
        """Whether a submitted task may need a transaction now: a spot-check step (it has a check),
        or its settlement (its challenge window closed), as the chain says."""
        if task_id not in self.unchecked:
            if self.spot_check.check(task_id).status != CheckStatus.NONE:
                return True
            self.unchecked.add(task_id)
        ends = self.market.task(task_id).challenge_ends_at
        self.window_ends[task_id] = ends
        return now >= ends

    def _draw_step(self, task_id: int, now: int, apply_deadline: int) -> str | None:
        """The next step of a stake-weighted assignment: commit the draw once applications have
        closed (again if it went stale), assign once its target block is mined."""
        if now < apply_deadline:
            return None
        state = self.draw.state(task_id)
        if state in (DrawState.NONE, DrawState.STALE):
            return "commit_draw"
        return "assign" if state == DrawState.READY else None

    def _spot_check(self, task_id: int, status: TaskStatus, now: int) -> str | None:
        """Asks for the verification of a submitted spot-checked task (before it can settle),
        draws its verifier once the committed block is mined, replaces a verifier that missed its
        deadline, and lapses a check past the verification timeout (no verifier could be drawn,
        or none reported). The check is read from the chain first, so a step is never sent twice."""
        check = self.spot_check.check(task_id)
        if check.status == CheckStatus.NONE:
            self.unchecked.add(task_id)
        try:
            if check.status == CheckStatus.FAILED and check.by_rounds:
                return self._refute_checked_round(task_id, check)
            if status == TaskStatus.SUBMITTED and check.status == CheckStatus.ENABLED:
                self.spot_check.request_verification(task_id)
                log.info("task %d: verification requested (verifier draw committed)", task_id)
                return "request_verification"
            if status != TaskStatus.VERIFYING or check.status != CheckStatus.VERIFYING:
                return None
            late = check.has_verifier and now > check.report_deadline
            timed_out = now > check.requested_at + self.spot_check.verification_timeout()
            if timed_out and (late or not check.has_verifier):
                self.spot_check.lapse(task_id)
                log.warning("task %d: verification lapsed (no report in time): settles unverified, fee refunded",
                            task_id)
                return "lapse_verification"
            if check.draw_pending:
                if self.client.block_number() <= check.draw_block:
                    return None  # the draw's block is not mined yet (the call is simulated at the head)
                self.spot_check.draw_verifier(task_id)
                drawn = self.spot_check.check(task_id)
                if drawn.has_verifier:
                    log.info("task %d: verifier %s drawn", task_id, drawn.verifier)
                else:
                    log.info("task %d: verifier draw was stale, committed again to block %d", task_id,
                             drawn.draw_block)
                return "draw_verifier"
            if late:
                self.spot_check.replace_verifier(task_id)
                log.info("task %d: verifier %s dismissed (late), replacement draw committed", task_id,
                         check.verifier)
                return "replace_verifier"
        except ContractRevertError as exc:
            level = logging.DEBUG if exc.name in NOT_READY else logging.WARNING
            if exc.name in ("NoVerifierAvailable", "NoRoundToCheck"):  # retried until it lapses: warn once per draw
                seen = (task_id, check.draw_block) in self.undrawable
                self.undrawable.add((task_id, check.draw_block))
                level = logging.DEBUG if seen else logging.WARNING
            log.log(level, "task %d: spot-check step not possible now: %s", task_id, exc)
        return None

    def _refute_checked_round(self, task_id: int, check: CheckView) -> str | None:
        """Once the DAO upheld the dispute a failed round check opened (the node slashed), marks the
        checked (node, round) Refuted in the round book, before the task settles; nothing otherwise."""
        if self.arbitration.dispute(check.dispute_id).status != DisputeStatus.SLASHED:
            return None
        if RoundBook(self.client).commitment(task_id, check.round, check.trainer).state == CommitState.REFUTED:
            return None
        self.spot_check.refute_round(task_id)
        log.info("task %d: round %d of %s refuted after its upheld dispute %d (round book frozen)", task_id,
                 check.round, check.trainer, check.dispute_id)
        return "refute_round"

    def refund_fees(self) -> list[tuple[int, str]]:
        """Refunds the spot-check fee of every task that ended without a verification using it
        (cancelled, expired, failed, settled or slashed): the index names the candidates, the
        chain confirms each before it is sent."""
        done: list[tuple[int, str]] = []
        for task_id in self.index.unspent_spot_check_fees():
            row = self.index.task(task_id)
            if row is None or not TaskStatus[row["status"]].is_final:
                continue
            with self.context(task_id):
                try:
                    if not self.spot_check.check(task_id).status.fee_unspent:
                        continue  # refunded already; the index has not seen it yet
                    self.spot_check.refund_fee(task_id)
                except ContractRevertError as exc:
                    log.warning("task %d: spot-check fee not refunded: %s", task_id, exc)
                    continue
                log.info("task %d: spot-check fee refunded to the requester", task_id)
            done.append((task_id, "refund_fee"))
        return done

    def _submit_evaluation(self, row: dict[str, Any]) -> None:
        """Hands the majority result of a submitted task to the evaluation pool, once (the ledger
        remembers) and once a node of the majority revealed where its model lives."""
        if self.evaluations.known(int(row["task_id"])):
            return
        job = majority_job(self.index, self.market, row)
        if job is not None:
            self.evaluations.submit(job)

    def _evaluate(self, job: EvaluationJob) -> Quality:
        """Scores one job in this process (no evaluation processes): see `nnc.oracle.evaluation.score`."""
        assert self.store is not None
        return score(job, self.client, self.store, evaluation_cache(self.settings))

    def report_ready(self) -> list[tuple[int, str]]:
        """Reports the quality of every finished evaluation not reported yet."""
        return [(item.job.task_id, "report_quality") for item in self.evaluations.ready()
                if self._report(item.job.task_id, item.quality)]

    def _report(self, task_id: int, quality: Quality | None = None) -> bool:
        """Sends one finished evaluation's score (`send_report`); True if it went through."""
        if quality is None:
            quality = next(i.quality for i in self.evaluations.ready() if i.job.task_id == task_id)
        with self.context(task_id):
            return send_report(self.client, self.market, self.evaluations, task_id, quality)

    def archive_audits(self, until: float | None = None) -> list[int]:
        """Archives the audit record of every indexed task in a final status that has none yet;
        returns their ids. A storage failure is logged and retried on a later round.

        With `until` (a `time.monotonic()` value: the daemon's rounds), the uploads run in a thread
        of their own (`_uploads`), so a slow storage gateway never holds the loop: each round hands
        over the records due until then and takes in the ones finished since the last round (their
        ids returned then). The record is built and its URI written by the loop (the index is the
        loop's); one not written at a restart is uploaded again."""
        archive = self.archive
        if archive is None:
            return []
        assert self.client.deployment is not None
        archived: list[int] = []
        if until is not None:
            archived.extend(self._archived_in_background())
        for task_id in self.index.unarchived_final_tasks():
            if until is not None and task_id in self._uploads:
                continue
            if until is not None and time.monotonic() > until:
                break
            with self.context(task_id):
                record = audit_record(self.index, task_id, self.client.deployment)
                if until is not None:
                    self._uploads[task_id] = self._uploader().submit(archive.put_bytes, record)
                    continue
                if not self._record_archive(task_id, lambda: archive.put_bytes(record)):  # noqa: B023
                    continue
            archived.append(task_id)
        return archived

    def _record_archive(self, task_id: int, uploaded: Callable[[], str]) -> bool:
        """Writes task `task_id`'s audit URI once `uploaded()` gives it; False (logged) when the
        storage refused the record: it is handed over again next round."""
        try:
            uri = uploaded()
        except StorageError as exc:
            log.warning("task %d: audit record not archived yet: %s", task_id, exc)
            return False
        self.index.set_audit_uri(task_id, uri)
        log.info("task %d: audit record archived at %s", task_id, uri)
        return True

    def _uploader(self) -> ThreadPoolExecutor:
        if self._upload_pool is None:
            self._upload_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oracle-archive")
        return self._upload_pool

    def _archived_in_background(self) -> list[int]:
        """Writes the URI of every background upload finished since the last round."""
        archived: list[int] = []
        for task_id, upload in list(self._uploads.items()):
            if not upload.done():
                continue
            del self._uploads[task_id]  # whatever the outcome: a failed one is handed over again
            with self.context(task_id):
                if not self._record_archive(task_id, upload.result):
                    continue
            archived.append(task_id)
        return archived

    @staticmethod
    def _due_action(row: dict[str, Any], status: TaskStatus, now: int) -> str | None:
        if status in OPEN and now > int(row["deadline"]):
            return "expire"
        if status == TaskStatus.PUBLISHED:
            enough = int(row["applicants"]) >= int(row["replication"])
            if enough:
                return "assign"
            return "expire" if now >= int(row["apply_deadline"]) else None
        if status == TaskStatus.SUBMITTED:
            return "settle"
        if status == TaskStatus.VERIFYING and row["tied"] and now >= int(row["tie_ends_at"] or 0):
            return "settle"  # the tie stood through its window: every active replica is paid
        return None

    def run(self, stop: StopFlag) -> None:
        with self.context():
            log.info("oracle %s watching %s from block %d", self.client.address, self.settings.rpc_url,
                     self.index.last_block + 1)
            try:
                self.follower.run(stop, self._round, self.settings.poll_interval)
            finally:
                self.evaluations.close()
                self.proofs.close()
                if self._upload_pool is not None:
                    self._upload_pool.shutdown(wait=False, cancel_futures=True)
            log.info("oracle stopped at block %d", self.index.last_block)

    def _round(self, stop: StopFlag) -> None:
        """Sync, report, poke, archive, catalogue; a round slower than `SLOW_ROUND_S` is logged
        with where its time went (each second is a block the oracle falls behind)."""
        started = time.monotonic()
        phases: dict[str, float] = {}

        def timed(name: str, step: Callable[[], object]) -> object:
            begin = time.monotonic()
            try:
                return step()
            finally:
                phases[name] = phases.get(name, 0.0) + time.monotonic() - begin

        timed("sync", self.sync)
        timed("report", self.report_ready)
        if timed("poke", self.poke):
            timed("sync", self.sync)
        # not urgent (a finished task's record, its model's listing): a share of the round at most
        timed("audits", lambda: self.archive_audits(time.monotonic() + BOOKKEEPING_S))
        library = self.library
        if library is not None:
            timed("library", lambda: library.catalogue(time.monotonic() + BOOKKEEPING_S))
        took = time.monotonic() - started
        if took > SLOW_ROUND_S:
            log.info("slow round: %.1f s (%s; %d evaluation(s), %d proof check(s) in flight)", took,
                     ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()),
                     self.evaluations.in_flight(), self.proofs.in_flight())
