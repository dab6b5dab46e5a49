// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {StrategyBase} from "./StrategyBase.sol";

/// @title ReputationPriorityStrategy
/// @notice Picks the applicants with the highest reputation (decay applied), ties in
///         application order, once the application window has closed.
/// @dev Reads every candidate's score in one `reputationsOf` call.
contract ReputationPriorityStrategy is StrategyBase {
    /// @param registry_ The node registry (kept for a uniform deployment; not read).
    /// @param reputation_ Where scores are read.
    /// @param market_ The task market (kept for a uniform deployment; not read).
    constructor(INodeRegistry registry_, IReputation reputation_, ITaskMarket market_)
        StrategyBase(registry_, reputation_, market_)
    {}

    /// @inheritdoc IScheduleStrategy
    function select(uint256, address[] calldata candidates, uint256 count)
        external
        view
        returns (address[] memory selected)
    {
        _requireEnough(candidates.length, count);
        uint16[] memory scores = reputation.reputationsOf(candidates);
        uint256[] memory keys = new uint256[](scores.length);
        for (uint256 i; i < scores.length; ++i) {
            keys[i] = scores[i];
        }
        selected = _rank(candidates, keys, count, false);
    }

    /// @inheritdoc IScheduleStrategy
    function name() external pure returns (string memory) {
        return "reputation-priority";
    }
}
