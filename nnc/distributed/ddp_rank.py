"""One rank of a node's DDP group (`nnc.distributed.node_ddp`): the process `RankGroup` spawns.

A rank's round is `inner_round`'s, with DDP around the model. The model is built from the seeded
RNG, the start weights are loaded into it and the spec's inner optimizer is made for it; then it is
wrapped in `DistributedDataParallel`. At inner step t every rank draws the node's batch of B
samples (the same `BatchSampler` over the shard as with W = 1) and takes its slice, positions
`[r·B/W, (r+1)·B/W)`; the spec refuses a B that W does not divide. DDP averages the gradients
over the ranks (an allreduce), so every rank's optimizer takes the same step and the ranks' models
stay equal. Rank 0's end weights give the delta. Rank r's global RNG (whatever the program's loss
draws) is seeded with `(round_seed(seed, node, round) + r) mod 2^63`, so rank 0 draws as W = 1 does.
The reported loss is the mean over the ranks of the last step's loss: the loss of the node's
whole batch. Each rank keeps its own mid-round checkpoint; a round resumes only when every rank
saved the same step.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Final

import torch

from nnc.distributed.inner_state import load_optimizer_state, optimizer_state
from nnc.distributed.plan import DilocoPlan, round_seed, start_model
from nnc.distributed.resume import Resumed, RoundCheckpoint, load_resumed, round_key, save_resumable
from nnc.distributed.tensors import tensor_bytes, tensors_from_bytes
from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.training.data import BatchSampler
from nnc.training.device import to_device, training_device
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch, make_optimizer, train_step

logger = logging.getLogger("nnc.distributed.node_ddp")

COLLECTIVE_TIMEOUT: Final = timedelta(minutes=10)
"""How long a rank waits in the rendezvous or in a collective for the others (a stuck rank's
peers fail after this, and the agent reports them)."""


def backend_for(device: torch.device) -> str:
    """The process group's backend for ranks that train on `device`: NCCL on CUDA, gloo otherwise."""
    return "nccl" if device.type == "cuda" else "gloo"


def rank_seed(seed: int, node_index: int, round_index: int, rank: int) -> int:
    """Rank `rank`'s global RNG seed in (node, round): `(round_seed(…) + rank) mod 2^63`."""
    return (round_seed(seed, node_index, round_index) + rank) % (1 << 63)


def rank_slice(batch: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """Rank `rank`'s part of a node's batch: positions `[rank·B/world, (rank+1)·B/world)`."""
    size = len(batch)
    if size % world:
        raise TrainingError(f"a batch of {size} samples does not split evenly over {world} processes")
    per = size // world
    return batch[rank * per:(rank + 1) * per]


@dataclass(frozen=True)
class RankSetup:
    """What every rank gets once, when the group starts (pickled into the spawned process)."""

    spec: TaskSpec
    program: Program
    data: TrainData
    shard: list[int]
    node_index: int
    plan: DilocoPlan
    world: int
    port: int


@dataclass(frozen=True)
class RankJob:
    """One round for every rank: the start weights' and previous inner state's canonical bytes."""

    start: bytes
    previous_state: bytes | None
    round_index: int
    steps: int
    checkpoint: RoundCheckpoint | None


@dataclass(frozen=True)
class RankResult:
    """What rank 0 hands back: its end weights' and end inner state's canonical bytes, the mean
    last loss, seconds in the loop and the inner steps a mid-round checkpoint had done."""

    end: bytes
    state: bytes
    loss: float
    train_seconds: float
    resumed_from: int


def _rank_env(rank: int, world: int, port: int) -> dict[str, str]:
    """The environment torchrun gives worker `rank` of a one-machine job whose agent hosts the store."""
    return {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank), "WORLD_SIZE": str(world),
            "LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": str(world), "TORCHELASTIC_USE_AGENT_STORE": "True"}


def rank_device(spec: TaskSpec, rank: int) -> torch.device:
    device = training_device(spec)
    return torch.device("cuda", rank) if device.type == "cuda" else device


def _rank_checkpoint(checkpoint: RoundCheckpoint, rank: int) -> RoundCheckpoint:
    """Rank `rank`'s own mid-round checkpoint file: the node's for rank 0, beside it for the others."""
    if rank == 0:
        return checkpoint
    return RoundCheckpoint(checkpoint.path.with_name(f"{checkpoint.path.name}.rank{rank}"), checkpoint.every)


def _agreed_resume(resumed: Resumed | None, device: torch.device) -> Resumed | None:
    """`resumed` when every rank resumes from the same step, else None everywhere (a node killed
    between two ranks' checkpoints starts the round over: the same delta, later)."""
    import torch.distributed as dist

    mine = torch.tensor([0 if resumed is None else resumed.step], dtype=torch.int64, device=device)
    low, high = mine.clone(), mine.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    if int(low.item()) != int(high.item()):
        logger.warning("the ranks' round checkpoints are at steps %d to %d: the round starts over", int(low.item()),
                       int(high.item()))
        return None
    return resumed


