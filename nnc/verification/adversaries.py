"""Dishonest trainers, for tests and the verification benchmark only (never used by the worker).

Each writes what a trainer `node` hands in, in the layout `nnc.runtimes.dispatch.train` uses (checkpoints
with a consistent hash chain from that node's genesis, `chain_genesis(spec, node)`, and
`model.pt`), so that only re-execution can tell them from honest work:
- `lazy`: fabricates most segments with one optimisation step instead of `interval` (skipping
  most of the compute), and trains the last segment properly from its fabricated state (the worst
  case for a verifier that always checks the last segment);
- `copier`: takes another node's checkpoints for a task that differs only in its seed, and
  re-chains them under its own genesis (this task's, bound to its address);
- `noisy`: trains properly but perturbs the weights at every checkpoint.
"Late" (misses the deadline) and the false challenger are behaviours on-chain, not artifacts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from nnc.runtimes.classifier import ClassifierProgram
from nnc.runtimes.dispatch import train
from nnc.task import TaskSpec, spec_digest
from nnc.training import load_checkpoint, load_data, model_digest, round_loss
from nnc.training.checkpoints import atomic_save, checkpoint_path, next_link, save_checkpoint
from nnc.training.data import BatchSampler
from nnc.training.digest import chain_genesis
from nnc.training.trainer import deterministic_torch, make_optimizer, train_step
from nnc.verification.segments import segment_bounds

ADVERSARIES = ("lazy", "copier", "noisy")

COPIED_NODE = "0x" + "c0" * 20
"""The node whose run the `copier` copies (any node but the copier: its chain is re-chained anyway)."""


@dataclass(frozen=True)
class Submission:
    """What a trainer submits: the result digest, the chain head, where its files are."""

    result_digest: bytes
    chain_head: bytes
    workdir: Path
    model_path: Path
    seconds: float  # CPU time of this process spent producing it


def honest(spec: TaskSpec, workdir: Path, node: str) -> Submission:
    started = time.process_time()
    result = train(spec, workdir, node=node, resume=False)
    return Submission(result.result_digest, result.chain_head, workdir, result.model_path,
                      time.process_time() - started)


def lazy(spec: TaskSpec, workdir: Path, node: str, rng: random.Random, fabricated: float = 0.8) -> Submission:
    """Fabricates a random `fabricated` fraction (at least) of the segments before the last."""
    n = len(segment_bounds(spec))
    fake = set(rng.sample(range(n - 1), k=min(n - 1, max(1, round(fabricated * (n - 1))))))
    return _train_plan(spec, workdir, node, lambda index: 1 if index in fake else None)


def noisy(spec: TaskSpec, workdir: Path, node: str, rng: random.Random, scale: float = 1e-3) -> Submission:
    """Adds Gaussian noise of `scale` times each tensor's standard deviation at every checkpoint."""
    return _train_plan(spec, workdir, node, lambda index: None, noise=scale, noise_seed=rng.getrandbits(63))


def copier(spec: TaskSpec, workdir: Path, node: str, rng: random.Random) -> Submission:
    """Copies the checkpoints of another node's run (`COPIED_NODE`) of the same task with another
    seed, re-chained from `node`'s genesis."""
    started = time.process_time()
    seed = spec.schedule.seed + 1 + rng.randrange(1000)
    other = spec.model_copy(update={"training": spec.schedule.model_copy(update={"seed": seed})})
    source = workdir / "copied-from"
    train(other, source, node=COPIED_NODE, resume=False)
    genesis, decimals = chain_genesis(spec, node), spec.determinism.digest_decimals
    head, history = genesis, []
    model = ClassifierProgram(spec).build()
    optimizer = make_optimizer(spec, list(model.parameters()))
    for _, end in segment_bounds(spec):
        state = load_checkpoint(checkpoint_path(source, end))
        model.load_state_dict(state.model)
        optimizer.load_state_dict(state.optimizer)
        link = next_link(head, checkpoint_path(workdir, end), end, state.loss, model.state_dict(), decimals)
        history.append(link)
        save_checkpoint(link, spec_digest(spec), model.state_dict(), optimizer.state_dict(), history, node=node)
        head = bytes.fromhex(link.chain_head)
    copy_seconds = time.process_time() - started  # includes the other node's training: an upper bound
    return _finish(spec, workdir, model, head, copy_seconds)


def make(kind: str, spec: TaskSpec, workdir: Path, node: str, rng: random.Random) -> Submission:
    """The submission of a trainer `node` of `kind` ("honest" or one of ADVERSARIES)."""
    makers: dict[str, Callable[[], Submission]] = {
        "honest": lambda: honest(spec, workdir, node),
        "lazy": lambda: lazy(spec, workdir, node, rng),
        "copier": lambda: copier(spec, workdir, node, rng),
        "noisy": lambda: noisy(spec, workdir, node, rng),
    }
    return makers[kind]()


def _train_plan(spec: TaskSpec, workdir: Path, node: str, steps_of: Callable[[int], int | None],
                noise: float = 0.0, noise_seed: int = 0) -> Submission:
    """Trains segment by segment; `steps_of(index)` gives how many steps segment `index` really
    runs (None: all of them). Writes checkpoints with a consistent chain, then the model."""
    started = time.process_time()
    data = load_data(spec)
    genesis, decimals = chain_genesis(spec, node), spec.determinism.digest_decimals
    noise_rng = torch.Generator().manual_seed(noise_seed)
    with deterministic_torch(spec.determinism.threads):
        torch.manual_seed(spec.schedule.seed)
        model = ClassifierProgram(spec).build()
        optimizer = make_optimizer(spec, list(model.parameters()))
        sampler = BatchSampler(len(data.train_y), spec.schedule.batch_size, spec.schedule.seed)
        program = ClassifierProgram(spec)
        model.train()
        head, history, loss = genesis, [], 0.0
        for index, (start, end) in enumerate(segment_bounds(spec)):
            count = steps_of(index)
            for step in range(start + 1, end + 1 if count is None else start + 1 + count):
                loss = train_step(program, model, optimizer, data, sampler.indices(step), step)
            if noise:
                with torch.no_grad():
                    for parameter in model.parameters():
                        parameter.add_(torch.randn(parameter.shape, generator=noise_rng) * noise
                                       * float(parameter.std()))
            link = next_link(head, checkpoint_path(workdir, end), end, round_loss(loss, decimals),
                             model.state_dict(), decimals)
            history.append(link)
            save_checkpoint(link, spec_digest(spec), model.state_dict(), optimizer.state_dict(), history, node=node)
            head = bytes.fromhex(link.chain_head)
    return _finish(spec, workdir, model, head, time.process_time() - started)


def _finish(spec: TaskSpec, workdir: Path, model: nn.Module, head: bytes, seconds: float) -> Submission:
    state = model.state_dict()
    model_path = workdir / "model.pt"
    atomic_save(state, model_path)
    return Submission(model_digest(state, spec.determinism.digest_decimals), head, workdir, model_path, seconds)

