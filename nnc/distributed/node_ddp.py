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

A rank's round (`nnc.distributed.ddp_rank`) is `inner_round`'s with DDP around the model, each
rank training its slice of the node's batch; rank 0's end weights give the delta.

Determinism: for a fixed W, gloo adds the ranks' gradients in an order fixed by W (its allreduce
schedule depends on the world size and on the gradient buckets, which DDP derives from the model),
so two runs at the same W give bitwise-equal deltas (tested). Another W sums in another order, and
each rank's loss is a mean over B/W samples, so W = 2 and W = 1 agree only to float rounding. That
is why W is part of the spec: every node and every verifier replays a round at the spec's W.

Lifetime: `RankGroup` spawns its ranks once and trains any number of rounds of one node with
them. `inner_round` with W > 1 uses the node's group in the caller's `RankGroups` when given
one (kept open across rounds), or else opens a group for the round and closes it (a spawn per
round; `bench/node_ddp.py` measures what that costs). A rank that raises reports its error and
stops; a rank that dies says nothing. Either way the agent raises `TrainingError` naming the rank,
terminates the other ranks and joins them all (no zombies). A rank leaves its process group
(`destroy_process_group`) whenever it stops.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Final

import torch

from nnc.distributed.ddp_rank import (
    COLLECTIVE_TIMEOUT,
    RankJob,
    RankResult,
    RankSetup,
    backend_for,
    rank_device,
    rank_main,
)
from nnc.distributed.plan import DilocoPlan, InnerRound, round_delta
from nnc.distributed.resume import RoundCheckpoint
from nnc.distributed.tensors import tensor_bytes, tensors_from_bytes
from nnc.errors import TrainingError
from nnc.task import TaskSpec, spec_digest
from nnc.training.program import Program, TrainData

logger = logging.getLogger(__name__)

START_TIMEOUT_S: Final = 300.0
"""How long the agent waits for every rank to import, load and join the group."""

FAILURE_GRACE_S: Final = 3.0
"""How long the agent waits, once a rank failed, for the others to end before naming the cause."""

STOP_TIMEOUT_S: Final = 10.0
"""How long a closing group waits for a rank to leave before terminating it."""


def _peer_lost(message: str) -> bool:
    """Whether a rank's error is the process group's (a peer failed or went away), not its own."""
    lowered = message.lower()
    return "/gloo/" in lowered or "connection closed" in lowered or "nccl" in lowered or "timed out" in lowered


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
        self._last: dict[int, tuple[Any, ...]] = {}
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
                setup = RankSetup(self.spec, self._program, self._data, self._shard, self.node_index, self.plan,
                               self.processes, self._store.port)
                ours, theirs = context.Pipe()
                process = context.Process(target=rank_main, args=(theirs, rank, setup), daemon=True,
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
                    self.processes, backend_for(rank_device(self.spec, 0)), self.timing.start_seconds)

    @property
    def running(self) -> bool:
        """Whether the ranks are up (started, and not closed since)."""
        return bool(self._processes)

    def round(self, start_weights: Mapping[str, torch.Tensor], round_index: int, *,
              previous_state: Mapping[str, torch.Tensor] | None = None, steps: int | None = None,
              checkpoint: RoundCheckpoint | None = None, timeout_s: float | None = None) -> InnerRound:
        """This node's `round_index` (0-based) trained by the group from `start_weights` and the
        inner state `previous_state` (None: fresh), `steps` inner steps (default the plan's H), as
        `inner_round` trains it; with `checkpoint`, each rank checkpoints the round and resumes it
        (rank r > 0 in a file beside the node's, `<name>.rank<r>`). The delta and end state are
        rank 0's."""
        started = time.perf_counter()
        steps = self.plan.inner_steps if steps is None else steps
        if not self._processes:
            raise TrainingError("the rank group is not running (start it, or use it as a context manager)")
        job = RankJob(tensor_bytes(start_weights), None if previous_state is None else tensor_bytes(previous_state),
                   round_index, steps, checkpoint)
        try:
            for conn in self._conns:
                conn.send(job)
            replies = self._collect("round", timeout_s)
        except BaseException:
            self.close(graceful=False)
            raise
        result: RankResult = replies[0][2]
        end = tensors_from_bytes(result.end, f"rank 0's end weights of round {round_index}")
        state = tensors_from_bytes(result.state, f"rank 0's inner state after round {round_index}")
        return InnerRound(round_delta(start_weights, end, round_index), state, result.loss, steps, result.train_seconds,
                          time.perf_counter() - started, result.resumed_from)

    def _collect(self, kind: str, timeout_s: float | None) -> list[tuple[Any, ...]]:
        """Every rank's reply `kind`, in rank order; `TrainingError` naming the rank that failed or
        died first (`_root_cause`) or stayed silent past `timeout_s`."""
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
                rank = by_sentinel[item] if isinstance(item, int) else by_conn[id(item)]
                if rank in replies:
                    continue
                message = self._message(rank)
                if message is None and isinstance(item, int):
                    raise self._root_cause(replies)
                if message is None:
                    continue
                if message[0] == "error":
                    raise self._root_cause(replies)
                if message[0] != kind:
                    raise self._failure(rank, f"sent {message[0]!r} where {kind!r} was due")
                replies[rank] = message
        return [replies[rank] for rank in range(self.processes)]

    def _message(self, rank: int) -> tuple[Any, ...] | None:
        """The next message of `rank` if one is waiting (a process that ended may have sent one last)."""
        conn = self._conns[rank]
        try:
            if conn.poll():
                message: tuple[Any, ...] = conn.recv()
                self._last[rank] = message
                return message
        except (EOFError, OSError):
            pass
        return None

    def _root_cause(self, replies: Mapping[int, tuple[Any, ...]]) -> TrainingError:
        """The failure to report once a rank failed or died: the ranks still out get `FAILURE_GRACE_S`
        to end (a rank whose peer failed fails in its next collective), then the first rank that
        died without a word is named, else the first whose error is its own (not its group's
        connection lost to a failed peer), else the first that reported one."""
        out = [rank for rank in range(self.processes) if rank not in replies]
        deadline = time.monotonic() + FAILURE_GRACE_S
        for rank in out:
            self._processes[rank].join(max(0.0, deadline - time.monotonic()))
        died: list[tuple[int, str]] = []
        own: list[tuple[int, str]] = []
        peer: list[tuple[int, str]] = []
        for rank in out:
            message = self._message(rank) or self._last.get(rank)
            if message is not None and message[0] == "error":
                (peer if _peer_lost(message[2]) else own).append((rank, f"failed: {message[2]}"))
            elif not self._processes[rank].is_alive():
                died.append((rank, f"exited with code {self._processes[rank].exitcode} without a word"))
        found = died or own or peer
        if not found:
            rank = out[0]
            return self._failure(rank, "stopped answering")
        return self._failure(*found[0])

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


