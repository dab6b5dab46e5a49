"""Training a data-parallel (DiLoCo) task as one of its `k` nodes, round by round, through the
task's RoundBook (`nnc.chain.rounds`); the algorithm is `nnc.distributed`'s.

`Rounds.advance` is called on every pass of the worker's loop over an assigned parallel task and
does what the chain allows now, never waiting:

- the open round `r` not committed by this node yet: compute the round's start weights (round 1:
  the spec's seeded initial weights; later: the outer step of round `r − 1`'s deltas, see below),
  train this node's inner round on its shard (the shard of its seat, 0-based), store the delta's
  canonical bytes (content-addressed), commit (delta digest, start digest, delta URI); the last
  member to commit closes the round, and the loop goes on with the next one;
- committed, the round still open: past its deadline, close it (`closeRound`: the members that
  did not commit are its stragglers); before, come back on the next pass;
- replaced after missing rounds: wait, training nothing, for the book to finish;
- the book finished: the final weights are the outer step of round `R`; write the model file and
  return its digest and URI, which the worker submits to the market as any result (the `k`
  nodes hold the same weights bitwise, so replicate-mode agreement settles the task).

A round's deltas are read in seat order: the node holding seat `s` in round `r` (the last one the
book's SeatFilled events seated there from a round `≤ r`), its delta counted if its commitment
was counted when the round closed, fetched from storage by the URI of its DeltaCommitted event
and checked against the committed digest. A member that did not commit is None (the outer step
renormalises over the others). So is a committed delta whose bytes are not a delta of the spec's
model (not safetensors, other names, shapes or dtypes, or a value that is not finite): every
honest node reads the same committed bytes, so every one leaves it out alike; refuting it is the
spot-check's job. A delta that storage cannot serve is an error retried later, not left out,
since whether storage answers may differ between nodes.

Restart-safety: the chain is asked before every transaction (`commitmentOf` before `commit`, the
round's status and deadline before `closeRound`), and a restarted worker recomputes the start
weights from the chain and storage (kept in memory between passes, not on disk). The rounds this
node committed are noted in its state (`TaskRecord.rounds`) for operators.

Training runs in the worker's process (`inner_round` takes an in-process built-in `Program`), not
in the sandbox: a requester's own program is refused (`TrainingError`, so the task is given up).
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from nnc.chain.rounds import BookStatus, BookView, CommitState, RoundBook, RoundStatus
from nnc.distributed import (
    DilocoPlan,
    OuterState,
    initial_weights,
    inner_round,
    outer_step,
    plan_of,
    shard_indices,
    tensor_bytes,
    tensor_digest,
    tensors_from_bytes,
)
from nnc.errors import ContractRevertError, TrainingError
from nnc.runtimes import builtin_program
from nnc.task import TaskSpec
from nnc.training.checkpoints import atomic_save
from nnc.training.digest import model_digest
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch, evaluate_program
from nnc.worker.node import Node
from nnc.worker.privacy import model_recipients, seal_model

# the worker daemon's lines share one logger, whichever role writes them (operators filter on it)
log = logging.getLogger("nnc.worker.daemon")

Weights = dict[str, torch.Tensor]

LATE = frozenset({"RoundDeadlinePassed", "WrongRound", "AlreadyCommitted"})
"""The book's refusals of a commitment that mean the round moved on while this node trained."""


@dataclass
class _Started:
    """The start weights of round `round` (1-based; `R + 1`: the final weights) and the outer
    optimizer's state before that round."""

    round: int
    weights: Weights
    outer: OuterState


@dataclass
class _Task:
    """What this node keeps in memory of a parallel task between passes."""

    spec: TaskSpec
    program: Program
    data: TrainData
    plan: DilocoPlan
    shards: list[list[int]]
    started: _Started


def usable_delta(start: Weights, blob: bytes, what: str) -> Weights | None:
    """The delta in `blob` when it is one of a model with weights `start` (same names, shapes and
    dtypes, every value finite), else None (logged): see the module's notes."""
    try:
        delta = tensors_from_bytes(blob, what)
    except TrainingError as exc:
        log.warning("%s: left out: %s", what, exc)
        return None
    if sorted(delta) != sorted(start):
        log.warning("%s: left out: its weights %s are not the model's %s", what, sorted(delta), sorted(start))
        return None
    for name, tensor in delta.items():
        if tensor.shape != start[name].shape or tensor.dtype != start[name].dtype:
            log.warning("%s: left out: %r is %s %s, the model's is %s %s", what, name, tensor.dtype,
                        tuple(tensor.shape), start[name].dtype, tuple(start[name].shape))
            return None
        if not bool(torch.isfinite(tensor).all()):
            log.warning("%s: left out: %r holds values that are not finite", what, name)
            return None
    return delta


