// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeFixture} from "../DisputeFixture.sol";
import {DisputeHandler} from "./DisputeHandler.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {IArbitration} from "../../src/interfaces/IArbitration.sol";
import {INodeRegistry} from "../../src/interfaces/INodeRegistry.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice The settlement invariant with challenges and arbitration in the mix: escrow is paid out
///         exactly once whether a task settles, expires, is cancelled, fails or is slashed; the
///         arbitration contract holds exactly the open bonds plus what it owes; held tasks keep
///         their collateral locked.
contract ArbitrationInvariantTest is DisputeFixture {
    MarketHandler internal marketHandler;
    DisputeHandler internal disputeHandler;

    function setUp() public override {
        super.setUp();
        address[] memory requesters = new address[](1);
        requesters[0] = requester;
        address[] memory strategies = new address[](1);
        strategies[0] = address(firstCome);
        marketHandler = new MarketHandler(
            MarketHandler.Protocol({
                nnt: nnt, market: market, config: config, registry: registry, pool: pool, usdc: usdc, oracle: oracle, treasury: treasury
            }),
            strategies,
            nodes,
            requesters
        );
        assertTrue(nnt.transfer(address(marketHandler), 100_000 * NNT));
        market.grantRole(market.DEFAULT_ADMIN_ROLE(), address(marketHandler)); // varies the abandon penalty
        address[] memory voters = new address[](2);
        (voters[0], voters[1]) = (address(this), juror);
        disputeHandler = new DisputeHandler(nnt, market, arbitration, voters, marketHandler.allAccounts());
        assertTrue(nnt.transfer(address(disputeHandler), 100_000 * NNT));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](2);
        (targets[0], targets[1]) = (address(marketHandler), address(disputeHandler));
    }

    /// @notice sum(payouts) + fee + refund == escrow in every path: the market holds exactly its
    ///         credits plus the budgets of open tasks (held ones included).
    function invariant_marketHoldsCreditsPlusOpenEscrow() public view {
        assertEq(address(market).balance, _owed(address(0)), "ETH");
        assertEq(usdc.balanceOf(address(market)), _owed(address(usdc)), "USDC");
    }

    /// @notice Every wei credited by the market is the budget of a task closed exactly once.
    function invariant_closedTasksPayExactlyOnce() public view {
        uint256 closed;
        for (uint256 id = 1; id <= market.taskCount(); ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            assertLe(disputeHandler.slashings(id), t.replication, "each node slashed at most once");
            if (!_open(t.status) && t.token == address(0)) closed += t.budget;
        }
        assertEq(marketHandler.claimedFromMarket(address(0)) + _credits(address(0)), closed, "ETH credits");
    }

    /// @notice NNT borrowed across a block boundary and repaid never counts in a dispute vote
    ///         (weights must be held both before the dispute opened and at its snapshot).
    function invariant_borrowedVotesNeverCount() public view {
        assertEq(disputeHandler.borrowedVotesCounted(), 0, "borrowed weight voted");
    }

    /// @notice The arbitration holds exactly the bonds of open disputes plus its credits.
    function invariant_arbitrationHoldsBondsPlusCredits() public view {
        uint256 owed;
        for (uint256 id = 1; id <= arbitration.disputeCount(); ++id) {
            IArbitration.Dispute memory d = arbitration.getDispute(id);
            if (d.status == IArbitration.DisputeStatus.Open) owed += d.bond;
        }
        address[] memory accounts = disputeHandler.allAccounts();
        for (uint256 i; i < accounts.length; ++i) {
            owed += arbitration.claimable(accounts[i]);
        }
        owed += arbitration.claimable(challenger) + arbitration.claimable(address(this));
        assertEq(nnt.balanceOf(address(arbitration)), owed, "arbitration balance");
    }

    /// @notice A node's locked stake is exactly the collateral of its Locked, Frozen and Held
    ///         bonds (applicants, assignees, outvoted nodes awaiting their window, challenged
    ///         ones), never more than its stake; every slash is of a bond, once.
    function invariant_lockedIsLiveCollateral() public view {
        address[] memory all = marketHandler.allNodes();
        for (uint256 n; n < all.length; ++n) {
            uint256 held;
            for (uint256 id = 1; id <= market.taskCount(); ++id) {
                ITaskMarket.Bond b = market.participationOf(id, all[n]).bond;
                if (b == ITaskMarket.Bond.Locked || b == ITaskMarket.Bond.Frozen || b == ITaskMarket.Bond.Held) {
                    held += market.getTask(id).collateral;
                }
            }
            INodeRegistry.Node memory node = registry.getNode(all[n]);
            assertEq(uint256(node.locked), held, "locked");
            assertLe(uint256(node.locked), uint256(node.staked), "locked <= staked");
        }
    }

    function _open(ITaskMarket.TaskStatus s) internal pure returns (bool) {
        return s == ITaskMarket.TaskStatus.Published || s == ITaskMarket.TaskStatus.Assigned
            || s == ITaskMarket.TaskStatus.Running || s == ITaskMarket.TaskStatus.Submitted
            || s == ITaskMarket.TaskStatus.Verifying || s == ITaskMarket.TaskStatus.Disputed;
    }

    function _credits(address token) internal view returns (uint256 total) {
        address[] memory accounts = marketHandler.allAccounts();
        for (uint256 i; i < accounts.length; ++i) {
            total += market.claimable(token, accounts[i]);
        }
    }

    function _owed(address token) internal view returns (uint256 total) {
        total = _credits(token);
        for (uint256 id = 1; id <= market.taskCount(); ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            if (t.token == token && _open(t.status)) total += t.budget;
        }
    }
}