class RankGroups:
    """The rank groups of a caller that trains many rounds (a worker's parallel task, a reference
    run): one group per node, started at its first round and kept open until `close`, so the
    ranks start once rather than every round. A group that failed is started afresh next time.
    A context manager."""

    def __init__(self) -> None:
        self._groups: dict[tuple[Any, ...], RankGroup] = {}

    def __enter__(self) -> RankGroups:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def group(self, spec: TaskSpec, program: Program, data: TrainData, shard: Sequence[int], node_index: int,
              plan: DilocoPlan) -> RankGroup:
        """The running group of (spec, node) on these program, data and shard; started if need be."""
        key = (spec_digest(spec), node_index, plan, id(program), id(data), hash(tuple(shard)))
        group = self._groups.get(key)
        if group is None or not group.running:
            group = RankGroup(spec, program, data, shard, node_index, plan=plan, processes=plan.processes)
            group.start()
            self._groups[key] = group
        return group

    def running(self) -> list[RankGroup]:
        """The groups open now."""
        return [group for group in self._groups.values() if group.running]

    def close(self) -> None:
        """Stops every group."""
        groups, self._groups = list(self._groups.values()), {}
        for group in groups:
            group.close()


def ddp_inner_round(spec: TaskSpec, program: Program, start_weights: Mapping[str, torch.Tensor],
                    shard: Sequence[int], node_index: int, round_index: int, *,
                    previous_state: Mapping[str, torch.Tensor] | None, plan: DilocoPlan, steps: int | None,
                    data: TrainData, checkpoint: RoundCheckpoint | None, groups: RankGroups | None) -> InnerRound:
    """`inner_round` at W = `plan.processes` > 1: by the node's group in `groups`, or by a
    `RankGroup` spawned for this round alone."""
    started = time.perf_counter()
    if groups is not None:
        group = groups.group(spec, program, data, shard, node_index, plan)
        result = group.round(start_weights, round_index, previous_state=previous_state, steps=steps,
                             checkpoint=checkpoint)
    else:
        with RankGroup(spec, program, data, shard, node_index, plan=plan, processes=plan.processes) as group:
            result = group.round(start_weights, round_index, previous_state=previous_state, steps=steps,
                                 checkpoint=checkpoint)
    seconds = time.perf_counter() - started
    logger.info("%s: node %d round %d by %d DDP processes: %.2fs (%.2fs starting them, %.2fs training)", spec.name,
                node_index, round_index, plan.processes, seconds, group.timing.start_seconds, result.train_seconds)
    return dataclasses.replace(result, seconds=seconds)
