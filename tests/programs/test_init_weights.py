"""A spec's `init` weights: the built-in programs start from them (a LoRA adapts them as its base),
and weights that do not fit, or are no safetensors file, are refused naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from nnc.errors import TrainingError
from nnc.runtimes import runtime_for
from nnc.storage import sha256_file
from nnc.task import TaskSpec, parse_spec
from nnc.training.program_package import ProgramFiles
from tests.programs.conftest import EXAMPLES

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json"


def with_init(document: dict[str, Any], weights: Path) -> TaskSpec:
    document["init"] = {"uri": "local://sha256/" + sha256_file(weights), "format": "safetensors",
                        "digest": sha256_file(weights)}
    return parse_spec(document)


def test_a_classifier_starts_from_its_init_weights(tmp_path: Path) -> None:
    document = json.loads(TINY.read_text())
    base = runtime_for(parse_spec(document)).replay(parse_spec(document), None, 5)
    save_file({k: v.contiguous() for k, v in base.items()}, tmp_path / "init.safetensors")
    spec = with_init(document, tmp_path / "init.safetensors")
    runtime = runtime_for(spec, ProgramFiles(init=tmp_path / "init.safetensors"))
    start = runtime.replay(spec, None, 0)
    assert all(torch.equal(start[k], base[k]) for k in base)
    assert not torch.equal(runtime_for(parse_spec(json.loads(TINY.read_text()))).replay(
        parse_spec(json.loads(TINY.read_text())), None, 0)["0.weight"], base["0.weight"])


def test_init_weights_of_the_wrong_shape_are_refused(tmp_path: Path) -> None:
    save_file({"0.weight": torch.zeros(3, 3)}, tmp_path / "init.safetensors")
    spec = with_init(json.loads(TINY.read_text()), tmp_path / "init.safetensors")
    with pytest.raises(TrainingError, match=r"(?s)init weights init.safetensors do not fit the model: .*size mismatch"):
        runtime_for(spec, ProgramFiles(init=tmp_path / "init.safetensors")).replay(spec, None, 1)
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    spec = with_init(json.loads(TINY.read_text()), tmp_path / "bad.safetensors")
    with pytest.raises(TrainingError, match="init weights bad.safetensors are not a readable safetensors file"):
        runtime_for(spec, ProgramFiles(init=tmp_path / "bad.safetensors")).replay(spec, None, 1)


def test_a_lora_adapts_the_base_it_is_given(tmp_path: Path) -> None:
    pytest.importorskip("peft")
    from nnc.runtimes.causal_lm import CausalLMProgram

    document = json.loads((EXAMPLES / "text-lora-peft.json").read_text())
    document["model"].update(layers=1, width=32, heads=2, context=16)
    full = dict(document, framework="transformers", model={k: v for k, v in document["model"].items() if k != "lora"})
    full_spec = parse_spec(full)
    base = runtime_for(full_spec).replay(full_spec, None, 3)  # a base an earlier task trained
    save_file({k: v.contiguous().clone() for k, v in base.items() if k != "lm_head.weight"},
              tmp_path / "base.safetensors")
    spec = with_init(document, tmp_path / "base.safetensors")
    program = runtime_for(spec, ProgramFiles(init=tmp_path / "base.safetensors")).make_program(spec)  # type: ignore[attr-defined]
    module = program.build()
    own = module.state_dict()
    adapted = "transformer.h.0.attn.c_attn.base_layer.weight"
    assert torch.equal(own[adapted], base["transformer.h.0.attn.c_attn.weight"])
    assert torch.equal(own["transformer.wte.weight"], base["transformer.wte.weight"])
    assert set(program.weights(module)) == set(CausalLMProgram(spec).weights(CausalLMProgram(spec).build()))
