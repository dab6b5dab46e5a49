"""Deterministic training of a task spec, with checkpoints, a hash chain and resumption."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from nnc.errors import TrainingError
from nnc.task import DATASET_SHAPES, TaskSpec, spec_digest
from nnc.training.checkpoints import (
    Checkpoint,
    CheckpointState,
    atomic_save,
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    next_link,
    save_checkpoint,
    verify_state,
)
from nnc.training.data import BatchSampler, SplitData, load_data
from nnc.training.digest import model_digest, round_loss
from nnc.training.models import build_model

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
def deterministic_torch(threads: int) -> Iterator[None]:
    """Pin torch to `threads` CPU threads and deterministic algorithms, and fork the global RNG.

    Everything is restored on exit. These are process-wide torch settings: do not train two
    specs concurrently in one process.
    """
    previous_threads = torch.get_num_threads()
    previous_mode = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous_mode, warn_only=previous_warn)
            torch.set_num_threads(previous_threads)


def _accuracy(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            predictions = model(inputs).argmax(dim=1)
    finally:
        model.train(was_training)
    return float((predictions == labels).sum().item()) / len(labels)


def evaluate(spec: TaskSpec, model: nn.Module, dataset_file: Path | None = None) -> float:
    """Accuracy of `model` on the spec's eval split (fraction of samples classified correctly)."""
    data = load_data(spec, dataset_file)
    with deterministic_torch(spec.determinism.threads):
        return _accuracy(model, data.eval_x, data.eval_y)


def make_optimizer(spec: TaskSpec, model: nn.Module) -> torch.optim.Optimizer:
    lr = spec.training.learning_rate
    if spec.training.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr)


def _is_checkpoint_step(spec: TaskSpec, step: int) -> bool:
    return step % spec.training.checkpoint_interval == 0 or step == spec.training.steps


def _resume(
    spec: TaskSpec, workdir: Path, genesis: bytes, model: nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[int, float, list[Checkpoint]]:
    """Load the latest checkpoint into `model` and `optimizer`: (step, loss, chain so far)."""
    found = list_checkpoints(workdir)
    if not found:
        return 0, math.nan, []
    step, path = found[-1]
    state = load_checkpoint(path)
    verify_state(state, path, genesis, spec.determinism.digest_decimals)
    if state.step != step or state.step > spec.training.steps or not _is_checkpoint_step(spec, state.step):
        raise TrainingError(f"checkpoint {path} holds step {state.step}, not a checkpoint step of this spec")
    try:
        model.load_state_dict(state.model)
        optimizer.load_state_dict(state.optimizer)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingError(f"checkpoint {path} does not fit the spec's model: {exc}") from exc
    logger.info("resuming %s from %s (step %d)", spec.name, path, state.step)
    return state.step, state.loss, state.history


def train_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: nn.Module, data: SplitData, batch: torch.Tensor
) -> float:
    """One optimisation step on `batch` (indices into the train split); returns the raw loss."""
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(data.train_x[batch]), data.train_y[batch])
    loss.backward()
    optimizer.step()
    return float(loss.item())


