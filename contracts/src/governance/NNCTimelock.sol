// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title NNCTimelock
/// @notice OpenZeppelin's TimelockController under its own name, so that it is compiled into the
///         protocol's artifacts: it holds DEFAULT_ADMIN_ROLE on every protocol contract and
///         executes what the {NNCGovernor} queues, after `minDelay` seconds.
contract NNCTimelock is TimelockController {
    /// @param minDelay Seconds between queueing and execution.
    /// @param proposers Accounts that may queue (the governor).
    /// @param executors Accounts that may execute (address(0): anyone).
    /// @param admin Optional setup admin (address(0): none; the timelock administers itself).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
