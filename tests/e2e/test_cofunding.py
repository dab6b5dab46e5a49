"""Co-funded tasks on a real anvil chain: three funders of uneven shares fund one task through a
CoFundingPool; refunds come back pro rata to the wei, whether the task expires (driven through
the `nnc task cofund` CLI) or settles after real training by the worker daemons (the leftover).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from web3 import Web3

from nnc.chain.deploy import NNT
from nnc.chain.funding import CoFunding, PoolStatus
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.task import load_spec
from nnc.task.cofund import CofundOptions, open_cofunded_task
from nnc.task.publish import PublishOptions
from tests.e2e.harness import TINY_SPEC, advance_time, make_network

pytestmark = pytest.mark.e2e

SECOND, THIRD = 7, 8  # devnet accounts after the nodes and the voter: funded with ETH only


def cli(chain: Devnet, tmp_path: Path, account: int, *args: str) -> Result:
    from nnc.cli import cli as nnc

    env: dict[str, str | None] = {
        "NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
        "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(account)),
        "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli"),
        "NNC_PRIVATE_KEY": None}
    result = CliRunner().invoke(nnc, list(args), env=env)
    assert result.exit_code == 0, f"nnc {' '.join(args)}: {result.output}{result.exception!r}"
    return result


def received_by_claim(w3: Web3, pool: Any, funder: str) -> int:
    """ETH `funder` gained from its claims on `pool`: the balance change over the claim
    transactions plus their gas, read from the pool's `Paid` events and their receipts."""
    total = 0
    for log in pool.events.Paid().get_logs(from_block=0, argument_filters={"funder": funder}):
        receipt = w3.eth.get_transaction_receipt(log["transactionHash"])
        block = receipt["blockNumber"]
        gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        total += w3.eth.get_balance(funder, block) - w3.eth.get_balance(funder, block - 1) + gas
    return total


def test_cofunded_task_expires_and_each_funder_is_refunded_its_contribution_to_the_wei(
        chain: Devnet, tmp_path: Path) -> None:
    """The lead opens a pool with the CLI, two others add uneven amounts (odd wei), a third party
    publishes, the lead pays for a spot-check; no node applies, the task expires, and each
    funder's claim returns exactly what it put in, the lead's its unused fee too (balances checked
    to the wei, gas added back)."""
    opened = cli(chain, tmp_path, REQUESTER, "task", "cofund", "open", str(TINY_SPEC), "--target", "1",
                 "--amount", "0.5", "--funding-window", "40", "--apply-window", "60", "--deadline", "600",
                 "--collateral", "10")
    match = re.search(r"opened pool (0x[0-9a-fA-F]{40})", opened.stdout)
    assert match, opened.stdout
    pool_address = match.group(1)
    cli(chain, tmp_path, SECOND, "task", "cofund", "add", pool_address, "0.300000000000000007")
    cli(chain, tmp_path, THIRD, "task", "cofund", "add", pool_address, "0.200000000000000005")
    published = cli(chain, tmp_path, SECOND, "task", "cofund", "publish", pool_address)
    task_id = int(re.search(r"published task (\d+)", published.stdout).group(1))  # type: ignore[union-attr]

    cofunding = CoFunding(chain.client(REQUESTER))
    market = Market(chain.client(REQUESTER))
    task = market.task(task_id)
    assert task.requester == pool_address and task.budget == 10**18 + 12
    view = cofunding.view(pool_address)
    assert view.status == PoolStatus.PUBLISHED and view.task_id == task_id
    contributions = {chain.address(REQUESTER): 5 * 10**17, chain.address(SECOND): 3 * 10**17 + 7,
                     chain.address(THIRD): 2 * 10**17 + 5}
    assert {f.account: f.contribution for f in view.funders} == contributions
    shown = cli(chain, tmp_path, THIRD, "task", "cofund", "show", pool_address).stdout
    assert f"pool {pool_address}: published" in shown and f"task         {task_id}:" in shown
    assert shown.count("  funder ") == 3

    # the lead turns spot-checking on and pays the fee; unused, it comes back to the lead alone
    cli(chain, tmp_path, REQUESTER, "task", "cofund", "verify", pool_address, "--fee", "0.01")
    fee = 10**16

    advance_time(chain, 61)  # applications closed with nobody applied
    market.expire(task_id)
    assert market.task(task_id).status == TaskStatus.EXPIRED
    assert market.claimable(pool_address) == 10**18 + 12
    cli(chain, tmp_path, THIRD, "verify", "refund", str(task_id))  # anyone: the unused fee to the requester
    lead = chain.address(REQUESTER)
    for account in (THIRD, REQUESTER, SECOND):  # any order; the first claim pulls the fee in, for the lead
        cli(chain, tmp_path, account, "task", "cofund", "claim", pool_address)
        if account == THIRD:
            assert cofunding.claimable(pool_address, lead) == contributions[lead] + fee

    w3, pool = chain.client(0).w3, cofunding.pool(pool_address)
    for funder, contribution in contributions.items():
        assert received_by_claim(w3, pool, funder) == contribution + (fee if funder == lead else 0), funder
        assert cofunding.paid(pool_address, funder) == contribution + (fee if funder == lead else 0)
    assert w3.eth.get_balance(pool_address) == 0 and market.claimable(pool_address) == 0


