// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IReputation
/// @notice Reputation of compute nodes, 0..10000 (basis points), neutral 5000 for a node never seen.
/// @dev Updated by the task market at every settlement or expiry. A score decays towards neutral
///      while a node is idle: the distance to neutral halves every `halfLife` seconds (linear
///      between halvings), computed lazily on read and applied before every update.
interface IReputation {
    /// @notice What a node's part in one task came to.
    enum Outcome {
        Agreed, // in the agreeing majority, submitted in the second half of the execution window
        AgreedEarly, // in the agreeing majority, submitted in the first half (timeliness bonus)
        Dissented, // submitted a result the majority did not agree with
        Missed, // assigned, but submitted nothing before the deadline
        FailedVerification // caught by verification or arbitration
    }

    struct Params {
        uint16 agreedGain;
        uint16 earlyGain; // replaces agreedGain for AgreedEarly
        uint16 dissentLoss;
        uint16 missedLoss;
        uint16 failedLoss;
        uint32 halfLife; // seconds; 0 = no decay
    }

    event ReputationUpdated(
        address indexed node, uint256 indexed taskId, Outcome outcome, uint16 previous, uint16 current
    );
    event ReputationParamsSet(Params params);

    error GainTooLarge(uint16 gain, uint16 max);

    /// @notice Records an outcome for `node` in `taskId` (reporter role: the task market).
    function record(address node, uint256 taskId, Outcome outcome) external;

    /// @notice Sets the gains, losses and half-life (admin only). Each gain or loss is at most
    ///         `MAX_STEP` (1000 bps).
    function setParams(Params calldata params) external;

    /// @notice The node's current score, decay applied.
    function reputationOf(address node) external view returns (uint16);

    /// @notice Current scores of several nodes in one call (for the API and strategies).
    function reputationsOf(address[] calldata nodes) external view returns (uint16[] memory);

    /// @notice The current parameters.
    function params() external view returns (Params memory);
}
