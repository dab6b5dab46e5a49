"""Deploying the protocol: token, registry, reputation, rewards pool, market config, market
(with its external libraries), strategies, the model registry and its ratings, and the co-funding
factory (named in the model registry before the hand-over, so co-funded models go to their funders),
and the round book of data-parallel tasks.

Two deploy profiles (`PROFILES`, chosen by name with `profile_params`; defined in
`nnc.chain.profiles`, which loads no web3, and re-exported here):

- `devnet`: fast votes, a one-minute timelock, no proposal threshold, for tests, `nnc devnet up`
  and `nnc demo`. Not safe for real value: `DEVNET_WARNING` says so wherever it is deployed.
- `production`: a day of voting delay and a week of voting for proposals, a proposal threshold of
  1% of the supply, a two-day timelock, dispute votes a day after the dispute opens and lasting
  three days, fees paid to the timelock (the DAO) unless a treasury is given.

Both bind the task market once in the registry and the rewards pool (`bindMarket`,
`bindRewarder`), hand every admin role to the timelock and leave the deployer with no role.
"""

from __future__ import annotations

import logging

from web3.contract import Contract

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS, Deployment
from nnc.chain.governance import deploy_governance
from nnc.chain.profiles import BLOCKS_PER_DAY as BLOCKS_PER_DAY
from nnc.chain.profiles import DEVNET as DEVNET
from nnc.chain.profiles import DEVNET_WARNING as DEVNET_WARNING
from nnc.chain.profiles import NNT as NNT
from nnc.chain.profiles import PRODUCTION as PRODUCTION
from nnc.chain.profiles import PROFILES as PROFILES
from nnc.chain.profiles import ProtocolParams as ProtocolParams
from nnc.chain.profiles import profile_params as profile_params
from nnc.chain.types import ETH

log = logging.getLogger(__name__)


