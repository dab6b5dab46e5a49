"""A spec's `base_model` (a model of the library to start from) and a model loaded for predictions:
the spec rules (one of `init` and `base_model`, frameworks that can start from weights, no change
to older specs' digests), what a base model must be, and `nnc.library.run` on a classifier and a
byte-level LM, its LoRA child adapting the parent's weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from nnc.errors import DatasetError, TaskSpecError, TrainingError
from nnc.library import LibraryModelError
from nnc.library.fetch import check_base
from nnc.library.run import classify, generate, load_model, needs_base, read_inputs
from nnc.runtimes import runtime_for
from nnc.runtimes.dispatch import train
from nnc.task import TaskSpec, canonical_json, parse_spec, spec_digest
from nnc.training.data import load_data
from nnc.training.init_weights import read_init_weights
from nnc.training.program_package import ProgramFiles
from tests.nodes import NODE

DATA = Path(__file__).resolve().parents[1] / "data"
TINY = DATA / "tiny-spec.json"
LM: dict[str, Any] = {
    "version": 1, "name": "tiny LM (tests)", "framework": "transformers",
    "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16},
    "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
    "training": {"seed": 3, "steps": 4, "batch_size": 4, "learning_rate": 0.01, "optimizer": "adam",
                 "checkpoint_interval": 4},
    "acceptance": {"metric": "eval_loss", "threshold": 10.0},
    "determinism": {"threads": 1, "digest_decimals": 6}}
LORA = {"rank": 2, "alpha": 4.0, "targets": ["c_attn"]}


def tiny(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(TINY.read_text())
    document.update(changes)
    return document


def test_a_spec_names_a_base_model_by_id_and_keeps_older_digests() -> None:
    plain = parse_spec(tiny())
    tuned = parse_spec(tiny(base_model={"id": 4}))
    assert tuned.base_model is not None and tuned.base_model.id == 4 and tuned.starts_from_weights
    assert b'"base_model":{"id":4}' in canonical_json(tuned)
    assert b"base_model" not in canonical_json(plain) and not plain.starts_from_weights
    assert spec_digest(tuned) != spec_digest(plain)


@pytest.mark.parametrize(("base_model", "expected"), [
    ({"id": 0}, "base_model.id: Input should be greater than or equal to 1"),
    ({"id": "4"}, "base_model.id: Input should be a valid integer"),
    ({"id": 4, "digest": "ab"}, "base_model.digest: Extra inputs are not permitted"),
])
def test_a_bad_base_model_is_named(base_model: dict[str, Any], expected: str) -> None:
    with pytest.raises(TaskSpecError, match=expected):
        parse_spec(tiny(base_model=base_model), source="spec.json")


def test_init_and_base_model_exclude_each_other() -> None:
    init = {"uri": "local://sha256/" + "ab" * 32, "format": "safetensors", "digest": "ab" * 32}
    with pytest.raises(TaskSpecError) as err:
        parse_spec(tiny(init=init, base_model={"id": 1}), source="spec.json")
    assert str(err.value).startswith("spec.json: (root): a spec starts from init weights or from a base_model, "
                                     "not both (`init` names a stored file, `base_model` a model of the library)")


def test_a_framework_that_cannot_start_from_weights_refuses_a_base_model() -> None:
    document = json.loads((DATA.parents[1] / "examples" / "digits-mlp-jax.json").read_text())
    with pytest.raises(TaskSpecError, match="framework 'jax' cannot start from a base_model "
                                            r"\(frameworks that can: peft, torch, transformers\)"):
        parse_spec({**document, "base_model": {"id": 1}})


def test_a_base_model_must_be_a_whole_model_of_the_same_architecture() -> None:
    lm = parse_spec({**LM, "base_model": {"id": 2}})
    adapters = parse_spec({**LM, "framework": "peft", "model": {**LM["model"], "lora": LORA}})
    with pytest.raises(LibraryModelError, match="base_model 2 holds LoRA adapters only "
                                                r"\(trained with framework 'peft'\)"):
        check_base(lm, 2, adapters)
    wider = parse_spec({**LM, "model": {**LM["model"], "width": 32}})
    with pytest.raises(LibraryModelError, match="base_model 2's weights would not fit this spec's model: it is "
                                                '.*"width":32.*, this spec\'s is .*"width":16'):
        check_base(lm, 2, wider)
    check_base(parse_spec({**LM, "framework": "peft", "model": {**LM["model"], "lora": LORA},
                           "base_model": {"id": 2}}), 2, parse_spec(LM))  # a LoRA adapts a whole model
    mlp = parse_spec(tiny(base_model={"id": 1}))
    with pytest.raises(LibraryModelError, match=r'"hidden":\[32\].* for 1x8x8 inputs and 10 classes, '
                                                r'this spec.s is .*"hidden":\[16\]'):
        check_base(mlp, 1, parse_spec(tiny(model={"kind": "mlp", "hidden": [32], "channels": []})))


def test_a_base_models_file_loads_as_init_weights_and_a_broken_one_is_named(tmp_path: Path) -> None:
    weights = {"a": torch.ones(2)}
    torch.save(weights, tmp_path / "model.pt")
    assert torch.equal(read_init_weights(tmp_path / "model.pt")["a"], weights["a"])
    (tmp_path / "broken.pt").write_bytes(b"not a model")
    with pytest.raises(TrainingError, match="base model weights broken.pt are not a model file torch can load"):
        read_init_weights(tmp_path / "broken.pt")
    torch.save([torch.ones(1)], tmp_path / "list.pt")
    with pytest.raises(TrainingError, match="not a mapping of name to tensor"):
        read_init_weights(tmp_path / "list.pt")


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> tuple[TaskSpec, Path]:
    spec = parse_spec(tiny())
    return spec, train(spec, tmp_path_factory.mktemp("mlp"), node=NODE).model_path


def test_a_classifier_predicts_classes_and_scores_from_npz_and_images(classifier: tuple[TaskSpec, Path],
                                                                      tmp_path: Path) -> None:
    from PIL import Image

    spec, model_path = classifier
    weights = torch.load(model_path, weights_only=True)
    module = load_model(spec, weights)
    data = load_data(spec)
    np.savez(tmp_path / "x.npz", inputs=data.eval_x[:3].numpy())
    pixels = (data.eval_x[0].reshape(8, 8).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(pixels, mode="L").save(tmp_path / "digit.png")
    inputs = read_inputs(spec, [tmp_path / "x.npz", tmp_path / "digit.png"])
    assert inputs.shape == (4, 64) and torch.allclose(inputs[3], data.eval_x[0], atol=1 / 255)
    predictions = classify(module, inputs)
    with torch.no_grad():
        assert [p.label for p in predictions] == module(inputs).argmax(dim=1).tolist()
    assert all(len(p.scores) == 10 and abs(sum(p.scores) - 1) < 1e-9 for p in predictions)
    with pytest.raises(DatasetError, match="inputs have 3 features; the model takes 64"):
        np.savez(tmp_path / "short.npz", inputs=np.zeros((2, 3), dtype=np.float32))
        read_inputs(spec, [tmp_path / "short.npz"])

    from nnc.cli import cli

    ran = CliRunner().invoke(cli, ["model", "run", str(model_path), "--spec", str(TINY), "--input",
                                   str(tmp_path / "x.npz"), "--json"], env={"NNC_CONFIG": str(tmp_path / "no.toml")})
    assert ran.exit_code == 0, ran.output
    assert [p["label"] for p in json.loads(ran.stdout)["predictions"]] == [p.label for p in predictions[:3]]
    no_spec = CliRunner().invoke(cli, ["model", "run", str(model_path), "--input", str(tmp_path / "x.npz")])
    assert no_spec.exit_code == 2 and "needs the --spec that trained it" in no_spec.output


def test_a_lora_child_adapts_its_parent_and_generates_reproducibly(tmp_path: Path) -> None:
    parent_spec = parse_spec(LM)
    parent = train(parent_spec, tmp_path / "parent", node=NODE)
    child = parse_spec({**LM, "name": "tiny LoRA (tests)", "framework": "peft",
                        "model": {**LM["model"], "lora": LORA}, "base_model": {"id": 1}})
    files = ProgramFiles(init=parent.model_path)
    assert needs_base(child) and not needs_base(parent_spec)
    parent_weights = torch.load(parent.model_path, weights_only=True)
    program = runtime_for(child, files).make_program(child)  # type: ignore[attr-defined]
    base = program.build().state_dict()
    assert torch.equal(base["transformer.h.0.attn.c_attn.base_layer.weight"],
                       parent_weights["transformer.h.0.attn.c_attn.weight"])
    tuned = train(child, tmp_path / "child", node=NODE, files=files)
    adapters = torch.load(tuned.model_path, weights_only=True)
    assert all(".lora_" in name for name in adapters)

    with pytest.raises(LibraryModelError, match="its adapters need the base weights they were trained on"):
        load_model(child, adapters)
    module = load_model(child, adapters, files)
    first = generate(module, child, b"the ", 12, temperature=1.0, seed=5)
    assert len(first) == 12 and first == generate(module, child, b"the ", 12, temperature=1.0, seed=5)
    greedy = generate(module, child, b"the ", 8, temperature=0)
    with torch.no_grad():
        logits = module(input_ids=torch.tensor([list(b"the ")])).logits[0, -1]
    assert greedy[0] == int(logits.argmax())
    assert generate(module, child, b"", 0) == b""

    from nnc.cli import cli

    spec_file = tmp_path / "lm.json"
    spec_file.write_bytes(canonical_json(parent_spec))
    ran = CliRunner().invoke(cli, ["model", "run", str(parent.model_path), "--spec", str(spec_file), "--prompt",
                                   "the ", "--max-new-tokens", "10", "--seed", "5", "--json"],
                             env={"NNC_CONFIG": str(tmp_path / "no.toml")})
    assert ran.exit_code == 0, ran.output
    expected = generate(load_model(parent_spec, parent_weights), parent_spec, b"the ", 10, seed=5)
    assert json.loads(ran.stdout) == {"prompt": "the ", "text": expected.decode(errors="replace")}
    wrong = CliRunner().invoke(cli, ["model", "run", str(parent.model_path), "--spec", str(spec_file)],
                               env={"NNC_CONFIG": str(tmp_path / "no.toml")})
    assert wrong.exit_code == 2 and "a causal LM generates from --prompt" in wrong.output
