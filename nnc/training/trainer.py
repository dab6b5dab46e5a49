"""Deterministic training of a task spec, with checkpoints, a hash chain and resumption.

Training any spec goes through its framework's runtime (`nnc.runtimes.dispatch`: `train`,
`replay`, `evaluate`); the torch runtimes come down here, to `train_program` and its siblings,
the loop shared by every `Program` (classifiers, language models, diffusion models). This layer
imports no runtime.

Device placement (`nnc.training.device`): a spec trains on the device `training_device(spec)`
picks here (the CPU unless its `execution.device` allows CUDA and the machine has it); a verifier
replays and an oracle evaluates on `training_device(spec, replay=True)`. The model is always built
on the CPU from the seeded CPU RNG and then moved, so its initial weights do not depend on the
device; checkpoints, the model file and replayed weights are CPU tensors, so digests and the hash
chain do not either.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nnc.errors import TrainingError
from nnc.task import TaskSpec, spec_digest
from nnc.task.timing import StepTiming
from nnc.training.checkpoint_writer import CheckpointWriter, link_checkpoint
from nnc.training.checkpoints import (
    Checkpoint,
    CheckpointState,
    atomic_save,
    list_checkpoints,
    load_checkpoint,
    verify_state,
)
from nnc.training.data import BatchSampler
from nnc.training.device import cpu_weights, deterministic_cuda, on_cpu, to_device, training_device
from nnc.training.digest import model_digest
from nnc.training.program import Program, TrainData

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 10
"""`on_progress` is called every this many steps, and at the last step."""


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of `train`. `result_digest` is `model_digest` of the final weights."""

    result_digest: bytes
    chain_head: bytes
    final_loss: float
    metric: float
    accepted: bool
    steps: int
    seconds: float
    model_path: Path
    checkpoints: list[Checkpoint] = field(default_factory=list)
    resumed_from: int = 0
    """Step of the checkpoint this call resumed from (0: trained from scratch)."""


@contextmanager
def deterministic_torch(threads: int, device: torch.device | None = None) -> Iterator[None]:
    """Pin torch to `threads` CPU threads and deterministic algorithms, and fork the global RNG
    (and, training on a CUDA `device`, its RNG, with cuDNN and cuBLAS pinned by
    `deterministic_cuda`).

    Everything is restored on exit. These are process-wide torch settings: do not train two
    specs concurrently in one process.
    """
    previous_threads = torch.get_num_threads()
    previous_mode = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    cuda = device is not None and device.type == "cuda"
    gpus = [torch.cuda.current_device() if device.index is None else device.index] if cuda and device else []
    with torch.random.fork_rng(devices=gpus), deterministic_cuda() if cuda else nullcontext():
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous_mode, warn_only=previous_warn)
            torch.set_num_threads(previous_threads)


def make_optimizer(spec: TaskSpec, parameters: list[nn.Parameter]) -> torch.optim.Optimizer:
    lr = spec.schedule.learning_rate
    if spec.schedule.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=lr)
    return torch.optim.SGD(parameters, lr=lr)


def is_checkpoint_step(spec: TaskSpec, step: int) -> bool:
    """Every `checkpoint_interval` steps and the last step take a checkpoint."""
    return step % spec.schedule.checkpoint_interval == 0 or step == spec.schedule.steps


def latest_checkpoint(spec: TaskSpec, workdir: Path, *, node: str | None) -> tuple[CheckpointState, Path] | None:
    """The latest checkpoint in `workdir`, checked against the spec and its own chain from `node`'s
    genesis (None: none yet). Every runtime resumes from it, so a node resumes only its own chain:
    a checkpoint another node chained raises `TrainingError` naming both."""
    found = list_checkpoints(workdir)
    if not found:
        return None
    step, path = found[-1]
    state = load_checkpoint(path)
    verify_state(state, path, spec_digest(spec), spec.determinism.digest_decimals, node=node)
    if state.step != step or state.step > spec.schedule.steps or not is_checkpoint_step(spec, state.step):
        raise TrainingError(f"checkpoint {path} holds step {state.step}, not a checkpoint step of this spec")
    logger.info("resuming %s from %s (step %d)", spec.name, path, state.step)
    return state, path


