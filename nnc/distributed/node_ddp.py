"""Inside one node: a data-parallel task's inner round trained by `W` local processes with
`torch.distributed` (DistributedDataParallel), started as `torchrun` starts its workers.

A spec's `parallel.processes` (W, default 1) is how many processes each node trains its share
with; with W = 1, `inner_round` trains in the caller's process as it always did (nothing here runs).

Launch (torchrun's way): the calling process is the agent. It hosts the rendezvous store (a
`TCPStore` on 127.0.0.1, on a free port the OS picks, so no two groups race for a port) and
spawns W rank processes (multiprocessing `spawn`) with the environment torchrun gives its workers:
`MASTER_ADDR`, `MASTER_PORT`, `RANK`, `WORLD_SIZE`, `LOCAL_RANK` and
`TORCHELASTIC_USE_AGENT_STORE=True` (every rank a client of the agent's store). Each rank calls
`init_process_group(init_method="env://")`: gloo when the spec trains on the CPU, NCCL when it
trains on CUDA (rank r on `cuda:r`). The NCCL path is written but not tested here (no GPU in CI),
and the spec's `parallel` section allows only the CPU for now.

A rank's round is `inner_round`'s, with DDP around the model. The model is built from the seeded
RNG, the start weights are loaded into it and the spec's inner optimizer is made for it; then it is
wrapped in `DistributedDataParallel`. At inner step t every rank draws the node's batch of B
samples (the same `BatchSampler` over the shard as with W = 1) and takes its slice, positions
`[r·B/W, (r+1)·B/W)`; the spec refuses a B that W does not divide. DDP averages the gradients
over the ranks (an allreduce), so every rank's optimizer takes the same step and the ranks' models
stay equal. Rank 0's end weights give the delta. Rank r's global RNG (whatever the program's loss
draws) is seeded with `(round_seed(seed, node, round) + r) mod 2^63`, so rank 0 draws as W = 1 does.
The reported loss is the mean over the ranks of the last step's loss: the loss of the node's
whole batch.

Determinism: for a fixed W, gloo adds the ranks' gradients in an order fixed by W (its allreduce
schedule depends on the world size and on the gradient buckets, which DDP derives from the model),
so two runs at the same W give bitwise-equal deltas (tested). Another W sums in another order, and
each rank's loss is a mean over B/W samples, so W = 2 and W = 1 agree only to float rounding. That
is why W is part of the spec: every node and every verifier replays a round at the spec's W.

Lifetime: `RankGroup` spawns its ranks once and trains any number of rounds of one node with
them. `inner_round` with W > 1 opens a group for the round and closes it (a spawn per round;
`bench/node_ddp.py` measures what that costs). A rank that raises reports its error and stops; a
rank that dies says nothing. Either way the agent raises `TrainingError` naming the rank,
terminates the other ranks and joins them all (no zombies). A rank leaves its process group
(`destroy_process_group`) whenever it stops.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Final

import torch

from nnc.distributed.rounds import DilocoPlan, InnerRound, round_seed
from nnc.distributed.tensors import tensor_bytes, tensors_from_bytes
from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.training.data import BatchSampler
from nnc.training.device import to_device, training_device
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch, make_optimizer, train_step

logger = logging.getLogger(__name__)

COLLECTIVE_TIMEOUT: Final = timedelta(minutes=10)
"""How long a rank waits in the rendezvous or in a collective for the others (a stuck rank's
peers fail after this, and the agent reports them)."""

START_TIMEOUT_S: Final = 300.0
"""How long the agent waits for every rank to import, load and join the group."""

STOP_TIMEOUT_S: Final = 10.0
"""How long a closing group waits for a rank to leave before terminating it."""


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
class _Setup:
    """What every rank gets once, when the group starts (pickled into the spawned process)."""

    spec: TaskSpec
    program: Program
    data: TrainData
    shard: list[int]
    node_index: int
    plan: DilocoPlan
    world: int
    port: int


def _rank_env(rank: int, world: int, port: int) -> dict[str, str]:
    """The environment torchrun gives worker `rank` of a one-machine job whose agent hosts the store."""
    return {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank), "WORLD_SIZE": str(world),
            "LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": str(world), "TORCHELASTIC_USE_AGENT_STORE": "True"}


def _rank_device(spec: TaskSpec, rank: int) -> torch.device:
    device = training_device(spec)
    return torch.device("cuda", rank) if device.type == "cuda" else device


def _rank_round(setup: _Setup, rank: int, device: torch.device, start: Mapping[str, torch.Tensor],
                round_index: int, steps: int) -> tuple[dict[str, torch.Tensor], float, float]:
    """Rank `rank`'s H inner steps of (node, round) under DDP (see the module's notes): (end
    weights on the CPU, the mean over the ranks of the last step's loss, seconds in the loop)."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    spec, program, plan = setup.spec, setup.program, setup.plan
    schedule = spec.schedule
    positions = torch.tensor(setup.shard, dtype=torch.int64)
    sampler = BatchSampler(len(positions), schedule.batch_size, schedule.seed)
    with deterministic_torch(spec.determinism.threads, device):
        torch.manual_seed(schedule.seed)
        model = program.build()
        try:
            program.load_weights(model, start)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise TrainingError(f"the start weights of round {round_index} do not fit the spec's model: {exc}") from exc
        model = model.to(device)
        optimizer = make_optimizer(spec, program.trainable(model))
        wrapped = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        torch.manual_seed(rank_seed(schedule.seed, setup.node_index, round_index, rank))
        wrapped.train()  # type: ignore[no-untyped-call]
        loss = math.nan
        base = round_index * plan.inner_steps
        started = time.perf_counter()
        for h in range(1, steps + 1):
            step = base + h
            batch = rank_slice(positions[sampler.indices(step)], rank, setup.world)
            if device.type != "cpu":
                batch = batch.to(device)
            loss = train_step(program, wrapped, optimizer, setup.data, batch, step)
        train_seconds = time.perf_counter() - started
        mean_loss = torch.tensor([loss], dtype=torch.float64, device=device)
        dist.all_reduce(mean_loss)
        end = {name: tensor.detach().to("cpu", copy=True) for name, tensor in program.weights(model).items()}
    return end, float(mean_loss.item()) / setup.world, train_seconds


def _warm_up(device: torch.device) -> None:
    """Wraps a one-weight model in DDP once: torch's first DDP construction imports and sets up
    for seconds, which belongs to starting the group, not to its first round."""
    from torch.nn.parallel import DistributedDataParallel

    DistributedDataParallel(torch.nn.Linear(1, 1).to(device), device_ids=[device.index] if device.type == "cuda"
                            else None)


def _rank_main(conn: Connection, rank: int, setup: _Setup) -> None:
    """One rank's process: joins the group, then trains a round per message `(start bytes, round,
    steps)` until None. Out: `("ready", rank)`; per round rank 0 `("round", rank, end bytes, loss,
    train seconds)`, the others `("round", rank)`; on failure `("error", rank, message)`."""
    import torch.distributed as dist

    os.environ.update(_rank_env(rank, setup.world, setup.port))
    joined, clean = False, False
    try:
        device = _rank_device(setup.spec, rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        data = to_device(setup.data, device)
        setup = _Setup(setup.spec, setup.program, data, setup.shard, setup.node_index, setup.plan, setup.world,
                       setup.port)
        dist.init_process_group(backend_for(device), init_method="env://", timeout=COLLECTIVE_TIMEOUT)
        joined = True
        _warm_up(device)
        conn.send(("ready", rank))
        while (message := conn.recv()) is not None:
            start_bytes, round_index, steps = message
            start = tensors_from_bytes(start_bytes, f"round {round_index}'s start weights")
            end, loss, seconds = _rank_round(setup, rank, device, start, round_index, steps)
            conn.send(("round", rank, tensor_bytes(end), loss, seconds) if rank == 0 else ("round", rank))
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


@dataclass(frozen=True)
class GroupTiming:
    """Seconds the group took to start (spawn, imports, rendezvous) and to stop."""

    start_seconds: float
    stop_seconds: float = 0.0


class RankGroup:
    """W rank processes that train the rounds of one node of one task with DDP (see the module's
    notes). A context manager: `with RankGroup(...) as group: group.round(start, r)`."""

    def __init__(self, spec: TaskSpec, program: Program, data: TrainData, shard: Sequence[int], node_index: int, *,
                 plan: DilocoPlan, processes: int, start_timeout_s: float = START_TIMEOUT_S) -> None:
        if processes < 2:
            raise TrainingError(f"a rank group has at least 2 processes, not {processes}: W = 1 trains in process")
        if spec.schedule.batch_size % processes:
            raise TrainingError(f"batch size {spec.schedule.batch_size} does not split evenly over {processes} "
                                "processes")
        self.spec, self.node_index, self.plan, self.processes = spec, node_index, plan, processes
        self._program, self._data, self._shard = program, data, list(shard)
        self._start_timeout_s = start_timeout_s
        self._store: Any = None
        self._conns: list[Connection] = []
        self._processes: list[BaseProcess] = []
        self.timing = GroupTiming(0.0)

    def __enter__(self) -> RankGroup:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Hosts the store, spawns the ranks and waits until every one joined the group."""
        import torch.distributed as dist

        started = time.perf_counter()
        store_type = dist.TCPStore  # type: ignore[attr-defined]
        self._store = store_type("127.0.0.1", 0, is_master=True, timeout=COLLECTIVE_TIMEOUT, wait_for_workers=False)
        context = multiprocessing.get_context("spawn")
        try:
            for rank in range(self.processes):
                setup = _Setup(self.spec, self._program, self._data, self._shard, self.node_index, self.plan,
                               self.processes, self._store.port)
                ours, theirs = context.Pipe()
                process = context.Process(target=_rank_main, args=(theirs, rank, setup), daemon=True,
                                          name=f"nnc-ddp-node{self.node_index}-rank{rank}")
                process.start()
                theirs.close()
                self._conns.append(ours)
                self._processes.append(process)
            self._collect("ready", self._start_timeout_s)
        except BaseException:
            self.close(graceful=False)
            raise
        self.timing = GroupTiming(time.perf_counter() - started)
        logger.info("%s: node %d's %d DDP processes joined (%s) in %.2fs", self.spec.name, self.node_index,
                    self.processes, backend_for(_rank_device(self.spec, 0)), self.timing.start_seconds)

    def round(self, start_weights: Mapping[str, torch.Tensor], round_index: int, *, steps: int | None = None,
              timeout_s: float | None = None) -> InnerRound:
        """This node's `round_index` (0-based) trained by the group from `start_weights`: `steps`
        inner steps (default the plan's H). The delta is rank 0's (start − end)."""
        started = time.perf_counter()
        steps = self.plan.inner_steps if steps is None else steps
        if not self._processes:
            raise TrainingError("the rank group is not running (start it, or use it as a context manager)")
        blob = tensor_bytes(start_weights)
        try:
            for conn in self._conns:
                conn.send((blob, round_index, steps))
            replies = self._collect("round", timeout_s)
        except BaseException:
            self.close(graceful=False)
            raise
        _, _, end_bytes, loss, train_seconds = replies[0]
        end = tensors_from_bytes(end_bytes, f"rank 0's end weights of round {round_index}")
        delta = {}
        for name, tensor in end.items():
            if name not in start_weights:
                raise TrainingError(f"the model has weight {name!r}, which round {round_index}'s start weights lack")
            if not tensor.is_floating_point():
                raise TrainingError(f"parallel training averages floating weights; {name!r} is {tensor.dtype}")
            delta[name] = start_weights[name].detach().to(tensor.dtype) - tensor
        return InnerRound(delta, loss, steps, train_seconds, time.perf_counter() - started)

    def _collect(self, kind: str, timeout_s: float | None) -> list[tuple[Any, ...]]:
        """Every rank's reply `kind`, in rank order; `TrainingError` naming the first rank that
        failed, died or stayed silent past `timeout_s`."""
        replies: dict[int, tuple[Any, ...]] = {}
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        by_conn = {id(conn): rank for rank, conn in enumerate(self._conns)}
        by_sentinel = {process.sentinel: rank for rank, process in enumerate(self._processes)}
        while len(replies) < self.processes:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            waiting = [conn for rank, conn in enumerate(self._conns) if rank not in replies]
            sentinels = [process.sentinel for rank, process in enumerate(self._processes) if rank not in replies]
            ready = wait([*waiting, *sentinels], left)
            if not ready:
                silent = min(rank for rank in range(self.processes) if rank not in replies)
                raise self._failure(silent, f"sent nothing within {timeout_s:g}s")
            for item in ready:
                if isinstance(item, int):  # a process ended: read what it sent first, if anything
                    rank = by_sentinel[item]
                    if rank in replies or self._conns[rank].poll():
                        continue
                    raise self._failure(rank, f"exited with code {self._processes[rank].exitcode} without a word")
                rank = by_conn[id(item)]
                try:
                    message: tuple[Any, ...] = self._conns[rank].recv()
                except EOFError:
                    raise self._failure(rank, f"exited with code {self._processes[rank].exitcode} without a "
                                              "word") from None
                if message[0] == "error":
                    raise self._failure(rank, f"failed: {message[2]}")
                if message[0] != kind:
                    raise self._failure(rank, f"sent {message[0]!r} where {kind!r} was due")
                replies[rank] = message
        return [replies[rank] for rank in range(self.processes)]

    def _failure(self, rank: int, what: str) -> TrainingError:
        return TrainingError(f"{self.spec.name}: node {self.node_index}'s DDP rank {rank} of {self.processes} {what}")

    def close(self, *, graceful: bool = True) -> None:
        """Stops the ranks and joins every one: `graceful`, asks them to leave the group and waits a
        while before terminating those still running; otherwise (a rank failed, so the others may
        be stuck in a collective) terminates them at once."""
        started = time.perf_counter()
        if graceful:
            for conn in self._conns:
                try:
                    conn.send(None)
                except OSError:
                    pass
            for process in self._processes:
                process.join(STOP_TIMEOUT_S)
        for process in self._processes:
            if process.is_alive():
                process.terminate()
                process.join(5.0)
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self._conns:
            conn.close()
        if self._processes:
            self.timing = GroupTiming(self.timing.start_seconds, time.perf_counter() - started)
        self._conns, self._processes, self._store = [], [], None


def ddp_inner_round(spec: TaskSpec, program: Program, start_weights: Mapping[str, torch.Tensor],
                    shard: Sequence[int], node_index: int, round_index: int, *, plan: DilocoPlan, processes: int,
                    steps: int | None, data: TrainData) -> InnerRound:
    """`inner_round` at W = `processes` > 1: a `RankGroup` spawned for this round alone."""
    started = time.perf_counter()
    with RankGroup(spec, program, data, shard, node_index, plan=plan, processes=processes) as group:
        result = group.round(start_weights, round_index, steps=steps)
    seconds = time.perf_counter() - started
    logger.info("%s: node %d round %d by %d DDP processes: %.2fs (%.2fs starting them, %.2fs training)", spec.name,
                node_index, round_index, processes, seconds, group.timing.start_seconds, result.train_seconds)
    return InnerRound(result.delta, result.final_loss, result.steps, result.train_seconds, seconds)
