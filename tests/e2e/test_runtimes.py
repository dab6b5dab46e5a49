"""Framework runtimes through the whole protocol: a node without a task's runtime never applies,
and a node with it trains, the oracle scores the result with the same runtime, and it settles.

Each non-torch runtime is exercised on its tiny spec (`tests/runtimes/cases.py`): two replicas
must agree on the digest (the contract pays only a majority), which is what "a verifiable digest"
means on chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnc.chain.types import TaskStatus
from nnc.devnet import Devnet
from nnc.runtimes import installed_runtimes
from nnc.runtimes.dispatch import evaluate
from nnc.training.digest import model_digest
from tests.e2e.harness import make_network
from tests.runtimes.cases import CASES, case_spec

pytestmark = pytest.mark.e2e


def test_a_node_without_the_runtime_never_applies(chain: Devnet, tmp_path: Path) -> None:
    framework = next(name for name in installed_runtimes() if name != "torch")
    net = make_network(chain, tmp_path, chain.node_indices()[:2], runtimes=[["torch"], None])
    task_id = net.publish(case_spec(framework), replication=1)
    net.settle(task_id)
    torch_only, full = net.workers
    record = torch_only.state.tasks[task_id]
    assert record.phase.value == "skipped" and f"framework {framework!r} is not among" in record.reason
    assert net.market().applicants(task_id) == [full.node]
    assert net.market().assignees(task_id) == [full.node]


@pytest.mark.parametrize("name", sorted(name for name in CASES if name != "torch"))
def test_each_runtime_settles_with_agreeing_replicas(chain: Devnet, tmp_path: Path, name: str) -> None:
    framework = case_spec(name).framework  # a case is a framework or a model kind of one
    if framework not in installed_runtimes():
        pytest.fail(f"runtime {framework} is not installed: `make setup` installs the runtimes extra")
    net = make_network(chain, tmp_path, chain.node_indices()[:2], runtimes=[[framework], [framework]])
    task_id = net.publish(case_spec(name), replication=2)
    net.settle(task_id)
    assert net.status(task_id) == TaskStatus.SETTLED
    digests = {worker.state.tasks[task_id].result_digest for worker in net.workers}
    assert len(digests) == 1, "replicas disagree"
    for worker in net.workers:  # what each node committed is the digest of the model it trained
        weights = torch.load(worker.workdir(task_id) / "model.pt", weights_only=True)
        assert "0x" + model_digest(weights, 6).hex() == worker.state.tasks[task_id].result_digest
    spec = case_spec(name)
    task = net.market().task(task_id)
    assert 0 < task.quality_score <= 10_000  # the oracle evaluated the model with the framework's runtime
    if spec.acceptance.metric in ("eval_loss", "eval_wer"):  # quality = threshold / loss (or WER), capped
        assert task.quality_score == 10_000 or task.quality_score < 10_000 * spec.acceptance.threshold
    if spec.acceptance.metric == "tar_at_far":  # quality = the true-accept rate itself, as for accuracy
        assert task.quality_score == round(10_000 * evaluate(spec, weights))
