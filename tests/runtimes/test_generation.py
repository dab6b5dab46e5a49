"""Sampling from a causal LM (`nnc.inference.sampling`), through `nnc.library.run.generate` (what
`nnc model run` calls) and an inference task's `inference.sampling`: the same seed gives the same
text, other seeds other text, temperature 0 and top-k 1 are the arg-max, top-k keeps the draw
among the k likeliest bytes, and arguments out of range are refused by name. The model is a tiny
byte-level GPT-2 trained for 40 steps (about a second); the text-generation template trains to
its held-out acceptance (about 5 s) and samples text like its corpus."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from click.testing import CliRunner

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")

from nnc.inference import read_outputs, run_inference  # noqa: E402
from nnc.inference.generation import generate as generate_batch  # noqa: E402
from nnc.inference.generation import prompt_tensor  # noqa: E402
from nnc.inference.sampling import MAX_NEW_TOKENS, Sampling, SamplingError, sample  # noqa: E402
from nnc.library.run import generate, load_model  # noqa: E402
from nnc.runtimes.dispatch import train  # noqa: E402
from nnc.storage import sha256_file  # noqa: E402
from nnc.task import TaskSpec, canonical_json, load_spec, parse_spec  # noqa: E402
from nnc.training.program_package import ProgramFiles  # noqa: E402
from tests.nodes import NODE  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LM: dict[str, Any] = {
    "version": 1, "name": "tiny sampler LM (tests)", "framework": "transformers",
    "model": {"kind": "causal-lm", "layers": 1, "width": 32, "heads": 2, "context": 24},
    "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
    "training": {"seed": 3, "steps": 40, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam",
                 "checkpoint_interval": 40},
    "acceptance": {"metric": "eval_loss", "threshold": 10.0},
    "determinism": {"threads": 1, "digest_decimals": 6}}


@dataclass(frozen=True)
class Trained:
    spec: TaskSpec
    module: torch.nn.Module
    model_path: Path


@pytest.fixture(scope="module")
def lm(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    spec = parse_spec(LM)
    result = train(spec, tmp_path_factory.mktemp("lm"), node=NODE)
    weights = torch.load(result.model_path, weights_only=True)
    return Trained(spec, load_model(spec, weights), result.model_path)


def argmax_text(module: torch.nn.Module, prompt: bytes, count: int) -> bytes:
    tokens = list(prompt)
    with torch.no_grad():
        for _ in range(count):
            tokens.append(int(module(input_ids=torch.tensor([tokens])).logits[0, -1].argmax()))
    return bytes(tokens[len(prompt):])


def test_the_same_seed_gives_the_same_text_and_other_seeds_other_text(lm: Trained) -> None:
    first = generate(lm.module, lm.spec, b"the ", 16, temperature=1.0, seed=7)
    assert len(first) == 16 and first == generate(lm.module, lm.spec, b"the ", 16, temperature=1.0, seed=7)
    others = {generate(lm.module, lm.spec, b"the ", 16, temperature=1.0, seed=seed) for seed in (8, 9, 10)}
    assert first not in others and len(others) == 3
    assert generate(lm.module, lm.spec, b"the ", 0) == b""


def test_temperature_zero_and_top_k_one_are_the_argmax(lm: Trained) -> None:
    greedy = argmax_text(lm.module, b"a lazy ", 12)
    assert generate(lm.module, lm.spec, b"a lazy ", 12, temperature=0, seed=1) == greedy
    assert generate(lm.module, lm.spec, b"a lazy ", 12, temperature=0, seed=2) == greedy  # no draw at all
    assert generate(lm.module, lm.spec, b"a lazy ", 12, temperature=1.5, seed=3, top_k=1) == greedy
    assert generate(lm.module, lm.spec, b"a lazy ", 12, temperature=1.5, seed=3) != greedy


def test_top_k_draws_only_among_the_k_likeliest_bytes(lm: Trained) -> None:
    prompt = list(b"the ")
    tokens = sample(lm.module, prompt, 24, 20, Sampling(temperature=5.0, top_k=3, seed=11))
    unrestricted = sample(lm.module, prompt, 24, 20, Sampling(temperature=5.0, seed=11))
    history = prompt + tokens
    with torch.no_grad():
        for step, token in enumerate(tokens):
            logits = lm.module(input_ids=torch.tensor([history[:len(prompt) + step]])).logits[0, -1]
            assert token in logits.topk(3).indices.tolist()
    assert tokens != unrestricted  # at temperature 5 the full vocabulary reaches beyond the top 3


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"temperature": -0.5}, "temperature must be a finite number, 0 or more (0: greedy); got -0.5"),
    ({"temperature": float("nan")}, "temperature must be a finite number"),
    ({"top_k": 0}, "top_k must be 1 or more"),
    ({"seed": -1}, "seed must be between 0 and"),
])
def test_a_sampling_argument_out_of_range_is_named(arguments: dict[str, Any], expected: str) -> None:
    with pytest.raises(SamplingError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        Sampling(**arguments)


def test_too_many_tokens_or_an_empty_prompt_are_refused(lm: Trained) -> None:
    with pytest.raises(SamplingError, match=f"max_new_tokens must be between 0 and {MAX_NEW_TOKENS}; got 5000"):
        generate(lm.module, lm.spec, b"the ", 5000)
    with pytest.raises(SamplingError, match="the prompt must hold at least one token"):
        sample(lm.module, [], 24, 4)


def test_model_run_samples_with_top_k_and_names_a_bad_argument(lm: Trained, tmp_path: Path) -> None:
    from nnc.cli import cli

    spec_file = tmp_path / "lm.json"
    spec_file.write_bytes(canonical_json(lm.spec))
    env = {"NNC_CONFIG": str(tmp_path / "no.toml")}
    base = ["model", "run", str(lm.model_path), "--spec", str(spec_file), "--prompt", "the "]
    ran = CliRunner().invoke(cli, [*base, "--max-tokens", "10", "--temperature", "0.8", "--top-k", "5",
                                   "--seed", "4", "--json"], env=env)
    assert ran.exit_code == 0, ran.output
    expected = generate(lm.module, lm.spec, b"the ", 10, temperature=0.8, seed=4, top_k=5)
    assert json.loads(ran.stdout) == {"prompt": "the ", "text": expected.decode(errors="replace")}
    for option, value, name in [("--top-k", "0", "--top-k"), ("--temperature", "-1", "--temperature"),
                                ("--max-tokens", "5000", "--max-new-tokens")]:
        bad = CliRunner().invoke(cli, [*base, option, value], env=env)
        assert bad.exit_code == 2 and name in bad.output and value in bad.output, bad.output


def test_an_inference_task_samples_deterministically_batched_or_alone(lm: Trained, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    corpus = tmp_path / "prompts.txt"
    corpus.write_bytes(b"the quick brown fox\njumps over\na lazy dog and keeps on running far away\n")
    weights = tmp_path / "lm.safetensors"
    save_file({k: v.contiguous().clone() for k, v in lm.module.state_dict().items() if k != "lm_head.weight"},
              str(weights))
    document: dict[str, Any] = {
        **{k: v for k, v in LM.items() if k not in ("training", "acceptance")},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.2, "uri": "local://prompts"},
        "init": {"uri": "local://lm", "format": "safetensors", "digest": sha256_file(weights)},
        "inference": {"inputs": 3, "batch_size": 2, "shard_size": 2, "outputs": "tokens", "max_new_tokens": 8}}
    greedy_spec = parse_spec(document)
    assert b"sampling" not in canonical_json(greedy_spec)  # older inference specs keep their digest
    sampling = {"temperature": 1.2, "top_k": 8, "seed": 5}
    spec = parse_spec({**document, "inference": {**document["inference"], "sampling": sampling}})
    assert b'"sampling":{"seed":5,"temperature":1.2,"top_k":8}' in canonical_json(spec)
    files = ProgramFiles(init=weights)
    runs = [run_inference(spec, tmp_path / name, dataset_file=corpus, files=files) for name in ("a", "b")]
    assert runs[0].result_digest == runs[1].result_digest
    greedy = run_inference(greedy_spec, tmp_path / "greedy", dataset_file=corpus, files=files)
    assert greedy.result_digest != runs[0].result_digest
    tokens = np.concatenate(read_outputs(runs[0].outputs_path, spec.inference))  # type: ignore[arg-type]
    chosen = Sampling(1.2, 8, 5)
    for row, prompt in enumerate(prompt_tensor(spec, corpus)):  # alone, unpadded: the same draws
        alone = prompt[prompt >= 0]
        assert np.array_equal(generate_batch(lm.module, alone.unsqueeze(0), 8, chosen)[0].numpy(), tokens[row])
        assert sample(lm.module, alone.tolist(), 24, 8, chosen) == tokens[row].tolist()  # as `nnc model run`
    with pytest.raises(Exception, match="sampling goes with outputs 'tokens' only"):
        parse_spec({**document, "inference": {**document["inference"], "outputs": "logits",
                                              "max_new_tokens": None, "sampling": sampling}})


def test_the_text_generation_template_trains_to_its_held_out_acceptance_and_samples_text(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLES / "text-generation-transformers.json")
    assert spec.acceptance is not None and spec.acceptance.metric == "eval_loss" and spec.dataset.eval_fraction > 0
    result = train(spec, tmp_path, node=NODE)  # eval_loss on the held-out windows, never trained on
    assert result.accepted, f"eval_loss {result.metric} misses {spec.acceptance.threshold}"
    module = load_model(spec, torch.load(result.model_path, weights_only=True))
    sampler = load_spec(EXAMPLES / "text-sampling-from-library.json")
    assert sampler.model == spec.model and sampler.inference is not None and sampler.inference.sampling is not None
    chosen = sampler.inference.sampling
    text = generate(module, spec, b"the ", 48, temperature=chosen.temperature, seed=chosen.seed, top_k=chosen.top_k)
    assert len(text) == 48
    assert sum(byte in b"abcdefghijklmnopqrstuvwxyz ,." for byte in text) >= 44, text  # not random bytes
