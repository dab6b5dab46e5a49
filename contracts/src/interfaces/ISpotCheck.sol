// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "./ITaskMarket.sol";

/// @title ISpotCheck
/// @notice Spot-check verification of single-trainer tasks, and of data-parallel tasks round by
///         round (see "Data-parallel tasks" below): after the result is submitted, the
///         contract draws a staked verifier other than the trainer from the hash of a block
///         mined after the request, who re-executes `segments` checkpoint segments chosen from
///         the on-chain `seed`, compares them with the trainer's checkpoints within
///         `toleranceMicros` (relative L2 distance, in millionths), checks the acceptance
///         criterion, and reports.
/// @dev Flow: the requester `enable`s spot-checking while the task is Published and pays the
///      verification fee (ETH). Once the task is Submitted, anyone calls `requestVerification`
///      (the oracle does it at once): the task is held as Verifying (settlement waits) and the
///      draw is committed to block `block.number + DRAW_DELAY`. Once that block is mined, anyone
///      calls `drawVerifier`, which draws from `keccak256(blockhash(target), taskId)`: nobody
///      knows that value when the draw is committed, so no caller can choose the verifier by
///      picking its transaction or block. A target older than 256 blocks has no hash on chain
///      any more: `drawVerifier` then commits the draw again to a new future block. The draw
///      ranges over the pool as it was at the commit (its size then; members who joined since
///      are skipped). A passing report returns the task to Submitted; a failing one opens a
///      dispute in {IArbitration} with the verifier as challenger. Either way the verifier is
///      credited the fee (pull, `claim`). A verifier that has not reported by its deadline is
///      replaced by anyone calling `replaceVerifier` (which commits a new draw), and recorded as
///      Missed in the reputation contract. Verifiers join a pool (`join`); a draw probes at most
///      MAX_PROBES pool entries, whatever the pool's size.
///
///      Deadline exits, callable by anyone: a check still Verifying `verificationTimeout` seconds
///      after the request (no verifier could be drawn, or none reported and no replacement came)
///      `lapse`s: the task returns to Submitted and settles unverified, the fee goes back to the
///      requester. A fee no verification consumed (the task was cancelled, expired, failed,
///      settled or slashed without a report) is credited back to the requester by `refundFee`.
///      The contract holds, in ETH, exactly `sum(fee of Enabled and Verifying checks) +
///      sum(claimable)`; each fee is credited once, to the verifier or to the requester.
///
///      Data-parallel tasks (a replication-k task with a round book, see {IRoundBook}): the
///      requester enables the check once the book is opened, with `segments` = 1. The request
///      waits for the book to be Finished (or Frozen). The first draw also draws one (node,
///      round) pair from the seed, uniformly among the counted commitments of nodes whose final
///      result is in (`RoundDrawn`; `trainer` and `round` of the check): the verifier replays that
///      node's inner round from the round's public start weights, its shard and its previous
///      committed state, and compares the digests. No participant of the book is ever drawn as
///      its verifier. A failing report opens the dispute against that node; once the DAO upheld
///      it (the node slashed, out of the task's pay), anyone calls `refuteRound`, which marks the
///      (node, round) Refuted in the book (the book freezes: the last verified state is the
///      round before it).
///
///      Limits of the randomness: the proposer of the target block can withhold it (losing its
///      block reward) to redraw once; on an L2 the sequencer sets block hashes and can choose
///      the verifier outright. See SECURITY.md, "Randomness that picks people".
interface ISpotCheck {
    enum CheckStatus {
        None,
        Enabled, // fee escrowed, waiting for the task's submission
        Verifying, // a draw is pending (verifier zero) or the drawn verifier is due to report
        Passed,
        Failed,
        Lapsed, // no verifier reported within the verification timeout: settled unverified, fee refunded
        Refunded // the task ended without a verification: fee refunded
    }

