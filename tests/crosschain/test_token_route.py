"""The ERC-20 route on real Hyperlane: a warp route deployed with Hyperlane's CLI (collateral on
the spoke, synthetic at home) on the shared two-chain devnet; the backer warps tokens home and
funds the home gateway's pool; a spoke payer escrows the token, two nodes train at home and are
paid (one asked for the home chain: in the synthetic there; the other by default in the spoke
token on the spoke), the settlement goes back and credits that node, the backer and the payer in
the spoke token, claimed there; conservation to the wei on both chains."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from web3 import Web3
from web3.contract import Contract

from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.cli import cli
from nnc.crosschain.devnet import HOME, SPOKE
from nnc.crosschain.gateways import BridgedStatus, EscrowStatus, EscrowView, HomeGateway
from nnc.crosschain.token_routes import HomeTokenPools, SpokeTokens
from nnc.crosschain.warp import WarpRoute
from nnc.devnet import DEPLOYER, REQUESTER
from nnc.task.publish import PublishError
from tests.crosschain.conftest import CrossChain, cli_env
from tests.e2e.harness import TINY_SPEC

pytestmark = pytest.mark.e2e

UNIT = 10**18


@dataclass
class TokenRoute:
    route: WarpRoute
    token: Contract  # the ERC-20 on the spoke (the route's collateral)
    synthetic: Contract  # its twin at home (the route's synthetic router, an ERC-20)


@pytest.fixture(scope="module")
def token_route(crosschain: CrossChain) -> TokenRoute:
    """The devnet's route (`nnc.crosschain.devnet_tokens`): the synthetic allow-listed in the market
    through the DAO, the token on the spoke gateway, the pool funded by the backer's warp transfer."""
    chains = crosschain.chains
    assert chains.token_route is not None
    route = chains.token_route.route
    return TokenRoute(route, chains.spoke_client(DEPLOYER).at("NNToken", route.token),
                      chains.home_client(DEPLOYER).at("NNToken", route.synthetic))


def market_events(market: Market, name: str, task_id: int) -> list[dict[str, Any]]:
    logs = getattr(market.contract.events, name)().get_logs(from_block=0, argument_filters={"taskId": task_id})
    return [dict(log["args"]) for log in logs]


def publish_token_with_cli(x: CrossChain, token: str, budget: str, options: list[str]) -> EscrowView:
    """`nnc task publish --chain spoke --token TOKEN`; the escrow it opened."""
    result = CliRunner().invoke(cli, ["task", "publish", str(TINY_SPEC), "--chain", "spoke", "--token", token,
                                      "--budget", budget, "--apply-window", "60", "--deadline", "600", *options],
                                env=cli_env(x, REQUESTER))
    assert result.exit_code == 0, result.output
    found = re.search(r"as escrow (\d+) .*PUBLISH message (0x[0-9a-f]{64})", result.output)
    assert found and f"base units of token {token}" in result.output, result.output
    escrow = x.chains.spoke_gateway().escrow(int(found.group(1)))
    assert escrow.message_id == found.group(2)
    return escrow


def test_a_token_the_route_would_refuse_is_refused_before_anything_is_escrowed(
        crosschain: CrossChain, token_route: TokenRoute) -> None:
    x, chains = crosschain, crosschain.chains
    spoke = chains.spoke_client(DEPLOYER)
    stray = spoke.deploy("NNToken", chains.address(REQUESTER), 10**6 * UNIT)  # the payer holds it; no route
    escrows = chains.spoke_gateway().contract.functions.escrowCount().call()

    def publish(token: str, budget: str = "1") -> str:
        result = CliRunner().invoke(cli, ["task", "publish", str(TINY_SPEC), "--chain", "spoke", "--token", token,
                                          "--budget", budget, "-r", "2"], env=cli_env(x, REQUESTER))
        assert isinstance(result.exception, PublishError), result.output  # `nnc` prints it as one error line
        return str(result.exception)

    assert "is not allow-listed on the spoke gateway" in publish(str(stray.address))
    tokens = SpokeTokens(spoke, chains.spoke_gateway_address)
    tokens.set_token_allowed(str(stray.address), True)
    try:
        assert "has no route at home" in publish(str(stray.address))
    finally:
        tokens.set_token_allowed(str(stray.address), False)
    assert "is more than the home pool" in publish(token_route.route.token, "1000000")
    assert "pay in its native coin (ETH) or an allow-listed token's address, not NNT" in publish("NNT")
    assert chains.spoke_gateway().contract.functions.escrowCount().call() == escrows  # nothing escrowed


