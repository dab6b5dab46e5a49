// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IReputation} from "./interfaces/IReputation.sol";

/// @title Reputation
/// @notice Reputation of compute nodes, 0..10000, neutral 5000 for a node never seen, recorded
///         by the task market and decaying towards neutral while a node is idle.
/// @dev Decay is lazy: a node's stored score is its score at `updatedAt`; its distance to
///      NEUTRAL halves every `halfLife` seconds after that (whole halvings by shifting, linear
///      between two halvings), so `reputationOf` never rises away from neutral with time and
///      never leaves 0..MAX. `record` applies the decay first, then the outcome's gain or loss,
///      clamped to 0..MAX. A change of `halfLife` applies to the time elapsed since each node's
///      last update as well (decay is computed on read).
contract Reputation is IReputation, AccessControl {
    /// @notice The role of the task market, which records outcomes.
    bytes32 public constant REPORTER_ROLE = keccak256("REPORTER_ROLE");

    /// @notice The score of a node never seen, and where idle scores decay to.
    uint16 public constant NEUTRAL = 5000;
    /// @notice The highest score.
    uint16 public constant MAX = 10_000;
    /// @notice The largest gain or loss one outcome can carry.
    uint16 public constant MAX_STEP = 1000;

    /// @dev A node's score as of `updatedAt` (0 = never seen: the score is NEUTRAL).
    struct Record {
        uint16 score;
        uint64 updatedAt;
    }

    Params private _params;
    mapping(address node => Record) private _records;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (parameters, granting REPORTER_ROLE).
    /// @dev Defaults: +200 agreed, +300 agreed early, -500 dissent, -400 missed, -1000 failed
    ///      verification, a 30-day half-life.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setParams(
            Params({
                agreedGain: 200, earlyGain: 300, dissentLoss: 500, missedLoss: 400, failedLoss: 1000, halfLife: 30 days
            })
        );
    }

    /// @inheritdoc IReputation
    function record(address node, uint256 taskId, Outcome outcome) external onlyRole(REPORTER_ROLE) {
        Params memory p = _params;
        uint16 previous = _current(_records[node], p.halfLife);
        uint256 score = previous;
        if (outcome == Outcome.Agreed) {
            score += p.agreedGain;
        } else if (outcome == Outcome.AgreedEarly) {
            score += p.earlyGain;
        } else {
            uint256 loss =
                outcome == Outcome.Dissented ? p.dissentLoss : outcome == Outcome.Missed ? p.missedLoss : p.failedLoss;
            score = score > loss ? score - loss : 0;
        }
        if (score > MAX) score = MAX;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint16 current = uint16(score); // clamped to MAX on the line above
        _records[node] = Record({score: current, updatedAt: uint64(block.timestamp)});
        emit ReputationUpdated(node, taskId, outcome, previous, current);
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
    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- internal

    function _setParams(Params memory p) private {
        _checkStep(p.agreedGain);
        _checkStep(p.earlyGain);
        _checkStep(p.dissentLoss);
        _checkStep(p.missedLoss);
        _checkStep(p.failedLoss);
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
    /// @dev Non-increasing in `elapsed` and continuous at every halving boundary.
    function decayedDistance(uint256 distance, uint256 elapsed, uint256 halfLife) public pure returns (uint256) {
        if (halfLife == 0) return distance;
        uint256 halvings = elapsed / halfLife;
        if (halvings >= 16) return 0; // distance <= MAX < 2**14
        uint256 start = distance >> halvings;
        uint256 drop = start - (start >> 1);
        return start - drop * (elapsed % halfLife) / halfLife;
    }
}
