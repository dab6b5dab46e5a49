// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IScheduleStrategy
/// @notice A pluggable rule that picks the nodes for a task from its eligible applicants.
/// @dev The task market filters applicants for eligibility (registration, free stake, hardware
///      class) before calling `select`, and bounds their number, so a strategy never loops over
///      the whole node set. Strategies are allow-listed by governance.
interface IScheduleStrategy {
    /// @notice Picks `count` nodes out of `candidates`.
    /// @param taskId The task being assigned (strategies may use it as a seed).
    /// @param candidates Eligible applicants, in application order; `candidates.length >= count`.
    /// @param count How many nodes to pick (the task's replication factor).
    /// @return selected Exactly `count` distinct addresses taken from `candidates`.
    function select(uint256 taskId, address[] calldata candidates, uint256 count)
        external
        view
        returns (address[] memory selected);

    /// @notice Whether the market may assign as soon as `count` eligible nodes have applied,
    ///         without waiting for the application window to close.
    function assignsEarly() external pure returns (bool);

    /// @notice A short, stable name of the strategy (e.g. "first-come").
    function name() external pure returns (string memory);
}
