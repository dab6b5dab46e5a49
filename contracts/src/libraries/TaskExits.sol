// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMarketConfig} from "../interfaces/IMarketConfig.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {TaskApplications} from "./TaskApplications.sol";
import {TaskRounds} from "./TaskRounds.sol";
import {TaskState} from "./TaskState.sol";

/// @title TaskExits
/// @notice The ways out of a task other than settlement: expiry, giving up, the release of a
///         frozen or held seat, and a slash by arbitration. Each takes one seat (or one task) to
///         a final state and moves its collateral; none can strand a bond.
/// @dev An external library running in the market's storage (see {TaskSettlement}); the
///      market checks roles and calls it. Events and errors are the market's ({ITaskMarket}).
library TaskExits {
    uint256 private constant BPS = 10_000;

    /// @notice `expire` (see {ITaskMarket-expire}): an unassignable published task ends with a
    ///         refund and its applicants released; past the deadline, assignees that submitted
    ///         nothing lose their collateral to the treasury and drop out.
    function expire(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address[] storage applicants,
        address[] storage assignees,
        mapping(address => ITaskMarket.Participation) storage seats,
        mapping(address => mapping(address => uint256)) storage claimable,
        TaskState.Deps memory deps
    ) external {
        ITaskMarket.TaskStatus from = t.status;
        bool beforeDeadline = block.timestamp <= t.deadline;
        IMarketConfig.Params memory c = deps.config.params();
        if (from == ITaskMarket.TaskStatus.Published) {
            if (beforeDeadline) {
                if (block.timestamp < t.applyDeadline) revert ITaskMarket.ApplicationOpen(taskId, t.applyDeadline);
                uint256 eligible = TaskApplications.eligibleCount(t, applicants, deps);
                bool timeLeft = t.deadline - block.timestamp >= c.minExecutionWindow;
                if (eligible >= t.replication && timeLeft) revert ITaskMarket.DeadlineNotReached(taskId, t.deadline);
            }
            TaskState.refundAll(t, taskId, claimable, ITaskMarket.TaskStatus.Expired);
            TaskApplications.releaseAll(t, taskId, applicants, seats, deps.registry);
            return;
        }
        if (from != ITaskMarket.TaskStatus.Assigned && from != ITaskMarket.TaskStatus.Running) {
            revert ITaskMarket.InvalidStatus(taskId, from, ITaskMarket.TaskStatus.Assigned);
        }
        if (beforeDeadline) revert ITaskMarket.DeadlineNotReached(taskId, t.deadline);
        uint96 collateral = t.collateral;
        uint256 r = assignees.length;
        for (uint256 i; i < r; ++i) {
            address node = assignees[i];
            ITaskMarket.Participation storage p = seats[node];
            if (p.submitted || p.dropped) continue;
            emit ITaskMarket.NodeMissed(taskId, node, collateral);
            _drop(t, taskId, node, p, collateral, c.treasury, deps);
        }
        _afterDrop(t, taskId, ITaskMarket.TaskStatus.Expired, claimable, c);
    }

    /// @notice `abandon` by `node` (checked by the market to be an active assignee without a
    ///         result, before the deadline): it drops out paying the abandon penalty, or its round
    ///         book's missed-round penalty when that is larger.
    function abandon(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        ITaskMarket.AbandonReason reason,
        mapping(address => ITaskMarket.Participation) storage seats,
        mapping(address => mapping(address => uint256)) storage claimable,
        TaskState.Deps memory deps
    ) external {
        IMarketConfig.Params memory c = deps.config.params();
        uint256 slashed = uint256(t.collateral) * c.abandonPenaltyBps / BPS;
        // a straggler of a round book does not escape its missed-round penalty by giving up
        uint256 missed = TaskRounds.penaltyOf(deps.config, taskId, node, t.collateral);
        if (missed > slashed) slashed = missed;
        emit ITaskMarket.TaskAbandoned(taskId, node, reason, slashed);
        _drop(t, taskId, node, seats[node], slashed, c.treasury, deps);
        _afterDrop(t, taskId, ITaskMarket.TaskStatus.Failed, claimable, c);
    }

    /// @notice `holdFrozen` (see {ITaskMarket-holdFrozen}; the role checked by the market):
    ///         a frozen node of a settled task is held for a challenge, within the freeze window.
    function hold(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        mapping(address => ITaskMarket.Participation) storage seats
    ) external {
        ITaskMarket.TaskStatus status = t.status;
        if (status != ITaskMarket.TaskStatus.Settled) {
            if (status == ITaskMarket.TaskStatus.None) revert ITaskMarket.UnknownTask(taskId);
            revert ITaskMarket.InvalidStatus(taskId, status, ITaskMarket.TaskStatus.Settled);
        }
        if (block.timestamp >= t.challengeEndsAt) revert ITaskMarket.DeadlinePassed(taskId, t.challengeEndsAt);
        ITaskMarket.Participation storage p = seats[node];
        if (p.bond != ITaskMarket.Bond.Frozen) {
            revert ITaskMarket.InvalidBond(taskId, node, p.bond, ITaskMarket.Bond.Frozen);
        }
        TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Held);
    }

    /// @notice Releases the collateral of `node`, whose bond must be `want` (Frozen or Held).
    function release(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        ITaskMarket.Bond want,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) external {
        ITaskMarket.Participation storage p = seats[node];
        if (p.bond != want) revert ITaskMarket.InvalidBond(taskId, node, p.bond, want);
        TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Released);
        if (t.collateral != 0) deps.registry.releaseCollateral(node, taskId, t.collateral);
    }

    /// @notice `slashNode` (see {ITaskMarket-slashNode}): a node of a Disputed task leaves it
    ///         and the task resumes, or a held node of a settled task; its collateral goes to
    ///         `recipient`.
    function slash(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        address recipient,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) external returns (uint256 slashed) {
        ITaskMarket.Participation storage p = seats[node];
        ITaskMarket.Bond want = ITaskMarket.Bond.Held;
        if (t.status == ITaskMarket.TaskStatus.Disputed) {
            want = ITaskMarket.Bond.Locked;
            if (!p.submitted) revert ITaskMarket.InvalidBond(taskId, node, p.bond, want);
        }
        if (p.bond != want) revert ITaskMarket.InvalidBond(taskId, node, p.bond, want);
        if (want == ITaskMarket.Bond.Locked) {
            // out of the task: not counted, not paid; the others settle as usual
            --t.active;
            --t.submissions;
            TaskState.transition(t, taskId, t.tied ? ITaskMarket.TaskStatus.Verifying : ITaskMarket.TaskStatus.Submitted);
        }
        slashed = t.collateral;
        emit ITaskMarket.NodeSlashed(taskId, node, slashed, recipient);
        TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Slashed);
        if (slashed != 0) deps.registry.slashCollateral(node, taskId, slashed, recipient);
        deps.reputation.record(node, taskId, IReputation.Outcome.FailedVerification);
    }

    /// @dev Whether `p`'s posted proof may still be challenged: it submitted, its bond is locked,
    ///      and the task has not left its challenge window (Assigned or Running, or Submitted
    ///      before `challengeEndsAt`).
    function _challengeable(ITaskMarket.Task storage t, ITaskMarket.Participation storage p)
        private
        view
        returns (bool)
    {
        if (!p.submitted || p.bond != ITaskMarket.Bond.Locked || p.proofHash == bytes28(0)) return false;
        ITaskMarket.TaskStatus status = t.status;
        if (status == ITaskMarket.TaskStatus.Assigned || status == ITaskMarket.TaskStatus.Running) return true;
        return status == ITaskMarket.TaskStatus.Submitted && block.timestamp < t.challengeEndsAt;
    }

    /// @notice `rejectProof` (see {ITaskMarket-rejectProof}; the caller must be the task's
    ///         ResultProofs, checked here):
    ///         a node whose posted proof failed leaves the task, its collateral split between
    ///         the challenger and the treasury. The task goes on without it: its window opens
    ///         if the others have all submitted, it refunds its requester if nobody is left.
    function rejectProof(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        address challenger,
        uint16 challengerShareBps,
        mapping(address => ITaskMarket.Participation) storage seats,
        mapping(address => mapping(address => uint256)) storage claimable,
        TaskState.Deps memory deps
    ) external returns (uint256 slashed) {
        if (t.status == ITaskMarket.TaskStatus.None) revert ITaskMarket.UnknownTask(taskId);
        if (msg.sender != t.resultProofs) revert ITaskMarket.NotResultProofs(taskId, msg.sender);
        ITaskMarket.Participation storage p = seats[node];
        if (!_challengeable(t, p)) revert ITaskMarket.ProofNotChallengeable(taskId, node);
        --t.active;
        --t.submissions;
        slashed = t.collateral;
        uint256 toChallenger = slashed * challengerShareBps / BPS;
        IMarketConfig.Params memory c = deps.config.params();
        emit ITaskMarket.ProofRejected(taskId, node, challenger, toChallenger, slashed - toChallenger);
        TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Slashed);
        if (toChallenger != 0) deps.registry.slashCollateral(node, taskId, toChallenger, challenger);
        if (slashed > toChallenger) deps.registry.slashCollateral(node, taskId, slashed - toChallenger, c.treasury);
        deps.reputation.record(node, taskId, IReputation.Outcome.FailedVerification);
        if (t.status != ITaskMarket.TaskStatus.Submitted) {
            _afterDrop(t, taskId, ITaskMarket.TaskStatus.Failed, claimable, c);
        } else if (t.active == 0) {
            TaskState.refundAll(t, taskId, claimable, ITaskMarket.TaskStatus.Failed);
        }
    }

    /// @dev Takes an assignee that submitted nothing out of the task: `slashed` of its
    ///      collateral to `treasury`, the rest released, recorded Missed.
    function _drop(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        ITaskMarket.Participation storage p,
        uint256 slashed,
        address treasury,
        TaskState.Deps memory deps
    ) private {
        p.dropped = true;
        --t.active;
        TaskState.setBond(p, taskId, node, slashed != 0 ? ITaskMarket.Bond.Slashed : ITaskMarket.Bond.Released);
        uint256 collateral = t.collateral;
        if (slashed != 0) deps.registry.slashCollateral(node, taskId, slashed, treasury);
        if (collateral > slashed) deps.registry.releaseCollateral(node, taskId, collateral - slashed);
        deps.reputation.record(node, taskId, IReputation.Outcome.Missed);
    }

    /// @dev After assignees dropped out: with nobody left the task ends as `ending` with a full
    ///      refund; once every remaining assignee has submitted, the challenge window opens.
    function _afterDrop(
        ITaskMarket.Task storage t,
        uint256 taskId,
        ITaskMarket.TaskStatus ending,
        mapping(address => mapping(address => uint256)) storage claimable,
        IMarketConfig.Params memory c
    ) private {
        if (t.active == 0) TaskState.refundAll(t, taskId, claimable, ending);
        else if (t.submissions == t.active) TaskState.allSubmitted(t, taskId, c.settlement.challengeWindow);
    }
}
