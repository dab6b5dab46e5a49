// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Fixture.sol";
import {IScheduleStrategy} from "../src/interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Helpers for the strategy tests: candidate lists and the properties every
///         selection must have.
abstract contract StrategyTest is Fixture {
    /// @dev The first `n` fixture nodes, in application order.
    function _candidates(uint256 n) internal view returns (address[] memory c) {
        c = new address[](n);
        for (uint256 i; i < n; ++i) {
            c[i] = nodes[i];
        }
    }

    /// @dev `selected` has `count` distinct members, all taken from `candidates`.
    function _assertValidSelection(address[] memory candidates, address[] memory selected, uint256 count)
        internal
        pure
    {
        assertEq(selected.length, count, "count");
        for (uint256 i; i < selected.length; ++i) {
            bool found;
            for (uint256 j; j < candidates.length; ++j) {
                if (candidates[j] == selected[i]) found = true;
            }
            assertTrue(found, "a candidate");
            for (uint256 j; j < i; ++j) {
                assertTrue(selected[j] != selected[i], "no duplicates");
            }
        }
    }

    function _indexIn(address[] memory list, address item) internal pure returns (uint256) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == item) return i;
        }
        return type(uint256).max;
    }

    /// @dev Publishes the fixture's 3-replica ETH task for `strategy`, lets the first
    ///      `applicants` nodes apply, and assigns once applications closed.
    function _assignWith(IScheduleStrategy strategy, uint256 applicants) internal returns (uint256 id) {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(strategy);
        id = _publish(p);
        _apply(id, applicants);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationOpen.selector, id, p.applyDeadline));
        market.assign(id); // only first-come assigns early
        vm.warp(p.applyDeadline);
        market.assign(id);
    }
}
