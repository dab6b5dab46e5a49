// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IReputation} from "./interfaces/IReputation.sol";
import {IResultProofs} from "./interfaces/IResultProofs.sol";
import {IRewardsPool} from "./interfaces/IRewardsPool.sol";
import {IScheduleStrategy} from "./interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";
import {SettlementMath} from "./libraries/SettlementMath.sol";

/// @title TaskMarket
/// @notice Training and inference tasks: escrow, application, assignment, snapshots, results,
///         quality reports, settlement.
/// @dev See {ITaskMarket} for the lifecycle and {SettlementMath} for the settlement formula.
///      Every status change goes through `_transition`. The market holds, per token, exactly
///      `sum(claimable) + sum(budget of open tasks)`, where a task is open until it is settled,
///      cancelled, expired, failed or slashed (each of which credits its whole budget to
///      `claimable`).
///      Collateral stays in the {INodeRegistry} (which must grant this contract `MARKET_ROLE`),
///      reputations in {IReputation} (`REPORTER_ROLE`), NNT bonuses in {IRewardsPool}
///      (`REWARDER_ROLE`). Every loop runs over one task's applicants (at most MAX_APPLICANTS)
///      or assignees (at most MAX_REPLICATION), never over the node set.
contract TaskMarket is ITaskMarket, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The role of oracles, which report result quality.
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    /// @notice The role of the spot-check and arbitration contracts (`holdForDispute`, `slashNode`).
    bytes32 public constant DISPUTE_ROLE = keccak256("DISPUTE_ROLE");
    /// @notice Most nodes one task can be replicated on.
    uint8 public constant MAX_REPLICATION = 8;
    /// @notice Most applicants one task accepts (bounds the loops in `assign` and `expire`).
    uint256 public constant MAX_APPLICANTS = 16;
    /// @notice Highest protocol fee, in basis points of what nodes earn (10%).
    uint16 public constant MAX_FEE_BPS = 1000;
    /// @notice Lowest base weight of the settlement formula: at least half of a node's cost is
    ///         paid whatever its quality and reputation.
    uint16 public constant MIN_BASE_WEIGHT_BPS = 5000;
    /// @notice Highest quality score, reputation and weight sum (basis points).
    uint16 public constant MAX_SCORE = 10_000;
    /// @notice Longest challenge window and snapshot interval.
    uint64 public constant MAX_WINDOW = 30 days;
    /// @notice Highest abandon penalty, in basis points of the abandoning node's collateral
    ///         (50%): giving a task up must stay clearly cheaper than letting it expire (100%),
    ///         or nodes would hold failed tasks until the deadline.
    uint16 public constant MAX_ABANDON_PENALTY_BPS = 5000;

    /// @dev What an applicant must meet, read once per task.
    struct Requirements {
        uint96 collateral;
        uint8 minHardwareClass;
        uint16 minReputation;
        address token;
        uint64 computeUnits;
        uint256 share; // budget / replication
    }

    /// @dev Sums over the paid nodes of one settlement.
    struct Totals {
        uint256 gross;
        uint256 fee;
    }

    /// @notice The node registry holding stake, collateral and prices.
    INodeRegistry public immutable registry;
    /// @notice Node reputations, read for eligibility and settlement, recorded at settlement.
    IReputation public immutable reputation;
    /// @notice The NNT bonus pool.
    IRewardsPool public immutable rewardsPool;

    /// @notice Credited the protocol fee at settlement.
    address public treasury;

    /// @inheritdoc ITaskMarket
    uint16 public abandonPenaltyBps;

    /// @inheritdoc ITaskMarket
    uint256 public taskCount;

    SettlementParams private _settlement;

    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => address[]) private _applicants;
    mapping(uint256 taskId => address[]) private _assignees;
    mapping(uint256 taskId => mapping(address node => Participation)) private _participation;
    mapping(address token => bool) private _tokenAllowed;

    /// @inheritdoc ITaskMarket
    mapping(address strategy => bool) public isStrategyAllowed;

    /// @inheritdoc ITaskMarket
    mapping(address token => mapping(address account => uint256)) public claimable;

    /// @inheritdoc ITaskMarket
    IResultProofs public resultProofs;

    /// @param registry_ The node registry (must grant this contract `MARKET_ROLE`).
    /// @param reputation_ The reputation contract (must grant this contract `REPORTER_ROLE`).
    /// @param rewardsPool_ The NNT bonus pool (must grant this contract `REWARDER_ROLE`).
    /// @param treasury_ Receives the protocol fee.
    /// @param feeBps Initial protocol fee in basis points (at most `MAX_FEE_BPS`).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (allow-lists, parameters, granting ORACLE_ROLE).
    /// @dev Defaults: weights 8000/1000/1000, a 1-hour challenge window, 30 s between
    ///      snapshots, no NNT bonus, a 10% abandon penalty.
    constructor(
        INodeRegistry registry_,
        IReputation reputation_,
        IRewardsPool rewardsPool_,
        address treasury_,
        uint16 feeBps,
        address admin
    ) {
        if (
            address(registry_) == address(0) || address(reputation_) == address(0)
                || address(rewardsPool_) == address(0)
        ) revert ZeroAddress();
        registry = registry_;
        reputation = reputation_;
        rewardsPool = rewardsPool_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(treasury_);
        _setProtocolFee(feeBps);
        _setSettlementWeights(8000, 1000, 1000);
        _setChallengeWindow(1 hours);
        _setSnapshotInterval(30 seconds);
        emit RewardPerComputeUnitSet(0);
        _setAbandonPenalty(1000);
    }

    // ---------------------------------------------------------------- requester

    /// @inheritdoc ITaskMarket
    function publish(TaskParams calldata params) external payable nonReentrant returns (uint256 taskId) {
        if (params.specDigest == bytes32(0)) revert EmptySpec();
        if (params.budget == 0) revert ZeroBudget();
        if (params.replication == 0 || params.replication > MAX_REPLICATION) {
            revert InvalidReplication(params.replication, MAX_REPLICATION);
        }
        if (params.computeUnits == 0) revert ZeroComputeUnits();
        if (params.minReputation > MAX_SCORE) revert InvalidReputation(params.minReputation, MAX_SCORE);
        if (!isStrategyAllowed[params.strategy]) revert StrategyNotAllowed(params.strategy);
        address token = params.token;
        if (token != address(0) && !_tokenAllowed[token]) revert TokenNotAllowed(token);
        uint64 nowTs = uint64(block.timestamp);
        if (params.deadline <= nowTs) revert DeadlineInPast(params.deadline, nowTs);
        if (params.applyDeadline > params.deadline) {
            revert ApplyDeadlineAfterDeadline(params.applyDeadline, params.deadline);
        }
        if (params.applyDeadline <= nowTs) revert DeadlineInPast(params.applyDeadline, nowTs);
        if (token == address(0)) {
            if (msg.value != params.budget) revert WrongEthAmount(msg.value, params.budget);
        } else if (msg.value != 0) {
            revert EthSentWithToken(msg.value);
        }

        taskId = ++taskCount;
        Task storage t = _tasks[taskId];
        t.requester = msg.sender;
        t.replication = params.replication;
        t.minHardwareClass = params.minHardwareClass;
        t.token = token;
        t.applyDeadline = params.applyDeadline;
        t.strategy = params.strategy;
        t.deadline = params.deadline;
        t.collateral = params.collateral;
        t.budget = params.budget;
        t.specDigest = params.specDigest;
        t.computeUnits = params.computeUnits;
        t.minReputation = params.minReputation;
        t.qualityScore = MAX_SCORE;
        _emitPublished(taskId, params);
        _transition(taskId, TaskStatus.Published);

        if (token != address(0)) {
            IERC20 erc20 = IERC20(token);
            uint256 before = erc20.balanceOf(address(this));
            erc20.safeTransferFrom(msg.sender, address(this), params.budget);
            uint256 received = erc20.balanceOf(address(this)) - before;
            if (received != params.budget) revert FeeOnTransferToken(token, params.budget, received);
        }
    }

    /// @inheritdoc ITaskMarket
    function cancel(uint256 taskId) external {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (msg.sender != t.requester) revert NotRequester(taskId, msg.sender);
        uint256 refund = t.budget;
        claimable[t.token][msg.sender] += refund;
        _transition(taskId, TaskStatus.Cancelled);
        emit TaskCancelled(taskId, refund);
    }

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc ITaskMarket
    /// @dev Eligible: registered, minimum stake, hardware class, free stake for the collateral,
    ///      reputation at least the task's minimum, and a price for the task's token that fits
    ///      `budget / replication` for the task's compute units (or 0, any price).
    function applyForTask(uint256 taskId) external {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (block.timestamp >= t.applyDeadline) revert ApplicationClosed(taskId, t.applyDeadline);
        (bool eligible,) = _check(_requirements(t), msg.sender);
        if (!eligible) revert NotEligible(taskId, msg.sender);
        Participation storage p = _participation[taskId][msg.sender];
        if (p.applied) revert AlreadyApplied(taskId, msg.sender);
        address[] storage applicants = _applicants[taskId];
        if (applicants.length >= MAX_APPLICANTS) revert TooManyApplicants(taskId, MAX_APPLICANTS);
        p.applied = true;
        applicants.push(msg.sender);
        emit NodeApplied(taskId, msg.sender);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Applicants are checked for eligibility again (stake, reputation and prices may have
    ///      changed since they applied) and each selected node's price is fixed for the task.
    ///      Reverts `StrategyNotAllowed` if governance disallowed the task's strategy after it
    ///      was published (the requester can then cancel).
    function assign(uint256 taskId) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (block.timestamp > t.deadline) revert DeadlinePassed(taskId, t.deadline);
        IScheduleStrategy strategy = IScheduleStrategy(t.strategy);
        if (!isStrategyAllowed[address(strategy)]) revert StrategyNotAllowed(address(strategy));
        if (block.timestamp < t.applyDeadline && !strategy.assignsEarly()) {
            revert ApplicationOpen(taskId, t.applyDeadline);
        }

        uint256 r = t.replication;
        (address[] memory eligible, uint256[] memory prices) = _eligibleApplicants(taskId, t);
        if (eligible.length < r) revert NotEnoughApplicants(taskId, eligible.length, r);

        address[] memory selected = strategy.select(taskId, eligible, r);
        if (selected.length != r) revert InvalidSelection(taskId, address(strategy));
        address[] storage assignees = _assignees[taskId];
        for (uint256 i; i < r; ++i) {
            address node = selected[i];
            Participation storage p = _participation[taskId][node];
            uint256 at = _indexOf(eligible, node);
            // `assigned` doubles as the duplicate check
            if (p.assigned || at == type(uint256).max) revert InvalidSelection(taskId, address(strategy));
            p.assigned = true;
            p.price = prices[at];
            assignees.push(node);
        }
        t.assignedAt = uint64(block.timestamp);
        emit TaskAssigned(taskId, selected);
        _transition(taskId, TaskStatus.Assigned);

        uint96 collateral = t.collateral;
        if (collateral != 0) {
            for (uint256 i; i < r; ++i) {
                registry.lockCollateral(selected[i], taskId, collateral);
            }
        }
    }

    /// @inheritdoc ITaskMarket
    /// @dev Steps start above 0 (the first checkpoint), and a node that submitted its result
    ///      has closed its chain.
    function postSnapshot(uint256 taskId, uint64 step, bytes32 chainHead) external {
        Task storage t = _task(taskId);
        TaskStatus status = _runnable(taskId, t);
        Participation storage p = _assigned(taskId);
        if (chainHead == bytes32(0)) revert ZeroChainHead();
        if (step <= p.lastSnapshotStep) revert StepNotIncreasing(taskId, msg.sender, p.lastSnapshotStep, step);
        uint64 lastAt = p.lastSnapshotAt;
        if (lastAt != 0) {
            uint64 next = lastAt + _settlement.minSnapshotInterval;
            if (block.timestamp < next) revert SnapshotTooSoon(taskId, msg.sender, next);
        }
        p.lastSnapshotStep = step;
        p.lastSnapshotAt = uint64(block.timestamp);
        p.snapshotHead = chainHead;
        emit SnapshotPosted(taskId, msg.sender, step, chainHead);
        if (status == TaskStatus.Assigned) _transition(taskId, TaskStatus.Running);
    }

    /// @inheritdoc ITaskMarket
    function submitResult(uint256 taskId, bytes32 resultDigest, string calldata resultURI) external {
        if (address(resultProofs) != address(0)) revert ProofRequired(taskId);
        _submit(taskId, resultDigest, resultURI);
    }

    /// @inheritdoc ITaskMarket
    /// @dev The agreement tag takes the place of the result digest: settlement counts tags.
    function submitProof(
        uint256 taskId,
        uint256 commitment,
        uint256 agreementTag,
        uint256[8] calldata proof,
        string calldata resultURI
    ) external {
        IResultProofs proofs = resultProofs;
        if (address(proofs) == address(0)) revert ProofsDisabled();
        _submit(taskId, bytes32(agreementTag), resultURI);
        proofs.record(taskId, msg.sender, commitment, agreementTag, proof);
    }

    function _submit(uint256 taskId, bytes32 resultDigest, string calldata resultURI) private {
        Task storage t = _task(taskId);
        _runnable(taskId, t);
        Participation storage p = _assigned(taskId);
        if (resultDigest == bytes32(0)) revert ZeroResultDigest();
        uint64 nowTs = uint64(block.timestamp);
        p.submitted = true;
        p.submittedAt = nowTs;
        p.resultDigest = resultDigest;
        uint8 submissions = ++t.submissions;
        emit ResultSubmitted(taskId, msg.sender, resultDigest, resultURI);
        if (submissions == t.replication) {
            t.submittedAt = nowTs;
            _transition(taskId, TaskStatus.Submitted);
        }
    }

    /// @inheritdoc ITaskMarket
    /// @dev The oracle may report again within the window; the last report counts.
    ///      Reverts `DeadlinePassed` with the window's end once it has closed.
    function reportQuality(uint256 taskId, uint16 score) external onlyRole(ORACLE_ROLE) {
        Task storage t = _taskIn(taskId, TaskStatus.Submitted);
        if (score > MAX_SCORE) revert InvalidQuality(score, MAX_SCORE);
        uint64 endsAt = t.submittedAt + _settlement.challengeWindow;
        if (block.timestamp >= endsAt) revert DeadlinePassed(taskId, endsAt);
        t.qualityScore = score;
        emit QualityReported(taskId, msg.sender, score);
    }

    // ---------------------------------------------------------------- settlement

    /// @inheritdoc ITaskMarket
    /// @dev Reputations are read (for the formula) before any is recorded. Majority nodes are
    ///      recorded Agreed or AgreedEarly, the others Dissented. Without a strict majority no
    ///      one can be told right from wrong: nothing is recorded, and every node's collateral
    ///      is released. The challenge window is the one in force at settlement.
    function settle(uint256 taskId) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Submitted);
        uint64 endsAt = t.submittedAt + _settlement.challengeWindow;
        if (block.timestamp < endsAt) revert ChallengeWindowOpen(taskId, endsAt);
        address[] memory nodes = _assignees[taskId];
        uint256 r = nodes.length;
        bytes32[] memory digests = new bytes32[](r);
        for (uint256 i; i < r; ++i) {
            digests[i] = _participation[taskId][nodes[i]].resultDigest;
        }
        (bytes32 agreed, uint256 winners) = SettlementMath.strictMajority(digests);
        Totals memory sum;
        if (winners != 0) sum = _payMajority(taskId, t, nodes, digests, agreed);

        address token = t.token;
        uint256 refund = t.budget - sum.gross;
        if (sum.fee != 0) claimable[token][treasury] += sum.fee;
        if (refund != 0) claimable[token][t.requester] += refund;
        t.resultDigest = agreed;
        _transition(taskId, TaskStatus.Settled);
        emit TaskSettled(taskId, agreed, sum.gross - sum.fee, sum.fee, refund);

        _releaseOrFreeze(taskId, t.collateral, nodes, digests, agreed, winners != 0);
        if (winners != 0) _recordAndReward(taskId, t, nodes, digests, agreed);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Reverts `ApplicationOpen` for a published task whose applications are open, and
    ///      `DeadlineNotReached` for one with enough eligible applicants (it can be assigned)
    ///      or an assigned or running task before its deadline. The slashed collateral is
    ///      credited to the requester in the registry (NNT, pulled with {INodeRegistry-claim}).
    function expire(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        TaskStatus from = t.status;
        bool beforeDeadline = block.timestamp <= t.deadline;
        if (from == TaskStatus.Published) {
            if (beforeDeadline) {
                if (block.timestamp < t.applyDeadline) revert ApplicationOpen(taskId, t.applyDeadline);
                (address[] memory eligible,) = _eligibleApplicants(taskId, t);
                if (eligible.length >= t.replication) revert DeadlineNotReached(taskId, t.deadline);
            }
        } else if (from == TaskStatus.Assigned || from == TaskStatus.Running) {
            if (beforeDeadline) revert DeadlineNotReached(taskId, t.deadline);
        } else {
            revert InvalidStatus(taskId, from, TaskStatus.Assigned);
        }
        address requester = t.requester;
        uint256 refund = t.budget;
        claimable[t.token][requester] += refund;
        _transition(taskId, TaskStatus.Expired);
        emit TaskExpired(taskId, refund);

        if (from == TaskStatus.Published) return;
        uint96 collateral = t.collateral;
        address[] storage nodes = _assignees[taskId];
        uint256 r = nodes.length;
        for (uint256 i; i < r; ++i) {
            address node = nodes[i];
            if (_participation[taskId][node].submitted) {
                if (collateral != 0) registry.releaseCollateral(node, taskId, collateral);
            } else {
                if (collateral != 0) registry.slashCollateral(node, taskId, collateral, requester);
                reputation.record(node, taskId, IReputation.Outcome.Missed);
            }
        }
    }

    /// @inheritdoc ITaskMarket
    /// @dev Only before the deadline (`_runnable`): past it `expire` takes the whole collateral,
    ///      which a node cannot dodge by giving up late. The penalty is the one in force now.
    ///      The penalty goes to the requester in the registry (NNT, pulled with
    ///      {INodeRegistry-claim}), as `expire`'s slashed collateral does.
    function abandon(uint256 taskId, AbandonReason reason) external nonReentrant {
        Task storage t = _task(taskId);
        _runnable(taskId, t);
        _assigned(taskId);
        address requester = t.requester;
        uint256 refund = t.budget;
        claimable[t.token][requester] += refund;
        _transition(taskId, TaskStatus.Failed);
        uint256 slashed = uint256(t.collateral) * abandonPenaltyBps / MAX_SCORE;
        emit TaskAbandoned(taskId, msg.sender, reason, slashed);
        _releaseAllBut(taskId, msg.sender, slashed, requester, IReputation.Outcome.Missed);
    }

    /// @inheritdoc ITaskMarket
    function claim(address token) external nonReentrant {
        uint256 amount = claimable[token][msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender, token);
        claimable[token][msg.sender] = 0;
        emit Claimed(msg.sender, token, amount);
        if (token == address(0)) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert EthTransferFailed(msg.sender, amount);
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    // ---------------------------------------------------------------- verification and disputes

    /// @inheritdoc ITaskMarket
    function holdForDispute(uint256 taskId, TaskStatus to) external onlyRole(DISPUTE_ROLE) {
        TaskStatus from = _task(taskId).status;
        bool ok;
        if (to == TaskStatus.Submitted) ok = from == TaskStatus.Verifying || from == TaskStatus.Disputed;
        else if (to == TaskStatus.Verifying) ok = from == TaskStatus.Submitted;
        else if (to == TaskStatus.Disputed) ok = from == TaskStatus.Submitted || from == TaskStatus.Verifying;
        if (!ok) revert InvalidStatus(taskId, from, to);
        _transition(taskId, to);
    }

    /// @inheritdoc ITaskMarket
    function slashNode(uint256 taskId, address node, address recipient)
        external
        nonReentrant
        onlyRole(DISPUTE_ROLE)
        returns (uint256 slashed)
    {
        Task storage t = _taskIn(taskId, TaskStatus.Disputed);
        if (!_participation[taskId][node].assigned) revert NotAssigned(taskId, node);
        uint256 refund = t.budget;
        claimable[t.token][t.requester] += refund;
        _transition(taskId, TaskStatus.Slashed);
        slashed = t.collateral;
        emit TaskSlashed(taskId, node, slashed, refund);
        _releaseAllBut(taskId, node, slashed, recipient, IReputation.Outcome.FailedVerification);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc ITaskMarket
    /// @dev ETH (`address(0)`) is always allowed and cannot be listed.
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        _tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc ITaskMarket
    function setStrategyAllowed(address strategy, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        isStrategyAllowed[strategy] = allowed;
        emit StrategyAllowed(strategy, allowed);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Applies to every task settled from now on, including tasks already published.
    function setProtocolFee(uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setProtocolFee(feeBps);
    }

    /// @inheritdoc ITaskMarket
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Applies to every task settled from now on.
    function setSettlementWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setSettlementWeights(baseBps, qualityBps, reputationBps);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Applies to tasks already submitted too (the window is measured from `submittedAt`).
    function setChallengeWindow(uint64 challengeWindow) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setChallengeWindow(challengeWindow);
    }

    /// @inheritdoc ITaskMarket
    function setSnapshotInterval(uint64 minSnapshotInterval) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSnapshotInterval(minSnapshotInterval);
    }

    /// @inheritdoc ITaskMarket
    function setResultProofs(IResultProofs proofs) external onlyRole(DEFAULT_ADMIN_ROLE) {
        resultProofs = proofs;
        emit ResultProofsSet(address(proofs));
    }

    /// @inheritdoc ITaskMarket
    function setRewardPerComputeUnit(uint256 reward) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _settlement.rewardPerComputeUnit = reward;
        emit RewardPerComputeUnitSet(reward);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Applies to every task abandoned from now on, including tasks already assigned.
    function setAbandonPenalty(uint16 penaltyBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAbandonPenalty(penaltyBps);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ITaskMarket
    /// @dev All zero (status None) for an unknown id.
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _tasks[taskId];
    }

    /// @inheritdoc ITaskMarket
    function applicantsOf(uint256 taskId) external view returns (address[] memory) {
        return _applicants[taskId];
    }

    /// @inheritdoc ITaskMarket
    function assigneesOf(uint256 taskId) external view returns (address[] memory) {
        return _assignees[taskId];
    }

    /// @inheritdoc ITaskMarket
    /// @dev Zero until the node submits.
    function resultOf(uint256 taskId, address node) external view returns (bytes32) {
        return _participation[taskId][node].resultDigest;
    }

    /// @inheritdoc ITaskMarket
    function participationOf(uint256 taskId, address node) external view returns (Participation memory) {
        return _participation[taskId][node];
    }

    /// @inheritdoc ITaskMarket
    /// @dev All zero before the node's first snapshot.
    function latestSnapshot(uint256 taskId, address node)
        external
        view
        returns (uint64 step, bytes32 chainHead, uint64 postedAt)
    {
        Participation storage p = _participation[taskId][node];
        return (p.lastSnapshotStep, p.snapshotHead, p.lastSnapshotAt);
    }

    /// @inheritdoc ITaskMarket
    function settlementParams() external view returns (SettlementParams memory) {
        return _settlement;
    }

    /// @inheritdoc ITaskMarket
    /// @dev True for ETH (`address(0)`).
    function isTokenAllowed(address token) external view returns (bool) {
        return token == address(0) || _tokenAllowed[token];
    }

    // ---------------------------------------------------------------- internal: state

    /// @dev The only place a task's status is written.
    function _transition(uint256 taskId, TaskStatus to) private {
        Task storage t = _tasks[taskId];
        TaskStatus from = t.status;
        t.status = to;
        emit TaskStatusChanged(taskId, from, to);
    }

    function _task(uint256 taskId) private view returns (Task storage t) {
        t = _tasks[taskId];
        if (t.status == TaskStatus.None) revert UnknownTask(taskId);
    }

    function _taskIn(uint256 taskId, TaskStatus want) private view returns (Task storage t) {
        t = _task(taskId);
        if (t.status != want) revert InvalidStatus(taskId, t.status, want);
    }

    /// @dev Checks that `t` is Assigned or Running and its deadline has not passed.
    function _runnable(uint256 taskId, Task storage t) private view returns (TaskStatus status) {
        status = t.status;
        if (status != TaskStatus.Assigned && status != TaskStatus.Running) {
            revert InvalidStatus(taskId, status, TaskStatus.Assigned);
        }
        if (block.timestamp > t.deadline) revert DeadlinePassed(taskId, t.deadline);
    }

    /// @dev The caller's participation, which must be an assignment without a result yet.
    function _assigned(uint256 taskId) private view returns (Participation storage p) {
        p = _participation[taskId][msg.sender];
        if (!p.assigned) revert NotAssigned(taskId, msg.sender);
        if (p.submitted) revert AlreadySubmitted(taskId, msg.sender);
    }

    function _emitPublished(uint256 taskId, TaskParams calldata p) private {
        emit TaskPublished(
            taskId,
            msg.sender,
            p.token,
            p.budget,
            p.specDigest,
            p.specURI,
            p.replication,
            p.strategy,
            p.applyDeadline,
            p.deadline
        );
    }

    // ---------------------------------------------------------------- internal: eligibility

    function _requirements(Task storage t) private view returns (Requirements memory q) {
        q.collateral = t.collateral;
        q.minHardwareClass = t.minHardwareClass;
        q.minReputation = t.minReputation;
        q.token = t.token;
        q.computeUnits = t.computeUnits;
        q.share = t.budget / t.replication;
    }

    /// @dev Whether `node` may take the task now, and its price for the task's token.
    function _check(Requirements memory q, address node) private view returns (bool eligible, uint256 price) {
        if (!registry.isEligible(node, q.collateral, q.minHardwareClass)) return (false, 0);
        if (reputation.reputationOf(node) < q.minReputation) return (false, 0);
        price = registry.priceOf(node, q.token);
        eligible = SettlementMath.affordable(price, q.computeUnits, q.share);
    }

    /// @dev Applicants that are eligible now, in application order, with their prices.
    function _eligibleApplicants(uint256 taskId, Task storage t)
        private
        view
        returns (address[] memory eligible, uint256[] memory prices)
    {
        Requirements memory q = _requirements(t);
        address[] storage applicants = _applicants[taskId];
        uint256 n = applicants.length;
        eligible = new address[](n);
        prices = new uint256[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            address node = applicants[i];
            (bool ok, uint256 price) = _check(q, node);
            if (ok) (eligible[count], prices[count++]) = (node, price);
        }
        assembly ("memory-safe") {
            // shrink both arrays to the eligible prefix
            mstore(eligible, count)
            mstore(prices, count)
        }
    }

    function _indexOf(address[] memory list, address item) private pure returns (uint256) {
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == item) return i;
        }
        return type(uint256).max;
    }

    // ---------------------------------------------------------------- internal: settlement

    /// @dev Credits each node whose digest is `agreed` its net payout and sums gross and fee.
    function _payMajority(
        uint256 taskId,
        Task storage t,
        address[] memory nodes,
        bytes32[] memory digests,
        bytes32 agreed
    ) private returns (Totals memory sum) {
        SettlementParams memory s = _settlement;
        Requirements memory q = _requirements(t);
        uint256 quality = t.qualityScore;
        uint256 n = nodes.length;
        for (uint256 i; i < n; ++i) {
            if (digests[i] != agreed) continue;
            address node = nodes[i];
            uint256 cost = SettlementMath.cost(_participation[taskId][node].price, q.computeUnits, q.share);
            uint256 gross = SettlementMath.gross(
                cost,
                SettlementMath.factor(
                    s.baseWeightBps, s.qualityWeightBps, s.reputationWeightBps, quality, reputation.reputationOf(node)
                )
            );
            uint256 fee = SettlementMath.fee(gross, s.protocolFeeBps);
            sum.gross += gross;
            sum.fee += fee;
            claimable[q.token][node] += gross - fee;
            emit NodePaid(taskId, node, gross - fee);
        }
    }

    /// @dev Records every assignee's outcome and grants the majority's NNT bonuses.
    function _recordAndReward(
        uint256 taskId,
        Task storage t,
        address[] memory nodes,
        bytes32[] memory digests,
        bytes32 agreed
    ) private {
        uint256 bonus = SettlementMath.bonus(_settlement.rewardPerComputeUnit, t.computeUnits, t.qualityScore);
        uint256 earlyCutoff = SettlementMath.earlyCutoff(t.assignedAt, t.deadline);
        uint256 n = nodes.length;
        for (uint256 i; i < n; ++i) {
            address node = nodes[i];
            IReputation.Outcome outcome = IReputation.Outcome.Dissented;
            if (digests[i] == agreed) {
                outcome = _participation[taskId][node].submittedAt <= earlyCutoff
                    ? IReputation.Outcome.AgreedEarly
                    : IReputation.Outcome.Agreed;
                if (bonus != 0) _grantBonus(taskId, node, bonus);
            }
            reputation.record(node, taskId, outcome);
        }
    }

    /// @dev Releases every assignee's collateral except, once results are proven, that of the
    ///      nodes a strict majority outvoted: theirs stays locked (frozen) for the dispute.
    function _releaseOrFreeze(
        uint256 taskId,
        uint96 collateral,
        address[] memory nodes,
        bytes32[] memory digests,
        bytes32 agreed,
        bool majority
    ) private {
        bool freeze = majority && address(resultProofs) != address(0);
        uint256 r = nodes.length;
        for (uint256 i; i < r; ++i) {
            if (freeze && digests[i] != agreed) {
                emit NodeFrozen(taskId, nodes[i], collateral);
            } else if (collateral != 0) {
                registry.releaseCollateral(nodes[i], taskId, collateral);
            }
        }
    }

    /// @dev Ends the assignments of a task that failed because of `node`: `slashed` of its
    ///      collateral goes to `recipient` and the rest back to it, its `outcome` is recorded;
    ///      every other assignee's collateral is released.
    function _releaseAllBut(
        uint256 taskId,
        address node,
        uint256 slashed,
        address recipient,
        IReputation.Outcome outcome
    ) private {
        uint256 collateral = _tasks[taskId].collateral;
        address[] storage nodes = _assignees[taskId];
        uint256 r = nodes.length;
        for (uint256 i; i < r; ++i) {
            address n = nodes[i];
            uint256 released = collateral;
            if (n == node) {
                if (slashed != 0) registry.slashCollateral(n, taskId, slashed, recipient);
                reputation.record(n, taskId, outcome);
                released -= slashed;
            }
            if (released != 0) registry.releaseCollateral(n, taskId, released);
        }
    }

    function _grantBonus(uint256 taskId, address node, uint256 amount) private {
        emit BonusGranted(taskId, node, rewardsPool.grant(node, taskId, amount));
    }

    // ---------------------------------------------------------------- internal: parameters

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setProtocolFee(uint16 feeBps) private {
        if (feeBps > MAX_FEE_BPS) revert FeeTooHigh(feeBps, MAX_FEE_BPS);
        _settlement.protocolFeeBps = feeBps;
        emit ProtocolFeeSet(feeBps);
    }

    function _setSettlementWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps) private {
        if (baseBps < MIN_BASE_WEIGHT_BPS || uint256(baseBps) + qualityBps + reputationBps != MAX_SCORE) {
            revert InvalidWeights(baseBps, qualityBps, reputationBps);
        }
        SettlementParams storage s = _settlement;
        (s.baseWeightBps, s.qualityWeightBps, s.reputationWeightBps) = (baseBps, qualityBps, reputationBps);
        emit SettlementWeightsSet(baseBps, qualityBps, reputationBps);
    }

    function _setChallengeWindow(uint64 challengeWindow) private {
        if (challengeWindow > MAX_WINDOW) revert WindowTooLong(challengeWindow, MAX_WINDOW);
        _settlement.challengeWindow = challengeWindow;
        emit ChallengeWindowSet(challengeWindow);
    }

    function _setAbandonPenalty(uint16 penaltyBps) private {
        if (penaltyBps > MAX_ABANDON_PENALTY_BPS) revert PenaltyTooHigh(penaltyBps, MAX_ABANDON_PENALTY_BPS);
        abandonPenaltyBps = penaltyBps;
        emit AbandonPenaltySet(penaltyBps);
    }

    function _setSnapshotInterval(uint64 minSnapshotInterval) private {
        if (minSnapshotInterval > MAX_WINDOW) revert WindowTooLong(minSnapshotInterval, MAX_WINDOW);
        _settlement.minSnapshotInterval = minSnapshotInterval;
        emit SnapshotIntervalSet(minSnapshotInterval);
    }
}
