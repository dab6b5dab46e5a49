"""Issue 12 on a real chain, driven by the production daemons: a dissenter challenged and slashed
while the majority is paid exactly the formula, and an r = 2 tie that goes to verification (the
tie window) instead of a refund, paid to both replicas after it or resolved by a challenge.

(The frozen dissenter released by the oracle after its window is in test_zk_submission.py.)
Every test checks the books: `sum(net payouts) + fee + refund == budget`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration, DisputeStatus
from nnc.chain.funding import CoFunding
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.settlement import node_payout
from nnc.chain.types import ETH, QUALITY_UNSCORED, Bond, TaskStatus
from nnc.devnet import ORACLE, REQUESTER, Devnet
from nnc.oracle.daemon import Oracle
from nnc.oracle.index import EventIndex
from nnc.runtimes.dispatch import train
from nnc.task import load_spec
from nnc.task.cofund import CofundOptions, open_cofunded_task
from nnc.task.publish import PublishOptions
from nnc.verification.scenario import mine
from nnc.worker.daemon import Worker
from nnc.worker.state import Phase
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network

pytestmark = pytest.mark.e2e

BUDGET = 10**18 + 11  # odd: rounding dust must go back to the requester
COLLATERAL = 10 * NNT
BOND = 20 * NNT


def events(market: Market, name: str, task_id: int) -> list[dict[str, Any]]:
    logs = getattr(market.contract.events, name)().get_logs(from_block=0, argument_filters={"taskId": task_id})
    return [dict(log["args"]) for log in logs]


def with_maverick(chain: Devnet, tmp_path: Path, replication: int,
                  publish: Callable[[Network], int] | None = None) -> tuple[Network, int, Market]:
    """A task of `replication` seats: `replication - 1` honest worker daemons and one maverick node
    (driven by hand) that trains the spec with another seed, so its result differs. Returns when
    every result is in (the task Submitted). `publish` publishes the task (default: the requester)."""
    nodes = chain.node_indices()[:replication]
    net = make_network(chain, tmp_path, nodes[:-1])
    maverick_client = chain.client(nodes[-1])
    Registry(maverick_client).register(b"\x01" * 32, 1)
    Registry(maverick_client).stake(200 * NNT)
    maverick = Market(maverick_client)
    if publish is None:
        task_id = net.publish(budget=BUDGET, replication=replication, collateral=COLLATERAL)
    else:
        task_id = publish(net)
    maverick.apply(task_id)
    net.step()  # the daemons apply, the oracle assigns (first come), the daemons train and submit
    assert set(net.market().assignees(task_id)) == {*(w.node for w in net.workers), maverick_client.address}
    spec = load_spec(TINY_SPEC)
    other = spec.model_copy(update={"training": spec.training.model_copy(update={"seed": spec.training.seed + 1})})
    result = train(other, tmp_path / "maverick", node=maverick_client.address)
    model_uri = net.store.put_file(result.model_path)
    maverick.submit_result(task_id, result.result_digest, model_uri)  # a commitment; the URI comes later
    net.run_until("every result in", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
    assert maverick.reveal_if_due(task_id, model_uri) is not None  # every replica committed: reveal
    assert maverick.reveal_if_due(task_id, model_uri) is None  # once
    return net, task_id, maverick


def challenge_and_slash(chain: Devnet, task_id: int, node: str) -> int:
    """The requester challenges `node` with a bond, the devnet's DAO voter votes to slash, the
    vote is mined through and resolved. Returns the dispute id."""
    dispute_id, _ = Arbitration(chain.client(REQUESTER)).challenge(task_id, node, BOND, "local://evidence")
    voter = Arbitration(chain.client(chain.voter))
    # votes count from the block after the snapshot (which lies the voting delay after the opening)
    mine(chain, voter.dispute(dispute_id).snapshot - chain.client(0).block_number() + 1)
    voter.vote(dispute_id, slash=True)
    mine(chain, voter.dispute(dispute_id).vote_end - chain.client(0).block_number() + 1)
    voter.resolve(dispute_id)
    assert voter.dispute(dispute_id).status == DisputeStatus.SLASHED
    return dispute_id


def cli(chain: Devnet, tmp_path: Path, account: int, *args: str) -> str:
    """`nnc <args>` signed by `account`; its output."""
    from click.testing import CliRunner

    from nnc.cli import cli as nnc

    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(account)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}"}
    result = CliRunner().invoke(nnc, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def assert_books_close(market: Market, task_id: int, budget: int) -> dict[str, int]:
    """The settlement's conservation; returns the net payouts by node."""
    settled = events(market, "TaskSettled", task_id)[0]
    paid = {e["node"]: e["amount"] for e in events(market, "NodePaid", task_id)}
    assert sum(paid.values()) == settled["paid"]
    assert sum(paid.values()) + settled["fee"] + settled["refund"] == budget
    return paid


