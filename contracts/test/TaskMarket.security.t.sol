// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Fixture.sol";
import {RebasingERC20} from "./mocks/RebasingERC20.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice The audit's attacks on the market (issue 12), each driven as the attacker would and
///         shown to fail: the attacker's balance is unchanged or worse, honest parties are paid
///         exactly what the formula says. Items 1 and 18 are in `zk/ResultProofs.t.sol` (they
///         need proven results), item 2 in `Arbitration.t.sol`, item 10 in `TaskMarket.t.sol`.
contract TaskMarketSecurityTest is Fixture {
    // ================================================================ item 3: a requester's own node

    /// @dev The requester takes the first seat with a node it controls; after the honest
    ///      replicas submit, that node abandons. It used to void the honest work (full refund,
    ///      the penalty paid to the requester itself: net cost zero).
    function test_requesterNodeAbandoning_cannotVoidHonestWork() public {
        address own = _requesterNode();
        uint256 id = _publishWith(own, 3);
        _submit(id, nodes[0], RESULT_A);
        _submit(id, nodes[1], RESULT_A);
        uint256 requesterNnt = nnt.balanceOf(requester) + registry.getNode(own).staked;
        vm.prank(own);
        market.abandon(id, ITaskMarket.AbandonReason.NodeFault);
        _settle(id);

        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS, "honest paid");
        assertEq(market.claimable(address(0), nodes[1]), gross - gross * FEE_BPS / BPS, "honest paid");
        assertEq(market.claimable(address(0), requester), 1 ether - 2 * gross, "only its own seat refunded");
        assertEq(registry.claimable(requester), 0, "the penalty does not come back to it");
        assertLt(nnt.balanceOf(requester) + registry.getNode(own).staked, requesterNnt, "the attack costs it");
    }

    /// @dev With r = 2 the requester's node dissents: no majority used to refund everything.
    function test_requesterNodeDissenting_leadsToATieNotARefund() public {
        address own = _requesterNode();
        uint256 id = _publishWith(own, 2);
        _submit(id, own, RESULT_B);
        _submit(id, nodes[0], RESULT_A);
        _settle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Verifying);
        assertEq(market.claimable(address(0), requester), 0, "no refund");
        _settle(id); // the tie window passed without a challenge: every replica is paid
        uint256 gross = _gross(1 ether, 2, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS, "honest paid");
    }

    /// @dev The requester's node sits on its seat and lets the deadline pass: its collateral
    ///      used to go to the requester, and the honest results were voided.
    function test_requesterNodeMissing_paysTheHonestAndTheTreasury() public {
        address own = _requesterNode();
        uint256 id = _publishWith(own, 2);
        _submit(id, nodes[0], RESULT_A);
        vm.warp(market.getTask(id).deadline + 1);
        market.expire(id);
        _settle(id);
        uint256 gross = _gross(1 ether, 2, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS, "honest paid");
        assertEq(registry.claimable(requester), 0, "never to the requester");
        assertEq(registry.claimable(treasury), COLLATERAL);
    }

    // ================================================================ item 4: minted bonuses

    /// @dev A 1-wei, zero-collateral task claiming 2^64 - 1 compute units, run by the
    ///      requester's own node, used to drain the rewards pool.
    function test_selfDealtBonus_isCappedByTheFeePaid() public {
        nnt.approve(address(pool), 1_000_000 * NNT);
        pool.fund(1_000_000 * NNT);
        config.setRewardPerComputeUnit(1e18);
        address own = _requesterNode();
        ITaskMarket.TaskParams memory p = _params();
        p.budget = 1;
        p.replication = 1;
        p.collateral = 0;
        p.computeUnits = type(uint64).max;
        uint256 id = _publish(p);
        vm.prank(own);
        market.applyForTask(id);
        market.assign(id);
        _submit(id, own, RESULT_A);
        _settle(id);
        assertEq(pool.claimable(own), 0, "no bonus beyond the fee paid (0 wei)");
        assertEq(pool.available(), 1_000_000 * NNT, "pool untouched");
    }

    function test_bonus_isAtMostTheFeeValuedInNnt() public {
        nnt.approve(address(pool), 1_000_000 * NNT);
        pool.fund(1_000_000 * NNT);
        config.setRewardPerComputeUnit(1e18); // 1000 NNT per task: far beyond its fee
        uint256 id = _assigned(_params());
        _submitAll(id, _same(3, RESULT_A));
        _settle(id);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        uint256 fee = gross * FEE_BPS / BPS;
        assertEq(pool.claimable(nodes[0]), fee * 1000, "the fee's worth at 1000 NNT per ETH");
    }

    // ================================================================ item 8: applicant squatting

    /// @dev 16 staked Sybils fill the applicant list, then price themselves out: `assign` used
    ///      to revert and the task expired. Now honest nodes take the squatted slots, the task
    ///      is assigned, and each squatter forfeits the abandon penalty of its collateral.
    function test_sybilSquatters_cannotBlockATaskAndPayForTrying() public {
        uint256 id = _publish(_params());
        for (uint256 i; i < 16; ++i) {
            vm.prank(nodes[i]);
            market.applyForTask(id);
        }
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE - COLLATERAL, "applying locks the collateral");
        for (uint256 i; i < 16; ++i) {
            vm.prank(nodes[i]);
            registry.setPrice(address(0), type(uint256).max); // priced out
        }
        address[3] memory honest = [nodes[16], makeAddr("honest1"), makeAddr("honest2")];
        _registerAndStake(honest[1], NODE_STAKE, NODE_CLASS);
        _registerAndStake(honest[2], NODE_STAKE, NODE_CLASS);
        for (uint256 i; i < 3; ++i) {
            vm.prank(honest[i]);
            market.applyForTask(id); // takes a squatter's slot
        }
        vm.warp(market.getTask(id).applyDeadline);
        market.assign(id);
        address[] memory assignees = market.assigneesOf(id);
        for (uint256 i; i < 3; ++i) {
            assertEq(assignees[i], honest[i]);
        }
        uint256 penalty = uint256(COLLATERAL) / 10;
        for (uint256 i; i < 16; ++i) {
            assertEq(uint256(registry.getNode(nodes[i]).staked), NODE_STAKE - penalty, "squatting forfeits");
            assertEq(uint256(registry.getNode(nodes[i]).locked), 0);
        }
        assertEq(registry.claimable(treasury), 16 * penalty);
    }

    function test_fullApplicantList_ofEligibleNodes_stillRejectsANewcomer() public {
        uint256 id = _publish(_params());
        for (uint256 i; i < 16; ++i) {
            vm.prank(nodes[i]);
            market.applyForTask(id);
        }
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.TooManyApplicants.selector, id, 16));
        vm.prank(nodes[16]);
        market.applyForTask(id);
    }

    function test_cancel_releasesEveryApplicant() public {
        uint256 id = _publish(_params());
        _apply(id, 5);
        vm.prank(requester);
        market.cancel(id);
        for (uint256 i; i < 5; ++i) {
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE);
        }
    }

    // ================================================================ item 14: tokens that change on their own

    function test_rebasingToken_shortfallIsDetectedAtClaimAndDeposit() public {
        RebasingERC20 reb = new RebasingERC20();
        config.setTokenAllowed(address(reb), true);
        reb.mint(requester, 2_000e18);
        vm.prank(requester);
        reb.approve(address(market), type(uint256).max);
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(reb);
        p.budget = 1_000e18;
        uint256 id = _publish(p);
        vm.prank(requester);
        market.cancel(id);
        assertEq(market.owedIn(address(reb)), 1_000e18);

        reb.rebase(9000); // every balance shrinks by 10%
        vm.expectRevert(
            abi.encodeWithSelector(ITaskMarket.TokenBalanceShortfall.selector, address(reb), 900e18, 1_000e18)
        );
        vm.prank(requester);
        market.claim(address(reb));
        assertEq(market.claimable(address(reb), requester), 1_000e18, "nothing owed is lost");
        vm.expectRevert(
            abi.encodeWithSelector(ITaskMarket.TokenBalanceShortfall.selector, address(reb), 900e18, 1_000e18)
        );
        vm.prank(requester);
        market.publish(p);
    }

    // ================================================================ item 17: copying results

    /// @dev The model URI used to be emitted (and sit in the mempool) at submission, so one
    ///      trainer plus copiers looked like agreeing replicas. Now a URI can only be published
    ///      once every active replica committed.
    function test_reveal_onlyOnceEveryReplicaCommitted() public {
        uint256 id = _assigned(_params());
        _submit(id, nodes[0], RESULT_A);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotRevealable.selector, id, nodes[0]));
        vm.prank(nodes[0]);
        market.revealResult(id, "ipfs://model");
        _submit(id, nodes[1], RESULT_A);
        _submit(id, nodes[2], RESULT_A);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.ResultRevealed(id, nodes[0], "ipfs://model");
        vm.prank(nodes[0]);
        market.revealResult(id, "ipfs://model");
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotRevealable.selector, id, nodes[0]));
        vm.prank(nodes[0]); // once
        market.revealResult(id, "ipfs://other");
    }

    // ================================================================ helpers

    /// @dev A node the requester runs: registered, staked, first to apply.
    function _requesterNode() internal returns (address own) {
        own = makeAddr("requester's node");
        _registerAndStake(own, NODE_STAKE, NODE_CLASS);
        assertTrue(nnt.transfer(requester, 0));
    }

    /// @dev A first-come task of `r` replicas where `own` took the first seat, then honest nodes.
    function _publishWith(address own, uint8 r) internal returns (uint256 id) {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = r;
        id = _publish(p);
        vm.prank(own);
        market.applyForTask(id);
        _apply(id, r - 1);
        market.assign(id);
        assertEq(market.assigneesOf(id)[0], own);
    }
}
