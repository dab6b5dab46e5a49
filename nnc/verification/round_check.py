"""The spot-check of a data-parallel task: replay the one (node, round) pair the SpotCheck drew.

The pair's inputs are all public: the round's start weights (the outer steps of the counted deltas
before it, `BookHistory.start_weights`), the node's shard (its seat's, `shard_indices`) and the
node's previous inner state (the end state of its latest committed round before it in that seat,
`BookHistory.previous_state`). `replay_round` trains the round again from them and compares the
delta's and end state's digests with the node's committed manifest, bitwise. A lazy node (fewer
inner steps), one that trained another shard, from other weights or another state, or committed
bytes that are not its round, does not replay: the report fails and the SpotCheck opens the
dispute against it. Used by the worker's verifier role
(`Verifier.verify`); a juror may run it too before voting.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.chain.rounds import CommitState, RoundBook
from nnc.distributed import plan_of, shard_indices
from nnc.distributed.commitment import fetch_round
from nnc.distributed.history import BookHistory
from nnc.distributed.replay import replay_round
from nnc.errors import StorageError, TaskSpecError, TrainingError
from nnc.library import fetch_task_files
from nnc.runtimes import rounds_program
from nnc.storage import Store
from nnc.task.publish import published_spec
from nnc.training.data import fetch_dataset
from nnc.verification.procedure import VerificationReport

log = logging.getLogger(__name__)


def check_round(client: ChainClient, store: Store, task_id: int, node: str, round_: int, dest: Path,
                seed: int = 0) -> VerificationReport:
    """Replays `node`'s round `round_` (1-based) of task `task_id` from the chain and storage and
    reports whether it matches what the node committed. Evidence that cannot be had (no spec, no
    commitment, a manifest that does not match the commitment, a store that does not serve it) is
    a failed report naming it, as for a single-trainer task's evidence: the dispute it opens is
    decided by the DAO, whose jurors replay the round themselves."""
    try:
        return _check_round(client, store, task_id, node, round_, dest, seed)
    except StorageError as exc:
        return VerificationReport(passed=False, reason=f"evidence: storage: {exc}", seed=seed)


def _check_round(client: ChainClient, store: Store, task_id: int, node: str, round_: int, dest: Path,
                 seed: int) -> VerificationReport:
    started = time.process_time()

    def report(passed: bool, reason: str) -> VerificationReport:
        return VerificationReport(passed=passed, reason=reason, seed=seed, replayed_steps=steps if passed else 0,
                                  seconds=time.process_time() - started)

    steps = 0
    book = RoundBook(client)
    try:
        _, spec = published_spec(Market(client), store, task_id)
        plan = plan_of(spec)
    except (TaskSpecError, TrainingError) as exc:
        return report(False, f"evidence: {exc}")
    steps = plan.inner_steps
    commitment = book.commitment(task_id, round_, node)
    if commitment.state == CommitState.NONE:
        return report(False, f"evidence: {node} committed nothing in round {round_} of task {task_id}")
    uri = book.delta_uris(task_id).get((round_, node))
    if uri is None:
        return report(False, f"evidence: no DeltaCommitted event of {node} in round {round_} of task {task_id}")
    what = f"task {task_id} round {round_} of {node}"
    try:
        committed = fetch_round(store, uri, commitment.delta_digest, what=what)
    except TrainingError as exc:
        return report(False, f"evidence: {exc}")
    try:
        program = rounds_program(spec, fetch_task_files(spec, client, store, dest / "files"))
    except TrainingError as exc:
        return report(False, f"evidence: {exc}")
    data = program.load_data(fetch_dataset(spec, store, dest))
    history = BookHistory(book, store, task_id, spec, program, plan)
    seat = history.seat_of(node, round_)
    if seat is None:
        return report(False, f"evidence: {node} held no seat in round {round_} of task {task_id}")
    try:
        start = history.start_weights(round_)
        previous = history.previous_state(node, round_)
    except TrainingError as exc:  # the node's own earlier manifest does not match its commitment
        return report(False, f"evidence: {exc}")
    shard = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)[seat - 1]
    verdict = replay_round(spec, program, start, shard, seat - 1, round_ - 1, previous, committed.manifest,
                           plan=plan, data=data)
    log.info("task %d: round %d of %s (seat %d): %s", task_id, round_, node, seat, verdict.reason)
    return report(verdict.matches, verdict.reason)

