"""`run_local`: a parallel task's rounds run by `k` OS processes, as worker daemons will run them.

Each node is a process (multiprocessing `spawn`, so it imports and seeds everything itself, as a
separate machine would) that loads the data and its shard once and warms up (one inner step,
thrown away), then per round: fetches the round's start weights from the store by URI, trains its
`inner_round` from its inner state of the round before (kept in the process), stores its delta
and the manifest naming it and its end state, reports the manifest's URI and the
`round_commitment` (what a node would post on chain), then stores the state (read by verifiers
only, so off the round's critical path). The coordinator (the calling process,
standing in for the chain and for every node's own outer step) waits for all `k`, fetches each
manifest and delta and checks them against the commitment (`fetch_round`), computes the
`outer_step` and publishes the next start weights. The result must equal
`reference_run`'s bitwise. Stragglers and deadlines are not modelled: the coordinator waits for
every node (up to `timeout_s` per message).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from nnc.distributed.commitment import RoundManifest, fetch_round
from nnc.distributed.inner_state import InnerState
from nnc.distributed.outer import OuterState, outer_step
from nnc.distributed.plan import DilocoPlan, plan_of
from nnc.distributed.reference import DilocoResult, RoundRecord
from nnc.distributed.rounds import initial_weights, inner_round
from nnc.distributed.shards import shard_indices
from nnc.distributed.tensors import tensor_bytes, tensors_from_bytes
from nnc.errors import TrainingError
from nnc.runtimes import builtin_program
from nnc.storage.local import LocalStore
from nnc.task import TaskSpec, parse_spec
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch

logger = logging.getLogger(__name__)

ProgramFactory = Callable[[TaskSpec], Program]


@dataclass(frozen=True)
class RoundTiming:
    """Where a round's wall time went. `wall_seconds`: from publishing the start weights to the next
    ones (the coordinator's view); `train_seconds`: each node's inner loop; `node_seconds`: each
    node's whole turn (fetch, build, train, serialise, store). `overhead_fraction` is
    `1 − max(train_seconds) / wall_seconds`: the share of the round spent outside the slowest
    node's training (fetching and storing, serialising, waiting, the outer step)."""

    round_index: int
    wall_seconds: float
    train_seconds: list[float]
    node_seconds: list[float]

    @property
    def overhead_fraction(self) -> float:
        return max(0.0, 1.0 - max(self.train_seconds) / self.wall_seconds)


@dataclass(frozen=True)
class LocalRun:
    """The run's result (as `reference_run` gives it), each round's timing and the bytes of one
    delta and of one end inner state as stored."""

    result: DilocoResult
    timings: list[RoundTiming]
    delta_bytes: int
    state_bytes: int = 0


def _node_main(conn: Connection, spec_json: str, node: int, plan: DilocoPlan, store_root: str,
               factory: ProgramFactory, dataset_file: Path | None) -> None:
    """One node's process: see the module's notes. Messages in: `(round, start_uri)` or None (stop);
    out: `("ready", node)`, `("delta", node, round, manifest_uri, commitment_hex, train_s, loss, node_s)`
    or `("error", node, message)`."""
    try:
        spec = parse_spec(spec_json)
        store = LocalStore(Path(store_root))
        program = factory(spec)
        data = program.load_data(dataset_file)
        shard = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)[node]
        _warm_up(spec, program, shard, node, plan, data)
        conn.send(("ready", node))
        state: InnerState | None = None
        while (message := conn.recv()) is not None:
            round_index, start_uri = message
            started = time.perf_counter()
            start = tensors_from_bytes(store.get_bytes(start_uri), f"round {round_index}'s start weights")
            result = inner_round(spec, program, start, shard, node, round_index, previous_state=state, plan=plan,
                                 data=data)
            state = result.state
            # the state is read by verifiers only: stored after the report, off the round's critical
            # path (its URI, content-addressed, is known from its digest before it is stored)
            delta_blob, state_blob = tensor_bytes(result.delta), tensor_bytes(result.state)
            state_sha = hashlib.sha256(state_blob).hexdigest()
            manifest = RoundManifest(store.put_bytes(delta_blob), hashlib.sha256(delta_blob).hexdigest(),
                                     store.uri_for(state_sha), state_sha)
            uri = store.put_bytes(manifest.to_bytes())
            conn.send(("delta", node, round_index, uri, manifest.commitment.hex(), result.train_seconds,
                       result.final_loss, time.perf_counter() - started))
            store.put_bytes(state_blob)
    except Exception as exc:  # reported to the coordinator, which raises it there
        logger.exception("node %d failed", node)
        conn.send(("error", node, f"{type(exc).__name__}: {exc}"))


