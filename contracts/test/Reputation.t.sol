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
    uint96 internal constant FULL = 1e18; // the default fullGainValue
    uint256 internal constant GAIN_UNIT = 1e6;

    Reputation internal reputation;
    address internal node;
    address internal other;
    address internal stranger;
    uint160 private _requesters;

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
        assertEq(uint256(p.fullGainValue), 1e18);
        assertTrue(reputation.hasRole(reputation.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(reputation.REPORTER_ROLE(), keccak256("REPORTER_ROLE"));
        assertEq(uint256(reputation.NEUTRAL()), 5000);
        assertEq(uint256(reputation.MAX()), 10_000);
        assertEq(uint256(reputation.MAX_STEP()), 1000);
        assertEq(uint256(reputation.GAIN_UNIT()), 1e6);
    }

    function test_constructor_emitsParams() public {
        vm.expectEmit(true, true, true, true);
        emit IReputation.ReputationParamsSet(_params(200, 300, 500, 400, 1000, 30 days));
        new Reputation(address(this));
    }

    function test_setParams_setsAndEmits() public {
        IReputation.Params memory p = _params(1, 2, 3, 4, 1000, 0);
        p.fullGainValue = 5;
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
        assertEq(uint256(got.fullGainValue), 5);
    }

    function test_setParams_revertsWhenAnyStepTooLarge() public {
        for (uint256 i; i < 5; ++i) {
            uint16[5] memory steps;
            steps[i] = 1001;
            vm.expectRevert(abi.encodeWithSelector(IReputation.GainTooLarge.selector, 1001, 1000));
            reputation.setParams(_params(steps[0], steps[1], steps[2], steps[3], steps[4], 1));
        }
    }

    function test_setParams_revertsWhenFullGainValueIsZero() public {
        IReputation.Params memory p = _params(200, 300, 500, 400, 1000, HALF_LIFE);
        p.fullGainValue = 0;
        vm.expectRevert(abi.encodeWithSelector(IReputation.InvalidFullGainValue.selector, 0));
        reputation.setParams(p);
    }

    function test_setParams_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        reputation.setParams(_params(0, 0, 0, 0, 0, 0));
    }

    // ================================================================ record and recordWork

    function test_reputationOf_isNeutralForUnseenNode() public view {
        assertEq(uint256(reputation.reputationOf(node)), 5000);
    }

    function test_recordWork_appliesEachOutcome() public {
        _expectWork(IReputation.Outcome.Agreed, _requester(), FULL, 5000, 5200);
        _expectWork(IReputation.Outcome.AgreedEarly, _requester(), FULL, 5200, 5500);
        _expectWork(IReputation.Outcome.Dissented, _requester(), FULL, 5500, 5000);
        _expectWork(IReputation.Outcome.Missed, _requester(), FULL, 5000, 4600);
        _expectWork(IReputation.Outcome.FailedVerification, _requester(), FULL, 4600, 3600);
    }

    function test_record_appliesEachLoss() public {
        _expectRecord(IReputation.Outcome.Dissented, 5000, 4500);
        _expectRecord(IReputation.Outcome.Missed, 4500, 4100);
        _expectRecord(IReputation.Outcome.FailedVerification, 4100, 3100);
    }

    function test_record_revertsForGainOutcomes() public {
        vm.expectRevert(abi.encodeWithSelector(IReputation.GainNeedsValue.selector, IReputation.Outcome.Agreed));
        reputation.record(node, 1, IReputation.Outcome.Agreed);
        vm.expectRevert(abi.encodeWithSelector(IReputation.GainNeedsValue.selector, IReputation.Outcome.AgreedEarly));
        reputation.record(node, 1, IReputation.Outcome.AgreedEarly);
        assertEq(uint256(reputation.reputationOf(node)), 5000);
    }

    function test_recordWork_clampsAtMax() public {
        reputation.setParams(_params(1000, 1000, 1000, 1000, 1000, 0));
        for (uint256 i; i < 6; ++i) {
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, _requester(), FULL);
        }
        assertEq(uint256(reputation.reputationOf(node)), 10_000);
        _expectWork(IReputation.Outcome.Agreed, _requester(), FULL, 10_000, 10_000);
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
        reputation.record(node, 1, IReputation.Outcome.Missed);
    }

    function test_recordWork_revertsForNonReporter() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, reputation.REPORTER_ROLE()
            )
        );
        vm.prank(stranger);
        reputation.recordWork(node, 1, IReputation.Outcome.Agreed, stranger, FULL);
    }

    function test_reputationsOf_readsSeveralInOneCall() public {
        reputation.recordWork(node, 1, IReputation.Outcome.Agreed, other, FULL);
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (other, node, node);
        uint16[] memory scores = reputation.reputationsOf(list);
        assertEq(scores.length, 3);
        assertEq(uint256(scores[0]), 5000);
        assertEq(uint256(scores[1]), 5200);
        assertEq(uint256(scores[2]), 5200);
        assertEq(reputation.reputationsOf(new address[](0)).length, 0);
    }

    // ================================================================ farming (audit: 1-wei self-tasks)

    /// @dev The audited attack: a node runs its own 1-wei tasks. Unweighted, 17 early agreements
    ///      took it from 5000 to 10000; weighted, it never leaves neutral.
    function test_farming_selfDealtOneWeiTasksStayNeutral() public {
        for (uint256 i; i < 50; ++i) {
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, node, 1);
        }
        assertEq(uint256(reputation.reputationOf(node)), 5000);
    }

    /// @dev 50 tiny tasks from one Sybil requester (1 wei, then 0.01 NNT each) stay near neutral,
    ///      far below an honest node with four real-value tasks from four requesters.
    function test_farming_sybilTinyTasksStayNearNeutralBelowHonestNode() public {
        address sybil = makeAddr("sybil");
        for (uint256 i; i < 50; ++i) {
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, sybil, 1);
        }
        assertEq(uint256(reputation.reputationOf(node)), 5000, "1-wei tasks earn nothing");
        for (uint256 i; i < 50; ++i) {
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, sybil, FULL / 100);
        }
        uint256 farmed = reputation.reputationOf(node);
        assertEq(farmed, 5000 + 3 + 1 + 1, "300 / 100 / (1 + k), rounded down; a 0 gain does not count");

        address honest = makeAddr("honest");
        for (uint256 i; i < 4; ++i) {
            reputation.recordWork(honest, i, IReputation.Outcome.Agreed, _requester(), FULL);
        }
        assertEq(uint256(reputation.reputationOf(honest)), 5800);
        assertLt(farmed, reputation.reputationOf(honest), "farmer below honest");
    }

    /// @dev Even at full value, 50 tasks from one Sybil requester add 300 * (1 + 1/2 + ... + 1/50)
    ///      (about 300 * ln 50), less than five real tasks from five requesters.
    function test_farming_sybilFullValueTasksGrowOnlyLogarithmically() public {
        address sybil = makeAddr("sybil");
        uint256 expected = 5000;
        for (uint256 i; i < 50; ++i) {
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, sybil, FULL);
            expected += 300 / (i + 1);
        }
        uint256 farmed = reputation.reputationOf(node);
        assertEq(farmed, expected, "harmonic");
        assertLe(farmed, 5000 + 300 * 45 / 10, "below 300 * H(50) < 300 * 4.5");
        assertEq(reputation.gainsFrom(node, sybil), 50 * GAIN_UNIT);

        address honest = makeAddr("honest");
        for (uint256 i; i < 5; ++i) {
            reputation.recordWork(honest, i, IReputation.Outcome.AgreedEarly, _requester(), FULL);
        }
        assertEq(uint256(reputation.reputationOf(honest)), 6500);
        assertLt(farmed, reputation.reputationOf(honest), "farmer below honest");
    }

    /// @dev Spread over time, one requester holds a node about one gain above neutral: its count
    ///      decays as fast as the score does.
    function test_farming_oneRequesterOverTimeStaysAboutOneGainAboveNeutral() public {
        address sybil = makeAddr("sybil");
        for (uint256 i; i < 400; ++i) {
            vm.warp(START + i * (HALF_LIFE / 20)); // 20 tasks per half-life, for 20 half-lives
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, sybil, FULL);
        }
        assertLe(reputation.reputationOf(node), 5000 + 2 * 300, "bounded by about one gain");
    }

    function test_recordWork_requesterIsNodeEarnsNothing() public {
        _setScore(node, 6000);
        vm.warp(START + HALF_LIFE / 2);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationGainWeighted(node, 7, node, 1000 * FULL, 0, 0);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(node, 7, IReputation.Outcome.AgreedEarly, 5750, 5750);
        reputation.recordWork(node, 7, IReputation.Outcome.AgreedEarly, node, 1000 * FULL);
        reputation.recordWork(node, 8, IReputation.Outcome.Agreed, node, FULL);
        assertEq(reputation.gainsFrom(node, node), 0, "not counted");
        // nothing written: the decay clock still runs from START (a rewrite would give 5562)
        vm.warp(START + HALF_LIFE);
        assertEq(uint256(reputation.reputationOf(node)), 5500);
    }

    function test_recordWork_kthGainFromSameRequesterIsAtMostGainOverK() public {
        reputation.setParams(_params(1000, 1000, 1000, 1000, 1000, HALF_LIFE));
        uint256 before = reputation.reputationOf(node);
        for (uint256 k = 1; k <= 20; ++k) {
            assertEq(reputation.gainsFrom(node, other), (k - 1) * GAIN_UNIT, "k - 1 earlier gains");
            reputation.recordWork(node, k, IReputation.Outcome.Agreed, other, FULL);
            uint256 gain = reputation.reputationOf(node) - before;
            assertLe(gain, 1000 / k, "at most gain / k");
            assertEq(gain, 1000 / k);
            before += gain;
        }
    }

    function test_recordWork_gainIsProRataInValueUpToFullGainValue() public {
        _expectWork(IReputation.Outcome.Agreed, _requester(), FULL / 2, 5000, 5100);
        _expectWork(IReputation.Outcome.Agreed, _requester(), FULL / 4, 5100, 5150);
        _expectWork(IReputation.Outcome.Agreed, _requester(), 10 * FULL, 5150, 5350);
        _expectWork(IReputation.Outcome.Agreed, _requester(), FULL / 200 - 1, 5350, 5350);
    }

    function test_recordWork_zeroGainChangesNothing() public {
        reputation.recordWork(node, 1, IReputation.Outcome.AgreedEarly, other, FULL / 1000);
        assertEq(reputation.gainsFrom(node, other), 0, "not counted");
        assertEq(uint256(reputation.reputationOf(node)), 5000);
        _expectWork(IReputation.Outcome.AgreedEarly, other, FULL, 5000, 5300); // still a first gain
    }

    function test_recordWork_countsPerNodeAndRequester() public {
        address a = makeAddr("a");
        address b = makeAddr("b");
        _expectWork(IReputation.Outcome.Agreed, a, FULL, 5000, 5200);
        _expectWork(IReputation.Outcome.Agreed, a, FULL, 5200, 5300);
        _expectWork(IReputation.Outcome.Agreed, b, FULL, 5300, 5500);
        reputation.recordWork(other, 1, IReputation.Outcome.Agreed, a, FULL);
        assertEq(uint256(reputation.reputationOf(other)), 5200, "another node's count is its own");
        assertEq(reputation.gainsFrom(node, a), 2 * GAIN_UNIT);
        assertEq(reputation.gainsFrom(node, b), GAIN_UNIT);
        assertEq(reputation.gainsFrom(other, a), GAIN_UNIT);
    }

    function test_recordWork_countDecaysWithTheHalfLife() public {
        reputation.recordWork(node, 1, IReputation.Outcome.Agreed, other, FULL);
        reputation.recordWork(node, 2, IReputation.Outcome.Agreed, other, FULL);
        assertEq(reputation.gainsFrom(node, other), 2 * GAIN_UNIT);
        vm.warp(START + HALF_LIFE);
        assertEq(reputation.gainsFrom(node, other), GAIN_UNIT);
        vm.warp(START + HALF_LIFE + HALF_LIFE / 2);
        assertEq(reputation.gainsFrom(node, other), GAIN_UNIT * 3 / 4);
        vm.warp(START + 2 * uint256(HALF_LIFE));
        assertEq(uint256(reputation.previewGain(node, IReputation.Outcome.Agreed, other, FULL)), 133); // 200 / (1 + 1/2)
        vm.warp(START + 100 * uint256(HALF_LIFE));
        assertEq(reputation.gainsFrom(node, other), 0);
        assertEq(uint256(reputation.previewGain(node, IReputation.Outcome.Agreed, other, FULL)), 200);
    }

    function test_recordWork_countNeverDecaysWithZeroHalfLife() public {
        reputation.setParams(_params(200, 300, 500, 400, 1000, 0));
        reputation.recordWork(node, 1, IReputation.Outcome.Agreed, other, FULL);
        vm.warp(START + 365 days);
        assertEq(reputation.gainsFrom(node, other), GAIN_UNIT);
        assertEq(uint256(reputation.previewGain(node, IReputation.Outcome.Agreed, other, FULL)), 100);
    }

    function test_recordWork_lossesAreFullWhateverValueOrRequester() public {
        reputation.recordWork(node, 1, IReputation.Outcome.Agreed, other, FULL);
        _expectWork(IReputation.Outcome.Dissented, node, 0, 5200, 4700);
        _expectWork(IReputation.Outcome.Missed, other, 1, 4700, 4300);
        _expectWork(IReputation.Outcome.FailedVerification, other, type(uint256).max, 4300, 3300);
        assertEq(reputation.gainsFrom(node, other), GAIN_UNIT, "losses leave the count alone");
        assertEq(uint256(reputation.previewGain(node, IReputation.Outcome.Missed, other, FULL)), 0);
    }

    function test_recordWork_emitsTheWeighting() public {
        reputation.recordWork(node, 1, IReputation.Outcome.Agreed, other, FULL);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationGainWeighted(node, 7, other, FULL / 2, GAIN_UNIT, 75);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(node, 7, IReputation.Outcome.AgreedEarly, 5200, 5275);
        reputation.recordWork(node, 7, IReputation.Outcome.AgreedEarly, other, FULL / 2);
    }

    function test_previewGain_matchesRecordWork() public {
        address a = makeAddr("a");
        for (uint256 i = 1; i <= 5; ++i) {
            uint256 value = FULL * i / 3;
            uint256 gain = reputation.previewGain(node, IReputation.Outcome.AgreedEarly, a, value);
            uint256 before = reputation.reputationOf(node);
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, a, value);
            assertEq(reputation.reputationOf(node) - before, gain);
        }
        assertEq(uint256(reputation.previewGain(node, IReputation.Outcome.Agreed, node, FULL)), 0, "self");
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
            reputation.recordWork(node, i, IReputation.Outcome.Agreed, _requester(), FULL);
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
        _expectWork(IReputation.Outcome.Agreed, _requester(), FULL, 5500, 5700);
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

    /// @dev Params with the default full-gain value.
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
            halfLife: halfLife,
            fullGainValue: FULL
        });
    }

    /// @dev A requester never seen before.
    function _requester() internal returns (address) {
        return address(0x5E0000 + ++_requesters);
    }

    /// @dev A loss through `record`.
    function _expectRecord(IReputation.Outcome outcome, uint16 previous, uint16 current) internal {
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(node, 7, outcome, previous, current);
        reputation.record(node, 7, outcome);
        assertEq(uint256(reputation.reputationOf(node)), current);
    }

    function _expectWork(IReputation.Outcome outcome, address requester, uint256 value, uint16 previous, uint16 current)
        internal
    {
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(node, 7, outcome, previous, current);
        reputation.recordWork(node, 7, outcome, requester, value);
        assertEq(uint256(reputation.reputationOf(node)), current);
    }

    /// @dev Brings `who` to `score` (a multiple of 100 within 1000 of neutral) now, then restores
    ///      the default params.
    function _setScore(address who, uint16 score) internal {
        IReputation.Params memory saved = reputation.params();
        bool up = score >= 5000;
        uint16 step = up ? score - 5000 : 5000 - score;
        reputation.setParams(_params(step, step, step, step, step, saved.halfLife));
        reputation.recordWork(who, 0, up ? IReputation.Outcome.Agreed : IReputation.Outcome.Missed, _requester(), FULL);
        reputation.setParams(saved);
        assertEq(uint256(reputation.reputationOf(who)), score);
    }
}
