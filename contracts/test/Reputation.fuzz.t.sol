// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "./Base.sol";
import {Reputation} from "../src/Reputation.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";

/// @notice Reputation stays within 0..10000 under any sequence of outcomes, parameters and idle
///         times, and idle time only ever moves it towards neutral.
contract ReputationFuzzTest is Base {
    uint64 internal constant START = 1_700_000_000;
    uint256 internal constant NEUTRAL = 5000;

    Reputation internal reputation;
    address internal node;

    function setUp() public {
        vm.warp(START);
        node = makeAddr("node");
        reputation = new Reputation(address(this));
        reputation.grantRole(reputation.REPORTER_ROLE(), address(this));
    }

    function testFuzz_record_neverLeavesRange(uint8[24] memory outcomes, uint32[24] memory gaps, uint256 paramSeed)
        public
    {
        _fuzzParams(paramSeed);
        for (uint256 i; i < outcomes.length; ++i) {
            vm.warp(block.timestamp + gaps[i] % 90 days);
            uint256 before = reputation.reputationOf(node);
            assertLe(before, 10_000, "before record");
            reputation.record(node, i, IReputation.Outcome(outcomes[i] % 5));
            assertLe(reputation.reputationOf(node), 10_000, "after record");
        }
    }

    function testFuzz_decay_movesMonotonicallyTowardsNeutral(
        uint8[12] memory outcomes,
        uint256 paramSeed,
        uint64 t1,
        uint64 t2
    ) public {
        _fuzzParams(paramSeed);
        for (uint256 i; i < outcomes.length; ++i) {
            reputation.record(node, i, IReputation.Outcome(outcomes[i] % 5));
        }
        uint256 at0 = reputation.reputationOf(node);
        t1 = uint64(bound(t1, 0, 10 * 365 days));
        t2 = uint64(bound(t2, t1, 10 * 365 days));
        vm.warp(START + t1);
        uint256 at1 = reputation.reputationOf(node);
        vm.warp(START + t2);
        uint256 at2 = reputation.reputationOf(node);
        assertLe(at2, 10_000, "range");
        // never crosses neutral, and the distance to it never grows
        assertTrue((at0 >= NEUTRAL) == (at1 >= NEUTRAL) || at1 == NEUTRAL, "side t1");
        assertTrue((at1 >= NEUTRAL) == (at2 >= NEUTRAL) || at2 == NEUTRAL, "side t2");
        assertLe(_distance(at1), _distance(at0), "t0 -> t1");
        assertLe(_distance(at2), _distance(at1), "t1 -> t2");
    }

    function testFuzz_decayedDistance_isMonotoneAndHalves(uint256 distance, uint256 e1, uint256 e2, uint32 halfLife)
        public
        view
    {
        distance = bound(distance, 0, NEUTRAL);
        halfLife = uint32(bound(halfLife, 1, type(uint32).max));
        e1 = bound(e1, 0, 100 * uint256(halfLife));
        e2 = bound(e2, e1, 100 * uint256(halfLife));
        uint256 d1 = reputation.decayedDistance(distance, e1, halfLife);
        uint256 d2 = reputation.decayedDistance(distance, e2, halfLife);
        assertLe(d2, d1, "non-increasing");
        assertLe(d1, distance, "never grows");
        uint256 k = e1 / halfLife;
        if (k < 256) {
            assertEq(reputation.decayedDistance(distance, k * halfLife, halfLife), distance >> k, "halvings");
        }
    }

    function _fuzzParams(uint256 seed) internal {
        // forge-lint: disable-start(unsafe-typecast)
        // every value is reduced below the type's range first
        reputation.setParams(
            IReputation.Params({
                agreedGain: uint16(seed % 1001),
                earlyGain: uint16((seed >> 16) % 1001),
                dissentLoss: uint16((seed >> 32) % 1001),
                missedLoss: uint16((seed >> 48) % 1001),
                failedLoss: uint16((seed >> 64) % 1001),
                halfLife: uint32(seed >> 80) % 60 days
            })
        );
        // forge-lint: disable-end(unsafe-typecast)
    }

    function _distance(uint256 score) internal pure returns (uint256) {
        return score > NEUTRAL ? score - NEUTRAL : NEUTRAL - score;
    }
}
