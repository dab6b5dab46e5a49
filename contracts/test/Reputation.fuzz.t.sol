// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "./Base.sol";
import {Reputation} from "../src/Reputation.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";

/// @notice Reputation stays within 0..10000 under any sequence of outcomes, requesters, values,
///         parameters and idle times; idle time only ever moves it towards neutral; a gain never
///         decreases with the value paid, the k-th from one requester is at most gain / k, and a
///         loss is always full.
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

    /// @dev Any mix of gains (any requester, the node itself included, any value), losses through
    ///      either entry point, parameters and idle times keeps every score within 0..10000.
    function testFuzz_recordWork_neverLeavesRange(
        uint8[24] memory outcomes,
        uint32[24] memory gaps,
        uint256[24] memory values,
        uint256 paramSeed
    ) public {
        _fuzzParams(paramSeed);
        for (uint256 i; i < outcomes.length; ++i) {
            vm.warp(block.timestamp + gaps[i] % 90 days);
            uint256 before = reputation.reputationOf(node);
            assertLe(before, 10_000, "before record");
            IReputation.Outcome outcome = IReputation.Outcome(outcomes[i] % 5);
            if (outcome > IReputation.Outcome.AgreedEarly && values[i] % 2 == 0) {
                reputation.record(node, i, outcome);
            } else {
                reputation.recordWork(node, i, outcome, _requesterOf(values[i]), values[i] >> 8);
            }
            assertLe(reputation.reputationOf(node), 10_000, "after record");
        }
    }

    /// @dev After any history, the gain a task would bring never decreases with its value, and is
    ///      what `recordWork` then adds (unless clamped at 10000).
    function testFuzz_recordWork_gainIsMonotoneInValue(
        uint8[12] memory history,
        uint256 paramSeed,
        uint256 v1,
        uint256 v2,
        bool early,
        uint8 who
    ) public {
        _fuzzParams(paramSeed);
        _playHistory(history);
        uint256 full = reputation.params().fullGainValue;
        v1 = bound(v1, 0, 3 * full);
        v2 = bound(v2, v1, 3 * full);
        IReputation.Outcome outcome = early ? IReputation.Outcome.AgreedEarly : IReputation.Outcome.Agreed;
        address requester = _requesterOf(who);
        uint256 g1 = reputation.previewGain(node, outcome, requester, v1);
        uint256 g2 = reputation.previewGain(node, outcome, requester, v2);
        assertLe(g1, g2, "monotone in value");
        uint256 base = early ? reputation.params().earlyGain : reputation.params().agreedGain;
        assertLe(g2, base, "never more than the full gain");
        if (requester == node) assertEq(g2, 0, "self-dealing earns nothing");
        uint256 before = reputation.reputationOf(node);
        reputation.recordWork(node, 99, outcome, requester, v2);
        uint256 expected = before + g2 > 10_000 ? 10_000 : before + g2;
        assertEq(reputation.reputationOf(node), expected, "preview == record");
    }

    /// @dev In one instant, the k-th gain from one requester is at most the full gain / k.
    function testFuzz_recordWork_kthGainIsAtMostGainOverK(uint256 paramSeed, uint256 value, uint8 n) public {
        _fuzzParams(paramSeed);
        uint256 full = reputation.params().fullGainValue;
        value = bound(value, 0, 2 * full);
        n = uint8(bound(n, 1, 40));
        address requester = makeAddr("requester");
        uint256 base = reputation.params().earlyGain;
        uint256 weighted = base * (value < full ? value : full) / full;
        uint256 counted; // gains that were not 0
        for (uint256 i; i < n; ++i) {
            uint256 gain = reputation.previewGain(node, IReputation.Outcome.AgreedEarly, requester, value);
            assertLe(gain, weighted / (counted + 1), "k-th gain <= weighted gain / k");
            assertEq(reputation.gainsFrom(node, requester), counted * 1e6, "k counts the gains");
            reputation.recordWork(node, i, IReputation.Outcome.AgreedEarly, requester, value);
            if (gain > 0) ++counted;
        }
    }

    /// @dev A loss is the full loss whatever the value and requester, through either entry point.
    function testFuzz_recordWork_lossIsFull(
        uint8[12] memory history,
        uint256 paramSeed,
        uint8 kind,
        uint256 value,
        uint8 who
    ) public {
        _fuzzParams(paramSeed);
        _playHistory(history);
        IReputation.Outcome outcome = IReputation.Outcome(2 + kind % 3);
        IReputation.Params memory p = reputation.params();
        uint256 loss = outcome == IReputation.Outcome.Dissented
            ? p.dissentLoss
            : outcome == IReputation.Outcome.Missed ? p.missedLoss : p.failedLoss;
        uint256 before = reputation.reputationOf(node);
        reputation.recordWork(node, 99, outcome, _requesterOf(who), value);
        assertEq(reputation.reputationOf(node), before > loss ? before - loss : 0, "full loss");
    }

    function testFuzz_decay_movesMonotonicallyTowardsNeutral(
        uint8[12] memory outcomes,
        uint256 paramSeed,
        uint64 t1,
        uint64 t2
    ) public {
        _fuzzParams(paramSeed);
        _playHistory(outcomes);
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
                halfLife: uint32(seed >> 80) % 60 days,
                fullGainValue: uint96(bound(seed >> 112, 1, type(uint96).max))
            })
        );
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Outcomes from a few requesters (the node itself among them), full value, this instant.
    function _playHistory(uint8[12] memory outcomes) internal {
        uint256 full = reputation.params().fullGainValue;
        for (uint256 i; i < outcomes.length; ++i) {
            reputation.recordWork(node, i, IReputation.Outcome(outcomes[i] % 5), _requesterOf(outcomes[i] >> 3), full);
        }
    }

    /// @dev One of four requesters, the node itself being one of them.
    function _requesterOf(uint256 seed) internal view returns (address) {
        uint160 i = uint160(seed % 4); // forge-lint: disable-line(unsafe-typecast)
        return i == 0 ? node : address(0x5E0000 + i);
    }

    function _distance(uint256 score) internal pure returns (uint256) {
        return score > NEUTRAL ? score - NEUTRAL : NEUTRAL - score;
    }
}
