// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "../Vm.sol";
import {HomeGatewayFixture} from "./HomeGateway.t.sol";
import {HomeGateway} from "../../src/crosschain/HomeGateway.sol";
import {OriginPayouts} from "../../src/crosschain/OriginPayouts.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice A payout router that refuses every call (reverts), for the "broken router" tests.
contract RevertingRouter {
    function routePayout(uint256, address, address, uint256) external pure returns (bool) {
        revert("broken");
    }
}

/// @notice A payout router that burns all the gas it is given.
contract GasBurningRouter {
    uint256 public spins;

    function routePayout(uint256, address, address, uint256) external returns (bool) {
        while (gasleft() > 0) ++spins;
        return true;
    }
}

/// @notice Nodes of a bridged task are paid on its origin chain by default: the home gateway is
///         the market's payout router, the market credits their payouts to the task's account,
///         and SETTLE credits them on the spoke. A node may ask for the home chain. Conservation
///         across both chains to the wei, attackers, and a router that fails.
contract OriginPayoutsTest is HomeGatewayFixture {
    function setUp() public override {
        super.setUp();
        config.setPayoutRouter(address(home)); // the test contract is the config's admin
    }

    /// @dev Settles `tid` and returns each paid node with its net payout, read from the
    ///      market's `NodePaid` events (independently of where the market credited them).
    function _settleRecorded(uint256 tid) internal returns (address[] memory paid, uint256[] memory amounts) {
        _closeWindow(tid);
        vm.recordLogs();
        market.settle(tid);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 n;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(market) && logs[i].topics[0] == ITaskMarket.NodePaid.selector) ++n;
        }
        (paid, amounts) = (new address[](n), new uint256[](n));
        n = 0;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(market) || logs[i].topics[0] != ITaskMarket.NodePaid.selector) continue;
            paid[n] = address(uint160(uint256(logs[i].topics[2])));
            amounts[n++] = abi.decode(logs[i].data, (uint256));
        }
    }

    /// @dev The fixture's task terms with deadlines counted from now (tests bridge more than one).
    function _paramsNow() internal view returns (ITaskMarket.TaskParams memory p) {
        p = _params();
        (p.applyDeadline, p.deadline) = (uint64(block.timestamp + 1 hours), uint64(block.timestamp + 1 days));
    }

    function _bridgedAndSubmitted(bytes32[] memory digests) internal returns (uint256 eid, uint256 tid) {
        (eid, tid) = _bridge(payer, _paramsNow());
        _apply(tid, 3);
        market.assign(tid);
        _submitAll(tid, digests);
    }

    // ------------------------------------------------------------------ round trips

    function test_nodesArePaidOnTheOriginChainByDefault() public {
        (uint256 eid, uint256 tid) = _bridgedAndSubmitted(_same(3, RESULT_A));
        (address[] memory paid, uint256[] memory amounts) = _settleRecorded(tid);
        assertEq(paid.length, 3, "three nodes paid");
        uint256 nodesTotal;
        for (uint256 i; i < 3; ++i) {
            assertEq(market.claimable(address(0), paid[i]), 0, "nothing for the node on home");
            nodesTotal += amounts[i];
        }
        OriginPayouts.Payout[] memory routed = home.routedPayouts(tid);
        assertEq(routed.length, 3, "every payout routed");
        uint256 fee = market.claimable(address(0), treasury);
        assertTrue(fee != 0, "the treasury's fee stays on home");
        uint256 refund = _relaySettlement(tid) - nodesTotal;
        assertEq(fee + nodesTotal + refund, 1 ether, "market: budget = fee + nodes + refund");
        for (uint256 i; i < 3; ++i) {
            assertEq(routed[i].node, paid[i]);
            assertEq(routed[i].amount, amounts[i]);
            assertEq(spoke.credits(paid[i]), amounts[i], "node credited its payout on the spoke");
        }
        assertEq(spoke.credits(backer), fee, "backer reimbursed the fee the pool paid on home");
        assertEq(spoke.credits(payer), refund, "payer refunded on the spoke");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
        assertEq(home.liquidity() + fee + HOME_FEE, POOL, "pool whole with the backer's credit");
        assertEq(address(home).balance, home.liquidity(), "gateway holds exactly its liquidity");
        // every node claims on the spoke; the escrow ends empty
        for (uint256 i; i < 3; ++i) {
            uint256 before = paid[i].balance;
            vm.prank(paid[i]);
            spoke.claim();
            assertEq(paid[i].balance - before, amounts[i]);
        }
        vm.prank(payer);
        spoke.claim();
        vm.prank(backer);
        spoke.claim();
        assertEq(address(spoke).balance, 0, "spoke escrow fully paid out");
        assertEq(_account(tid).balance, 0, "the account keeps nothing");
        assertEq(market.claimable(address(0), _account(tid)), 0, "the account owes nothing more");
    }

    function test_nodeThatAsksForHomeIsPaidOnHome() public {
        vm.prank(nodes[1]);
        home.setPaidOnHome(true);
        (, uint256 tid) = _bridgedAndSubmitted(_same(3, RESULT_A));
        (address[] memory paid, uint256[] memory amounts) = _settleRecorded(tid);
        uint256 onHome;
        for (uint256 i; i < 3; ++i) {
            if (paid[i] == nodes[1]) onHome = amounts[i];
        }
        assertTrue(onHome != 0);
        assertEq(market.claimable(address(0), nodes[1]), onHome, "paid on home as asked");
        assertEq(home.routedPayouts(tid).length, 2, "the two others routed");
        uint256 fee = market.claimable(address(0), treasury);
        _relaySettlement(tid);
        assertEq(spoke.credits(nodes[1]), 0, "nothing for it on the spoke");
        assertEq(spoke.credits(backer), fee + onHome, "backer reimbursed the fee and the home node");
        assertEq(
            spoke.credits(nodes[0]) + spoke.credits(nodes[2]) + spoke.credits(backer) + spoke.credits(payer),
            1 ether,
            "escrow = payouts + backer + refund"
        );
        assertEq(home.liquidity() + spoke.credits(backer) + HOME_FEE, POOL, "pool whole with the backer's credit");
    }

    function test_choiceMadeAfterSettlementChangesNothingForThatTask() public {
        (, uint256 tid) = _bridgedAndSubmitted(_same(3, RESULT_A));
        _settleRecorded(tid);
        vm.prank(nodes[0]);
        home.setPaidOnHome(true); // too late for this task
        _relaySettlement(tid);
        assertTrue(spoke.credits(nodes[0]) != 0, "still paid on the spoke");
        assertEq(market.claimable(address(0), nodes[0]), 0);
    }

    function test_homeTaskIsNotRouted() public {
        uint256 tid = _assigned(_params()); // published on home by a home requester
        _submitAll(tid, _same(3, RESULT_A));
        _settleRecorded(tid);
        assertTrue(market.claimable(address(0), nodes[0]) != 0, "home task: paid on home");
        assertEq(home.routedPayouts(tid).length, 0);
    }

    function test_dissentersAreNotPaidAnywhere() public {
        (, uint256 tid) = _bridgedAndSubmitted(_three(RESULT_A, RESULT_A, RESULT_B));
        (address[] memory paid,) = _settleRecorded(tid);
        assertEq(paid.length, 2);
        _relaySettlement(tid);
        assertEq(spoke.credits(nodes[2]), 0, "the outvoted node gets nothing on the spoke");
        assertEq(market.claimable(address(0), nodes[2]), 0, "nor on home");
    }

    /// @dev What routing costs at settlement: the same settlement of three paid nodes with the
    ///      router and without (the routed run first, cold, so the difference errs high).
    function test_routingAddsUnder100kGasPerPaidNode() public {
        (, uint256 tid) = _bridgedAndSubmitted(_same(3, RESULT_A));
        _closeWindow(tid);
        uint256 snapshot = vm.snapshotState();
        uint256 before = gasleft();
        market.settle(tid);
        uint256 routed = before - gasleft();
        assertEq(home.routedPayouts(tid).length, 3);
        vm.revertToState(snapshot);
        config.setPayoutRouter(address(0));
        before = gasleft();
        market.settle(tid);
        uint256 plain = before - gasleft();
        assertEq(home.routedPayouts(tid).length, 0);
        emit SettlementGas(routed, plain);
        assertTrue(routed > plain, "routing costs something");
        assertLt((routed - plain) / 3, 100_000, "routing one payout costs under 100k gas");
    }

    event SettlementGas(uint256 routed, uint256 plain);

    // ------------------------------------------------------------------ attackers

    /// @dev Only the market may route: a node (or anyone) calling the router directly to
    ///      credit itself on the spoke is refused.
    function test_onlyTheMarketRoutes() public {
        (, uint256 tid) = _bridge(payer, _params());
        address account = _account(tid);
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(OriginPayouts.NotMarket.selector, nodes[0]));
        home.routePayout(tid, account, nodes[0], 1 ether);
    }

    /// @dev The market offering a payout of a task whose account is not the given requester (a
    ///      forged requester) or of a relayed task is not routed.
    function test_routesOnlyUnrelayedTasksOfTheirAccount() public {
        (, uint256 tid) = _bridge(payer, _params());
        vm.prank(address(market));
        assertFalse(home.routePayout(tid, stranger, nodes[0], 1), "wrong account");
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        address account = _account(tid);
        vm.prank(address(market));
        assertFalse(home.routePayout(tid, account, nodes[0], 1), "already relayed");
    }

    /// @dev The payer also runs a node of its own task: paid its node payout on the spoke,
    ///      refunded what the market refunded, nothing extra; the backer covers only the fee.
    function test_payerThatIsAlsoANodeIsPaidOnceAsNodeOnce() public {
        address self = nodes[0];
        vm.deal(self, 10 ether);
        (, uint256 tid) = _bridge(self, _params());
        _apply(tid, 3);
        market.assign(tid);
        _submitAll(tid, _same(3, RESULT_A));
        (address[] memory paid, uint256[] memory amounts) = _settleRecorded(tid);
        uint256 asNode;
        uint256 nodesTotal;
        for (uint256 i; i < paid.length; ++i) {
            if (paid[i] == self) asNode = amounts[i];
            nodesTotal += amounts[i];
        }
        uint256 fee = market.claimable(address(0), treasury);
        _relaySettlement(tid);
        uint256 refund = 1 ether - fee - nodesTotal;
        assertEq(spoke.credits(self), asNode + refund, "its node payout and its refund, once each");
        assertEq(spoke.credits(backer), fee);
    }

    /// @dev A router that reverts or burns its gas cannot block settlement: nodes are paid on
    ///      home, the relay reimburses the backer for them, the escrow still balances.
    function test_brokenRouterLeavesPayoutsOnHome() public {
        RevertingRouter reverting = new RevertingRouter();
        GasBurningRouter burning = new GasBurningRouter();
        address[3] memory routers = [address(reverting), address(burning), address(0xdead)]; // the last has no code
        for (uint256 r; r < routers.length; ++r) {
            config.setPayoutRouter(routers[r]);
            (uint256 eid, uint256 tid) = _bridgedAndSubmitted(_same(3, RESULT_A));
            uint256 before = market.claimable(address(0), nodes[0]);
            _settleRecorded(tid);
            assertTrue(market.claimable(address(0), nodes[0]) > before, "paid on home");
            assertEq(home.routedPayouts(tid).length, 0);
            uint256 backerBefore = spoke.credits(backer);
            uint256 payerBefore = spoke.credits(payer);
            _relaySettlement(tid);
            assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
            assertEq(
                spoke.credits(backer) - backerBefore + spoke.credits(payer) - payerBefore, 1 ether, "escrow balances"
            );
        }
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Any budget, any outcome (agreed, split, expired), any set of nodes
    ///      asking for home: the escrow = spoke payouts + backer + refund, the backer's credit =
    ///      what the pool paid on home, every node paid exactly once on one chain.
    function testFuzz_conservationWithMixedPayoutChains(uint256 budget, uint8 outcome, uint8 homeMask) public {
        budget = bound(budget, 3000, 10 ether);
        for (uint256 i; i < 3; ++i) {
            if (homeMask & (1 << i) != 0) {
                vm.prank(nodes[i]);
                home.setPaidOnHome(true);
            }
        }
        ITaskMarket.TaskParams memory p = _params();
        p.budget = budget;
        (uint256 eid, uint256 tid) = _bridge(payer, p);
        address[] memory paid;
        uint256[] memory amounts;
        if (outcome % 3 == 2) {
            vm.warp(START + 1 days + 1);
            market.expire(tid);
        } else {
            _apply(tid, 3);
            market.assign(tid);
            _submitAll(tid, outcome % 3 == 0 ? _same(3, RESULT_A) : _three(RESULT_A, RESULT_A, RESULT_C));
            (paid, amounts) = _settleRecorded(tid);
        }
        uint256 homePaid = market.claimable(address(0), treasury);
        for (uint256 i; i < paid.length; ++i) {
            bool onHome = homeMask & (1 << _index(paid[i])) != 0;
            assertEq(market.claimable(address(0), paid[i]), onHome ? amounts[i] : 0, "home credit as chosen");
            if (onHome) homePaid += amounts[i];
        }
        _relaySettlement(tid);
        uint256 spokePaid;
        for (uint256 i; i < paid.length; ++i) {
            bool onHome = homeMask & (1 << _index(paid[i])) != 0;
            assertEq(spoke.credits(paid[i]), onHome ? 0 : amounts[i], "spoke credit as chosen");
            spokePaid += spoke.credits(paid[i]);
        }
        assertEq(spoke.credits(backer), homePaid, "backer = what the pool paid on home");
        assertEq(spokePaid + spoke.credits(backer) + spoke.credits(payer), budget, "escrow paid out exactly");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
        assertEq(home.liquidity() + homePaid + HOME_FEE, POOL, "pool whole with the backer's credit");
        assertEq(address(home).balance, home.liquidity());
    }

    function _index(address node) internal view returns (uint256) {
        for (uint256 i; i < nodes.length; ++i) {
            if (nodes[i] == node) return i;
        }
        revert("not a node");
    }
}
