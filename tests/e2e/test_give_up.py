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


def test_invalid_dataset_is_given_up_as_invalid_task_once_and_the_other_replica_is_released(
        chain: Devnet, tmp_path: Path) -> None:
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
    assert len(abandoned) == 1 and abandoned[0]["args"]["reason"] == AbandonReason.INVALID_TASK
    quitter = next(w for w in net.workers if w.node == abandoned[0]["args"]["node"])
    other = next(w for w in net.workers if w is not quitter)
    assert quitter.state.tasks[task_id].phase == Phase.FAILED
    assert "not an .npz" in quitter.state.tasks[task_id].reason
    assert other.state.tasks[task_id].phase in (Phase.DONE, Phase.FAILED)  # it saw the task fail
    penalty = task.collateral * market.abandon_penalty_bps() // 10_000
    assert registry.node(quitter.node).staked == staked[quitter.node] - penalty
    assert registry.node(other.node).staked == staked[other.node]  # released whole
    assert registry.node(other.node).locked == registry.node(quitter.node).locked == 0

    # A restart that lost the local record after the transaction sends nothing again.
    w3 = chain.client(REQUESTER).w3
    nonce = w3.eth.get_transaction_count(quitter.node)
    quitter.state.set(task_id, Phase.ASSIGNED, spec_uri=quitter.state.tasks[task_id].spec_uri)
    quitter.execute(task_id)
    quitter.give_up(task_id, AbandonReason.INVALID_TASK, "asked twice")
    assert w3.eth.get_transaction_count(quitter.node) == nonce
    assert quitter.state.tasks[task_id].phase == Phase.FAILED
