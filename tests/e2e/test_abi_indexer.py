"""An indexer built from nothing but the deployment folder's ABIs (plain arrays) and `eth_getLogs`
reconstructs every task: its status, requester and budget, its assignees and their prices (one
`NodeAssigned` per node, filtered by the node's address), each node's committed result and the
winning one (`agreementKey`), and the payouts; and every withdrawal, from any contract, has one
`Claimed(account, token, amount)` shape that one filter finds. No nnc code reads the logs here."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from nnc.chain.deployment_folder import deployment_folder
from nnc.chain.market import Market
from nnc.chain.rewards import RewardsPool
from nnc.devnet import Devnet
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e


def contract(w3: Web3, folder: Path, name: str) -> Any:
    record = json.loads((folder / f"{name}.json").read_text())
    return w3.eth.contract(address=record["address"], abi=json.loads((folder / "abi" / f"{name}.json").read_text()))


def test_tasks_and_withdrawals_are_rebuilt_from_the_abis_alone(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    settled = net.publish(replication=2)
    net.settle(settled)
    cancelled = net.publish(replication=2)
    net.market().cancel(cancelled)
    for index in chain.node_indices()[:2]:  # withdrawals from two contracts
        Market(chain.client(index)).claim()
        RewardsPool(chain.client(index)).claim()

    assert chain.deployment is not None
    w3 = chain.client(0).w3
    folder = deployment_folder(chain.data_dir, chain.deployment.chain_id)
    market = contract(w3, folder, "TaskMarket")
    start = json.loads((folder / "TaskMarket.json").read_text())["blockNumber"]
    logs = {name: getattr(market.events, name)().get_logs(from_block=start)
            for name in ("TaskPublished", "TaskStatusChanged", "NodeAssigned", "ResultSubmitted", "NodePaid",
                         "TaskSettled")}
    status: dict[int, int] = {}
    for log in logs["TaskStatusChanged"]:
        status[log.args.taskId] = log.args.to
    assigned: dict[int, dict[str, int]] = defaultdict(dict)
    for log in logs["NodeAssigned"]:
        assigned[log.args.taskId][log.args.node] = log.args.price
    results = {(log.args.taskId, log.args.node): log.args.agreementKey for log in logs["ResultSubmitted"]}
    paid: dict[int, int] = defaultdict(int)
    for log in logs["NodePaid"]:
        paid[log.args.taskId] += log.args.amount
    winners = {log.args.taskId: log.args for log in logs["TaskSettled"]}

    truth = net.market()
    for log in logs["TaskPublished"]:
        task_id = log.args.taskId
        task = truth.task(task_id)
        assert status[task_id] == int(task.status) and log.args.budget == task.budget
        assert set(assigned[task_id]) == set(truth.assignees(task_id))
        for node, price in assigned[task_id].items():
            assert price == truth.participation(task_id, node).price
            assert results.get((task_id, node), bytes(32)) == truth.result_of(task_id, node)
        if task_id in winners:
            assert winners[task_id].agreementKey == task.result_digest and winners[task_id].paid == paid[task_id]
    assert {settled, cancelled} <= set(status) and settled in winners and cancelled not in winners

    node = chain.address(chain.node_indices()[0])
    by_node = market.events.NodeAssigned().get_logs(from_block=start, argument_filters={"node": node})
    assert {log.args.taskId for log in by_node} == {settled}  # filtered by the node's address

    claimed_topic = market.events.Claimed().abi  # the same event in every contract that pays out
    payers = [contract(w3, folder, name) for name in ("TaskMarket", "RewardsPool", "NodeRegistry", "Arbitration",
                                                      "SpotCheck")]
    assert {json.dumps(p.events.Claimed().abi, sort_keys=True) for p in payers} == {
        json.dumps(claimed_topic, sort_keys=True)}
    topic = Web3.keccak(text="Claimed(address,address,uint256)")
    raw = w3.eth.get_logs({"fromBlock": start, "address": [p.address for p in payers],
                           "topics": [topic, "0x" + "00" * 12 + node[2:].lower()]})
    decoded = [market.events.Claimed().process_log(entry).args for entry in raw]
    tokens = {(d.token, d.amount) for d in decoded}
    nnt = contract(w3, folder, "NNToken").address
    eth = Web3.to_checksum_address("0x" + "00" * 20)
    assert {token for token, _ in tokens} == {eth, nnt}  # the ETH payout and the NNT bonus
    assert all(amount > 0 for _, amount in tokens)
