// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The governance and dispute-vote parameters of the two deploy profiles of
///         `nnc.chain.deploy` (`DEVNET` and `PRODUCTION`), mirrored for the forge tests.
///         `tests/unit/test_deploy_profiles.py` reads these literals and checks that they equal
///         the Python profiles, so the two cannot drift apart. Blocks are 12 s.
abstract contract DeployProfiles {
    // devnet: fast, for tests and demos; not safe for real value
    uint48 internal constant DEVNET_GOVERNOR_VOTING_DELAY = 1; // blocks
    uint32 internal constant DEVNET_GOVERNOR_VOTING_PERIOD = 20; // blocks
    uint256 internal constant DEVNET_PROPOSAL_THRESHOLD = 0; // NNT wei
    uint256 internal constant DEVNET_QUORUM_PERCENT = 4;
    uint256 internal constant DEVNET_TIMELOCK_DELAY = 60; // seconds
    uint32 internal constant DEVNET_DISPUTE_VOTING_DELAY = 1; // blocks
    uint32 internal constant DEVNET_DISPUTE_VOTING_PERIOD = 20; // blocks
    uint16 internal constant DEVNET_DISPUTE_QUORUM_BPS = 400;

    // production: days of delay at every step
    uint48 internal constant PRODUCTION_GOVERNOR_VOTING_DELAY = 7200; // 1 day of blocks
    uint32 internal constant PRODUCTION_GOVERNOR_VOTING_PERIOD = 50_400; // 1 week of blocks
    uint256 internal constant PRODUCTION_PROPOSAL_THRESHOLD = 10_000_000e18; // 1% of the supply
    uint256 internal constant PRODUCTION_QUORUM_PERCENT = 4;
    uint256 internal constant PRODUCTION_TIMELOCK_DELAY = 172_800; // 2 days
    uint32 internal constant PRODUCTION_DISPUTE_VOTING_DELAY = 7200; // 1 day of blocks
    uint32 internal constant PRODUCTION_DISPUTE_VOTING_PERIOD = 21_600; // 3 days of blocks
    uint16 internal constant PRODUCTION_DISPUTE_QUORUM_BPS = 400;
}