def _warm_up(spec: TaskSpec, program: Program, shard: list[int], node: int, plan: DilocoPlan, data: TrainData) -> None:
    """One inner step from the initial weights, thrown away: a node's process is warm before its
    first round (torch's lazy set-up, the first backward pass), as a long-running daemon's is."""
    one_step = DilocoPlan(plan.nodes, 1, plan.rounds, plan.outer)
    result = inner_round(spec, program, initial_weights(spec, program), shard, node, 0, plan=one_step, data=data)
    tensor_bytes(result.delta)


def _receive(conn: Connection, node: int, timeout_s: float) -> tuple[Any, ...]:
    if not conn.poll(timeout_s):
        raise TrainingError(f"node {node} sent nothing within {timeout_s:g}s")
    try:
        message: tuple[Any, ...] = conn.recv()
    except EOFError:
        raise TrainingError(f"node {node}'s process exited without a word") from None
    if message[0] == "error":
        raise TrainingError(f"node {node} failed: {message[2]}")
    return message


def run_local(spec: TaskSpec, store_dir: Path, *, plan: DilocoPlan | None = None,
              program_factory: ProgramFactory = builtin_program, dataset_file: Path | None = None,
              timeout_s: float = 600.0) -> LocalRun:
    """The spec's rounds by `plan.nodes` node processes exchanging deltas and start weights through a
    `LocalStore` at `store_dir` (see the module's notes). `plan` defaults to `plan_of(spec)`;
    `program_factory` (a module-level callable: the nodes are spawned) makes each process's program."""
    plan = plan or plan_of(spec)
    store = LocalStore(Path(store_dir))
    context = multiprocessing.get_context("spawn")
    spec_json = spec.model_dump_json()
    conns: list[Connection] = []
    processes: list[BaseProcess] = []
    try:
        for node in range(plan.nodes):
            ours, theirs = context.Pipe()
            # not daemonic: a node whose spec has `parallel.processes` > 1 starts its own DDP ranks
            process = context.Process(target=_node_main, name=f"nnc-diloco-node-{node}", daemon=False,
                                      args=(theirs, spec_json, node, plan, str(store_dir), program_factory,
                                            dataset_file))
            process.start()
            theirs.close()
            conns.append(ours)
            processes.append(process)
        for node, conn in enumerate(conns):
            _receive(conn, node, timeout_s)
        weights = initial_weights(spec, program_factory(spec))
        start_blob = tensor_bytes(weights)
        state, records, timings = OuterState(), [], []
        manifests: list[RoundManifest] = []
        for round_index in range(plan.rounds):
            started = time.perf_counter()
            start_uri = store.put_bytes(start_blob)
            for conn in conns:
                conn.send((round_index, start_uri))
            replies = [_receive(conn, node, timeout_s) for node, conn in enumerate(conns)]
            deltas, manifests = [], []
            for node, (_, _, got_round, uri, commitment, *_rest) in enumerate(replies):
                if got_round != round_index:
                    raise TrainingError(f"node {node} handed in round {got_round} for round {round_index}")
                fetched = fetch_round(store, uri, bytes.fromhex(commitment),
                                      what=f"node {node}'s round {round_index}")
                deltas.append(fetched.delta)
                manifests.append(fetched.manifest)
            with deterministic_torch(spec.determinism.threads):  # as many threads as a node trains with
                next_weights, state = outer_step(weights, deltas, state, plan.outer)
            next_blob = tensor_bytes(next_weights)
            records.append(RoundRecord(round_index, hashlib.sha256(start_blob).hexdigest(),
                                       [m.delta_sha256 for m in manifests], hashlib.sha256(next_blob).hexdigest(),
                                       [r[6] for r in replies], [m.state_sha256 for m in manifests],
                                       [r[4] for r in replies]))
            weights, start_blob = next_weights, next_blob
            timings.append(RoundTiming(round_index, time.perf_counter() - started, [r[5] for r in replies],
                                       [r[7] for r in replies]))
            logger.info("%s: round %d/%d by %d nodes, %.0f%% outside training", spec.name, round_index + 1,
                        plan.rounds, plan.nodes, 100 * timings[-1].overhead_fraction)
        for conn in conns:
            conn.send(None)
        for stopping in processes:
            stopping.join(timeout_s)
        # the sizes of one node's delta and state as stored (read once the nodes stored everything)
        delta_size = len(store.get_bytes(manifests[-1].delta_uri))
        state_size = len(store.get_bytes(manifests[-1].state_uri))
        return LocalRun(DilocoResult(weights, state, records), timings, delta_size, state_size)
    finally:
        for leftover in processes:
            if leftover.is_alive():
                leftover.terminate()
                leftover.join()
        for conn in conns:
            conn.close()
