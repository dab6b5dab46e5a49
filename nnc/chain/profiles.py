"""The deploy profiles: the protocol's initial parameters (`ProtocolParams`) and the two named sets
of them, `devnet` and `production` (`PROFILES`, chosen by name with `profile_params`), described
in `nnc.chain.deploy`. Plain data with no chain client, so the CLI can name the profiles in its
help without loading web3.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnc.errors import ConfigError

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
    # the settlement formula's weights (ITaskMarket): base, quality and reputation shares of a
    # node's cost, in basis points summing to 10000, the base at least 5000
    base_weight_bps: int = 8000
    quality_weight_bps: int = 1000
    reputation_weight_bps: int = 1000
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
    # optimistic verification of posted proofs (ResultProofs): the native-coin bond of a challenge
    # (lost to the node when its proof holds), the challenger's share of a rejected node's
    # collateral (the rest goes to the treasury: a node's friend who challenges it recovers only
    # this share), and the gas the on-chain check gets (over 4 x its EIP-1108 cost)
    proof_challenge_bond: int = 10**16
    proof_challenger_share_bps: int = 1000
    proof_verify_gas: int = 1_000_000
    model_max_field_length: int = 512  # bytes: the longest URI or name a ModelRegistry listing may carry
    # ModelRatings: the least NNT-wei an address that is no verified user of a model stakes on
    # its rating, and the seconds that stake stays locked after the rating's last change
    min_rating_stake: int = 10 * NNT
    rating_lock_period: int = 7 * 24 * 3600
    # RoundBook (data-parallel tasks): rounds a member may miss before anyone may replace it, and
    # the shortest round a requester may declare, in seconds
    round_max_missed: int = 2
    round_min_duration: int = 60
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
    min_rating_stake=100 * NNT,
    rating_lock_period=30 * 24 * 3600,
    round_min_duration=600,
)
PROFILES = {"devnet": DEVNET, "production": PRODUCTION}


def profile_params(name: str) -> ProtocolParams:
    """The parameters of the deploy profile `name` (`devnet` or `production`)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown deploy profile {name!r} (known: {', '.join(PROFILES)})") from None
