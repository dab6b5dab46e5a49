"""The daemons' JSON log lines name the task and node they are about, library lines included."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nnc.devnet import Devnet
from nnc.logs import ContextFilter, JsonFormatter
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every line logged during the test, at DEBUG, as the `nnc --log-format json` handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_task_lines_carry_the_task_id_and_the_node(chain: Devnet, tmp_path: Path, json_log: io.StringIO) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    worker = net.workers[0]
    task_id = net.publish(replication=1)
    net.settle(task_id)

    lines: list[dict[str, Any]] = [json.loads(line) for line in json_log.getvalue().splitlines()]
    about_task = [line for line in lines if line["msg"].startswith(f"task {task_id}:")]
    assert about_task and all(line.get("task_id") == task_id for line in about_task)

    def from_logger(name: str) -> list[dict[str, Any]]:
        return [line for line in lines if line["logger"] == name and line.get("task_id") == task_id]

    worker_lines = from_logger("nnc.worker.daemon")
    said = " | ".join(line["msg"] for line in worker_lines)
    assert all(word in said for word in ("applied", "assigned", "training", "submitted")), said
    assert all(line["node"] == worker.node and line["daemon"] == "worker" for line in worker_lines)

    oracle_lines = from_logger("nnc.oracle.daemon")
    actions = {line["msg"].split(": ", 1)[1].split(" (tx ", 1)[0] for line in oracle_lines}  # "settle sent (tx 0x…)"
    assert {"assign sent", "settle sent"} <= actions
    assert all(line["daemon"] == "oracle" and "node" not in line for line in oracle_lines)

    # library modules know nothing of tasks, yet their lines while the worker submits carry it
    submitted = [line for line in from_logger("nnc.chain.client") if line["msg"].startswith("submit")]
    assert submitted and submitted[0]["node"] == worker.node

    joined = [line for line in lines if line["logger"] == "nnc.worker.daemon" and "registered" in line["msg"]]
    assert joined and joined[0]["node"] == worker.node and "task_id" not in joined[0]
