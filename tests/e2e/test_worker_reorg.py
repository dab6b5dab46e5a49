"""A chain reorganisation under a running worker: it notices that the blocks it handled are gone,
rewinds to the newest head still on the chain, reconciles the tasks those blocks touched, and
carries on (here: applies again for a task whose application was orphaned, which then settles)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.chain.types import TaskStatus
from nnc.daemon import StopFlag
from nnc.devnet import Devnet
from nnc.worker.state import Phase
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e


def test_worker_rewinds_after_a_reorganisation_and_applies_again(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    worker = net.workers[0]
    w3 = chain.client(0).w3
    worker.sync()
    fork_block = worker.state.last_block
    fork = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]

    orphaned = net.publish(replication=1, budget=10**18)
    worker.sync()  # applies: the application is in a block about to be orphaned
    assert worker.state.tasks[orphaned].phase == Phase.APPLIED
    assert net.market().applicants(orphaned) == [worker.node]
    orphaned_head = worker.state.last_block

    assert w3.provider.make_request("evm_revert", [fork])["result"] is True  # type: ignore[arg-type]
    task_id = net.publish(replication=1, budget=2 * 10**18)  # the same id, published in another block
    assert task_id == orphaned
    while w3.eth.block_number <= orphaned_head + 1:  # the new branch grows past what the worker saw
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert net.market().applicants(task_id) == []

    worker.sync()
    assert worker.state.last_block > orphaned_head
    assert min(worker.state.block_hashes) <= fork_block  # rewound to a head before the fork
    assert net.market().applicants(task_id) == [worker.node], "the worker did not apply again"
    assert worker.state.tasks[task_id].phase == Phase.APPLIED
    worker.work(StopFlag())
    net.settle(task_id)
    assert net.status(task_id) == TaskStatus.SETTLED
    assert net.market().task(task_id).budget == 2 * 10**18
