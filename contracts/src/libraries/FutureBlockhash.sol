// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title FutureBlockhash
/// @notice Randomness for picking people, in two steps: commit to a block that is not mined yet,
///         then read its hash once it is. Nobody knows the hash when the draw is committed, so the
///         caller of either step cannot choose the outcome by choosing its transaction or block.
/// @dev The EVM keeps the hashes of the last 256 blocks only: a target older than that reads
///      as Stale and the draw must be committed again. Residual bias: the proposer of the target
///      block may withhold it (losing its reward) to get one redraw; on an L2 the sequencer
///      produces the hashes and can choose them (see SECURITY.md, "Randomness that picks people").
library FutureBlockhash {
    /// @notice Blocks between the commit and its target: the target is `commit block + DELAY`.
    uint64 internal constant DELAY = 2;

    enum State {
        Pending, // the target block is not mined yet
        Ready, // its hash can be read
        Stale // it is more than 256 blocks old: its hash is gone
    }

    /// @notice The target block of a draw committed now.
    function target() internal view returns (uint64) {
        return uint64(block.number) + DELAY;
    }

    /// @notice Where the draw committed to `targetBlock` stands, and the hash when Ready.
    function read(uint64 targetBlock) internal view returns (State state, bytes32 hash) {
        if (block.number <= targetBlock) return (State.Pending, bytes32(0));
        hash = blockhash(targetBlock);
        state = hash == bytes32(0) ? State.Stale : State.Ready;
    }
}
