// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {ScheduleStrategy} from "./ScheduleStrategy.sol";

/// @title StrategyBase
/// @notice What the strategies that look at nodes share: the protocol contracts they read,
///         set once at deployment, and a stable ranking over the candidates.
/// @dev Every strategy loops only over the candidates it is given (the market bounds them to
///      MAX_APPLICANTS), with O(candidates x count) work.
abstract contract StrategyBase is ScheduleStrategy {
    /// @notice Fewer candidates than the nodes to pick.
    error TooFewCandidates(uint256 candidates, uint256 count);
    /// @notice A protocol contract address was zero.
    error ZeroAddress();

    /// @notice Stake and prices of nodes.
    INodeRegistry public immutable registry;
    /// @notice Reputation of nodes.
    IReputation public immutable reputation;
    /// @notice The market whose tasks this strategy assigns.
    ITaskMarket public immutable market;

    constructor(INodeRegistry registry_, IReputation reputation_, ITaskMarket market_) {
        if (address(registry_) == address(0) || address(reputation_) == address(0) || address(market_) == address(0)) {
            revert ZeroAddress();
        }
        registry = registry_;
        reputation = reputation_;
        market = market_;
    }

    /// @inheritdoc IScheduleStrategy
    /// @dev These strategies compare applicants, so they wait for the application window.
    function assignsEarly() external pure returns (bool) {
        return false;
    }

    function _requireEnough(uint256 candidates, uint256 count) internal pure {
        if (count > candidates) revert TooFewCandidates(candidates, count);
    }

    /// @dev The `count` candidates with the lowest (`ascending`) or highest keys, best first;
    ///      equal keys keep application order.
    function _rank(address[] calldata candidates, uint256[] memory keys, uint256 count, bool ascending)
        internal
        pure
        returns (address[] memory selected)
    {
        uint256 n = candidates.length;
        _requireEnough(n, count);
        selected = new address[](count);
        bool[] memory taken = new bool[](n);
        for (uint256 k; k < count; ++k) {
            uint256 best = n;
            for (uint256 i; i < n; ++i) {
                if (taken[i]) continue;
                if (best == n || (ascending ? keys[i] < keys[best] : keys[i] > keys[best])) best = i;
            }
            taken[best] = true;
            selected[k] = candidates[best];
        }
    }
}
