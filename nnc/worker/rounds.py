"""Training a data-parallel (DiLoCo) task as one of its `k` nodes, round by round, through the
task's RoundBook (`nnc.chain.rounds`); the algorithm is `nnc.distributed`'s.

`Rounds.advance` is called on every pass of the worker's loop over an assigned parallel task and
does what the chain allows now, never waiting:

- the open round `r` not committed by this node yet: compute the round's start weights (round 1:
  the spec's seeded initial weights; later: the outer step of round `r − 1`'s deltas, see below),
  train this node's inner round on its shard (the shard of its seat, 0-based) from its inner
  optimizer state (that of its latest committed round in its seat, None in its first: see
  "Inner state"), store the delta, the end state and their manifest (`publish_round`), commit
  (`round_commitment` of delta and state, start digest, manifest URI); the last member to commit
  closes the round, and the loop goes on with the next one;
- committed, the round still open: past its deadline, close it (`closeRound`: the members that
  did not commit are its stragglers); before, come back on the next pass;
- replaced after missing rounds: wait, training nothing, for the book to finish;
- the book finished: the final weights are the outer step of round `R`; write the model file and
  return its digest and URI, which the worker submits to the market as any result (the `k`
  nodes hold the same weights bitwise, so replicate-mode agreement settles the task).

The start weights and a round's deltas come from the book's public history
(`nnc.distributed.history.BookHistory`, which verifiers read too). A round's deltas are read in
seat order: the node holding seat `s` in round `r` (the last one the
book's SeatFilled events seated there from a round `≤ r`), its delta counted if its commitment
was counted when the round closed, fetched with its manifest from storage by the URI of its
DeltaCommitted event and checked against the committed digest (`fetch_round`; the state is not
fetched). A member that did not commit is None (the outer step renormalises over the others).
So is a committed round whose manifest does not bind the committed digest or is no manifest, or
whose delta does not match its manifest or is not a delta of the spec's model (not safetensors,
other names, shapes or dtypes, or a value that is not finite): every honest node reads the same
committed bytes, so every one leaves it out alike; refuting it is the spot-check's job. Content
that storage cannot serve is an error retried later, not left out, since whether storage
answers may differ between nodes.

Inner state: a node's round `r` starts from the end state of its latest round committed before
`r` since it took its seat (`BookHistory.previous_manifest`), fresh when there is none; a round whose
commitment the book refused (late) is dropped with its state. The node keeps its latest
committed state in its task directory (`inner-state.pt`, with the round it ended); a restarted
node missing it (or holding an older one) reads it back from its own committed manifest in
storage. Training is checkpointed every quarter of a round (`round-checkpoint.pt` there,
`nnc.distributed.resume`): a node killed mid-round resumes it to the same delta and state.

Restart-safety: the chain is asked before every transaction (`commitmentOf` before `commit`, the
round's status and deadline before `closeRound`), and a restarted worker recomputes the start
weights from the chain and storage (kept in memory between passes, not on disk). The rounds this
node committed are noted in its state (`TaskRecord.rounds`) for operators.

Training runs in the worker's process (`inner_round` takes an in-process built-in `Program`), not
in the sandbox: a requester's own program is refused (`TrainingError`, so the task is given up).
With the spec's `parallel.processes` W > 1 the node trains each round with W DDP processes
(`nnc.distributed.node_ddp`), started at its first round and kept open until the task's final
weights are written (or until an error, after which the next round starts them again).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from nnc.chain.rounds import BookStatus, BookView, CommitState, RoundBook, RoundStatus
from nnc.distributed import (
    DilocoPlan,
    InnerState,
    RankGroups,
    RoundCheckpoint,
    fetch_round,
    inner_round,
    plan_of,
    publish_round,
    shard_indices,
    tensor_digest,
)
from nnc.distributed.history import BookHistory
from nnc.errors import ContractRevertError, TrainingError
from nnc.runtimes import rounds_program
from nnc.task import TaskSpec
from nnc.training.checkpoints import atomic_save
from nnc.training.digest import model_digest
from nnc.training.program import Program, TrainData
from nnc.training.program_package import ProgramFiles
from nnc.training.trainer import evaluate_program
from nnc.worker.node import Node
from nnc.worker.privacy import model_recipients, seal_model

# the worker daemon's lines share one logger, whichever role writes them (operators filter on it)
log = logging.getLogger("nnc.worker.daemon")

Weights = dict[str, torch.Tensor]

LATE = frozenset({"RoundDeadlinePassed", "WrongRound", "AlreadyCommitted"})
"""The book's refusals of a commitment that mean the round moved on while this node trained."""


@dataclass(frozen=True)
class _Inner:
    """This node's inner state after its committed round `round` (1-based)."""

    round: int
    state: InnerState


@dataclass
class _Task:
    """What this node keeps in memory of a parallel task between passes."""

    spec: TaskSpec
    program: Program
    data: TrainData
    plan: DilocoPlan
    shards: list[list[int]]
    history: BookHistory
    """The book's public history: seats, counted deltas, start weights (kept from round to round)."""
    inner: _Inner | None = None
    groups: RankGroups = field(default_factory=RankGroups)
    """The node's DDP ranks when the spec has `parallel.processes` > 1, kept open across its rounds."""


INNER_STATE = "inner-state.pt"
ROUND_CHECKPOINT = "round-checkpoint.pt"
CHECKPOINTS_PER_ROUND = 4


