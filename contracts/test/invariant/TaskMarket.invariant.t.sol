// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "../Fixture.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";
import {INodeRegistry} from "../../src/interfaces/INodeRegistry.sol";

/// @notice Escrow, stake and bonus conservation over random sequences of lifecycle steps.
contract TaskMarketInvariantTest is Fixture {
    MarketHandler internal handler;
    address internal secondRequester;

    function setUp() public override {
        super.setUp();
        address second = makeAddr("requester2");
        secondRequester = second;
        vm.prank(second);
        usdc.approve(address(market), type(uint256).max);
        address[] memory requesters = new address[](2);
        (requesters[0], requesters[1]) = (requester, second);
        address[] memory strategies = new address[](4);
        (strategies[0], strategies[1], strategies[2], strategies[3]) =
        (address(firstCome), address(reputationPriority), address(lowestPrice), address(stakeWeighted));
        // adversarial actors: the first requester also runs a node (it applies, submits,
        // abandons and dissents like the others), and the handler's `squat` step has up to 16
        // nodes fill a task's applicant list and price themselves out
        _registerAndStake(requester, NODE_STAKE, NODE_CLASS);
        address[] memory actors = new address[](nodes.length + 1);
        for (uint256 i; i < nodes.length; ++i) {
            actors[i] = nodes[i];
        }
        actors[nodes.length] = requester;
        handler = new MarketHandler(
            MarketHandler.Protocol({
                nnt: nnt, market: market, config: config, registry: registry, pool: pool, usdc: usdc, oracle: oracle, treasury: treasury
            }),
            strategies,
            actors,
            requesters
        );
        assertTrue(nnt.transfer(address(handler), 100_000 * NNT)); // for stake and pool funding
        config.grantRole(config.DEFAULT_ADMIN_ROLE(), address(handler)); // varies the abandon penalty
        config.setRewardPerComputeUnit(1e12); // up to 1 NNT per node and task
    }

    /// @dev Read by forge: only the handler is called during invariant runs.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice For every token, the market holds exactly what it owes: credits plus open escrow.
    function invariant_marketBalanceEqualsClaimablesPlusOpenEscrow() public view {
        assertEq(address(market).balance, _owed(address(0)), "ETH");
        assertEq(usdc.balanceOf(address(market)), _owed(address(usdc)), "USDC");
    }

    /// @notice A closed task never pays again: every wei ever credited (claimed or still
    ///         claimable) is the budget of a task closed exactly once.
    function invariant_closedTasksPayExactlyOnce() public view {
        uint256 count = market.taskCount();
        uint256[2] memory closedBudgets;
        for (uint256 id = 1; id <= count; ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            bool closed = t.status == ITaskMarket.TaskStatus.Settled || t.status == ITaskMarket.TaskStatus.Expired
                || t.status == ITaskMarket.TaskStatus.Cancelled || t.status == ITaskMarket.TaskStatus.Failed;
            assertEq(handler.closings(id), closed ? 1 : 0, "closed once");
            if (closed) closedBudgets[t.token == address(0) ? 0 : 1] += t.budget;
        }
        assertEq(handler.claimedFromMarket(address(0)) + _credits(address(0)), closedBudgets[0], "ETH credits");
        assertEq(handler.claimedFromMarket(address(usdc)) + _credits(address(usdc)), closedBudgets[1], "USDC credits");
    }

    /// @notice The pool holds what is available plus what it owes, and never grants more than
    ///         it was funded.
    function invariant_poolBalanceEqualsAvailablePlusClaimables() public view {
        address[] memory accounts = handler.allAccounts();
        uint256 owed;
        for (uint256 i; i < accounts.length; ++i) {
            owed += pool.claimable(accounts[i]);
        }
        assertEq(nnt.balanceOf(address(pool)), pool.available() + owed, "balance");
        assertEq(pool.totalClaimable(), owed, "total");
        assertEq(pool.available() + owed + handler.claimedFromPool(), handler.poolFunded(), "funded");
    }

    /// @notice The registry holds exactly every node's stake and unbonding plus slashed credits,
    ///         and each node's locked stake is the collateral of its live assignments, never more
    ///         than its stake.
    function invariant_registryBalanceAndCollateral() public view {
        address[] memory accounts = handler.allAccounts();
        uint256 total;
        for (uint256 i; i < accounts.length; ++i) {
            INodeRegistry.Node memory n = registry.getNode(accounts[i]);
            total += uint256(n.staked) + n.unbonding + registry.claimable(accounts[i]);
        }
        assertEq(nnt.balanceOf(address(registry)), total, "registry balance");

        address[] memory all = handler.allNodes();
        for (uint256 n; n < all.length; ++n) {
            INodeRegistry.Node memory node = registry.getNode(all[n]);
            assertEq(uint256(node.locked), _held(all[n]), "locked == collateral of Locked, Frozen and Held bonds");
            assertLe(uint256(node.locked), uint256(node.staked), "locked <= staked");
        }
    }

    /// @notice No bond outlives its task's exits: an ended task holds only frozen or held
    ///         bonds (each with its own exit), and none once its freeze window is over and
    ///         anyone released them; a Published task's bonds are its applicants'.
    function invariant_everyBondHasAnExit() public view {
        address[] memory all = handler.allNodes();
        uint256 count = market.taskCount();
        for (uint256 id = 1; id <= count; ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            bool ended = t.status == ITaskMarket.TaskStatus.Expired || t.status == ITaskMarket.TaskStatus.Cancelled
                || t.status == ITaskMarket.TaskStatus.Failed || t.status == ITaskMarket.TaskStatus.Settled;
            if (!ended) continue;
            for (uint256 n; n < all.length; ++n) {
                ITaskMarket.Bond b = market.participationOf(id, all[n]).bond;
                assertTrue(b != ITaskMarket.Bond.Locked, "no Locked bond on an ended task");
                if (b == ITaskMarket.Bond.Frozen) {
                    assertEq(uint256(t.status), uint256(ITaskMarket.TaskStatus.Settled), "frozen only when settled");
                }
            }
        }
    }

    /// @dev The collateral `node` has locked, wholly, in some task.
    function _held(address node) internal view returns (uint256 total) {
        uint256 count = market.taskCount();
        for (uint256 id = 1; id <= count; ++id) {
            ITaskMarket.Bond b = market.participationOf(id, node).bond;
            if (b == ITaskMarket.Bond.Locked || b == ITaskMarket.Bond.Frozen || b == ITaskMarket.Bond.Held) {
                total += market.getTask(id).collateral;
            }
        }
    }

    /// @notice No penalty, forfeit or missed collateral ever flows to a requester (one of which
    ///         also runs a node): it all goes to the treasury.
    function invariant_penaltiesNeverFlowToRequesters() public view {
        assertEq(registry.claimable(requester), 0, "requester");
        assertEq(registry.claimable(secondRequester), 0, "requester2");
    }

    /// @notice An abandoning node loses exactly the penalty of its collateral, never more.
    function invariant_abandonSlashesExactlyThePenalty() public view {
        assertEq(handler.abandonStakeLoss(), handler.abandonSlashed(), "abandon slash");
    }

    function _live(ITaskMarket.TaskStatus s) internal pure returns (bool) {
        return s == ITaskMarket.TaskStatus.Assigned || s == ITaskMarket.TaskStatus.Running
            || s == ITaskMarket.TaskStatus.Submitted || s == ITaskMarket.TaskStatus.Verifying
            || s == ITaskMarket.TaskStatus.Disputed;
    }

    function _credits(address token) internal view returns (uint256 total) {
        address[] memory accounts = handler.allAccounts();
        for (uint256 i; i < accounts.length; ++i) {
            total += market.claimable(token, accounts[i]);
        }
    }

    function _owed(address token) internal view returns (uint256 total) {
        total = _credits(token);
        uint256 count = market.taskCount();
        for (uint256 id = 1; id <= count; ++id) {
            ITaskMarket.Task memory t = market.getTask(id);
            if (t.token == token && (t.status == ITaskMarket.TaskStatus.Published || _live(t.status))) {
                total += t.budget;
            }
        }
    }
}
