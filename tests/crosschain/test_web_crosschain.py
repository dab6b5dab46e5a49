"""The web app across the two chains in headless Chromium (tests/browser/crosschain_flows.mjs): a
requester publishes paying from the spoke chain, the home chain trains and settles the task, and
the nodes' payouts and the refund are credited on the spoke, the task page says where each payout
sits, the refund is claimed on the spoke from the dashboard and the account switches where its own
payouts go; then a task is paid in the spoke's ERC-20 (approve, publishToken) and published at
home in its synthetic; it expires unassigned, its budget comes back to the spoke as a token
credit, and the dashboard sends part of it home over the token's warp route and claims the rest;
then the chains are checked themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from nnc.api import ApiContext, ApiServer
from nnc.chain.types import TaskStatus
from nnc.crosschain.devnet import HOME, SPOKE
from nnc.crosschain.gateways import BridgedStatus, EscrowStatus
from nnc.crosschain.token_routes import SpokeTokens
from nnc.devnet import REQUESTER
from tests.browser.driver import run_flows
from tests.crosschain.conftest import CrossChain
from tests.e2e.harness import settings_for

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).parents[1] / "browser" / "crosschain_flows.mjs"


def expire_unassigned(x: CrossChain, task_id: int) -> None:
    """Moves both clocks past the task's application window and expires it (nobody applied)."""
    market = x.net.market()
    now = x.chains.home.client(REQUESTER).block_timestamp()
    x.chains.advance_time(max(market.task(task_id).apply_deadline - now, 0) + 1)
    market.expire(task_id)


def answer(x: CrossChain, op: dict[str, Any]) -> dict[str, Any]:
    finish = {"settle": x.net.settle, "expire": lambda task: expire_unassigned(x, task)}.get(op["op"])
    if finish is None:
        return {"ok": False, "error": f"unknown op {op['op']!r}"}
    task_id = int(op["task"])
    home_gw = x.chains.home_gateway()
    try:
        finish(task_id)
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
    assert chains.token_route is not None and chains.relayer is not None
    tokens = SpokeTokens(chains.spoke_client(REQUESTER), chains.spoke_gateway_address)
    spoke_token = chains.spoke_client(REQUESTER).at("NNToken", chains.token_route.token)
    synthetic = chains.home_client(REQUESTER).at("NNToken", chains.token_route.synthetic)
    token_credit_before = tokens.token_credits(chains.token_route.token, payer)
    token_before, synthetic_before = (spoke_token.functions.balanceOf(payer).call(),
                                      synthetic.functions.balanceOf(payer).call())
    spoke_start = chains.spoke_client(REQUESTER).block_number()
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
    token, token_escrow_id, budget = chains.token_route.token, int(result["token_escrow"]), 2 * 10**18
    token_escrow = tokens.escrow(token_escrow_id)
    assert result["token"] == token == tokens.escrow_token(token_escrow_id)
    assert token_escrow.payer == payer and token_escrow.budget == budget
    token_task = x.net.market().task(int(result["token_task"]))
    assert (token_task.token, token_task.budget, token_task.replication) == (chains.token_route.synthetic, budget, 3)
    # It expired unassigned: the whole budget came back to the payer on the spoke, in the token.
    assert token_task.status == TaskStatus.EXPIRED and token_escrow.status == EscrowStatus.SETTLED
    refunded = tokens.contract.events.TokenCredited().get_logs(from_block=spoke_start,
                                                               argument_filters={"escrowId": token_escrow_id})
    assert [(e["args"]["token"], e["args"]["account"], e["args"]["amount"]) for e in refunded] == [
        (token, payer, budget)]
    assert int(result["token_credit_wei"]) == token_credit_before + budget  # what the dashboard showed
    # "Send to home": half a token over the warp route to the payer at home, where the synthetic
    # arrives once the relayer delivers it; the rest claimed on the spoke. Nothing left, to the wei.
    sent, left = int(result["sent_wei"]), int(result["token_claimed_wei"])
    assert sent == 5 * 10**17 and left == token_credit_before + budget - sent
    claimed_to = tokens.contract.events.ClaimedTo().get_logs(from_block=spoke_start,
                                                             argument_filters={"account": payer, "token": token})
    assert len(claimed_to) == 1
    out = claimed_to[0]["args"]
    assert (out["destination"], out["amount"], out["debited"]) == (chains.home_chain.domain, sent, sent)
    assert bytes(out["recipient"]) == bytes(12) + bytes.fromhex(payer[2:])
    chains.relayer.wait_delivered(HOME, "0x" + bytes(out["messageId"]).hex())
    assert synthetic.functions.balanceOf(payer).call() == synthetic_before + sent
    token_claims = tokens.events("TokenClaimed", from_block=spoke_start, account=payer, token=token)
    assert [c["amount"] for c in token_claims] == [left]
    assert tokens.token_credits(token, payer) == 0
    assert spoke_token.functions.balanceOf(payer).call() == token_before - budget + left  # escrowed, claimed back
    choices = chains.home_gateway().events("PayoutChainChosen", node=payer)
    assert [c["onHome"] for c in choices[-result["payout_choices"]:]] == [True, False]  # home, then back
    assert result["console_errors"] == []