class Rounds:
    """This node's part in the parallel tasks it was assigned (see the module's notes)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.book = RoundBook(node.client)
        self._tasks: dict[int, _Task] = {}

    def advance(self, task_id: int, spec: TaskSpec, workdir: Path,
                dataset_file: Path | None) -> tuple[bytes, str, str] | None:
        """Does what the chain allows now in the task's rounds; once its book finished, stores the
        final model and returns (result digest, result URI, a summary for the log); None while
        rounds are still under way."""
        n = self.node
        task = self._task(task_id, spec, dataset_file)
        while True:
            book = self._book(task_id, task.plan)
            if book.status == BookStatus.FINISHED:
                return self._finish(task_id, task, workdir)
            if book.status == BookStatus.FROZEN:
                log.warning("task %d: %s waits: its round book is frozen (round %d refuted)", task_id, n.tag,
                            book.refuted_round)
                return None
            current = 1 if book.status == BookStatus.OPENED else book.current
            committed = self.book.commitment(task_id, current, n.address).state != CommitState.NONE
            if book.status == BookStatus.RUNNING:
                deadline = self.book.round(task_id, current).deadline
                if n.client.block_timestamp() > deadline:
                    self._close(task_id, current, deadline)
                    continue
            if committed:
                n.state.note_round(task_id, current)
                return None  # the others' turn: back on the next pass
            if book.status == BookStatus.RUNNING and self.book.participant(task_id, n.address).replaced:
                # replaced after missing rounds (nnc.worker.replacement): still an assignee, paid its
                # rounds if it delivers the final weights once the book finishes
                log.info("task %d: %s was replaced in its round book: waits for the last round", task_id, n.tag)
                return None
            self._train_and_commit(task_id, task, book, current)

    # -- one round ---------------------------------------------------------------------------

    def _train_and_commit(self, task_id: int, task: _Task, book: BookView, round_: int) -> None:
        n = self.node
        seat = self._seat(task_id, book)
        start = self._start_weights(task_id, task, round_)
        node_index = seat - 1
        result = inner_round(task.spec, task.program, start, task.shards[node_index], node_index, round_ - 1,
                             plan=task.plan, data=task.data)
        blob = tensor_bytes(result.delta)
        uri = n.store.put_bytes(blob)
        delta_digest = hashlib.sha256(blob).digest()
        start_digest = bytes.fromhex(tensor_digest(start))
        if book.status == BookStatus.RUNNING:
            stated = self.book.round(task_id, round_)
            if stated.commits and stated.start_digest != start_digest:
                log.warning("task %d: %s round %d: the first committer stated start weights 0x%s…, this node "
                            "computed 0x%s… (the round will be flagged)", task_id, n.tag, round_,
                            stated.start_digest.hex()[:12], start_digest.hex()[:12])
        try:
            self.book.commit(task_id, round_, delta_digest, start_digest, uri)
        except ContractRevertError as exc:
            if exc.name not in LATE:
                raise
            # trained past the round's deadline (or another pass of this node committed): this
            # node is a straggler of the round, not a failed node; the caller's loop goes on
            log.warning("task %d: %s round %d: commitment refused (%s): %s", task_id, n.tag, round_, exc.name, exc)
            return
        n.state.note_round(task_id, round_)
        n.metrics.training_steps.inc(result.steps)
        log.info("task %d: %s round %d/%d (seat %d) committed delta 0x%s… at %s (loss %.4f, %.2f s)", task_id, n.tag,
                 round_, task.plan.rounds, seat, delta_digest.hex()[:12], uri, result.final_loss, result.seconds)

    def _close(self, task_id: int, round_: int, deadline: int) -> None:
        """Closes the open round past its deadline; another node closing it first is fine."""
        n = self.node
        try:
            self.book.close_round(task_id)
            log.info("task %d: %s closed round %d at its deadline (%d)", task_id, n.tag, round_, deadline)
        except ContractRevertError as exc:
            if self.book.round(task_id, round_).status != RoundStatus.CLOSED:
                raise
            log.debug("task %d: round %d was closed by another: %s", task_id, round_, exc)

    def _seat(self, task_id: int, book: BookView) -> int:
        """This node's seat (1-based): its place among the market's assignees before the book
        started, its seat in the book after; `TrainingError` when it holds none (replaced)."""
        n = self.node
        holders = (n.market.assignees(task_id) if book.status == BookStatus.OPENED
                   else self.book.members(task_id))
        for seat, holder in enumerate(holders, start=1):
            if holder is not None and n.is_me(holder):
                return seat
        raise TrainingError(f"task {task_id}: this node holds no seat in its round book (replaced after missing "
                            f"rounds, or never seated)")

    # -- start weights from the chain and storage --------------------------------------------

    def _start_weights(self, task_id: int, task: _Task, round_: int) -> Weights:
        """The start weights of `round_` (1-based; `R + 1`: the final weights): the outer steps of
        the rounds before it, from where this node's memory left off."""
        started = task.started
        if started.round > round_:  # the chain moved back (a reorganisation): from round 1 again
            started = _Started(1, initial_weights(task.spec, task.program), OuterState())
        while started.round < round_:
            deltas = self._deltas(task_id, task, started.round, started.weights)
            with deterministic_torch(task.spec.determinism.threads):
                weights, outer = outer_step(started.weights, deltas, started.outer, task.plan.outer)
            started = _Started(started.round + 1, weights, outer)
        task.started = started
        return started.weights

    def _deltas(self, task_id: int, task: _Task, round_: int, start: Weights) -> list[Weights | None]:
        """Round `round_`'s deltas in seat order (see the module's notes)."""
        holders: dict[int, str] = {}
        for seat, node, joined in self.book.seatings(task_id):
            if joined <= round_:
                holders[seat] = node
        uris = self.book.delta_uris(task_id)
        deltas: list[Weights | None] = []
        for seat in range(1, task.plan.nodes + 1):
            holder = holders.get(seat)
            commitment = None if holder is None else self.book.commitment(task_id, round_, holder)
            if holder is None or commitment is None or commitment.state != CommitState.COUNTED:
                deltas.append(None)
                continue
            uri = uris[(round_, holder)]
            blob = self.node.store.get_bytes(uri)
            what = f"task {task_id} round {round_} seat {seat}'s delta at {uri}"
            if hashlib.sha256(blob).digest() != commitment.delta_digest:
                raise TrainingError(f"{what} does not match its commitment 0x{commitment.delta_digest.hex()}")
            deltas.append(usable_delta(start, blob, what))
        if all(delta is None for delta in deltas):
            raise TrainingError(f"task {task_id} round {round_} closed without a usable delta: nothing to average")
        return deltas

    # -- the task ----------------------------------------------------------------------------

    def _task(self, task_id: int, spec: TaskSpec, dataset_file: Path | None) -> _Task:
        task = self._tasks.get(task_id)
        if task is None:
            if spec.program is not None:
                raise TrainingError(f"{spec.name!r}: parallel rounds train built-in model kinds in the worker's "
                                    "process; a requester's program is not supported in rounds yet")
            program = builtin_program(spec)
            data = program.load_data(dataset_file)
            plan = plan_of(spec)
            task = _Task(spec, program, data, plan, shard_indices(data.n_train, plan.nodes, spec.schedule.seed),
                         _Started(1, initial_weights(spec, program), OuterState()))
            self._tasks[task_id] = task
        return task

    def _book(self, task_id: int, plan: DilocoPlan) -> BookView:
        """The task's book, checked against the spec's plan (a requester may open it otherwise)."""
        try:
            book = self.book.book(task_id)
        except ContractRevertError as exc:
            if exc.name != "UnknownBook":
                raise
            raise TrainingError(f"task {task_id} is a parallel task without a round book: its requester never "
                                "opened one") from None
        if (book.nodes, book.rounds) != (plan.nodes, plan.rounds):
            raise TrainingError(f"task {task_id}'s round book has {book.nodes} nodes and {book.rounds} rounds, its "
                                f"spec {plan.nodes} and {plan.rounds}")
        return book

    def _finish(self, task_id: int, task: _Task, workdir: Path) -> tuple[bytes, str, str]:
        """The final weights (after round R's outer step), written as the task's model and stored."""
        n = self.node
        weights = self._start_weights(task_id, task, task.plan.rounds + 1)
        spec = task.spec
        workdir.mkdir(parents=True, exist_ok=True)
        model_path = workdir / "model.pt"
        atomic_save(dict(weights), model_path)
        digest = model_digest(weights, spec.determinism.digest_decimals)
        metric = evaluate_program(spec, task.program, weights, task.data)
        stored = model_path if spec.privacy is None else seal_model(model_path, model_recipients(spec, n.key))
        uri = n.archive.put_file(stored)
        self._tasks.pop(task_id, None)
        summary = f"{task.plan.rounds} rounds by {task.plan.nodes} nodes, {spec.goal.metric} {metric:.3f}"
        if not math.isfinite(metric):
            log.warning("task %d: %s final model's %s is %s", task_id, n.tag, spec.goal.metric, metric)
        return digest, uri, summary
