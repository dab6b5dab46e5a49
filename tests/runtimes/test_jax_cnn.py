"""The `jax` runtime's cnn: torch's layout and pricing, spot-checks catching lazy, noisy and copied
submissions, the example. Determinism, resumption, replay and the sandbox: `test_conformance.py`."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import torch

pytest.importorskip("jax")

from nnc.runtimes import runtime_for  # noqa: E402
from nnc.runtimes.dispatch import train  # noqa: E402
from nnc.task import DATASET_SHAPES, ModelSpec, TaskSpec, load_spec, parse_spec  # noqa: E402
from nnc.task.cost import classifier_macs  # noqa: E402
from nnc.training import TrainingResult, build_model, model_digest  # noqa: E402
from nnc.training.data import load_data  # noqa: E402
from nnc.verification import verify_submission  # noqa: E402
from nnc.verification.adversaries import make  # noqa: E402
from tests.nodes import NODE  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def cnn_spec(threads: int = 1, **training: Any) -> TaskSpec:
    """A 30-step jax cnn on the digits, a checkpoint every 10 steps."""
    data = json.loads((ROOT / "examples" / "digits-cnn-jax.json").read_text())
    data["model"] = {"kind": "cnn", "channels": [4, 8]}
    data["training"].update({"steps": 30, "checkpoint_interval": 10, **training})
    data["determinism"]["threads"] = threads
    data["acceptance"]["threshold"] = 0.5
    return parse_spec(data)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(cnn_spec(), tmp_path_factory.mktemp("jax-cnn"), node=NODE)


def test_weights_are_the_torch_cnn_and_classify_alike(reference: TrainingResult) -> None:
    spec = cnn_spec()
    final = torch.load(reference.model_path, weights_only=True)
    assert list(final) == ["1.weight", "1.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    assert model_digest(final, spec.determinism.digest_decimals) == reference.result_digest
    assert isinstance(spec.model, ModelSpec)
    module = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
    module.load_state_dict(final)
    data = load_data(spec)
    with torch.no_grad():
        torch_accuracy = float((module(data.eval_x).argmax(1) == data.eval_y).float().mean())
    assert reference.metric > 0.5
    assert abs(torch_accuracy - reference.metric) <= 1.5 / len(data.eval_y)


def test_pricing_counts_the_torch_cnn(reference: TrainingResult) -> None:
    """The spec's MACs are the torch module's conv and linear MACs, and the jax model has its parameters."""
    spec = cnn_spec()
    assert isinstance(spec.model, ModelSpec)
    module = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
    macs = 0
    for layer in module:
        if isinstance(layer, torch.nn.Conv2d):
            macs += layer.weight.numel() * 8 * 8  # padding 1 keeps 8x8
        elif isinstance(layer, torch.nn.Linear):
            macs += layer.weight.numel()
    assert classifier_macs(spec.model, spec.dataset.name) == macs
    timing = runtime_for(spec).time_steps(spec, 2)
    assert timing.parameters == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("kind", ["lazy", "noisy", "copier"])
def test_spot_check_catches_a_dishonest_cnn(tmp_path: Path, kind: str) -> None:
    """The adversaries of `nnc.verification.adversaries`, forging jax cnn runs: a consistent chain from
    NODE's genesis that does not replay."""
    spec = cnn_spec()
    run = make(kind, spec, tmp_path, NODE, random.Random(5))
    report = verify_submission(spec, tmp_path, run.model_path, run.result_digest, node=NODE, seed=1, segments=3,
                               tolerance=1e-4)
    assert not report.passed and report.reason.startswith("segment"), report.reason


def test_example_spec_reaches_its_threshold(tmp_path: Path) -> None:
    spec = load_spec(ROOT / "examples" / "digits-cnn-jax.json")
    assert spec.framework == "jax" and isinstance(spec.model, ModelSpec) and spec.model.kind == "cnn"
    result = train(spec, tmp_path, node=NODE)
    assert result.accepted and result.metric >= spec.acceptance.threshold + 0.05
