// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ScheduleStrategy} from "./ScheduleStrategy.sol";

/// @title FirstComeStrategy
/// @notice Picks the first `count` eligible applicants, in application order, and lets the
///         market assign as soon as that many have applied.
contract FirstComeStrategy is ScheduleStrategy {
    /// @inheritdoc IScheduleStrategy
    function select(uint256, address[] calldata candidates, uint256 count)
        external
        pure
        returns (address[] memory selected)
    {
        selected = candidates[:count];
    }

    /// @inheritdoc IScheduleStrategy
    function assignsEarly() external pure returns (bool) {
        return true;
    }

    /// @inheritdoc IScheduleStrategy
    function name() external pure returns (string memory) {
        return "first-come";
    }
}
