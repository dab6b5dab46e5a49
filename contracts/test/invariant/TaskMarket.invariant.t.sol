// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "../Fixture.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";
import {INodeRegistry} from "../../src/interfaces/INodeRegistry.sol";

/// @notice Escrow and stake conservation over random sequences of lifecycle steps.
contract TaskMarketInvariantTest is Fixture {
    MarketHandler internal handler;

    function setUp() public override {
        super.setUp();
        address second = makeAddr("requester2");
        vm.prank(second);
        usdc.approve(address(market), type(uint256).max);
        address[] memory requesters = new address[](2);
        (requesters[0], requesters[1]) = (requester, second);
        handler = new MarketHandler(market, registry, usdc, address(firstCome), nodes, requesters, treasury);
    }

    /// @dev Read by forge: only the handler is called during invariant runs.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice The market holds, per token, exactly what it owes: credits plus open escrow.
    function invariant_marketBalanceEqualsClaimablesPlusOpenEscrow() public view {
        assertEq(address(market).balance, _owed(address(0)), "ETH");
        assertEq(usdc.balanceOf(address(market)), _owed(address(usdc)), "USDC");
    }

    /// @notice The registry holds exactly every node's stake and unbonding plus slashed credits.
    function invariant_registryBalanceEqualsStakePlusCredits() public view {
        address[] memory accounts = handler.allAccounts();
        uint256 total;
        for (uint256 i; i < accounts.length; ++i) {
            INodeRegistry.Node memory n = registry.getNode(accounts[i]);
            total += uint256(n.staked) + n.unbonding + registry.claimable(accounts[i]);
        }
        assertEq(nnt.balanceOf(address(registry)), total);
    }

    /// @notice Each node's locked stake is exactly the collateral of its live assignments.
    function invariant_lockedEqualsLiveCollateral() public view {
        address[] memory all = handler.allNodes();
        uint256[] memory live = new uint256[](all.length);
        uint256 count = market.taskCount();
        for (uint256 id = 1; id <= count; ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            if (t.status != ITaskMarket.TaskStatus.Assigned && t.status != ITaskMarket.TaskStatus.Submitted) continue;
            address[] memory assignees = market.assigneesOf(id);
            for (uint256 a; a < assignees.length; ++a) {
                for (uint256 n; n < all.length; ++n) {
                    if (all[n] == assignees[a]) live[n] += t.collateral;
                }
            }
        }
        for (uint256 n; n < all.length; ++n) {
            INodeRegistry.Node memory node = registry.getNode(all[n]);
            assertEq(uint256(node.locked), live[n], "locked");
            assertLe(uint256(node.locked), uint256(node.staked));
        }
    }

    function _owed(address token) internal view returns (uint256 total) {
        address[] memory accounts = handler.allAccounts();
        for (uint256 i; i < accounts.length; ++i) {
            total += market.claimable(token, accounts[i]);
        }
        uint256 count = market.taskCount();
        for (uint256 id = 1; id <= count; ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            if (t.token != token) continue;
            ITaskMarket.TaskStatus s = t.status;
            if (
                s == ITaskMarket.TaskStatus.Published || s == ITaskMarket.TaskStatus.Assigned
                    || s == ITaskMarket.TaskStatus.Submitted
            ) {
                total += t.budget;
            }
        }
    }
}
