"""The oracle's evaluation pool (`nnc.oracle.evaluation`): off the caller's thread, once per task,
and restart-safe through its ledger. The evaluation itself is a stand-in here (what is tested is
the pool); the real one runs in the e2e tests and `bench/load.py`."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from nnc.errors import ChainUnavailableError, StorageError, TrainingError
from nnc.oracle.evaluation import FINISHED, EvaluationJob, Evaluations, TooLateError
from nnc.oracle.quality import Quality, evaluate_result
from nnc.runtimes.dispatch import train
from nnc.storage.local import LocalStore
from nnc.task import load_spec
from nnc.training.data import export_dataset, load_dataset_digest

KEY = "31337:0xmarket:1"
TINY_SPEC = Path(__file__).parents[1] / "data" / "tiny-spec.json"


def job(task_id: int) -> EvaluationJob:
    return EvaluationJob(task_id=task_id, spec_uri="local://spec", spec_digest="0x" + "aa" * 32,
                         model_uri=f"local://model-{task_id}", result_digest="0x" + "bb" * 32, tag_key=None)


class Gate:
    """An evaluation that waits until released, and records what it evaluated and on which thread."""

    def __init__(self, score: int = 9000) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls: list[tuple[int, str]] = []
        self.score = score

    def __call__(self, j: EvaluationJob) -> Quality:
        self.calls.append((j.task_id, threading.current_thread().name))
        self.started.set()
        assert self.release.wait(10)
        return Quality(score=self.score, accepted=True)


def test_a_job_is_evaluated_off_the_callers_thread_and_ready_once_done(tmp_path: Path) -> None:
    gate = Gate()
    pool = Evaluations(tmp_path / "ledger.json", KEY, gate, workers=2)
    assert pool.submit(job(1))
    assert gate.started.wait(10)
    assert pool.state(1) == "running" and pool.ready() == [] and pool.in_flight() == 1  # the caller goes on
    gate.release.set()
    assert pool.wait(10)
    (done,) = pool.ready()
    assert (done.job, done.quality) == (job(1), Quality(9000, True))
    assert gate.calls == [(1, gate.calls[0][1])] and gate.calls[0][1].startswith("oracle-eval")
    pool.mark(1, "reported")
    assert pool.ready() == [] and pool.state(1) == "reported"
    pool.close()


def test_a_task_is_evaluated_once_however_often_it_is_submitted(tmp_path: Path) -> None:
    gate = Gate()
    gate.release.set()
    pool = Evaluations(tmp_path / "ledger.json", KEY, gate, workers=1)
    assert pool.submit(job(3))
    assert not pool.submit(job(3))
    pool.wait(10)
    assert not pool.submit(job(3))  # done, then reported: still known
    pool.mark(3, "reported")
    assert not pool.submit(job(3))
    assert [c[0] for c in gate.calls] == [3]
    pool.close()


def test_an_evaluation_in_flight_at_a_crash_is_evaluated_again_after_the_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    crashed = Gate()
    first = Evaluations(ledger, KEY, crashed, workers=1)
    first.submit(job(7))
    assert crashed.started.wait(10)
    # the daemon dies here: the ledger on disk says the job was running
    assert json.loads(ledger.read_text())["tasks"]["7"]["state"] == "running"
    again = Gate(score=8100)
    again.release.set()
    restarted = Evaluations(ledger, KEY, again, workers=1)
    assert restarted.wait(10)
    assert [c[0] for c in again.calls] == [7]
    assert [(r.job.task_id, r.quality.score) for r in restarted.ready()] == [(7, 8100)]
    crashed.release.set()
    first.close()
    restarted.close()


def test_a_score_not_reported_before_a_restart_is_reported_without_evaluating_again(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    pool = Evaluations(ledger, KEY, lambda j: Quality(7000, False), workers=0)  # in the caller
    assert pool.submit(job(2)) and pool.state(2) == "done"

    def never(j: EvaluationJob) -> Quality:
        raise AssertionError(f"task {j.task_id} evaluated again")

    restarted = Evaluations(ledger, KEY, never, workers=1)
    assert [(r.job.task_id, r.quality) for r in restarted.ready()] == [(2, Quality(7000, False))]
    restarted.close()


def test_a_model_that_cannot_be_scored_fails_once_a_late_one_is_dropped_and_a_chain_outage_is_retried(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def evaluate(j: EvaluationJob) -> Quality:
        if j.task_id == 1:
            raise TrainingError("model at local://model-1 does not match the committed result digest")
        if j.task_id == 3:
            raise TooLateError("task 3: its challenge window closed at 1000 before the model was evaluated")
        raise ChainUnavailableError("connection refused")

    pool = Evaluations(tmp_path / "ledger.json", KEY, evaluate, workers=1)
    pool.submit(job(1))
    pool.submit(job(2))
    pool.submit(job(3))
    assert pool.wait(10)
    assert pool.state(1) == "failed" and not pool.submit(job(1))  # settles at the default score
    assert pool.state(3) == "late" and "late" in FINISHED and "failed" not in FINISHED
    assert pool.state(2) is None and pool.submit(job(2))  # the next round submits it again
    pool.wait(10)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("task 1: quality not reported" in m and "does not match" in m for m in warnings), warnings
    assert any("task 2: evaluation interrupted" in m for m in warnings), warnings
    assert not any(r.exc_info for r in caplog.records)  # expected failures: no tracebacks
    pool.close()


def test_the_ledger_keeps_open_tasks_only_and_one_deployment(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    pool = Evaluations(ledger, KEY, lambda j: Quality(5000, True), workers=0)
    for task_id in range(1, 6):
        pool.submit(job(task_id))
    pool.prune([2, 4])  # the others reached a final status
    assert pool.size() == 2 and sorted(json.loads(ledger.read_text())["tasks"]) == ["2", "4"]
    assert Evaluations(ledger, KEY, lambda j: Quality(5000, True), workers=0).size() == 2
    assert Evaluations(ledger, "31337:0xother:1", lambda j: Quality(5000, True), workers=0).size() == 0


def test_an_evaluation_with_the_oracles_cache_fetches_the_dataset_once(tmp_path: Path) -> None:
    """The real evaluation (`evaluate_result`, the tiny MLP): with the oracle's cache the dataset
    is fetched on the first evaluation only, so a second one scores the same without it in storage."""
    store = LocalStore(tmp_path / "store")
    spec = load_spec(TINY_SPEC)
    data = export_dataset(spec.dataset, tmp_path / "dataset.npz")
    spec = spec.model_copy(update={"dataset": spec.dataset.model_copy(
        update={"uri": store.put_file(data), "digest": load_dataset_digest(spec)})})
    result = train(spec, tmp_path / "trained", node="0x" + "11" * 20, dataset_file=data)
    spec_bytes = spec.model_dump_json(exclude_none=True).encode()
    job = (store.put_bytes(spec_bytes), hashlib.sha256(spec_bytes).digest(), store.put_file(result.model_path),
           result.result_digest)
    first = evaluate_result(None, store, *job, cache=tmp_path / "cache")  # type: ignore[arg-type]  # no chain needed
    assert first.accepted and first.score > 5000
    assert spec.dataset.uri is not None
    dataset_object = tmp_path / "store" / "sha256" / spec.dataset.uri[-64:][:2] / spec.dataset.uri[-64:]
    dataset_object.unlink()  # gone from storage: only the cache has it now
    assert evaluate_result(None, store, *job, cache=tmp_path / "cache") == first  # type: ignore[arg-type]
    with pytest.raises(StorageError):  # without the cache it is fetched, and is not there
        evaluate_result(None, store, *job)  # type: ignore[arg-type]
