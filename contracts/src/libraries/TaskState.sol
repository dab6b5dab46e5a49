// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMarketConfig} from "../interfaces/IMarketConfig.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IRewardsPool} from "../interfaces/IRewardsPool.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title TaskState
/// @notice The two state machines of the task market, each written in one place: a task's
///         status and a seat's bond, with the transitions the market and its libraries
///         ({TaskApplications}, {TaskSettlement}, {TaskExits}, all running in the market's
///         storage) share; and the protocol contracts they call.
library TaskState {
    /// @notice The protocol contracts the market and its libraries call.
    struct Deps {
        INodeRegistry registry;
        IReputation reputation;
        IRewardsPool rewardsPool;
        IMarketConfig config;
    }

    /// @notice The only place a task's status is written.
    function transition(ITaskMarket.Task storage t, uint256 taskId, ITaskMarket.TaskStatus to) internal {
        ITaskMarket.TaskStatus from = t.status;
        t.status = to;
        emit ITaskMarket.TaskStatusChanged(taskId, from, to);
    }

    /// @notice The only place a seat's bond state is written.
    function setBond(ITaskMarket.Participation storage p, uint256 taskId, address node, ITaskMarket.Bond to)
        internal
    {
        ITaskMarket.Bond from = p.bond;
        p.bond = to;
        emit ITaskMarket.BondChanged(taskId, node, from, to);
    }

    /// @notice Every active assignee's result is in: the challenge window opens.
    function allSubmitted(ITaskMarket.Task storage t, uint256 taskId, uint64 challengeWindow) internal {
        uint64 nowTs = uint64(block.timestamp);
        t.submittedAt = nowTs;
        t.challengeEndsAt = nowTs + challengeWindow;
        transition(t, taskId, ITaskMarket.TaskStatus.Submitted);
    }

    /// @notice Credits the whole budget back to the requester and ends the task as `to`.
    function refundAll(
        ITaskMarket.Task storage t,
        uint256 taskId,
        mapping(address => mapping(address => uint256)) storage claimable,
        ITaskMarket.TaskStatus to
    ) internal {
        uint256 refund = t.budget;
        claimable[t.token][t.requester] += refund;
        transition(t, taskId, to);
        if (to == ITaskMarket.TaskStatus.Cancelled) emit ITaskMarket.TaskCancelled(taskId, refund);
        else if (to == ITaskMarket.TaskStatus.Expired) emit ITaskMarket.TaskExpired(taskId, refund);
    }
}
