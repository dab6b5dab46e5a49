// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "../interfaces/IVersioned.sol";
import {Versioned} from "../access/Versioned.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IArbitration} from "../interfaces/IArbitration.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IRoundBook} from "../interfaces/IRoundBook.sol";
import {ISpotCheck} from "../interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {FutureBlockhash} from "../libraries/FutureBlockhash.sol";

/// @title SpotCheck
/// @notice Spot-check verification; see {ISpotCheck}.
/// @dev Needs the market's DISPUTE_ROLE, the arbitration's OPENER_ROLE and the reputation's
///      REPORTER_ROLE. Holds, in ETH, exactly `sum(fee of Enabled and Verifying checks) +
///      sum(claimable)`.
///
///      The verifier draw (see {FutureBlockhash}) ranges over the pool as it was committed:
///      slot indices are taken modulo the pool's size at the commit, and members who joined
///      after the commit's block are skipped, so nobody can add entries once the hash is known.
///      Residual: a member can still remove itself (leave, or drop below the minimum stake)
///      after the hash is public; `leave` moves the last entry into its slot. A coalition
///      holding several entries can use this to skip probes that would land on its own slots,
///      which never adds a slot it does not hold already, but can move an honest last entry out
///      of a probed slot: a bias bounded by the entries it holds (and their stake).
contract SpotCheck is ISpotCheck, AccessControl, ReentrancyGuard, Versioned {
    /// @notice Most pool entries looked at to pick one verifier (bounds the gas of a pick).
    uint256 public constant MAX_PROBES = 16;
    /// @notice Longest report window.
    uint64 public constant MAX_REPORT_WINDOW = 30 days;
    /// @notice Longest verification timeout.
    uint64 public constant MAX_VERIFICATION_TIMEOUT = 30 days;
    /// @notice Blocks between a draw's commit and its target block.
    uint64 public constant DRAW_DELAY = FutureBlockhash.DELAY;

    /// @notice The task market (grants this contract DISPUTE_ROLE).
    ITaskMarket public immutable market;
    /// @notice The node registry: verifiers must be registered with the minimum stake.
    INodeRegistry public immutable registry;
    /// @notice Reputations (grants this contract REPORTER_ROLE, for late verifiers).
    IReputation public immutable reputation;
    /// @notice Where failed checks become disputes (grants this contract OPENER_ROLE).
    IArbitration public immutable arbitration;

    /// @notice Seconds a picked verifier has to report.
    uint64 public reportWindow;
    /// @notice Seconds after a request past which a check still Verifying may `lapse`.
    uint64 public verificationTimeout;

    address[] private _pool;
    mapping(address node => uint256) private _poolSlot; // index + 1; 0 = not in the pool
    mapping(address node => uint64) private _joinedBlock; // block of the node's latest join
    mapping(uint256 taskId => Check) private _checks;

    /// @inheritdoc ISpotCheck
    mapping(address account => uint256) public claimable;

    /// @param reportWindow_ Initial report window in seconds.
    /// @param verificationTimeout_ Initial verification timeout in seconds.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the timelock once governance is in place).
    constructor(
        ITaskMarket market_,
        INodeRegistry registry_,
        IReputation reputation_,
        IArbitration arbitration_,
        uint64 reportWindow_,
        uint64 verificationTimeout_,
        address admin
    ) {
        if (
            address(market_) == address(0) || address(registry_) == address(0) || address(reputation_) == address(0)
                || address(arbitration_) == address(0)
        ) revert ZeroAddress();
        market = market_;
        registry = registry_;
        reputation = reputation_;
        arbitration = arbitration_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setReportWindow(reportWindow_);
        _setVerificationTimeout(verificationTimeout_);
    }

    // ---------------------------------------------------------------- requester

    /// @inheritdoc ISpotCheck
    function enable(uint256 taskId, uint8 segments, uint32 toleranceMicros) external payable {
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (t.status == ITaskMarket.TaskStatus.None) revert UnknownTask(taskId);
        if (msg.sender != t.requester) revert NotRequester(taskId, msg.sender);
        if (t.status != ITaskMarket.TaskStatus.Published) revert TaskNotPublished(taskId, t.status);
        bool byRounds = t.replication != 1;
        if (byRounds && _bookStatus(taskId) == IRoundBook.BookStatus.None) {
            revert NotSingleTrainer(taskId, t.replication);
        }
        if (segments == 0 || (byRounds && segments != 1)) revert InvalidSegments(segments);
        Check storage c = _checks[taskId];
        if (c.status != CheckStatus.None) revert InvalidCheckStatus(taskId, c.status, CheckStatus.None);
        c.status = CheckStatus.Enabled;
        c.byRounds = byRounds;
        c.segments = segments;
        c.toleranceMicros = toleranceMicros;
        c.fee = msg.value;
        emit SpotCheckEnabled(taskId, segments, toleranceMicros, msg.value);
    }

    /// @inheritdoc ISpotCheck
    /// @dev Enabled and Verifying checks are the ones whose fee is unspent. A Verifying check
    ///      whose task ended is accepted too: the market lets a dispute role move a Verifying
    ///      task to Disputed (and on to Slashed), which no report then follows.
    function refundFee(uint256 taskId) external {
        Check storage c = _checks[taskId];
        CheckStatus status = c.status;
        if (status != CheckStatus.Enabled && status != CheckStatus.Verifying) revert FeeNotRefundable(taskId, status);
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (!_finished(t.status)) revert TaskNotFinished(taskId, t.status);
        c.status = CheckStatus.Refunded;
        uint256 fee = c.fee;
        claimable[t.requester] += fee;
        emit FeeRefunded(taskId, t.requester, fee);
    }

    // ---------------------------------------------------------------- verifier pool

    /// @inheritdoc ISpotCheck
    function join() external {
        if (!registry.isEligible(msg.sender, 0, 0)) revert NotEligibleVerifier(msg.sender);
        if (_poolSlot[msg.sender] != 0) revert AlreadyInPool(msg.sender);
        _pool.push(msg.sender);
        _poolSlot[msg.sender] = _pool.length;
        _joinedBlock[msg.sender] = uint64(block.number);
        emit VerifierJoined(msg.sender);
    }

    /// @inheritdoc ISpotCheck
    function leave() external {
        uint256 slot = _poolSlot[msg.sender];
        if (slot == 0) revert NotInPool(msg.sender);
        address last = _pool[_pool.length - 1];
        _pool[slot - 1] = last;
        _poolSlot[last] = slot;
        _pool.pop();
        delete _poolSlot[msg.sender];
        emit VerifierLeft(msg.sender);
    }

    // ---------------------------------------------------------------- verification

    /// @inheritdoc ISpotCheck
    function requestVerification(uint256 taskId) external {
        Check storage c = _checkIn(taskId, CheckStatus.Enabled);
        ITaskMarket.TaskStatus status = market.getTask(taskId).status;
        if (status != ITaskMarket.TaskStatus.Submitted) revert TaskNotSubmitted(taskId, status);
        if (c.byRounds) {
            IRoundBook.BookStatus book = _bookStatus(taskId);
            if (book != IRoundBook.BookStatus.Finished && book != IRoundBook.BookStatus.Frozen) {
                revert BookNotFinished(taskId, uint8(book));
            }
        } else {
            c.trainer = market.assigneesOf(taskId)[0];
        }
        c.status = CheckStatus.Verifying;
        c.requestedAt = uint64(block.timestamp);
        _commitDraw(taskId, c);
        market.holdForDispute(taskId, ITaskMarket.TaskStatus.Verifying);
    }

    /// @inheritdoc ISpotCheck
    /// @dev The first draw of a check also fixes its `seed` (the segments); a replacement keeps it.
    ///      Reverts `NoVerifierAvailable` when no probe finds a verifier: the draw stays pending
    ///      (it becomes stale and is committed again over the pool of then), and the check lapses
    ///      at its timeout if none is ever found.
    function drawVerifier(uint256 taskId) external returns (address verifier) {
        Check storage c = _checkIn(taskId, CheckStatus.Verifying);
        uint64 targetBlock = c.drawBlock;
        if (targetBlock == 0) revert VerifierAlreadyDrawn(taskId, c.verifier);
        (FutureBlockhash.State state, bytes32 hash) = FutureBlockhash.read(targetBlock);
        if (state == FutureBlockhash.State.Pending) revert DrawNotReady(taskId, targetBlock);
        if (state == FutureBlockhash.State.Stale) {
            _commitDraw(taskId, c);
            return address(0);
        }
        uint256 random = uint256(keccak256(abi.encode(hash, taskId)));
        if (c.excluded == address(0)) {
            c.seed = random;
            if (c.byRounds) _drawRound(taskId, c, random);
        }
        verifier = _pick(taskId, c, random, targetBlock - DRAW_DELAY);
        uint64 deadline = uint64(block.timestamp) + reportWindow;
        c.verifier = verifier;
        c.reportDeadline = deadline;
        c.drawBlock = 0;
        emit VerifierPicked(taskId, verifier, c.trainer, c.seed, deadline);
    }

    /// @inheritdoc ISpotCheck
    function report(uint256 taskId, bool passed, string calldata reportURI) external nonReentrant {
        Check storage c = _checkIn(taskId, CheckStatus.Verifying);
        if (msg.sender != c.verifier) revert NotVerifier(taskId, msg.sender);
        if (block.timestamp > c.reportDeadline) revert ReportTooLate(taskId, c.reportDeadline);
        c.status = passed ? CheckStatus.Passed : CheckStatus.Failed;
        uint256 fee = c.fee;
        claimable[msg.sender] += fee;
        uint256 disputeId;
        if (passed) {
            market.holdForDispute(taskId, ITaskMarket.TaskStatus.Submitted);
        } else {
            disputeId = arbitration.openDispute(taskId, c.trainer, msg.sender, reportURI);
            c.disputeId = disputeId;
        }
        emit VerificationReported(taskId, msg.sender, passed, reportURI, disputeId);
    }

    /// @inheritdoc ISpotCheck
    function replaceVerifier(uint256 taskId) external {
        Check storage c = _checkIn(taskId, CheckStatus.Verifying);
        address late = c.verifier;
        if (late == address(0)) revert DrawPending(taskId, c.drawBlock);
        if (block.timestamp <= c.reportDeadline) revert ReportNotDue(taskId, c.reportDeadline);
        c.verifier = address(0);
        c.reportDeadline = 0;
        c.excluded = late;
        uint64 targetBlock = _commitDraw(taskId, c);
        emit VerifierReplaced(taskId, late, targetBlock);
        reputation.record(late, taskId, IReputation.Outcome.Missed);
    }

    /// @inheritdoc ISpotCheck
    /// @dev Only while the market holds the task as Verifying: a task a challenge moved to
    ///      Disputed is the arbitration's (its fee is refunded once the task ends).
    function lapse(uint256 taskId) external nonReentrant {
        Check storage c = _checkIn(taskId, CheckStatus.Verifying);
        uint64 lapsesAt = c.requestedAt + verificationTimeout;
        if (block.timestamp <= lapsesAt) revert VerificationNotTimedOut(taskId, lapsesAt);
        address late = c.verifier;
        if (late != address(0) && block.timestamp <= c.reportDeadline) revert ReportNotDue(taskId, c.reportDeadline);
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (t.status != ITaskMarket.TaskStatus.Verifying) revert TaskNotVerifying(taskId, t.status);
        c.status = CheckStatus.Lapsed;
        c.drawBlock = 0;
        uint256 fee = c.fee;
        claimable[t.requester] += fee;
        emit VerificationLapsed(taskId, t.requester, late, fee);
        market.holdForDispute(taskId, ITaskMarket.TaskStatus.Submitted);
        if (late != address(0)) reputation.record(late, taskId, IReputation.Outcome.Missed);
    }

    /// @inheritdoc ISpotCheck
    function refuteRound(uint256 taskId) external {
        Check storage c = _checkIn(taskId, CheckStatus.Failed);
        if (!c.byRounds) revert NotRoundCheck(taskId);
        uint256 disputeId = c.disputeId;
        if (arbitration.getDispute(disputeId).status != IArbitration.DisputeStatus.Slashed) {
            revert DisputeNotUpheld(taskId, disputeId);
        }
        emit RoundRefutedByCheck(taskId, c.trainer, c.round, disputeId);
        _book().refute(taskId, c.trainer, c.round);
    }

    /// @inheritdoc ISpotCheck
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, address(0), amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert EthTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc ISpotCheck
    function setReportWindow(uint64 reportWindow_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setReportWindow(reportWindow_);
    }

    /// @inheritdoc ISpotCheck
    function setVerificationTimeout(uint64 verificationTimeout_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setVerificationTimeout(verificationTimeout_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISpotCheck
    function getCheck(uint256 taskId) external view returns (Check memory) {
        return _checks[taskId];
    }

    /// @inheritdoc ISpotCheck
    function poolSize() external view returns (uint256) {
        return _pool.length;
    }

    /// @inheritdoc ISpotCheck
    function poolAt(uint256 slot) external view returns (address) {
        return _pool[slot];
    }

    /// @inheritdoc ISpotCheck
    function inPool(address node) external view returns (bool) {
        return _poolSlot[node] != 0;
    }

    // ---------------------------------------------------------------- internal

    /// @dev Commits the check's draw to a future block, over the pool as it is now.
    function _commitDraw(uint256 taskId, Check storage c) private returns (uint64 targetBlock) {
        targetBlock = FutureBlockhash.target();
        uint32 size = uint32(_pool.length); // bounded by the registered nodes
        c.drawBlock = targetBlock;
        c.drawPoolSize = size;
        emit VerifierDrawCommitted(taskId, targetBlock, size);
    }

    /// @dev A pool member that is not the trainer (nor, for a data-parallel task, any participant
    ///      of its book) nor the excluded (late) verifier, was in the pool at the commit's block
    ///      and is still eligible, probing at most MAX_PROBES slots of the committed pool size.
    function _pick(uint256 taskId, Check storage c, uint256 random, uint64 committedAt) private view returns (address) {
        uint256 n = c.drawPoolSize;
        uint256 live = _pool.length;
        address trainer = c.trainer;
        address excluded = c.excluded;
        IRoundBook book = c.byRounds ? _book() : IRoundBook(address(0));
        for (uint256 i; i < MAX_PROBES && n != 0; ++i) {
            uint256 slot = uint256(keccak256(abi.encode(random, i))) % n;
            if (slot >= live) continue; // the pool shrank since the commit
            address candidate = _pool[slot];
            if (candidate == trainer || candidate == excluded) continue;
            if (address(book) != address(0) && book.participantOf(taskId, candidate).joinedRound != 0) continue;
            if (_joinedBlock[candidate] > committedAt) continue; // joined once the draw was committed
            if (!registry.isEligible(candidate, 0, 0)) continue;
            return candidate;
        }
        revert NoVerifierAvailable(taskId);
    }

    /// @dev Draws the (node, round) pair of a data-parallel check: random pairs of the book's
    ///      participants and rounds, at most MAX_PROBES, the first that is a counted commitment of
    ///      a node whose result is in and whose bond still stands (it can be disputed). Uniform
    ///      over those pairs; reverts `NoRoundToCheck` when every probe misses.
    function _drawRound(uint256 taskId, Check storage c, uint256 random) private {
        IRoundBook book = _book();
        uint16 rounds = book.getBook(taskId).rounds;
        address[] memory people = book.participantsOf(taskId);
        for (uint256 i; i < MAX_PROBES && people.length != 0; ++i) {
            uint256 x = uint256(keccak256(abi.encode(random, "round", i)));
            uint16 round = uint16(1 + x % rounds);
            address node = people[(x >> 128) % people.length];
            if (book.commitmentOf(taskId, round, node).state != IRoundBook.CommitState.Counted) continue;
            ITaskMarket.Participation memory p = market.participationOf(taskId, node);
            if (!p.submitted || p.bond != ITaskMarket.Bond.Locked) continue;
            c.trainer = node;
            c.round = round;
            emit RoundDrawn(taskId, node, round);
            return;
        }
        revert NoRoundToCheck(taskId);
    }

    /// @dev The market's round book (bound once in its config).
    function _book() private view returns (IRoundBook) {
        return IRoundBook(market.config().roundBook());
    }

    /// @dev The status of `taskId`'s round book; None without a book (or without a bound book contract).
    function _bookStatus(uint256 taskId) private view returns (IRoundBook.BookStatus) {
        IRoundBook book = _book();
        if (address(book) == address(0)) return IRoundBook.BookStatus.None;
        try book.getBook(taskId) returns (IRoundBook.Book memory b) {
            return b.status;
        } catch {
            return IRoundBook.BookStatus.None;
        }
    }

    function _checkIn(uint256 taskId, CheckStatus want) private view returns (Check storage c) {
        c = _checks[taskId];
        if (c.status != want) revert InvalidCheckStatus(taskId, c.status, want);
    }

    /// @dev Statuses a task never leaves.
    function _finished(ITaskMarket.TaskStatus s) private pure returns (bool) {
        return s == ITaskMarket.TaskStatus.Settled || s == ITaskMarket.TaskStatus.Cancelled
            || s == ITaskMarket.TaskStatus.Expired || s == ITaskMarket.TaskStatus.Failed
            || s == ITaskMarket.TaskStatus.Slashed;
    }

    function _setReportWindow(uint64 reportWindow_) private {
        if (reportWindow_ == 0 || reportWindow_ > MAX_REPORT_WINDOW) {
            revert InvalidReportWindow(reportWindow_, MAX_REPORT_WINDOW);
        }
        reportWindow = reportWindow_;
        emit ReportWindowSet(reportWindow_);
    }

    function _setVerificationTimeout(uint64 verificationTimeout_) private {
        if (verificationTimeout_ == 0 || verificationTimeout_ > MAX_VERIFICATION_TIMEOUT) {
            revert InvalidVerificationTimeout(verificationTimeout_, MAX_VERIFICATION_TIMEOUT);
        }
        verificationTimeout = verificationTimeout_;
        emit VerificationTimeoutSet(verificationTimeout_);
    }

    /// @notice ERC-165: true for {ISpotCheck}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ISpotCheck).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
