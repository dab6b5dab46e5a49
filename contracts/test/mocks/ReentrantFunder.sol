// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICoFundingPool} from "../../src/interfaces/ICoFunding.sol";

/// @notice A funder contract that, when the pool pays it ETH, tries to take more from inside the
///         payment: claim again, contribute, or distribute. It records what the pool answered.
contract ReentrantFunder {
    ICoFundingPool public pool;
    uint256 public payments;
    bytes public reentryError;

    function setPool(ICoFundingPool pool_) external {
        pool = pool_;
    }

    function contribute(uint256 amount) external payable {
        pool.contribute{value: amount}(amount);
    }

    function claim() external {
        pool.claim(address(0));
    }

    receive() external payable {
        ++payments;
        if (payments > 1) return;
        try pool.claim(address(0)) {}
        catch (bytes memory err) {
            reentryError = err;
        }
    }
}
