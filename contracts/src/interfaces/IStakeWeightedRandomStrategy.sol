// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "./ITaskMarket.sol";

import {IScheduleStrategy} from "./IScheduleStrategy.sol";

/// @title IStakeWeightedRandomStrategy
/// @notice Draws a task's nodes at random, without replacement, each with a probability
///         proportional to the free stake it had when the draw was committed, in two steps:
///         once the task's applications have closed, anyone calls `commitDraw`, which fixes the
///         applicants' weights and a target block `block.number + DRAW_DELAY`; once that block is
///         mined, anyone calls `TaskMarket.assign`, whose `select` draws from
///         `keccak256(blockhash(target), taskId)`. Nobody knows that hash at the commit, and the
///         weights cannot move once it is known.
/// @dev `select` reverts `DrawNotCommitted`, `DrawNotReady` (target not mined) or `DrawStale`
///      (target more than 256 blocks old: its hash is gone; `commitDraw` may then be called again,
///      which snapshots the weights anew). The draw orders the applicants of the commit; the
///      selection is the first `count` of that order that the market passes as (still) eligible
///      candidates, so an applicant that drops out after the hash is known only removes itself:
///      it cannot move anyone else up or down the order.
///
///      Residual risks (see SECURITY.md, "Randomness that picks people"): the proposer of the
///      target block can withhold it for one redraw; on an L2 the sequencer chooses block hashes
///      and can choose the assignees; the requester, seeing a draw it dislikes before anyone
///      assigns, can still cancel the task (the market allows it until assignment) and publish
///      it again; a draw left unassigned for 256 blocks goes stale and is redrawn, so the assign
///      poke must be live (the oracle sends it as soon as the draw is ready).
interface IStakeWeightedRandomStrategy is IScheduleStrategy {
    /// @notice One applicant in a committed draw, with its weight (free stake at the commit).
    struct Entry {
        address node;
        uint96 weight;
    }

    /// @notice Where a task's draw stands.
    enum DrawState {
        None, // not committed
        Pending, // committed, target block not mined yet
        Ready, // `select` can draw (assign now)
        Stale // target block older than 256 blocks: commit again
    }

    /// @notice The draw of `taskId` was committed to the hash of `targetBlock`, over `applicants`
    ///         applicants weighing `totalWeight` together.
    event DrawCommitted(uint256 indexed taskId, uint64 targetBlock, uint256 applicants, uint256 totalWeight);

    /// @notice `commitDraw` has not been called for the task.
    error DrawNotCommitted(uint256 taskId);
    /// @notice The target block is not mined yet: assign from block `targetBlock + 1` on.
    error DrawNotReady(uint256 taskId, uint64 targetBlock);
    /// @notice The target block's hash is gone (more than 256 blocks ago): commit the draw again.
    error DrawStale(uint256 taskId, uint64 targetBlock);
    /// @notice The task's draw is committed already and not stale.
    error DrawAlreadyCommitted(uint256 taskId, uint64 targetBlock);
    /// @notice The task does not use this strategy.
    error NotThisStrategy(uint256 taskId, address strategy);
    /// @notice The task is not Published (assigned, ended or unknown).
    error TaskNotPublished(uint256 taskId, ITaskMarket.TaskStatus status);
    /// @notice Applications are still open until `applyDeadline`.
    error ApplicationsOpen(uint256 taskId, uint64 applyDeadline);

    /// @notice Commits the draw of a published task of this strategy whose applications have
    ///         closed: snapshots each applicant's free stake and fixes the target block. Anyone;
    ///         again only once the previous draw is stale.
    /// @return targetBlock The block whose hash the draw uses.
    function commitDraw(uint256 taskId) external returns (uint64 targetBlock);

    /// @notice The committed draw of `taskId`: its target block (0 = none) and the applicants
    ///         with their weights, in application order.
    function drawOf(uint256 taskId) external view returns (uint64 targetBlock, Entry[] memory entries);

    /// @notice Where the draw of `taskId` stands (what the oracle polls).
    function drawState(uint256 taskId) external view returns (DrawState);

    /// @notice Blocks between a commit and its target block.
    function DRAW_DELAY() external view returns (uint64);
}
