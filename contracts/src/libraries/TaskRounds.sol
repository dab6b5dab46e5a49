// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMarketConfig} from "../interfaces/IMarketConfig.sol";
import {IRoundBook} from "../interfaces/IRoundBook.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {TaskApplications} from "./TaskApplications.sol";
import {TaskState} from "./TaskState.sol";

/// @title TaskRounds
/// @notice The market's side of data-parallel tasks' round books: admitting the replacement for
///         a seat a book opened, and the straggler penalty taken from a node's collateral.
/// @dev `admit` is external (it runs by DELEGATECALL in the market's storage, see
///      {TaskSettlement}); `penaltyOf` is internal, inlined where collateral is released.
///      Events and errors are the market's ({ITaskMarket}). Loops run over one task's
///      applicants (at most MAX_APPLICANTS).
library TaskRounds {
    uint256 private constant BPS = 10_000;

    /// @dev What the scan for candidates reads besides the requirements.
    struct Scan {
        uint256 taskId;
        IRoundBook book;
        address requester;
    }

    /// @notice `admitReplacement` (see {ITaskMarket-admitReplacement}), called by the bound round
    ///         book for a task Assigned or Running before its deadline: picks the replacement
    ///         among the candidates by the task's strategy and makes it an assignee, its
    ///         collateral locked.
    function admit(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address[] storage applicants,
        address[] storage assignees,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) external returns (address node) {
        IRoundBook book = IRoundBook(deps.config.roundBook());
        if (msg.sender != address(book)) revert ITaskMarket.NotRoundBook(msg.sender);
        ITaskMarket.TaskStatus status = t.status;
        if (status != ITaskMarket.TaskStatus.Assigned && status != ITaskMarket.TaskStatus.Running) {
            revert ITaskMarket.InvalidStatus(taskId, status, ITaskMarket.TaskStatus.Assigned);
        }
        if (block.timestamp > t.deadline) revert ITaskMarket.DeadlinePassed(taskId, t.deadline);
        TaskApplications.Requirements memory q = TaskApplications.requirements(t);
        (address[] memory candidates, uint256[] memory prices) =
            _candidates(Scan(taskId, book, t.requester), q, applicants, seats, deps);
        if (candidates.length == 0) revert ITaskMarket.NoReplacementCandidate(taskId);
        uint256 at = _pick(t.strategy, taskId, candidates, deps.config);
        node = candidates[at];
        ITaskMarket.Participation storage p = seats[node];
        p.assigned = true;
        p.price = prices[at];
        assignees.push(node);
        ++t.active;
        emit ITaskMarket.ReplacementAdmitted(taskId, node, prices[at]);
        TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Locked);
        if (q.collateral != 0) deps.registry.lockCollateral(node, taskId, q.collateral);
    }

    /// @notice The part of `collateral` `node` forfeits for the rounds it missed in the task's
    ///         round book (0 without a bound book).
    function penaltyOf(IMarketConfig config, uint256 taskId, address node, uint256 collateral)
        internal
        view
        returns (uint256)
    {
        address book = config.roundBook();
        if (book == address(0) || collateral == 0) return 0;
        return collateral * IRoundBook(book).penaltyBpsOf(taskId, node) / BPS;
    }

    /// @dev The task's applicants that may take a seat now, in application order, with their
    ///      prices (see `_candidate`).
    function _candidates(
        Scan memory scan,
        TaskApplications.Requirements memory q,
        address[] storage applicants,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) private view returns (address[] memory candidates, uint256[] memory prices) {
        uint256 n = applicants.length;
        candidates = new address[](n);
        prices = new uint256[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            address node = applicants[i];
            (bool ok, uint256 price) = _candidate(scan, q, node, seats[node], deps);
            if (ok) (candidates[count], prices[count++]) = (node, price);
        }
        assembly ("memory-safe") {
            mstore(candidates, count)
            mstore(prices, count)
        }
    }

    /// @dev Whether applicant `node` may take a seat, and its price: not assigned, its bond
    ///      released at assignment (not dropped), not the requester, never seated in the book,
    ///      eligible now with the collateral as free stake.
    function _candidate(
        Scan memory scan,
        TaskApplications.Requirements memory q,
        address node,
        ITaskMarket.Participation storage p,
        TaskState.Deps memory deps
    ) private view returns (bool, uint256) {
        if (!p.applied || p.assigned || p.bond != ITaskMarket.Bond.Released || node == scan.requester) return (false, 0);
        if (scan.book.participantOf(scan.taskId, node).joinedRound != 0) return (false, 0);
        return TaskApplications.check(q, node, q.collateral, deps);
    }

    /// @dev The strategy's pick among `candidates` (its index), or 0 (application order) when
    ///      the strategy is no longer allowed, reverts (a stale random draw) or picks outside them.
    function _pick(address strategy, uint256 taskId, address[] memory candidates, IMarketConfig config)
        private
        view
        returns (uint256)
    {
        if (!config.isStrategyAllowed(strategy)) return 0;
        try IScheduleStrategy(strategy).select(taskId, candidates, 1) returns (address[] memory selected) {
            if (selected.length != 1) return 0;
            for (uint256 i; i < candidates.length; ++i) {
                if (candidates[i] == selected[0]) return i;
            }
        } catch {}
        return 0;
    }
}
