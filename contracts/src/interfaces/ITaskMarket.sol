// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IResultProofs} from "./IResultProofs.sol";

/// @title ITaskMarket
/// @notice Training and inference tasks: escrow, application, assignment, results, settlement.
/// @dev Lifecycle (one transition function, every step emits `TaskStatusChanged`):
///      Published -> Assigned -> Running (first snapshot) -> Submitted (all results in) ->
///      Settled (after the challenge window), with Cancelled (before assignment), Expired
///      (too few eligible applicants when applications close, or the deadline passed: refund,
///      non-submitting nodes lose their collateral) and Failed (an assignee gave up before the
///      deadline with `abandon`: refund, the abandoning node loses `abandonPenaltyBps` of its
///      collateral). Verifying, Disputed and Slashed are reserved for verification and
///      arbitration. All money moves by pull payment (`claim`).
///      For every settled task, `sum(payouts) + fee + refund == budget`, to the wei.
///
///      Settlement: each node in the strict-majority gets
///        gross = cost * (wBase + wQuality * quality / 1e4 + wReputation * reputation / 1e4) / 1e4
///      where cost = min(its price per compute unit (fixed at assignment) * computeUnits,
///      budget / r), or budget / r when its price is 0; it is credited gross - fee (fee =
///      gross * feeBps / 1e4) and an NNT bonus of rewardPerComputeUnit * computeUnits * quality
///      / 1e4 from the rewards pool (as far as the pool has funds). The requester is refunded
///      budget - sum(gross). Weights are governance-set: wBase + wQuality + wReputation == 1e4,
///      wBase >= MIN_BASE_WEIGHT_BPS.
interface ITaskMarket {
    enum TaskStatus {
        None,
        Published,
        Assigned,
        Running,
        Submitted,
        Verifying,
        Settled,
        Cancelled,
        Expired,
        Disputed,
        Slashed,
        Failed
    }

    /// @notice Why an assignee gave a task up (`abandon`). Informational: the economics are the
    ///         same for every reason, since the chain cannot tell whose fault it was.
    enum AbandonReason {
        ResourceLimit, // training broke the node's memory or time limit
        InvalidTask, // the spec or its data cannot be trained (bad dataset, digest mismatch)
        NodeFault // anything else that went wrong on the node
    }

    /// @notice What a requester publishes. `token == address(0)` means ETH (send `budget` as value).
    struct TaskParams {
        bytes32 specDigest; // SHA-256 of the canonical task spec JSON
        string specURI; // where the spec lives (emitted, not stored)
        address token;
        uint256 budget;
        uint8 replication; // r: how many nodes train the task
        address strategy; // an allow-listed IScheduleStrategy
        uint96 collateral; // NNT each assigned node locks
        uint8 minHardwareClass;
        uint64 applyDeadline; // applications close at this timestamp
        uint64 deadline; // results are due by this timestamp
        uint64 computeUnits; // the spec's cost (nnc.task.compute_units), checked off-chain by nodes
        uint16 minReputation; // 0..10000
    }

    struct Task {
        address requester;
        TaskStatus status;
        uint8 replication;
        uint8 submissions;
        uint8 minHardwareClass;
        address token;
        uint64 applyDeadline;
        address strategy;
        uint64 deadline;
        uint96 collateral;
        uint256 budget;
        bytes32 specDigest;
        bytes32 resultDigest; // the agreed result, once settled
        uint64 computeUnits;
        uint16 minReputation;
        uint16 qualityScore; // 0..10000, reported by an oracle during the challenge window; default 10000
        uint64 assignedAt;
        uint64 submittedAt; // when the last result came in (opens the challenge window)
    }

    /// @notice A node's part in one task.
    struct Participation {
        bool applied;
        bool assigned;
        bool submitted;
        uint64 submittedAt;
        uint64 lastSnapshotStep;
        uint64 lastSnapshotAt;
        uint256 price; // price per compute unit, fixed at assignment
        bytes32 resultDigest;
        bytes32 snapshotHead; // head of the checkpoint hash chain at lastSnapshotStep
    }

