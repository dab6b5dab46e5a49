"""Daemons as operators run them (separate `nnc` processes), killed with SIGKILL mid-task and
restarted: the worker resumes from its last checkpoint, the oracle from its last block, and the
task settles once, with the digest of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nnc.chain.deploy import NNT
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.types import TaskStatus
from nnc.demo import Daemon, start_daemon
from nnc.devnet import ORACLE, REQUESTER, Devnet
from nnc.runtimes.dispatch import train
from nnc.storage import LocalStore
from nnc.task import load_spec
from nnc.task.publish import PublishOptions, publish_task
from nnc.zk import agreement_tag
from tests.e2e.harness import TINY_SPEC, advance_time

pytestmark = pytest.mark.e2e
WORKER_ARGS = ["worker", "run", "--stake", "200", "--benchmark-seconds", "0.05"]


def wait_for(what: str, done: Callable[[], bool], daemons: list[Daemon], timeout: float = 120.0,
             every: float = 0.05) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if done():
            return
        for daemon in daemons:
            if daemon.process.poll() is not None:
                raise AssertionError(f"{daemon.name} exited with {daemon.process.returncode}:\n{daemon.tail()}")
        time.sleep(every)
    logs = "\n".join(f"--- {d.name}\n{d.tail(30)}" for d in daemons)
    raise AssertionError(f"not reached in {timeout:.0f} s: {what}\n{logs}")


def kill9(daemon: Daemon) -> None:
    os.kill(daemon.process.pid, signal.SIGKILL)
    daemon.process.wait()


def test_killed_worker_and_oracle_resume_and_the_task_settles_once(chain: Devnet, tmp_path: Path) -> None:
    spec = load_spec(TINY_SPEC)
    spec = spec.model_copy(update={"training": spec.training.model_copy(
        update={"steps": 3000, "checkpoint_interval": 500})})  # long enough to be killed between checkpoints
    first, second = chain.node_indices()[:2]
    daemons = [start_daemon(chain, "oracle", ORACLE, ["oracle", "run"], tmp_path),
               start_daemon(chain, "worker-a", first, WORKER_ARGS, tmp_path),
               start_daemon(chain, "worker-b", second, WORKER_ARGS, tmp_path / "b")]
    market = Market(chain.client(REQUESTER))
    try:
        registry = Registry(chain.client(REQUESTER))
        wait_for("both nodes staked", lambda: all(
            registry.node(chain.address(i)).staked >= 200 * NNT for i in (first, second)), daemons, every=0.3)
        task_id, _ = publish_task(chain.client(REQUESTER), LocalStore(chain.data_dir / "store"), spec,
                                  PublishOptions(budget=10**18, replication=2, collateral=10 * NNT,
                                                 apply_window=60, deadline=600))
        checkpoints = tmp_path / "worker" / chain.address(first).lower() / "tasks" / str(task_id) / "checkpoints"
        wait_for("worker-a's first checkpoint", lambda: any(checkpoints.glob("step-*.pt")), daemons)
        kill9(daemons[1])  # mid-training
        kill9(daemons[0])  # and the oracle mid-stream
        assert len(list(checkpoints.glob("step-*.pt"))) < 6, "training finished before the kill"
        daemons[0] = start_daemon(chain, "oracle", ORACLE, ["oracle", "run"], tmp_path)
        daemons[1] = start_daemon(chain, "worker-a", first, WORKER_ARGS, tmp_path)

        status = lambda: market.task(task_id).status  # noqa: E731
        wait_for("both results in", lambda: status() == TaskStatus.SUBMITTED, daemons, every=0.3)
        advance_time(chain, 61)  # past the challenge window
        wait_for("settled", lambda: status() == TaskStatus.SETTLED, daemons, every=0.3)
    finally:
        for daemon in daemons:
            daemon.stop()

    training_log = (checkpoints.parent / "sandbox.log").read_text()
    assert "resuming" in training_log  # the restarted worker went on from its checkpoint, not from step 0
    reference = train(spec, tmp_path / "uninterrupted", node=chain.address(first))
    # worker-a's snapshots are links of its own chain, as an uninterrupted run of that node makes it
    snapshot = market.latest_snapshot(task_id, chain.address(first))
    assert snapshot.step > 0
    assert {c.step: c.chain_head for c in reference.checkpoints}[snapshot.step] == snapshot.chain_head.hex()
    results = {market.result_of(task_id, chain.address(i)) for i in (first, second)}
    tag = agreement_tag(market.statement_key(task_id), reference.result_digest)  # zk agreement tags
    assert results == {tag.to_bytes(32, "big")}
    settled = market.contract.events.TaskSettled().get_logs(from_block=0, argument_filters={"taskId": task_id})
    assert len(settled) == 1
