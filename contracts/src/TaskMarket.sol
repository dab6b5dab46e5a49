// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "./interfaces/IVersioned.sol";
import {Versioned} from "./access/Versioned.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BoundRoles} from "./access/BoundRoles.sol";
import {IMarketConfig} from "./interfaces/IMarketConfig.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IReputation} from "./interfaces/IReputation.sol";
import {IRewardsPool} from "./interfaces/IRewardsPool.sol";
import {IScheduleStrategy} from "./interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";
import {TaskApplications} from "./libraries/TaskApplications.sol";
import {TaskExits} from "./libraries/TaskExits.sol";
import {TaskPublishing} from "./libraries/TaskPublishing.sol";
import {TaskRounds} from "./libraries/TaskRounds.sol";
import {TaskSettlement} from "./libraries/TaskSettlement.sol";
import {TaskState} from "./libraries/TaskState.sol";

/// @title TaskMarket
/// @notice Training and inference tasks: escrow, application, assignment, snapshots, results,
///         quality reports, settlement and the exits of every seat.
/// @dev See {ITaskMarket} for the lifecycle and {SettlementMath} for the formula; parameters
///      live in {IMarketConfig}; publication, applications, settlement and the other exits in the
///      {TaskPublishing}, {TaskApplications}, {TaskSettlement}, {TaskExits} and {TaskRounds}
///      (replacements in data-parallel tasks) libraries. Every task status
///      change goes through {TaskState-transition}, every collateral change through
///      {TaskState-setBond}. The market holds, per token, exactly
///      `sum(claimable) + sum(budget of open tasks)`, where a task is open until it is settled,
///      cancelled, expired or failed (each of which credits its whole budget to `claimable`).
///      Collateral stays in the {INodeRegistry} (which grants this contract `MARKET_ROLE`);
///      every Locked, Frozen or Held bond has an exit anyone can reach: assignment or expiry
///      (applicants), settlement (assignees), the freeze window (frozen), arbitration (held).
///      Every loop runs over one task's applicants (at most MAX_APPLICANTS) or assignees (a subset
///      of its applicants: replacements join them), never over the node set.
contract TaskMarket is ITaskMarket, BoundRoles, ReentrancyGuard, Versioned {
    using SafeERC20 for IERC20;

    /// @notice The role of oracles, which report result quality and acceptance.
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    /// @notice The role of the spot-check and arbitration contracts; bound once.
    bytes32 public constant DISPUTE_ROLE = keccak256("DISPUTE_ROLE");
    /// @notice Most nodes one task can be replicated on.
    uint8 public constant MAX_REPLICATION = TaskPublishing.MAX_REPLICATION;
    /// @notice Most applicants one task accepts (bounds the loops in `assign` and `expire`).
    uint256 public constant MAX_APPLICANTS = TaskApplications.MAX_APPLICANTS;
    /// @notice Highest quality score and reputation (basis points).
    uint16 public constant MAX_SCORE = 10_000;
    /// @notice The quality a task counts until an oracle scores it: neutral, not the best.
    uint16 public constant QUALITY_UNSCORED = TaskPublishing.QUALITY_UNSCORED;
    /// @dev BN254's scalar field: an agreement tag is one of its elements.
    uint256 private constant _FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice The node registry holding stake, collateral and prices.
    INodeRegistry public immutable registry;
    /// @notice Node reputations, read for eligibility and settlement, recorded at settlement.
    IReputation public immutable reputation;
    /// @notice The NNT bonus pool.
    IRewardsPool public immutable rewardsPool;
    /// @inheritdoc ITaskMarket
    IMarketConfig public immutable config;

    /// @inheritdoc ITaskMarket
    uint256 public taskCount;

    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => address[]) private _applicants;
    mapping(uint256 taskId => address[]) private _assignees;
    mapping(uint256 taskId => mapping(address node => Participation)) private _participation;

    /// @inheritdoc ITaskMarket
    mapping(address token => mapping(address account => uint256)) public claimable;

    /// @inheritdoc ITaskMarket
    mapping(address token => uint256) public owedIn;

    /// @param registry_ The node registry (must grant this contract `MARKET_ROLE`).
    /// @param reputation_ The reputation contract (must grant this contract `REPORTER_ROLE`).
    /// @param rewardsPool_ The NNT bonus pool (must grant this contract `REWARDER_ROLE`).
    /// @param config_ Parameters and allow-lists.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (granting ORACLE_ROLE, binding the resolvers).
    constructor(
        INodeRegistry registry_,
        IReputation reputation_,
        IRewardsPool rewardsPool_,
        IMarketConfig config_,
        address admin
    ) {
        if (
            address(registry_) == address(0) || address(reputation_) == address(0)
                || address(rewardsPool_) == address(0) || address(config_) == address(0)
        ) revert ZeroAddress();
        registry = registry_;
        reputation = reputation_;
        rewardsPool = rewardsPool_;
        config = config_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _declareBound(DISPUTE_ROLE);
    }

    // ---------------------------------------------------------------- requester

    /// @inheritdoc ITaskMarket
    function publish(TaskParams calldata params) external payable nonReentrant returns (uint256 taskId) {
        address token = params.token;
        if (token == address(0)) {
            if (msg.value != params.budget) revert WrongEthAmount(msg.value, params.budget);
        } else if (msg.value != 0) {
            revert EthSentWithToken(msg.value);
        }
        taskId = ++taskCount;
        TaskPublishing.open(_tasks[taskId], taskId, params, config);

        if (token != address(0)) {
            IERC20 erc20 = IERC20(token);
            uint256 before = _checkBalance(token); // a token that shrank on its own takes no new escrow
            erc20.safeTransferFrom(msg.sender, address(this), params.budget);
            uint256 received = erc20.balanceOf(address(this)) - before;
            if (received != params.budget) revert FeeOnTransferToken(token, params.budget, received);
            owedIn[token] += received;
        }
    }

    /// @inheritdoc ITaskMarket
    function cancel(uint256 taskId) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (msg.sender != t.requester) revert NotRequester(taskId, msg.sender);
        // not once applications closed: a requester must not re-roll a draw it dislikes
        if (block.timestamp >= t.applyDeadline) revert ApplicationClosed(taskId, t.applyDeadline);
        TaskState.refundAll(t, taskId, claimable, TaskStatus.Cancelled);
        TaskApplications.releaseAll(t, taskId, _applicants[taskId], _participation[taskId], registry);
    }

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc ITaskMarket
    /// @dev Eligible: registered, minimum stake, hardware class, free stake for the collateral,
    ///      reputation at least the task's minimum, and a price for the task's token that fits
    ///      `budget / replication` for the task's compute units (or 0, any price).
    function applyForTask(uint256 taskId) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (block.timestamp >= t.applyDeadline) revert ApplicationClosed(taskId, t.applyDeadline);
        TaskApplications.applyFor(t, taskId, msg.sender, _applicants[taskId], _participation[taskId], _deps());
    }

    /// @inheritdoc ITaskMarket
    /// @dev Applicants are checked for eligibility again (reputation and prices may have
    ///      changed since they applied; their collateral is locked already) and each selected
    ///      node's price is fixed for the task. Reverts `StrategyNotAllowed` if governance
    ///      disallowed the task's strategy after it was published (the requester can then cancel).
    function assign(uint256 taskId) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (block.timestamp > t.deadline) revert DeadlinePassed(taskId, t.deadline);
        IScheduleStrategy strategy = IScheduleStrategy(t.strategy);
        if (!config.isStrategyAllowed(address(strategy))) revert StrategyNotAllowed(address(strategy));
        if (block.timestamp < t.applyDeadline && !strategy.assignsEarly()) {
            revert ApplicationOpen(taskId, t.applyDeadline);
        }
        uint64 left = t.deadline - uint64(block.timestamp);
        uint64 need = config.minExecutionWindow();
        if (left < need) revert ExecutionWindowTooShort(taskId, left, need);
        TaskApplications.assign(
            t, taskId, _applicants[taskId], _assignees[taskId], _participation[taskId], _deps()
        );
    }

    /// @inheritdoc ITaskMarket
    function admitReplacement(uint256 taskId) external nonReentrant returns (address node) {
        node = TaskRounds.admit(
            _tasks[taskId], taskId, _applicants[taskId], _assignees[taskId], _participation[taskId], _deps()
        );
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
            uint64 next = lastAt + config.minSnapshotInterval();
            if (block.timestamp < next) revert SnapshotTooSoon(taskId, msg.sender, next);
        }
        p.lastSnapshotStep = step;
        p.lastSnapshotAt = uint64(block.timestamp);
        p.snapshotHead = chainHead;
        emit SnapshotPosted(taskId, msg.sender, step, chainHead);
        if (status == TaskStatus.Assigned) _transition(taskId, TaskStatus.Running);
    }

    /// @inheritdoc ITaskMarket
    function submitResult(uint256 taskId, bytes32 resultDigest) external {
        if (_task(taskId).resultProofs != address(0)) revert ProofRequired(taskId);
        _submit(taskId, resultDigest);
    }

    /// @inheritdoc ITaskMarket
    /// @dev The agreement tag takes the place of the result digest: settlement counts tags.
    function submitProof(uint256 taskId, uint256 agreementTag, uint256[8] calldata proof) external {
        if (_task(taskId).resultProofs == address(0)) revert ProofsDisabled();
        if (agreementTag >= _FIELD_MODULUS) revert TagNotAFieldElement(agreementTag);
        _submit(taskId, bytes32(agreementTag));
        _participation[taskId][msg.sender].proofHash = bytes28(keccak256(abi.encode(proof)));
        emit ProofPosted(taskId, msg.sender, proof);
    }

    /// @inheritdoc ITaskMarket
    function rejectProof(uint256 taskId, address node, address challenger, uint16 challengerShareBps)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        slashed = TaskExits.rejectProof(
            _tasks[taskId], taskId, node, challenger, challengerShareBps, _participation[taskId], claimable, _deps()
        );
    }

    /// @inheritdoc ITaskMarket
    function revealResult(uint256 taskId, string calldata resultURI) external {
        TaskStatus status = _task(taskId).status;
        Participation storage p = _participation[taskId][msg.sender];
        bool committed =
            status == TaskStatus.Submitted || status == TaskStatus.Verifying || status == TaskStatus.Disputed;
        if (!committed || !p.submitted || p.bond != Bond.Locked || p.revealed) {
            revert NotRevealable(taskId, msg.sender);
        }
        p.revealed = true;
        emit ResultRevealed(taskId, msg.sender, resultURI);
    }

    /// @inheritdoc ITaskMarket
    /// @dev A scorer may report again within the window; the last report counts. Reverts
    ///      `DeadlinePassed` with the window's end once it has closed.
    function reportQuality(uint256 taskId, uint16 score, bool accepted) external {
        Task storage t = _taskIn(taskId, TaskStatus.Submitted);
        // a score arbitration decided stands: no scorer overrides the vote
        if (t.scoredBy == QualitySource.Arbitration) revert NotScorer(taskId, msg.sender);
        QualitySource source = QualitySource.Oracle;
        if (!hasRole(ORACLE_ROLE, msg.sender)) {
            if (msg.sender != t.requester || t.scoredBy == QualitySource.Oracle) revert NotScorer(taskId, msg.sender);
            source = QualitySource.Requester;
        }
        uint64 endsAt = t.challengeEndsAt;
        if (block.timestamp >= endsAt) revert DeadlinePassed(taskId, endsAt);
        _score(taskId, t, score, accepted, source);
    }

    /// @inheritdoc ITaskMarket
    function setQualityByArbitration(uint256 taskId, uint16 score, bool accepted) external onlyRole(DISPUTE_ROLE) {
        _score(taskId, _taskIn(taskId, TaskStatus.Disputed), score, accepted, QualitySource.Arbitration);
    }

    // ---------------------------------------------------------------- settlement and exits

    /// @inheritdoc ITaskMarket
    /// @dev Reputations are read (for the formula) before any is recorded. Majority nodes are
    ///      recorded Agreed or AgreedEarly, the others Dissented; after a tie nothing is recorded.
    function settle(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        TaskStatus status = t.status;
        if (status != TaskStatus.Submitted && !(status == TaskStatus.Verifying && t.tied)) {
            revert InvalidStatus(taskId, status, TaskStatus.Submitted);
        }
        uint64 endsAt = t.challengeEndsAt;
        if (block.timestamp < endsAt) revert ChallengeWindowOpen(taskId, endsAt);
        TaskSettlement.settle(
            t,
            taskId,
            _assignees[taskId],
            _participation[taskId],
            claimable,
            _deps()
        );
    }

    /// @inheritdoc ITaskMarket
    /// @dev Reverts `ApplicationOpen` for a published task whose applications are open, and
    ///      `DeadlineNotReached` for one that can still be assigned or an assigned or running
    ///      task before its deadline.
    function expire(uint256 taskId) external nonReentrant {
        TaskExits.expire(
            _task(taskId),
            taskId,
            _applicants[taskId],
            _assignees[taskId],
            _participation[taskId],
            claimable,
            _deps()
        );
    }

    /// @inheritdoc ITaskMarket
    /// @dev Only before the deadline (`_runnable`): past it `expire` takes the whole collateral,
    ///      which a node cannot dodge by giving up late. The penalty is the one in force now.
    function abandon(uint256 taskId, AbandonReason reason) external nonReentrant {
        Task storage t = _task(taskId);
        _runnable(taskId, t);
        _assigned(taskId);
        TaskExits.abandon(t, taskId, msg.sender, reason, _participation[taskId], claimable, _deps());
    }

    /// @inheritdoc ITaskMarket
    function releaseFrozen(uint256 taskId, address node) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Settled);
        if (block.timestamp < t.challengeEndsAt) revert ChallengeWindowOpen(taskId, t.challengeEndsAt);
        TaskExits.release(t, taskId, node, Bond.Frozen, _participation[taskId], _deps());
    }

    /// @inheritdoc ITaskMarket
    function claim(address token) external nonReentrant {
        uint256 amount = claimable[token][msg.sender];
        if (amount == 0) revert NothingToClaimInToken(msg.sender, token);
        claimable[token][msg.sender] = 0;
        emit Claimed(msg.sender, token, amount);
        if (token == address(0)) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert EthTransferFailed(msg.sender, amount);
        } else {
            _checkBalance(token);
            owedIn[token] -= amount;
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    /// @dev The market's balance of `token`, which must cover what it owes in it (escrow and
    ///      credits): a token whose balances change on their own (negative rebase, a fee taken
    ///      from holders) is detected here instead of paying early claimants with later ones' money.
    function _checkBalance(address token) private view returns (uint256 balance) {
        balance = IERC20(token).balanceOf(address(this));
        if (balance < owedIn[token]) revert TokenBalanceShortfall(token, balance, owedIn[token]);
    }

    // ---------------------------------------------------------------- verification and disputes

    /// @inheritdoc ITaskMarket
    function holdForDispute(uint256 taskId, TaskStatus to) external onlyRole(DISPUTE_ROLE) {
        Task storage t = _task(taskId);
        TaskStatus from = t.status;
        bool ok;
        if (to == TaskStatus.Submitted) {
            ok = from == TaskStatus.Verifying || from == TaskStatus.Disputed;
            if (t.tied) to = TaskStatus.Verifying; // a tied task resumes its tie window
        } else if (to == TaskStatus.Verifying) {
            ok = from == TaskStatus.Submitted;
        } else if (to == TaskStatus.Disputed) {
            ok = from == TaskStatus.Submitted || from == TaskStatus.Verifying;
        }
        if (!ok) revert InvalidStatus(taskId, from, to);
        _transition(taskId, to);
    }

    /// @inheritdoc ITaskMarket
    function holdFrozen(uint256 taskId, address node) external onlyRole(DISPUTE_ROLE) {
        TaskExits.hold(_tasks[taskId], taskId, node, _participation[taskId]);
    }

    /// @inheritdoc ITaskMarket
    function releaseHeld(uint256 taskId, address node) external nonReentrant onlyRole(DISPUTE_ROLE) {
        TaskExits.release(_task(taskId), taskId, node, Bond.Held, _participation[taskId], _deps());
    }

    /// @inheritdoc ITaskMarket
    function slashNode(uint256 taskId, address node, address recipient)
        external
        nonReentrant
        onlyRole(DISPUTE_ROLE)
        returns (uint256 slashed)
    {
        slashed = TaskExits.slash(_task(taskId), taskId, node, recipient, _participation[taskId], _deps());
    }

    /// @inheritdoc ITaskMarket
    function bindDisputeResolvers(address[] calldata resolvers) external onlyRole(DEFAULT_ADMIN_ROLE) {
        for (uint256 i; i < resolvers.length; ++i) {
            if (resolvers[i] == address(0)) revert ZeroAddress();
        }
        emit DisputeResolversBound(resolvers);
        _bindOnce(DISPUTE_ROLE, resolvers);
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

    // ---------------------------------------------------------------- internal: state

    function _transition(uint256 taskId, TaskStatus to) private {
        TaskState.transition(_tasks[taskId], taskId, to);
    }

    function _setBond(uint256 taskId, address node, Participation storage p, Bond to) private {
        TaskState.setBond(p, taskId, node, to);
    }

    function _requireBond(uint256 taskId, address node, Participation storage p, Bond want) private view {
        if (p.bond != want) revert InvalidBond(taskId, node, p.bond, want);
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

    /// @dev The caller's participation, which must be an active assignment without a result yet.
    function _assigned(uint256 taskId) private view returns (Participation storage p) {
        p = _participation[taskId][msg.sender];
        if (!p.assigned || p.dropped) revert NotAssigned(taskId, msg.sender);
        if (p.submitted) revert AlreadySubmitted(taskId, msg.sender);
    }

    function _score(uint256 taskId, Task storage t, uint16 score, bool accepted, QualitySource source) private {
        if (score > MAX_SCORE) revert InvalidQuality(score, MAX_SCORE);
        t.qualityScore = score;
        t.rejected = !accepted;
        t.scoredBy = source;
        emit QualityReported(taskId, msg.sender, score, accepted);
    }

    function _submit(uint256 taskId, bytes32 resultDigest) private {
        Task storage t = _task(taskId);
        _runnable(taskId, t);
        Participation storage p = _assigned(taskId);
        if (resultDigest == bytes32(0)) revert ZeroResultDigest();
        p.submitted = true;
        p.submittedAt = uint64(block.timestamp);
        p.resultDigest = resultDigest;
        ++t.submissions;
        emit ResultSubmitted(taskId, msg.sender, resultDigest);
        if (t.submissions == t.active) TaskState.allSubmitted(t, taskId, config.challengeWindow());
    }

    function _deps() private view returns (TaskState.Deps memory) {
        return TaskState.Deps(registry, reputation, rewardsPool, config);
    }

    /// @notice ERC-165: true for {ITaskMarket}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ITaskMarket).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