    /// @notice Governance-set settlement parameters.
    struct SettlementParams {
        uint16 baseWeightBps;
        uint16 qualityWeightBps;
        uint16 reputationWeightBps;
        uint16 protocolFeeBps;
        uint64 challengeWindow; // seconds between the last submission and settlement
        uint64 minSnapshotInterval; // seconds between two snapshots of one node for one task
        uint256 rewardPerComputeUnit; // NNT-wei bonus per compute unit at quality 10000
    }

    event TaskPublished(
        uint256 indexed taskId,
        address indexed requester,
        address indexed token,
        uint256 budget,
        bytes32 specDigest,
        string specURI,
        uint8 replication,
        address strategy,
        uint64 applyDeadline,
        uint64 deadline
    );
    event TaskStatusChanged(uint256 indexed taskId, TaskStatus from, TaskStatus to);
    event NodeApplied(uint256 indexed taskId, address indexed node);
    event TaskAssigned(uint256 indexed taskId, address[] nodes);
    event ResultSubmitted(uint256 indexed taskId, address indexed node, bytes32 resultDigest, string resultURI);
    event NodePaid(uint256 indexed taskId, address indexed node, uint256 amount);
    event TaskSettled(uint256 indexed taskId, bytes32 resultDigest, uint256 paid, uint256 fee, uint256 refund);
    event TaskCancelled(uint256 indexed taskId, uint256 refund);
    event TaskExpired(uint256 indexed taskId, uint256 refund);
    event SnapshotPosted(uint256 indexed taskId, address indexed node, uint64 step, bytes32 chainHead);
    event QualityReported(uint256 indexed taskId, address indexed oracle, uint16 score);
    event BonusGranted(uint256 indexed taskId, address indexed node, uint256 amount);
    event Claimed(address indexed account, address indexed token, uint256 amount);
    event TokenAllowed(address indexed token, bool allowed);
    event StrategyAllowed(address indexed strategy, bool allowed);
    event ProtocolFeeSet(uint16 feeBps);
    event TreasurySet(address treasury);
    event SettlementWeightsSet(uint16 baseBps, uint16 qualityBps, uint16 reputationBps);
    event ChallengeWindowSet(uint64 challengeWindow);
    event SnapshotIntervalSet(uint64 minSnapshotInterval);
    event RewardPerComputeUnitSet(uint256 reward);
    event ResultProofsSet(address proofs);
    /// @notice A node outvoted by a strict majority of agreement tags: its collateral stays locked
    ///         until a dispute releases or slashes it.
    event NodeFrozen(uint256 indexed taskId, address indexed node, uint96 collateral);
    event TaskSlashed(uint256 indexed taskId, address indexed node, uint256 collateral, uint256 refund);
    /// @notice `node` gave the task up: the task failed, the whole budget was refunded and
    ///         `slashed` NNT of the node's collateral went to the requester.
    event TaskAbandoned(uint256 indexed taskId, address indexed node, AbandonReason reason, uint256 slashed);
    event AbandonPenaltySet(uint16 penaltyBps);

