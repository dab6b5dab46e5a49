"""Deploying the protocol: token, registry, reputation, rewards pool, market config, market
(with its external libraries) and strategies.

Two deploy profiles (`PROFILES`, chosen by name with `profile_params`):

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
from dataclasses import dataclass

from web3.contract import Contract

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS, Deployment
from nnc.chain.governance import deploy_governance
from nnc.chain.types import ETH
from nnc.errors import ConfigError

log = logging.getLogger(__name__)

NNT = 10**18
BLOCKS_PER_DAY = 7200  # 12-second blocks

DEVNET_WARNING = ("WARNING: devnet deploy profile: votes of seconds, no proposal threshold, a one-minute timelock. "
                  "Not safe for real value; use --profile production.")


@dataclass(frozen=True)
class ProtocolParams:
    """Initial protocol parameters; governance changes them later. The defaults are the devnet profile's."""

    profile: str = "devnet"  # the name recorded in the deployment file
    initial_supply: int = 1_000_000_000 * NNT
    min_stake: int = 100 * NNT
    unbonding_delay: int = 7 * 24 * 3600
    protocol_fee_bps: int = 200
    challenge_window: int = 3600
    snapshot_interval: int = 30
    # seconds a frozen dissenter of a proven task stays open to a challenge after settlement, and a
    # tied task waits in Verifying before every replica is paid (None: the challenge window)
    freeze_window: int | None = None
    tie_window: int | None = None
    min_execution_window: int = 600  # seconds between assignment and the deadline, at least
    abandon_penalty_bps: int = 1000  # of its collateral, lost by a node that gives up or squats
    # NNT-wei that 1 ETH counts as (caps NNT bonuses of ETH tasks at the fee paid; 0: no bonus)
    eth_token_value: int = 2000 * NNT
    reward_per_compute_unit: int = 0
    rewards_pool_funding: int = 0  # NNT moved from the deployer into the rewards pool
    treasury: str | None = None  # default: the deployer
    oracles: tuple[str, ...] = ()  # addresses granted ORACLE_ROLE
    result_proofs: bool = True  # results submitted as zero-knowledge commitments (submitProof)
    # verification, arbitration and governance (nnc.chain.governance)
    spot_check_report_window: int = 3600  # seconds a picked verifier has to report
    spot_check_verification_timeout: int = 86400  # seconds after a request past which a check may lapse
    min_bond: int = 10 * NNT
    dispute_voting_delay: int = 1  # blocks from a dispute's opening to its vote snapshot
    dispute_voting_period: int = 20  # blocks
    dispute_quorum_bps: int = 400
    challenger_share_bps: int = 5000
    requester_share_bps: int = 3000
    node_bond_share_bps: int = 8000
    governor_voting_delay: int = 1  # blocks
    governor_voting_period: int = 20  # blocks
    governor_quorum_percent: int = 4
    governor_proposal_threshold: int = 0  # NNT wei of votes needed to propose
    timelock_delay: int = 60  # seconds

    @property
    def resolved_freeze_window(self) -> int:
        return self.challenge_window if self.freeze_window is None else self.freeze_window

    @property
    def resolved_tie_window(self) -> int:
        return self.challenge_window if self.tie_window is None else self.tie_window


DEVNET = ProtocolParams()
PRODUCTION = ProtocolParams(
    profile="production",
    challenge_window=24 * 3600,
    dispute_voting_delay=BLOCKS_PER_DAY,
    dispute_voting_period=3 * BLOCKS_PER_DAY,
    dispute_quorum_bps=400,
    governor_voting_delay=BLOCKS_PER_DAY,
    governor_voting_period=7 * BLOCKS_PER_DAY,
    governor_proposal_threshold=10_000_000 * NNT,  # 1% of the initial supply
    governor_quorum_percent=4,
    timelock_delay=2 * 24 * 3600,
)
PROFILES = {"devnet": DEVNET, "production": PRODUCTION}


def profile_params(name: str) -> ProtocolParams:
    """The parameters of the deploy profile `name` (`devnet` or `production`)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown deploy profile {name!r} (known: {', '.join(PROFILES)})") from None


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
        proofs = client.deploy("ResultProofs", verifier.address, market.address)
        client.transact(config.functions.setResultProofs(proofs.address), context="result proofs")
        zk_addresses = {"ResultCommitmentVerifier": verifier.address, "ResultProofs": proofs.address}
    if params.rewards_pool_funding:
        client.transact(token.functions.approve(pool.address, params.rewards_pool_funding), context="approve pool")
        client.transact(pool.functions.fund(params.rewards_pool_funding), context="fund rewards pool")

    addresses: dict[str, str] = {
        "NNToken": token.address, "NodeRegistry": registry.address, "Reputation": reputation.address,
        "RewardsPool": pool.address, "MarketConfig": config.address, "TaskMarket": market.address}
    addresses.update({STRATEGY_CONTRACTS[name]: s.address for name, s in strategies.items()})
    addresses.update(zk_addresses)
    addresses.update(deploy_governance(client, params, token, registry, reputation, pool, config, market))
    deployment = Deployment(chain_id=client.w3.eth.chain_id, start_block=start_block, deployer=deployer,
                            addresses=addresses, libraries=dict(client.libraries), profile=params.profile)
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
