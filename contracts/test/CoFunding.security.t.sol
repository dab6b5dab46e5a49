// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {CoFundingFixture} from "./CoFundingFixture.sol";
import {ReentrantFunder} from "./mocks/ReentrantFunder.sol";
import {CoFundingPool} from "../src/funding/CoFundingPool.sol";
import {ICoFundingPool} from "../src/interfaces/ICoFunding.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Attacks on co-funded tasks, each driven as the attacker would and shown to fail:
///         a funder that also runs a node, the lead's own quality report, seat squatting,
///         claiming twice and re-entering a payment.
contract CoFundingSecurityTest is CoFundingFixture {
    // ---------------------------------------------------------------- a funder that is also a node

    /// @dev Carol funds a fifth of the task and takes a seat with her own node. She is paid as
    ///      the honest nodes are, plus her share of the leftover: exactly the normal path.
    function test_funderNode_gainsNothingBeyondTheNormalPath() public {
        _registerAndStake(carol, NODE_STAKE, NODE_CLASS);
        (CoFundingPool pool, uint256 id) = _published(0.5 ether, 0.3 ether, 0.2 ether);
        vm.prank(carol);
        market.applyForTask(id);
        _apply(id, 2);
        market.assign(id);
        _submitAll(id, _same(3, RESULT_A));
        _settle(id);
        uint256 nodePay = market.claimable(address(0), nodes[0]);
        assertEq(market.claimable(address(0), carol), nodePay, "paid as any node");
        uint256 refund = market.claimable(address(0), address(pool));
        assertEq(_claim(pool, carol, address(0)), Math.mulDiv(refund, 0.2 ether, 1 ether), "her share only");
        assertEq(_claim(pool, bob, address(0)), Math.mulDiv(refund, 0.3 ether, 1 ether), "bob's share intact");
    }

    /// @dev Carol's node gives up after the honest nodes submitted, hoping to pull her seat's
    ///      money back through the pool: the honest nodes are paid, she loses her penalty and
    ///      gets back only her fifth of the unpaid seat.
    function test_funderNodeAbandoning_costsItMoreThanItRecovers() public {
        _registerAndStake(carol, NODE_STAKE, NODE_CLASS);
        (CoFundingPool pool, uint256 id) = _published(0.5 ether, 0.3 ether, 0.2 ether);
        vm.prank(carol);
        market.applyForTask(id);
        _apply(id, 2);
        market.assign(id);
        _submit(id, nodes[0], RESULT_A);
        _submit(id, nodes[1], RESULT_A);
        uint256 stakeBefore = registry.getNode(carol).staked;
        vm.prank(carol);
        market.abandon(id, ITaskMarket.AbandonReason.NodeFault);
        _settle(id);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS, "honest paid");
        uint256 refund = market.claimable(address(0), address(pool));
        assertEq(refund, 1 ether - 2 * gross, "her seat comes back to the pool");
        assertEq(_claim(pool, carol, address(0)), Math.mulDiv(refund, 0.2 ether, 1 ether), "a fifth of it");
        assertLt(registry.getNode(carol).staked, stakeBefore, "and she lost her penalty");
        assertEq(registry.claimable(address(pool)), 0, "no penalty flows to the pool");
    }

    /// @dev Reputation's self-dealing rule (a requester's own node gains nothing) sees the pool, not
    ///      its funders: carol's node gains reputation from a pool she alone funds. That is exactly
    ///      what a second address of hers publishing the task gives (a Sybil requester), no more:
    ///      the gain is weighted by the value paid, and she pays the fee either way.
    function test_funderNodeReputation_isNoMoreThanASybilRequesterGives() public {
        _registerAndStake(carol, NODE_STAKE, NODE_CLASS);
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        uint16 before = reputation.reputationOf(carol);
        uint256 snapshot = vm.snapshotState();

        ICoFundingPool.Terms memory t = _terms();
        t.replication = 1;
        CoFundingPool pool = _openWith(t, carol, 1 ether, 1 ether);
        uint256 id = pool.publish();
        vm.prank(carol);
        market.applyForTask(id);
        market.assign(id);
        _submit(id, carol, RESULT_A);
        _settle(id);
        uint16 viaPool = reputation.reputationOf(carol);
        assertGe(viaPool, before + 1, "the pool's task counts as another requester's");

        vm.revertToState(snapshot);
        address sybil = makeAddr("carol's second address");
        vm.deal(sybil, 1 ether);
        vm.prank(sybil);
        id = market.publish{value: 1 ether}(p);
        vm.prank(carol);
        market.applyForTask(id);
        market.assign(id);
        _submit(id, carol, RESULT_A);
        _settle(id);
        assertEq(viaPool, reputation.reputationOf(carol), "a pool gives what a Sybil requester gives");
    }

    /// @dev Alice (lead) runs a node and reports the best score to raise its pay out of the
    ///      others' leftover. Bob challenges the report in arbitration; upheld, his score stands
    ///      and the leftover is what an honest score leaves.
    function test_leadSelfServingQuality_isChallengedByAFunder() public {
        _registerAndStake(alice, NODE_STAKE, NODE_CLASS);
        (CoFundingPool pool, uint256 id) = _published(0.2 ether, 0.8 ether, 0);
        vm.prank(alice);
        market.applyForTask(id);
        _apply(id, 2);
        market.assign(id);
        _submitAll(id, _same(3, RESULT_A));
        vm.prank(alice);
        pool.reportQuality(10_000, true);
        assertTrue(nnt.transfer(bob, MIN_BOND));
        vm.startPrank(bob);
        nnt.approve(address(arbitration), MIN_BOND);
        uint256 disputeId = arbitration.challengeQuality(id, 5000, true, MIN_BOND, "ipfs://rerun");
        vm.stopPrank();
        _decide(disputeId, true);
        assertEq(market.getTask(id).qualityScore, 5000, "the challenged score");
        _settle(id);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), alice), gross - gross * FEE_BPS / BPS, "lead's node: honest pay");
        uint256 refund = market.claimable(address(0), address(pool));
        assertEq(refund, 1 ether - 3 * gross);
        assertEq(_claim(pool, bob, address(0)), Math.mulDiv(refund, 0.8 ether, 1 ether), "bob's share");
    }

    // ---------------------------------------------------------------- seats

    function test_65thFunder_reverts() public {
        CoFundingPool pool = _open(alice, 64 ether, 1 ether);
        for (uint256 i = 1; i < 64; ++i) {
            address f = makeAddr(string.concat("seat", Strings.toString(i)));
            vm.deal(f, 1 ether);
            _contribute(pool, f, 1 ether);
        }
        assertEq(pool.funders().length, 64);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.TooManyFunders.selector, 65, 64));
        pool.contribute{value: 1 ether}(1 ether);
        _contribute(pool, alice, 1); // a seated funder may still add
        assertEq(pool.contributionOf(alice), 1 ether + 1);
        // the distribution loop over the 64 seats stays well inside a block
        pool.publish();
        vm.prank(alice);
        pool.cancel();
        uint256 gasBefore = gasleft();
        vm.prank(alice);
        pool.claim(address(0));
        assertLt(gasBefore - gasleft(), 3_000_000, "a 64-funder distribution and claim");
        assertEq(alice.balance, 1_000 ether, "alice: back to where she started");
    }

    /// @dev Dust accounts cannot take the seats: a new funder brings at least target / 64.
    function test_dustSeat_reverts() public {
        CoFundingPool pool = _open(alice, 64 ether, 1 ether);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.ContributionTooSmall.selector, 1 ether - 1, 1 ether));
        pool.contribute{value: 1 ether - 1}(1 ether - 1);
    }

    // ---------------------------------------------------------------- payments

    /// @dev A funder contract tries to claim again from inside its ETH payment: the guard stops
    ///      it, and it is paid its contribution once.
    function test_reentrantFunder_isPaidOnce() public {
        ReentrantFunder attacker = new ReentrantFunder();
        CoFundingPool pool = _open(alice, 1 ether, 0.5 ether);
        attacker.setPool(pool);
        vm.deal(address(attacker), 0.5 ether);
        attacker.contribute(0.5 ether);
        uint256 id = pool.publish();
        vm.prank(alice);
        pool.cancel();
        _assertStatus(id, ITaskMarket.TaskStatus.Cancelled);
        attacker.claim();
        assertEq(address(attacker).balance, 0.5 ether, "its contribution, once");
        assertEq(attacker.payments(), 1);
        assertEq(
            keccak256(attacker.reentryError()),
            keccak256(abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector)),
            "re-entry refused"
        );
        assertEq(_claim(pool, alice, address(0)), 0.5 ether, "the lead's share intact");
    }

    /// @dev After every funder claimed, a repeated distribution finds nothing new and claims
    ///      revert: the books are closed at zero.
    function test_repeatedPulls_neverOverpay() public {
        (CoFundingPool pool, uint256 id) = _published(0.4 ether, 0.35 ether, 0.25 ether);
        vm.warp(START + 1 hours);
        market.expire(id);
        _claim(pool, alice, address(0));
        pool.distribute(address(0));
        pool.distribute(address(0));
        _claim(pool, bob, address(0));
        _claim(pool, carol, address(0));
        for (uint256 i; i < 3; ++i) {
            address f = [alice, bob, carol][i];
            vm.prank(f);
            vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.NothingToClaimInToken.selector, f, address(0)));
            pool.claim(address(0));
        }
        assertEq(
            pool.paidTo(alice, address(0)) + pool.paidTo(bob, address(0)) + pool.paidTo(carol, address(0)), 1 ether
        );
    }
}