def test_spoke_payer_pays_in_a_warped_token_nodes_are_paid_where_they_chose_and_the_escrow_settles_to_the_wei(
        crosschain: CrossChain, token_route: TokenRoute) -> None:
    x, chains = crosschain, crosschain.chains
    at_home = HomeGateway(x.net.workers[0].client, chains.home_gateway_address)
    at_home.set_paid_on_home(True)  # the first node takes its pay at home; the second, by default, on the spoke
    try:
        _token_round_trip(x, token_route)
    finally:
        at_home.set_paid_on_home(False)


def _token_round_trip(x: CrossChain, token_route: TokenRoute) -> None:
    chains, route = x.chains, token_route.route
    assert chains.relayer is not None
    payer, backer = chains.address(REQUESTER), chains.address(DEPLOYER)
    home_gw = chains.home_gateway()
    spoke_tokens = SpokeTokens(chains.spoke_client(REQUESTER), chains.spoke_gateway_address)
    pools = HomeTokenPools(chains.home_client(DEPLOYER), chains.home_gateway_address)
    pool_before, native_before = pools.token_liquidity(route.synthetic), home_gw.liquidity()
    assert token_route.synthetic.functions.balanceOf(chains.home_gateway_address).call() == pool_before
    held_before = token_route.token.functions.balanceOf(chains.spoke_gateway_address).call()
    budget = 10 * UNIT + 7  # odd: the split's rounding dust goes back to the payer

    home = chains.home_client(DEPLOYER)
    published = publish_token_with_cli(x, route.token, "10.000000000000000007", ["-r", "2"])
    assert published.budget == budget
    assert spoke_tokens.escrow_token(published.escrow_id) == route.token
    held = token_route.token.functions.balanceOf(chains.spoke_gateway_address).call()
    assert held - held_before == budget

    chains.relayer.wait_delivered(HOME, published.message_id)
    task_id = home_gw.task_of(x.spoke_domain, published.escrow_id)
    ignored = home_gw.events("MessageIgnored", escrowId=published.escrow_id, origin=x.spoke_domain)
    assert task_id is not None, f"the home gateway refused the PUBLISH_TOKEN: {[e['reason'] for e in ignored]}"
    market = x.net.market()
    task = market.task(task_id)
    assert (task.token, task.budget) == (route.synthetic, budget), "published in the synthetic, from the pool"
    assert pools.task_token(task_id) == route.synthetic
    assert pools.token_liquidity(route.synthetic) == pool_before - budget
    ack_fee = native_before - home_gw.liquidity()  # the native pool paid the ACK only
    assert 0 < ack_fee < 10**15
    after_ack = home.block_number()

    x.net.settle(task_id)  # two nodes train it for real; the oracle reports, settles and relays
    assert market.task(task_id).status == TaskStatus.SETTLED
    x.net.run_until("settlement relayed", lambda: home_gw.bridged(task_id).status == BridgedStatus.RELAYED)
    relayed = home_gw.events("SettlementRelayed", taskId=task_id)
    assert len(relayed) == 1
    chains.relayer.wait_delivered(SPOKE, "0x" + bytes(relayed[0]["messageId"]).hex())

    # Home: the market paid the nodes and the fee in the synthetic: the node that asked for home is
    # credited there, the other's pay went to the task's account and back into the pool with the
    # refund (it is paid on the spoke).
    settled = market_events(market, "TaskSettled", task_id)[0]
    node_paid = {e["node"]: e["amount"] for e in market_events(market, "NodePaid", task_id)}
    home_node, spoke_node = (Web3.to_checksum_address(w.client.address) for w in x.net.workers)
    paid_nodes, fee, refund = sum(node_paid.values()), settled["fee"], settled["refund"]
    assert set(node_paid) == {home_node, spoke_node}
    assert paid_nodes == settled["paid"] > 0 and paid_nodes + fee + refund == budget
    assert home_gw.routed_payouts(task_id) == [(spoke_node, node_paid[spoke_node])]
    assert (relayed[0]["paid"], relayed[0]["refund"]) == (budget - refund, refund)
    assert pools.token_liquidity(route.synthetic) == pool_before - budget + refund + node_paid[spoke_node]
    # The shared devnet's keeper may relay other tests' native tasks meanwhile: what they collected,
    # and only that, comes back into the native pool.
    others = [e for e in home_gw.events("SettlementRelayed", from_block=after_ack + 1) if e["taskId"] != task_id]
    assert all(pools.task_token(e["taskId"]) is None for e in others)
    others_collected = sum(e["refund"] + sum(a for _, a in home_gw.routed_payouts(e["taskId"])) for e in others)
    assert home_gw.liquidity() == native_before - ack_fee + others_collected, "no native coin moved for a token task"
    assert market.claimable(home_node, route.synthetic) >= node_paid[home_node]  # it claims the synthetic at home

    # Spoke: escrowed = credited, in the token: the spoke node its pay, the backer what the pool paid
    # at home (the fee and the home node's pay), the payer the refund.
    assert spoke_tokens.contract.functions.escrows(published.escrow_id).call()[2] == EscrowStatus.SETTLED
    credited = spoke_tokens.contract.events.TokenCredited().get_logs(
        from_block=0, argument_filters={"escrowId": published.escrow_id})
    assert {e["args"]["account"]: e["args"]["amount"] for e in credited} == {
        spoke_node: node_paid[spoke_node], backer: fee + node_paid[home_node], payer: refund}
    assert all(e["args"]["token"] == route.token for e in credited)
    assert spoke_tokens.contract.events.Credited().get_logs(
        from_block=0, argument_filters={"escrowId": published.escrow_id}) == [], "nothing in native coin"

    before = token_route.token.functions.balanceOf(payer).call()
    owed_payer = spoke_tokens.token_credits(route.token, payer)
    assert owed_payer >= refund
    claimed = CliRunner().invoke(cli, ["claim", "--chain", "spoke"], env=cli_env(x, REQUESTER))  # tokens too
    assert claimed.exit_code == 0, claimed.output
    assert f"claimed {owed_payer} base units of token {route.token}" in claimed.output
    assert token_route.token.functions.balanceOf(payer).call() == before + owed_payer
    assert spoke_tokens.token_credits(route.token, payer) == 0

    # Each node takes its pay to the other chain over the warp route (a chain the route reaches:
    # home or any third one): the spoke node's credit goes home as the synthetic (`claimTo` on the
    # spoke gateway), the home node's synthetic goes to the spoke as the token (claimed, then
    # sent from its wallet). Nothing is left behind on either chain.
    home_index, spoke_index = chains.home.node_indices()
    spoke_owed = spoke_tokens.token_credits(route.token, spoke_node)
    synthetic_before = token_route.synthetic.functions.balanceOf(spoke_node).call()
    sent = CliRunner().invoke(cli, ["claim", "--chain", "spoke", "--to", "home"], env=cli_env(x, spoke_index))
    assert sent.exit_code == 0, sent.output
    out = re.search(r"sent (\d+) base units of token (0x[0-9a-fA-F]{40}) to home .*message (0x[0-9a-f]{64})",
                    sent.output)
    assert out and (int(out.group(1)), out.group(2)) == (spoke_owed, route.token), sent.output
    assert spoke_tokens.token_credits(route.token, spoke_node) == 0
    home_owed = market.claimable(home_node, route.synthetic)
    token_before = token_route.token.functions.balanceOf(home_node).call()
    back = CliRunner().invoke(cli, ["claim", "--token", route.synthetic, "--to", "spoke"], env=cli_env(x, home_index))
    assert back.exit_code == 0, back.output
    back_id = re.search(rf"claimed {home_owed} base units of .* sent them to spoke .*message (0x[0-9a-f]{{64}})",
                        back.output)
    assert back_id, back.output
    chains.relayer.wait_delivered(HOME, out.group(3))
    chains.relayer.wait_delivered(SPOKE, back_id.group(1))
    assert token_route.synthetic.functions.balanceOf(spoke_node).call() == synthetic_before + spoke_owed
    assert token_route.token.functions.balanceOf(home_node).call() == token_before + home_owed
    assert market.claimable(home_node, route.synthetic) == 0
