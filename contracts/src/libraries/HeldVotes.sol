// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @notice The checkpoint views of OpenZeppelin's ERC20Votes (NNT).
interface ICheckpointedVotes {
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256);
    function numCheckpoints(address account) external view returns (uint32);
    function checkpoints(address account, uint32 pos) external view returns (Checkpoints.Checkpoint208 memory);
}

/// @title HeldVotes
/// @notice The votes an account held throughout a range of past blocks: the least of its
///         delegated votes at every block from `from` to `to`. Votes that move money count this,
///         not the votes at one or two sample blocks: those blocks are known in advance, so one
///         one-block loan across each of them would count in full. Weight has to be held for the
///         whole range to count.
/// @dev An external library (its code stays out of the governor and the arbitration contract,
///      which call it). Reads the account's ERC20Votes checkpoints: a binary search for the first one after
///      `from`, then those up to `to`. The loop runs over the account's own vote changes in the
///      range, so only an account that churns its votes pays for its own lookup.
library HeldVotes {
    /// @notice The least votes `account` had at the end of any block in `[from, to]` (both past).
    function held(ICheckpointedVotes token, address account, uint256 from, uint256 to)
        external
        view
        returns (uint256 least)
    {
        least = token.getPastVotes(account, from);
        if (least == 0 || to <= from) return least;
        uint32 n = token.numCheckpoints(account);
        uint32 lo;
        uint32 hi = n;
        while (lo < hi) {
            uint32 mid = lo + (hi - lo) / 2;
            if (token.checkpoints(account, mid)._key <= from) lo = mid + 1;
            else hi = mid;
        }
        for (uint32 i = lo; i < n; ++i) {
            Checkpoints.Checkpoint208 memory c = token.checkpoints(account, i);
            if (c._key > to) break;
            if (c._value < least) least = c._value;
            if (least == 0) break;
        }
    }
}
