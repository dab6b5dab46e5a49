"""Running a model over an inference task's input shards, in this process (the worker calls it
inside the sandbox, `nnc.inference.sandboxed`; a verifier re-runs chosen shards with it).

The model is built as its training would build it (the built-in program of its kind, or the
requester's program) and loaded with `inference_weights`; the inputs are every sample of the
spec's dataset in stored order (for text generation, the prompts of `nnc.inference.generation`).
Each shard runs in batches of `inference.batch_size` under the trainer's determinism settings
(pinned threads, deterministic algorithms, no autograd), its outputs are kept as
`shards/shard-NNNNN.npy` in the work directory (a restart resumes after the last finished shard)
and digested (`nnc.inference.outputs`).

A requester's program serves inference with two more methods beside the `Program` ones:
`load_inputs(dataset_file) -> torch.Tensor` (every input, in order) and optionally
`predict(module, batch) -> torch.Tensor` (default: `module(batch)`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from nnc.errors import DatasetError, TrainingError
from nnc.inference.outputs import outputs_digest, shard_digest, shard_key, write_outputs
from nnc.inference.weights import inference_weights
from nnc.runtimes import builtin_program
from nnc.task import RwkvLMSpec, TaskSpec
from nnc.task.inference_spec import InferenceSpec
from nnc.training.data import load_inputs
from nnc.training.device import training_device
from nnc.training.program import Program
from nnc.training.program_package import ProgramFiles
from nnc.training.trainer import deterministic_torch

log = logging.getLogger(__name__)

OUTPUTS_FILE = "outputs.npz"


@dataclass(frozen=True)
class InferenceResult:
    """What a node commits for an inference task: the result digest (the outputs chain's head),
    every shard's digest, the outputs file, and how long the shards took."""

    result_digest: bytes
    shard_digests: tuple[bytes, ...]
    outputs_path: Path
    seconds: float
    resumed_shards: int = 0


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to predict: its module (on `device`, in eval mode), how a batch becomes raw
    outputs, and every input of the task on the CPU."""

    module: nn.Module
    predict: Callable[[torch.Tensor], torch.Tensor]
    inputs: torch.Tensor
    device: torch.device


def _inference(spec: TaskSpec) -> InferenceSpec:
    if spec.inference is None:
        raise TrainingError(f"{spec.name!r} is a training task, not an inference task")
    return spec.inference


def _program(spec: TaskSpec, files: ProgramFiles) -> tuple[Program, Callable[[Path | None], torch.Tensor] | None,
                                                           Callable[[nn.Module, torch.Tensor], torch.Tensor] | None]:
    """The program that builds `spec`'s model, and a requester's program's own `load_inputs` and
    `predict` (None for the built-in ones)."""
    if spec.program is None:
        return builtin_program(spec), None, None
    from nnc.runtimes.user_program import load_program

    if files.package is None:
        raise TrainingError(f"{spec.name!r}: its program package was not fetched")
    program = load_program(spec, files.package)
    raw = getattr(program, "program", program)
    load = getattr(raw, "load_inputs", None)
    if not callable(load):
        raise TrainingError(f"program {spec.program.entry} has no load_inputs(dataset_file): it cannot run inference")
    predict = getattr(raw, "predict", None)
    return program, load, predict if callable(predict) else None


def load_model(spec: TaskSpec, files: ProgramFiles, dataset_file: Path | None) -> LoadedModel:
    """`spec`'s model with its weights, and its inputs; raises `TrainingError` (weights that do not
    fit, a program without `load_inputs`) or `DatasetError` (inputs that are not the spec's)."""
    inference = _inference(spec)
    program, load, predict = _program(spec, files)
    device = training_device(spec, replay=True)
    with deterministic_torch(spec.determinism.threads, device):
        torch.manual_seed(0)  # what the weights do not cover (nothing, for a full state dict) is fixed
        module = program.build()
    loader = getattr(program, "load_init", None) or program.load_weights  # a LM's may leave out the tied head
    try:
        loader(module, inference_weights(spec, files))
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingError(f"{spec.name!r}: the weights do not fit the model: {exc}") from exc
    module.to(device).eval()
    if inference.outputs == "tokens":
        from nnc.inference.generation import generate, prompt_tensor, spec_sampling

        new_tokens, sampling = inference.max_new_tokens or 0, spec_sampling(spec)
        inputs = prompt_tensor(spec, dataset_file)
        recurrent = isinstance(spec.model, RwkvLMSpec)
        predict = predict or (lambda m, batch: generate(m, batch, new_tokens, sampling, recurrent=recurrent))  # noqa: E731
    elif load is None:
        inputs = torch.from_numpy(load_inputs(spec, dataset_file))
    else:
        inputs = load(dataset_file)
        if not isinstance(inputs, torch.Tensor):
            raise TrainingError(f"program {spec.program.entry if spec.program else '?'}: load_inputs must return "
                                f"a tensor, not {type(inputs).__name__}")
    if len(inputs) != inference.inputs:
        raise DatasetError(f"dataset {spec.dataset.name!r} holds {len(inputs)} input(s), the spec's "
                           f"inference.inputs says {inference.inputs}")

    def forward(batch: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = predict(module, batch) if predict is not None else module(batch)
        return out

    return LoadedModel(module, forward, inputs, device)


def finish_outputs(raw: torch.Tensor, inference: InferenceSpec) -> npt.NDArray[np.generic]:
    """A batch's raw outputs as stored: float32 logits, int64 arg-max classes, int64 tokens."""
    if inference.outputs == "classes":
        return raw.argmax(dim=1).to("cpu", torch.int64).numpy()
    if inference.outputs == "tokens":
        return raw.to("cpu", torch.int64).numpy()
    return raw.detach().to("cpu", torch.float32).numpy()


def run_shards(spec: TaskSpec, model: LoadedModel,
               shards: Iterable[int]) -> Iterator[tuple[int, npt.NDArray[np.generic]]]:
    """Each of `shards`' outputs, in turn: its inputs in batches of `inference.batch_size`."""
    inference = _inference(spec)
    with deterministic_torch(spec.determinism.threads, model.device), torch.no_grad():
        for shard in shards:
            start, end = inference.shard_bounds(shard)
            parts = []
            for first in range(start, end, inference.batch_size):
                batch = model.inputs[first:min(first + inference.batch_size, end)].to(model.device)
                parts.append(finish_outputs(model.predict(batch), inference))
            yield shard, np.concatenate(parts)


def run_inference(spec: TaskSpec, workdir: Path, *, dataset_file: Path | None = None,
                  files: ProgramFiles | None = None,
                  on_shard: Callable[[int, bytes], None] | None = None) -> InferenceResult:
    """Runs `spec`'s model over every shard (resuming after the shards `workdir` already holds),
    writes the outputs file and returns the result digest. `on_shard(shard, digest)` follows each."""
    inference = _inference(spec)
    model = load_model(spec, files or ProgramFiles(), dataset_file)
    shard_dir = workdir / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    done: dict[int, npt.NDArray[np.generic]] = {}
    digests: dict[int, bytes] = {}
    for shard in range(inference.shards):
        path = shard_dir / f"{shard_key(shard)}.npy"
        if not path.exists():
            break
        done[shard] = np.load(path, allow_pickle=False)
        digests[shard] = shard_digest(done[shard], inference.decimals)
    resumed = len(done)
    started = time.perf_counter()
    for shard, outputs in run_shards(spec, model, range(resumed, inference.shards)):
        path = shard_dir / f"{shard_key(shard)}.npy"
        np.save(path.with_suffix(".tmp.npy"), outputs, allow_pickle=False)
        path.with_suffix(".tmp.npy").replace(path)  # a crash never leaves half a shard behind
        done[shard], digests[shard] = outputs, shard_digest(outputs, inference.decimals)
        if on_shard is not None:
            on_shard(shard, digests[shard])
    seconds = time.perf_counter() - started
    chain = tuple(digests[i] for i in range(inference.shards))
    path = write_outputs(workdir / OUTPUTS_FILE, [done[i] for i in range(inference.shards)])
    log.info("inference %s: %d shard(s) (%d resumed) in %.2f s", spec.name, len(chain), resumed, seconds)
    return InferenceResult(outputs_digest(spec, chain), chain, path, seconds, resumed)
