"""The `whisper` model kind of the `transformers` runtime: a tiny Whisper trained on `spoken-digits`
(espeak-ng's digit words) and scored by word error rate.

What the conformance suite (`test_conformance.py`, case `whisper`) does not cover: the word error
rate itself, the generated dataset (byte-identical generations, the pinned digest, the error a
node with another espeak-ng gets), a requester's stored speech dataset, the features' cache,
fine-tuning from stored weights, spec checks, the oracle's lower-is-better quality, pricing
against torch's FLOP count, and the example reaching its acceptance. The sandbox runs espeak-ng
itself (the root filesystem is visible read-only there; its cache is its work directory): the
conformance suite's standby test shows the sandboxed digest equal to the in-process one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")

from nnc.errors import DatasetError, TaskSpecError  # noqa: E402
from nnc.runtimes import runtime_for  # noqa: E402
from nnc.runtimes.dispatch import evaluate, train  # noqa: E402
from nnc.runtimes.whisper_asr import (  # noqa: E402
    WhisperProgram,
    cached_features,
    clip_features,
    transcribe,
    word_error_rate,
)
from nnc.storage.local import LocalStore  # noqa: E402
from nnc.task import compute_units, load_spec, parse_spec  # noqa: E402
from nnc.task.cost import parameter_count, whisper_macs  # noqa: E402
from nnc.task.model_specs import WHISPER_FRAMES, WHISPER_MEL_BINS, WhisperSpec  # noqa: E402
from nnc.training import deterministic_torch  # noqa: E402
from nnc.training.data import fetch_dataset, load_dataset_digest  # noqa: E402
from nnc.training.speech import (  # noqa: E402
    SPEECH_RECIPES,
    SpeechArrays,
    generate_speech,
    generated_speech,
    load_speech,
    speech_digest,
)
from tests.nodes import NODE  # noqa: E402
from tests.runtimes.cases import case_spec  # noqa: E402
from tests.runtimes.flops import counted_step_flops, one_step

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "speech-digits-whisper.json"


def test_word_error_rate_counts_substitutions_deletions_and_insertions() -> None:
    assert word_error_rate(["one two three"], ["one two three"]) == 0.0
    assert word_error_rate(["one two three"], ["one too three"]) == pytest.approx(1 / 3)  # a substitution
    assert word_error_rate(["one two three"], ["one three"]) == pytest.approx(1 / 3)  # a deletion
    assert word_error_rate(["one two"], ["one two two"]) == pytest.approx(1 / 2)  # an insertion
    assert word_error_rate(["seven", "one two"], ["", "two one"]) == pytest.approx(3 / 3)  # summed over clips
    assert word_error_rate(["six"], ["sex sax six sox"]) == 3.0  # insertions can pass 1
    with pytest.raises(ValueError, match="hypotheses"):
        word_error_rate(["one"], [])


def test_espeak_says_the_same_clips_twice_and_the_example_pins_them() -> None:
    """A fresh generation (not the cache), with two espeak-ng processes at a time instead of
    four, is the dataset the example pins, byte for byte."""
    spec = load_spec(EXAMPLE)
    fresh = generate_speech(SPEECH_RECIPES["spoken-digits"], workers=2)
    assert fresh.audio.shape == (360, 16_000) and fresh.audio.dtype == np.float32
    assert fresh.transcripts[:2] == ("zero", "zero") and set(fresh.transcripts) == set(
        SPEECH_RECIPES["spoken-digits"].words)
    assert speech_digest(fresh) == spec.dataset.digest == load_dataset_digest(spec)
    assert np.array_equal(generated_speech("spoken-digits").audio, fresh.audio)


def test_a_node_whose_espeak_says_it_differently_is_told_why() -> None:
    spec = load_spec(EXAMPLE)
    other = "0" * 64
    with pytest.raises(DatasetError) as refused:
        load_speech("spoken-digits", None, other, None)
    message = str(refused.value)
    assert "'spoken-digits'" in message and other in message and spec.dataset.digest in message  # type: ignore[operator]
    assert "espeak-ng" in message.lower() and "1.5" in message  # the version that made it here


def store_clips(path: Path, audio: np.ndarray, transcripts: list[str]) -> Path:
    with path.open("wb") as fh:
        np.savez(fh, audio=audio, transcripts=np.asarray(transcripts, dtype=np.str_))
    return path


def test_a_requester_s_stored_speech_dataset_trains_through_its_uri(tmp_path: Path) -> None:
    """A small .npz of clips of other lengths (cut to one second) and transcripts, stored and
    fetched by its uri and pinned by digest: it trains and is scored from the fetched file, and a
    changed file or a wrong layout is refused by name."""
    generated = generated_speech("spoken-digits")
    rng = np.random.default_rng(0)
    picks = rng.choice(len(generated.transcripts), size=30, replace=False)
    audio = np.concatenate([generated.audio[picks], np.zeros((30, 4_000), dtype=np.float32)], axis=1)  # 1.25 s
    texts = [f"say {generated.transcripts[i]}" for i in picks]
    store = LocalStore(tmp_path / "store")
    uri = store.put_file(store_clips(tmp_path / "clips.npz", audio, texts))
    digest = speech_digest(SpeechArrays(audio=audio[:, :16_000].copy(), transcripts=tuple(texts)))
    document = json.loads(EXAMPLE.read_text())
    document["dataset"] = {"name": "spoken-digits", "eval_fraction": 0.2, "uri": uri, "digest": digest}
    document["model"] = {"kind": "whisper", "layers": 1, "width": 16, "heads": 2}
    document["training"].update({"steps": 4, "checkpoint_interval": 2, "batch_size": 4})
    spec = parse_spec(document)
    stored = fetch_dataset(spec, store, tmp_path / "run")  # as a worker, verifier or oracle fetches it
    assert stored is not None and load_dataset_digest(spec, stored) == digest
    result = train(spec, tmp_path / "run", node=NODE, dataset_file=stored)
    assert result.steps == 4 and 0.0 <= result.metric
    assert evaluate(spec, torch.load(result.model_path, weights_only=True), stored) == result.metric
    with pytest.raises(DatasetError, match=f"lives at {uri}"):
        runtime_for(spec).load_data(spec)
    changed = store_clips(tmp_path / "changed.npz", audio * 0.5, texts)
    with pytest.raises(DatasetError, match=f"spec pins {digest}"):
        runtime_for(spec).load_data(spec, changed)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, inputs=audio, labels=np.zeros(30, dtype=np.int64))
    with pytest.raises(DatasetError, match="'audio' and 'transcripts'"):
        runtime_for(spec).load_data(spec, wrong)
    too_long = store_clips(tmp_path / "long.npz", audio[:2], ["x" * 31, "one"])
    with pytest.raises(DatasetError, match="over 30 bytes"):
        load_speech("spoken-digits", "local://long", None, too_long)


def test_specs_are_checked() -> None:
    base: dict[str, Any] = json.loads(EXAMPLE.read_text())
    changes: list[tuple[dict[str, Any], str]] = [
        ({"dataset": {"name": "tiny-text", "eval_fraction": 0.2}}, "speech dataset"),
        ({"acceptance": {"metric": "eval_loss", "threshold": 0.5}}, "eval_wer"),
        ({"model": {"kind": "whisper", "layers": 2, "width": 64, "heads": 3}}, "heads"),
        ({"framework": "peft"}, "model.kind"),
        ({"dataset": {**base["dataset"], "uri": "local://x", "format": "parquet"}}, ".npz")]
    for change, match in changes:
        with pytest.raises(TaskSpecError, match=match):
            parse_spec({**base, **change})
    causal = {**base, "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16},
              "acceptance": {"metric": "eval_loss", "threshold": 3.0}}
    with pytest.raises(TaskSpecError, match="text dataset"):
        parse_spec(causal)


def test_the_oracle_scores_a_lower_word_error_rate_higher() -> None:
    goal = load_spec(EXAMPLE).goal
    assert goal.metric == "eval_wer" and goal.threshold == 0.1
    assert goal.accepts(0.0) and goal.accepts(0.1) and not goal.accepts(0.11)
    assert goal.quality(0.0) == goal.quality(0.1) == 1.0
    assert goal.quality(0.2) == pytest.approx(0.5) and goal.quality(1.0) == pytest.approx(0.1)
    assert goal.quality(float("nan")) == 0.0


def test_the_example_trains_to_its_acceptance_from_an_untrained_guess(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    assert (spec.framework, spec.model.kind, spec.goal.metric) == ("transformers", "whisper", "eval_wer")
    result = train(spec, tmp_path, node=NODE)
    assert result.accepted, f"eval_wer {result.metric} misses {spec.goal.threshold}"
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    assert runtime.evaluate(spec, runtime.replay(spec, None, 0, data), data) >= 0.9  # untrained: (nearly) all wrong
    weights = torch.load(result.model_path, weights_only=True)
    assert evaluate(spec, weights) == result.metric
    program = WhisperProgram(spec)
    with deterministic_torch(1):
        model = program.build()
        assert sum(p.numel() for p in program.trainable(model)) == parameter_count(spec)
        program.load_weights(model, weights)
        heard = transcribe(model, data.eval_features[:8])
    assert word_error_rate(data.eval_transcripts[:8], heard) <= spec.goal.threshold


def test_compute_units_price_what_a_training_step_computes() -> None:
    """The pricing formula against torch's own count of one optimisation step's FLOPs (forward
    and backward). The only difference: the pricing counts 6 FLOPs per MAC everywhere, torch
    finds no input gradient to compute for the first convolution (its input is the features)."""
    spec = load_spec(EXAMPLE)
    single = one_step(spec)
    counted = counted_step_flops(WhisperProgram(single), single)
    assert isinstance(spec.model, WhisperSpec)
    batch = single.schedule.batch_size
    first_conv_input_gradient = 2 * 3 * WHISPER_MEL_BINS * spec.model.width * WHISPER_FRAMES * batch
    priced = compute_units(single) * 1_000_000
    assert priced == -(-6 * whisper_macs(spec.model) * batch // 1_000_000) * 1_000_000
    assert 0.999 < (priced - first_conv_input_gradient) / counted < 1.001


def test_the_tiny_case_learns_something(tmp_path: Path) -> None:
    """The conformance case's loss falls over its ten steps (its WER stays near 1: too few)."""
    spec = case_spec("whisper")
    losses: list[float] = []
    train(spec, tmp_path, node=NODE, on_progress=lambda step, loss: losses.append(loss))
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    assert len(data.eval_transcripts) == 72 and data.n_train == 288
    assert losses and losses[-1] < 5.0  # ln(259) = 5.56 for a uniform guess


