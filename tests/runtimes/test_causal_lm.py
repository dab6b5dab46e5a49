"""The `transformers` and `peft` runtimes: a tiny GPT-2 over bytes, trained deterministically.

Models are built from configs in code; nothing is downloaded. Each training here is a 2-layer,
width-32 model for 40 steps (a second or two). Determinism, resumption, replay, the spot-check and
the sandbox of every runtime: `test_conformance.py`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from nnc.errors import TaskSpecError, TrainingError  # noqa: E402
from nnc.runtimes import runtime_for  # noqa: E402
from nnc.runtimes.causal_lm import CausalLMProgram  # noqa: E402
from nnc.runtimes.dispatch import evaluate, train  # noqa: E402
from nnc.task import TaskSpec, compute_units, load_spec, parse_spec  # noqa: E402
from nnc.training import (  # noqa: E402
    TrainingResult,
    deterministic_torch,
    model_digest,
)
from nnc.training.trainer import make_optimizer, train_step  # noqa: E402
from tests.nodes import NODE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRANSFORMERS_EXAMPLE = EXAMPLES / "text-generation-transformers.json"
PEFT_EXAMPLE = EXAMPLES / "text-lora-peft.json"


def small_spec(framework: str, **training: Any) -> TaskSpec:
    """The framework's example shrunk: width 32, 2 layers, context 32, 40 steps, checkpoints every 20."""
    data = json.loads((TRANSFORMERS_EXAMPLE if framework == "transformers" else PEFT_EXAMPLE).read_text())
    data["model"].update({"layers": 2, "width": 32, "heads": 2, "context": 32})
    data["training"].update({"steps": 40, "checkpoint_interval": 20, "batch_size": 8, **training})
    return parse_spec(data)


@pytest.fixture(scope="module", params=["transformers", "peft"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def reference(framework: str, tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(small_spec(framework), tmp_path_factory.mktemp(f"reference-{framework}"), node=NODE)


def test_model_file_is_the_committed_result(framework: str, reference: TrainingResult) -> None:
    spec = small_spec(framework)
    weights = torch.load(reference.model_path, weights_only=True)
    assert model_digest(weights, spec.determinism.digest_decimals) == reference.result_digest
    assert evaluate(spec, weights) == reference.metric


def test_it_learns(framework: str, reference: TrainingResult) -> None:
    spec = small_spec(framework)
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    untrained = runtime.evaluate(spec, runtime.replay(spec, None, 0, data), data)
    assert abs(untrained - math.log(256)) < 0.1  # a fresh model guesses bytes uniformly
    assert reference.metric < untrained
    if framework == "transformers":
        assert reference.metric < untrained - 1.0


def test_committed_weights(framework: str, reference: TrainingResult) -> None:
    weights = torch.load(reference.model_path, weights_only=True)
    if framework == "transformers":
        assert "transformer.wte.weight" in weights and "transformer.h.1.mlp.c_fc.weight" in weights
        assert not any("lora_" in key for key in weights)
    else:
        assert weights and all("lora_" in key for key in weights)
        assert "transformer.h.0.attn.c_attn.lora_A.weight" in weights
        base = CausalLMProgram(small_spec("transformers"))
        base_parameters = sum(p.numel() for p in base.build().parameters())
        assert sum(w.numel() for w in weights.values()) < base_parameters / 4


def test_lora_trains_only_the_adapters() -> None:
    spec = small_spec("peft")
    program = CausalLMProgram(spec)
    data = program.load_data(None)
    with deterministic_torch(1):
        torch.manual_seed(spec.training.seed)
        module = program.build()
        before = {key: value.clone() for key, value in module.state_dict().items()}
        trainable = program.trainable(module)
        assert trainable and len(trainable) == len(program.weights(module))
        optimizer = make_optimizer(spec, trainable)
        for step in range(1, 4):
            train_step(program, module, optimizer, data, torch.arange(8), step)
    after = module.state_dict()
    changed = {key for key in before if not torch.equal(before[key], after[key])}
    assert changed and all("lora_" in key for key in changed)
    assert any("lora_B" in key for key in changed)  # B starts at zero and moves


def test_weights_that_do_not_fit_are_refused(framework: str, reference: TrainingResult) -> None:
    spec = small_spec(framework)
    weights = torch.load(reference.model_path, weights_only=True)
    dropped = dict(weights)
    dropped.pop(sorted(weights)[0])
    with pytest.raises(TrainingError, match="do not fit"):
        evaluate(spec, dropped)
    extra = {**weights, "transformer.h.9.attn.c_attn.lora_A.weight": torch.zeros(2, 2)}
    with pytest.raises(TrainingError, match="do not fit"):
        evaluate(spec, extra)


def test_specs_are_checked() -> None:
    data = json.loads(PEFT_EXAMPLE.read_text())
    data["model"]["lora"]["targets"] = ["c_attn", "q_proj"]
    with pytest.raises(TaskSpecError, match=r"lora.targets \['q_proj'\] are not among"):
        parse_spec(data)
    data = json.loads(PEFT_EXAMPLE.read_text())
    data["framework"] = "transformers"
    with pytest.raises(TaskSpecError, match="cannot train a model.lora section"):
        parse_spec(data)
    data = json.loads(TRANSFORMERS_EXAMPLE.read_text())
    data["framework"] = "peft"
    with pytest.raises(TaskSpecError, match="needs a model.lora section"):
        parse_spec(data)


def test_examples_parse() -> None:
    plain, lora = load_spec(TRANSFORMERS_EXAMPLE), load_spec(PEFT_EXAMPLE)
    assert (plain.framework, lora.framework) == ("transformers", "peft")
    assert plain.acceptance.metric == lora.acceptance.metric == "eval_loss"
    assert compute_units(plain) > 0 and compute_units(lora) > 0


@pytest.mark.parametrize("framework", ["transformers", "peft"])
def test_compute_units_price_what_a_training_step_computes(framework: str) -> None:
    """The pricing formula against torch's own count of one optimisation step's matmul FLOPs
    (forward and backward): full training at 6 FLOPs per MAC, LoRA at 4 for the frozen base."""
    from torch.utils.flop_counter import FlopCounterMode

    spec = load_spec(PEFT_EXAMPLE if framework == "peft" else TRANSFORMERS_EXAMPLE)
    one_step = spec.model_copy(update={"training": spec.training.model_copy(update={"steps": 1,
                                                                                     "checkpoint_interval": 1})})
    program = CausalLMProgram(one_step)
    data = program.load_data(None)
    with deterministic_torch(1):
        torch.manual_seed(0)
        model = program.build()
        batch = torch.arange(one_step.training.batch_size) % data.n_train
        with FlopCounterMode(display=False) as counter:
            program.loss(model, data, batch, 1).backward()  # type: ignore[no-untyped-call]
    priced = compute_units(one_step) * 1_000_000
    assert 0.8 < priced / counter.get_total_flops() < 1.25
