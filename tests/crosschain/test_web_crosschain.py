"""The web app across the two chains in headless Chromium (tests/browser/crosschain_flows.mjs): a
requester publishes paying from the spoke chain, the home chain trains and settles the task, and
the nodes' payouts and the refund are credited on the spoke, the task page says where each payout
sits, the refund is claimed on the spoke from the dashboard and the account switches where its own
payouts go; then a task is paid in the spoke's ERC-20 (approve, publishToken) and published at
home in its synthetic; then the chains are checked themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from nnc.api import ApiContext, ApiServer
from nnc.crosschain.devnet import SPOKE
from nnc.crosschain.gateways import BridgedStatus, EscrowStatus
from nnc.crosschain.token_routes import SpokeTokens
from nnc.devnet import REQUESTER
from tests.browser.driver import run_flows
from tests.crosschain.conftest import CrossChain
from tests.e2e.harness import settings_for

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).parents[1] / "browser" / "crosschain_flows.mjs"


def answer(x: CrossChain, op: dict[str, Any]) -> dict[str, Any]:
    if op["op"] != "settle":
        return {"ok": False, "error": f"unknown op {op['op']!r}"}
    task_id = int(op["task"])
    home_gw = x.chains.home_gateway()
    try:
        x.net.settle(task_id)
        x.net.run_until("settlement relayed", lambda: home_gw.bridged(task_id).status == BridgedStatus.RELAYED)
        message = home_gw.events("SettlementRelayed", taskId=task_id)[0]["messageId"]
        x.chains.relayer.wait_delivered(SPOKE, "0x" + bytes(message).hex())  # type: ignore[union-attr]
    except AssertionError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}


def test_pay_from_the_spoke_follow_settle_and_claim_there_in_the_browser(crosschain: CrossChain,
                                                                         tmp_path: Path) -> None:
    x, chains = crosschain, crosschain.chains
    home = chains.home
    payer = chains.address(REQUESTER)
    spoke_gw = chains.spoke_gateway(REQUESTER)
    settings = settings_for(home, tmp_path / "api", 0).model_copy(update={"data_dir": chains.data_dir})
    context = ApiContext.from_settings(settings, store=x.net.store)
    with ApiServer(context) as server:
        env = {"NNC_API_URL": server.url, "NNC_RPC_URL": home.rpc_url,
               "NNC_RPC_URLS": json.dumps({hex(home.anvil.chain_id): home.rpc_url,
                                           hex(chains.spoke.chain_id): chains.spoke.rpc_url}),
               "NNC_SPOKE": json.dumps({"chain_id": chains.spoke.chain_id, "name": SPOKE}),
               "NNC_ACCOUNTS": json.dumps({"requester": payer})}
        result = run_flows(SCRIPT, env, lambda op: answer(x, op), timeout=240).check()

    # The browser's escrow on the spoke is the home task it followed, settled and claimed.
    escrow_id, task_id = int(result["escrow"]), int(result["task"])
    escrow = spoke_gw.escrow(escrow_id)
    assert escrow.status == EscrowStatus.SETTLED and escrow.payer == payer and escrow.budget == 5 * 10**17
    assert chains.home_gateway().task_of(chains.spoke_chain.domain, escrow_id) == task_id
    assert x.net.market().task(task_id).replication == 2
    credited = {e["account"]: e["amount"] for e in spoke_gw.events("Credited", escrowId=escrow_id)}
    assert sum(credited.values()) == escrow.budget  # escrowed = credited, to the wei
    assert credited[Web3.to_checksum_address(payer)] > 0  # the refund, claimed from the dashboard:
    assert spoke_gw.credits(payer) == 0
    claims = spoke_gw.events("Claimed", account=payer)
    assert claims and claims[-1]["amount"] == int(result["credit_wei"])
    nodes = {w.client.address for w in x.net.workers}
    assert {n for n, _ in chains.home_gateway().routed_payouts(task_id)} == nodes  # both nodes paid on the spoke
    assert all(credited[n] > 0 for n in nodes)
    # The token escrow the browser opened is the home task published in the route's synthetic.
    assert chains.token_route is not None
    tokens = SpokeTokens(chains.spoke_client(REQUESTER), chains.spoke_gateway_address)
    token_escrow = tokens.escrow(int(result["token_escrow"]))
    assert result["token"] == chains.token_route.token == tokens.escrow_token(int(result["token_escrow"]))
    assert token_escrow.payer == payer and token_escrow.budget == 2 * 10**18
    token_task = x.net.market().task(int(result["token_task"]))
    synthetic = chains.token_route.synthetic
    assert (token_task.token, token_task.budget, token_task.replication) == (synthetic, 2 * 10**18, 3)
    choices = chains.home_gateway().events("PayoutChainChosen", node=payer)
    assert [c["onHome"] for c in choices[-result["payout_choices"]:]] == [True, False]  # home, then back
    assert result["console_errors"] == []
