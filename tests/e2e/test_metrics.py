"""The daemons' Prometheus metrics follow what they do, and are served over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from nnc.chain.types import ETH
from nnc.devnet import Devnet
from nnc.task import load_spec
from tests.e2e.harness import TINY_SPEC, make_network

pytestmark = pytest.mark.e2e


def test_metrics_count_steps_gas_earnings_and_task_states(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    worker, oracle = net.workers[0], net.oracle
    gas_after_join = worker.metrics.value("nnc_gas_used_total")
    assert gas_after_join > 0 and worker.metrics.value("nnc_transactions_total") >= 2  # register, stake, ...
    task_id = net.publish(replication=1)
    net.settle(task_id)
    net.step()

    steps = load_spec(TINY_SPEC).training.steps
    assert worker.metrics.value("nnc_training_steps_total") == steps
    assert worker.metrics.value("nnc_gas_used_total") > gas_after_join  # apply, snapshots, proof
    assert worker.metrics.value("nnc_earnings_wei_total", token=ETH) == net.market().claimable(worker.node)
    assert worker.metrics.value("nnc_tasks", state="done") == 1
    assert worker.metrics.value("nnc_last_processed_block") == worker.state.last_block
    assert oracle.metrics.value("nnc_events_processed_total") == len(oracle.index.events())
    assert oracle.metrics.value("nnc_tasks", state="settled") == 1
    assert oracle.metrics.value("nnc_gas_used_total") > 0  # assign, quality, settle

    port = worker.metrics.serve(0)
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert f"nnc_training_steps_total {float(steps)}" in text and 'nnc_tasks{state="done"} 1.0' in text
