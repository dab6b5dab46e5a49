"""A trained model loaded for predictions, outside any task: built by the runtime that trained it
(from the spec that made it), its weights put in, in eval mode. A classifier (`mlp`, `cnn`) gives
classes and scores for inputs; a causal LM (`causal-lm`, with or without a LoRA, or `rwkv`) generates bytes
from a prompt (`nnc.inference.sampling`: temperature, top-k, seed). Imports torch and the model's
framework: import this module only where a model runs.

A LoRA model's weights are its adapters: the base they adapt is rebuilt from the spec's seed, or
loaded from its `init` weights or `base_model` (`files.init`, as `nnc.library.fetch_task_files`
fetches them). A requester's own program is never loaded here (it runs only in the sandbox).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import torch
from torch import nn

from nnc.errors import DatasetError
from nnc.inference.sampling import Sampling, sample
from nnc.library.fetch import LibraryModelError
from nnc.runtimes import builtin_program
from nnc.task import DATASET_SHAPES, TaskSpec
from nnc.training.init_weights import with_init
from nnc.training.program_package import ProgramFiles

RUNNABLE_KINDS: Final = frozenset({"mlp", "cnn", "causal-lm", "rwkv"})
"""The model kinds `load_model` builds: classifiers and causal LMs (GPT-2 and RWKV)."""
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def needs_base(spec: TaskSpec) -> bool:
    """Whether `load_model` needs `files.init` for `spec`: its weights are adapters over a base
    that starts from given weights (a full model's weights replace everything the base held)."""
    return getattr(spec.model, "lora", None) is not None and spec.starts_from_weights


def load_model(spec: TaskSpec, weights: Mapping[str, torch.Tensor], files: ProgramFiles | None = None) -> nn.Module:
    """The model `spec` trains, holding `weights` (as the task committed them), in eval mode on
    the CPU. Raises `LibraryModelError` for a model kind it does not run, and `TrainingError`
    when the weights do not fit."""
    if spec.program is not None or spec.model.kind not in RUNNABLE_KINDS or spec.framework == "jax":
        raise LibraryModelError(f"{spec.name!r}: a {spec.framework} {spec.model.kind} model is not run here "
                                f"(runnable: torch, transformers and peft models of kinds "
                                f"{', '.join(sorted(RUNNABLE_KINDS))})")
    program = builtin_program(spec)
    if needs_base(spec):
        if files is None or files.init is None:
            raise LibraryModelError(f"{spec.name!r}: its adapters need the base weights they were trained on "
                                    "(fetch them with nnc.library.fetch_task_files)")
        program = with_init(program, files.init)
    with torch.random.fork_rng():
        torch.manual_seed(spec.schedule.seed)  # the base a LoRA adapts, as the trainer built it
        module = program.build()
    program.load_weights(module, weights)
    module.eval()
    return module


@dataclass(frozen=True)
class Prediction:
    """One input's predicted class and every class's probability (softmax of the logits)."""

    label: int
    scores: tuple[float, ...]


def read_inputs(spec: TaskSpec, paths: Sequence[Path]) -> torch.Tensor:
    """Classifier inputs `(n, features)` from files: `.npz` files' `inputs` arrays (float32, n x
    features, in [0, 1] as the datasets are) and image files, decoded to the model's input shape."""
    from nnc.datasets.images import ImageDecoder

    shape = DATASET_SHAPES.get(spec.dataset.name)
    if shape is None:
        raise DatasetError(f"{spec.name!r}: dataset {spec.dataset.name!r} has no fixed input shape to read inputs as")
    rows: list[np.ndarray] = []
    decoder = ImageDecoder(shape.input_shape)
    for path in paths:
        if path.suffix.lower() == ".npz":
            try:
                with np.load(path, allow_pickle=False) as archive:
                    inputs = np.asarray(archive["inputs"], dtype=np.float32)
            except (OSError, ValueError, KeyError) as exc:
                raise DatasetError(f"{path}: not an .npz with an 'inputs' array: {exc}") from exc
            rows.extend(inputs.reshape(len(inputs), -1) if inputs.ndim > 1 else inputs.reshape(1, -1))
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            rows.append(decoder.decode(path, str(path)).reshape(-1))
        else:
            raise DatasetError(f"{path}: give .npz files (an 'inputs' array) or images "
                               f"({', '.join(IMAGE_SUFFIXES)})")
    if not rows:
        raise DatasetError("no inputs to classify")
    batch = torch.from_numpy(np.stack(rows))
    if batch.shape[1] != shape.n_inputs:
        raise DatasetError(f"inputs have {batch.shape[1]} features; the model takes {shape.n_inputs} "
                           f"({'x'.join(map(str, shape.input_shape))})")
    return batch


def classify(module: nn.Module, inputs: torch.Tensor) -> list[Prediction]:
    """Each input's predicted class and class probabilities."""
    with torch.no_grad():
        probabilities = torch.softmax(module(inputs).double(), dim=1)
    return [Prediction(int(row.argmax()), tuple(float(p) for p in row)) for row in probabilities]


def generate(module: nn.Module, spec: TaskSpec, prompt: bytes, max_new_tokens: int, temperature: float = 1.0,
             seed: int = 0, top_k: int | None = None) -> bytes:
    """`max_new_tokens` bytes continuing `prompt`, each picked by `nnc.inference.sampling` from the
    model's next-byte logits: at `temperature` (0: the most likely byte) among the `top_k` likeliest
    (None: all), drawn with a generator seeded by `seed` and the prompt, so the same call gives the
    same text. The model sees the last `context` bytes. Raises `SamplingError` naming an argument
    out of range."""
    context = getattr(spec.model, "context", None)
    if context is None:
        raise LibraryModelError(f"{spec.name!r}: a {spec.model.kind} model does not generate text")
    sampling = Sampling(temperature, top_k, seed)
    tokens = sample(module, list(prompt) or [0], context, max_new_tokens, sampling)  # byte 0: the model's bos
    return bytes(tokens)