def record_checkpoint(spec: TaskSpec, workdir: Path, history: list[Checkpoint], step: int, raw_loss: float,
                      weights: Mapping[str, torch.Tensor], optimizer_state: Mapping[str, Any],
                      on_checkpoint: Callable[[Checkpoint], None] | None, *, node: str | None) -> list[Checkpoint]:
    """Extends `node`'s chain by the checkpoint of `step` (loss rounded), writes its file, calls
    `on_checkpoint`; returns the chain so far. Every runtime checkpoints through here or through a
    `CheckpointWriter` (the same links, written behind the loop), so every chain starts from
    `chain_genesis(spec, node)` (its first link, when `history` is empty). Weights and optimizer
    state are saved on the CPU, whatever device trained them."""
    history = link_checkpoint(spec, workdir, history, step, raw_loss, cpu_weights(weights), on_cpu(optimizer_state),
                              node=node)
    if on_checkpoint is not None:
        on_checkpoint(history[-1])
    return history


def _restore(program: Program, model: nn.Module, optimizer: torch.optim.Optimizer, state: CheckpointState,
             what: str) -> None:
    try:
        program.load_weights(model, state.model)
        # a copy: on the CPU the optimizer would adopt the state's tensors and update them in place,
        # so a second replay from the same checkpoint would start from the first one's end
        optimizer.load_state_dict(copy.deepcopy(state.optimizer))
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingError(f"{what} does not fit the spec's model: {exc}") from exc


def train_step(program: Program, model: nn.Module, optimizer: torch.optim.Optimizer, data: TrainData,
               batch: torch.Tensor, step: int) -> float:
    """One optimisation step on `batch` (indices into the train split, on the data's device);
    returns the raw loss."""
    optimizer.zero_grad(set_to_none=True)
    loss = program.loss(model, data, batch, step)
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()
    return float(loss.item())


def _fresh(spec: TaskSpec, program: Program, device: torch.device) -> tuple[nn.Module, torch.optim.Optimizer]:
    """The seeded initial model, built on the CPU and moved to `device`, and its optimizer (call
    inside `deterministic_torch`)."""
    torch.manual_seed(spec.schedule.seed)
    model = program.build().to(device)
    return model, make_optimizer(spec, program.trainable(model))


def _batch(sampler: BatchSampler, step: int, device: torch.device) -> torch.Tensor:
    indices = sampler.indices(step)
    return indices if device.type == "cpu" else indices.to(device)


def replay_program(spec: TaskSpec, program: Program, start: CheckpointState | None, end_step: int,
                   data: Any | None = None) -> dict[str, torch.Tensor]:
    """`replay` for a torch `Program`, on `training_device(spec, replay=True)`; the weights come
    back on the CPU."""
    begin = 0 if start is None else start.step
    if not begin <= end_step <= spec.schedule.steps:
        raise TrainingError(f"cannot replay from step {begin} to {end_step} (spec has {spec.schedule.steps} steps)")
    device = training_device(spec, replay=True)
    data = to_device(data if data is not None else program.load_data(None), device)
    with deterministic_torch(spec.determinism.threads, device):
        model, optimizer = _fresh(spec, program, device)
        if start is not None:
            _restore(program, model, optimizer, start, f"checkpoint at step {begin}")
        sampler = BatchSampler(data.n_train, spec.schedule.batch_size, spec.schedule.seed)
        model.train()
        for step in range(begin + 1, end_step + 1):
            train_step(program, model, optimizer, data, _batch(sampler, step, device), step)
        return {name: tensor.detach().to("cpu", copy=True) for name, tensor in program.weights(model).items()}


def evaluate_program(spec: TaskSpec, program: Program, weights: Mapping[str, torch.Tensor], data: TrainData,
                     ) -> float:
    """The acceptance metric of `weights` put into a freshly built model of `program` (on
    `training_device(spec, replay=True)`)."""
    device = training_device(spec, replay=True)
    data = to_device(data, device)
    with deterministic_torch(spec.determinism.threads, device):
        torch.manual_seed(spec.schedule.seed)
        model = program.build().to(device)
        try:
            program.load_weights(model, weights)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise TrainingError(f"the weights do not fit the spec's model: {exc}") from exc
        return program.metric(model, data)


