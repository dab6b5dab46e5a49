"""A straggler of a data-parallel (DiLoCo) task replaced mid-task on a real devnet, by worker
daemons alone: four workers apply for a 3-node task, the market assigns three, the fourth waits as
a reserve. One member stops after round 1; the others close rounds 2 and 3 at their
deadlines without it; once it missed the book's limit a member replaces it, the reserve asks the
book to fill the seat, the market admits it (collateral locked, an assignee) and it trains the
remaining rounds from the chain's start weights. The straggler's daemon comes back, waits for the
last round and submits the same final weights. Settled: each node paid by its rounds to the wei,
the straggler's collateral less its missed-round penalty (to the treasury), the final weights the
reference's with the same participation bitwise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nnc.chain.registry import Registry
from nnc.chain.rounds import CommitState, RoundBook
from nnc.chain.types import Bond
from nnc.devnet import Devnet
from nnc.distributed import reference_run
from nnc.runtimes import builtin_program
from nnc.task import TaskSpec, parse_spec
from nnc.worker.daemon import Worker
from nnc.worker.replacement import RESERVE
from nnc.worker.state import Phase
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network, settings_for
from tests.e2e.test_parallel_training import (
    book_of,
    check_settled_on,
    closed_at_least,
    commits_in,
    final_model,
    paid_by_shares,
    reputations,
    same,
)

pytestmark = pytest.mark.e2e

NODES, INNER, ROUNDS = 3, 8, 5
COLLATERAL = 10 * 10**18  # the harness's default collateral


def replacement_spec() -> TaskSpec:
    data: dict[str, Any] = json.loads(TINY_SPEC.read_text())
    data["name"] = "tiny digits MLP in rounds, with a replacement (tests)"
    data["training"].update(steps=INNER * ROUNDS, checkpoint_interval=INNER * ROUNDS)
    data["parallel"] = {"nodes": NODES, "inner_steps": INNER, "rounds": ROUNDS,
                        "outer": {"optimizer": "nesterov", "lr": 0.7, "momentum": 0.9}}
    return parse_spec(data)


@dataclass
class Started:
    """A 3-node task assigned to three workers with a fourth as its reserve, round 1 closed, its
    first member stopped (the straggler) and the two others running with the reserve."""

    net: Network
    task_id: int
    book: RoundBook
    reserve: Worker
    straggler: Worker
    seat: int  # the straggler's seat (1-based)
    members: list[Worker]  # the two members that go on


def start_with_a_reserve(chain: Devnet, tmp_path: Path, spec: TaskSpec) -> Started:
    net = make_network(chain, tmp_path, [*chain.node_indices(), chain.voter])  # the voter: a fourth account
    task_id = net.publish(spec, replication=NODES)
    book = book_of(net)
    net.run_until("assigned, round 1 closed", lambda: book.book(task_id).closed == 1)
    reserve = net.workers[3]  # the last to apply
    assert reserve.node not in net.market().assignees(task_id), "first come: the fourth applicant waits"
    record = reserve.state.tasks[task_id]
    assert (record.phase, record.reason) == (Phase.APPLIED, RESERVE)
    assert net.market().participation(task_id, reserve.node).bond == Bond.RELEASED
    # the first worker to act in a step stops after round 1 (the last one's commitment closed
    # round 1, and it went on to commit round 2 at once)
    straggler = net.workers.pop(0)
    assert book.commitment(task_id, 2, straggler.node).state == CommitState.NONE
    seat = book.members(task_id).index(straggler.node) + 1
    return Started(net, task_id, book, reserve, straggler, seat, list(net.workers[:2]))


def miss(started: Started, chain: Devnet, rounds: tuple[int, ...]) -> None:
    """The two members commit each of `rounds` and close it at its deadline without the straggler."""
    net, book, task_id = started.net, started.book, started.task_id
    duration = book.book(task_id).round_duration
    for round_ in rounds:
        net.run_until(f"round {round_} committed by the two others", commits_in(book, task_id, round_, 2))
        advance_time(chain, duration + 1)
        net.run_until(f"round {round_} closed at its deadline", closed_at_least(book, task_id, round_))


def test_a_straggler_is_replaced_by_a_reserve_that_trains_the_remaining_rounds_and_all_are_paid_by_rounds(
        chain: Devnet, tmp_path: Path) -> None:
    spec = replacement_spec()
    started = start_with_a_reserve(chain, tmp_path, spec)
    net, task_id, book, reserve, straggler = (started.net, started.task_id, started.book, started.reserve,
                                              started.straggler)
    straggler_seat, members = started.seat, started.members
    miss(started, chain, (2, 3))
    # a member replaces the straggler (2 missed rounds: the book's limit), the reserve fills the seat
    net.run_until("the reserve seated", lambda: reserve.node in book.members(task_id))
    assert book.participant(task_id, straggler.node).replaced
    assert book.participant(task_id, reserve.node).joined_round == 4
    assert book.members(task_id)[straggler_seat - 1] == reserve.node
    admitted = net.market().participation(task_id, reserve.node)
    assert admitted.assigned and admitted.bond == Bond.LOCKED
    net.run_until("the reserve assigned", lambda: reserve.state.tasks[task_id].phase != Phase.APPLIED)

    # the straggler's daemon comes back (a new process on its state) before the last round
    # closed: it is replaced, so it trains nothing and waits for the book to finish
    account = next(a for a in chain.node_indices() if straggler.local.is_me(chain.address(a)))
    back = Worker(settings_for(chain, tmp_path, account), chain.client(account), net.store)
    net.workers.insert(0, back)  # first in each step: it sees round 5 open, and trains nothing
    assert book.book(task_id).closed < ROUNDS
    net.run_until("every round closed", lambda: book.book(task_id).closed == ROUNDS)
    assert back.state.tasks[task_id].phase == Phase.ASSIGNED and back.state.tasks[task_id].rounds == [1]
    assert book.commitment(task_id, 4, back.node).state == CommitState.NONE
    assert [book.commitment(task_id, r, reserve.node).state for r in (4, 5)] == [CommitState.COUNTED] * 2

    before = reputations(net, [w.node for w in net.workers])
    registry = Registry(chain.client(0))
    staked = registry.node(back.node).staked
    net.settle(task_id)

    # the seat held by the straggler in rounds 1-3 and by the reserve in 4-5: the same shard
    # (the reserve with a fresh inner optimizer from round 4), absent in rounds 2 and 3
    absent = {(straggler_seat - 1, 1), (straggler_seat - 1, 2)}
    reference = reference_run(spec, builtin_program(spec), absent=absent, fresh={(straggler_seat - 1, 3)})
    check_settled_on(net, task_id, reference, spec, net.workers)
    assert book.contributed_rounds(task_id, back.node) == 1
    assert book.contributed_rounds(task_id, reserve.node) == 2
    shares = book.pay_shares(task_id)
    assert shares[back.node] == 666 and shares[reserve.node] == 1333  # 1 and 2 of the 15 seat-rounds
    paid = paid_by_shares(net, task_id, before)  # every assignee by its share, to the wei; budget conserved
    assert 0 < paid[back.node] < paid[reserve.node] < min(paid[w.node] for w in members)
    penalty = COLLATERAL * RoundBook(chain.client(0)).penalty_bps(task_id, back.node) // 10_000
    assert penalty == COLLATERAL * 2 * 500 // 10_000
    assert staked - registry.node(back.node).staked == penalty, "the straggler's missed-round penalty"
    assert registry.node(reserve.node).locked == 0, "the reserve's collateral released at settlement"


def test_a_seat_left_open_for_want_of_an_eligible_reserve_is_filled_when_one_is_again(
        chain: Devnet, tmp_path: Path) -> None:
    """The reserve has unbonded most of its stake when the straggler is replaced: no candidate, so
    the seat stays open and round 4 closes with the two members. It stakes again; on its next
    pass it asks the book to fill the seat (`join`), is admitted and trains round 5, its joining
    round. Final weights: the seat absent in rounds 2 to 4."""
    spec = replacement_spec()
    started = start_with_a_reserve(chain, tmp_path, spec)
    net, task_id, book, reserve = started.net, started.task_id, started.book, started.reserve
    registry = Registry(reserve.client)
    registry.request_unbond(registry.free_stake(reserve.node) - COLLATERAL + 1)  # too little stake
    miss(started, chain, (2, 3))
    net.run_until("round 4 closed by the two members' commitments", closed_at_least(book, task_id, 4))
    assert book.participant(task_id, started.straggler.node).replaced, "replaced by a member"
    assert book.members(task_id)[started.seat - 1] is None and book.book(task_id).vacant == 1
    assert book.book(task_id).closed == 4 and book.round(task_id, 4).commits == 2
    registry.stake(registry.min_stake() + COLLATERAL)  # eligible again
    # first in the next step: it sees the seat open before the two members commit round 5 (which,
    # with a seat open, would close it and finish the book)
    net.workers.remove(reserve)
    net.workers.insert(0, reserve)
    net.run_until("the reserve seated", lambda: reserve.node in book.members(task_id))
    assert book.participant(task_id, reserve.node).joined_round == 5
    net.run_until("every round closed", lambda: book.book(task_id).closed == ROUNDS)
    assert book.commitment(task_id, 5, reserve.node).state == CommitState.COUNTED

    net.run_until("the three seated submitted", lambda: all(
        w.state.tasks[task_id].phase == Phase.SUBMITTED for w in net.workers))
    absent = {(started.seat - 1, r) for r in (1, 2, 3)}
    reference = reference_run(spec, builtin_program(spec), absent=absent, fresh={(started.seat - 1, 4)})
    for worker in net.workers:
        assert same(final_model(worker, task_id), reference.weights), worker.tag
