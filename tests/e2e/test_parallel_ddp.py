"""A data-parallel task whose nodes each train with two DDP processes (`parallel.processes` 2),
trained by three worker daemons on a real devnet and settled: the worker starts a node's ranks
once for the task (not every round) and stops them when its final weights are written; the final
weights, every committed round and the pay equal a single-process reference run at the same W
bitwise, and a verifier's replay of a committed round at that W matches it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nnc.chain.rounds import BookStatus, CommitState
from nnc.devnet import Devnet
from nnc.distributed import (
    RankGroups,
    fetch_round,
    initial_weights,
    plan_of,
    reference_run,
    replay_round,
    shard_indices,
)
from nnc.runtimes import builtin_program
from nnc.task import TaskSpec, parse_spec
from tests.e2e.harness import TINY_SPEC, make_network
from tests.e2e.test_parallel_training import book_of, check_settled_on

pytestmark = pytest.mark.e2e

NODES, INNER, ROUNDS, PROCESSES = 3, 6, 2, 2


def ddp_spec() -> TaskSpec:
    data: dict[str, Any] = json.loads(TINY_SPEC.read_text())
    data["name"] = "tiny digits MLP in rounds, two processes a node (tests)"
    data["training"].update(steps=INNER * ROUNDS, checkpoint_interval=INNER * ROUNDS)
    data["acceptance"]["threshold"] = 0.3  # 12 steps of a 16-unit MLP: this test is about rounds, not quality
    data["parallel"] = {"nodes": NODES, "inner_steps": INNER, "rounds": ROUNDS, "processes": PROCESSES,
                        "outer": {"optimizer": "nesterov", "lr": 0.7, "momentum": 0.9}}
    return parse_spec(data)


def test_nodes_training_with_ddp_settle_equal_to_the_reference_at_their_world_size(chain: Devnet,
                                                                                 tmp_path: Path) -> None:
    spec = ddp_spec()
    net = make_network(chain, tmp_path, chain.node_indices())
    task_id = net.publish(spec)
    book = book_of(net)
    net.run_until("round 1 closed", lambda: book.book(task_id).closed >= 1)
    kept = [worker.execution.rounds.rank_groups(task_id) for worker in net.workers]
    started = [groups.running() for groups in kept if groups is not None]
    assert len(started) == NODES and all(len(open_) == 1 and open_[0].processes == PROCESSES for open_ in started)
    net.settle(task_id)
    # one group trained both rounds of each node, and was stopped when the task's weights were written
    assert all(not open_[0].running for open_ in started)
    assert all(worker.execution.rounds.rank_groups(task_id) is None for worker in net.workers)

    program = builtin_program(spec)
    with RankGroups() as reference_groups:
        reference = reference_run(spec, program, groups=reference_groups)
    check_settled_on(net, task_id, reference, spec, net.workers)
    timeline = book.timeline(task_id)
    assert timeline.book.status == BookStatus.FINISHED and timeline.book.total_contributed == NODES * ROUNDS
    rows = {row.node: row for row in timeline.rows}
    members = book.members(task_id)
    for seat, member in enumerate(members):
        assert member is not None
        assert [c.state for c in rows[member].cells] == [CommitState.COUNTED] * ROUNDS
        assert [c.delta_digest.hex() for c in rows[member].cells] == [r.commitments[seat] for r in reference.rounds]

    # a verifier replays seat 2's first round from public inputs, at the spec's W
    seat = 2
    member = members[seat - 1]
    assert member is not None
    committed = book.commitment(task_id, 1, member).delta_digest
    fetched = fetch_round(net.store, rows[member].delta_uris[0] or "", committed, with_state=True)
    data = program.load_data(None)
    shard = shard_indices(data.n_train, plan_of(spec).nodes, spec.schedule.seed)[seat - 1]
    verdict = replay_round(spec, program, initial_weights(spec, program), shard, seat - 1, 0, None,
                           fetched.manifest, data=data)
    assert verdict.matches, verdict.reason