def time_program_steps(spec: TaskSpec, program: Program, steps: int, dataset_file: Path | None = None,
                       on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
    """`steps` (at most the spec's) real optimisation steps of `program` on the device it trains on
    here (the CPU for a `cuda` spec on a machine without CUDA: a requester's dry run), timed; the
    model is discarded."""
    measured = max(1, min(steps, spec.schedule.steps))
    device = training_device(spec, replay=True)
    data = to_device(program.load_data(dataset_file), device)
    with deterministic_torch(spec.determinism.threads, device):
        model, optimizer = _fresh(spec, program, device)
        sampler = BatchSampler(data.n_train, spec.schedule.batch_size, spec.schedule.seed)
        model.train()
        started = time.perf_counter()
        loss = math.nan
        for step in range(1, measured + 1):
            loss = train_step(program, model, optimizer, data, _batch(sampler, step, device), step)
            if on_progress is not None:
                on_progress(step, loss)
        seconds = time.perf_counter() - started
    parameters = sum(p.numel() for p in program.trainable(model))
    return StepTiming(measured, seconds / measured, parameters, loss)


def train_program(
    spec: TaskSpec,
    program: Program,
    workdir: Path,
    *,
    node: str | None,
    on_checkpoint: Callable[[Checkpoint], None] | None = None,
    on_progress: Callable[[int, float], None] | None = None,
    resume: bool = True,
    dataset_file: Path | None = None,
) -> TrainingResult:
    """`train` for a torch `Program`, on `training_device(spec)`."""
    started = time.perf_counter()
    workdir = Path(workdir)
    training = spec.schedule
    device = training_device(spec)
    data = to_device(program.load_data(dataset_file), device)
    if not resume:
        for _, stale in list_checkpoints(workdir):
            stale.unlink()

    with deterministic_torch(spec.determinism.threads, device):
        model, optimizer = _fresh(spec, program, device)
        found = latest_checkpoint(spec, workdir, node=node) if resume else None
        history: list[Checkpoint] = []
        if found is not None:
            state, path = found
            _restore(program, model, optimizer, state, f"checkpoint {path}")
            history = state.history
        step = resumed_from = history[-1].step if history else 0
        sampler = BatchSampler(data.n_train, training.batch_size, training.seed)
        model.train()
        if step < training.steps:
            logger.info("training %s (%s) on %s: steps %d..%d, batch %d, %s lr %g, %d thread(s)", spec.name,
                        spec.framework, device, step + 1, training.steps, training.batch_size, training.optimizer,
                        training.learning_rate, spec.determinism.threads)
        with CheckpointWriter(spec, workdir, history, on_checkpoint, node=node) as writer:
            while step < training.steps:
                step += 1
                raw_loss = train_step(program, model, optimizer, data, _batch(sampler, step, device), step)
                if not math.isfinite(raw_loss):
                    logger.warning("%s: loss is %s at step %d", spec.name, raw_loss, step)
                if on_progress is not None and (step % PROGRESS_EVERY == 0 or step == training.steps):
                    on_progress(step, raw_loss)
                if is_checkpoint_step(spec, step):
                    writer.submit(step, raw_loss, program.weights(model), optimizer.state_dict())
            history = writer.close()
        model.eval()
        metric = program.metric(model, data)
        weights = program.weights(model)
    return finish(spec, workdir, weights, metric, started, history=history, resumed_from=resumed_from)


def finish(spec: TaskSpec, workdir: Path, weights: Mapping[str, torch.Tensor], metric: float, started: float, *,
           history: list[Checkpoint], resumed_from: int) -> TrainingResult:
    """Writes `workdir/model.pt` (the weights) and logs and returns the result: its digest, the
    chain's head and final loss (the last step is always a checkpoint). Every runtime ends here."""
    weights = cpu_weights(weights)
    result_digest = model_digest(weights, spec.determinism.digest_decimals)
    model_path = workdir / "model.pt"
    atomic_save(dict(weights), model_path)
    accepted = spec.goal.accepts(metric)
    seconds = time.perf_counter() - started
    logger.info("%s: done, %s %.4f (threshold %.4f, %s), digest %s, %.2fs", spec.name, spec.goal.metric,
                metric, spec.goal.threshold, "accepted" if accepted else "rejected", result_digest.hex()[:16],
                seconds)
    return TrainingResult(result_digest=result_digest, chain_head=bytes.fromhex(history[-1].chain_head),
                          final_loss=history[-1].loss, metric=metric, accepted=accepted, steps=spec.schedule.steps,
                          seconds=seconds, model_path=model_path, checkpoints=history, resumed_from=resumed_from)
