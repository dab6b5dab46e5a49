"""Deploying the protocol: token, node registry, task market and the first-come strategy."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nnc.chain.client import ChainClient
from nnc.chain.deployment import Deployment

log = logging.getLogger(__name__)

NNT = 10**18


@dataclass(frozen=True)
class ProtocolParams:
    """Initial protocol parameters; governance changes them later."""

    initial_supply: int = 1_000_000_000 * NNT
    min_stake: int = 100 * NNT
    unbonding_delay: int = 7 * 24 * 3600
    protocol_fee_bps: int = 200
    treasury: str | None = None  # default: the deployer


def deploy_protocol(client: ChainClient, params: ProtocolParams = ProtocolParams()) -> Deployment:
    """Deploys and wires every contract from the client's account; returns the deployment."""
    deployer = client.address
    start_block = client.block_number()
    token = client.deploy("NNToken", deployer, params.initial_supply)
    registry = client.deploy("NodeRegistry", token.address, params.min_stake, params.unbonding_delay, deployer)
    market = client.deploy("TaskMarket", registry.address, params.treasury or deployer,
                           params.protocol_fee_bps, deployer)
    strategy = client.deploy("FirstComeStrategy")
    market_role = registry.functions.MARKET_ROLE().call()
    client.transact(registry.functions.grantRole(market_role, market.address), context="grant MARKET_ROLE")
    client.transact(market.functions.setStrategyAllowed(strategy.address, True), context="allow first-come")
    client.transact(market.functions.setTokenAllowed(token.address, True), context="allow NNT payments")
    deployment = Deployment(
        chain_id=client.w3.eth.chain_id, start_block=start_block, deployer=deployer,
        addresses={"NNToken": token.address, "NodeRegistry": registry.address,
                   "TaskMarket": market.address, "FirstComeStrategy": strategy.address})
    client.deployment = deployment
    return deployment
