"""The oracle's model evaluations, off its poll loop: a bounded pool and a persisted ledger.

Evaluating a submitted model (fetch, digest check, a pass over the eval split) takes seconds of
CPU; done inside the poll round it held every other task back, and on a loaded machine the
quality report arrived after the challenge window. Here the daemon `submit`s an `EvaluationJob`
as soon as a task's majority model is revealed, a pool of `workers` threads evaluates it, and
the daemon collects the finished ones (`ready`) on every round and between tasks, and reports
them at once; the loop keeps handling events meanwhile. Transactions stay on the daemon's
thread: the pool only computes.

The ledger (`evaluations.json` beside the index, for one deployment) records every job: `running` (submitted, not
finished), `done` (a score, not reported yet), `reported`, or `failed` (the task settles at the
default score; not retried). It is written at each change, so after a crash a `running` job is
evaluated again and a `done` one is reported without evaluating again; a job is keyed by its
task, so submitting it twice does nothing. Entries of tasks that reached a final status are
dropped (`prune`): the ledger holds open tasks only.

`workers=0` evaluates inside `submit`, on the caller's thread (the step-by-step test harness).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from nnc.chain.client import TRANSIENT_ERRORS
from nnc.errors import NNCError, ServiceUnavailableError
from nnc.jsonfile import write_json_atomic
from nnc.logs import log_context
from nnc.oracle.quality import Quality

log = logging.getLogger(__name__)

RETRIED: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, ServiceUnavailableError)
"""The chain or storage away: the job is dropped and submitted again by a later round."""

State = Literal["running", "done", "reported", "failed"]


@dataclass(frozen=True)
class EvaluationJob:
    """What evaluating one task's majority result needs (all of it from the index and the chain)."""

    task_id: int
    spec_uri: str
    spec_digest: str  # 0x-hex, as the task was published
    model_uri: str  # where the majority's model (or outputs) lives, as a node revealed it
    result_digest: str  # 0x-hex, the majority's committed digest (an agreement tag with proofs)
    proof_tag: bool  # the digest is the task's agreement tag (results submitted as zk commitments)


@dataclass(frozen=True)
class Evaluated:
    """A finished evaluation, to be reported (`Evaluations.ready`)."""

    job: EvaluationJob
    quality: Quality


class Evaluations:
    """The pool and its ledger at `path`; `evaluate` scores a job (raises for a model that cannot
    be scored). See the module doc."""

    def __init__(self, path: Path, deployment: str, evaluate: Callable[[EvaluationJob], Quality],
                 workers: int = 1) -> None:
        if workers < 0:
            raise ValueError(f"evaluation workers must be 0 (in the caller) or more, not {workers}")
        self.path = path
        self.deployment = deployment
        self.evaluate = evaluate
        self.workers = workers
        self._lock = threading.Lock()
        self._entries: dict[int, dict[str, Any]] = self._load()
        self._futures: dict[int, Future[None]] = {}
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="oracle-eval") if workers else None
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
        """Records the report's outcome: `reported`, or `failed` (it could not be sent in time)."""
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
        """Waits for the evaluations in flight; True when none is left."""
        with self._lock:
            pending = list(self._futures.values())
        done, not_done = wait(pending, timeout)
        return not not_done

    def close(self) -> None:
        """Stops taking jobs and waits for those in flight (their outcome is in the ledger)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    # -- the pool's side -------------------------------------------------------------------

    def _start(self, job: EvaluationJob) -> None:
        if self._pool is None:
            self._run(job)
            return
        with self._lock:
            self._futures[job.task_id] = self._pool.submit(self._run, job)

    def _run(self, job: EvaluationJob) -> None:
        """Evaluates `job` and records the outcome; runs on a pool thread (or the caller's)."""
        with log_context(daemon="oracle", task_id=job.task_id):
            outcome: dict[str, Any]
            try:
                quality = self.evaluate(job)
                outcome = {"state": "done", "score": quality.score, "accepted": quality.accepted}
            except RETRIED as exc:  # the chain or storage away: later
                log.warning("task %d: evaluation interrupted (%s): tried again on a later round", job.task_id, exc)
                outcome = {}
            except (NNCError, OSError, RuntimeError, ValueError) as exc:
                log.warning("task %d: quality not reported (settles at the default score): %s", job.task_id, exc)
                outcome = {"state": "failed", "reason": str(exc)}
            except Exception as exc:  # a bug: reported with its traceback; the pool thread lives on
                log.exception("task %d: evaluation crashed (settles at the default score)", job.task_id)
                outcome = {"state": "failed", "reason": f"crashed: {exc!r}"}
            with self._lock:
                self._futures.pop(job.task_id, None)
                if not outcome:
                    self._entries.pop(job.task_id, None)  # submitted again by the next round
                elif job.task_id in self._entries:
                    self._entries[job.task_id].update(outcome)
                self._save()

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
