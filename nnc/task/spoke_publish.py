"""Publishing a task from a spoke chain (issue 20): the budget is escrowed in the spoke's
native coin, or in an ERC-20 allow-listed there, by its `SpokeGateway`, and a Hyperlane message
publishes the task on the home chain.

The spec is stored and the task's parameters are built as for a home publication
(`nnc.task.publish`), with the HOME chain's clock and strategy contracts; `relay_allowance`
seconds are added to the apply window for the message's trip. The home gateway publishes the
task with its pool's coin and the spoke escrow backs it. A token budget is checked against the
route before anything is sent: allow-listed on the spoke, routed at home to a home token the
market allows, and no more than that token's pool holds; otherwise the home gateway would refuse
the task and the budget would wait in the escrow until its reclaim deadline.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market, PublishRequest
from nnc.chain.types import ETH
from nnc.crosschain.gateways import Published, SpokeGateway, encode_task_params
from nnc.crosschain.token_routes import HomeTokenPools, SpokeTokens, TokenPublished
from nnc.storage import Store
from nnc.task.cost import compute_units
from nnc.task.publish import PublishError, PublishOptions, check_funds, check_terms
from nnc.task.spec import TaskSpec, canonical_json, spec_digest

RELAY_ALLOWANCE_S = 60
"""Seconds added to the apply window (and the deadline) for the PUBLISH message's trip home."""


_LOCAL_DOMAIN_ABI: list[dict[str, Any]] = [{
    "type": "function", "name": "localDomain", "stateMutability": "view", "inputs": [],
    "outputs": [{"name": "", "type": "uint32"}]}]


def publish_on_spoke(home: ChainClient, spoke: SpokeGateway, store: Store, spec: TaskSpec,
                     options: PublishOptions, relay_allowance: int = RELAY_ALLOWANCE_S) -> Published | TokenPublished:
    """Stores the spec, escrows `options.budget` on the spoke (native coin, or `options.token`, a
    spoke ERC-20) and sends PUBLISH; `home` reads the home chain (clock, strategies, the market's
    minimum window, the token route) and signs nothing. The task id is known once the home
    gateway published it (`HomeGateway.task_of`)."""
    options.check()
    if spec.parallel is not None:
        raise PublishError(f"{spec.name}: a parallel task cannot be published from a spoke chain yet (its round "
                           "book is opened by the requester, who is the home gateway's account)")
    check_terms(Market(home), spec, options.replication, options.apply_window, options.deadline)
    if options.token != ETH:
        check_token_route(home, spoke, options.token, options.budget)
    check_funds(spoke.client, options.token, options.budget)
    spec_uri = store.put_bytes(canonical_json(spec))
    now = home.next_block_timestamp() + relay_allowance
    request = PublishRequest(
        spec_digest=spec_digest(spec), spec_uri=spec_uri, budget=options.budget, replication=options.replication,
        collateral=options.collateral, apply_deadline=now + options.apply_window, deadline=now + options.deadline,
        min_hardware_class=options.min_hardware_class, compute_units=compute_units(spec),
        min_reputation=options.min_reputation)
    strategy = str(home.contract(STRATEGY_CONTRACTS[options.strategy]).address)
    params = encode_task_params(home.artifacts, request, strategy)
    if options.token == ETH:
        return spoke.publish(params, options.budget)
    return SpokeTokens(spoke.client, spoke.address).publish_token(options.token, options.budget, params)


def check_token_route(home: ChainClient, spoke: SpokeGateway, token: str, budget: int) -> None:
    """PublishError unless a budget of `budget` in spoke ERC-20 `token` would be published at home:
    allow-listed on the spoke gateway, routed by the home gateway to a home token the market
    allows, whose pool holds at least `budget`."""
    if not SpokeTokens(spoke.client, spoke.address).token_allowed(token):
        raise PublishError(f"token {token} is not allow-listed on the spoke gateway {spoke.address}: pay in the "
                           "spoke's native coin or an allow-listed token")
    home_gateway = Web3.to_checksum_address(bytes(spoke.contract.functions.homeGateway().call())[-20:])
    mailbox = spoke.client.w3.eth.contract(address=spoke.contract.functions.mailbox().call(), abi=_LOCAL_DOMAIN_ABI)
    domain = int(mailbox.functions.localDomain().call())
    pools = HomeTokenPools(home, home_gateway)
    home_token = pools.token_route(domain, token)
    if home_token is None:
        raise PublishError(f"token {token} has no route at home (HomeGateway {home_gateway}, domain {domain}): the "
                           "home chain would refuse the task")
    if not Market(home).config.functions.isTokenAllowed(home_token).call():
        raise PublishError(f"token {token} is routed to {home_token} at home, which the market does not allow: the "
                           "home chain would refuse the task")
    free = pools.token_liquidity(home_token)
    if budget > free:
        raise PublishError(f"the budget ({budget} base units) is more than the home pool of {home_token} holds "
                           f"({free}): the home chain would refuse the task")
