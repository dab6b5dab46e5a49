"""Deploying the protocol: token, registry, reputation, rewards pool, market and strategies."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from web3.contract import Contract

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS, Deployment
from nnc.chain.governance import deploy_governance

log = logging.getLogger(__name__)

NNT = 10**18


@dataclass(frozen=True)
class ProtocolParams:
    """Initial protocol parameters; governance changes them later."""

    initial_supply: int = 1_000_000_000 * NNT
    min_stake: int = 100 * NNT
    unbonding_delay: int = 7 * 24 * 3600
    protocol_fee_bps: int = 200
    challenge_window: int = 3600
    snapshot_interval: int = 30
    reward_per_compute_unit: int = 0
    rewards_pool_funding: int = 0  # NNT moved from the deployer into the rewards pool
    treasury: str | None = None  # default: the deployer
    oracles: tuple[str, ...] = ()  # addresses granted ORACLE_ROLE
    result_proofs: bool = True  # results submitted as zero-knowledge commitments (submitProof)
    # verification, arbitration and governance (nnc.chain.governance)
    spot_check_report_window: int = 3600  # seconds a picked verifier has to report
    spot_check_verification_timeout: int = 86400  # seconds after a request past which a check may lapse
    min_bond: int = 10 * NNT
    dispute_voting_period: int = 20  # blocks
    dispute_quorum_bps: int = 400
    challenger_share_bps: int = 5000
    requester_share_bps: int = 3000
    node_bond_share_bps: int = 8000
    governor_voting_delay: int = 1  # blocks
    governor_voting_period: int = 20  # blocks
    governor_quorum_percent: int = 4
    timelock_delay: int = 60  # seconds


def deploy_protocol(client: ChainClient, params: ProtocolParams = ProtocolParams()) -> Deployment:
    """Deploys and wires every contract from the client's account; returns the deployment."""
    deployer = client.address
    start_block = client.block_number()
    token = client.deploy("NNToken", deployer, params.initial_supply)
    registry = client.deploy("NodeRegistry", token.address, params.min_stake, params.unbonding_delay, deployer)
    reputation = client.deploy("Reputation", deployer)
    pool = client.deploy("RewardsPool", token.address, deployer)
    market = client.deploy("TaskMarket", registry.address, reputation.address, pool.address,
                           params.treasury or deployer, params.protocol_fee_bps, deployer)
    strategies = {name: _deploy_strategy(client, contract, registry, reputation, market)
                  for name, contract in STRATEGY_CONTRACTS.items()}

    _grant(client, registry, "MARKET_ROLE", market.address)
    _grant(client, reputation, "REPORTER_ROLE", market.address)
    _grant(client, pool, "REWARDER_ROLE", market.address)
    for oracle in params.oracles:
        _grant(client, registry, "ORACLE_ROLE", oracle)
        _grant(client, market, "ORACLE_ROLE", oracle)
    for strategy in strategies.values():
        client.transact(market.functions.setStrategyAllowed(strategy.address, True), context="allow strategy")
    client.transact(market.functions.setTokenAllowed(token.address, True), context="allow NNT payments")
    client.transact(market.functions.setChallengeWindow(params.challenge_window), context="challenge window")
    client.transact(market.functions.setSnapshotInterval(params.snapshot_interval), context="snapshot interval")
    if params.reward_per_compute_unit:
        client.transact(market.functions.setRewardPerComputeUnit(params.reward_per_compute_unit),
                        context="reward per compute unit")
    zk_addresses: dict[str, str] = {}
    if params.result_proofs:
        verifier = client.deploy("ResultCommitmentVerifier")
        proofs = client.deploy("ResultProofs", verifier.address, market.address)
        client.transact(market.functions.setResultProofs(proofs.address), context="result proofs")
        zk_addresses = {"ResultCommitmentVerifier": verifier.address, "ResultProofs": proofs.address}
    if params.rewards_pool_funding:
        client.transact(token.functions.approve(pool.address, params.rewards_pool_funding), context="approve pool")
        client.transact(pool.functions.fund(params.rewards_pool_funding), context="fund rewards pool")

    addresses: dict[str, str] = {
        "NNToken": token.address, "NodeRegistry": registry.address, "Reputation": reputation.address,
        "RewardsPool": pool.address, "TaskMarket": market.address}
    addresses.update({STRATEGY_CONTRACTS[name]: s.address for name, s in strategies.items()})
    addresses.update(zk_addresses)
    addresses.update(deploy_governance(client, params, token, registry, reputation, pool, market))
    deployment = Deployment(chain_id=client.w3.eth.chain_id, start_block=start_block, deployer=deployer,
                            addresses=addresses)
    client.deployment = deployment
    return deployment


def _deploy_strategy(client: ChainClient, contract: str, registry: Contract, reputation: Contract,
                     market: Contract) -> Contract:
    if contract == "FirstComeStrategy":
        return client.deploy(contract)
    return client.deploy(contract, registry.address, reputation.address, market.address)


def _grant(client: ChainClient, contract: Contract, role_name: str, account: str) -> None:
    role = getattr(contract.functions, role_name)().call()
    client.transact(contract.functions.grantRole(role, account), context=f"grant {role_name}")
