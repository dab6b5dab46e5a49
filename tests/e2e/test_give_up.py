"""A task a node cannot train is given up on-chain once, however often the worker restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.chain.registry import Registry
from nnc.chain.types import ETH, AbandonReason, TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.task import load_spec
from nnc.worker.daemon import FINAL_PHASES
from nnc.worker.state import Phase
from tests.e2e.harness import TINY_SPEC, make_network

pytestmark = pytest.mark.e2e


def test_invalid_dataset_is_given_up_once_by_each_replica_and_the_task_fails_when_none_is_left(
        chain: Devnet, tmp_path: Path) -> None:
    """Issue 12: an abandon drops only that node out (penalty to the treasury); the task fails,
    refunding the whole budget, when the last assignee gives up too."""
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    spec = load_spec(TINY_SPEC)
    garbage = net.store.put_bytes(b"this is not an .npz")  # stored and hash-checked, but no dataset
    broken = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"uri": garbage})})
    task_id = net.publish(broken, replication=2)
    registry = Registry(chain.client(REQUESTER))
    staked = {w.node: registry.node(w.node).staked for w in net.workers}

    net.run_until("both workers are done with the task",
                  lambda: all(w.state.tasks.get(task_id) is not None
                              and w.state.tasks[task_id].phase in FINAL_PHASES for w in net.workers))

    market = net.market()
    task = market.task(task_id)
    assert task.status == TaskStatus.FAILED
    assert market.claimable(chain.address(REQUESTER), ETH) == task.budget
    abandoned = [e for e in net.oracle.index.events(task_id) if e["name"] == "TaskAbandoned"]
    assert sorted(e["args"]["node"] for e in abandoned) == sorted(w.node for w in net.workers)  # once each
    assert all(e["args"]["reason"] == AbandonReason.INVALID_TASK for e in abandoned)
    penalty = task.collateral * market.abandon_penalty_bps() // 10_000
    for worker in net.workers:
        assert worker.state.tasks[task_id].phase == Phase.FAILED
        assert "not an .npz" in worker.state.tasks[task_id].reason
        assert registry.node(worker.node).staked == staked[worker.node] - penalty
        assert registry.node(worker.node).locked == 0
    # penalties go to the treasury, never to the requester of the task
    treasury = chain.deployment.deployer  # type: ignore[union-attr]
    assert registry.contract.functions.claimable(treasury).call() == 2 * penalty
    assert registry.contract.functions.claimable(chain.address(REQUESTER)).call() == 0
    assert net.oracle.index.task(task_id)["refund"] == str(task.budget)  # type: ignore[index]
    quitter = next(w for w in net.workers if w.node == abandoned[0]["args"]["node"])

    # A restart that lost the local record after the transaction sends nothing again.
    w3 = chain.client(REQUESTER).w3
    nonce = w3.eth.get_transaction_count(quitter.node)
    quitter.state.rederive(task_id, Phase.ASSIGNED, spec_uri=quitter.state.tasks[task_id].spec_uri)
    quitter.execute(task_id)
    quitter.give_up(task_id, AbandonReason.INVALID_TASK, "asked twice")
    assert w3.eth.get_transaction_count(quitter.node) == nonce
    assert quitter.state.tasks[task_id].phase == Phase.FAILED
