"""The oracle's evaluations off its poll loop, on the real chain: the loop goes on while a model is
evaluated, and a score that is ready only after the challenge window is a warning naming the
window's end (the task then settles at the default score), not a traceback."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

import pytest

from nnc.chain.generated import CONSTANTS
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.devnet import Devnet
from nnc.oracle.evaluation import EvaluationJob, Evaluations
from nnc.oracle.quality import Quality
from tests.e2e.harness import advance_time, make_network

pytestmark = pytest.mark.e2e


def test_a_score_ready_after_the_challenge_window_is_a_warning_and_the_task_settles_unscored(
        chain: Devnet, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    node = chain.node_indices()[0]
    net = make_network(chain, tmp_path, [node])
    task_id = net.publish(replication=1)
    market = Market(chain.client(node))
    market.apply(task_id)
    net.oracle.sync()
    net.poke()
    market.submit_result(task_id, hashlib.sha256(b"a model").digest(), "local://the-model")
    assert net.status(task_id) == TaskStatus.SUBMITTED

    release = threading.Event()

    def slow_evaluation(job: EvaluationJob) -> Quality:  # the real one needs a real model; the pool is real
        assert release.wait(30)
        return Quality(score=9000, accepted=True)

    oracle = net.oracle
    oracle.evaluations = Evaluations(tmp_path / "ledger.json", "this devnet", slow_evaluation, workers=1)
    oracle.sync()
    oracle.poke()  # hands the model to the pool and returns at once
    assert oracle.evaluations.state(task_id) == "running"
    ends = net.market().task(task_id).challenge_ends_at
    advance_time(chain, net.market().settlement_params().challenge_window + 1)
    release.set()
    assert oracle.evaluations.wait(30)
    with caplog.at_level(logging.INFO):
        assert oracle.report_ready() == []
    late = [r for r in caplog.records if "too late" in r.getMessage()]
    assert len(late) == 1 and late[0].levelname == "WARNING" and not late[0].exc_info
    assert f"challenge window closed at {ends}" in late[0].getMessage(), late[0].getMessage()
    assert oracle.evaluations.state(task_id) == "refused"  # not sent again
    oracle.sync()
    assert (task_id, "settle") in net.poke()
    task = net.market().task(task_id)
    assert task.status == TaskStatus.SETTLED and task.quality_score == CONSTANTS["TaskMarket.QUALITY_UNSCORED"]
    oracle.evaluations.close()
