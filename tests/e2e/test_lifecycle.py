"""The whole task lifecycle on a real anvil chain with real training: settle, cancel, expire."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nnc.chain.deploy import NNT
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.settlement import node_payout
from nnc.chain.types import ETH, TaskStatus
from nnc.cli import cli
from nnc.daemon import StopFlag
from nnc.devnet import REQUESTER, Devnet
from nnc.task import compute_units, load_spec, spec_digest
from nnc.training import load_checkpoint
from nnc.training.checkpoints import checkpoint_path, verify_state
from nnc.zk import agreement_tag
from tests.e2e.harness import TINY_SPEC, advance_time, make_network

pytestmark = pytest.mark.e2e


def events(market: Market, name: str, task_id: int) -> list[dict[str, Any]]:
    logs = getattr(market.contract.events, name)().get_logs(from_block=0, argument_filters={"taskId": task_id})
    return [dict(log["args"]) for log in logs]


def test_publish_assign_train_snapshot_submit_settle_pays_by_the_formula(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2], sandbox=True)  # as operators run it
    market = net.market()
    registry = Registry(chain.client(0))
    pool = chain.client(0).contract("RewardsPool")
    treasury = chain.deployment.deployer  # type: ignore[union-attr]
    budget = 10**18 + 7  # odd, so the split has rounding dust that must go back to the requester
    escrow_before = chain.client(0).w3.eth.get_balance(market.contract.address)
    reputation_before = {w.node: registry.reputation_of(w.node) for w in net.workers}

    task_id = net.publish(budget=budget, replication=2)
    assert market.task(task_id).compute_units == compute_units(load_spec(TINY_SPEC))
    net.settle(task_id)

    task = market.task(task_id)
    results = {w.node: w.state.tasks[task_id].result_digest for w in net.workers}
    assert len(set(results.values())) == 1, "deterministic training must give identical digests"
    digest = bytes.fromhex(next(iter(results.values()))[2:])  # on-chain: the agreement tag of the digest
    assert task.result_digest == agreement_tag(market.statement_key(task_id), digest).to_bytes(32, "big")

    # Real-time snapshots: every node posted its own checkpoint chain (from its own genesis, so the
    # replicas' heads differ while their digests agree), and the task went through Running.
    statuses = [TaskStatus(e["to"]) for e in events(market, "TaskStatusChanged", task_id)]
    assert statuses == [TaskStatus.PUBLISHED, TaskStatus.ASSIGNED, TaskStatus.RUNNING, TaskStatus.SUBMITTED,
                        TaskStatus.SETTLED]
    spec = load_spec(TINY_SPEC)
    heads = set()
    for worker in net.workers:
        snapshot = market.latest_snapshot(task_id, worker.node)
        assert snapshot.step == 60 and any(snapshot.chain_head)
        last = checkpoint_path(worker.workdir(task_id), 60)
        state = load_checkpoint(last)
        verify_state(state, last, spec_digest(spec), spec.determinism.digest_decimals, node=worker.node)
        assert state.history[-1].chain_head == snapshot.chain_head.hex()
        heads.add(snapshot.chain_head)
    assert len(heads) == len(net.workers), "replicas must not post identical chain heads"

    # The oracle evaluated the agreed model and reported its accuracy as the quality score.
    reported = events(market, "QualityReported", task_id)
    assert len(reported) == 1 and reported[0]["score"] == task.quality_score
    assert 5_000 <= task.quality_score <= 10_000

    # Payouts follow the settlement formula to the wei, and the escrow is conserved.
    params = market.settlement_params()
    settled = events(market, "TaskSettled", task_id)[0]
    payouts = {e["node"]: e["amount"] for e in events(market, "NodePaid", task_id)}
    assert set(payouts) == {w.node for w in net.workers}
    for node, amount in payouts.items():
        expected = node_payout(budget, 2, task.compute_units, 0, task.quality_score, reputation_before[node], params)
        assert amount == expected.net
    assert sum(payouts.values()) + settled["fee"] == settled["paid"] + settled["fee"]
    assert settled["paid"] + settled["fee"] + settled["refund"] == budget
    owed = sum(market.claimable(n) for n in payouts) + market.claimable(treasury) + market.claimable(
        chain.address(REQUESTER))
    assert owed == budget
    assert chain.client(0).w3.eth.get_balance(market.contract.address) - escrow_before == budget

    # NNT quality bonuses from the rewards pool (capped at the fee paid, valued in NNT), reputation
    # up, collateral back.
    eth_value = market.token_value(ETH)
    for worker in net.workers:
        expected = node_payout(budget, 2, task.compute_units, 0, task.quality_score, reputation_before[worker.node],
                               params, eth_value).bonus
        assert pool.functions.claimable(worker.node).call() == expected > 0
        assert registry.reputation_of(worker.node) > reputation_before[worker.node]
        assert registry.node(worker.node).locked == 0

    # A node claims its payout: its balance grows by exactly the payout minus gas.
    node_client = chain.client(chain.node_indices()[0])
    w3 = node_client.w3
    before = w3.eth.get_balance(node_client.address)
    receipt = Market(node_client).claim(ETH)
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(node_client.address) == before + payouts[node_client.address] - gas_cost
    assert market.claimable(node_client.address) == 0

    # The other collects everything with one command: its ETH payout and its NNT bonus.
    other = chain.node_indices()[1]
    address = chain.address(other)
    bonus = pool.functions.claimable(address).call()
    nnt_before = chain.client(0).token.functions.balanceOf(address).call()
    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(other)),
           "NNC_DATA_DIR": str(tmp_path / "cli"), "NNC_PRIVATE_KEY": None}
    claimed = CliRunner().invoke(cli, ["claim", "--all"], env=env)
    assert claimed.exit_code == 0, claimed.output
    assert f"task market: claimed {Decimal(payouts[address]).scaleb(-18).normalize():f} ETH" in claimed.output
    assert f"rewards pool (bonuses): claimed {Decimal(bonus).scaleb(-18).normalize():f} NNT" in claimed.output
    assert "arbitration: nothing owed (0 NNT)" in claimed.output
    assert chain.client(0).token.functions.balanceOf(address).call() == nnt_before + bonus
    assert market.claimable(address) == 0 and pool.functions.claimable(address).call() == 0


def test_erc20_budget_settles_and_conserves_escrow(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    token = chain.deployment.address_of("NNToken")  # type: ignore[union-attr]
    task_id = net.publish(budget=500 * NNT, token=token, replication=2)
    net.settle(task_id)
    settled = events(net.market(), "TaskSettled", task_id)[0]
    assert settled["paid"] + settled["fee"] + settled["refund"] == 500 * NNT
    assert settled["paid"] > 0


def test_lowest_price_strategy_picks_the_cheapest_nodes_and_pays_their_price(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices())
    prices = [3 * 10**12, 1 * 10**12, 2 * 10**12]
    for worker, price in zip(net.workers, prices, strict=True):
        worker.registry.set_price(ETH, price)
    task_id = net.publish(budget=10**18, replication=2, strategy="lowest-price", apply_window=30)
    for worker in net.workers:
        worker.sync()
    advance_time(chain, 31)
    net.settle(task_id)
    market = net.market()
    chosen = {n.lower() for n in market.assignees(task_id)}
    assert chosen == {net.workers[1].node.lower(), net.workers[2].node.lower()}
    task = market.task(task_id)
    for worker in net.workers[1:]:
        paid = events(market, "NodePaid", task_id)
        amount = next(e["amount"] for e in paid if e["node"] == worker.node)
        price = prices[net.workers.index(worker)]
        assert amount <= price * task.compute_units  # never more than the node asked


def test_cancel_before_assignment_refunds_the_whole_budget(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    market = net.market()
    task_id = net.publish(budget=3 * 10**17, replication=1)
    market.cancel(task_id)
    assert net.status(task_id) == TaskStatus.CANCELLED
    assert market.claimable(chain.address(REQUESTER)) == 3 * 10**17
    market.claim(ETH)
    assert market.claimable(chain.address(REQUESTER)) == 0


def test_past_the_deadline_the_node_that_did_not_submit_drops_out_and_the_one_that_did_is_paid(
        chain: Devnet, tmp_path: Path) -> None:
    """Issue 12: a late assignee loses its whole collateral to the treasury (never the requester),
    and the node that did the work is paid for it: the task settles with the results that are in."""
    nodes = chain.node_indices()[:2]
    net = make_network(chain, tmp_path, nodes)
    market = net.market()
    registry = Registry(chain.client(0))
    treasury = chain.deployment.deployer  # type: ignore[union-attr]
    budget = 10**18
    task_id = net.publish(budget=budget, replication=2, collateral=10 * NNT, deadline=600)
    for worker in net.workers:
        worker.sync()
    net.oracle.sync()
    net.poke()  # first-come assigns as soon as both applied
    assert net.status(task_id) == TaskStatus.ASSIGNED
    diligent, late = net.workers
    reputation_before = registry.reputation_of(late.node)
    diligent.sync()
    diligent.work(StopFlag())
    assert any(market.result_of(task_id, diligent.node))

    advance_time(chain, 601)
    net.oracle.sync()
    assert (task_id, "expire") in net.poke()
    missed = events(market, "NodeMissed", task_id)
    assert [(e["node"], e["slashed"]) for e in missed] == [(late.node, 10 * NNT)]
    task = market.task(task_id)
    assert task.status == TaskStatus.SUBMITTED and task.active == 1 and task.submissions == 1
    assert registry.node(late.node).staked == 190 * NNT  # lost its 10 NNT collateral
    assert registry.reputation_of(late.node) < reputation_before  # recorded as Missed
    assert registry.contract.functions.claimable(treasury).call() == 10 * NNT
    assert registry.contract.functions.claimable(chain.address(REQUESTER)).call() == 0
    late.sync()
    assert late.state.tasks[task_id].phase.value == "failed"
    diligent.sync()
    diligent.work(StopFlag())  # every active result is in now: the diligent node reveals its model
    assert market.participation(task_id, diligent.node).revealed

    # the diligent node's result settles the task after the challenge window
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    settled = events(market, "TaskSettled", task_id)[0]
    paid = {e["node"]: e["amount"] for e in events(market, "NodePaid", task_id)}
    assert set(paid) == {diligent.node}
    assert sum(paid.values()) + settled["fee"] + settled["refund"] == budget
    assert settled["refund"] >= budget // 2  # the missing replica's share goes back to the requester
    assert registry.node(diligent.node).locked == 0
    assert registry.node(diligent.node).staked == 200 * NNT


def test_too_few_applicants_expires_when_applications_close_not_at_the_deadline(
        chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(budget=10**17, replication=2, apply_window=30, deadline=3600)
    net.step()
    assert net.status(task_id) == TaskStatus.PUBLISHED  # one applicant of two, window still open
    advance_time(chain, 31)
    net.step()
    assert net.status(task_id) == TaskStatus.EXPIRED
    assert net.market().claimable(chain.address(REQUESTER)) == 10**17


def test_unassigned_task_expires_with_full_refund(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    task_id = net.publish(budget=10**17, replication=1, deadline=120)
    advance_time(chain, 121)
    net.oracle.sync()
    net.poke()
    assert net.status(task_id) == TaskStatus.EXPIRED
    assert net.market().claimable(chain.address(REQUESTER)) == 10**17


def test_node_skips_a_task_whose_declared_compute_units_do_not_match_its_spec(
        chain: Devnet, tmp_path: Path) -> None:
    from nnc.chain.market import PublishRequest
    from nnc.task import canonical_json, spec_digest

    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    spec = load_spec(TINY_SPEC)
    now = chain.client(0).block_timestamp()
    task_id, _ = net.market().publish(PublishRequest(
        spec_digest=spec_digest(spec), spec_uri=net.store.put_bytes(canonical_json(spec)), budget=10**17,
        replication=1, collateral=0, apply_deadline=now + 60, deadline=now + 600,
        compute_units=compute_units(spec) // 10))
    net.workers[0].sync()
    record = net.workers[0].state.tasks[task_id]
    assert record.phase.value == "skipped" and "compute units" in record.reason