    error ZeroBudget();
    error EmptySpec();
    error TokenNotAllowed(address token);
    error StrategyNotAllowed(address strategy);
    error InvalidReplication(uint8 replication, uint8 max);
    error DeadlineInPast(uint64 deadline, uint64 currentTime);
    error ApplyDeadlineAfterDeadline(uint64 applyDeadline, uint64 deadline);
    error WrongEthAmount(uint256 sent, uint256 budget);
    error EthSentWithToken(uint256 sent);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    error UnknownTask(uint256 taskId);
    error InvalidStatus(uint256 taskId, TaskStatus have, TaskStatus want);
    error NotRequester(uint256 taskId, address caller);
    error NotEligible(uint256 taskId, address node);
    error AlreadyApplied(uint256 taskId, address node);
    error TooManyApplicants(uint256 taskId, uint256 max);
    error ApplicationClosed(uint256 taskId, uint64 applyDeadline);
    error ApplicationOpen(uint256 taskId, uint64 applyDeadline);
    error NotEnoughApplicants(uint256 taskId, uint256 eligible, uint256 needed);
    error NotAssigned(uint256 taskId, address node);
    error AlreadySubmitted(uint256 taskId, address node);
    error ZeroResultDigest();
    error DeadlinePassed(uint256 taskId, uint64 deadline);
    error DeadlineNotReached(uint256 taskId, uint64 deadline);
    error NothingToClaim(address account, address token);
    error FeeTooHigh(uint16 feeBps, uint16 max);
    error ZeroAddress();
    error EthTransferFailed(address to, uint256 amount);
    error ZeroComputeUnits();
    error InvalidReputation(uint16 minReputation, uint16 max);
    error InvalidSelection(uint256 taskId, address strategy);
    error ChallengeWindowOpen(uint256 taskId, uint64 endsAt);
    error SnapshotTooSoon(uint256 taskId, address node, uint64 nextAllowedAt);
    error StepNotIncreasing(uint256 taskId, address node, uint64 lastStep, uint64 step);
    error ZeroChainHead();
    error InvalidQuality(uint16 score, uint16 max);
    error InvalidWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps);
    error WindowTooLong(uint64 value, uint64 max);
    error ProofRequired(uint256 taskId);
    error ProofsDisabled();
    error PenaltyTooHigh(uint16 penaltyBps, uint16 max);

    /// @notice Publishes a task and escrows its budget (ETH as value, or an allow-listed ERC-20
    ///         pulled with `transferFrom`; fee-on-transfer tokens are rejected).
    /// @return taskId The new task's id (ids start at 1).
    function publish(TaskParams calldata params) external payable returns (uint256 taskId);

    /// @notice Cancels a task that has not been assigned yet; the budget is credited back to
    ///         the requester (requester only).
    function cancel(uint256 taskId) external;

    /// @notice Applies the caller as a node for `taskId` while applications are open.
    function applyForTask(uint256 taskId) external;

    /// @notice Runs the task's strategy over the eligible applicants and locks each selected
    ///         node's collateral. Anyone may call it once the application window has closed, or
    ///         earlier if the strategy `assignsEarly` and enough eligible nodes applied.
    function assign(uint256 taskId) external;

    /// @notice Posts the head of the caller's checkpoint hash chain for `taskId` at `step` (the
    ///         "real-time snapshot"). Assigned nodes only, steps strictly increasing, at most one
    ///         per `minSnapshotInterval` per node. The first snapshot of a task moves it to Running.
    function postSnapshot(uint256 taskId, uint64 step, bytes32 chainHead) external;

    /// @notice Reports the quality score (0..10000) of a submitted task's result, during its
    ///         challenge window (oracle role). Disputable; it only scales payouts and bonuses.
    function reportQuality(uint256 taskId, uint16 score) external;

    /// @notice Submits the caller's result digest for a task it is assigned to, before the deadline.
    /// @param resultURI Where the model lives (emitted, not stored).
    function submitResult(uint256 taskId, bytes32 resultDigest, string calldata resultURI) external;

    /// @notice Submits the caller's result as a zero-knowledge commitment (see {IResultProofs}):
    ///         the proof must verify for (taskId, msg.sender, commitment, agreementTag). The tag is
    ///         recorded as the node's result, so settlement's strict majority is a majority of
    ///         tags, and outvoted nodes are frozen (`NodeFrozen`). Required once `resultProofs`
    ///         is set, when `submitResult` reverts `ProofRequired`.
    /// @param proof The Groth16 proof, G2 limbs in EIP-197 order.
    /// @param resultURI Where the model lives (emitted, not stored).
    function submitProof(
        uint256 taskId,
        uint256 commitment,
        uint256 agreementTag,
        uint256[8] calldata proof,
        string calldata resultURI
    ) external;

    /// @notice Settles a task whose assigned nodes all submitted, once the challenge window has
    ///         passed: the strict-majority digest wins, its nodes are paid by the settlement
    ///         formula (see this interface's notes) less the protocol fee, everything else is
    ///         refunded, collateral is released and reputations are recorded. Without a strict
    ///         majority, the whole budget is refunded. Anyone may call it.
    function settle(uint256 taskId) external;

    /// @notice Expires a task that cannot finish: a published task whose applications closed
    ///         with fewer than `replication` eligible applicants, or a published, assigned or
    ///         running task past its deadline. The budget is refunded; nodes that submitted get
    ///         their collateral back, nodes that did not lose it to the requester and are
    ///         recorded as Missed. Anyone may call it.
    function expire(uint256 taskId) external;

    /// @notice Gives up a task the caller is assigned to and has not submitted, while it is
    ///         Assigned or Running and before its deadline (a node that cannot train it: a broken
    ///         resource limit, an invalid spec or dataset, a fault). The task fails at once:
    ///         the whole budget is credited to the requester, every other assignee's collateral
    ///         is released (those that submitted are not paid: the task cannot be settled
    ///         without the missing replica), and the caller's collateral is slashed by
    ///         `abandonPenaltyBps` to the requester (rounded down), the rest released; the
    ///         caller is recorded as Missed. Giving up early thus costs a node the penalty
    ///         instead of the whole collateral it loses when the task expires, and spares the
    ///         requester the wait until the deadline.
    function abandon(uint256 taskId, AbandonReason reason) external;

    /// @notice Sends the caller everything credited to it in `token` (address(0) = ETH).
    function claim(address token) external;

    /// @notice Moves a task between the verification and dispute states (dispute role: the
    ///         spot-check and arbitration contracts): Submitted -> Verifying, Submitted or
    ///         Verifying -> Disputed, Verifying or Disputed -> Submitted. Settlement only runs
    ///         from Submitted, so a held task's collateral stays locked (frozen).
    function holdForDispute(uint256 taskId, TaskStatus to) external;

    /// @notice Ends a Disputed task as Slashed (dispute role): the whole budget is refunded to the
    ///         requester, `node`'s collateral is slashed to `recipient` and recorded as
    ///         FailedVerification, the other assignees' collateral is released.
    /// @return slashed The collateral slashed (the task's collateral per node).
    function slashNode(uint256 taskId, address node, address recipient) external returns (uint256 slashed);

    /// @notice Allows or disallows an ERC-20 as payment token (admin only).
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Allows or disallows a scheduling strategy (admin only).
    function setStrategyAllowed(address strategy, bool allowed) external;

    /// @notice Sets the protocol fee in basis points of what nodes earn (admin only).
    function setProtocolFee(uint16 feeBps) external;

    /// @notice Sets the address that is credited the protocol fee (admin only).
    function setTreasury(address treasury) external;

    /// @notice Sets the settlement weights (admin only): they sum to 10000 and the base weight
    ///         is at least MIN_BASE_WEIGHT_BPS.
    function setSettlementWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps) external;

    /// @notice Sets the challenge window in seconds (admin only, at most MAX_WINDOW).
    function setChallengeWindow(uint64 challengeWindow) external;

    /// @notice Sets the minimum seconds between two snapshots of a node (admin only, at most MAX_WINDOW).
    function setSnapshotInterval(uint64 minSnapshotInterval) external;

    /// @notice Sets the result-proof verifier; non-zero makes `submitProof` the only way to
    ///         submit (admin only).
    function setResultProofs(IResultProofs proofs) external;

    /// @notice The result-proof verifier (zero: plain digests are accepted).
    function resultProofs() external view returns (IResultProofs);

    /// @notice Sets the NNT bonus per compute unit at full quality (admin only).
    function setRewardPerComputeUnit(uint256 reward) external;

    /// @notice Sets the share of its collateral, in basis points, that a node loses when it
    ///         abandons a task (admin only, at most MAX_ABANDON_PENALTY_BPS).
    function setAbandonPenalty(uint16 penaltyBps) external;

    /// @notice The share of its collateral, in basis points, that a node loses by `abandon`.
    function abandonPenaltyBps() external view returns (uint16);

    function getTask(uint256 taskId) external view returns (Task memory);
    function applicantsOf(uint256 taskId) external view returns (address[] memory);
    function assigneesOf(uint256 taskId) external view returns (address[] memory);
    function resultOf(uint256 taskId, address node) external view returns (bytes32);
    function participationOf(uint256 taskId, address node) external view returns (Participation memory);
    /// @notice The latest snapshot of `node` for `taskId`: step, chain head and when it was posted.
    function latestSnapshot(uint256 taskId, address node)
        external
        view
        returns (uint64 step, bytes32 chainHead, uint64 postedAt);
    function settlementParams() external view returns (SettlementParams memory);
    function claimable(address token, address account) external view returns (uint256);
    function taskCount() external view returns (uint256);
    function isTokenAllowed(address token) external view returns (bool);
    function isStrategyAllowed(address strategy) external view returns (bool);
}