class Rounds:
    """This node's part in the parallel tasks it was assigned (see the module's notes)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.book = RoundBook(node.client)
        self._tasks: dict[int, _Task] = {}

    def advance(self, task_id: int, spec: TaskSpec, workdir: Path, dataset_file: Path | None,
                files: ProgramFiles | None = None) -> tuple[bytes, str, str] | None:
        """Does what the chain allows now in the task's rounds; once its book finished, stores the
        final model and returns (result digest, result URI, a summary for the log); None while
        rounds are still under way. `files`: the spec's fetched init weights or base model, when
        it names them (`nnc.library.fetch_task_files`)."""
        task = self._task(task_id, spec, dataset_file, files)
        try:
            return self._advance(task_id, task, workdir)
        except BaseException:
            task.groups.close()  # this node's DDP ranks, if any: its next round starts them afresh
            raise

    def rank_groups(self, task_id: int) -> RankGroups | None:
        """The DDP rank groups this node keeps for the task (None when it keeps nothing in memory for it)."""
        task = self._tasks.get(task_id)
        return None if task is None else task.groups

    def _advance(self, task_id: int, task: _Task, workdir: Path) -> tuple[bytes, str, str] | None:
        n = self.node
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
        start = task.history.start_weights(round_)
        previous = self._inner_state(task_id, task, round_)
        node_index = seat - 1
        workdir = n.workdir(task_id)
        checkpoint = RoundCheckpoint(workdir / ROUND_CHECKPOINT, max(1, task.plan.inner_steps // CHECKPOINTS_PER_ROUND))
        result = inner_round(task.spec, task.program, start, task.shards[node_index], node_index, round_ - 1,
                             previous_state=previous, plan=task.plan, data=task.data, checkpoint=checkpoint,
                             groups=task.groups)
        uri, manifest = publish_round(n.store, result.delta, result.state)
        delta_digest = manifest.commitment
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
        self._keep_inner(task_id, task, round_, result.state)
        n.metrics.training_steps.inc(result.steps - result.resumed_from)
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

    # -- this node's inner state -------------------------------------------------------------

    def _inner_state(self, task_id: int, task: _Task, round_: int) -> InnerState | None:
        """The inner state this node's `round_` starts from (see the module's notes): from memory,
        its task directory or its own committed manifest, whichever holds the right round first."""
        n = self.node
        previous = task.history.previous_manifest(n.address, round_)
        if previous is None:
            return None
        wanted, uri = previous
        if task.inner is not None and task.inner.round == wanted:
            return task.inner.state
        commitment = self.book.commitment(task_id, wanted, n.address)
        kept = self._kept_inner(task_id, wanted)
        if kept is None:
            fetched = fetch_round(n.store, uri, commitment.delta_digest, with_state=True,
                                  what=f"task {task_id} round {wanted} of this node")
            assert fetched.state is not None
            log.info("task %d: %s read its inner state after round %d back from storage", task_id, n.tag, wanted)
            kept = fetched.state
        task.inner = _Inner(wanted, kept)
        return kept

    def _kept_inner(self, task_id: int, round_: int) -> InnerState | None:
        """The inner state kept in the task directory when it is that after `round_`, else None."""
        path = self.node.workdir(task_id) / INNER_STATE
        try:
            kept: Any = torch.load(path, weights_only=True)
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - a damaged file is read back from storage instead
            log.warning("%s is unreadable (%s): the inner state is read back from storage", path, exc)
            return None
        if not isinstance(kept, dict) or kept.get("round") != round_ or not isinstance(kept.get("state"), dict):
            return None
        state: InnerState = kept["state"]
        return state

    def _keep_inner(self, task_id: int, task: _Task, round_: int, state: InnerState) -> None:
        """Keeps the end state of this node's committed `round_` in memory and in the task directory."""
        task.inner = _Inner(round_, state)
        atomic_save({"round": round_, "state": state}, self.node.workdir(task_id) / INNER_STATE)

    # -- the task ----------------------------------------------------------------------------

    def _task(self, task_id: int, spec: TaskSpec, dataset_file: Path | None, files: ProgramFiles | None) -> _Task:
        task = self._tasks.get(task_id)
        if task is None:
            program = rounds_program(spec, files)  # TrainingError for a requester's program
            data = program.load_data(dataset_file)
            plan = plan_of(spec)
            task = _Task(spec, program, data, plan, shard_indices(data.n_train, plan.nodes, spec.schedule.seed),
                         BookHistory(self.book, self.node.store, task_id, spec, program, plan))
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
        weights = task.history.start_weights(task.plan.rounds + 1)
        spec = task.spec
        workdir.mkdir(parents=True, exist_ok=True)
        model_path = workdir / "model.pt"
        atomic_save(dict(weights), model_path)
        digest = model_digest(weights, spec.determinism.digest_decimals)
        metric = evaluate_program(spec, task.program, weights, task.data)
        stored = model_path if spec.privacy is None else seal_model(model_path, model_recipients(spec, n.key))
        uri = n.archive.put_file(stored)
        self._tasks.pop(task_id, None)
        task.groups.close()
        summary = f"{task.plan.rounds} rounds by {task.plan.nodes} nodes, {spec.goal.metric} {metric:.3f}"
        if not math.isfinite(metric):
            log.warning("task %d: %s final model's %s is %s", task_id, n.tag, spec.goal.metric, metric)
        return digest, uri, summary
