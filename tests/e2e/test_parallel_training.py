"""A data-parallel (DiLoCo) task trained by three worker daemons on a real devnet, round by round
through its RoundBook, then settled by the market; its final weights equal the single-process
reference run's bitwise. A straggler stops after round 1: the rounds close at their deadlines
without it, the outer step renormalises, and once back it computes the same final weights from
the chain and storage and submits them too."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.rounds import BookStatus, CommitState, RoundBook
from nnc.chain.settlement import node_payout
from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.distributed import (
    DilocoResult,
    OuterState,
    RoundManifest,
    fetch_round,
    initial_weights,
    inner_round,
    outer_step,
    plan_of,
    publish_round,
    reference_run,
    replay_round,
    shard_indices,
    tensor_bytes,
    tensor_digest,
)
from nnc.distributed.history import BookHistory
from nnc.runtimes import builtin_program
from nnc.storage import LocalStore
from nnc.task import TaskSpec, parse_spec
from nnc.task.publish import PublishError, PublishOptions, publish_task
from nnc.training.digest import model_digest
from nnc.worker.daemon import Worker
from nnc.worker.rounds import INNER_STATE
from nnc.worker.state import Phase
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network, settings_for

pytestmark = pytest.mark.e2e

NODES, INNER, ROUNDS = 3, 8, 3


def parallel_spec() -> TaskSpec:
    data: dict[str, Any] = json.loads(TINY_SPEC.read_text())
    data["name"] = "tiny digits MLP in rounds (tests)"
    data["training"].update(steps=INNER * ROUNDS, checkpoint_interval=INNER * ROUNDS)
    # 24 steps of a 16-unit MLP: with a seat left out every round (the free rider's test) the
    # model's accuracy is near 0.5; these tests are about rounds and pay, not the model's quality
    data["acceptance"]["threshold"] = 0.3
    data["parallel"] = {"nodes": NODES, "inner_steps": INNER, "rounds": ROUNDS,
                        "outer": {"optimizer": "nesterov", "lr": 0.7, "momentum": 0.9}}
    return parse_spec(data)


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return sorted(a) == sorted(b) and all(torch.equal(a[name], b[name]) for name in a)


def final_model(worker: Worker, task_id: int) -> dict[str, torch.Tensor]:
    weights: dict[str, torch.Tensor] = torch.load(worker.workdir(task_id) / "model.pt", weights_only=True)
    return weights


def book_of(net: Network) -> RoundBook:
    return RoundBook(net.devnet.client(REQUESTER))


def commits_in(book: RoundBook, task_id: int, round_: int, commits: int) -> Callable[[], bool]:
    """Whether `round_` is the open round with `commits` commitments."""
    return lambda: book.book(task_id).closed + 1 == round_ and book.round(task_id, round_).commits == commits


def closed_up_to(book: RoundBook, task_id: int, round_: int) -> Callable[[], bool]:
    return lambda: book.book(task_id).closed == round_


def check_settled_on(net: Network, task_id: int, reference: DilocoResult, spec: TaskSpec,
                     workers: list[Worker]) -> None:
    """Every worker's model file is the reference's final weights bitwise, and so is its submitted digest."""
    expected = "0x" + model_digest(reference.weights, spec.determinism.digest_decimals).hex()
    for worker in workers:
        record = worker.state.tasks[task_id]
        assert record.phase == Phase.DONE and record.reason == "settled", (worker.tag, record)
        assert record.result_digest == expected, worker.tag
        assert same(final_model(worker, task_id), reference.weights), worker.tag


def paid_by_shares(net: Network, task_id: int, reputation_before: dict[str, int]) -> dict[str, int]:
    """Every assignee's claimable balance is its book share of the node pay, to the wei (a node
    with no contributed round: nothing), and the budget is conserved; returns the balances."""
    market = net.market()
    task = market.task(task_id)
    shares = book_of(net).pay_shares(task_id)
    params = market.settlement_params()
    claimable = {node: market.claimable(node) for node in market.assignees(task_id)}
    gross = 0
    for node, amount in claimable.items():
        expected = node_payout(task.budget, task.replication, task.compute_units, 0, task.quality_score,
                               reputation_before[node], params, share_bps=shares.get(node, 0))
        assert amount == expected.net, node
        gross += expected.gross
    settled = market.contract.events.TaskSettled().get_logs(from_block=0, argument_filters={"taskId": task_id})
    assert settled[0]["args"]["refund"] == task.budget - gross
    assert market.claimable(net.devnet.address(REQUESTER)) >= task.budget - gross
    return claimable


def closed_at_least(book: RoundBook, task_id: int, round_: int) -> Callable[[], bool]:
    """Whether `round_` closed (later rounds may have closed in the same step too)."""
    return lambda: book.book(task_id).closed >= round_


def reputations(net: Network, nodes: list[str]) -> dict[str, int]:
    registry = Registry(net.devnet.client(0))
    return {node: registry.reputation_of(node) for node in nodes}


def test_three_workers_train_three_rounds_equal_to_the_reference_and_settle(chain: Devnet, tmp_path: Path) -> None:
    spec = parallel_spec()
    net = make_network(chain, tmp_path, chain.node_indices())
    task_id = net.publish(spec)  # replication = len(workers) = k; the round book is opened with it
    book = book_of(net)
    opened = book.book(task_id)
    assert (opened.status, opened.nodes, opened.rounds) == (BookStatus.OPENED, NODES, ROUNDS)
    assert opened.round_duration == int((600 - 60) * 0.9) // ROUNDS  # the default rule: 90% of the window

    net.run_until("round 1 closed", lambda: book.book(task_id).closed >= 1)
    # the first worker's daemon restarts between rounds: a fresh process on its saved state
    # recomputes the start weights from the chain and storage and goes on; its inner optimizer
    # state is lost with its disk too (read back from its own committed round-1 manifest)
    first = net.workers[0]
    kept_state = first.workdir(task_id) / INNER_STATE
    assert kept_state.exists()
    kept_state.unlink()
    account = next(a for a in chain.node_indices() if first.local.is_me(chain.address(a)))
    net.workers[0] = Worker(settings_for(chain, tmp_path, account), chain.client(account), net.store)
    assert net.workers[0].state.tasks[task_id].rounds == [1]
    net.settle(task_id)

    reference = reference_run(spec, builtin_program(spec))
    check_settled_on(net, task_id, reference, spec, net.workers)
    timeline = book.timeline(task_id)
    assert timeline.book.status == BookStatus.FINISHED and timeline.book.total_contributed == NODES * ROUNDS
    members = book.members(task_id)
    rows = {row.node: row for row in timeline.rows}
    for seat, member in enumerate(members):
        assert member is not None
        cells = rows[member].cells
        assert [c.state for c in cells] == [CommitState.COUNTED] * ROUNDS
        # seat s trained shard s: its committed deltas and inner states are the reference's node s,
        # round by round (the state carried across rounds), bound in one digest
        assert [c.delta_digest.hex() for c in cells] == [r.commitments[seat] for r in reference.rounds]
        for uri, record in zip(rows[member].delta_uris, reference.rounds, strict=True):
            assert uri is not None
            manifest = RoundManifest.from_bytes(net.store.get_bytes(uri))
            assert (manifest.delta_sha256, manifest.state_sha256) == (record.delta_digests[seat],
                                                                      record.state_digests[seat])
            assert net.store.exists(manifest.delta_uri) and net.store.exists(manifest.state_uri)
    assert [timeline.rounds[r].start_digest.hex() for r in range(ROUNDS)] == \
        [record.start_digest for record in reference.rounds]
    assert not any(r.disputed for r in timeline.rounds)
    shares = book.pay_shares(task_id)
    assert sorted(shares.values()) == [3333, 3333, 3334]
    assert all(worker.state.tasks[task_id].rounds == [1, 2, 3] for worker in net.workers)

    # a verifier replays seat 2's round 2 from the chain and storage alone: the start weights from
    # round 1's committed deltas, the seat's previous state from its round-1 manifest
    program, member = builtin_program(spec), members[1]
    history = BookHistory(book, net.store, task_id, spec, program, plan_of(spec))
    assert member is not None and history.previous_manifest(member, 1) is None  # its first: fresh
    found = history.previous_manifest(member, 2)
    assert found is not None and found[0] == 1
    uris = book.delta_uris(task_id)
    round_1 = [fetch_round(net.store, uris[(1, m)], book.commitment(task_id, 1, m).delta_digest).delta
               for m in members if m is not None]
    start, _ = outer_step(initial_weights(spec, program), round_1, OuterState(), plan_of(spec).outer)
    assert tensor_digest(start) == reference.rounds[1].start_digest
    previous = fetch_round(net.store, found[1], book.commitment(task_id, 1, member).delta_digest, with_state=True)
    committed = fetch_round(net.store, uris[(2, member)], book.commitment(task_id, 2, member).delta_digest)
    data = program.load_data(None)
    shard = shard_indices(data.n_train, NODES, spec.schedule.seed)[1]
    verdict = replay_round(spec, program, start, shard, 1, 1, previous.state, committed.manifest, data=data)
    assert verdict.matches, verdict.reason
    restarted = replay_round(spec, program, start, shard, 1, 1, None, committed.manifest, data=data)
    assert not restarted.matches


def test_a_straggler_misses_rounds_the_others_close_them_and_all_agree_on_the_renormalised_weights(
        chain: Devnet, tmp_path: Path) -> None:
    spec = parallel_spec()
    net = make_network(chain, tmp_path, chain.node_indices())
    task_id = net.publish(spec)
    book = book_of(net)
    net.run_until("round 1 closed", lambda: book.book(task_id).closed == 1)

    # the first worker to act in a step: the last one's commitment closed round 1, and it went on
    # to commit round 2 at once
    straggler = net.workers.pop(0)  # stopped after round 1
    straggler_address = straggler.node
    seat = book.members(task_id).index(straggler_address) + 1
    assert book.commitment(task_id, 2, straggler_address).state == CommitState.NONE
    duration = book.book(task_id).round_duration
    for round_ in (2, 3):
        net.run_until(f"round {round_} committed by the two others", commits_in(book, task_id, round_, 2))
        net.step()  # nothing closes it before its deadline
        assert book.book(task_id).closed == round_ - 1
        advance_time(chain, duration + 1)
        net.run_until(f"round {round_} closed at its deadline by a member", closed_up_to(book, task_id, round_))
    net.run_until("the two submitted", lambda: all(w.state.tasks[task_id].phase == Phase.SUBMITTED
                                                   for w in net.workers))

    # the straggler's daemon comes back (a new process on its state): it never trained rounds 2
    # and 3, computes their outer steps from the chain and storage, and submits the same weights
    account = next(a for a in chain.node_indices() if straggler.local.is_me(chain.address(a)))
    back = Worker(settings_for(chain, tmp_path, account), chain.client(account), net.store)
    assert back.state.tasks[task_id].rounds == [1]
    net.workers.append(back)
    before = reputations(net, [w.node for w in net.workers])
    net.settle(task_id)

    reference = reference_run(spec, builtin_program(spec), absent={(seat - 1, 1), (seat - 1, 2)})
    check_settled_on(net, task_id, reference, spec, net.workers)
    assert not same(reference.weights, reference_run(spec, builtin_program(spec)).weights)
    assert book.participant(task_id, straggler_address).missed == 2
    assert book.contributed_rounds(task_id, straggler_address) == 1
    shares = book.pay_shares(task_id)
    assert shares[straggler_address] == 1111 and sorted(shares.values()) == [1111, 3333, 3333]
    # paid by its rounds: 1 of the 9 seat-rounds, against 3 of 9 for each of the others; the 2
    # missed rounds go back to the requester
    paid = paid_by_shares(net, task_id, before)
    assert all(paid[straggler_address] * 2 < paid[w.node] for w in net.workers if w is not back)
    assert back.state.tasks[task_id].rounds == [1]


def test_a_parallel_task_is_published_for_its_nodes_with_rounds_that_fit(chain: Devnet, tmp_path: Path) -> None:
    spec = parallel_spec()
    store = LocalStore(tmp_path / "store")
    client = chain.client(REQUESTER)
    with pytest.raises(PublishError, match=f"publish it with replication {NODES}, not 2"):
        publish_task(client, store, spec, PublishOptions(budget=10**18, replication=2))
    with pytest.raises(PublishError, match="shorter than the chain's shortest round"):
        publish_task(client, store, spec, PublishOptions(budget=10**18, replication=NODES, round_duration=5))
    with pytest.raises(PublishError, match="do not fit the execution window"):
        publish_task(client, store, spec, PublishOptions(budget=10**18, replication=NODES, deadline=700,
                                                            round_duration=300))
    task_id, _ = publish_task(client, store, spec, PublishOptions(budget=10**18, replication=NODES,
                                                                      deadline=700, round_duration=200))
    assert RoundBook(client).book(task_id).round_duration == 200


def test_a_member_committing_garbage_deltas_is_left_out_and_cannot_poison_the_honest_nodes(
        chain: Devnet, tmp_path: Path) -> None:
    """An attacker seated in the book commits, with digests that match, a manifest naming a delta
    full of NaN, a manifest naming bytes that are no safetensors, and bytes that are no manifest:
    the honest nodes leave each out alike and end on the reference's weights without it (its
    rounds still count on chain until a spot-check refutes them)."""
    spec = parallel_spec()
    net = make_network(chain, tmp_path, chain.node_indices())
    task_id = net.publish(spec)
    net.workers[0].sync()  # the attacker's daemon applies for the task...
    attacker = net.workers.pop(0)  # ...and is then replaced by a script committing garbage
    attacker_book = RoundBook(attacker.client)
    book = book_of(net)
    net.run_until("the task assigned", lambda: bool(net.market().assignees(task_id)))
    seat = net.market().assignees(task_id).index(attacker.node) + 1
    reference_shapes = reference_run(spec, builtin_program(spec)).weights
    nan_uri, nan_manifest = publish_round(net.store, {name: torch.full_like(t, float("nan"))
                                                      for name, t in reference_shapes.items()}, {})
    not_tensors = b"not safetensors at all"
    junk_manifest = RoundManifest(net.store.put_bytes(not_tensors), hashlib.sha256(not_tensors).hexdigest(),
                                  nan_manifest.state_uri, nan_manifest.state_sha256)
    no_manifest = tensor_bytes({"layer.weight": torch.zeros(2, 2)})
    garbage = [(nan_uri, nan_manifest.commitment),
               (net.store.put_bytes(junk_manifest.to_bytes()), junk_manifest.commitment),
               (net.store.put_bytes(no_manifest), hashlib.sha256(no_manifest).digest())]
    for round_, (uri, digest) in enumerate(garbage, start=1):
        attacker_book.commit(task_id, round_, digest, b"\x01" * 32, uri)
        net.run_until(f"round {round_} closed by the honest nodes' commitments", closed_up_to(book, task_id, round_))
    net.run_until("the honest nodes submitted", lambda: all(w.state.tasks[task_id].phase == Phase.SUBMITTED
                                                            for w in net.workers))

    reference = reference_run(spec, builtin_program(spec), absent={(seat - 1, r) for r in range(ROUNDS)})
    for worker in net.workers:
        assert same(final_model(worker, task_id), reference.weights), worker.tag
    assert book.contributed_rounds(task_id, attacker.node) == ROUNDS


def test_nnc_task_publish_takes_k_nodes_and_a_round_duration(chain: Devnet, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nnc.cli import cli

    spec_file = tmp_path / "parallel.json"
    spec_file.write_text(parallel_spec().model_dump_json())
    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(REQUESTER)),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_PRIVATE_KEY": None}
    runner = CliRunner()
    published = runner.invoke(cli, ["task", "publish", str(spec_file), "--budget", "1", "--round-duration", "90"],
                              env=env)
    assert published.exit_code == 0, published.output
    task_id = int(published.stdout.split()[2])
    book = RoundBook(chain.client(REQUESTER)).book(task_id)
    assert (book.nodes, book.rounds, book.round_duration) == (NODES, ROUNDS, 90)
    assert net_replication(chain, task_id) == NODES
    refused = runner.invoke(cli, ["task", "publish", str(spec_file), "--budget", "1", "-r", "2"], env=env)
    assert isinstance(refused.exception, PublishError)
    assert f"replication {NODES}, not 2" in str(refused.exception)


def net_replication(chain: Devnet, task_id: int) -> int:
    from nnc.chain.market import Market

    return Market(chain.client(REQUESTER)).task(task_id).replication


def test_a_node_whose_training_outlasts_the_round_is_its_straggler_not_a_failure(
        chain: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last node of a step trains round 1 past its deadline (chain time is moved on while it
    trains, as a slow machine would see it): the book refuses its late commitment, and it closes
    the round itself, trains round 2 from the others' outer step, and the task settles on the
    reference's weights without its round-1 delta."""
    import nnc.worker.rounds as rounds_module

    spec = parallel_spec()
    net = make_network(chain, tmp_path, chain.node_indices())
    task_id = net.publish(spec)
    book = book_of(net)
    slow = net.workers[-1]
    slowed: list[int] = []

    def slow_first_round(*args: Any, **kwargs: Any) -> Any:
        result = inner_round(*args, **kwargs)
        if args[5] == 0 and book.round(task_id, 1).commits == 2 and not slowed:  # the slow node's round 1
            slowed.append(1)
            advance_time(chain, book.book(task_id).round_duration + 1)
        return result

    monkeypatch.setattr(rounds_module, "inner_round", slow_first_round)
    net.settle(task_id)

    assert slowed
    seat = book.members(task_id).index(slow.node) + 1
    assert book.commitment(task_id, 1, slow.node).state == CommitState.NONE
    assert book.participant(task_id, slow.node).missed == 1
    assert slow.state.tasks[task_id].rounds == [2, 3]
    reference = reference_run(spec, builtin_program(spec), absent={(seat - 1, 0)})
    check_settled_on(net, task_id, reference, spec, net.workers)


