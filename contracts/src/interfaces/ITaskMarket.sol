// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ITaskMarket
/// @notice Training and inference tasks: escrow, application, assignment, results, settlement.
/// @dev Lifecycle (one transition function, every step emits `TaskStatusChanged`):
///      Published -> Assigned -> Submitted -> Settled, with Cancelled (before assignment) and
///      Expired (deadline passed: refund, non-submitting nodes lose their collateral).
///      Running, Verifying, Disputed and Slashed are reserved for snapshots, verification and
///      arbitration. All money moves by pull payment (`claim`). For every settled task,
///      `sum(payouts) + fee + refund == budget`, to the wei.
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
        Slashed
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
    event Claimed(address indexed account, address indexed token, uint256 amount);
    event TokenAllowed(address indexed token, bool allowed);
    event StrategyAllowed(address indexed strategy, bool allowed);
    event ProtocolFeeSet(uint16 feeBps);
    event TreasurySet(address treasury);

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

    /// @notice Submits the caller's result digest for a task it is assigned to, before the deadline.
    /// @param resultURI Where the model lives (emitted, not stored).
    function submitResult(uint256 taskId, bytes32 resultDigest, string calldata resultURI) external;

    /// @notice Settles a task whose assigned nodes all submitted: the strict-majority digest
    ///         wins, its nodes are paid their share less the protocol fee, everything else is
    ///         refunded, and collateral is released. Without a strict majority, the whole budget
    ///         is refunded. Anyone may call it.
    function settle(uint256 taskId) external;

    /// @notice Expires a published or assigned task whose deadline passed: the budget is
    ///         refunded, nodes that submitted get their collateral back, nodes that did not
    ///         lose it to the requester. Anyone may call it.
    function expire(uint256 taskId) external;

    /// @notice Sends the caller everything credited to it in `token` (address(0) = ETH).
    function claim(address token) external;

    /// @notice Allows or disallows an ERC-20 as payment token (admin only).
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Allows or disallows a scheduling strategy (admin only).
    function setStrategyAllowed(address strategy, bool allowed) external;

    /// @notice Sets the protocol fee in basis points of what nodes earn (admin only).
    function setProtocolFee(uint16 feeBps) external;

    /// @notice Sets the address that is credited the protocol fee (admin only).
    function setTreasury(address treasury) external;

    function getTask(uint256 taskId) external view returns (Task memory);
    function applicantsOf(uint256 taskId) external view returns (address[] memory);
    function assigneesOf(uint256 taskId) external view returns (address[] memory);
    function resultOf(uint256 taskId, address node) external view returns (bytes32);
    function claimable(address token, address account) external view returns (uint256);
    function taskCount() external view returns (uint256);
    function isTokenAllowed(address token) external view returns (bool);
    function isStrategyAllowed(address strategy) external view returns (bool);
}