def test_cofunded_task_settles_after_real_training_and_the_leftover_is_shared_pro_rata(
        chain: Devnet, tmp_path: Path) -> None:
    """Two worker daemons train the co-funded task (r = 2); settlement pays them by the formula
    and refunds the rest to the pool, which the three funders share by contribution: the others
    their floor share, the lead the remainder; the books close to the wei."""
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    lead = chain.client(REQUESTER)
    target = 10**18
    options = CofundOptions(
        task=PublishOptions(budget=target, replication=2, collateral=10 * NNT, apply_window=60, deadline=600),
        amount=6 * 10**17 + 1, funding_window=40)
    pool_address, _ = open_cofunded_task(lead, net.store, load_spec(TINY_SPEC), options)
    CoFunding(chain.client(SECOND)).contribute(pool_address, 3 * 10**17 + 3)
    CoFunding(chain.client(THIRD)).contribute(pool_address, 10**17 + 7)
    contributions = {REQUESTER: 6 * 10**17 + 1, SECOND: 3 * 10**17 + 3, THIRD: 10**17 + 7}
    budget = sum(contributions.values())
    task_id = CoFunding(chain.client(THIRD)).publish(pool_address)

    net.settle(task_id)
    market = net.market()
    settled = market.contract.events.TaskSettled().get_logs(from_block=0, argument_filters={"taskId": task_id})
    args = dict(settled[0]["args"])
    paid = [e["args"]["amount"] for e in
            market.contract.events.NodePaid().get_logs(from_block=0, argument_filters={"taskId": task_id})]
    assert len(paid) == 2 and sum(paid) + args["fee"] + args["refund"] == budget
    refund = int(args["refund"])
    assert refund > 0 and market.claimable(pool_address) == refund

    got = {account: CoFunding(chain.client(account)).claim(pool_address) for account in (SECOND, THIRD, REQUESTER)}
    assert got[SECOND] == refund * contributions[SECOND] // budget
    assert got[THIRD] == refund * contributions[THIRD] // budget
    assert got[REQUESTER] == refund - got[SECOND] - got[THIRD]
    assert got[REQUESTER] - refund * contributions[REQUESTER] // budget < 3, "the lead's remainder is rounding only"
    w3, pool = chain.client(0).w3, CoFunding(lead).pool(pool_address)
    for account, amount in got.items():
        assert received_by_claim(w3, pool, chain.address(account)) == amount
    assert w3.eth.get_balance(pool_address) == 0
