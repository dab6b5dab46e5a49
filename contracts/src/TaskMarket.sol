// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IScheduleStrategy} from "./interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "./interfaces/ITaskMarket.sol";

/// @title TaskMarket
/// @notice Training and inference tasks: escrow, application, assignment, results, settlement.
/// @dev See {ITaskMarket} for the lifecycle. Every status change goes through `_transition`.
///      The market holds, per token, exactly `sum(claimable) + sum(budget of open tasks)`, where
///      a task is open until it is settled, cancelled or expired (each of which credits its whole
///      budget to `claimable`). Collateral stays in the {INodeRegistry}; the market only locks,
///      releases and slashes it, and the registry must have granted it `MARKET_ROLE`.
contract TaskMarket is ITaskMarket, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Most nodes one task can be replicated on.
    uint8 public constant MAX_REPLICATION = 8;
    /// @notice Most applicants one task accepts (bounds the loops in `assign`).
    uint256 public constant MAX_APPLICANTS = 16;
    /// @notice Highest protocol fee, in basis points of what nodes earn (10%).
    uint16 public constant MAX_FEE_BPS = 1000;
    /// @notice Basis-point denominator.
    uint256 public constant BPS = 10_000;

    /// @notice The strategy returned something other than `replication` distinct eligible
    ///         applicants.
    error InvalidSelection(uint256 taskId, address strategy);

    /// @dev A node's part in one task.
    struct Participation {
        bool applied;
        bool assigned;
        bool submitted;
        bytes32 resultDigest;
    }

    /// @notice The node registry holding stake and collateral.
    INodeRegistry public immutable registry;

    /// @notice Credited the protocol fee at settlement.
    address public treasury;
    /// @notice Protocol fee in basis points of each paid node's share, applied at settlement.
    uint16 public protocolFeeBps;

    /// @inheritdoc ITaskMarket
    uint256 public taskCount;

    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => address[]) private _applicants;
    mapping(uint256 taskId => address[]) private _assignees;
    mapping(uint256 taskId => mapping(address node => Participation)) private _participation;
    mapping(address token => bool) private _tokenAllowed;

    /// @inheritdoc ITaskMarket
    mapping(address strategy => bool) public isStrategyAllowed;

    /// @inheritdoc ITaskMarket
    mapping(address token => mapping(address account => uint256)) public claimable;

    /// @param registry_ The node registry (must grant this contract `MARKET_ROLE`).
    /// @param treasury_ Receives the protocol fee.
    /// @param feeBps Initial protocol fee in basis points (at most `MAX_FEE_BPS`).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (allow-lists, fee, treasury).
    constructor(INodeRegistry registry_, address treasury_, uint16 feeBps, address admin) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(treasury_);
        _setProtocolFee(feeBps);
    }

    // ---------------------------------------------------------------- requester

    /// @inheritdoc ITaskMarket
    function publish(TaskParams calldata params) external payable nonReentrant returns (uint256 taskId) {
        if (params.specDigest == bytes32(0)) revert EmptySpec();
        if (params.budget == 0) revert ZeroBudget();
        if (params.replication == 0 || params.replication > MAX_REPLICATION) {
            revert InvalidReplication(params.replication, MAX_REPLICATION);
        }
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
    function applyForTask(uint256 taskId) external {
        Task storage t = _taskIn(taskId, TaskStatus.Published);
        if (block.timestamp >= t.applyDeadline) revert ApplicationClosed(taskId, t.applyDeadline);
        if (!registry.isEligible(msg.sender, t.collateral, t.minHardwareClass)) {
            revert NotEligible(taskId, msg.sender);
        }
        Participation storage p = _participation[taskId][msg.sender];
        if (p.applied) revert AlreadyApplied(taskId, msg.sender);
        address[] storage applicants = _applicants[taskId];
        if (applicants.length >= MAX_APPLICANTS) revert TooManyApplicants(taskId, MAX_APPLICANTS);
        p.applied = true;
        applicants.push(msg.sender);
        emit NodeApplied(taskId, msg.sender);
    }

    /// @inheritdoc ITaskMarket
    /// @dev Reverts `StrategyNotAllowed` if governance disallowed the task's strategy after it
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
        uint96 collateral = t.collateral;
        address[] memory eligible = _eligibleApplicants(taskId, collateral, t.minHardwareClass);
        if (eligible.length < r) revert NotEnoughApplicants(taskId, eligible.length, r);

        address[] memory selected = strategy.select(taskId, eligible, r);
        if (selected.length != r) revert InvalidSelection(taskId, address(strategy));
        address[] storage assignees = _assignees[taskId];
        for (uint256 i; i < r; ++i) {
            address node = selected[i];
            Participation storage p = _participation[taskId][node];
            // `assigned` doubles as the duplicate check
            if (p.assigned || !_contains(eligible, node)) revert InvalidSelection(taskId, address(strategy));
            p.assigned = true;
            assignees.push(node);
        }
        emit TaskAssigned(taskId, selected);
        _transition(taskId, TaskStatus.Assigned);

        if (collateral != 0) {
            for (uint256 i; i < r; ++i) {
                registry.lockCollateral(selected[i], taskId, collateral);
            }
        }
    }

    /// @inheritdoc ITaskMarket
    function submitResult(uint256 taskId, bytes32 resultDigest, string calldata resultURI) external {
        Task storage t = _taskIn(taskId, TaskStatus.Assigned);
        Participation storage p = _participation[taskId][msg.sender];
        if (!p.assigned) revert NotAssigned(taskId, msg.sender);
        if (p.submitted) revert AlreadySubmitted(taskId, msg.sender);
        if (resultDigest == bytes32(0)) revert ZeroResultDigest();
        if (block.timestamp > t.deadline) revert DeadlinePassed(taskId, t.deadline);
        p.submitted = true;
        p.resultDigest = resultDigest;
        uint8 submissions = ++t.submissions;
        emit ResultSubmitted(taskId, msg.sender, resultDigest, resultURI);
        if (submissions == t.replication) _transition(taskId, TaskStatus.Submitted);
    }

    // ---------------------------------------------------------------- settlement

    /// @inheritdoc ITaskMarket
    /// @dev Each node of the majority earns `budget / r` less `protocolFeeBps` of it; the
    ///      requester gets the rest (dissenters' shares and rounding dust). Dissenters keep their
    ///      collateral in this first cut.
    function settle(uint256 taskId) external nonReentrant {
        Task storage t = _taskIn(taskId, TaskStatus.Submitted);
        address[] storage nodes = _assignees[taskId];
        uint256 r = nodes.length;
        bytes32[] memory digests = new bytes32[](r);
        for (uint256 i; i < r; ++i) {
            digests[i] = _participation[taskId][nodes[i]].resultDigest;
        }
        (bytes32 agreed, uint256 winners) = _strictMajority(digests);
        (uint256 paid, uint256 fee, uint256 refund) = _distribute(taskId, t, nodes, digests, agreed, winners);
        t.resultDigest = agreed;
        _transition(taskId, TaskStatus.Settled);
        emit TaskSettled(taskId, agreed, paid, fee, refund);

        uint96 collateral = t.collateral;
        if (collateral != 0) {
            for (uint256 i; i < r; ++i) {
                registry.releaseCollateral(nodes[i], taskId, collateral);
            }
        }
    }

    /// @inheritdoc ITaskMarket
    /// @dev The slashed collateral is credited to the requester in the registry (NNT, pulled
    ///      with {INodeRegistry-claim}).
    function expire(uint256 taskId) external nonReentrant {
        Task storage t = _task(taskId);
        TaskStatus from = t.status;
        if (from != TaskStatus.Published && from != TaskStatus.Assigned) {
            revert InvalidStatus(taskId, from, TaskStatus.Assigned);
        }
        if (block.timestamp <= t.deadline) revert DeadlineNotReached(taskId, t.deadline);
        address requester = t.requester;
        uint256 refund = t.budget;
        claimable[t.token][requester] += refund;
        _transition(taskId, TaskStatus.Expired);
        emit TaskExpired(taskId, refund);

        uint96 collateral = t.collateral;
        if (from == TaskStatus.Assigned && collateral != 0) {
            address[] storage nodes = _assignees[taskId];
            uint256 r = nodes.length;
            for (uint256 i; i < r; ++i) {
                address node = nodes[i];
                if (_participation[taskId][node].submitted) {
                    registry.releaseCollateral(node, taskId, collateral);
                } else {
                    registry.slashCollateral(node, taskId, collateral, requester);
                }
            }
        }
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
    /// @dev True for ETH (`address(0)`).
    function isTokenAllowed(address token) external view returns (bool) {
        return token == address(0) || _tokenAllowed[token];
    }

    // ---------------------------------------------------------------- internal

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

    /// @dev Credits a settled task's budget: `budget / r` less the fee to each of the `winners`
    ///      nodes whose digest is `agreed`, the fee to the treasury, the rest to the requester.
    function _distribute(
        uint256 taskId,
        Task storage t,
        address[] storage nodes,
        bytes32[] memory digests,
        bytes32 agreed,
        uint256 winners
    ) private returns (uint256 paid, uint256 fee, uint256 refund) {
        address token = t.token;
        uint256 budget = t.budget;
        refund = budget;
        if (winners != 0) {
            uint256 share = budget / digests.length;
            uint256 shareFee = Math.mulDiv(share, protocolFeeBps, BPS);
            paid = _payAgreeing(taskId, token, nodes, digests, agreed, share - shareFee);
            fee = shareFee * winners;
            refund = budget - share * winners;
            if (fee != 0) claimable[token][treasury] += fee;
        }
        if (refund != 0) claimable[token][t.requester] += refund;
    }

    /// @dev Credits `net` to every node whose digest is `agreed`; returns the total credited.
    function _payAgreeing(
        uint256 taskId,
        address token,
        address[] storage nodes,
        bytes32[] memory digests,
        bytes32 agreed,
        uint256 net
    ) private returns (uint256 paid) {
        uint256 n = digests.length;
        for (uint256 i; i < n; ++i) {
            if (digests[i] != agreed) continue;
            address node = nodes[i];
            claimable[token][node] += net;
            paid += net;
            emit NodePaid(taskId, node, net);
        }
    }

    /// @dev Applicants that are eligible now, in application order (at most MAX_APPLICANTS).
    function _eligibleApplicants(uint256 taskId, uint96 collateral, uint8 minHardwareClass)
        private
        view
        returns (address[] memory eligible)
    {
        address[] storage applicants = _applicants[taskId];
        uint256 n = applicants.length;
        address[] memory found = new address[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            address node = applicants[i];
            if (registry.isEligible(node, collateral, minHardwareClass)) found[count++] = node;
        }
        eligible = new address[](count);
        for (uint256 i; i < count; ++i) {
            eligible[i] = found[i];
        }
    }

    /// @dev The digest more than half of `digests` agree on and how many do; (0, 0) if none.
    ///      O(n^2) over at most MAX_REPLICATION entries.
    function _strictMajority(bytes32[] memory digests) private pure returns (bytes32 digest, uint256 count) {
        uint256 n = digests.length;
        for (uint256 i; i < n; ++i) {
            uint256 c;
            for (uint256 j; j < n; ++j) {
                if (digests[j] == digests[i]) ++c;
            }
            if (c * 2 > n) return (digests[i], c);
        }
        return (bytes32(0), 0);
    }

    function _contains(address[] memory list, address item) private pure returns (bool) {
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setProtocolFee(uint16 feeBps) private {
        if (feeBps > MAX_FEE_BPS) revert FeeTooHigh(feeBps, MAX_FEE_BPS);
        protocolFeeBps = feeBps;
        emit ProtocolFeeSet(feeBps);
    }
}
