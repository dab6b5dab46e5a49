"""The oracle's model evaluations, off its poll loop: a bounded pool and a persisted ledger.

Evaluating a submitted model (the model fetched, its
digest checked, a pass over the eval split) takes seconds of CPU; done inside the poll round it
held every other task back, and on a loaded machine the quality report arrived after the
challenge window. Here the daemon `submit`s an `EvaluationJob` as soon as a task's majority model
is revealed, a pool evaluates it (`process_pool`: processes of their own, so their CPU work never
holds the loop back on the GIL; threads in the tests), and the daemon collects the finished ones
(`ready`) on every round and between tasks, and reports them at once; the loop keeps handling
events meanwhile. Transactions stay on the daemon's thread: the pool only computes.

The ledger (`evaluations.json` beside the index, for one deployment) records every job:
`running` (submitted, not finished), `done` (a score, not reported yet), `reported`, `refused`
(the chain refused the report: too late), `late` (its model not evaluated: the
window had closed), or `failed` (the task settles at the default score; not retried). It is
written at each change, so after a crash a `running` job is evaluated again and a
`done` one is reported without evaluating again; a job is keyed by its task, so submitting it
twice does nothing. Entries of tasks that reached a final status are dropped (`prune`): the
ledger holds open tasks only.

`workers=0` evaluates inside `submit`, on the caller's thread (the step-by-step test harness).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import (
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from nnc.chain.client import TRANSIENT_ERRORS, ChainClient
from nnc.errors import NNCError, ServiceUnavailableError
from nnc.jsonfile import write_json_atomic
from nnc.logs import log_context
from nnc.oracle.scores import Quality
from nnc.resources import release_free_memory, resident_mb
from nnc.sandbox import die_with_parent
from nnc.settings import Settings
from nnc.storage import Store, store_from_settings

log = logging.getLogger(__name__)

RETRIED: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, ServiceUnavailableError)
"""The chain or storage away: the job is dropped and submitted again by a later round."""

State = Literal["running", "done", "reported", "refused", "late", "failed"]
FINISHED: frozenset[str] = frozenset({"done", "reported", "refused", "late"})
"""States of a job whose evaluation finished (scored or too late), reported or not."""


class TooLateError(NNCError):
    """The task's challenge window closed before its model was evaluated: a report could not count."""


@dataclass(frozen=True)
class EvaluationJob:
    """What evaluating one task's majority result needs (all of it from the index and the chain)."""

    task_id: int
    spec_uri: str
    spec_digest: str  # 0x-hex, as the task was published
    model_uri: str  # where the majority's model (or outputs) lives, as a node revealed it
    result_digest: str  # 0x-hex, the majority's committed digest (an agreement tag with proofs)
    tag_key: int | None  # the task's statement key when the digest is its agreement tag (zk commitments)
    report_by: int = 0  # chain time the challenge window closes (0: unknown); a job not started by then is dropped


@dataclass(frozen=True)
class Evaluated:
    """A finished evaluation, to be reported (`Evaluations.ready`)."""

    job: EvaluationJob
    quality: Quality


