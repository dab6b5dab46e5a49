"""The `rwkv` model kind of the `transformers` runtime: a tiny RWKV over bytes, trained
deterministically on the bundled text and scored by the causal-LM eval loss.

Built from a config in code; nothing is downloaded. Each training here is a 2-layer, width-16
model, context 16, for 20 steps (a second or two).
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

from nnc.errors import TaskSpecError, TrainingError  # noqa: E402
from nnc.runtimes import runtime_for  # noqa: E402
from nnc.runtimes.dispatch import evaluate, train  # noqa: E402
from nnc.runtimes.rwkv_lm import RwkvLMProgram  # noqa: E402
from nnc.task import TaskSpec, compute_units, load_spec, parse_spec  # noqa: E402
from nnc.task.cost import parameter_count  # noqa: E402
from nnc.training import Checkpoint, TrainingResult, deterministic_torch, load_checkpoint, model_digest  # noqa: E402
from tests.nodes import NODE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "text-generation-rwkv.json"


def small_spec(**training: Any) -> TaskSpec:
    """The example shrunk: width 16, 2 layers, context 16, 20 steps, checkpoints every 10."""
    data = json.loads(EXAMPLE.read_text())
    data["model"].update({"layers": 2, "width": 16, "context": 16})
    data["training"].update({"steps": 20, "checkpoint_interval": 10, "batch_size": 8, "learning_rate": 0.01,
                             **training})
    return parse_spec(data)


class Interrupted(Exception):
    """Raised from a checkpoint callback to stop training as a crash would."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(small_spec(), tmp_path_factory.mktemp("reference-rwkv"), node=NODE)


def heads(result: TrainingResult) -> list[tuple[int, float, str, str]]:
    return [(c.step, c.loss, c.weights_digest, c.chain_head) for c in result.checkpoints]


def test_two_runs_agree(reference: TrainingResult, tmp_path: Path) -> None:
    again = train(small_spec(), tmp_path, node=NODE)
    assert again.result_digest == reference.result_digest
    assert again.chain_head == reference.chain_head
    assert heads(again) == heads(reference)
    assert again.metric == reference.metric
    assert [c.step for c in reference.checkpoints] == [10, 20]


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


def test_resume_after_a_crash_matches_an_uninterrupted_run(reference: TrainingResult, tmp_path: Path) -> None:
    def crash(checkpoint: Checkpoint) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        train(small_spec(), tmp_path, node=NODE, on_checkpoint=crash)
    resumed = train(small_spec(), tmp_path, node=NODE)
    assert resumed.resumed_from == 10
    assert resumed.result_digest == reference.result_digest
    assert resumed.chain_head == reference.chain_head
    assert heads(resumed) == heads(reference)


def test_replay_reproduces_the_checkpoints(reference: TrainingResult) -> None:
    spec = small_spec()
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    first, last = (load_checkpoint(c.path) for c in reference.checkpoints)
    for start, end, expected in [(None, 10, first), (first, 20, last)]:
        replayed = runtime.replay(spec, start, end, data)
        assert replayed.keys() == expected.model.keys()
        assert all(torch.equal(replayed[key], expected.model[key]) for key in replayed)


def test_a_lazy_segment_does_not_replay(reference: TrainingResult, tmp_path: Path) -> None:
    """A node that trains fewer steps than it claims is caught: its weights are not the replay's."""
    lazy = train(small_spec(steps=18, checkpoint_interval=9), tmp_path, node=NODE)
    last = load_checkpoint(reference.checkpoints[-1].path)
    lazy_weights = torch.load(lazy.model_path, weights_only=True)
    assert any(not torch.equal(lazy_weights[key], last.model[key]) for key in last.model)


def test_weights_that_do_not_fit_are_refused(reference: TrainingResult) -> None:
    spec = small_spec()
    weights = torch.load(reference.model_path, weights_only=True)
    dropped = dict(weights)
    dropped.pop(sorted(weights)[0])
    with pytest.raises(TrainingError, match="do not fit"):
        evaluate(spec, dropped)


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