def test_dissenter_challenged_and_slashed_while_the_majority_is_paid_by_the_formula(
        chain: Devnet, tmp_path: Path) -> None:
    """r = 3, one dissenter: a challenge through Arbitration (bond, vote, resolve) slashes it and
    takes it out of the task; the two agreeing replicas are settled as usual (exactly the
    formula), and only the dissenter's share goes back to the requester."""
    net, task_id, maverick = with_maverick(chain, tmp_path, 3)
    market = net.market()
    registry = Registry(chain.client(0))
    bad = maverick.client.address
    honest = [w.node for w in net.workers]

    challenge_and_slash(chain, task_id, bad)
    slashed = events(market, "NodeSlashed", task_id)
    assert [(e["node"], e["collateral"]) for e in slashed] == [(bad, COLLATERAL)]
    task = market.task(task_id)
    assert (task.status, task.active, task.submissions) == (TaskStatus.SUBMITTED, 2, 2)  # the others go on
    assert market.participation(task_id, bad).bond == Bond.SLASHED
    assert registry.node(bad).staked == 200 * NNT - COLLATERAL and registry.node(bad).locked == 0

    reputation = {node: registry.reputation_of(node) for node in honest}
    net.step()  # the oracle reports the quality of the (now unanimous) result
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)

    task = market.task(task_id)
    paid = assert_books_close(market, task_id, BUDGET)
    assert set(paid) == set(honest)
    params, eth_value = market.settlement_params(), market.token_value(ETH)
    expected = {node: node_payout(BUDGET, 3, task.compute_units, 0, task.quality_score, reputation[node], params,
                                  eth_value) for node in honest}
    for node in honest:
        assert paid[node] == expected[node].net
        assert registry.node(node).locked == 0 and registry.node(node).staked == 200 * NNT
    settled = events(market, "TaskSettled", task_id)[0]
    assert settled["fee"] == sum(e.fee for e in expected.values())
    assert settled["refund"] == BUDGET - sum(e.gross for e in expected.values())  # includes the dissenter's share
    assert settled["refund"] >= BUDGET // 3
    assert market.claimable(bad) == 0 and not events(market, "NodeFrozen", task_id)
    for worker in net.workers:
        worker.sync()
        assert worker.state.tasks[task_id].phase == Phase.DONE


