// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {SettlementMath} from "../libraries/SettlementMath.sol";
import {StrategyBase} from "./StrategyBase.sol";

/// @title LowestPriceStrategy
/// @notice Picks the applicants that cost the task least, ties in application order, once the
///         application window has closed.
/// @dev The task (its token, budget, replication and compute units) is read from the market
///      given at deployment, with `getTask(taskId)`. A node's cost is what settlement would
///      charge: `min(price * computeUnits, budget / replication)`, or the whole share for a
///      node that asks any price (0), which therefore ranks with the dearest.
contract LowestPriceStrategy is StrategyBase {
    /// @param registry_ Where prices are read.
    /// @param reputation_ The reputation contract (kept for a uniform deployment; not read).
    /// @param market_ Where the task is read.
    constructor(INodeRegistry registry_, IReputation reputation_, ITaskMarket market_)
        StrategyBase(registry_, reputation_, market_)
    {}

    /// @inheritdoc IScheduleStrategy
    function select(uint256 taskId, address[] calldata candidates, uint256 count)
        external
        view
        returns (address[] memory selected)
    {
        uint256 n = candidates.length;
        _requireEnough(n, count);
        ITaskMarket.Task memory t = market.getTask(taskId);
        uint256 share = t.replication == 0 ? 0 : t.budget / t.replication;
        uint256[] memory keys = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            keys[i] = SettlementMath.cost(registry.priceOf(candidates[i], t.token), t.computeUnits, share);
        }
        selected = _rank(candidates, keys, count, true);
    }

    /// @inheritdoc IScheduleStrategy
    function name() external pure returns (string memory) {
        return "lowest-price";
    }
}
