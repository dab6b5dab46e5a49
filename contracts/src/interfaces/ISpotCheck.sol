// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ISpotCheck
/// @notice Spot-check verification of single-trainer tasks: after the result is submitted, the
///         contract picks a staked verifier other than the trainer (by `block.prevrandao`), who
///         re-executes `segments` checkpoint segments chosen from the on-chain `seed`, compares
///         them with the trainer's checkpoints within `toleranceMicros` (relative L2 distance, in
///         millionths), checks the acceptance criterion, and reports.
/// @dev Flow: the requester `enable`s spot-checking while the task is Published and pays the
///      verification fee (ETH). Once the task is Submitted, anyone calls `requestVerification`
///      (the oracle does it at once): the task is held as Verifying (settlement waits). A passing
///      report returns it to Submitted; a failing one opens a dispute in {IArbitration} with the
///      verifier as challenger. Either way the verifier is credited the fee (pull, `claim`). A
///      verifier that has not reported by its deadline is replaced by anyone calling
///      `replaceVerifier`, and recorded as Missed in the reputation contract. Verifiers join a
///      pool (`join`); picking probes at most MAX_PROBES pool entries, whatever the pool's size.
interface ISpotCheck {
    enum CheckStatus {
        None,
        Enabled,
        Verifying,
        Passed,
        Failed
    }

    struct Check {
        CheckStatus status;
        uint8 segments; // s: segments the verifier re-executes
        uint32 toleranceMicros; // largest relative L2 distance accepted, in millionths
        uint64 reportDeadline;
        address trainer;
        address verifier;
        uint256 fee; // ETH, credited to the verifier who reports
        uint256 seed; // chooses the segments; fixed when the verifier is picked
    }

    event SpotCheckEnabled(uint256 indexed taskId, uint8 segments, uint32 toleranceMicros, uint256 fee);
    event VerifierJoined(address indexed node);
    event VerifierLeft(address indexed node);
    event VerifierPicked(
        uint256 indexed taskId, address indexed verifier, address indexed trainer, uint256 seed, uint64 reportDeadline
    );
    event VerifierReplaced(uint256 indexed taskId, address indexed late, address indexed verifier);
    event VerificationReported(
        uint256 indexed taskId, address indexed verifier, bool passed, string reportURI, uint256 disputeId
    );
    event Claimed(address indexed account, uint256 amount);
    event ReportWindowSet(uint64 reportWindow);

    error UnknownTask(uint256 taskId);
    error NotRequester(uint256 taskId, address caller);
    error InvalidCheckStatus(uint256 taskId, CheckStatus have, CheckStatus want);
    error TaskNotPublished(uint256 taskId, uint8 status);
    error TaskNotSubmitted(uint256 taskId, uint8 status);
    error NotSingleTrainer(uint256 taskId, uint8 replication);
    error InvalidSegments(uint8 segments);
    error NotEligible(address node);
    error AlreadyInPool(address node);
    error NotInPool(address node);
    error NoVerifierAvailable(uint256 taskId);
    error NotVerifier(uint256 taskId, address caller);
    error ReportTooLate(uint256 taskId, uint64 deadline);
    error ReportNotDue(uint256 taskId, uint64 deadline);
    error NothingToClaim(address account);
    error EthTransferFailed(address to, uint256 amount);
    error ZeroAddress();
    error InvalidReportWindow(uint64 reportWindow, uint64 max);

    /// @notice Turns on spot-checking for a published single-trainer task and escrows the
    ///         verification fee (`msg.value`). Requester only, once.
    function enable(uint256 taskId, uint8 segments, uint32 toleranceMicros) external payable;

    /// @notice Adds the caller (a registered node with the minimum stake) to the verifier pool.
    function join() external;

    /// @notice Removes the caller from the verifier pool.
    function leave() external;

    /// @notice Picks the verifier of a submitted spot-checked task and holds the task as Verifying.
    function requestVerification(uint256 taskId) external;

    /// @notice The picked verifier's verdict, before its deadline. `reportURI` points at the
    ///         verification report (distances per segment, metric), emitted, not stored.
    function report(uint256 taskId, bool passed, string calldata reportURI) external;

    /// @notice Replaces a verifier that missed its deadline (anyone); the late one loses reputation.
    function replaceVerifier(uint256 taskId) external;

    /// @notice Sends the caller the ETH fees credited to it.
    function claim() external;

    /// @notice Sets the seconds a verifier has to report (admin only: the timelock).
    function setReportWindow(uint64 reportWindow) external;

    function getCheck(uint256 taskId) external view returns (Check memory);
    function poolSize() external view returns (uint256);
    function inPool(address node) external view returns (bool);
    function claimable(address account) external view returns (uint256);
}
