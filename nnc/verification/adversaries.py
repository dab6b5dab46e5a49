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

They forge torch classifiers (framework `torch`) and the `jax` runtime's mlp and cnn (whose
checkpoints hold torch tensors of the same layout; `_jax_plan`), and the `tensorflow` runtime's
(`_keras_plan`, the same layout).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

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
    weights: dict[str, torch.Tensor] = {}
    for _, end in segment_bounds(spec):
        state = load_checkpoint(checkpoint_path(source, end))
        weights = dict(state.model)
        link = next_link(head, checkpoint_path(workdir, end), end, state.loss, weights, decimals)
        history.append(link)
        save_checkpoint(link, spec_digest(spec), weights, dict(state.optimizer), history, node=node)
        head = bytes.fromhex(link.chain_head)
    copy_seconds = time.process_time() - started  # includes the other node's training: an upper bound
    return _finish(spec, workdir, weights, head, copy_seconds)


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
    if spec.framework == "jax":
        return _jax_plan(spec, workdir, node, steps_of, noise, noise_seed)
    if spec.framework == "tensorflow":
        return _keras_plan(spec, workdir, node, steps_of, noise, noise_seed)
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
    return _finish(spec, workdir, model.state_dict(), head, time.process_time() - started)


def _jax_plan(spec: TaskSpec, workdir: Path, node: str, steps_of: Callable[[int], int | None],
              noise: float, noise_seed: int) -> Submission:
    """`_train_plan` for the `jax` runtime: its own steps (`jax_classifier`), torch tensors at checkpoints."""
    from nnc.runtimes import jax_classifier as jc  # jax is an optional extra
    from nnc.runtimes.classifier_layout import layer_shapes
    from nnc.runtimes.jax_backend import on_cpu

    started = time.process_time()
    split = load_data(spec)
    genesis, decimals = chain_genesis(spec, node), spec.determinism.digest_decimals
    noise_rng = torch.Generator().manual_seed(noise_seed)
    head, history, loss = genesis, [], 0.0
    weights: dict[str, torch.Tensor] = {}
    with on_cpu(spec.determinism.threads):
        data = jc.JaxData.of(split)
        params = jc.init_params(spec)
        opt = jc.init_optimizer(spec, params)
        sampler = BatchSampler(split.n_train, spec.schedule.batch_size, spec.schedule.seed)
        for index, (start, end) in enumerate(segment_bounds(spec)):
            count = steps_of(index)
            for step in range(start + 1, end + 1 if count is None else start + 1 + count):
                params, opt, loss = jc.spec_step(spec, params, opt, data, sampler, step)
            weights = jc.to_torch(params)
            if noise:
                weights = {name: value + torch.randn(value.shape, generator=noise_rng) * noise * float(value.std())
                           for name, value in weights.items()}
                params = jc.from_torch(weights, layer_shapes(spec), "the noisy weights")
            link = next_link(head, checkpoint_path(workdir, end), end, round_loss(loss, decimals), weights, decimals)
            history.append(link)
            save_checkpoint(link, spec_digest(spec), weights, jc.to_torch(opt), history, node=node)
            head = bytes.fromhex(link.chain_head)
    return _finish(spec, workdir, weights, head, time.process_time() - started)


def _keras_plan(spec: TaskSpec, workdir: Path, node: str, steps_of: Callable[[int], int | None],
                noise: float, noise_seed: int) -> Submission:
    """`_train_plan` for the `tensorflow` runtime: its own Keras steps (`keras_classifier`), torch
    tensors at checkpoints."""
    from nnc.runtimes.keras_classifier import KerasClassifier  # tensorflow is an optional extra

    started = time.process_time()
    data = load_data(spec)
    genesis, decimals = chain_genesis(spec, node), spec.determinism.digest_decimals
    noise_rng = torch.Generator().manual_seed(noise_seed)
    head, history, loss = genesis, [], 0.0
    model = KerasClassifier(spec)
    model.fresh()
    weights: dict[str, torch.Tensor] = {}
    sampler = BatchSampler(data.n_train, spec.schedule.batch_size, spec.schedule.seed)
    for index, (start, end) in enumerate(segment_bounds(spec)):
        count = steps_of(index)
        for step in range(start + 1, end + 1 if count is None else start + 1 + count):
            loss = model.step(data, sampler, step)
        weights = model.weights()
        if noise:
            weights = {name: value + torch.randn(value.shape, generator=noise_rng) * noise * float(value.std())
                       for name, value in weights.items()}
            model.set_weights(weights, "the noisy weights")
        link = next_link(head, checkpoint_path(workdir, end), end, round_loss(loss, decimals), weights, decimals)
        history.append(link)
        save_checkpoint(link, spec_digest(spec), weights, model.optimizer_state(), history, node=node)
        head = bytes.fromhex(link.chain_head)
    return _finish(spec, workdir, weights, head, time.process_time() - started)


def _finish(spec: TaskSpec, workdir: Path, state: dict[str, torch.Tensor], head: bytes, seconds: float,
            ) -> Submission:
    model_path = workdir / "model.pt"
    atomic_save(state, model_path)
    return Submission(model_digest(state, spec.determinism.digest_decimals), head, workdir, model_path, seconds)

