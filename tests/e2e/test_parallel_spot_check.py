"""The spot-check of a data-parallel task on a real devnet: one (node, round) pair drawn from a
future block's hash, replayed by a verifier outside the book from public inputs only, a lazy
member (it trains fewer inner steps than the plan, every round) caught, disputed, slashed by the
DAO's vote and its round refuted in the book, while the honest members are paid their rounds and
the requester gets the lazy member's share back.

The dice are real: the test mirrors the contract's draw in Python to see which pair (and which
verifier) a mined block's hash would pick, replays an honest pair it lands on (it must pass), and
lets the draw go stale and be committed again until it lands on the lazy member, as the draws of
many tasks would."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_abi import encode
from web3 import Web3

from nnc.api.rounds import present_timeline
from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration, CheckStatus, DisputeStatus, SpotCheck
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.rounds import BookStatus, CellStatus, CommitState, RoundBook
from nnc.chain.types import Bond, TaskStatus
from nnc.cli.round_commands import render_timeline
from nnc.daemon import StopFlag
from nnc.devnet import DEPLOYER, REQUESTER, Devnet
from nnc.distributed import initial_weights, inner_round, plan_of, shard_indices
from nnc.distributed.commitment import publish_round
from nnc.distributed.history import BookHistory
from nnc.distributed.tensors import tensor_digest
from nnc.library import fetch_task_files
from nnc.runtimes import builtin_program, rounds_program
from nnc.task import TaskSpec
from nnc.task.publish import published_spec
from nnc.verification.round_check import check_round
from nnc.verification.scenario import mine
from nnc.worker.daemon import Worker
from nnc.worker.state import Phase
from tests.e2e.harness import Network, advance_time, make_network, settings_for
from tests.e2e.test_parallel_training import INNER, NODES, ROUNDS, book_of, closed_up_to, parallel_spec

pytestmark = pytest.mark.e2e

VERIFIER_ACCOUNT = 7  # a funded node outside the book: the devnet's nodes are 3..5, its voter 6
FEE = 10**15
MAX_PROBES = 16
LAZY_STEPS = INNER - 3


def _draw_of(net: Network, spot_check: SpotCheck, book: RoundBook, task_id: int, block_hash: bytes,
             ) -> tuple[str, int, str] | None:
    """The (node, round, verifier) `SpotCheck.drawVerifier` picks from `block_hash`, by the contract's
    rule (`_drawRound`, then `_pick`); None when it would find no pair or no verifier."""
    random = int.from_bytes(Web3.keccak(encode(["bytes32", "uint256"], [block_hash, task_id])), "big")
    market = net.market()
    people = book.participants(task_id)
    rounds = book.book(task_id).rounds
    pair = None
    for i in range(MAX_PROBES):
        x = int.from_bytes(Web3.keccak(encode(["uint256", "string", "uint256"], [random, "round", i])), "big")
        round_, node = 1 + x % rounds, people[(x >> 128) % len(people)]
        taking = market.participation(task_id, node)
        if (book.commitment(task_id, round_, node).state == CommitState.COUNTED and taking.submitted
                and taking.bond == Bond.LOCKED):
            pair = (node, round_)
            break
    if pair is None:
        return None
    size = spot_check.check(task_id).draw_pool_size
    seated = {p.lower() for p in people}
    for i in range(MAX_PROBES):
        slot = int.from_bytes(Web3.keccak(encode(["uint256", "uint256"], [random, i])), "big") % size
        candidate = str(spot_check.contract.functions.poolAt(slot).call())
        if candidate.lower() not in seated:  # every pool member here is eligible and joined before
            return (*pair, candidate)
    return None


def _cli(devnet: Devnet, home: Path, account: int, *args: str) -> str:
    """Runs `nnc ARGS` as `account` against the devnet; returns its output (exit code 0)."""
    from click.testing import CliRunner

    from nnc.cli import cli

    env = {"NNC_CONFIG": str(home / "absent.toml"), "NNC_RPC_URL": devnet.rpc_url,
           "NNC_KEY_FILE": str(devnet.key_file(account)), "NNC_DEPLOYMENT_FILE": str(devnet.deployment_file),
           "NNC_DATA_DIR": str(home / "cli"), "NNC_STORAGE_URL": f"local://{home / 'store'}", "NNC_PRIVATE_KEY": None}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _open_for(net: Network, book: RoundBook, task_id: int, round_: int) -> bool:
    """Whether the lazy member can commit `round_` now: the task assigned and the round open (round
    1: its commitment starts the book if nobody's did yet)."""
    if not net.market().assignees(task_id):
        return False
    view = book.book(task_id)
    if view.status == BookStatus.OPENED:
        return round_ == 1
    return view.status == BookStatus.RUNNING and view.current == round_


def _lazy_round(net: Network, spec: TaskSpec, client_book: RoundBook, history: BookHistory, task_id: int,
                node: str, round_: int) -> None:
    """The lazy member's round, by hand from public inputs: its inner round with LAZY_STEPS steps
    instead of the plan's, committed like any (the manifest binds its delta and state)."""
    program, plan = history.program, history.plan
    seat = history.seat_of(node, round_)
    assert seat is not None
    data = program.load_data(None)
    shard = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)[seat - 1]
    start = history.start_weights(round_)
    previous = history.previous_state(node, round_)
    lazy = inner_round(spec, program, start, shard, seat - 1, round_ - 1, previous_state=previous, plan=plan,
                       data=data, steps=LAZY_STEPS)
    uri, manifest = publish_round(net.store, lazy.delta, lazy.state)
    client_book.commit(task_id, round_, manifest.commitment, bytes.fromhex(tensor_digest(start)), uri)