class Evaluations:
    """The pool and its ledger at `path`; `evaluate` scores a job (raises for a model that cannot
    be scored). The pool is `workers` threads, or the executor `executor()` makes (a process pool:
    `evaluate` is then a module-level function, see `score_in_process`). See the module doc."""

    def __init__(self, path: Path, deployment: str, evaluate: Callable[[EvaluationJob], Quality],
                 workers: int = 1, executor: Callable[[], Executor] | None = None) -> None:
        if workers < 0:
            raise ValueError(f"evaluation workers must be 0 (in the caller) or more, not {workers}")
        self.path = path
        self.deployment = deployment
        self.evaluate = evaluate
        self.workers = workers
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified as each outcome is recorded
        self._entries: dict[int, dict[str, Any]] = self._load()
        self._futures: dict[int, Future[dict[str, Any]]] = {}
        self._closed = False
        self._broken = False
        self._executor = executor or (lambda: ThreadPoolExecutor(workers, thread_name_prefix="oracle-eval"))
        self._pool = self._executor() if workers else None
        restarted = [int(t) for t, e in self._entries.items() if e["state"] == "running"]
        for task_id in restarted:  # in flight when the daemon stopped: evaluated again
            log.info("task %d: evaluation interrupted by a restart: evaluating again", task_id)
            self._start(EvaluationJob(**self._entries[task_id]["job"]))

    # -- the daemon's side -----------------------------------------------------------------

    def submit(self, job: EvaluationJob) -> bool:
        """Starts evaluating `job` unless its task has an entry already; True if it started."""
        with self._lock:
            if job.task_id in self._entries:
                return False
            self._entries[job.task_id] = {"job": asdict(job), "state": "running"}
            self._save()
        log.info("task %d: evaluating the model at %s", job.task_id, job.model_uri)
        self._start(job)
        return True

    def known(self, task_id: int) -> bool:
        """Whether the task has an entry (in flight, scored, reported or failed)."""
        with self._lock:
            return task_id in self._entries

    def state(self, task_id: int) -> State | None:
        with self._lock:
            entry = self._entries.get(task_id)
            return None if entry is None else entry["state"]

    def ready(self) -> list[Evaluated]:
        """The finished evaluations not reported yet, oldest task first."""
        with self._lock:
            return [Evaluated(EvaluationJob(**e["job"]), Quality(score=int(e["score"]), accepted=bool(e["accepted"])))
                    for _, e in sorted(self._entries.items()) if e["state"] == "done"]

    def mark(self, task_id: int, state: State, reason: str = "") -> None:
        """Records the report's outcome: `reported`, or `refused` (it could not be sent in time)."""
        with self._lock:
            entry = self._entries.get(task_id)
            if entry is None:
                return
            entry["state"] = state
            if reason:
                entry["reason"] = reason
            self._save()

    def prune(self, open_tasks: Iterable[int]) -> None:
        """Forgets the entries of tasks not in `open_tasks` (final ones): the ledger stays bounded."""
        keep = set(open_tasks)
        with self._lock:
            gone = [t for t in self._entries if t not in keep and t not in self._futures]
            for task_id in gone:
                del self._entries[task_id]
            if gone:
                self._save()

    def in_flight(self) -> int:
        with self._lock:
            return len(self._futures)

    def size(self) -> int:
        with self._lock:
            return len(self._entries)

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until no evaluation is in flight (each outcome recorded); True when none is left."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._futures, timeout)

    def close(self) -> None:
        """Stops the pool without waiting for the evaluations in flight (seconds to minutes on a
        busy machine): the ledger still says `running`, so they are evaluated again after a restart."""
        self._closed = True
        if self._pool is None:
            return
        self._pool.shutdown(wait=False, cancel_futures=True)
        processes = getattr(self._pool, "_processes", None) or {}
        for process in list(processes.values()):
            process.terminate()  # a process pool's workers: their job is lost, not its record

    # -- the pool's side -------------------------------------------------------------------

    def _start(self, job: EvaluationJob) -> None:
        if self._pool is None:
            self._record(job, outcome_of(self.evaluate, job))
            return
        if self._broken:
            log.warning("the evaluation pool broke (an evaluation process died): starting a new one")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool, self._broken = self._executor(), False
        submitted = time.time()
        with self._lock:
            future = self._pool.submit(outcome_of, self.evaluate, job)
            self._futures[job.task_id] = future
        future.add_done_callback(lambda done: self._finished(job, done, submitted))

    def _finished(self, job: EvaluationJob, future: Future[dict[str, Any]], submitted: float) -> None:
        if self._closed:  # stopping: what was in flight stays `running` in the ledger
            return
        try:
            outcome = future.result()
        except BrokenExecutor as exc:  # the evaluation process died (out of memory?): a new pool, a new try
            outcome = {"retry": f"the evaluation pool broke ({exc.__class__.__name__})"}
            self._broken = True  # replaced by the next `_start`, on the daemon's thread
        except CancelledError:  # the daemon is stopping: the ledger says running, evaluated after the restart
            with self._lock:
                self._futures.pop(job.task_id, None)
                self._idle.notify_all()
            return
        self._record(job, outcome, submitted)

    def _record(self, job: EvaluationJob, outcome: dict[str, Any], submitted: float | None = None) -> None:
        """Logs and records an outcome (`outcome_of`'s); a job to retry is dropped from the ledger,
        so that the next round submits it again. Where the time went (queued, evaluating) and the
        evaluating process's resident set afterwards are logged, not recorded."""
        started, seconds, rss = outcome.pop("started", None), outcome.pop("seconds", None), outcome.pop("rss_mb", None)
        with log_context(daemon="oracle", task_id=job.task_id):
            if started is not None and submitted is not None:
                log.info("task %d: evaluated in %.1f s after %.1f s queued (evaluation process at %.0f MB)",
                         job.task_id, seconds, max(0.0, started - submitted), rss)
            if "retry" in outcome:
                log.warning("task %d: evaluation interrupted (%s): tried again on a later round", job.task_id,
                            outcome["retry"])
            elif outcome["state"] in ("failed", "late"):
                log.warning("task %d: quality not reported (settles at the default score): %s", job.task_id,
                            outcome["reason"])
            with self._lock:
                self._futures.pop(job.task_id, None)
                if "retry" in outcome:
                    self._entries.pop(job.task_id, None)
                elif job.task_id in self._entries:
                    self._entries[job.task_id].update(outcome)
                self._save()
                self._idle.notify_all()

    # -- the ledger ------------------------------------------------------------------------

    def _load(self) -> dict[int, dict[str, Any]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
            if data["deployment"] != self.deployment:
                return {}  # another deployment's (a new devnet): its tasks are not these
            return {int(t): dict(e) for t, e in data["tasks"].items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("evaluation ledger %s unreadable (%s): starting empty; open tasks are evaluated again",
                        self.path, exc)
            return {}

    def _save(self) -> None:
        """Writes the ledger (the caller holds the lock)."""
        tasks = {str(t): e for t, e in sorted(self._entries.items())}
        write_json_atomic(self.path, {"deployment": self.deployment, "tasks": tasks})


def outcome_of(evaluate: Callable[[EvaluationJob], Quality], job: EvaluationJob) -> dict[str, Any]:
    """Runs `evaluate(job)` where the pool runs it (a thread, a process, the caller) and returns
    its outcome as plain data (what a process can send back): `state` done with `score` and
    `accepted`, or failed with `reason`; or `retry` (the chain or storage away)."""
    started = time.time()
    try:
        quality = evaluate(job)
    except RETRIED as exc:
        return {"retry": str(exc)}
    except TooLateError as exc:
        return {"state": "late", "reason": str(exc)}
    except (NNCError, OSError, RuntimeError, ValueError) as exc:
        return {"state": "failed", "reason": str(exc)}
    except Exception as exc:  # a bug: logged with its traceback where it ran; the pool lives on
        log.exception("task %d: evaluation crashed", job.task_id)
        return {"state": "failed", "reason": f"crashed: {exc!r}"}
    return {"state": "done", "score": quality.score, "accepted": quality.accepted, "started": started,
            "seconds": time.time() - started, "rss_mb": resident_mb(os.getpid())}


def score(job: EvaluationJob, client: ChainClient, store: Store, cache: Path | None = None) -> Quality:
    """The oracle's evaluation of one job: the model checked against both
    digests and its metric measured on the spec's eval split (`evaluate_result`; its dataset and
    files fetched once into `cache`, see `evaluation_cache`). The heap is given
    back afterwards: a daemon that loads a model now and then does not keep its peak resident."""
    if job.report_by and client.block_timestamp() >= job.report_by:  # a backlog: spend the CPU on those still in time
        raise TooLateError(f"task {job.task_id}: its challenge window closed at {job.report_by} before the model "
                           "was evaluated (evaluations backlogged): not scored")
    from nnc.oracle.quality import evaluate_result  # torch and the runtimes: loaded where models are evaluated

    try:
        return evaluate_result(client, store, job.spec_uri, bytes.fromhex(job.spec_digest[2:]), job.model_uri,
                               bytes.fromhex(job.result_digest[2:]), job.tag_key, cache=cache)
    finally:
        release_free_memory()


_PROCESS: dict[str, Any] = {}
"""The evaluation process's own chain client and store (`start_scorer`)."""


def start_scorer(settings: Settings) -> None:
    """Initialises an evaluation process: its own connections, from the daemon's settings."""
    import torch  # loaded anyway (the models are torch's): one thread, the machine's cores are the daemons'

    torch.set_num_threads(1)
    die_with_parent()  # the daemon killed (even SIGKILL): no evaluation process left behind
    client = ChainClient.from_settings(settings, need_account=False)
    _PROCESS.update(client=client, store=store_from_settings(settings), cache=evaluation_cache(settings))


def evaluation_cache(settings: Settings) -> Path:
    """The oracle's cache of what evaluations fetch besides the model (datasets, program packages,
    base models), by content: shared by its evaluation processes, kept across restarts."""
    return settings.data_dir / "oracle" / "cache"


def score_in_process(job: EvaluationJob) -> Quality:
    """`score`, in an evaluation process that `start_scorer` initialised."""
    return score(job, _PROCESS["client"], _PROCESS["store"], _PROCESS["cache"])


def process_pool(settings: Settings) -> Callable[[], Executor]:
    """A factory of the oracle's evaluation process pool: `settings.oracle_evaluators` processes
    (started fresh, not forked from the daemon's threads), each with its own connections. Their
    CPU work (torch) then never holds the daemon's loop back on the GIL."""
    def make() -> Executor:
        pool = ProcessPoolExecutor(settings.oracle_evaluators, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_scorer, initargs=(settings,))
        for _ in range(settings.oracle_evaluators):  # started now: imports and connections before the first model
            pool.submit(_started)
        return pool
    return make


def _started() -> bool:
    return bool(_PROCESS)
