// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title FunderShares
/// @notice Splits a whole (10,000 basis points) among funders in proportion to their contributions.
/// @dev Each share is floored; what the floors leave over goes to the largest contributor (the
///      first of them on a tie), so the shares sum to exactly 10,000 whenever anything was
///      contributed. A contribution too small for one basis point gets a share of 0: callers
///      leave such funders out of owner lists (their part goes to the largest contributor).
library FunderShares {
    uint16 internal constant BPS = 10_000;

    /// @return shares One share per contribution, in basis points, summing to 10,000 (all zero
    ///         when nothing was contributed).
    function split(uint256[] memory contributions) internal pure returns (uint16[] memory shares) {
        uint256 n = contributions.length;
        shares = new uint16[](n);
        uint256 total;
        uint256 largest;
        for (uint256 i; i < n; ++i) {
            total += contributions[i];
            if (contributions[i] > contributions[largest]) largest = i;
        }
        if (total == 0) return shares;
        uint256 given;
        for (uint256 i; i < n; ++i) {
            uint256 share = Math.mulDiv(contributions[i], BPS, total); // floored, full precision
            shares[i] = uint16(share);
            given += share;
        }
        shares[largest] += uint16(BPS - given);
    }
}
