"""The diffusers runtime: a class-conditional DDPM (full or LoRA) trained deterministically,
scored by eval noise-prediction loss, sampling images; and the UNet pricing formula."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from nnc.errors import TrainingError
from nnc.runtimes.dispatch import evaluate, replay, train
from nnc.task import TaskSpec, load_spec, parse_spec
from nnc.task.cost import unet_macs
from nnc.training import TrainingResult, load_checkpoint, model_digest

pytest.importorskip("diffusers")
pytest.importorskip("peft")

from nnc.runtimes.diffusion import DiffusionProgram, generate  # noqa: E402
from tests.nodes import NODE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "image-generation-lora-diffusers.json"
LORA = {"rank": 2, "alpha": 4.0, "targets": ["to_q", "to_k", "to_v", "to_out.0"]}


def diffusion_spec(channels: list[int] | None = None, lora: dict[str, Any] | None = None, steps: int = 40,
                   interval: int = 20, learning_rate: float = 3e-3, seed: int = 3) -> TaskSpec:
    model: dict[str, Any] = {"kind": "unet", "channels": channels or [16, 32], "timesteps": 50}
    if lora is not None:
        model["lora"] = lora
    return parse_spec({
        "version": 1, "name": "tiny-ddpm", "framework": "diffusers", "model": model,
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.1},
        "training": {"seed": seed, "steps": steps, "batch_size": 16, "learning_rate": learning_rate,
                     "optimizer": "adam", "checkpoint_interval": interval},
        "acceptance": {"metric": "eval_loss", "threshold": 0.9},
        "determinism": {"threads": 1, "digest_decimals": 6},
    })


def lora_spec() -> TaskSpec:
    return diffusion_spec(channels=[16], lora=LORA, steps=30, interval=10, learning_rate=1e-2)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(diffusion_spec(), tmp_path_factory.mktemp("full"), node=NODE)


@pytest.fixture(scope="module")
def lora_reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(lora_spec(), tmp_path_factory.mktemp("lora"), node=NODE)


def untrained_metric(spec: TaskSpec) -> float:
    return evaluate(spec, replay(spec, None, 0))


def test_model_file_digest_and_metric(reference: TrainingResult) -> None:
    spec = diffusion_spec()
    weights = torch.load(reference.model_path, weights_only=True)
    assert model_digest(weights, spec.determinism.digest_decimals) == reference.result_digest
    assert evaluate(spec, weights) == reference.metric
    assert [c.step for c in reference.checkpoints] == [20, 40]


def test_training_lowers_the_eval_loss(reference: TrainingResult) -> None:
    before = untrained_metric(diffusion_spec())
    assert reference.metric < 0.8 * before
    assert reference.accepted == (reference.metric <= 0.9)


def test_lora_trains_only_adapters(lora_reference: TrainingResult, reference: TrainingResult) -> None:
    spec = lora_spec()
    weights = torch.load(lora_reference.model_path, weights_only=True)
    assert weights and all("lora_A" in name or "lora_B" in name for name in weights)
    full = DiffusionProgram(diffusion_spec(channels=[16])).build()
    assert sum(t.numel() for t in weights.values()) < sum(p.numel() for p in full.parameters()) / 10
    assert model_digest(weights, spec.determinism.digest_decimals) == lora_reference.result_digest
    assert evaluate(spec, weights) == lora_reference.metric
    assert lora_reference.metric < untrained_metric(spec)


def test_lora_replay_and_rerun_agree(lora_reference: TrainingResult, tmp_path: Path) -> None:
    spec = lora_spec()
    decimals = spec.determinism.digest_decimals
    checkpoint = load_checkpoint(lora_reference.checkpoints[0].path)
    assert sorted(checkpoint.model) == sorted(torch.load(lora_reference.model_path, weights_only=True))
    assert model_digest(replay(spec, None, 10), decimals) == model_digest(checkpoint.model, decimals)
    again = train(spec, tmp_path, node=NODE)
    assert (again.result_digest, again.chain_head) == (lora_reference.result_digest, lora_reference.chain_head)


def test_weights_that_do_not_fit_are_refused(reference: TrainingResult, lora_reference: TrainingResult) -> None:
    full = torch.load(reference.model_path, weights_only=True)
    adapters = torch.load(lora_reference.model_path, weights_only=True)
    with pytest.raises(TrainingError):
        evaluate(lora_spec(), full)
    with pytest.raises(TrainingError):
        evaluate(diffusion_spec(), adapters)
    with pytest.raises(TrainingError):
        evaluate(lora_spec(), {name: tensor[:1] for name, tensor in adapters.items()})


def test_generate_samples_images(lora_reference: TrainingResult) -> None:
    spec = lora_spec()
    weights = torch.load(lora_reference.model_path, weights_only=True)
    images = generate(spec, weights, [0, 1, 7], steps=10)
    assert images.shape == (3, 1, 8, 8)
    assert images.dtype == torch.float32
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    assert torch.equal(images, generate(spec, weights, [0, 1, 7], steps=10))
    assert not torch.equal(images, generate(spec, weights, [0, 1, 7], steps=10, seed=1))
    with pytest.raises(ValueError):
        generate(spec, weights, [10], steps=2)


def _cpu_sdpa(query: Any, key: Any, value: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    return sdpa_flop_count(query, key, value)


@pytest.mark.parametrize(("channels", "lora"), [([16], None), ([16, 32], None), ([16, 32, 32], None),
                                                ([16, 32], LORA)])
def test_unet_macs_matches_a_measured_forward_pass(channels: list[int], lora: dict[str, Any] | None) -> None:
    spec = diffusion_spec(channels=channels, lora=lora)
    module = DiffusionProgram(spec).build().eval()
    # FlopCounterMode has no formula for the CPU attention kernel: count it as its GPU siblings
    counter = FlopCounterMode(display=False, custom_mapping={
        torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_sdpa})
    with counter, torch.no_grad():
        module(torch.zeros(1, 1, 8, 8), torch.tensor([7]), class_labels=torch.tensor([3]))
    measured = counter.get_total_flops() / 2
    predicted = unet_macs(spec.model, spec.dataset.name)  # type: ignore[arg-type]
    assert 0.75 <= predicted / measured <= 1.25, (channels, predicted, measured)


def test_example_is_a_lora_diffusion_spec() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.framework == "diffusers" and spec.model.kind == "unet"
    assert getattr(spec.model, "lora", None) is not None
    assert spec.acceptance.metric == "eval_loss"
