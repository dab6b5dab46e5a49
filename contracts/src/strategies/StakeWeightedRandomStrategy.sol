// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {StrategyBase} from "./StrategyBase.sol";

/// @title StakeWeightedRandomStrategy
/// @notice Draws the nodes at random, without replacement, each with a probability
///         proportional to its free stake, once the application window has closed.
/// @dev Seeded by `keccak256(block.prevrandao, taskId)`; draw `k` uses
///      `keccak256(seed, k) mod remainingWeight`. When every remaining candidate has zero free
///      stake, the draw is uniform over them. `prevrandao` is known to the block proposer, who
///      can bias one draw by withholding a block (a cost of one block reward): acceptable for
///      spreading work, not for anything that pays the proposer more than that.
contract StakeWeightedRandomStrategy is StrategyBase {
    /// @param registry_ Where free stake is read.
    /// @param reputation_ The reputation contract (kept for a uniform deployment; not read).
    /// @param market_ The task market (kept for a uniform deployment; not read).
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
        uint256[] memory weights = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            uint256 w = registry.freeStake(candidates[i]);
            weights[i] = w;
            total += w;
        }
        bytes32 seed = keccak256(abi.encode(block.prevrandao, taskId));
        bool[] memory taken = new bool[](n);
        selected = new address[](count);
        for (uint256 k; k < count; ++k) {
            uint256 draw = uint256(keccak256(abi.encode(seed, k)));
            uint256 pick = total == 0 ? _uniform(taken, draw % (n - k)) : _weighted(taken, weights, draw % total);
            taken[pick] = true;
            total -= weights[pick];
            selected[k] = candidates[pick];
        }
    }

    /// @inheritdoc IScheduleStrategy
    function name() external pure returns (string memory) {
        return "stake-weighted-random";
    }

    /// @dev The first untaken index whose cumulative weight exceeds `target` (< remaining total).
    function _weighted(bool[] memory taken, uint256[] memory weights, uint256 target) private pure returns (uint256 i) {
        uint256 cumulative;
        for (;; ++i) {
            if (taken[i]) continue;
            cumulative += weights[i];
            if (target < cumulative) return i;
        }
    }

    /// @dev The `target`-th untaken index (< the number untaken).
    function _uniform(bool[] memory taken, uint256 target) private pure returns (uint256 i) {
        for (;; ++i) {
            if (taken[i]) continue;
            if (target == 0) return i;
            --target;
        }
    }
}
