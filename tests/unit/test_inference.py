"""Inference tasks: the spec section and its errors, forward-pass compute units, rounded output
digests, the run over shards, and the spot-check that re-runs drawn shards."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nnc.errors import DatasetError, TaskSpecError
from nnc.inference import load_model, outputs_digest, read_outputs, run_inference, shard_digest, write_outputs
from nnc.inference.sandboxed import run_sandboxed
from nnc.sandbox import SandboxLimits
from nnc.storage import LocalStore, sha256_file
from nnc.task import canonical_json, compute_units, model_macs, parse_spec
from nnc.training.data import load_inputs
from nnc.training.init_weights import read_init_weights
from nnc.training.models import build_model
from nnc.training.program_package import ProgramFiles
from nnc.verification.inference import detection_probability, output_distance, verify_outputs
from nnc.verification.segments import choose_segments
from tests.inference_specs import TINY, inference_document, inference_spec, write_inputs, write_weights

INPUTS = 300  # of the 1797 bundled digits: 5 shards of 64 (the last 44)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_weights(tmp_path_factory.mktemp("weights") / "mlp.safetensors")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_inputs(tmp_path_factory.mktemp("inputs") / "inputs.npz", INPUTS)


def error_of(document: dict[str, Any]) -> str:
    with pytest.raises(TaskSpecError) as info:
        parse_spec(json.dumps(document), source="spec.json")
    return str(info.value)


def test_an_inference_spec_needs_no_training_and_prices_forward_passes(weights: Path) -> None:
    spec = inference_spec(weights, INPUTS)
    assert spec.is_inference and spec.training is None and spec.acceptance is None
    assert (spec.inference.shards, spec.inference.batches) == (5, 4 * 2 + 2)  # type: ignore[union-attr]
    assert spec.inference.shard_bounds(4) == (256, 300)  # type: ignore[union-attr]
    assert compute_units(spec) == -(-2 * model_macs(spec) * INPUTS // 1_000_000)
    with pytest.raises(TaskSpecError, match="is an inference task: it has no training schedule"):
        _ = spec.schedule


def test_a_training_specs_canonical_form_has_no_inference_key(weights: Path) -> None:
    assert b"inference" not in canonical_json(parse_spec(TINY.read_text()))  # test_spec pins its digest
    assert b"training" not in canonical_json(inference_spec(weights, INPUTS))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("init"), "an inference task needs `init` or `base_model`"),
    (lambda d: d.update(training=json.loads(TINY.read_text())["training"]),
     "an inference task trains nothing: drop training (or the `inference` section)"),
    (lambda d: d["inference"].update(batch_size=128), "inference: batch_size (128) should be at most shard_size (64)"),
    (lambda d: d["inference"].update(outputs="tokens"), "max_new_tokens goes with outputs 'tokens'"),
    (lambda d: d["inference"].update(outputs="probabilities"), "inference.outputs: Input should be 'logits'"),
    (lambda d: d["inference"].pop("inputs"), "inference.inputs: Field required"),
    (lambda d: d.update(model={"kind": "causal-lm", "width": 32, "layers": 1, "heads": 2, "context": 16},
                        framework="transformers"), "cannot give logits of model.kind 'causal-lm'"),
    (lambda d: d.update(dataset={"name": "tiny-text", "eval_fraction": 0.2}), "cannot classify the text dataset"),
])
def test_bad_inference_specs_say_what_is_wrong(weights: Path, change: Any, message: str) -> None:
    document = copy.deepcopy(inference_document(weights, INPUTS))
    change(document)
    assert message in error_of(document)


def test_a_training_spec_without_its_sections_names_them() -> None:
    document = json.loads(TINY.read_text())
    del document["training"], document["acceptance"]
    assert "a training task needs training and acceptance (only an inference task" in error_of(document)


def test_output_digests_round_to_the_specs_decimals() -> None:
    outputs = np.array([[0.12344, -0.0], [1.5, 2.25]], dtype=np.float32)
    jitter = outputs + np.float32(2e-6)
    assert shard_digest(outputs, 4) == shard_digest(jitter, 4) == shard_digest(np.abs(outputs), 4)
    assert shard_digest(outputs, 4) != shard_digest(outputs + np.float32(1e-3), 4)
    assert shard_digest(outputs, 4) != shard_digest(outputs.reshape(4, 1), 4)  # the shape is hashed
    assert shard_digest(outputs, 6) != shard_digest(jitter, 6)


def plain_forward(weights: Path, inputs: np.ndarray) -> torch.Tensor:
    from nnc.task import DATASET_SHAPES, ModelSpec

    module = build_model(ModelSpec(kind="mlp", hidden=[16], channels=[]), DATASET_SHAPES["sklearn-digits"])
    module.load_state_dict(read_init_weights(weights))
    with torch.no_grad():
        out: torch.Tensor = module.eval()(torch.from_numpy(inputs))
    return out


def test_the_run_gives_the_models_outputs_shard_by_shard_and_resumes(weights: Path, dataset: Path,
                                                                    tmp_path: Path) -> None:
    spec = inference_spec(weights, INPUTS, dataset=dataset)
    files = ProgramFiles(init=weights)
    seen: list[int] = []
    result = run_inference(spec, tmp_path, dataset_file=dataset, files=files, on_shard=lambda s, _: seen.append(s))
    assert seen == [0, 1, 2, 3, 4]
    shards = read_outputs(result.outputs_path, spec.inference)  # type: ignore[arg-type]
    expected = plain_forward(weights, load_inputs(spec, dataset)).numpy()
    assert np.allclose(np.concatenate(shards), expected, atol=1e-6)
    assert result.result_digest == outputs_digest(spec, [shard_digest(s, 4) for s in shards])
    (tmp_path / "shards" / "shard-00004.npy").unlink()  # a crash before the last shard
    again = run_inference(spec, tmp_path, dataset_file=dataset, files=files)
    assert (again.result_digest, again.resumed_shards) == (result.result_digest, 4)

    classes = inference_spec(weights, INPUTS, dataset=dataset, outputs="classes")
    picked = run_inference(classes, tmp_path / "classes", dataset_file=dataset, files=files)
    assert np.array_equal(np.concatenate(read_outputs(picked.outputs_path, classes.inference)),  # type: ignore[arg-type]
                          expected.argmax(axis=1))
    assert picked.result_digest != result.result_digest


def test_inputs_that_are_not_the_specs_count_are_refused(weights: Path, dataset: Path) -> None:
    spec = inference_spec(weights, INPUTS + 1, dataset=dataset)
    with pytest.raises(DatasetError, match=r"holds 300 input\(s\), the spec's inference.inputs says 301"):
        load_model(spec, ProgramFiles(init=weights), dataset)


def test_the_sandboxed_run_commits_what_the_in_process_run_does(weights: Path, dataset: Path, tmp_path: Path) -> None:
    spec = inference_spec(weights, INPUTS, dataset=dataset)
    local = run_inference(spec, tmp_path / "local", dataset_file=dataset, files=ProgramFiles(init=weights))
    boxed = run_sandboxed(spec, tmp_path / "boxed", SandboxLimits(memory_mb=4096, seconds=120),
                          dataset_file=dataset, files=ProgramFiles(init=weights))
    assert (boxed.result_digest, boxed.shard_digests) == (local.result_digest, local.shard_digests)


def fabricate(spec: Any, path: Path, shard: int, dest: Path) -> tuple[Path, bytes]:
    """The outputs at `path` with `shard` made up (plausible logits), and the digest that commits them."""
    shards = read_outputs(path, spec.inference)
    rng = np.random.default_rng(shard)
    shards[shard] = rng.normal(size=shards[shard].shape).astype(np.float32)
    write_outputs(dest, shards)
    return dest, outputs_digest(spec, [shard_digest(s, spec.inference.decimals) for s in shards])


def test_the_spot_check_passes_honest_outputs_and_catches_a_fabricated_shard(weights: Path, dataset: Path,
                                                                             tmp_path: Path) -> None:
    spec = inference_spec(weights, INPUTS, dataset=dataset)
    files = ProgramFiles(init=weights)
    honest = run_inference(spec, tmp_path / "honest", dataset_file=dataset, files=files)
    report = verify_outputs(spec, honest.outputs_path, honest.result_digest, seed=11, shards=2, tolerance=1e-5,
                            dataset_file=dataset, files=files)
    assert report.passed and [s.index for s in report.segments] == choose_segments(11, 5, 2)

    drawn = choose_segments(11, 5, 2)[0]
    forged, digest = fabricate(spec, honest.outputs_path, drawn, tmp_path / "forged.npz")
    caught = verify_outputs(spec, forged, digest, seed=11, shards=2, tolerance=1e-5, dataset_file=dataset,
                            files=files)
    assert not caught.passed and caught.reason.startswith(f"shard {drawn} ")
    swapped = verify_outputs(spec, forged, honest.result_digest, seed=11, shards=2, tolerance=1e-5,
                             dataset_file=dataset, files=files)
    assert swapped.reason == "outputs: their digest is not the committed result digest"
    write_outputs(tmp_path / "short.npz", read_outputs(honest.outputs_path, spec.inference)[:4])  # type: ignore[arg-type]
    short = verify_outputs(spec, tmp_path / "short.npz", honest.result_digest, seed=11, shards=2, tolerance=1e-5,
                           dataset_file=dataset, files=files)
    assert short.reason.startswith("outputs: outputs file short.npz holds 4 array(s), the task has 5 shard(s)")


def test_class_outputs_are_compared_by_the_fraction_that_differ(weights: Path) -> None:
    spec = inference_spec(weights, INPUTS, outputs="classes")
    assert output_distance(np.array([1, 2, 3, 4]), np.array([1, 2, 3, 0]), spec.inference) == 0.25  # type: ignore[arg-type]
    assert output_distance(np.array([1, 2]), np.array([1, 2, 3]), spec.inference) == float("inf")  # type: ignore[arg-type]


def test_detection_odds_match_a_simulation_of_the_draw() -> None:
    shards, fabricated, checked = 40, 4, 12
    analytic = detection_probability(shards, fabricated, checked)
    rng = random.Random(5)
    trials = 4000
    caught = sum(bool(set(rng.sample(range(shards - 1), fabricated)) &
                      set(choose_segments(rng.getrandbits(64), shards, checked))) for _ in range(trials))
    assert abs(caught / trials - analytic) < 0.03
    assert detection_probability(40, 0, 12) == 0.0 and detection_probability(40, 39, 2) == 1.0


def test_a_standby_child_runs_the_job_it_is_handed(weights: Path, dataset: Path, tmp_path: Path) -> None:
    from nnc.inference.sandboxed import start_standby
    from nnc.runtimes.sandboxed import program_limits

    spec = inference_spec(weights, INPUTS, dataset=dataset)
    files = ProgramFiles(init=weights)
    limits = SandboxLimits(memory_mb=4096, seconds=120)
    warm = start_standby(tmp_path / "warm", program_limits(limits, files, dataset))
    assert warm.wait_for("ready")
    boxed = run_sandboxed(spec, tmp_path / "warm", limits, dataset_file=dataset, files=files, warm=warm)
    local = run_inference(spec, tmp_path / "local", dataset_file=dataset, files=files)
    assert boxed.result_digest == local.result_digest
    assert warm.process.returncode == 0  # it ran the job (a child not used is killed)


def test_a_causal_lm_generates_greedy_tokens_from_each_line_batched_or_alone(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from safetensors.torch import save_file

    from nnc.inference.generation import generate, prompt_tensor
    from nnc.runtimes.causal_lm import CausalLMProgram
    from nnc.storage import sha256_file

    lines = [b"the quick brown fox", b"", b"jumps over", b"a lazy dog and keeps on running far away"]
    corpus = tmp_path / "prompts.txt"
    corpus.write_bytes(b"\n".join(lines))
    model = {"kind": "causal-lm", "layers": 1, "width": 32, "heads": 2, "context": 24}
    document: dict[str, Any] = {
        "version": 1, "name": "tiny generation", "framework": "transformers", "model": model,
        "dataset": {"name": "tiny-text", "eval_fraction": 0.2, "uri": "local://prompts"},
        "inference": {"inputs": 3, "batch_size": 2, "shard_size": 2, "outputs": "tokens", "max_new_tokens": 8},
        "determinism": {"threads": 1, "digest_decimals": 6}}
    torch.manual_seed(5)
    module = CausalLMProgram(parse_spec({**document, "init": None, "inference": None, "training": {
        "seed": 1, "steps": 1, "batch_size": 1, "learning_rate": 0.1, "optimizer": "sgd", "checkpoint_interval": 1},
        "acceptance": {"metric": "eval_loss", "threshold": 9.0}})).build().eval()
    weights = tmp_path / "lm.safetensors"
    save_file({k: v.contiguous().clone() for k, v in module.state_dict().items() if k != "lm_head.weight"},
              str(weights))  # safetensors leaves out the tied head
    document["init"] = {"uri": "local://lm", "format": "safetensors", "digest": sha256_file(weights)}
    spec = parse_spec(document)
    assert compute_units(spec) == -(-2 * model_macs(spec) * 8 * 3 // 1_000_000)
    prompts = prompt_tensor(spec, corpus)
    assert prompts.shape == (3, 16) and bytes(prompts[2][prompts[2] >= 0].tolist()) == lines[3][-16:]
    result = run_inference(spec, tmp_path / "run", dataset_file=corpus, files=ProgramFiles(init=weights))
    tokens = np.concatenate(read_outputs(result.outputs_path, spec.inference))  # type: ignore[arg-type]
    assert tokens.shape == (3, 8) and tokens.dtype == np.int64
    with torch.no_grad():
        for row, prompt in enumerate(prompts):  # one at a time, without padding
            alone = generate(module, prompt[prompt >= 0].unsqueeze(0), 8)
            assert np.array_equal(alone[0].numpy(), tokens[row])
    assert "cannot generate 24 tokens within a context of 24" in error_of(
        {**document, "inference": {**document["inference"], "max_new_tokens": 24}})


def test_the_dry_run_prices_an_inference_task_without_timing_it(weights: Path, dataset: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nnc.cli import cli

    document = inference_document(weights, INPUTS, dataset=dataset)
    document["init"]["uri"], document["dataset"]["uri"] = (f"local://sha256/{sha256_file(weights)}",
                                                           f"local://sha256/{sha256_file(dataset)}")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(document))
    store = LocalStore(tmp_path / "store")
    store.put_file(weights), store.put_file(dataset)
    result = CliRunner().invoke(cli, ["task", "dry-run", str(spec_file), "--offline", "--json"],
                                env={"NNC_STORAGE_URL": f"local://{tmp_path / 'store'}",
                                     "NNC_DATA_DIR": str(tmp_path / "cli"), "NNC_CONFIG": str(tmp_path / "no.toml")})
    assert result.exit_code == 0, f"{result.output}{result.exception!r}"
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["compute_units"] == compute_units(parse_spec(document)) and report["total_steps"] == 10
    assert report["untimed_reason"].startswith("an inference task") and int(report["suggested_budget_wei"]) > 0
