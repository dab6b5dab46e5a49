"""GPU tasks without a GPU: the spec's device, device selection, the mode rules at publish, spot-check
enabling and a node's intake, and that the device code path leaves digests and checkpoints as the
CPU path made them. The CUDA runs themselves are bench/gpu.py's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from nnc.errors import TaskSpecError, TrainingError
from nnc.node.determinism import check_determinism, suggested_tolerance
from nnc.paths import REPO_ROOT
from nnc.runtimes.dispatch import replay, train
from nnc.task import TaskSpec, canonical_json, parse_spec, spec_digest
from nnc.task.execution import (
    GPU_MIN_TOLERANCE,
    check_publish,
    check_spot_check_tolerance,
    mode_problem,
    node_refusal,
    resolve_device,
)
from nnc.training import load_checkpoint
from nnc.training.checkpoints import list_checkpoints
from nnc.training.device import on_cpu, to_device
from nnc.training.digest import model_digest

H100 = "NVIDIA H100 80GB HBM3"
NODE = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"


def document(**execution: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO_ROOT / "examples" / "digits-mlp.json").read_text())
    data["training"].update(steps=20, checkpoint_interval=10)
    if execution:
        data["execution"] = execution
    return data


def spec_with(**execution: Any) -> TaskSpec:
    return parse_spec(document(**execution))


def test_a_spec_without_execution_keeps_its_canonical_form_and_digest() -> None:
    for path in sorted((REPO_ROOT / "examples").glob("*.json")):
        spec = parse_spec(path.read_bytes())
        assert spec.execution is None and spec.device == "cpu"
        assert b"execution" not in canonical_json(spec)
    plain = spec_with()
    assert canonical_json(plain) == canonical_json(parse_spec(json.loads(canonical_json(plain))))
    assert spec_digest(spec_with(device="cuda")) != spec_digest(plain)


def test_execution_section_is_validated() -> None:
    assert spec_with(device="auto").device == "auto"
    assert spec_with(device="cuda", device_model=H100).execution.device_model == H100  # type: ignore[union-attr]
    with pytest.raises(TaskSpecError, match=r"execution\.device: Input should be 'auto', 'cpu' or 'cuda'"):
        spec_with(device="tpu")
    with pytest.raises(TaskSpecError, match="device_model names a GPU"):
        spec_with(device="cpu", device_model=H100)
    jax = json.loads((REPO_ROOT / "examples" / "digits-mlp-jax.json").read_text())
    jax["execution"] = {"device": "cuda"}
    with pytest.raises(TaskSpecError, match="framework 'jax' trains on the CPU only"):
        parse_spec(jax)


@pytest.mark.parametrize(("device", "cuda", "replay", "expected"), [
    ("cpu", True, False, "cpu"), ("auto", False, False, "cpu"), ("auto", True, False, "cuda"),
    ("cuda", True, False, "cuda"), ("cuda", False, True, "cpu"),
])
def test_resolve_device(device: str, cuda: bool, replay: bool, expected: str) -> None:
    assert resolve_device(spec_with(device=device), cuda, replay=replay) == expected


def test_training_a_cuda_task_without_cuda_fails_naming_the_device() -> None:
    with pytest.raises(TrainingError, match="trains on CUDA .* no CUDA device"):
        resolve_device(spec_with(device="cuda"), False)


def test_replicate_mode_needs_the_gpu_model_pinned() -> None:
    auto = spec_with(device="auto")
    assert mode_problem(spec_with(), 3) is None and mode_problem(auto, 1) is None
    assert mode_problem(spec_with(device="auto", device_model=H100), 3) is None
    with pytest.raises(TaskSpecError, match="replicate mode .* execution.device_model .* replication 1"):
        check_publish(auto, 2)


def test_spot_check_tolerance_of_a_gpu_task_has_a_floor() -> None:
    check_spot_check_tolerance(spec_with(), 0.0)
    check_spot_check_tolerance(spec_with(device="cuda"), GPU_MIN_TOLERANCE)
    with pytest.raises(TaskSpecError, match="tolerance of at least 0.001 .* not 0.0001"):
        check_spot_check_tolerance(spec_with(device="auto"), 1e-4)
    assert suggested_tolerance(spec_with(device="auto"), 0.016) == pytest.approx(0.16)
    assert suggested_tolerance(spec_with(), 0.0) == 1e-4


def test_node_refusal_in_matching() -> None:
    pinned = spec_with(device="cuda", device_model=H100)
    assert node_refusal(pinned, 2, [H100]) is None
    assert "trains on a NVIDIA H100 80GB HBM3 (execution.device_model); this node has NVIDIA A100" in str(
        node_refusal(pinned, 2, ["NVIDIA A100"]))
    assert "this node has no GPU" in str(node_refusal(pinned, 1, []))
    assert "this node has no GPU" in str(node_refusal(spec_with(device="cuda"), 1, []))
    assert node_refusal(spec_with(device="auto"), 1, []) is None  # trains on its CPU
    assert "replicate mode" in str(node_refusal(spec_with(device="auto"), 2, [H100]))
    assert node_refusal(spec_with(), 4, []) is None


def test_the_device_code_path_gives_the_cpu_digest(tmp_path: Path) -> None:
    """`auto` on a machine without CUDA trains through the device code path: the same weights,
    so the same model digest, as a spec without the section (the chains differ with the spec)."""
    plain = train(spec_with(), tmp_path / "plain", node=NODE)
    auto_spec = spec_with(device="auto")
    auto = train(auto_spec, tmp_path / "auto", node=NODE)
    assert auto.result_digest == plain.result_digest
    assert auto.chain_head != plain.chain_head
    state = load_checkpoint(list_checkpoints(tmp_path / "auto")[0][1])
    assert all(t.device.type == "cpu" for t in state.model.values())
    assert model_digest(replay(auto_spec, state, 20), 6) == auto.result_digest


def test_replay_does_not_change_its_start_checkpoint(tmp_path: Path) -> None:
    spec = spec_with()
    train(spec, tmp_path, node=NODE)
    start = load_checkpoint(list_checkpoints(tmp_path)[0][1])
    first = replay(spec, start, 20)
    second = replay(spec, start, 20)
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_data_and_state_placement_helpers() -> None:
    nested = {"state": {0: {"exp_avg": torch.ones(2)}}, "param_groups": [{"lr": 0.1}]}
    assert on_cpu(nested)["state"][0]["exp_avg"].device.type == "cpu"
    assert on_cpu(nested)["param_groups"] == [{"lr": 0.1}]
    data = object()
    assert to_device(data, torch.device("cpu")) is data


def test_dry_run_determinism_check() -> None:
    check = check_determinism(spec_with(device="auto"), replication=2)
    assert check.reproducible and check.steps == 10 and check.device == "cpu"
    assert check.digests[0] == check.digests[1] and check.distance == 0.0 and check.cpu_cuda_distance is None
    assert check.warning is not None and "replicate mode" in check.warning
    assert check_determinism(spec_with(), replication=2).warning is None
