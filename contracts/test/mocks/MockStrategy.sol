// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IScheduleStrategy} from "../../src/interfaces/IScheduleStrategy.sol";

/// @notice A strategy that waits for the application window to close and returns a valid
///         selection (the last `count` candidates) or, as a test sets, a faulty one.
contract MockStrategy is IScheduleStrategy {
    enum Mode {
        LastCome, // the last `count` candidates: valid
        Duplicate, // the first candidate twice
        Outsider, // a non-candidate in the first slot
        Short // one address fewer than asked
    }

    Mode public mode;
    address public outsider;

    function setMode(Mode mode_, address outsider_) external {
        mode = mode_;
        outsider = outsider_;
    }

    function select(uint256, address[] calldata candidates, uint256 count)
        external
        view
        returns (address[] memory selected)
    {
        Mode m = mode;
        selected = new address[](m == Mode.Short ? count - 1 : count);
        uint256 offset = candidates.length - count;
        for (uint256 i; i < selected.length; ++i) {
            selected[i] = candidates[offset + i];
        }
        if (m == Mode.Duplicate && count > 1) selected[1] = selected[0];
        if (m == Mode.Outsider) selected[0] = outsider;
    }

    function assignsEarly() external pure returns (bool) {
        return false;
    }

    function name() external pure returns (string memory) {
        return "mock";
    }
}
