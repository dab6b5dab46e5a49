"""The `jax` runtime: torch-shaped weights, optimizer state in checkpoints, spot-checks of copied
runs, its thread flag. Determinism, resumption, replay and the sandbox: `test_conformance.py`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

pytest.importorskip("jax")

from nnc.errors import TaskSpecError, TrainingError  # noqa: E402
from nnc.runtimes import runtime_for  # noqa: E402
from nnc.runtimes.dispatch import evaluate, train  # noqa: E402
from nnc.task import DATASET_SHAPES, ModelSpec, TaskSpec, load_spec, parse_spec, spec_digest  # noqa: E402
from nnc.training import (  # noqa: E402
    TrainingResult,
    build_model,
    load_checkpoint,
    model_digest,
)
from nnc.training.checkpoints import checkpoint_path, next_link, save_checkpoint  # noqa: E402
from nnc.training.data import load_data  # noqa: E402
from nnc.training.digest import chain_genesis  # noqa: E402
from nnc.verification import verify_submission  # noqa: E402
from tests.nodes import NODE, OTHER_NODE  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def jax_spec(model: dict[str, Any] | None = None, **training: Any) -> TaskSpec:
    """A 60-step jax variant of the torch example with a checkpoint every 20 steps."""
    data = json.loads((ROOT / "examples" / "digits-mlp.json").read_text())
    data["framework"] = "jax"
    data["model"] = model or {"kind": "mlp", "hidden": [32]}
    data["training"].update({"steps": 60, "checkpoint_interval": 20, **training})
    return parse_spec(data)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(jax_spec(), tmp_path_factory.mktemp("jax-reference"), node=NODE)


def test_model_file_is_a_torch_state_dict_of_the_digest(reference: TrainingResult) -> None:
    spec = jax_spec()
    final = torch.load(reference.model_path, weights_only=True)
    assert list(final) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model_digest(final, spec.determinism.digest_decimals) == reference.result_digest
    assert isinstance(spec.model, ModelSpec)
    torch_model = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
    assert {k: v.shape for k, v in torch_model.state_dict().items()} == {k: v.shape for k, v in final.items()}
    assert all(v.dtype == torch.float32 for v in final.values())
    # the same weights in the torch module classify (almost) the same: the layout is torch's
    torch_model.load_state_dict(final)
    data = load_data(spec)
    with torch.no_grad():
        torch_accuracy = float((torch_model(data.eval_x).argmax(1) == data.eval_y).float().mean())
    assert abs(torch_accuracy - reference.metric) <= 1.5 / len(data.eval_y)


def test_training_learns_and_acceptance_follows_the_threshold(reference: TrainingResult) -> None:
    spec = jax_spec()
    assert reference.metric > 0.6  # ten classes: chance is 0.1
    assert reference.accepted == (reference.metric >= spec.acceptance.threshold)
    assert 0.0 < reference.final_loss < 2.3  # below log(10) at the start
    assert evaluate(spec, torch.load(reference.model_path, weights_only=True)) == reference.metric


def test_optimizer_state_is_checkpointed(reference: TrainingResult) -> None:
    state = load_checkpoint(reference.checkpoints[0].path)
    assert int(state.optimizer["t"]) == 20
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert set(state.optimizer) == {"t", *(f"m.{n}" for n in names), *(f"v.{n}" for n in names)}
    assert all(state.optimizer[f"v.{n}"].shape == state.model[n].shape for n in names)


def test_progress_is_reported_and_a_finished_run_trains_nothing(reference: TrainingResult, tmp_path: Path) -> None:
    progress: list[int] = []
    train(jax_spec(), tmp_path, node=NODE, on_progress=lambda step, loss: progress.append(step))
    assert progress == [10, 20, 30, 40, 50, 60]
    again: list[int] = []
    second = train(jax_spec(), tmp_path, node=NODE, on_progress=lambda step, loss: again.append(step))
    assert again == [] and second.resumed_from == 60 and second.result_digest == reference.result_digest


def test_spot_check_fails_a_copied_run(reference: TrainingResult, tmp_path: Path) -> None:
    """Checkpoints of another node's run with another seed, re-chained from this node's genesis for this spec:
    consistent, but they do not replay."""
    spec = jax_spec()
    source = train(jax_spec(seed=43), tmp_path / "other", node=OTHER_NODE)
    genesis, decimals = chain_genesis(spec, NODE), spec.determinism.digest_decimals
    head, history = genesis, []
    for link in source.checkpoints:
        state = load_checkpoint(link.path)
        copied = next_link(head, checkpoint_path(tmp_path, link.step), link.step, link.loss, state.model, decimals)
        history.append(copied)
        save_checkpoint(copied, spec_digest(spec), state.model, state.optimizer, history, node=NODE)
        head = bytes.fromhex(copied.chain_head)
    model_path = tmp_path / "model.pt"
    shutil.copy(source.model_path, model_path)
    report = verify_submission(spec, tmp_path, model_path, source.result_digest, node=NODE, seed=3, segments=1,
                               tolerance=1e-4)
    assert not report.passed and report.reason.startswith("segment 40->60: distance"), report.reason


def test_sgd_trains_deterministically(tmp_path: Path) -> None:
    spec = jax_spec(optimizer="sgd", learning_rate=0.5)
    first = train(spec, tmp_path / "a", node=NODE)
    second = train(spec, tmp_path / "b", node=NODE)
    assert first.result_digest == second.result_digest and first.metric > 0.3
    assert set(load_checkpoint(first.checkpoints[0].path).optimizer) == {"t"}


def test_a_different_seed_gives_a_different_model(reference: TrainingResult, tmp_path: Path) -> None:
    assert train(jax_spec(seed=2**40 + 42), tmp_path, node=NODE).result_digest != reference.result_digest


def test_weights_of_another_shape_are_refused(reference: TrainingResult) -> None:
    spec = jax_spec(model={"kind": "mlp", "hidden": [16]})
    with pytest.raises(TrainingError, match="does not fit"):
        evaluate(spec, torch.load(reference.model_path, weights_only=True))


def test_time_steps_counts_the_parameters() -> None:
    timing = runtime_for(jax_spec()).time_steps(jax_spec(), 5)
    assert timing.steps == 5 and timing.seconds_per_step > 0
    assert timing.parameters == 64 * 32 + 32 + 32 * 10 + 10


def test_a_unet_is_refused_for_jax() -> None:
    with pytest.raises(TaskSpecError, match="framework 'jax' needs model.kind 'cnn' or 'mlp'"):
        jax_spec(model={"kind": "unet", "channels": [8, 16], "timesteps": 50})


def test_single_thread_flag_is_set_for_the_backend_start_only() -> None:
    """In a fresh process: the flag is in XLA_FLAGS while jax starts, the caller's value afterwards;
    the first start decides the mode."""
    code = (
        "import os; os.environ['XLA_FLAGS'] = '--xla_cpu_enable_fast_math=false'\n"
        "from jax._src import xla_bridge\n"
        "from nnc.runtimes import jax_backend\n"
        "seen = []\n"
        "original = xla_bridge.backends\n"
        "def spy(): seen.append(os.environ.get('XLA_FLAGS')); return original()\n"
        "xla_bridge.backends = spy\n"
        "print(jax_backend.start_backend(1)); print(seen[0]); print(os.environ['XLA_FLAGS'])\n"
        "print(jax_backend.start_backend(4))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.splitlines() == ["single-threaded",
                                       "--xla_cpu_enable_fast_math=false --xla_cpu_multi_thread_eigen=false",
                                       "--xla_cpu_enable_fast_math=false", "single-threaded"]
    assert "asks for 4 thread(s)" in out.stderr


def test_example_spec_reaches_its_threshold(tmp_path: Path) -> None:
    spec = load_spec(ROOT / "examples" / "digits-mlp-jax.json")
    assert spec.framework == "jax"
    result = train(spec, tmp_path, node=NODE)
    assert result.accepted and result.metric >= spec.acceptance.threshold + 0.05
