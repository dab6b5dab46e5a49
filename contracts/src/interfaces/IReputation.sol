// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IReputation
/// @notice Reputation of compute nodes, 0..10000 (basis points), neutral 5000 for a node never seen.
/// @dev Updated by the task market at every settlement or expiry, and by verification for
///      penalties. A score decays towards neutral while a node is idle: the distance to neutral
///      halves every `halfLife` seconds (linear between halvings), computed lazily on read and
///      applied before every update.
///
///      Gains are weighted by what others paid; losses never are. A gain outcome (Agreed,
///      AgreedEarly) goes through `recordWork` and is worth
///        gain = base * min(value, fullGainValue) / fullGainValue / (1 + k)
///      (rounded down, computed as one division), where `base` is `agreedGain` or `earlyGain`,
///      `value` what the requester paid the node for the task (NNT-wei) and `k` the number of
///      earlier gains the node got from the same requester, decayed like a score: it halves every
///      `halfLife` seconds (0 = never). A requester paying its own node (requester == node)
///      earns it nothing. A gain that rounds to 0 changes nothing: not the score, not its decay
///      clock, not `k`. So a node farming one requester gains `base * (1 + 1/2 + ... + 1/n)`,
///      about `base * ln(n)`, over n full-value tasks in a burst; spread over time, k and the
///      score decay at the same rate, and one requester holds a node within a few gains of
///      neutral. Tiny tasks earn in proportion to their value: 1-wei tasks earn nothing.
///      A loss outcome (Dissented, Missed, FailedVerification) is always the full loss, through
///      `record` or `recordWork` alike.
interface IReputation {
    /// @notice What a node's part in one task came to.
    enum Outcome {
        Agreed, // in the agreeing majority, submitted in the second half of the execution window
        AgreedEarly, // in the agreeing majority, submitted in the first half (timeliness bonus)
        Dissented, // submitted a result the majority did not agree with
        Missed, // assigned, but submitted nothing before the deadline
        FailedVerification, // caught by verification or arbitration
        Rejected // in the majority, but the model missed the spec's acceptance threshold: no gain, no loss
    }

    struct Params {
        uint16 agreedGain; // bps, for a full-value task from a requester not seen before
        uint16 earlyGain; // replaces agreedGain for AgreedEarly
        uint16 dissentLoss;
        uint16 missedLoss;
        uint16 failedLoss;
        uint32 halfLife; // seconds, of scores and of per-requester gain counts; 0 = no decay
        uint96 fullGainValue; // NNT-wei a task must pay for a full gain (less: a pro-rata gain); > 0
    }

    /// @notice A node's score changed (or was confirmed, for a gain that came to 0) for a task.
    event ReputationUpdated(
        address indexed node, uint256 indexed taskId, Outcome outcome, uint16 previous, uint16 current
    );
    /// @notice How a gain outcome was weighted (emitted by `recordWork` before `ReputationUpdated`).
    /// @param value What `requester` paid `node` for the task (NNT-wei).
    /// @param earlierGains The node's decayed count of earlier gains from `requester` (k), in
    ///        `GAIN_UNIT`s (1e6 = one gain); it grows by one unit when `gain` is not 0.
    /// @param gain The bps added before clamping to 10000 (0 for requester == node).
    event ReputationGainWeighted(
        address indexed node,
        uint256 indexed taskId,
        address indexed requester,
        uint256 value,
        uint256 earlierGains,
        uint16 gain
    );
    event ReputationParamsSet(Params params);

    error GainTooLarge(uint16 gain, uint16 max);
    /// @notice `fullGainValue` must not be 0.
    error InvalidFullGainValue(uint96 fullGainValue);
    /// @notice `record` carries no value or requester: gain outcomes go through `recordWork`.
    error GainNeedsValue(Outcome outcome);

    /// @notice Records the outcome of `node`'s work on `taskId` for `requester`, who paid it
    ///         `value` NNT-wei (reporter role: the task market). A gain outcome is weighted by
    ///         value and by earlier gains from the same requester (see the formula above); a loss
    ///         outcome is the full loss, `requester` and `value` ignored.
    /// @param value What the requester paid this node for this task, converted to NNT-wei by the
    ///        caller (the market owns token prices).
    function recordWork(address node, uint256 taskId, Outcome outcome, address requester, uint256 value) external;

    /// @notice Records a penalty for `node` in `taskId` (reporter role: the task market and
    ///         verification): Dissented, Missed or FailedVerification, always the full loss.
    /// @dev Reverts with `GainNeedsValue` for Agreed and AgreedEarly, so that no path grants an
    ///      unweighted gain.
    function record(address node, uint256 taskId, Outcome outcome) external;

    /// @notice Sets the gains, losses, half-life and full-gain value (admin only). Each gain or
    ///         loss is at most `MAX_STEP` (1000 bps); `fullGainValue` is not 0.
    function setParams(Params calldata params) external;

    /// @notice The node's current score, decay applied.
    function reputationOf(address node) external view returns (uint16);

    /// @notice Current scores of several nodes in one call (for the API and strategies).
    function reputationsOf(address[] calldata nodes) external view returns (uint16[] memory);

    /// @notice The node's count of earlier gains from `requester` (k), decayed to now, in
    ///         `GAIN_UNIT`s (1e6 = one gain).
    function gainsFrom(address node, address requester) external view returns (uint256);

    /// @notice The gain (bps, before clamping) that `recordWork` would grant now for a gain
    ///         outcome; 0 for a loss outcome.
    function previewGain(address node, Outcome outcome, address requester, uint256 value) external view returns (uint16);

    /// @notice The current parameters.
    function params() external view returns (Params memory);
}
