// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMarketConfig} from "../interfaces/IMarketConfig.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {TaskState} from "./TaskState.sol";

/// @title TaskPublishing
/// @notice What a requester publishes, checked and recorded: the spec, budget, replication,
///         strategy and token (allow-listed), deadlines with room to run, and the result-proof
///         verifier the task keeps for its whole life.
/// @dev An external library running in the market's storage (see {TaskSettlement}); the market
///      takes the escrow (ETH value or the ERC-20 transfer) itself.
library TaskPublishing {
    /// @notice Most nodes one task can be replicated on.
    uint8 internal constant MAX_REPLICATION = 8;
    /// @notice Highest reputation a task may require (basis points).
    uint16 internal constant MAX_SCORE = 10_000;
    /// @notice The quality a task counts until it is scored: neutral, not the best.
    uint16 internal constant QUALITY_UNSCORED = 5000;

    /// @notice Checks `params` and records task `taskId` (requester: the caller) as Published.
    function open(
        ITaskMarket.Task storage t,
        uint256 taskId,
        ITaskMarket.TaskParams calldata params,
        IMarketConfig config
    ) external {
        IMarketConfig.Params memory c = _check(params, config);
        t.requester = msg.sender;
        t.replication = params.replication;
        t.minHardwareClass = params.minHardwareClass;
        t.token = params.token;
        t.applyDeadline = params.applyDeadline;
        t.strategy = params.strategy;
        t.deadline = params.deadline;
        t.collateral = params.collateral;
        t.budget = params.budget;
        t.specDigest = params.specDigest;
        t.computeUnits = params.computeUnits;
        t.minReputation = params.minReputation;
        t.qualityScore = QUALITY_UNSCORED;
        t.resultProofs = c.resultProofs;
        emit ITaskMarket.TaskPublished(
            taskId,
            msg.sender,
            params.token,
            params.budget,
            params.specDigest,
            params.specURI,
            params.replication,
            params.strategy,
            params.applyDeadline,
            params.deadline
        );
        TaskState.transition(t, taskId, ITaskMarket.TaskStatus.Published);
    }

    function _check(ITaskMarket.TaskParams calldata params, IMarketConfig config)
        private
        view
        returns (IMarketConfig.Params memory c)
    {
        if (params.specDigest == bytes32(0)) revert ITaskMarket.EmptySpec();
        if (params.budget == 0) revert ITaskMarket.ZeroBudget();
        if (params.replication == 0 || params.replication > MAX_REPLICATION) {
            revert ITaskMarket.InvalidReplication(params.replication, MAX_REPLICATION);
        }
        if (params.computeUnits == 0) revert ITaskMarket.ZeroComputeUnits();
        if (params.minReputation > MAX_SCORE) revert ITaskMarket.InvalidReputation(params.minReputation, MAX_SCORE);
        if (!config.isStrategyAllowed(params.strategy)) revert ITaskMarket.StrategyNotAllowed(params.strategy);
        if (!config.isTokenAllowed(params.token)) revert ITaskMarket.TokenNotAllowed(params.token);
        uint64 nowTs = uint64(block.timestamp);
        if (params.deadline <= nowTs) revert ITaskMarket.DeadlineInPast(params.deadline, nowTs);
        if (params.applyDeadline > params.deadline) {
            revert ITaskMarket.ApplyDeadlineAfterDeadline(params.applyDeadline, params.deadline);
        }
        if (params.applyDeadline <= nowTs) revert ITaskMarket.DeadlineInPast(params.applyDeadline, nowTs);
        c = config.params();
        uint64 window = params.deadline - params.applyDeadline;
        if (window < c.minExecutionWindow) revert ITaskMarket.ExecutionWindowTooShort(0, window, c.minExecutionWindow);
    }
}