def test_features_are_cached_by_the_clips_content(tmp_path: Path) -> None:
    generated = generated_speech("spoken-digits")
    clips = SpeechArrays(audio=generated.audio[:12].copy(), transcripts=generated.transcripts[:12])
    fresh = clip_features(clips.audio)
    assert fresh.shape == (12, WHISPER_MEL_BINS, WHISPER_FRAMES)
    assert torch.equal(cached_features(clips, tmp_path), fresh)  # featurised and stored
    (stored,) = tmp_path.glob("features-*.npy")
    assert torch.equal(cached_features(clips, tmp_path), fresh)  # read back
    stored.write_bytes(b"torn")
    assert torch.equal(cached_features(clips, tmp_path), fresh)  # featurised again
    louder = SpeechArrays(audio=clips.audio * 0.5, transcripts=clips.transcripts)
    assert torch.equal(cached_features(louder, tmp_path), clip_features(louder.audio))  # other clips, other entry
    assert len(list(tmp_path.glob("features-*.npy"))) == 2


def test_a_whisper_fine_tunes_from_stored_weights(tmp_path: Path) -> None:
    """A spec's `init` weights (saved as transformers saves a Whisper: without the tied output
    projection) are where training starts; weights of another shape are refused by name."""
    from safetensors.torch import save_file

    from nnc.errors import TrainingError
    from nnc.storage import sha256_file
    from nnc.training.program_package import ProgramFiles

    spec = case_spec("whisper")
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    trained = runtime.replay(spec, None, 5, data)
    stored = tmp_path / "whisper.safetensors"
    save_file({k: v.clone() for k, v in trained.items() if k != "proj_out.weight"}, str(stored))
    document = {**spec.model_dump(mode="json", exclude_none=True),
                "init": {"uri": "local://whisper", "format": "safetensors", "digest": sha256_file(stored)}}
    tuned = parse_spec(document)
    start = runtime_for(tuned, ProgramFiles(init=stored)).replay(tuned, None, 0, data)
    assert start.keys() == trained.keys() and all(torch.equal(start[k], trained[k]) for k in trained)
    wider = parse_spec({**document, "model": {**document["model"], "width": 32}})
    with pytest.raises(TrainingError, match="do not fit"):
        runtime_for(wider, ProgramFiles(init=stored)).replay(wider, None, 0)