def test_tie_of_two_goes_to_verification_then_pays_both_after_the_tie_window(chain: Devnet, tmp_path: Path) -> None:
    """r = 2, two different results: no strict majority. The first settle opens the tie window
    (Verifying, tied, TaskTied) instead of refunding; the worker that submitted keeps waiting
    (not an error); after the window the oracle settles and both replicas are paid by the formula
    at the neutral quality, neither frozen; the honest worker then claims its pay."""
    net, task_id, maverick = with_maverick(chain, tmp_path, 2)
    market = net.market()
    registry = Registry(chain.client(0))
    nodes = [net.workers[0].node, maverick.client.address]
    reputation = {node: registry.reputation_of(node) for node in nodes}

    net.step()  # no majority: nothing for the oracle to score
    assert not events(market, "QualityReported", task_id)
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.step()
    task = market.task(task_id)
    assert task.status == TaskStatus.VERIFYING and task.tied
    tied = events(market, "TaskTied", task_id)
    assert [e["endsAt"] for e in tied] == [task.challenge_ends_at]
    assert task.challenge_ends_at - chain.client(0).block_timestamp() <= market.params().tie_window
    assert not events(market, "TaskSettled", task_id)
    assert net.workers[0].state.tasks[task_id].phase == Phase.SUBMITTED  # waiting, not failed
    shown = cli(chain, tmp_path, REQUESTER, "task", "status", str(task_id))
    assert "verifying" in shown and "tied" in shown and "collateral locked, revealed" in shown

    net.step()  # within the tie window the oracle does not settle
    assert market.task(task_id).status == TaskStatus.VERIFYING
    # restarts: a worker and an oracle that lost their state pick the tie up from the chain
    restarted = Worker(net.workers[0].settings, chain.client(chain.node_indices()[0]), net.store)
    assert restarted.state.tasks[task_id].phase == Phase.SUBMITTED
    net.workers[0] = restarted
    net.oracle = Oracle(net.oracle.settings, chain.client(ORACLE),
                        EventIndex(tmp_path / "restarted-index.sqlite", "restarted", 0), net.store)
    advance_time(chain, task.challenge_ends_at - chain.client(0).block_timestamp() + 1)
    net.oracle.sync()
    assert (task_id, "settle") in net.poke()
    net.oracle.sync()
    assert net.poke() == []  # once
    net.run_until("tie settled", lambda: net.status(task_id) == TaskStatus.SETTLED)

    task = market.task(task_id)
    assert task.quality_score == QUALITY_UNSCORED
    assert task.result_digest == b"\x00" * 32  # no agreed result
    paid = assert_books_close(market, task_id, BUDGET)
    params, eth_value = market.settlement_params(), market.token_value(ETH)
    for node in nodes:
        expected = node_payout(BUDGET, 2, task.compute_units, 0, None, reputation[node], params, eth_value)
        assert paid[node] == expected.net
        assert market.participation(task_id, node).bond == Bond.RELEASED
        assert registry.node(node).locked == 0
    assert not events(market, "NodeFrozen", task_id)

    worker = net.workers[0]
    worker.sync()
    assert worker.state.tasks[task_id].phase == Phase.DONE
    node_client = chain.client(chain.node_indices()[0])
    before = node_client.w3.eth.get_balance(node_client.address)
    receipt = Market(node_client).claim(ETH)
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert node_client.w3.eth.get_balance(node_client.address) == before + paid[node_client.address] - gas


def test_tie_resolved_by_a_challenge_pays_the_remaining_replica_alone(chain: Devnet, tmp_path: Path) -> None:
    """r = 2 tie, then a challenge inside the tie window slashes one replica: the task resumes its
    tie window (Verifying) and settles with the other one's result, paid by the formula."""
    net, task_id, maverick = with_maverick(chain, tmp_path, 2)
    market = net.market()
    registry = Registry(chain.client(0))
    honest = net.workers[0].node
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.step()
    task = market.task(task_id)
    assert task.status == TaskStatus.VERIFYING and task.tied

    challenge_and_slash(chain, task_id, maverick.client.address)
    task = market.task(task_id)
    assert (task.status, task.tied, task.active) == (TaskStatus.VERIFYING, True, 1)
    reputation = registry.reputation_of(honest)
    advance_time(chain, max(0, task.challenge_ends_at - chain.client(0).block_timestamp()) + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)

    task = market.task(task_id)
    paid = assert_books_close(market, task_id, BUDGET)
    expected = node_payout(BUDGET, 2, task.compute_units, 0, task.quality_score, reputation,
                           market.settlement_params(), market.token_value(ETH))
    assert paid == {honest: expected.net}
    assert task.result_digest == market.result_of(task_id, honest)
    assert registry.node(maverick.client.address).staked == 200 * NNT - COLLATERAL
    assert registry.node(honest).staked == 200 * NNT and registry.node(honest).locked == 0


def test_worker_applies_only_with_free_stake_for_the_collateral_and_time_to_finish(
        chain: Devnet, tmp_path: Path) -> None:
    """Applying locks the collateral (issue 12): the worker does not apply when its free stake
    cannot cover it, nor for a task it cannot finish before the deadline by its own estimate."""
    net = make_network(chain, tmp_path, chain.node_indices()[:1])  # 200 NNT staked
    worker = net.workers[0]
    registry = Registry(chain.client(0))
    big = net.publish(replication=1, collateral=150 * NNT)
    worker.sync()
    assert worker.state.tasks[big].phase == Phase.APPLIED
    assert registry.node(worker.node).locked == 150 * NNT  # locked while applying

    second = net.publish(replication=1, collateral=100 * NNT)  # 50 NNT free
    worker.sync()
    record = worker.state.tasks[second]
    assert record.phase == Phase.SKIPPED and "free stake" in record.reason
    assert worker.node not in net.market().applicants(second)

    worker.settings = worker.settings.model_copy(update={"deadline_margin": 100.0})
    tight = net.publish(replication=1, collateral=0, apply_window=60, deadline=60 + 120)
    worker.sync()
    record = worker.state.tasks[tight]
    assert record.phase == Phase.SKIPPED and "cannot finish before the deadline" in record.reason


