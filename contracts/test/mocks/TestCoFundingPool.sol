// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICoFundingFactory, ICoFundingPool} from "../../src/interfaces/ICoFunding.sol";

/// @notice A test double of the co-funding interface: contributions are set by the test, with no
///         money behind them (the pool's escrow is the co-funding contracts' own business).
contract TestCoFundingPool is ICoFundingPool {
    address[] internal _funders;
    mapping(address funder => uint256) public contributionOf;
    uint256 public totalContributed;

    function add(address funder, uint256 amount) external {
        if (contributionOf[funder] == 0) _funders.push(funder);
        contributionOf[funder] += amount;
        totalContributed += amount;
    }

    function funders() external view returns (address[] memory) {
        return _funders;
    }

    receive() external payable {}
}

/// @notice Makes `TestCoFundingPool`s and tells them apart from other contracts.
contract TestCoFundingFactory is ICoFundingFactory {
    mapping(address account => bool) public isPool;

    function make() external returns (TestCoFundingPool pool) {
        pool = new TestCoFundingPool();
        isPool[address(pool)] = true;
    }
}
