"""The oracle's index: each event once, resumes after a restart, rebuildable from the chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.devnet import ORACLE, Devnet
from nnc.oracle.daemon import Oracle, open_index
from tests.e2e.harness import make_network, settings_for

pytestmark = pytest.mark.e2e


def test_index_follows_a_task_resumes_after_restart_and_rebuilds_identically(
        chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(replication=1)
    net.settle(task_id)
    net.oracle.sync()
    row = net.oracle.index.task(task_id)
    assert row is not None and row["status"] == "SETTLED"
    trace = [e["name"] for e in net.oracle.index.events(task_id)]
    assert trace[0] == "TaskPublished" and "TaskAssigned" in trace and "TaskSettled" in trace
    position = net.oracle.index.last_block
    events_before = net.oracle.index.events()
    net.oracle.index.close()

    # Restart: a new oracle process opens the same index and carries on from where it stopped.
    settings = settings_for(chain, tmp_path, ORACLE)
    client = chain.client(ORACLE)
    restarted = Oracle(settings, client, open_index(settings, client))
    assert restarted.index.last_block == position
    assert restarted.sync() == 0
    second = net.publish(replication=1)
    assert restarted.sync() >= 2  # TaskPublished + TaskStatusChanged of the new task only
    assert restarted.index.task(second) is not None

    # Feeding the same range again changes nothing: every event is handled once.
    again = restarted.index.ingest(restarted.reader.read(chain.deployment.start_block,  # type: ignore[union-attr]
                                                         position), position)
    assert again == 0
    assert restarted.index.events()[: len(events_before)] == events_before

    # Rebuild from scratch gives the same projection.
    tasks_before = restarted.index.tasks()
    restarted.index.reset()
    restarted.sync()
    assert restarted.index.tasks() == tasks_before
