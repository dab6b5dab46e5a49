"""Races with the chain: a transaction that lost a race inside its block (the task was cancelled by
a transaction mined just before it) is reported as the contract's revert, decoded, so that a
daemon can expect it and move on (replaying it on the state before its block would succeed and
hide why it failed); a task whose deadline passes while a worker trains it stops the training."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from web3.types import RPCEndpoint

from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import ContractRevertError
from tests.e2e.harness import advance_time, make_network

pytestmark = pytest.mark.e2e


def test_an_apply_mined_after_a_cancel_in_the_same_block_is_a_decoded_revert(chain: Devnet, tmp_path: Path) -> None:
    node = chain.node_indices()[0]
    net = make_network(chain, tmp_path, [node])
    task_id = net.publish(replication=1)
    requester, applicant = Market(chain.client(REQUESTER)), Market(chain.client(node))
    w3 = chain.client(0).w3
    outcome: dict[str, BaseException | None] = {}

    def send(name: str, call: object) -> None:
        try:
            call()  # type: ignore[operator]
            outcome[name] = None
        except BaseException as exc:  # noqa: BLE001  (reported to the test below)
            outcome[name] = exc

    w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [False])
    try:
        cancelling = threading.Thread(target=send, args=("cancel", lambda: requester.cancel(task_id)))
        cancelling.start()
        chain.client(0).wait_for("the cancel in the pool", lambda: w3.eth.get_block("pending")["transactions"], 10)
        applying = threading.Thread(target=send, args=("apply", lambda: applicant.apply(task_id)))
        applying.start()
        chain.client(0).wait_for("both in the pool", lambda: len(w3.eth.get_block("pending")["transactions"]) == 2, 10)
        w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        cancelling.join(30)
        applying.join(30)
    finally:
        w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [True])
    assert outcome["cancel"] is None
    assert net.status(task_id) == TaskStatus.CANCELLED
    lost = outcome["apply"]
    assert isinstance(lost, ContractRevertError) and lost.name is not None, repr(lost)


def test_a_task_whose_deadline_passes_under_training_stops_it_at_the_next_checkpoint(
        chain: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker stops at the first checkpoint after the deadline (no more compute spent, no
    snapshot sent) and records why; the missed deadline is then the market's business (expiry)."""
    import nnc.worker.reporting as reporting

    node = chain.node_indices()[0]
    net = make_network(chain, tmp_path, [node])
    task_id = net.publish(replication=1, deadline=600)
    deadline = net.market().task(task_id).deadline
    posted: list[int] = []
    real_post = reporting.SnapshotPoster.post

    def post_after_the_deadline(self: reporting.SnapshotPoster, checkpoint: object) -> None:
        posted.append(checkpoint.step)  # type: ignore[attr-defined]
        if len(posted) == 1:  # the chain's clock runs past the deadline during the first segment
            advance_time(chain, deadline - chain.client(0).block_timestamp() + 1)
        real_post(self, checkpoint)  # type: ignore[arg-type]

    monkeypatch.setattr(reporting.SnapshotPoster, "post", post_after_the_deadline)
    net.run_until("assigned and worked on", lambda: bool(posted), max_steps=6)
    worker = net.workers[0]
    record = worker.state.tasks[task_id]
    assert record.phase.value == "failed" and "deadline passed" in record.reason, record
    assert len(posted) == 1  # the training ended at its first checkpoint
    assert not any(net.market().result_of(task_id, worker.node))
    assert net.market().participation(task_id, worker.node).last_snapshot_step == 0


def test_a_snapshot_refused_for_a_closed_task_stops_the_training(chain: Devnet, tmp_path: Path) -> None:
    """When the chain's block is already past the deadline that the poster's clock was not (the
    contract refuses with DeadlinePassed), the refusal stops the training too."""
    from nnc.training import Checkpoint
    from nnc.worker.reporting import SnapshotPoster, TaskClosedError

    node = chain.node_indices()[0]
    net = make_network(chain, tmp_path, [node])
    task_id = net.publish(replication=1, deadline=600)
    market = Market(chain.client(node))
    market.apply(task_id)
    net.oracle.sync()
    net.poke()
    assert net.status(task_id) == TaskStatus.ASSIGNED
    poster = SnapshotPoster(market, task_id, chain.address(node))
    poster.deadline += 10_000  # a stale view of the deadline: only the contract knows better
    advance_time(chain, 700)
    with pytest.raises(TaskClosedError, match="DeadlinePassed"):
        poster.post(Checkpoint(step=10, loss=1.0, path=tmp_path / "c.pt", weights_digest="ab" * 32,
                               chain_head="cd" * 32))


def test_a_task_that_expires_under_a_worker_stops_its_training_and_a_late_result_is_a_lost_race(
        chain: Devnet, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Between checkpoints the worker reads the task's status (at most every STATUS_CHECK_S) and
    stops training once it left Assigned/Running; a result refused because the task moved on is
    an expected outcome (INFO, recorded failed), not a failure to give up on-chain."""
    import hashlib
    import logging

    from nnc.worker.reporting import STATUS_CHECK_S, SnapshotPoster, TaskClosedError
    from nnc.worker.state import Phase

    node = chain.node_indices()[0]
    net = make_network(chain, tmp_path, [node])
    worker = net.workers[0]
    task_id = net.publish(replication=1, deadline=600)
    worker.sync()  # applies
    net.oracle.sync()
    net.poke()
    worker.sync()
    assert worker.state.tasks[task_id].phase == Phase.ASSIGNED
    market = Market(chain.client(node))
    poster = SnapshotPoster(market, task_id, worker.node)
    poster.checked_at -= STATUS_CHECK_S
    poster.progress(1)  # assigned: training goes on
    advance_time(chain, 700)
    Market(chain.client(REQUESTER)).expire(task_id)
    poster.progress(2)  # read less than STATUS_CHECK_S ago: not read again
    poster.checked_at -= STATUS_CHECK_S
    with pytest.raises(TaskClosedError, match="expired at step 3"):
        poster.progress(3)

    with pytest.raises(ContractRevertError) as refused:
        market.submit_result(task_id, hashlib.sha256(b"late").digest(), "local://late")
    with caplog.at_level(logging.INFO, logger="nnc.worker.daemon"):
        assert worker.execution.lost_race(task_id, refused.value)
    record = worker.state.tasks[task_id]
    assert record.phase == Phase.FAILED and "expired before the result was in" in record.reason
    lines = [r for r in caplog.records if "lost the race" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelname == "INFO"