    struct Check {
        CheckStatus status;
        uint8 segments; // s: segments the verifier re-executes
        uint32 toleranceMicros; // largest relative L2 distance accepted, in millionths
        uint64 reportDeadline; // of the drawn verifier; 0 while a draw is pending
        uint64 drawBlock; // target block of the pending draw; 0 when none is pending
        uint64 requestedAt; // when verification was requested (the verification timeout runs from it)
        address trainer;
        uint32 drawPoolSize; // pool entries the pending draw ranges over (the pool's size at the commit)
        address verifier; // zero while a draw is pending
        address excluded; // the late verifier a redraw skips
        uint256 fee; // ETH, credited to the verifier who reports (or back to the requester)
        uint256 seed; // chooses the segments; fixed by the first draw
        bool byRounds; // a data-parallel task: one (trainer, round) pair of its book is checked
        uint16 round; // that pair's round (1-based), drawn with the seed; 0 before, or single-trainer
        uint256 disputeId; // the dispute a failing report opened; 0: none
    }

    event SpotCheckEnabled(uint256 indexed taskId, uint8 segments, uint32 toleranceMicros, uint256 fee);
    event VerifierJoined(address indexed node);
    event VerifierLeft(address indexed node);
    /// @notice A verifier draw was committed to the hash of `targetBlock` (by a request, a
    ///         replacement or a stale draw), over the first `poolSize` pool entries.
    event VerifierDrawCommitted(uint256 indexed taskId, uint64 targetBlock, uint32 poolSize);
    event VerifierPicked(
        uint256 indexed taskId, address indexed verifier, address indexed trainer, uint256 seed, uint64 reportDeadline
    );
    /// @notice `late` missed its deadline; the replacement is drawn from `targetBlock`.
    /// @notice A data-parallel task's check drew `node`'s commitment of `round` to replay.
    event RoundDrawn(uint256 indexed taskId, address indexed node, uint16 round);
    /// @notice The dispute over `node`'s `round` was upheld: the round book marked it Refuted.
    event RoundRefutedByCheck(uint256 indexed taskId, address indexed node, uint16 round, uint256 disputeId);
    event VerifierReplaced(uint256 indexed taskId, address indexed late, uint64 targetBlock);
    event VerificationReported(
        uint256 indexed taskId, address indexed verifier, bool passed, string reportURI, uint256 indexed disputeId
    );
    /// @notice The check timed out without a report: the task went back to Submitted and `fee`
    ///         was credited to `requester`. `late` is the drawn verifier that did not report (or zero).
    event VerificationLapsed(uint256 indexed taskId, address indexed requester, address indexed late, uint256 fee);
    /// @notice The task ended without a verification: `fee` was credited back to `requester`.
    event FeeRefunded(uint256 indexed taskId, address indexed requester, uint256 fee);
    /// @notice `account` withdrew `amount` of `token` (zero: ETH), the same shape in every contract that pays out.
    event Claimed(address indexed account, address indexed token, uint256 amount);
    event ReportWindowSet(uint64 reportWindow);
    event VerificationTimeoutSet(uint64 verificationTimeout);

    error UnknownTask(uint256 taskId);
    error NotRequester(uint256 taskId, address caller);
    error InvalidCheckStatus(uint256 taskId, CheckStatus have, CheckStatus want);
    error TaskNotPublished(uint256 taskId, ITaskMarket.TaskStatus status);
    error TaskNotSubmitted(uint256 taskId, ITaskMarket.TaskStatus status);
    error NotSingleTrainer(uint256 taskId, uint8 replication);
    error InvalidSegments(uint8 segments);
    /// @notice A data-parallel task's book is `status`: its rounds are checked once it is Finished.
    error BookNotFinished(uint256 taskId, uint8 status);
    /// @notice No probe of the draw found a counted commitment of a node whose result is in.
    error NoRoundToCheck(uint256 taskId);
    /// @notice The check is a single-trainer task's: it has no (node, round) to refute.
    error NotRoundCheck(uint256 taskId);
    /// @notice The dispute the failing report opened is not (or not yet) upheld.
    error DisputeNotUpheld(uint256 taskId, uint256 disputeId);
    error NotEligibleVerifier(address node);
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
    error InvalidVerificationTimeout(uint64 verificationTimeout, uint64 max);
    /// @notice The draw's target block has not been mined yet (draw from `targetBlock + 1` on).
    error DrawNotReady(uint256 taskId, uint64 targetBlock);
    /// @notice A draw is committed and pending: there is no verifier to replace yet.
    error DrawPending(uint256 taskId, uint64 targetBlock);
    /// @notice The verifier is drawn already (no draw pending).
    error VerifierAlreadyDrawn(uint256 taskId, address verifier);
    /// @notice The check cannot lapse before `lapsesAt`.
    error VerificationNotTimedOut(uint256 taskId, uint64 lapsesAt);
    /// @notice The task is no longer held for verification (a dispute holds it, or it ended).
    error TaskNotVerifying(uint256 taskId, ITaskMarket.TaskStatus status);
    /// @notice The task is still open: its fee may still pay a verification.
    error TaskNotFinished(uint256 taskId, ITaskMarket.TaskStatus status);
    /// @notice The check's fee was paid out already (to a verifier or the requester), or there is none.
    error FeeNotRefundable(uint256 taskId, CheckStatus status);

