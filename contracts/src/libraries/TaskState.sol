// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title TaskState
/// @notice The two state machines of the task market, each written in one place: a task's
///         status and a seat's bond. Used by {TaskMarket} and {TaskSettlement}, which run in
///         the market's storage.
library TaskState {
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
}