def deploy_protocol(client: ChainClient, params: ProtocolParams = DEVNET) -> Deployment:
    """Deploys and wires every contract from the client's account; returns the deployment."""
    if params.profile == "devnet":
        log.warning("%s", DEVNET_WARNING)
    deployer = client.address
    start_block = client.block_number()
    token = client.deploy("NNToken", deployer, params.initial_supply)
    registry = client.deploy("NodeRegistry", token.address, params.min_stake, params.unbonding_delay, deployer)
    reputation = client.deploy("Reputation", deployer)
    pool = client.deploy("RewardsPool", token.address, deployer)
    config = client.deploy("MarketConfig", token.address, params.treasury or deployer, params.protocol_fee_bps,
                           deployer)
    market = client.deploy("TaskMarket", registry.address, reputation.address, pool.address, config.address,
                           deployer)
    strategies = {name: _deploy_strategy(client, contract, registry, reputation, market)
                  for name, contract in STRATEGY_CONTRACTS.items()}

    # bound once: no later governance action can give anyone else the power to move stake or pool NNT
    client.transact(registry.functions.bindMarket(market.address), context="bind the market in the registry")
    client.transact(pool.functions.bindRewarder(market.address), context="bind the market in the rewards pool")
    _grant(client, reputation, "REPORTER_ROLE", market.address)
    for oracle in params.oracles:
        _grant(client, registry, "ORACLE_ROLE", oracle)
        _grant(client, market, "ORACLE_ROLE", oracle)
    for strategy in strategies.values():
        client.transact(config.functions.setStrategyAllowed(strategy.address, True), context="allow strategy")
    client.transact(config.functions.setTokenValue(ETH, params.eth_token_value), context="ETH value in NNT")
    client.transact(config.functions.setSettlementWeights(params.base_weight_bps, params.quality_weight_bps,
                                                          params.reputation_weight_bps), context="settlement weights")
    client.transact(config.functions.setChallengeWindow(params.challenge_window), context="challenge window")
    client.transact(config.functions.setSnapshotInterval(params.snapshot_interval), context="snapshot interval")
    client.transact(config.functions.setWindows(params.resolved_freeze_window, params.resolved_tie_window,
                                                params.min_execution_window), context="windows")
    client.transact(config.functions.setAbandonPenalty(params.abandon_penalty_bps), context="abandon penalty")
    if params.reward_per_compute_unit:
        client.transact(config.functions.setRewardPerComputeUnit(params.reward_per_compute_unit),
                        context="reward per compute unit")
    zk_addresses: dict[str, str] = {}
    if params.result_proofs:
        verifier = client.deploy("ResultCommitmentVerifier")
        proofs = client.deploy("ResultProofs", verifier.address, market.address, params.proof_challenge_bond,
                               params.proof_challenger_share_bps, params.proof_verify_gas)
        client.transact(config.functions.setResultProofs(proofs.address), context="result proofs")
        # acceptance proven, not asserted: a requester's hidden labels and the proven outcomes
        acceptance_verifier = client.deploy("AcceptanceVerifier")
        book = client.deploy("AcceptanceBook", acceptance_verifier.address, market.address)
        client.transact(config.functions.setAcceptanceBook(book.address), context="acceptance book")
        zk_addresses = {"ResultCommitmentVerifier": verifier.address, "ResultProofs": proofs.address,
                        "AcceptanceVerifier": acceptance_verifier.address, "AcceptanceBook": book.address}
    if params.rewards_pool_funding:
        client.transact(token.functions.approve(pool.address, params.rewards_pool_funding), context="approve pool")
        client.transact(pool.functions.fund(params.rewards_pool_funding), context="fund rewards pool")

    # reads the market's views only: no role anywhere, its parameters governed by the timelock;
    # the oracles list every accepted task's model and record which settled tasks used a model
    models = client.deploy("ModelRegistry", market.address, params.model_max_field_length, deployer)
    ratings = client.deploy("ModelRatings", models.address, token.address, params.min_rating_stake,
                            params.rating_lock_period, deployer)
    for oracle in params.oracles:
        _grant(client, models, "REGISTRAR_ROLE", oracle)
        _grant(client, ratings, "REGISTRAR_ROLE", oracle)
    # round records of data-parallel tasks: reads the market and registry, moves no value;
    # REFUTER_ROLE is bound once to the spot-check and arbitration (below, before the hand-over)
    rounds = client.deploy("RoundBook", market.address, registry.address, params.round_max_missed,
                           params.round_min_duration, deployer)
    # bound once in the market's config: the market pays each node of a task whose book started
    # by its pay share
    client.transact(config.functions.bindRoundBook(rounds.address), context="bind the market's round book")

    addresses: dict[str, str] = {
        "NNToken": token.address, "NodeRegistry": registry.address, "Reputation": reputation.address,
        "RewardsPool": pool.address, "MarketConfig": config.address, "TaskMarket": market.address,
        "ModelRegistry": models.address, "ModelRatings": ratings.address, "RoundBook": rounds.address}
    addresses.update({STRATEGY_CONTRACTS[name]: s.address for name, s in strategies.items()})
    addresses.update(zk_addresses)

    def cofunding(arbitration: str, spot_check: str) -> dict[str, str]:
        deployed = _deploy_cofunding(client, market, arbitration, spot_check)
        client.transact(models.functions.setCoFundingFactory(deployed["CoFundingFactory"]),
                        context="co-funded tasks' models to their funders")
        client.transact(rounds.functions.bindRefuters([spot_check, arbitration]),
                        context="bind the round book's refuters")
        return deployed

    addresses.update(deploy_governance(client, params, token, registry, reputation, pool, config, market, models,
                                       others={"ModelRatings": ratings, "RoundBook": rounds},
                                       before_handover=cofunding))
    created = {name: client.deployed_at[address] for name, address in {**addresses, **client.libraries}.items()
               if address in client.deployed_at}
    # a resumed deployment (nnc.chain.deploy_journal) starts at its first contract, not at this run
    start_block = min([block for block, _ in created.values()] or [start_block])
    deployment = Deployment(chain_id=client.w3.eth.chain_id, start_block=start_block, deployer=deployer,
                            addresses=addresses, libraries=dict(client.libraries), profile=params.profile,
                            blocks={name: block for name, (block, _) in created.items()},
                            transactions={name: tx for name, (_, tx) in created.items()})
    client.deployment = deployment
    return deployment


def _deploy_strategy(client: ChainClient, contract: str, registry: Contract, reputation: Contract,
                     market: Contract) -> Contract:
    if contract == "FirstComeStrategy":
        return client.deploy(contract)
    return client.deploy(contract, registry.address, reputation.address, market.address)


def _deploy_cofunding(client: ChainClient, market: Contract, arbitration: str, spot_check: str) -> dict[str, str]:
    """Co-funded tasks: the pool implementation (its initializer disabled) and the factory that
    clones it. Neither has an admin or a role: a pool is a requester like any other."""
    implementation = client.deploy("CoFundingPool")
    factory = client.deploy("CoFundingFactory", market.address, arbitration, spot_check, implementation.address)
    return {"CoFundingPool": implementation.address, "CoFundingFactory": factory.address}


def _grant(client: ChainClient, contract: Contract, role_name: str, account: str) -> None:
    role = getattr(contract.functions, role_name)().call()
    client.transact(contract.functions.grantRole(role, account), context=f"grant {role_name}")
