// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeFixture} from "../DisputeFixture.sol";
import {SpotCheckHandler} from "./SpotCheckHandler.sol";
import {ISpotCheck} from "../../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Spot-check fees over random sequences: SpotCheck holds exactly the unspent fees plus
///         what it owes, every escrowed fee is spent at most once, and a task is held as
///         Verifying exactly while its check is.
contract SpotCheckInvariantTest is DisputeFixture {
    SpotCheckHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[] memory verifiers = new address[](5);
        for (uint256 i; i < verifiers.length; ++i) {
            verifiers[i] = nodes[i];
            vm.prank(nodes[i]);
            spotCheck.join();
        }
        vm.roll(block.number + 1);
        handler = new SpotCheckHandler(market, spotCheck, arbitration, requester, address(firstCome), verifiers);
        vm.deal(requester, 1_000_000 ether);
        nnt.delegate(address(handler)); // the test contract's votes (most of the supply) decide disputes
        vm.roll(block.number + 1);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice balance == sum(fee of Enabled and Verifying checks) + sum(claimable).
    function invariant_holdsUnspentFeesPlusCredits() public view {
        (uint256 unspent,) = _fees();
        assertEq(address(spotCheck).balance, unspent + _credits(), "SpotCheck balance");
    }

    /// @notice Every escrowed fee is unspent, owed or claimed: credited at most once in total.
    function invariant_eachFeeCreditedOnce() public view {
        (uint256 unspent,) = _fees();
        assertEq(handler.escrowed(), unspent + _credits() + handler.claimed(), "fees conserved");
    }

    /// @notice The market holds a task as Verifying exactly while its check is Verifying, and a
    ///         task that ended has a fee that is spent or still refundable (never lost).
    function invariant_verifyingMatchesTheTask() public view {
        uint256[] memory ids = handler.allTasks();
        for (uint256 i; i < ids.length; ++i) {
            ISpotCheck.Check memory c = spotCheck.getCheck(ids[i]);
            bool held = market.getTask(ids[i]).status == ITaskMarket.TaskStatus.Verifying;
            assertTrue(held == (c.status == ISpotCheck.CheckStatus.Verifying), "held while verifying");
            if (c.status == ISpotCheck.CheckStatus.Verifying) {
                assertTrue((c.drawBlock == 0) != (c.verifier == address(0)), "a pending draw or a verifier");
            }
        }
    }

    function _fees() internal view returns (uint256 unspent, uint256 total) {
        uint256[] memory ids = handler.allTasks();
        for (uint256 i; i < ids.length; ++i) {
            ISpotCheck.Check memory c = spotCheck.getCheck(ids[i]);
            total += c.fee;
            if (c.status == ISpotCheck.CheckStatus.Enabled || c.status == ISpotCheck.CheckStatus.Verifying) {
                unspent += c.fee;
            }
        }
    }

    function _credits() internal view returns (uint256 total) {
        address[] memory all = handler.accounts();
        for (uint256 i; i < all.length; ++i) {
            total += spotCheck.claimable(all[i]);
        }
    }
}