def _rank_round(setup: RankSetup, rank: int, device: torch.device, job: RankJob) -> RankResult:
    """Rank `rank`'s inner steps of (node, `job.round_index`) under DDP (see the module's notes)."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    spec, program, plan, round_index = setup.spec, setup.program, setup.plan, job.round_index
    schedule = spec.schedule
    start = tensors_from_bytes(job.start, f"round {round_index}'s start weights")
    previous = None if job.previous_state is None else tensors_from_bytes(job.previous_state, "the inner state")
    positions = torch.tensor(setup.shard, dtype=torch.int64)
    sampler = BatchSampler(len(positions), schedule.batch_size, schedule.seed)
    checkpoint = None if job.checkpoint is None else _rank_checkpoint(job.checkpoint, rank)
    key = "" if checkpoint is None else round_key(spec, setup.node_index, round_index, job.steps, start, previous)
    with deterministic_torch(spec.determinism.threads, device):
        model = start_model(spec, program, start, round_index).to(device)
        optimizer = make_optimizer(spec, program.trainable(model))
        if previous is not None:
            load_optimizer_state(model, optimizer, previous,
                                 f"node {setup.node_index}'s inner state before round {round_index}")
        torch.manual_seed(rank_seed(schedule.seed, setup.node_index, round_index, rank))
        loss, done = math.nan, 0
        resumed = None if checkpoint is None else _agreed_resume(load_resumed(checkpoint, key), device)
        if resumed is not None:
            program.load_weights(model, resumed.weights)
            load_optimizer_state(model, optimizer, resumed.optimizer, f"the round checkpoint {checkpoint}")
            torch.set_rng_state(resumed.rng)
            loss, done = resumed.loss, resumed.step
        wrapped = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        wrapped.train()  # type: ignore[no-untyped-call]
        base = round_index * plan.inner_steps
        started = time.perf_counter()
        for h in range(done + 1, job.steps + 1):
            step = base + h
            batch = rank_slice(positions[sampler.indices(step)], rank, setup.world)
            loss = train_step(program, wrapped, optimizer, setup.data, batch if device.type == "cpu"
                              else batch.to(device), step)
            if checkpoint is not None and h % checkpoint.every == 0 and h < job.steps:
                save_resumable(checkpoint, key, h, loss, program.weights(model), optimizer_state(model, optimizer))
        train_seconds = time.perf_counter() - started
        mean_loss = torch.tensor([loss], dtype=torch.float64, device=device)
        dist.all_reduce(mean_loss)
        end = {name: tensor.detach().to("cpu", copy=True) for name, tensor in program.weights(model).items()}
        state = optimizer_state(model, optimizer)
    if checkpoint is not None:
        checkpoint.path.unlink(missing_ok=True)
    return RankResult(tensor_bytes(end), tensor_bytes(state), float(mean_loss.item()) / setup.world, train_seconds,
                       done)


def _warm_up(device: torch.device) -> None:
    """Wraps a one-weight model in DDP once: torch's first DDP construction imports and sets up
    for seconds, which belongs to starting the group, not to its first round."""
    from torch.nn.parallel import DistributedDataParallel

    DistributedDataParallel(torch.nn.Linear(1, 1).to(device), device_ids=[device.index] if device.type == "cuda"
                            else None)


def rank_main(conn: Connection, rank: int, setup: RankSetup) -> None:
    """One rank's process: joins the group, then trains a round per `RankJob` until None. Out:
    `("ready", rank)`; per round rank 0 `("round", rank, RankResult)`, the others `("round",
    rank)`; on failure `("error", rank, message)`."""
    import torch.distributed as dist

    os.environ.update(_rank_env(rank, setup.world, setup.port))
    joined, clean = False, False
    try:
        device = rank_device(setup.spec, rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        data = to_device(setup.data, device)
        setup = RankSetup(setup.spec, setup.program, data, setup.shard, setup.node_index, setup.plan, setup.world,
                       setup.port)
        dist.init_process_group(backend_for(device), init_method="env://", timeout=COLLECTIVE_TIMEOUT)
        joined = True
        _warm_up(device)
        conn.send(("ready", rank))
        while (job := conn.recv()) is not None:
            result = _rank_round(setup, rank, device, job)
            conn.send(("round", rank, result) if rank == 0 else ("round", rank))
        clean = True
    except (KeyboardInterrupt, EOFError):  # the agent went away: nothing to report to
        pass
    except BaseException as exc:  # reported to the agent, which raises it there
        logger.debug("rank %d failed:\n%s", rank, traceback.format_exc())
        try:
            conn.send(("error", rank, f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        if joined:
            dist.destroy_process_group()
        conn.close()
    # the group is left and the pipe closed: skip the interpreter's teardown of torch (most of a
    # second, on the round's clock when a group serves one round), which holds nothing to keep
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if clean else 1)
