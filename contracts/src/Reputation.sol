// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "./interfaces/IVersioned.sol";
import {Versioned} from "./access/Versioned.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IReputation} from "./interfaces/IReputation.sol";

/// @title Reputation
/// @notice Reputation of compute nodes, 0..10000, neutral 5000 for a node never seen, recorded
///         by the task market and decaying towards neutral while a node is idle. Gains are
///         weighted by the value others paid, with diminishing returns per requester; losses are
///         always full.
/// @dev Decay is lazy: a node's stored score is its score at `updatedAt`; its distance to
///      NEUTRAL halves every `halfLife` seconds after that (whole halvings by shifting, linear
///      between two halvings), so `reputationOf` never rises away from neutral with time and
///      never leaves 0..MAX. Every update applies the decay first, then the outcome's gain or
///      loss, clamped to 0..MAX. A change of `halfLife` applies to the time elapsed since each
///      node's last update as well (decay is computed on read).
///
///      A gain is `base * min(value, fullGainValue) * GAIN_UNIT / (fullGainValue * (GAIN_UNIT +
///      k))`, rounded down, where `k` is the node's count of earlier gains from the requester in
///      GAIN_UNITs. That count decays exactly like a score's distance to neutral (same half-life,
///      same function), so a node that works for one requester again after a long pause is paid
///      almost a full gain again, while a burst of tasks from one requester earns
///      `base * (1 + 1/2 + ... + 1/n)`. A gain that rounds to 0 (a self-deal, a tiny task, a
///      long run for one requester) writes nothing, so it neither counts as a gain nor restarts
///      the decay of the node's score.
contract Reputation is IReputation, AccessControl, Versioned {
    /// @notice The role of the task market (and of verification), which records outcomes.
    bytes32 public constant REPORTER_ROLE = keccak256("REPORTER_ROLE");

    /// @notice The score of a node never seen, and where idle scores decay to.
    uint16 public constant NEUTRAL = 5000;
    /// @notice The highest score.
    uint16 public constant MAX = 10_000;
    /// @notice The largest gain or loss one outcome can carry.
    uint16 public constant MAX_STEP = 1000;
    /// @notice One gain in a per-requester gain count (`gainsFrom`), which decays in fractions.
    uint256 public constant GAIN_UNIT = 1e6;

    /// @dev A node's score as of `updatedAt` (0 = never seen: the score is NEUTRAL).
    struct Record {
        uint16 score;
        uint64 updatedAt;
    }

    /// @dev A node's gains from one requester as of `updatedAt`, in GAIN_UNITs. It only grows with
    ///      a gain that is not 0, and base / (1 + k) < 1 once k >= base, so it stays below
    ///      (MAX_STEP + 1) * GAIN_UNIT (about 2**30).
    struct GainCount {
        uint64 count;
        uint64 updatedAt;
    }

    Params private _params;
    mapping(address node => Record) private _records;
    mapping(address node => mapping(address requester => GainCount)) private _gainCounts;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (parameters, granting REPORTER_ROLE).
    /// @dev Defaults: +200 agreed, +300 agreed early (for 1 NNT paid by a new requester), -500
    ///      dissent, -400 missed, -1000 failed verification, a 30-day half-life.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setParams(
            Params({
                agreedGain: 200,
                earlyGain: 300,
                dissentLoss: 500,
                missedLoss: 400,
                failedLoss: 1000,
                halfLife: 30 days,
                fullGainValue: 1e18
            })
        );
    }

    /// @inheritdoc IReputation
    function recordWork(address node, uint256 taskId, Outcome outcome, address requester, uint256 value)
        external
        onlyRole(REPORTER_ROLE)
    {
        if (!_isGain(outcome)) {
            _applyLoss(node, taskId, outcome);
            return;
        }
        Params memory p = _params;
        uint256 earlier = _countNow(_gainCounts[node][requester], p.halfLife);
        uint16 gain = requester == node ? 0 : _gain(p, outcome, value, earlier);
        uint16 previous = _current(_records[node], p.halfLife);
        uint16 current = previous;
        if (gain != 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 count = uint64(earlier + GAIN_UNIT); // < (MAX_STEP + 1) * GAIN_UNIT: see GainCount
            _gainCounts[node][requester] = GainCount({count: count, updatedAt: uint64(block.timestamp)});
            uint256 score = uint256(previous) + gain;
            // forge-lint: disable-next-line(unsafe-typecast)
            current = score > MAX ? MAX : uint16(score); // clamped to MAX
            _records[node] = Record({score: current, updatedAt: uint64(block.timestamp)});
        }
        emit ReputationGainWeighted(node, taskId, requester, value, earlier, gain);
        emit ReputationUpdated(node, taskId, outcome, previous, current);
    }

    /// @inheritdoc IReputation
    function record(address node, uint256 taskId, Outcome outcome) external onlyRole(REPORTER_ROLE) {
        if (_isGain(outcome)) revert GainNeedsValue(outcome);
        _applyLoss(node, taskId, outcome);
    }

    /// @inheritdoc IReputation
    function setParams(Params calldata params_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParams(params_);
    }

    /// @inheritdoc IReputation
    function reputationOf(address node) external view returns (uint16) {
        return _current(_records[node], _params.halfLife);
    }

    /// @inheritdoc IReputation
    function reputationsOf(address[] calldata nodes) external view returns (uint16[] memory scores) {
        uint32 halfLife = _params.halfLife;
        uint256 n = nodes.length;
        scores = new uint16[](n);
        for (uint256 i; i < n; ++i) {
            scores[i] = _current(_records[nodes[i]], halfLife);
        }
    }

    /// @inheritdoc IReputation
    function gainsFrom(address node, address requester) external view returns (uint256) {
        return _countNow(_gainCounts[node][requester], _params.halfLife);
    }

    /// @inheritdoc IReputation
    function previewGain(address node, Outcome outcome, address requester, uint256 value)
        external
        view
        returns (uint16)
    {
        if (!_isGain(outcome) || requester == node) return 0;
        Params memory p = _params;
        return _gain(p, outcome, value, _countNow(_gainCounts[node][requester], p.halfLife));
    }

    /// @inheritdoc IReputation
    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- internal

    /// @dev Applies the full loss of a loss outcome (Dissented, Missed, FailedVerification).
    function _applyLoss(address node, uint256 taskId, Outcome outcome) private {
        Params memory p = _params;
        uint16 previous = _current(_records[node], p.halfLife);
        uint16 loss = outcome == Outcome.Dissented
            ? p.dissentLoss
            : outcome == Outcome.Missed ? p.missedLoss : outcome == Outcome.Rejected ? 0 : p.failedLoss;
        uint16 current = previous > loss ? previous - loss : 0;
        _records[node] = Record({score: current, updatedAt: uint64(block.timestamp)});
        emit ReputationUpdated(node, taskId, outcome, previous, current);
    }

    /// @dev `base * min(value, fullGainValue) / fullGainValue / (1 + earlier / GAIN_UNIT)`, rounded
    ///      down once. No overflow: base <= 2**10, min(...) < 2**96, GAIN_UNIT < 2**20 on top, and
    ///      fullGainValue < 2**96 times GAIN_UNIT + earlier < 2**31 below (see GainCount).
    function _gain(Params memory p, Outcome outcome, uint256 value, uint256 earlier) private pure returns (uint16) {
        uint256 base = outcome == Outcome.AgreedEarly ? p.earlyGain : p.agreedGain;
        uint256 weighted = value < p.fullGainValue ? value : p.fullGainValue;
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint16(base * weighted * GAIN_UNIT / (uint256(p.fullGainValue) * (GAIN_UNIT + earlier))); // <= base
    }

    function _isGain(Outcome outcome) private pure returns (bool) {
        return outcome == Outcome.Agreed || outcome == Outcome.AgreedEarly;
    }

    /// @dev A gain count decayed to now, like a score's distance to neutral.
    function _countNow(GainCount memory c, uint32 halfLife) private view returns (uint256) {
        return decayedDistance(c.count, block.timestamp - c.updatedAt, halfLife);
    }

    function _setParams(Params memory p) private {
        _checkStep(p.agreedGain);
        _checkStep(p.earlyGain);
        _checkStep(p.dissentLoss);
        _checkStep(p.missedLoss);
        _checkStep(p.failedLoss);
        if (p.fullGainValue == 0) revert InvalidFullGainValue(p.fullGainValue);
        _params = p;
        emit ReputationParamsSet(p);
    }

    function _checkStep(uint16 step) private pure {
        if (step > MAX_STEP) revert GainTooLarge(step, MAX_STEP);
    }

    /// @dev The record's score decayed to now.
    function _current(Record memory rec, uint32 halfLife) private view returns (uint16) {
        if (rec.updatedAt == 0) return NEUTRAL;
        if (halfLife == 0) return rec.score;
        uint256 distance = rec.score > NEUTRAL ? rec.score - NEUTRAL : NEUTRAL - rec.score;
        distance = decayedDistance(distance, block.timestamp - rec.updatedAt, halfLife);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint16 d = uint16(distance); // never more than the original distance (<= NEUTRAL)
        return rec.score > NEUTRAL ? NEUTRAL + d : NEUTRAL - d;
    }

    /// @notice `distance` after `elapsed` seconds of halving every `halfLife` seconds: whole
    ///         halvings by shifting, then linear interpolation towards the next halving.
    /// @dev Non-increasing in `elapsed` and continuous at every halving boundary. Used for score
    ///      distances (< 2**14) and gain counts (< 2**64); exact for any distance below 2**64.
    function decayedDistance(uint256 distance, uint256 elapsed, uint256 halfLife) public pure returns (uint256) {
        if (halfLife == 0) return distance;
        uint256 halvings = elapsed / halfLife;
        if (halvings >= 64) return 0; // distance < 2**64
        uint256 start = distance >> halvings;
        uint256 drop = start - (start >> 1);
        return start - drop * (elapsed % halfLife) / halfLife;
    }

    /// @notice ERC-165: true for {IReputation}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IReputation).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
