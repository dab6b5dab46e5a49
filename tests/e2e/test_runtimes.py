"""Framework runtimes through the whole protocol: a node without a task's runtime never applies,
and a node with it trains, the oracle scores the result with the same runtime, and it settles.

Each non-torch runtime is exercised on a tiny spec: two replicas must agree on the digest (the
contract pays only a majority), which is what "a verifiable digest" means on chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nnc.chain.types import TaskStatus
from nnc.devnet import Devnet
from nnc.runtimes import installed_runtimes
from nnc.task import TaskSpec, parse_spec
from nnc.training.digest import model_digest
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e

_BASE = {"version": 1, "determinism": {"threads": 1, "digest_decimals": 6}}
TINY_SPECS: dict[str, dict[str, object]] = {
    "transformers": {
        "name": "tiny byte LM (tests)", "framework": "transformers",
        "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
        "training": {"seed": 3, "steps": 20, "batch_size": 8, "learning_rate": 0.005, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "eval_loss", "threshold": 5.0}},
    "rwkv": {
        "name": "tiny byte RWKV (tests)", "framework": "transformers",
        "model": {"kind": "rwkv", "layers": 2, "width": 16, "context": 16},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
        "training": {"seed": 3, "steps": 20, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "eval_loss", "threshold": 5.0}},
    "peft": {
        "name": "tiny byte LM LoRA (tests)", "framework": "peft",
        "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16,
                  "lora": {"rank": 4, "alpha": 8.0, "targets": ["c_attn"]}},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
        "training": {"seed": 3, "steps": 20, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "eval_loss", "threshold": 6.0}},
    "jax": {
        "name": "tiny digits MLP in JAX (tests)", "framework": "jax",
        "model": {"kind": "mlp", "hidden": [16]},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 7, "steps": 40, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 20},
        "acceptance": {"metric": "accuracy", "threshold": 0.3}},
    "jax-cnn": {
        "name": "tiny digits CNN in JAX (tests)", "framework": "jax",
        "model": {"kind": "cnn", "channels": [4]},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 7, "steps": 20, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "accuracy", "threshold": 0.3}},
    "diffusers": {
        "name": "tiny digit UNet LoRA (tests)", "framework": "diffusers",
        "model": {"kind": "unet", "channels": [8, 16], "timesteps": 50,
                  "lora": {"rank": 4, "alpha": 4.0, "targets": ["to_q", "to_k", "to_v"]}},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.1},
        "training": {"seed": 5, "steps": 10, "batch_size": 16, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 5},
        "acceptance": {"metric": "eval_loss", "threshold": 5.0}},
}


def tiny_spec(framework: str) -> TaskSpec:
    return parse_spec({**_BASE, **TINY_SPECS[framework]})


def test_a_node_without_the_runtime_never_applies(chain: Devnet, tmp_path: Path) -> None:
    framework = next(name for name in installed_runtimes() if name != "torch")
    net = make_network(chain, tmp_path, chain.node_indices()[:2], runtimes=[["torch"], None])
    task_id = net.publish(tiny_spec(framework), replication=1)
    net.settle(task_id)
    torch_only, full = net.workers
    record = torch_only.state.tasks[task_id]
    assert record.phase.value == "skipped" and f"framework {framework!r} is not among" in record.reason
    assert net.market().applicants(task_id) == [full.node]
    assert net.market().assignees(task_id) == [full.node]


@pytest.mark.parametrize("name", ["transformers", "rwkv", "peft", "jax", "jax-cnn", "diffusers"])
def test_each_runtime_settles_with_agreeing_replicas(chain: Devnet, tmp_path: Path, name: str) -> None:
    framework = tiny_spec(name).framework  # a TINY_SPECS key is a framework or a model kind of one
    if framework not in installed_runtimes():
        pytest.fail(f"runtime {framework} is not installed: `make setup` installs the runtimes extra")
    net = make_network(chain, tmp_path, chain.node_indices()[:2], runtimes=[[framework], [framework]])
    task_id = net.publish(tiny_spec(name), replication=2)
    net.settle(task_id)
    assert net.status(task_id) == TaskStatus.SETTLED
    digests = {worker.state.tasks[task_id].result_digest for worker in net.workers}
    assert len(digests) == 1, "replicas disagree"
    for worker in net.workers:  # what each node committed is the digest of the model it trained
        weights = torch.load(worker.workdir(task_id) / "model.pt", weights_only=True)
        assert "0x" + model_digest(weights, 6).hex() == worker.state.tasks[task_id].result_digest
    spec = tiny_spec(name)
    task = net.market().task(task_id)
    assert 0 < task.quality_score <= 10_000  # the oracle evaluated the model with the framework's runtime
    if spec.acceptance.metric == "eval_loss":  # quality = threshold / loss, capped
        assert task.quality_score == 10_000 or task.quality_score < 10_000 * spec.acceptance.threshold
