"""The whole task lifecycle on a real anvil chain with real training: settle, cancel, expire."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.chain.deploy import NNT
from nnc.chain.registry import Registry
from nnc.chain.types import ETH, TaskStatus
from nnc.daemon import StopFlag
from nnc.devnet import REQUESTER, Devnet
from tests.e2e.harness import advance_time, make_network

pytestmark = pytest.mark.e2e


def settled_event(net_market, task_id: int) -> dict:  # type: ignore[no-untyped-def]
    logs = net_market.contract.events.TaskSettled().get_logs(from_block=0, argument_filters={"taskId": task_id})
    assert len(logs) == 1
    return dict(logs[0]["args"])


def paid_events(net_market, task_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    logs = net_market.contract.events.NodePaid().get_logs(from_block=0, argument_filters={"taskId": task_id})
    return {str(log["args"]["node"]): int(log["args"]["amount"]) for log in logs}


def test_publish_assign_train_submit_settle_pays_every_wei(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    market = net.market()
    treasury = chain.deployment.deployer  # type: ignore[union-attr]
    budget = 10**18 + 7  # odd, so the split has rounding dust that must go back to the requester
    escrow_before = chain.client(0).w3.eth.get_balance(market.contract.address)

    task_id = net.publish(budget=budget, replication=2)
    assert net.status(task_id) == TaskStatus.PUBLISHED
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)

    task = market.task(task_id)
    results = {w.node: w.state.tasks[task_id].result_digest for w in net.workers}
    assert len(set(results.values())) == 1, "deterministic training must give identical digests"
    assert "0x" + task.result_digest.hex() == next(iter(results.values()))

    settled = settled_event(market, task_id)
    payouts = paid_events(market, task_id)
    assert set(payouts) == {w.node for w in net.workers}
    fee_bps = market.contract.functions.protocolFeeBps().call()
    per_node = budget // 2
    for amount in payouts.values():
        assert amount == per_node - per_node * fee_bps // 10_000
    assert sum(payouts.values()) == settled["paid"]
    assert settled["paid"] + settled["fee"] + settled["refund"] == budget
    # Pull payments: everything owed sits in claimable balances, and the escrow holds exactly that.
    owed = sum(market.claimable(n) for n in payouts) + market.claimable(treasury) + market.claimable(
        chain.address(REQUESTER))
    assert owed == budget
    assert chain.client(0).w3.eth.get_balance(market.contract.address) - escrow_before == budget
    # Collateral is back in free stake.
    for worker in net.workers:
        node = Registry(chain.client(0)).node(worker.node)
        assert node.locked == 0

    # A node claims its payout: its balance grows by exactly the payout minus gas.
    node_index = chain.node_indices()[0]
    node_client = chain.client(node_index)
    w3 = node_client.w3
    before = w3.eth.get_balance(node_client.address)
    receipt = market.__class__(node_client).claim(ETH)
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(node_client.address) == before + payouts[node_client.address] - gas_cost
    assert market.claimable(node_client.address) == 0


def test_erc20_budget_settles_and_conserves_escrow(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    token = chain.deployment.address_of("NNToken")  # type: ignore[union-attr]
    task_id = net.publish(budget=500 * NNT, token=token, replication=2)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    settled = settled_event(net.market(), task_id)
    assert settled["paid"] + settled["fee"] + settled["refund"] == 500 * NNT
    assert settled["paid"] > 0


def test_cancel_before_assignment_refunds_the_whole_budget(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    market = net.market()
    task_id = net.publish(budget=3 * 10**17, replication=1)
    market.cancel(task_id)
    assert net.status(task_id) == TaskStatus.CANCELLED
    assert market.claimable(chain.address(REQUESTER)) == 3 * 10**17
    market.claim(ETH)
    assert market.claimable(chain.address(REQUESTER)) == 0


def test_expired_task_refunds_requester_and_slashes_the_node_that_did_not_submit(
        chain: Devnet, tmp_path: Path) -> None:
    nodes = chain.node_indices()[:2]
    net = make_network(chain, tmp_path, nodes)
    market = net.market()
    registry = Registry(chain.client(0))
    task_id = net.publish(budget=10**18, replication=2, collateral=10 * NNT, deadline=600)
    for worker in net.workers:
        worker.sync()
    net.oracle.sync()
    net.oracle.poke()  # first-come assigns as soon as both applied
    assert net.status(task_id) == TaskStatus.ASSIGNED
    diligent, late = net.workers
    diligent.sync()
    diligent.work(StopFlag())
    assert market.contract.functions.resultOf(task_id, diligent.node).call() != b"\0" * 32

    advance_time(chain, 601)
    net.oracle.sync()
    assert (task_id, "expire") in net.oracle.poke()
    assert net.status(task_id) == TaskStatus.EXPIRED
    assert market.claimable(chain.address(REQUESTER)) == 10**18
    assert registry.node(diligent.node).locked == 0
    assert registry.node(diligent.node).staked == 200 * NNT
    assert registry.node(late.node).staked == 190 * NNT  # lost its 10 NNT collateral
    slashed = registry.contract.functions.claimable(chain.address(REQUESTER)).call()
    assert slashed == 10 * NNT


def test_unassigned_task_expires_with_full_refund(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    task_id = net.publish(budget=10**17, replication=1, deadline=120)
    advance_time(chain, 121)
    net.oracle.sync()
    net.oracle.poke()
    assert net.status(task_id) == TaskStatus.EXPIRED
    assert net.market().claimable(chain.address(REQUESTER)) == 10**17