def replay(
    spec: TaskSpec, start: CheckpointState | None, end_step: int, data: SplitData | None = None
) -> dict[str, torch.Tensor]:
    """Re-executes training from `start` (or from the seeded initial model when None) up to
    `end_step`, exactly as `train` runs those steps, and returns the weights at `end_step`.

    This is what a spot-check verifier runs for one checkpoint segment: the same seed, batch
    order, optimizer state and thread count give the same weights as the trainer's checkpoint.
    `data` is `load_data(spec)`, passed in to load it once for several segments.
    """
    begin = 0 if start is None else start.step
    if not begin <= end_step <= spec.training.steps:
        raise TrainingError(f"cannot replay from step {begin} to {end_step} (spec has {spec.training.steps} steps)")
    data = data if data is not None else load_data(spec)
    with deterministic_torch(spec.determinism.threads):
        torch.manual_seed(spec.training.seed)
        model = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
        optimizer = make_optimizer(spec, model)
        if start is not None:
            try:
                model.load_state_dict(start.model)
                optimizer.load_state_dict(start.optimizer)
            except (RuntimeError, ValueError, KeyError) as exc:
                raise TrainingError(f"checkpoint at step {begin} does not fit the spec's model: {exc}") from exc
        sampler = BatchSampler(len(data.train_y), spec.training.batch_size, spec.training.seed)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for step in range(begin + 1, end_step + 1):
            train_step(model, optimizer, loss_fn, data, sampler.indices(step))
        return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def train(
    spec: TaskSpec,
    workdir: Path,
    *,
    on_checkpoint: Callable[[Checkpoint], None] | None = None,
    on_progress: Callable[[int, float], None] | None = None,
    resume: bool = True,
    dataset_file: Path | None = None,
) -> TrainingResult:
    """Train `spec` deterministically in `workdir` and return the result commitment data.

    Same spec, same framework versions and thread count → same `result_digest` and `chain_head`.
    Model initialisation is seeded by `torch.manual_seed(seed)` (inside a forked RNG, so the
    caller's RNG is untouched); batches come from `BatchSampler` (a function of seed and step).

    Every `checkpoint_interval` steps and at the last step a checkpoint is written atomically to
    `workdir/checkpoints/step-<n>.pt`, the chain is extended (see `digest.chain_step`) and
    `on_checkpoint` is called. `on_progress(step, loss)` is called every `PROGRESS_EVERY` steps.
    With `resume=True` the latest checkpoint in `workdir` is verified and training continues from
    it, ending with the same digest and chain head as an uninterrupted run; with `resume=False`
    existing checkpoint files are deleted first. The final weights (state_dict only) are written
    to `workdir/model.pt`. A spec whose dataset has a `uri` trains on `dataset_file`, the fetched
    copy. Raises `TrainingError` when the data or a checkpoint does not fit.
    """
    started = time.perf_counter()
    workdir = Path(workdir)
    training = spec.training
    decimals = spec.determinism.digest_decimals
    genesis = spec_digest(spec)
    data = load_data(spec, dataset_file)
    if not resume:
        for _, stale in list_checkpoints(workdir):
            stale.unlink()

    with deterministic_torch(spec.determinism.threads):
        torch.manual_seed(training.seed)
        model = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
        optimizer = make_optimizer(spec, model)
        step, loss_value, history = _resume(spec, workdir, genesis, model, optimizer) if resume else (0, math.nan, [])
        resumed_from = step
        head = bytes.fromhex(history[-1].chain_head) if history else genesis
        sampler = BatchSampler(len(data.train_y), training.batch_size, training.seed)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        if step < training.steps:
            logger.info(
                "training %s: steps %d..%d, batch %d, %s lr %g, %d thread(s)",
                spec.name,
                step + 1,
                training.steps,
                training.batch_size,
                training.optimizer,
                training.learning_rate,
                spec.determinism.threads,
            )
        while step < training.steps:
            step += 1
            raw_loss = train_step(model, optimizer, loss_fn, data, sampler.indices(step))
            if not math.isfinite(raw_loss):
                logger.warning("%s: loss is %s at step %d", spec.name, raw_loss, step)
            if on_progress is not None and (step % PROGRESS_EVERY == 0 or step == training.steps):
                on_progress(step, raw_loss)
            if _is_checkpoint_step(spec, step):
                loss_value = round_loss(raw_loss, decimals)
                link = next_link(head, checkpoint_path(workdir, step), step, loss_value, model.state_dict(), decimals)
                history = [*history, link]
                save_checkpoint(link, genesis, model, optimizer, history)
                head = bytes.fromhex(link.chain_head)
                logger.info(
                    "%s: checkpoint step %d loss %.6f chain %s",
                    spec.name,
                    step,
                    loss_value,
                    link.chain_head[:16],
                )
                if on_checkpoint is not None:
                    on_checkpoint(link)
        metric = _accuracy(model, data.eval_x, data.eval_y)
        state = model.state_dict()
        result_digest = model_digest(state, decimals)

    model_path = workdir / "model.pt"
    atomic_save(state, model_path)
    accepted = metric >= spec.acceptance.threshold
    seconds = time.perf_counter() - started
    logger.info(
        "%s: done, %s %.4f (threshold %.4f, %s), digest %s, %.2fs",
        spec.name,
        spec.acceptance.metric,
        metric,
        spec.acceptance.threshold,
        "accepted" if accepted else "rejected",
        result_digest.hex()[:16],
        seconds,
    )
    return TrainingResult(
        result_digest=result_digest,
        chain_head=head,
        final_loss=loss_value,
        metric=metric,
        accepted=accepted,
        steps=training.steps,
        seconds=seconds,
        model_path=model_path,
        checkpoints=history,
        resumed_from=resumed_from,
    )
