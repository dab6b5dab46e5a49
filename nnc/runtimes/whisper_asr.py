"""The `whisper` model kind of the `transformers` runtime: speech recognition with transformers'
Whisper (`WhisperForConditionalGeneration`) built from a config in code (never downloaded), on a
`speech` dataset (`nnc.training.speech`), scored by word error rate.

Inputs are Whisper's 80-bin log-mel features of one-second clips (`WhisperFeatureExtractor` built
with explicit arguments, computed on one thread and cached by the clips' content); transcripts are bytes
(token = byte, then pad, start and end: vocabulary 259), so no tokenizer is downloaded either. A
step's loss is the cross-entropy of each transcript byte and the end token given the clip and
the bytes before it (teacher forcing). The metric, `eval_wer`, greedily decodes every eval clip
(`transcribe`) and divides the word-level edit distance to the reference transcripts by their
word count (`word_error_rate`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import torch
import transformers
from torch import nn
from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

from nnc.errors import TrainingError
from nnc.runtimes.base import ProgramRuntime, Runtime
from nnc.task import TaskSpec
from nnc.task.model_specs import WHISPER_FRAMES, WHISPER_MEL_BINS, WHISPER_TRANSCRIPT_BYTES, WHISPER_VOCAB, WhisperSpec
from nnc.training.program import TrainData, full_weights, spec_model
from nnc.training.speech import CLIP_SAMPLES, CLIP_SECONDS, SAMPLE_RATE, SpeechArrays, cache_dir, load_speech
from nnc.training.split import split_indices
from nnc.training.trainer import deterministic_torch

MEL_BINS: Final = WHISPER_MEL_BINS
MEL_FRAMES: Final = WHISPER_FRAMES
"""Frames of a clip's features (hop 10 ms); the encoder's convolutions halve them."""
PAD, START, END = 256, 257, 258
VOCAB: Final = WHISPER_VOCAB
"""Bytes, then the pad, start-of-transcript and end-of-transcript tokens."""
TARGET_POSITIONS: Final = WHISPER_TRANSCRIPT_BYTES + 2
"""Decoder positions: the start token, a transcript's bytes, the end token."""
IGNORE: Final = -100
EVAL_CHUNK: Final = 64
"""Eval clips decoded per batch (a fixed size, so the arithmetic is the same everywhere)."""


def whisper_config(model: WhisperSpec) -> WhisperConfig:
    """The Whisper config of the spec's model: no dropout (training must be deterministic), tied
    decoder embedding and output projection, eager attention (what `nnc.task.cost.whisper_macs`
    prices), no KV cache, and positions for one-second clips and byte transcripts."""
    return WhisperConfig(  # type: ignore[call-arg]  # attn_implementation: a PreTrainedConfig kwarg
        vocab_size=VOCAB, num_mel_bins=MEL_BINS, encoder_layers=model.layers, decoder_layers=model.layers,
        encoder_attention_heads=model.heads, decoder_attention_heads=model.heads, d_model=model.width,
        encoder_ffn_dim=2 * model.width, decoder_ffn_dim=2 * model.width, max_source_positions=MEL_FRAMES // 2,
        max_target_positions=TARGET_POSITIONS, dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
        encoder_layerdrop=0.0, decoder_layerdrop=0.0, pad_token_id=PAD, bos_token_id=START, eos_token_id=END,
        decoder_start_token_id=START, tie_word_embeddings=True, use_cache=False, apply_spec_augment=False,
        begin_suppress_tokens=None, suppress_tokens=None, attn_implementation="eager")


def feature_extractor() -> WhisperFeatureExtractor:
    """Whisper's log-mel front end for one-second 16 kHz clips, every argument explicit."""
    return WhisperFeatureExtractor(feature_size=MEL_BINS, sampling_rate=SAMPLE_RATE, hop_length=160,
                                   chunk_length=CLIP_SECONDS, n_fft=400,
                                   padding_value=0.0)  # type: ignore[no-untyped-call]


