// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {CoFundingFixture} from "../CoFundingFixture.sol";
import {CoFundingHandler} from "./CoFundingHandler.sol";
import {CoFundingPool} from "../../src/funding/CoFundingPool.sol";
import {ICoFundingPool} from "../../src/interfaces/ICoFunding.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Conservation of co-funded money over random sequences: every pool holds, with what
///         the market owes it, exactly what its funders can claim; no funder gets more than its
///         contribution's share of what came back; a pool gets back at most its budget, and all
///         of it when the task ended without a settlement.
contract CoFundingInvariantTest is CoFundingFixture {
    CoFundingHandler internal handler;

    function setUp() public override {
        super.setUp();
        // the first funder also runs a node (it applies, submits and dissents like the others)
        _registerAndStake(alice, NODE_STAKE, NODE_CLASS);
        address[] memory people = new address[](4);
        (people[0], people[1], people[2], people[3]) = (alice, bob, carol, stranger);
        address[] memory workers = new address[](4);
        (workers[0], workers[1], workers[2], workers[3]) = (alice, nodes[0], nodes[1], nodes[2]);
        handler = new CoFundingHandler(factory, market, address(firstCome), people, workers);
    }

    /// @dev Read by forge: only the handler is called during invariant runs.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice balance + market credit == sum of what the funders can claim (after funding);
    ///         while funding, the balance is exactly the contributions.
    function invariant_poolHoldsExactlyWhatItsFundersCanClaim() public view {
        CoFundingPool[] memory pools = handler.allPools();
        for (uint256 p; p < pools.length; ++p) {
            CoFundingPool pool = pools[p];
            if (pool.status() == ICoFundingPool.PoolStatus.Funding) {
                assertEq(address(pool).balance, pool.totalContributed(), "funding: the contributions");
                continue;
            }
            uint256 held = address(pool).balance + market.claimable(address(0), address(pool));
            assertEq(held, _claimable(pool), "held == sum(claimableOf)");
        }
    }

    /// @notice Each funder's payments match the ghost record; non-leads never get more than
    ///         their floor share of what came back, the lead at least its share and at most a
    ///         rounding remainder over it; what came back is at most the budget, all of it when
    ///         the task ended without settlement (or funding lapsed).
    function invariant_noFunderGetsMoreThanItsShare() public view {
        CoFundingPool[] memory pools = handler.allPools();
        for (uint256 p; p < pools.length; ++p) {
            CoFundingPool pool = pools[p];
            if (pool.status() == ICoFundingPool.PoolStatus.Funding) continue;
            address[] memory fs = pool.funders();
            uint256 total = pool.totalContributed();
            uint256 came;
            for (uint256 i; i < fs.length; ++i) {
                assertEq(pool.paidTo(fs[i], address(0)), handler.received(address(pool), fs[i]), "ghost");
                came += pool.paidTo(fs[i], address(0)) + pool.claimableOf(fs[i], address(0));
            }
            assertLe(came, total, "never more back than the budget");
            if (_endedUnsettled(pool)) assertEq(came, total, "all of it back");
            for (uint256 i = 1; i < fs.length; ++i) {
                uint256 got = pool.paidTo(fs[i], address(0)) + pool.claimableOf(fs[i], address(0));
                assertLe(got, Math.mulDiv(came, pool.contributionOf(fs[i]), total), "non-lead: floor share");
                assertLe(got, pool.contributionOf(fs[i]), "at most its contribution");
            }
            uint256 leadGot = pool.paidTo(fs[0], address(0)) + pool.claimableOf(fs[0], address(0));
            uint256 leadShare = Math.mulDiv(came, pool.contributionOf(fs[0]), total);
            assertGe(leadGot, leadShare, "lead: at least its share");
            assertLe(leadGot, leadShare + fs.length * (handler.distributions(address(pool)) + 1), "lead: remainders");
        }
    }

    function _claimable(CoFundingPool pool) internal view returns (uint256 sum) {
        address[] memory fs = pool.funders();
        for (uint256 i; i < fs.length; ++i) {
            sum += pool.claimableOf(fs[i], address(0));
        }
    }

    function _endedUnsettled(CoFundingPool pool) internal view returns (bool) {
        if (pool.status() == ICoFundingPool.PoolStatus.Refunding) return true;
        ITaskMarket.TaskStatus s = market.getTask(pool.taskId()).status;
        return s == ITaskMarket.TaskStatus.Cancelled || s == ITaskMarket.TaskStatus.Expired
            || s == ITaskMarket.TaskStatus.Failed;
    }
}
