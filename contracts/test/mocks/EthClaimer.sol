// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice A requester contract that publishes ETH tasks and then either refuses ETH
///         (`Refuse`) or tries to claim again from inside the payment (`Reenter`).
contract EthClaimer {
    enum Behaviour {
        Refuse,
        Reenter
    }

    ITaskMarket public immutable market;
    Behaviour public immutable behaviour;
    bool public reentered;
    bytes public reentryError;

    constructor(ITaskMarket market_, Behaviour behaviour_) {
        market = market_;
        behaviour = behaviour_;
    }

    function publish(ITaskMarket.TaskParams calldata params) external payable returns (uint256) {
        return market.publish{value: msg.value}(params);
    }

    function cancel(uint256 taskId) external {
        market.cancel(taskId);
    }

    function claim() external {
        market.claim(address(0));
    }

    receive() external payable {
        if (behaviour == Behaviour.Refuse) revert("no ETH");
        if (!reentered) {
            reentered = true;
            try market.claim(address(0)) {}
            catch (bytes memory err) {
                reentryError = err;
            }
        }
    }
}