def clip_features(audio: np.ndarray) -> torch.Tensor:
    """Log-mel features `(n, 80, MEL_FRAMES)` float32 of clips `(n, samples)`, on one thread."""
    extractor = feature_extractor()
    with deterministic_torch(1):
        features = extractor(list(audio), sampling_rate=SAMPLE_RATE, return_tensors="np", padding="max_length",
                             truncation=True, max_length=CLIP_SAMPLES)["input_features"]
    return torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))


def cached_features(arrays: SpeechArrays, cache: Path | None = None) -> torch.Tensor:
    """`clip_features(arrays.audio)`, kept in the speech cache (`nnc.training.speech.cache_dir()`)
    by the clips' digest, the extractor's settings and transformers' version: a node featurises a
    dataset once (0.25 s for `spoken-digits`), not at every load of a training, replay or
    evaluation. A cache that cannot be written is skipped."""
    audio = arrays.audio
    hasher = hashlib.sha256(arrays.digest.encode())
    hasher.update(feature_extractor().to_json_string().encode() + transformers.__version__.encode())
    path = (cache or cache_dir()) / f"features-{hasher.hexdigest()[:24]}.npy"
    expected = (len(audio), MEL_BINS, MEL_FRAMES)
    if path.is_file():
        try:
            stored = np.load(path, allow_pickle=False)
            if stored.shape == expected and stored.dtype == np.float32:
                return torch.from_numpy(stored)
        except (OSError, ValueError):
            pass  # a torn file: featurise again
    features = clip_features(audio)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        with partial.open("wb") as fh:
            np.save(fh, features.numpy())
        partial.replace(path)
    except OSError:
        pass
    return features


