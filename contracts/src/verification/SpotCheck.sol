// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IArbitration} from "../interfaces/IArbitration.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {ISpotCheck} from "../interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title SpotCheck
/// @notice Spot-check verification; see {ISpotCheck}.
/// @dev Needs the market's DISPUTE_ROLE, the arbitration's OPENER_ROLE and the reputation's
///      REPORTER_ROLE. Holds, in ETH, exactly `sum(fee of unreported checks) + sum(claimable)`.
contract SpotCheck is ISpotCheck, AccessControl, ReentrancyGuard {
    /// @notice Most pool entries looked at to pick one verifier (bounds the gas of a pick).
    uint256 public constant MAX_PROBES = 16;
    /// @notice Longest report window.
    uint64 public constant MAX_REPORT_WINDOW = 30 days;

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

    address[] private _pool;
    mapping(address node => uint256) private _poolSlot; // index + 1; 0 = not in the pool
    mapping(uint256 taskId => Check) private _checks;

    /// @inheritdoc ISpotCheck
    mapping(address account => uint256) public claimable;

    /// @param reportWindow_ Initial report window in seconds.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the timelock once governance is in place).
    constructor(
        ITaskMarket market_,
        INodeRegistry registry_,
        IReputation reputation_,
        IArbitration arbitration_,
        uint64 reportWindow_,
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
    }

    // ---------------------------------------------------------------- requester

    /// @inheritdoc ISpotCheck
    function enable(uint256 taskId, uint8 segments, uint32 toleranceMicros) external payable {
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (t.status == ITaskMarket.TaskStatus.None) revert UnknownTask(taskId);
        if (msg.sender != t.requester) revert NotRequester(taskId, msg.sender);
        if (t.status != ITaskMarket.TaskStatus.Published) revert TaskNotPublished(taskId, uint8(t.status));
        if (t.replication != 1) revert NotSingleTrainer(taskId, t.replication);
        if (segments == 0) revert InvalidSegments(segments);
        Check storage c = _checks[taskId];
        if (c.status != CheckStatus.None) revert InvalidCheckStatus(taskId, c.status, CheckStatus.None);
        c.status = CheckStatus.Enabled;
        c.segments = segments;
        c.toleranceMicros = toleranceMicros;
        c.fee = msg.value;
        emit SpotCheckEnabled(taskId, segments, toleranceMicros, msg.value);
    }

    // ---------------------------------------------------------------- verifier pool

    /// @inheritdoc ISpotCheck
    function join() external {
        if (!registry.isEligible(msg.sender, 0, 0)) revert NotEligible(msg.sender);
        if (_poolSlot[msg.sender] != 0) revert AlreadyInPool(msg.sender);
        _pool.push(msg.sender);
        _poolSlot[msg.sender] = _pool.length;
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
        if (status != ITaskMarket.TaskStatus.Submitted) revert TaskNotSubmitted(taskId, uint8(status));
        address trainer = market.assigneesOf(taskId)[0];
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, taskId)));
        c.status = CheckStatus.Verifying;
        c.trainer = trainer;
        c.seed = seed;
        _pick(taskId, c, seed, address(0));
        market.holdForDispute(taskId, ITaskMarket.TaskStatus.Verifying);
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
        }
        emit VerificationReported(taskId, msg.sender, passed, reportURI, disputeId);
    }

    /// @inheritdoc ISpotCheck
    function replaceVerifier(uint256 taskId) external {
        Check storage c = _checkIn(taskId, CheckStatus.Verifying);
        if (block.timestamp <= c.reportDeadline) revert ReportNotDue(taskId, c.reportDeadline);
        address late = c.verifier;
        _pick(taskId, c, uint256(keccak256(abi.encode(block.prevrandao, taskId, late))), late);
        emit VerifierReplaced(taskId, late, c.verifier);
        reputation.record(late, taskId, IReputation.Outcome.Missed);
    }

    /// @inheritdoc ISpotCheck
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert EthTransferFailed(msg.sender, amount);
    }

    /// @inheritdoc ISpotCheck
    function setReportWindow(uint64 reportWindow_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setReportWindow(reportWindow_);
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
    function inPool(address node) external view returns (bool) {
        return _poolSlot[node] != 0;
    }

    // ---------------------------------------------------------------- internal

    /// @dev Picks a pool member that is not the trainer nor `exclude` and is still eligible,
    ///      probing at most MAX_PROBES random slots.
    function _pick(uint256 taskId, Check storage c, uint256 seed, address exclude) private {
        uint256 n = _pool.length;
        address trainer = c.trainer;
        for (uint256 i; i < MAX_PROBES && n != 0; ++i) {
            address candidate = _pool[uint256(keccak256(abi.encode(seed, i))) % n];
            if (candidate == trainer || candidate == exclude) continue;
            if (!registry.isEligible(candidate, 0, 0)) continue;
            c.verifier = candidate;
            uint64 deadline = uint64(block.timestamp) + reportWindow;
            c.reportDeadline = deadline;
            emit VerifierPicked(taskId, candidate, trainer, c.seed, deadline);
            return;
        }
        revert NoVerifierAvailable(taskId);
    }

    function _checkIn(uint256 taskId, CheckStatus want) private view returns (Check storage c) {
        c = _checks[taskId];
        if (c.status != want) revert InvalidCheckStatus(taskId, c.status, want);
    }

    function _setReportWindow(uint64 reportWindow_) private {
        if (reportWindow_ == 0 || reportWindow_ > MAX_REPORT_WINDOW) {
            revert InvalidReportWindow(reportWindow_, MAX_REPORT_WINDOW);
        }
        reportWindow = reportWindow_;
        emit ReportWindowSet(reportWindow_);
    }
}
