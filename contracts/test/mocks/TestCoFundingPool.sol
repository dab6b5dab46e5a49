// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice A test double of the part of `ICoFundingPool` the model library reads (funders and
///         their contributions), set by the test with no money behind them: the pool's escrow is
///         the co-funding contracts' own business, tested with them.
contract TestCoFundingPool {
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

/// @notice Makes `TestCoFundingPool`s and tells them apart from other contracts (`ICoFundingFactory.isPool`).
contract TestCoFundingFactory {
    mapping(address account => bool) public isPool;

    function make() external returns (TestCoFundingPool pool) {
        pool = new TestCoFundingPool();
        isPool[address(pool)] = true;
    }
}
