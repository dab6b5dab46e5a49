// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title SettlementMath
/// @notice The settlement formula of {ITaskMarket}, as pure functions (mirrored to the wei by
///         `nnc.chain.settlement` in Python).
/// @dev For one node of the agreeing majority of a task with budget `B`, replication `r` and
///      `cu` compute units:
///        share  = B / r
///        cost   = share if price == 0, else min(price * cu, share)
///        factor = wBase + wQuality * quality / BPS + wReputation * reputation / BPS   (<= BPS)
///        gross  = cost * factor / BPS                                                 (<= share)
///        fee    = gross * feeBps / BPS,  net = gross - fee
///        bonus  = min(rewardPerComputeUnit * cu * quality / BPS, fee * tokenValue / 1e18)
///                 (NNT, from the rewards pool; never more than the fee paid is worth)
///      Every division rounds down. Since gross <= share and at most r nodes are paid,
///      `sum(gross) <= B`, and the requester's refund `B - sum(gross)` closes the books exactly:
///      `sum(net) + sum(fee) + refund == B`.
library SettlementMath {
    /// @notice Basis-point denominator (weights, fees, quality and reputation scores).
    uint256 internal constant BPS = 10_000;

    /// @notice What a node's work is worth before weighting: its price times the compute units,
    ///         capped at the per-node share; the whole share when the node asks any price (0).
    /// @dev A product that overflows 256 bits is above any share, so it saturates.
    function cost(uint256 price, uint256 computeUnits, uint256 share) internal pure returns (uint256) {
        if (price == 0) return share;
        return Math.min(Math.saturatingMul(price, computeUnits), share);
    }

    /// @notice Whether a node asking `price` per compute unit fits the per-node share.
    function affordable(uint256 price, uint256 computeUnits, uint256 share) internal pure returns (bool) {
        return price == 0 || Math.saturatingMul(price, computeUnits) <= share;
    }

    /// @notice The weighting factor in basis points (at most BPS when the weights sum to BPS and
    ///         both scores are at most BPS).
    function factor(uint256 baseBps, uint256 qualityBps, uint256 reputationBps, uint256 quality, uint256 reputation)
        internal
        pure
        returns (uint256)
    {
        return baseBps + qualityBps * quality / BPS + reputationBps * reputation / BPS;
    }

    /// @notice `cost` weighted by `factorBps`.
    function gross(uint256 cost_, uint256 factorBps) internal pure returns (uint256) {
        return Math.mulDiv(cost_, factorBps, BPS);
    }

    /// @notice The protocol fee taken out of `gross`.
    function fee(uint256 gross_, uint256 feeBps) internal pure returns (uint256) {
        return Math.mulDiv(gross_, feeBps, BPS);
    }

    /// @notice The NNT bonus for `computeUnits` at `quality`.
    /// @dev Saturates at 2**256 - 1 when `rewardPerComputeUnit * computeUnits` overflows (no
    ///      pool holds that much: what is granted is the same).
    function bonus(uint256 rewardPerComputeUnit, uint256 computeUnits, uint256 quality)
        internal
        pure
        returns (uint256)
    {
        (bool ok, uint256 perTask) = Math.tryMul(rewardPerComputeUnit, computeUnits);
        if (!ok) return quality == 0 ? 0 : type(uint256).max;
        return Math.mulDiv(perTask, quality, BPS);
    }

    /// @notice `bonus` capped at the protocol fee paid, valued in NNT at `nntPerToken` NNT-wei
    ///         per 1e18 token-wei: no self-dealing loop earns more NNT than it pays in fees.
    function capByFee(uint256 bonus_, uint256 fee_, uint256 nntPerToken) internal pure returns (uint256) {
        return Math.min(bonus_, Math.mulDiv(fee_, nntPerToken, 1e18));
    }

    /// @notice The last moment of the first half of the execution window `[assignedAt,
    ///         deadline]`: a result submitted by then earns the timeliness bonus (AgreedEarly).
    function earlyCutoff(uint256 assignedAt, uint256 deadline) internal pure returns (uint256) {
        return assignedAt + (deadline - assignedAt) / 2;
    }

    /// @notice The digest more than half of `digests` agree on and how many do; (0, 0) if none.
    /// @dev O(n^2), for the few replicas of one task.
    function strictMajority(bytes32[] memory digests) internal pure returns (bytes32 digest, uint256 count) {
        uint256 n = digests.length;
        for (uint256 i; i < n; ++i) {
            uint256 c;
            for (uint256 j; j < n; ++j) {
                if (digests[j] == digests[i]) ++c;
            }
            if (c * 2 > n) return (digests[i], c);
        }
        return (bytes32(0), 0);
    }
}