def test_a_free_rider_committing_no_round_is_paid_nothing(chain: Devnet, tmp_path: Path) -> None:
    """A third member, driven by hand, takes a seat and never trains: the two worker daemons close
    rounds 1 and 2 at their deadlines without it, then replace it (no reserve takes its seat). It
    then submits the final weights (anyone can compute them from the chain and storage, here copied
    from a worker) and they agree with the others': the market pays it nothing (no contributed
    round), the two honest nodes half each, and the requester gets the rider's share back."""
    spec = parallel_spec()
    indices = chain.node_indices()[:NODES]
    net = make_network(chain, tmp_path, indices[:-1])
    rider_client = chain.client(indices[-1])
    Registry(rider_client).register(b"\x01" * 32, 1)
    Registry(rider_client).stake(200 * 10**18)
    rider = Market(rider_client)
    task_id = net.publish(spec, replication=NODES)
    rider.apply(task_id)
    book = book_of(net)
    duration = book.book(task_id).round_duration
    for round_ in (1, 2):
        net.run_until(f"round {round_} committed by the two workers", commits_in(book, task_id, round_, 2))
        advance_time(chain, duration + 1)
        net.run_until(f"round {round_} closed at its deadline", closed_at_least(book, task_id, round_))
    # it missed the book's limit (2 rounds): a worker replaced it, so round 3 closes on the two
    # workers' commitments (no reserve applied to take its seat); it stays an assignee
    net.run_until(f"round {ROUNDS} closed", closed_up_to(book, task_id, ROUNDS))
    assert book.participant(task_id, rider_client.address).replaced
    net.run_until("the two submitted", lambda: all(w.state.tasks[task_id].phase == Phase.SUBMITTED
                                                   for w in net.workers))
    honest = net.workers[0]
    digest = bytes.fromhex(honest.state.tasks[task_id].result_digest.removeprefix("0x"))
    model_uri = net.store.put_file(honest.workdir(task_id) / "model.pt")
    rider.submit_result(task_id, digest, model_uri)
    net.run_until("every result in", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
    rider.reveal_if_due(task_id, model_uri)
    before = reputations(net, [*(w.node for w in net.workers), rider_client.address])
    net.settle(task_id)

    assert book.contributed_rounds(task_id, rider_client.address) == 0
    assert book.pay_shares(task_id)[rider_client.address] == 0
    paid = paid_by_shares(net, task_id, before)
    assert paid[rider_client.address] == 0
    assert all(paid[w.node] > 0 for w in net.workers)
    # it agreed with the majority (so it is unpaid for its rounds, not for dissent)
    agreed = rider.participation(task_id, honest.node).result_digest
    assert rider.participation(task_id, rider_client.address).result_digest == agreed
    assert rider.task(task_id).result_digest == agreed


class Killed(BaseException):
    """The worker's process dies mid-round: escapes every handler of the daemon, as a kill would."""


def test_a_worker_killed_mid_round_resumes_from_its_round_checkpoint(
        chain: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker dies after 5 of round 2's 8 inner steps (its round checkpoint, every 2 steps,
    holds step 4); restarted on its home, it resumes the round from step 4, and the task settles
    on the reference's weights bitwise, every round of every node counted."""
    import nnc.worker.rounds as rounds_module

    spec = parallel_spec()
    net = make_network(chain, tmp_path, chain.node_indices())
    task_id = net.publish(spec)
    victim = net.workers[0]
    killed: list[int] = []
    resumed: list[int] = []

    def killable(*args: Any, **kwargs: Any) -> Any:
        checkpoint = kwargs["checkpoint"]
        if args[5] == 1 and not killed and checkpoint.path.is_relative_to(victim.workdir(task_id)):
            killed.append(1)

            def die(h: int) -> None:
                if h == 5:
                    raise Killed

            return inner_round(*args, **kwargs, after_step=die)
        result = inner_round(*args, **kwargs)
        if result.resumed_from:
            resumed.append(result.resumed_from)
        return result

    monkeypatch.setattr(rounds_module, "inner_round", killable)
    with pytest.raises(Killed):
        net.run_until("the victim killed", lambda: False)
    assert (victim.workdir(task_id) / rounds_module.ROUND_CHECKPOINT).exists()
    account = next(a for a in chain.node_indices() if victim.local.is_me(chain.address(a)))
    net.workers[0] = Worker(settings_for(chain, tmp_path, account), chain.client(account), net.store)
    net.settle(task_id)

    assert resumed == [4]
    assert not (victim.workdir(task_id) / rounds_module.ROUND_CHECKPOINT).exists()
    check_settled_on(net, task_id, reference_run(spec, builtin_program(spec)), spec, net.workers)
    assert book_of(net).book(task_id).total_contributed == NODES * ROUNDS