def test_a_lazy_member_is_caught_by_the_round_spot_check_and_slashed_while_the_honest_are_paid(
        chain: Devnet, tmp_path: Path) -> None:
    spec = parallel_spec()
    indices = chain.node_indices()[:NODES]
    net = make_network(chain, tmp_path, indices[:-1])  # two honest worker daemons
    lazy_client = chain.client(indices[-1])
    Registry(lazy_client).register(b"\x02" * 32, 1)
    Registry(lazy_client).stake(200 * NNT)
    lazy = lazy_client.address
    deployer = chain.client(DEPLOYER)
    deployer.transact(deployer.token.functions.transfer(chain.address(VERIFIER_ACCOUNT), 1_000 * NNT),
                      context="fund the verifier")
    verifier = Worker(settings_for(chain, tmp_path, VERIFIER_ACCOUNT), chain.client(VERIFIER_ACCOUNT), net.store)
    verifier.join(200 * NNT, benchmark_seconds=0.05)  # in the verifier pool, never applies (not stepped)

    task_id = net.publish(spec, replication=NODES)
    requester_check = SpotCheck(chain.client(REQUESTER))
    requester_check.enable(task_id, 1, 0.0, FEE)
    assert requester_check.check(task_id).by_rounds
    Market(lazy_client).apply(task_id)
    book = book_of(net)
    lazy_book = RoundBook(lazy_client)
    history = BookHistory(book, net.store, task_id, spec, builtin_program(spec), plan_of(spec))
    for round_ in range(1, ROUNDS + 1):
        net.run_until(f"round {round_} open", lambda r=round_: _open_for(net, book, task_id, r))
        if book.book(task_id).status == BookStatus.OPENED:
            lazy_book.start(task_id)  # anyone may, once the task is assigned: the seats are known then
        _lazy_round(net, spec, lazy_book, history, task_id, lazy, round_)
        net.run_until(f"round {round_} closed", closed_up_to(book, task_id, round_))
    net.run_until("the honest submitted", lambda: all(w.state.tasks[task_id].phase == Phase.SUBMITTED
                                                      for w in net.workers))
    honest = net.workers[0]
    digest = bytes.fromhex(honest.state.tasks[task_id].result_digest.removeprefix("0x"))
    model_uri = net.store.put_file(honest.workdir(task_id) / "model.pt")
    lazy_market = Market(lazy_client)
    lazy_market.submit_result(task_id, digest, model_uri)
    assert net.status(task_id) == TaskStatus.SUBMITTED
    # verification is requested before the daemons run again (the oracle would do it and then
    # draw at once, leaving the test no dice to roll)
    requester_check.request_verification(task_id)
    assert net.status(task_id) == TaskStatus.VERIFYING

    # the dice: mine the draw's block, see whom it picks; an honest pair must replay, then re-roll
    honest_replayed = 0
    for _ in range(30):
        check = requester_check.check(task_id)
        head = chain.client(REQUESTER).block_number()
        if head <= check.draw_block:
            mine(chain, check.draw_block - head + 1)
        block_hash = bytes(chain.client(REQUESTER).w3.eth.get_block(check.draw_block)["hash"])
        drawn = _draw_of(net, requester_check, book, task_id, block_hash)
        if drawn is not None and drawn[0].lower() == lazy.lower():
            break
        if drawn is not None and honest_replayed == 0:
            report = check_round(chain.client(VERIFIER_ACCOUNT), net.store, task_id, drawn[0], drawn[1],
                                 tmp_path / "honest-replay")
            assert report.passed, report.reason
            honest_replayed += 1
        mine(chain, 257)  # the draw goes stale: drawVerifier commits it again to a new block
        requester_check.draw_verifier(task_id)
    else:
        raise AssertionError("30 draws never landed on the lazy member")
    requester_check.draw_verifier(task_id)
    check = requester_check.check(task_id)
    assert (check.trainer.lower(), check.round, check.verifier) == (lazy.lower(), drawn[1], drawn[2])
    assert check.verifier.lower() == verifier.node.lower()

    # the verifier's daemon replays the pair and reports: the dispute opens against the lazy member
    verifier.sync()
    verifier.work(StopFlag())
    check = requester_check.check(task_id)
    assert check.status == CheckStatus.FAILED and check.dispute_id != 0
    assert net.status(task_id) == TaskStatus.DISPUTED
    # a juror replays it too and votes; the DAO upholds the dispute
    voter = Arbitration(chain.client(chain.voter))
    dispute = voter.dispute(check.dispute_id)
    assert dispute.node.lower() == lazy.lower()
    juror = check_round(chain.client(chain.voter), net.store, task_id, lazy, check.round, tmp_path / "juror")
    assert not juror.passed and "does not replay" in juror.reason, juror.reason
    for round_ in (1, ROUNDS):  # while an honest member's rounds replay bitwise, its first and last alike
        honest_check = check_round(chain.client(chain.voter), net.store, task_id, net.workers[1].node, round_,
                                   tmp_path / "juror")
        assert honest_check.passed, honest_check.reason
    mine(chain, dispute.snapshot - chain.client(REQUESTER).block_number() + 1)
    voter.vote(check.dispute_id, slash=True)
    mine(chain, dispute.vote_end - chain.client(REQUESTER).block_number() + 1)
    voter.resolve(check.dispute_id)
    assert voter.dispute(check.dispute_id).status == DisputeStatus.SLASHED

    # the oracle refutes the pair in the book, then the task settles: honest paid, lazy not
    net.run_until("the pair refuted", lambda: book.commitment(task_id, check.round, lazy).state
                  == CommitState.REFUTED)
    assert book.book(task_id).status == BookStatus.FROZEN
    timeline = book.timeline(task_id)
    lazy_row = next(row for row in timeline.rows if row.node.lower() == lazy.lower())
    assert timeline.status_of(lazy_row, check.round) == CellStatus.REFUTED
    # the task page's timeline (the API's body) and `nnc task rounds` show the verdict on the pair
    body = present_timeline(timeline, requester_check.check(task_id))
    assert body["spot_check"] is not None and body["spot_check"]["dispute_id"] == check.dispute_id
    verdicts = [(cell["node"].lower(), entry["round"], cell["check"]) for entry in body["timeline"]
                for cell in entry["cells"] if cell["check"]]
    assert verdicts == [(lazy.lower(), check.round, "failed")]
    lines = render_timeline(timeline, compact=True, check=requester_check.check(task_id))
    assert (f"  spot-check failed: round {check.round} of node {check.trainer} drawn, verifier {check.verifier}; "
            f"it did not replay: dispute {check.dispute_id}") in lines
    net.run_until("the honest revealed", lambda: all(w.state.tasks[task_id].revealed for w in net.workers))
    lazy_market.reveal_if_due(task_id, model_uri)
    advance_time(chain, net.market().settlement_params().challenge_window + 1)
    net.run_until("settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    market = net.market()
    assert market.participation(task_id, lazy).bond == Bond.SLASHED
    assert market.claimable(lazy) == 0
    shares = book.pay_shares(task_id)
    for worker in net.workers:
        assert shares[worker.node] == 3333 and market.claimable(worker.node) > 0, worker.tag
    assert market.claimable(chain.address(REQUESTER)) > 10**18 // NODES  # the lazy member's share back

    # the requester re-runs the task from its last verified round: the re-run starts from exactly
    # the weights the frozen book had verified, and trains the rounds left
    rerun = _cli(chain, tmp_path, REQUESTER, "task", "rerun", str(task_id), "--budget", "1", "--collateral", "10",
                 "--deadline", "600")
    new_id = int(rerun.split()[2])
    _, new_spec = published_spec(net.market(), net.store, new_id)
    start = book.book(task_id).refuted_round
    assert new_spec.parallel is not None and new_spec.parallel.rounds == ROUNDS - start + 1
    assert new_spec.init is not None and new_spec.base_model is None
    verified = BookHistory(book, net.store, task_id, spec, builtin_program(spec), plan_of(spec)).start_weights(start)
    program = rounds_program(new_spec, fetch_task_files(new_spec, chain.client(REQUESTER), net.store,
                                                        tmp_path / "rerun-files"))
    assert tensor_digest(initial_weights(new_spec, program)) == tensor_digest(verified)
    assert book_of(net).book(new_id).status == BookStatus.OPENED  # its own book, for the same k nodes