    /// @notice Turns on spot-checking for a published single-trainer task, or a published
    ///         data-parallel task whose round book is opened (`segments` 1: one (node, round)
    ///         pair), and escrows the verification fee (`msg.value`). Requester only, once.
    function enable(uint256 taskId, uint8 segments, uint32 toleranceMicros) external payable;

    /// @notice Adds the caller (a registered node with the minimum stake) to the verifier pool.
    ///         It can be drawn by draws committed from its join's block on.
    function join() external;

    /// @notice Removes the caller from the verifier pool.
    function leave() external;

    /// @notice Holds a submitted spot-checked task as Verifying and commits the verifier draw to
    ///         block `block.number + DRAW_DELAY` (anyone; step 1 of 2).
    function requestVerification(uint256 taskId) external;

    /// @notice Draws the verifier of a pending draw from the hash of its target block (anyone,
    ///         once the target block is mined; step 2 of 2). A stale target (no hash on chain
    ///         any more) is committed again to a new future block instead, and zero returned.
    /// @return verifier The verifier drawn (zero if the draw was committed again).
    function drawVerifier(uint256 taskId) external returns (address verifier);

    /// @notice The picked verifier's verdict, before its deadline. `reportURI` points at the
    ///         verification report (distances per segment, metric), emitted, not stored.
    function report(uint256 taskId, bool passed, string calldata reportURI) external;

    /// @notice Dismisses a verifier that missed its deadline (anyone) and commits the draw of its
    ///         replacement, which skips it; the late one loses reputation.
    function replaceVerifier(uint256 taskId) external;

    /// @notice Ends a check that is still Verifying `verificationTimeout` seconds after the
    ///         request, when no drawn verifier is within its report window (anyone): the task
    ///         returns to Submitted and settles unverified, the fee is credited to the requester,
    ///         and a drawn verifier that did not report is recorded as Missed.
    function lapse(uint256 taskId) external;

    /// @notice Credits the fee of a check no verification consumed back to the requester, once
    ///         the task is Settled, Cancelled, Expired, Failed or Slashed (anyone; once).
    function refundFee(uint256 taskId) external;

    /// @notice Marks a data-parallel check's (node, round) Refuted in the round book once the
    ///         dispute its failing report opened was upheld (anyone; the oracle does it).
    function refuteRound(uint256 taskId) external;

    /// @notice Sends the caller the ETH fees credited to it.
    function claim() external;

    /// @notice Sets the seconds a verifier has to report (admin only: the timelock).
    function setReportWindow(uint64 reportWindow) external;

    /// @notice Sets the seconds after a request past which a check may `lapse` (admin only: the
    ///         timelock; at most MAX_VERIFICATION_TIMEOUT).
    function setVerificationTimeout(uint64 verificationTimeout) external;

    function getCheck(uint256 taskId) external view returns (Check memory);
    function poolSize() external view returns (uint256);
    /// @notice The pool entry in `slot` (0-based; below `poolSize`): with `poolSize` and the
    ///         block hash, anyone can recompute a draw off-chain.
    function poolAt(uint256 slot) external view returns (address);
    function inPool(address node) external view returns (bool);
    function claimable(address account) external view returns (uint256);
}
