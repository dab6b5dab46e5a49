// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeFixture} from "./DisputeFixture.sol";
import {ModelRegistry} from "../src/models/ModelRegistry.sol";
import {ModelRatings} from "../src/models/ModelRatings.sol";

/// @notice Every deployable contract of the market's core stays under the EIP-170 size limit
///         (24,576 bytes), as Uniswap v4-core's `test_bytecodeSize` checks it; the market keeps
///         room for what comes next by moving code into its external libraries.
contract ContractSizeTest is DisputeFixture {
    uint256 internal constant EIP170_LIMIT = 24_576;
    /// @notice The market's budget: 30% under the limit, room for what comes next.
    uint256 internal constant MARKET_BUDGET = EIP170_LIMIT * 70 / 100;
    /// @notice The model registry's budget: 60% of the limit (13.1 KB with co-funded owners and
    ///         the registrar's listing, against 50% before them), room for the library's later items.
    uint256 internal constant MODEL_REGISTRY_BUDGET = EIP170_LIMIT * 60 / 100;

    function test_bytecodeSize_underTheLimit() public {
        assertLt(address(market).code.length, MARKET_BUDGET, "TaskMarket within its budget");
        assertLt(address(config).code.length, EIP170_LIMIT, "MarketConfig");
        assertLt(address(registry).code.length, EIP170_LIMIT, "NodeRegistry");
        assertLt(address(arbitration).code.length, EIP170_LIMIT, "Arbitration");
        assertLt(address(spotCheck).code.length, EIP170_LIMIT, "SpotCheck");
        assertLt(address(reputation).code.length, EIP170_LIMIT, "Reputation");
        assertLt(address(pool).code.length, EIP170_LIMIT, "RewardsPool");
        ModelRegistry models = new ModelRegistry(market, 512, address(this));
        assertLt(address(models).code.length, MODEL_REGISTRY_BUDGET, "ModelRegistry within its budget");
        ModelRatings ratings = new ModelRatings(models, nnt, 10e18, 7 days, address(this));
        assertLt(address(ratings).code.length, EIP170_LIMIT / 2, "ModelRatings");
    }
}
