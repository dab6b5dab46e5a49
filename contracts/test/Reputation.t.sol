// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Base} from "./Base.sol";
import {Reputation} from "../src/Reputation.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";

/// @notice Unit tests of the reputation contract; the test contract is admin and reporter.
contract ReputationTest is Base {
    uint64 internal constant START = 1_700_000_000;
    uint32 internal constant HALF_LIFE = 30 days;

    Reputation internal reputation;
    address internal node;
    address internal other;
    address internal stranger;

    function setUp() public virtual {
        vm.warp(START);
        node = makeAddr("node");
        other = makeAddr("other");
        stranger = makeAddr("stranger");
        reputation = new Reputation(address(this));
        reputation.grantRole(reputation.REPORTER_ROLE(), address(this));
    }

    // ================================================================ constructor and params

    function test_constructor_setsDefaultsAndRoles() public view {
        IReputation.Params memory p = reputation.params();
        assertEq(uint256(p.agreedGain), 200);
        assertEq(uint256(p.earlyGain), 300);
        assertEq(uint256(p.dissentLoss), 500);
        assertEq(uint256(p.missedLoss), 400);
        assertEq(uint256(p.failedLoss), 1000);
        assertEq(uint256(p.halfLife), 30 days);
        assertTrue(reputation.hasRole(reputation.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(reputation.REPORTER_ROLE(), keccak256("REPORTER_ROLE"));
        assertEq(uint256(reputation.NEUTRAL()), 5000);
        assertEq(uint256(reputation.MAX()), 10_000);
        assertEq(uint256(reputation.MAX_STEP()), 1000);
    }

    function test_constructor_emitsParams() public {
        vm.expectEmit(true, true, true, true);
        emit IReputation.ReputationParamsSet(_params(200, 300, 500, 400, 1000, 30 days));
        new Reputation(address(this));
    }

    function test_setParams_setsAndEmits() public {
        IReputation.Params memory p = _params(1, 2, 3, 4, 1000, 0);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationParamsSet(p);
        reputation.setParams(p);
        IReputation.Params memory got = reputation.params();
        assertEq(uint256(got.agreedGain), 1);
        assertEq(uint256(got.earlyGain), 2);
        assertEq(uint256(got.dissentLoss), 3);
        assertEq(uint256(got.missedLoss), 4);
        assertEq(uint256(got.failedLoss), 1000);
        assertEq(uint256(got.halfLife), 0);
    }

    function test_setParams_revertsWhenAnyStepTooLarge() public {
        for (uint256 i; i < 5; ++i) {
            uint16[5] memory steps;
            steps[i] = 1001;
            vm.expectRevert(abi.encodeWithSelector(IReputation.GainTooLarge.selector, 1001, 1000));
            reputation.setParams(_params(steps[0], steps[1], steps[2], steps[3], steps[4], 1));
        }
    }

    function test_setParams_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        reputation.setParams(_params(0, 0, 0, 0, 0, 0));
    }

    // ================================================================ record

    function test_reputationOf_isNeutralForUnseenNode() public view {
        assertEq(uint256(reputation.reputationOf(node)), 5000);
    }

    function test_record_appliesEachOutcome() public {
        _expectRecord(IReputation.Outcome.Agreed, 5000, 5200);
        _expectRecord(IReputation.Outcome.AgreedEarly, 5200, 5500);
        _expectRecord(IReputation.Outcome.Dissented, 5500, 5000);
        _expectRecord(IReputation.Outcome.Missed, 5000, 4600);
        _expectRecord(IReputation.Outcome.FailedVerification, 4600, 3600);
    }

    function test_record_clampsAtMax() public {
        reputation.setParams(_params(1000, 1000, 1000, 1000, 1000, 0));
        for (uint256 i; i < 6; ++i) {
            reputation.record(node, i, IReputation.Outcome.AgreedEarly);
        }
        assertEq(uint256(reputation.reputationOf(node)), 10_000);
        _expectRecord(IReputation.Outcome.Agreed, 10_000, 10_000);
    }

    function test_record_clampsAtZero() public {
        for (uint256 i; i < 5; ++i) {
            reputation.record(node, i, IReputation.Outcome.FailedVerification);
        }
        assertEq(uint256(reputation.reputationOf(node)), 0);
        _expectRecord(IReputation.Outcome.Missed, 0, 0);
        // a node at 0 is seen, not neutral
        vm.warp(START + 1);
        reputation.setParams(_params(200, 300, 500, 400, 1000, 0));
        assertEq(uint256(reputation.reputationOf(node)), 0);
    }

    function test_record_revertsForNonReporter() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, reputation.REPORTER_ROLE()
            )
        );
        vm.prank(stranger);
        reputation.record(node, 1, IReputation.Outcome.Agreed);
    }

    function test_reputationsOf_readsSeveralInOneCall() public {
        reputation.record(node, 1, IReputation.Outcome.Agreed);
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (other, node, node);
        uint16[] memory scores = reputation.reputationsOf(list);
        assertEq(scores.length, 3);
        assertEq(uint256(scores[0]), 5000);
        assertEq(uint256(scores[1]), 5200);
        assertEq(uint256(scores[2]), 5200);
        assertEq(reputation.reputationsOf(new address[](0)).length, 0);
    }

    // ================================================================ decay

    function test_decay_halvesTheDistanceEveryHalfLife() public {
        _setScore(node, 6000);
        _setScore(other, 4000);
        vm.warp(START + HALF_LIFE);
        assertEq(uint256(reputation.reputationOf(node)), 5500);
        assertEq(uint256(reputation.reputationOf(other)), 4500);
        vm.warp(START + 2 * uint256(HALF_LIFE));
        assertEq(uint256(reputation.reputationOf(node)), 5250);
        assertEq(uint256(reputation.reputationOf(other)), 4750);
    }

    function test_decay_isLinearBetweenHalvings() public {
        _setScore(node, 6000);
        vm.warp(START + HALF_LIFE / 2);
        assertEq(uint256(reputation.reputationOf(node)), 5750);
        vm.warp(START + HALF_LIFE + HALF_LIFE / 4); // 500 -> 250 over the second period, a quarter in
        assertEq(uint256(reputation.reputationOf(node)), 5500 - 62);
    }

    function test_decay_reachesNeutralWhenIdleLongEnough() public {
        reputation.setParams(_params(1000, 1000, 1000, 1000, 1000, HALF_LIFE));
        for (uint256 i; i < 5; ++i) {
            reputation.record(node, i, IReputation.Outcome.Agreed);
        }
        assertEq(uint256(reputation.reputationOf(node)), 10_000);
        vm.warp(START + 12 * uint256(HALF_LIFE)); // 5000 >> 12 == 1
        assertEq(uint256(reputation.reputationOf(node)), 5001);
        vm.warp(START + 13 * uint256(HALF_LIFE));
        assertEq(uint256(reputation.reputationOf(node)), 5000);
        vm.warp(START + 1000 * uint256(HALF_LIFE));
        assertEq(uint256(reputation.reputationOf(node)), 5000);
    }

    function test_decay_isAppliedBeforeAnUpdate() public {
        _setScore(node, 6000);
        vm.warp(START + HALF_LIFE);
        _expectRecord(IReputation.Outcome.Agreed, 5500, 5700);
        vm.warp(START + 2 * uint256(HALF_LIFE)); // measured from the last update
        assertEq(uint256(reputation.reputationOf(node)), 5350);
    }

    function test_decay_isOffWithZeroHalfLife() public {
        _setScore(node, 6000);
        reputation.setParams(_params(200, 300, 500, 400, 1000, 0));
        vm.warp(START + 365 days);
        assertEq(uint256(reputation.reputationOf(node)), 6000);
    }

    function test_decayedDistance_edges() public view {
        assertEq(reputation.decayedDistance(5000, 0, HALF_LIFE), 5000);
        assertEq(reputation.decayedDistance(5000, 123, 0), 5000);
        assertEq(reputation.decayedDistance(1, HALF_LIFE - 1, HALF_LIFE), 1);
        assertEq(reputation.decayedDistance(1, HALF_LIFE, HALF_LIFE), 0);
        assertEq(reputation.decayedDistance(0, 5, HALF_LIFE), 0);
        assertEq(reputation.decayedDistance(5000, type(uint256).max, 1), 0);
    }

    // ================================================================ helpers

    function _params(uint16 agreed, uint16 early, uint16 dissent, uint16 missed, uint16 failed, uint32 halfLife)
        internal
        pure
        returns (IReputation.Params memory)
    {
        return IReputation.Params({
            agreedGain: agreed,
            earlyGain: early,
            dissentLoss: dissent,
            missedLoss: missed,
            failedLoss: failed,
            halfLife: halfLife
        });
    }

    function _expectRecord(IReputation.Outcome outcome, uint16 previous, uint16 current) internal {
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(node, 7, outcome, previous, current);
        reputation.record(node, 7, outcome);
        assertEq(uint256(reputation.reputationOf(node)), current);
    }

    /// @dev Brings `who` to `score` (a multiple of 100 within 1000 of neutral) now, then restores
    ///      the default params.
    function _setScore(address who, uint16 score) internal {
        IReputation.Params memory saved = reputation.params();
        bool up = score >= 5000;
        uint16 step = up ? score - 5000 : 5000 - score;
        reputation.setParams(_params(step, step, step, step, step, saved.halfLife));
        reputation.record(who, 0, up ? IReputation.Outcome.Agreed : IReputation.Outcome.Missed);
        reputation.setParams(saved);
        assertEq(uint256(reputation.reputationOf(who)), score);
    }
}