def encode_transcripts(texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder inputs (start, then the bytes, padded) and labels (the bytes, then end; padding
    ignored), both `(n, TARGET_POSITIONS - 1)` int64."""
    width = TARGET_POSITIONS - 1
    inputs = torch.full((len(texts), width), PAD, dtype=torch.int64)
    labels = torch.full((len(texts), width), IGNORE, dtype=torch.int64)
    for row, text in enumerate(texts):
        raw = list(text.encode("utf-8"))
        inputs[row, :len(raw) + 1] = torch.tensor([START, *raw])
        labels[row, :len(raw) + 1] = torch.tensor([*raw, END])
    return inputs, labels


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Word error rate: the word-level edit distance (substitutions, deletions, insertions) of
    each hypothesis to its reference, summed, over the references' word count (words split on
    whitespace, compared exactly). Can exceed 1 (insertions)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    errors = words = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        ref, hyp = reference.split(), hypothesis.split()
        previous = list(range(len(hyp) + 1))
        for i, word in enumerate(ref, start=1):
            current = [i]
            for j, guess in enumerate(hyp, start=1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != guess)))
            previous = current
        errors += previous[-1]
        words += len(ref)
    if words == 0:
        raise ValueError("the references hold no words")
    return errors / words


@dataclass(frozen=True)
class SpeechData:
    """Features `(n, 80, frames)` float32, decoder inputs and labels `(n, positions)` int64, and the
    eval split's transcripts (what the metric compares with)."""

    train_features: torch.Tensor
    train_inputs: torch.Tensor
    train_labels: torch.Tensor
    eval_features: torch.Tensor
    eval_transcripts: tuple[str, ...]

    @property
    def n_train(self) -> int:
        return len(self.train_features)


def load_speech_data(spec: TaskSpec, dataset_file: Path | None) -> SpeechData:
    """The spec's speech dataset (generated, or its stored `uri`), checked against its pinned
    digest, featurised and split as every dataset is (`split_indices`)."""
    arrays = load_speech(spec.dataset.name, spec.dataset.uri, spec.dataset.digest, dataset_file)
    train, evaluation = split_indices(len(arrays.transcripts), spec.schedule.seed, spec.dataset.eval_fraction)
    if not train or not evaluation:
        raise TrainingError(f"dataset {spec.dataset.name!r}: {len(arrays.transcripts)} clips are too few to split")
    features = cached_features(arrays)
    inputs, labels = encode_transcripts([arrays.transcripts[i] for i in train])
    train_idx = torch.tensor(train, dtype=torch.int64)
    return SpeechData(train_features=features[train_idx].contiguous(), train_inputs=inputs, train_labels=labels,
                      eval_features=features[torch.tensor(evaluation, dtype=torch.int64)].contiguous(),
                      eval_transcripts=tuple(arrays.transcripts[i] for i in evaluation))


def transcript_loss(module: nn.Module, features: torch.Tensor, inputs: torch.Tensor,
                    labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats) of each label token given the clip and the tokens before it
    (computed here from the logits, not by passing `labels=` to the model)."""
    logits: torch.Tensor = module(input_features=features, decoder_input_ids=inputs).logits
    return nn.functional.cross_entropy(logits.reshape(-1, VOCAB), labels.reshape(-1), ignore_index=IGNORE)


def transcribe(module: nn.Module, features: torch.Tensor) -> list[str]:
    """Greedy transcripts of clips `features` (`(n, 80, frames)`): from the start token, the most
    likely token each step (ties to the lowest id) until the end token or the positions run out;
    bytes decoded as UTF-8 (undecodable bytes replaced). The encoder runs once per clip."""
    was_training = module.training
    module.eval()
    texts: list[str] = []
    try:
        with torch.no_grad():
            for start in range(0, len(features), EVAL_CHUNK):
                chunk = features[start:start + EVAL_CHUNK]
                encoded = module.model.encoder(chunk).last_hidden_state  # type: ignore[union-attr, operator]
                tokens = torch.full((len(chunk), 1), START, dtype=torch.int64, device=chunk.device)
                done = torch.zeros(len(chunk), dtype=torch.bool, device=chunk.device)
                for _ in range(TARGET_POSITIONS - 1):
                    logits = module(encoder_outputs=(encoded,), decoder_input_ids=tokens).logits[:, -1]
                    logits[:, PAD] = logits[:, START] = -torch.inf
                    chosen = torch.where(done, END, logits.argmax(dim=-1))
                    tokens = torch.cat([tokens, chosen[:, None]], dim=1)
                    done |= chosen == END
                    if bool(done.all()):
                        break
                for row in tokens[:, 1:].tolist():
                    raw = bytes(token for token in (row[:row.index(END)] if END in row else row) if token < PAD)
                    texts.append(raw.decode("utf-8", errors="replace"))
    finally:
        module.train(was_training)
    return texts


class WhisperProgram:
    """A tiny Whisper over bytes: every weight trains and is committed."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.model_spec = spec_model(spec, WhisperSpec, "the whisper program trains whisper models")

    def load_data(self, dataset_file: Path | None) -> SpeechData:
        return load_speech_data(self.spec, dataset_file)

    def build(self) -> nn.Module:
        """The model from torch's seeded global RNG (transformers' Whisper init; the encoder's
        sinusoidal positions are fixed)."""
        module: nn.Module = WhisperForConditionalGeneration(whisper_config(self.model_spec))
        return module

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        """Every parameter but the encoder's fixed sinusoidal positions (transformers freezes them)."""
        return [parameter for parameter in module.parameters() if parameter.requires_grad]

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """The full state dict (the tied `proj_out.weight` is listed with the decoder's token
        embedding, the same tensor)."""
        return full_weights(module)

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        module.load_state_dict(dict(weights))

    def load_init(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        """Puts a Whisper state dict of the spec's shape (an earlier task's result, or a file
        saved by transformers, which leaves out the tied `proj_out.weight`) into a freshly built
        model; KeyError naming what does not fit."""
        missing, unexpected = module.load_state_dict(dict(weights), strict=False)
        missing = [name for name in missing if name != "proj_out.weight"]
        if missing or unexpected:
            raise KeyError(f"whisper weights do not fit: missing {sorted(missing)[:3]}, "
                           f"unexpected {sorted(unexpected)[:3]}")

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        assert isinstance(data, SpeechData)
        return transcript_loss(module, data.train_features[batch], data.train_inputs[batch], data.train_labels[batch])

    def metric(self, module: nn.Module, data: TrainData) -> float:
        """Word error rate of the greedy transcripts of the eval clips."""
        assert isinstance(data, SpeechData)
        return word_error_rate(data.eval_transcripts, transcribe(module, data.eval_features))


RUNTIME: Runtime = ProgramRuntime(WhisperProgram)