def test_quality_challenge_upheld_rejects_the_result_which_is_paid_its_compute_only(
        chain: Devnet, tmp_path: Path) -> None:
    """No single oracle moves money unchecked (issue 12, items 12 and 16): the requester challenges
    the reported quality, the DAO upholds the claim (rejected), and the node is paid the base weight
    of the formula only, no bonus; the books close."""
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    market = net.market()
    registry = Registry(chain.client(0))
    task_id = net.publish(budget=BUDGET, replication=1, collateral=COLLATERAL)
    net.run_until("submitted", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
    net.step()  # the oracle scores it (accepted)
    reported = events(market, "QualityReported", task_id)
    assert len(reported) == 1 and reported[0]["accepted"]
    node = net.workers[0].node
    reputation = registry.reputation_of(node)

    arbitration = Arbitration(chain.client(REQUESTER))
    dispute_id, _ = arbitration.challenge_quality(task_id, 1000, False, BOND, "local://my-evaluation")
    assert arbitration.quality_claim(dispute_id) == (1000, False)
    assert market.task(task_id).status == TaskStatus.DISPUTED
    voter = Arbitration(chain.client(chain.voter))
    mine(chain, voter.dispute(dispute_id).snapshot - chain.client(0).block_number() + 1)
    voter.vote(dispute_id, slash=True)
    mine(chain, voter.dispute(dispute_id).vote_end - chain.client(0).block_number() + 1)
    voter.resolve(dispute_id)
    task = market.task(task_id)
    assert (task.status, task.quality_score, task.rejected) == (TaskStatus.SUBMITTED, 1000, True)
    net.step()  # the oracle does not score it again
    assert len(events(market, "QualityReported", task_id)) == 2  # the oracle's, then arbitration's

    advance_time(chain, max(0, task.challenge_ends_at - chain.client(0).block_timestamp()) + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    paid = assert_books_close(market, task_id, BUDGET)
    expected = node_payout(BUDGET, 1, task.compute_units, 0, 1000, reputation, market.settlement_params(),
                           market.token_value(ETH), rejected=True)
    assert paid == {node: expected.net}
    assert not events(market, "BonusGranted", task_id)
    assert arbitration.claimable(chain.address(REQUESTER)) == BOND  # upheld: the bond back


def test_frozen_dissenter_challenged_after_settlement_is_held_then_slashed_and_never_released(
        chain: Devnet, tmp_path: Path) -> None:
    """r = 3, the dissenter is frozen at settlement (the majority paid by the formula then); a
    challenge inside the freeze window holds its collateral (the oracle does not release a held
    seat, even past the window) and the DAO slashes it: payouts and refund do not change."""
    net, task_id, maverick = with_maverick(chain, tmp_path, 3)
    market = net.market()
    registry = Registry(chain.client(0))
    bad = maverick.client.address
    honest = [w.node for w in net.workers]
    reputation = {node: registry.reputation_of(node) for node in honest}
    net.step()  # the oracle scores the majority's result
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    task = market.task(task_id)
    paid = assert_books_close(market, task_id, BUDGET)
    params, eth_value = market.settlement_params(), market.token_value(ETH)
    assert paid == {node: node_payout(BUDGET, 3, task.compute_units, 0, task.quality_score, reputation[node],
                                      params, eth_value).net for node in honest}
    assert market.participation(task_id, bad).bond == Bond.FROZEN
    claimable = {node: market.claimable(node) for node in (*honest, chain.address(REQUESTER))}

    dispute_id, _ = Arbitration(chain.client(REQUESTER)).challenge(task_id, bad, BOND, "local://evidence")
    assert Arbitration(chain.client(REQUESTER)).dispute(dispute_id).frozen
    assert market.participation(task_id, bad).bond == Bond.HELD
    advance_time(chain, task.challenge_ends_at - chain.client(0).block_timestamp() + 1)  # past the freeze window
    net.oracle.sync()
    assert not [a for a in net.poke() if a[1] == "release_frozen"]  # held: arbitration decides
    voter = Arbitration(chain.client(chain.voter))
    mine(chain, voter.dispute(dispute_id).snapshot - chain.client(0).block_number() + 1)
    voter.vote(dispute_id, slash=True)
    mine(chain, voter.dispute(dispute_id).vote_end - chain.client(0).block_number() + 1)
    voter.resolve(dispute_id)
    assert market.participation(task_id, bad).bond == Bond.SLASHED
    assert registry.node(bad).staked == 200 * NNT - COLLATERAL and registry.node(bad).locked == 0
    assert market.task(task_id).status == TaskStatus.SETTLED
    assert {node: market.claimable(node) for node in claimable} == claimable  # the settlement stands
    net.oracle.sync()
    assert net.oracle.index.frozen_nodes() == [] and net.poke() == []


def test_cofunded_task_a_funder_running_a_node_gets_its_pay_and_its_share_only(chain: Devnet, tmp_path: Path) -> None:
    """Co-funding (issue 15), r = 3: one funder also runs an honest node, a dissenter is challenged
    and slashed. The funder's node is paid exactly the formula, as the other honest node; the pool
    gets the refund (the dissenter's share included) and arbitration's requester share of the
    slashed collateral, and each funder takes exactly its contribution's share of both: the
    funder running a node gains nothing beyond the normal path. The books close to the wei."""
    lead, funder_node, third = REQUESTER, chain.node_indices()[0], 7
    contributions = {lead: 5 * 10**17 + 1, funder_node: 3 * 10**17 + 5, third: 2 * 10**17 + 5}
    budget = sum(contributions.values())
    pools: list[str] = []

    def publish(net: Network) -> int:
        options = CofundOptions(task=PublishOptions(budget=budget, replication=3, collateral=COLLATERAL,
                                                    apply_window=60, deadline=600),
                                amount=contributions[lead], funding_window=40)
        pool, _ = open_cofunded_task(chain.client(lead), net.store, load_spec(TINY_SPEC), options)
        for account in (funder_node, third):
            CoFunding(chain.client(account)).contribute(pool, contributions[account])
        pools.append(pool)
        return CoFunding(chain.client(third)).publish(pool)

    net, task_id, maverick = with_maverick(chain, tmp_path, 3, publish)
    pool = pools[0]
    market = net.market()
    registry = Registry(chain.client(0))
    assert market.task(task_id).requester == pool
    assert chain.address(funder_node) in {w.node for w in net.workers}
    challenge_and_slash(chain, task_id, maverick.client.address)
    reputation = {w.node: registry.reputation_of(w.node) for w in net.workers}
    net.step()
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)

    task = market.task(task_id)
    paid = assert_books_close(market, task_id, budget)
    params, eth_value = market.settlement_params(), market.token_value(ETH)
    for node, amount in paid.items():
        assert amount == node_payout(budget, 3, task.compute_units, 0, task.quality_score, reputation[node], params,
                                     eth_value).net, "every honest node, the funder's too, paid the formula"
    refund = int(events(market, "TaskSettled", task_id)[0]["refund"])
    assert market.claimable(pool) == refund
    nnt_share = COLLATERAL * chain.params.requester_share_bps // 10_000
    assert Arbitration(chain.client(0)).claimable(pool) == nnt_share
    nnt = str(chain.client(0).token.address)
    CoFunding(chain.client(third)).collect_due(pool, nnt)  # arbitration's requester share, into the pool
    for token, total in ((ETH, refund), (nnt, nnt_share)):
        got = {a: CoFunding(chain.client(a)).claim(pool, token) for a in (funder_node, third, lead)}
        for account in (funder_node, third):
            assert got[account] == total * contributions[account] // budget, (token, account)
        assert got[lead] == total - got[funder_node] - got[third]
    assert market.claimable(chain.address(funder_node)) == paid[chain.address(funder_node)], "nothing more"
