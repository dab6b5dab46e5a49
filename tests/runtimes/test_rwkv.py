"""The `rwkv` model kind of the `transformers` runtime: a tiny RWKV over bytes, trained
deterministically on the bundled text and scored by the causal-LM eval loss.

Built from a config in code; nothing is downloaded. Each training here is a 2-layer, width-16
model, context 16, for 20 steps (a second or two). Determinism, resumption, replay, the spot-check
and the sandbox of every runtime: `test_conformance.py`.
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

from nnc.errors import TaskSpecError  # noqa: E402
from nnc.runtimes import runtime_for  # noqa: E402
from nnc.runtimes.dispatch import evaluate, train  # noqa: E402
from nnc.runtimes.rwkv_lm import RwkvLMProgram  # noqa: E402
from nnc.task import TaskSpec, compute_units, load_spec, parse_spec  # noqa: E402
from nnc.task.cost import parameter_count  # noqa: E402
from nnc.training import TrainingResult, deterministic_torch, model_digest  # noqa: E402
from tests.nodes import NODE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "text-generation-rwkv.json"


def small_spec(**training: Any) -> TaskSpec:
    """The example shrunk: width 16, 2 layers, context 16, 20 steps, checkpoints every 10."""
    data = json.loads(EXAMPLE.read_text())
    data["model"].update({"layers": 2, "width": 16, "context": 16})
    data["training"].update({"steps": 20, "checkpoint_interval": 10, "batch_size": 8, "learning_rate": 0.01,
                             **training})
    return parse_spec(data)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(small_spec(), tmp_path_factory.mktemp("reference-rwkv"), node=NODE)


def test_model_file_is_the_committed_result_of_an_rwkv(reference: TrainingResult) -> None:
    spec = small_spec()
    weights = torch.load(reference.model_path, weights_only=True)
    assert model_digest(weights, spec.determinism.digest_decimals) == reference.result_digest
    assert "rwkv.blocks.0.attention.time_decay" in weights and "head.weight" in weights
    assert not any(key.startswith("transformer.") for key in weights)  # not the GPT-2
    assert sum(w.numel() for w in weights.values()) == parameter_count(spec)
    assert evaluate(spec, weights) == reference.metric


def test_it_learns(reference: TrainingResult) -> None:
    spec = small_spec()
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    untrained = runtime.evaluate(spec, runtime.replay(spec, None, 0, data), data)
    assert abs(untrained - math.log(256)) < 0.1  # a fresh model guesses bytes uniformly
    assert reference.metric < untrained - 1.0


def test_specs_are_checked() -> None:
    data = json.loads(EXAMPLE.read_text())
    data["model"]["layers"] = 1
    with pytest.raises(TaskSpecError, match="layers"):
        parse_spec(data)
    data = json.loads(EXAMPLE.read_text())
    data["model"]["heads"] = 4
    with pytest.raises(TaskSpecError, match="heads"):
        parse_spec(data)
    data = json.loads(EXAMPLE.read_text())
    data["model"]["lora"] = {"rank": 4, "alpha": 8.0, "targets": ["c_attn"]}
    with pytest.raises(TaskSpecError, match="lora"):
        parse_spec(data)
    data = json.loads(EXAMPLE.read_text())
    data["framework"] = "peft"
    with pytest.raises(TaskSpecError):
        parse_spec(data)


def test_the_example_trains_to_its_acceptance(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    assert (spec.framework, spec.model.kind, spec.acceptance.metric) == ("transformers", "rwkv", "eval_loss")
    result = train(spec, tmp_path, node=NODE)
    assert result.accepted, f"eval_loss {result.metric} misses {spec.acceptance.threshold}"


def test_compute_units_price_what_a_training_step_computes() -> None:
    """The pricing formula against torch's own count of one optimisation step's matmul FLOPs
    (forward and backward, 6 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode

    spec = load_spec(EXAMPLE)
    one_step = spec.model_copy(update={"training": spec.training.model_copy(update={"steps": 1,
                                                                                     "checkpoint_interval": 1})})
    program = RwkvLMProgram(one_step)
    data = program.load_data(None)
    with deterministic_torch(1):
        torch.manual_seed(0)
        model = program.build()
        batch = torch.arange(one_step.training.batch_size) % data.n_train
        with FlopCounterMode(display=False) as counter:
            program.loss(model, data, batch, 1).backward()  # type: ignore[no-untyped-call]
    priced = compute_units(one_step) * 1_000_000
    assert 0.999 < priced / counter.get_total_flops() < 1.001  # torch counts the matmuls, as rwkv_macs does


def test_an_rwkv_generates_alike_batched_alone_and_through_model_run(reference: TrainingResult,
                                                                   tmp_path: Path) -> None:
    """An RWKV has no attention mask to hide left padding behind: an inference task runs its
    prompts by length, unpadded, and each prompt's draws equal `nnc model run`'s for it alone."""
    import numpy as np
    from safetensors.torch import save_file

    from nnc.inference import read_outputs, run_inference
    from nnc.inference.generation import prompt_tensor
    from nnc.inference.sampling import Sampling, sample
    from nnc.library.run import generate, load_model
    from nnc.storage import sha256_file
    from nnc.training.program_package import ProgramFiles

    spec = small_spec()
    weights = torch.load(reference.model_path, weights_only=True)
    module = load_model(spec, weights)
    stored = tmp_path / "rwkv.safetensors"
    save_file({k: v.contiguous() for k, v in weights.items()}, str(stored))
    corpus = tmp_path / "prompts.txt"
    corpus.write_bytes(b"a\nover it\nxy\nthe quick\n")  # left-padded to 10 in one batch
    document = {**json.loads(EXAMPLE.read_text()), "model": spec.model.model_dump()}
    document.pop("training"), document.pop("acceptance")
    document.update({
        "dataset": {"name": "tiny-text", "eval_fraction": 0.2, "uri": "local://prompts"},
        "init": {"uri": "local://rwkv", "format": "safetensors", "digest": sha256_file(stored)},
        "inference": {"inputs": 4, "batch_size": 4, "shard_size": 4, "outputs": "tokens", "max_new_tokens": 6,
                      "sampling": {"temperature": 1.0, "seed": 0}}})
    task = parse_spec(document)
    ran = run_inference(task, tmp_path / "run", dataset_file=corpus, files=ProgramFiles(init=stored))
    tokens = np.concatenate(read_outputs(ran.outputs_path, task.inference))  # type: ignore[arg-type]
    chosen = Sampling(1.0, None, 0)
    for row, prompt in enumerate(prompt_tensor(task, corpus)):
        alone = prompt[prompt >= 0].tolist()
        assert sample(module, alone, 16, 6, chosen) == tokens[row].tolist()
    text = generate(module, spec, b"the ", 6, temperature=1.0, seed=0)
    assert len(text) == 6 and text == bytes(sample(module, list(b"the "), 16, 6, chosen))
