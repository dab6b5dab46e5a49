"""The worker trains in the sandbox: a task over its memory limit fails cleanly, the daemon goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.devnet import Devnet
from nnc.task import load_spec
from nnc.worker.state import Phase
from tests.e2e.harness import TINY_SPEC, make_network

pytestmark = pytest.mark.e2e


def test_task_over_its_memory_limit_fails_cleanly_and_the_daemon_goes_on(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1], sandbox=True)
    worker = net.workers[0]
    worker.settings = worker.settings.model_copy(update={"sandbox_memory_mb": 1200})
    spec = load_spec(TINY_SPEC)
    greedy = spec.model_copy(update={"model": spec.model.model_copy(update={"hidden": [4096, 4096, 4096]})})
    task_id = net.publish(greedy, replication=1)

    def gave_up() -> bool:
        record = worker.state.tasks.get(task_id)
        return record is not None and record.phase == Phase.FAILED

    net.run_until("the worker gave the task up", gave_up)
    assert "memory limit of 1200 MB" in worker.state.tasks[task_id].reason

    second = net.publish(replication=1)  # the same daemon carries on with the next task
    net.settle(second)
    assert worker.state.tasks[second].phase == Phase.DONE
