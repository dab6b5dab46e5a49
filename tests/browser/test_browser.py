"""The web app in real headless Chromium (Debian's, driven by npm playwright-core) against the real
devnet and API, with an injected EIP-1193 wallet forwarding to anvil in place of MetaMask.

One Chromium launch runs every flow (tests/browser/flows.mjs): connect (switching to and adding
the devnet), publish with ETH and with NNT (approve + publish) after refused invalid input, watch
a task settle on its live page, claim from a worker's dashboard, register/stake/unbond/withdraw a
new node with a decoded revert on the way, delegate votes. This test runs the oracle and worker
daemons' loops when the script asks, then checks the chain itself. Screenshots of every page are
written to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from nnc.api import ApiContext, ApiServer
from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration
from nnc.chain.governance import Governance
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.types import ETH, TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.node.profile import collect_profile, profile_json
from nnc.task import load_spec
from nnc.training.data import export_dataset
from nnc.verification.scenario import mine
from tests.browser.driver import SCREENSHOTS, run_flows
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network, settings_for

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("flows.mjs")
PAGES = ("publish", "publish-template", "task", "marketplace", "node-worker", "node-new", "governance",
         "marketplace-mobile")


def settle_all(net: Network, task_ids: list[int]) -> None:
    """Runs the daemons until every task is submitted, lets the oracle score them, passes the
    challenge window, then runs them until every task is settled."""
    done = (TaskStatus.SUBMITTED, TaskStatus.SETTLED)
    net.run_until("results submitted", lambda: all(net.status(t) in done for t in task_ids), max_steps=30)
    net.step()
    advance_time(net.devnet, net.market().settlement_params().challenge_window + 1)
    net.run_until("tasks settled", lambda: all(net.status(t) == TaskStatus.SETTLED for t in task_ids))


def answer(net: Network, op: dict[str, Any]) -> dict[str, Any]:
    try:
        if op["op"] == "settle":
            settle_all(net, [int(t) for t in op["tasks"]])
        elif op["op"] == "advance":
            advance_time(net.devnet, int(op["seconds"]))
        elif op["op"] == "mine":
            mine(net.devnet, int(op["blocks"]))
        elif op["op"] == "dao-vote":  # the devnet's DAO voter (10% of the supply, delegated) votes for
            Governance(net.devnet.client(net.devnet.voter)).vote(int(op["proposal"]), 1)
        elif op["op"] == "dispute":  # a result challenged by the requester, for the browser to vote on
            task_id = net.publish(replication=1)
            net.run_until("result submitted", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
            node = net.market().assignees(task_id)[0]
            arbitration = Arbitration(net.devnet.client(REQUESTER))
            dispute_id, _ = arbitration.challenge(task_id, node, 10 * NNT, "ipfs://evidence")
            mine(net.devnet, arbitration.dispute(dispute_id).snapshot - arbitration.client.block_number() + 1)
            return {"ok": True, "dispute": dispute_id, "task": task_id}
        else:
            return {"ok": False, "error": f"unknown op {op['op']!r}"}
    except AssertionError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}


def test_web_app_flows_in_headless_chromium(chain: Devnet, tmp_path: Path) -> None:
    worker_account, new_node = chain.node_indices()[0], chain.node_indices()[2]
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    profile_file = tmp_path / "profile.json"
    profile_file.write_bytes(profile_json(collect_profile(benchmark_seconds=0.02)))
    dataset_file = export_dataset(load_spec(TINY_SPEC).dataset, tmp_path / "digits.npz")  # what workers train on
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    context = ApiContext.from_settings(settings_for(chain, tmp_path / "api", 0), store=net.store)
    with ApiServer(context) as server:
        env = {"NNC_API_URL": server.url, "NNC_RPC_URL": chain.rpc_url,
               "NNC_PROFILE_FILE": str(profile_file), "NNC_DATASET_FILE": str(dataset_file),
               "NNC_ACCOUNTS": json.dumps({
                   "requester": chain.address(REQUESTER), "worker": chain.address(worker_account),
                   "newNode": chain.address(new_node)})}
        result = run_flows(SCRIPT, env, lambda op: answer(net, op)).check()

    # What the browser did, checked on the chain itself.
    market = Market(chain.client(REQUESTER))
    eth_task, nnt_task = market.task(result["tasks"]["eth"]), market.task(result["tasks"]["nnt"])
    assert eth_task.status == nnt_task.status == TaskStatus.SETTLED
    assert eth_task.token == ETH and eth_task.budget == 5 * 10**17 and eth_task.replication == 2
    assert nnt_task.token == chain.deployment.address_of("NNToken") and nnt_task.budget == 25 * 10**18  # type: ignore[union-attr]
    assert eth_task.requester == nnt_task.requester == chain.address(REQUESTER)
    assert eth_task.compute_units == result["estimate_cu"]
    spec = json.loads(net.store.get_bytes(market.published_event(eth_task.task_id)["specURI"]))
    assert spec["dataset"]["uri"] == result["dataset_uri"]  # the uploaded dataset is named in the spec
    assert net.store.get_bytes(result["dataset_uri"]) == dataset_file.read_bytes()
    assert result["unlabelled"] == []
    assert market.claimable(chain.address(worker_account)) == 0  # claimed from the dashboard
    registry = Registry(chain.client(0))
    node = registry.node(chain.address(new_node))
    assert node.registered and node.staked == 100 * 10**18 and node.unbonding == 0
    token = chain.client(0).token
    assert token.functions.delegates(chain.address(new_node)).call() == chain.address(new_node)
    assert "InsufficientFreeStake" in result["decoded_revert"]
    assert market.settlement_params().challenge_window == 137  # the browser's proposal was executed
    assert Governance(chain.client(0)).proposal_state(int(result["proposal"])).name == "EXECUTED"
    dispute = Arbitration(chain.client(0)).dispute(int(result["dispute"]))  # the browser's vote counted
    held = [token.functions.getPastVotes(chain.address(new_node), block).call()
            for block in (dispute.held_since, dispute.snapshot)]
    assert dispute.slash_votes == min(held)
    assert dispute.slash_votes > 0 and dispute.release_votes == 0
    assert result["added_chain"]["chainId"] == hex(chain.client(0).w3.eth.chain_id)
    assert result["console_errors"] == []
    for page in PAGES:
        assert (SCREENSHOTS / f"{page}.png").stat().st_size > 10_000, page
