// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMarketConfig} from "../interfaces/IMarketConfig.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {SettlementMath} from "./SettlementMath.sol";
import {TaskState} from "./TaskState.sol";

/// @title TaskApplications
/// @notice Applications and assignment of the task market: who may apply, the collateral an
///         applicant locks, eviction of applicants that stopped being eligible, the strategy's
///         selection, and the applicants' exits (released, or the abandon penalty forfeited).
/// @dev An external library: its code runs by DELEGATECALL in the market's storage, on the
///      storage the market passes in (so it leaves the market's bytecode). Events and errors are
///      the market's ({ITaskMarket}). Loops run over one task's applicants (at most
///      MAX_APPLICANTS).
library TaskApplications {
    /// @notice Most applicants one task accepts.
    uint256 internal constant MAX_APPLICANTS = 16;
    uint256 private constant BPS = 10_000;

    /// @dev What an applicant must meet, read once per task.
    struct Requirements {
        uint96 collateral;
        uint8 minHardwareClass;
        uint16 minReputation;
        address token;
        uint64 computeUnits;
        uint256 share; // budget / replication
    }

    /// @notice Applies `node` (status and window checked by the market) and locks the task's
    ///         collateral; on a full list it takes the slot of the first applicant no longer
    ///         eligible, which forfeits the abandon penalty.
    function applyFor(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        address[] storage applicants,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) external {
        Requirements memory q = requirements(t);
        (bool eligible,) = check(q, node, q.collateral, deps);
        if (!eligible) revert ITaskMarket.NotEligible(taskId, node, _why(q, node, deps));
        ITaskMarket.Participation storage p = seats[node];
        if (p.applied) revert ITaskMarket.AlreadyApplied(taskId, node);
        uint256 n = applicants.length;
        uint256 slot = n;
        if (n >= MAX_APPLICANTS) {
            // a full list: take the slot of the first applicant that stopped being eligible
            for (uint256 i; i < n && slot == n; ++i) {
                (bool ok,) = check(q, applicants[i], 0, deps);
                if (!ok) slot = i;
            }
            if (slot == n) revert ITaskMarket.TooManyApplicants(taskId, MAX_APPLICANTS);
            _dropApplicant(taskId, applicants[slot], q.collateral, seats, deps);
            applicants[slot] = node;
        } else {
            applicants.push(node);
        }
        p.applied = true;
        emit ITaskMarket.NodeApplied(taskId, node);
        TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Locked);
        if (q.collateral != 0) deps.registry.lockCollateral(node, taskId, q.collateral);
    }

    /// @notice Runs the task's strategy over the eligible applicants, fixes the selected
    ///         nodes' prices and moves the task to Assigned (status and windows checked by the
    ///         market); unselected applicants get their collateral back, applicants no longer
    ///         eligible forfeit the abandon penalty.
    function assign(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address[] storage applicants,
        address[] storage assignees,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) external {
        IScheduleStrategy strategy = IScheduleStrategy(t.strategy);
        uint256 r = t.replication;
        (address[] memory eligible, uint256[] memory prices) = _eligible(t, applicants, deps);
        if (eligible.length < r) revert ITaskMarket.NotEnoughApplicants(taskId, eligible.length, r);

        address[] memory selected = strategy.select(taskId, eligible, r);
        if (selected.length != r) revert ITaskMarket.InvalidSelection(taskId, address(strategy));
        for (uint256 i; i < r; ++i) {
            address node = selected[i];
            ITaskMarket.Participation storage p = seats[node];
            uint256 at = _indexOf(eligible, node);
            // `assigned` doubles as the duplicate check
            if (p.assigned || at == type(uint256).max) revert ITaskMarket.InvalidSelection(taskId, address(strategy));
            p.assigned = true;
            p.price = prices[at];
            assignees.push(node);
            emit ITaskMarket.NodeAssigned(taskId, node, prices[at]);
        }
        t.assignedAt = uint64(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast)
        t.active = uint8(r); // r <= MAX_REPLICATION
        emit ITaskMarket.TaskAssigned(taskId, selected);
        TaskState.transition(t, taskId, ITaskMarket.TaskStatus.Assigned);
        _settleApplicants(taskId, t.collateral, eligible, applicants, seats, deps);
    }

    /// @notice How many applicants are eligible now (their collateral is locked already).
    function eligibleCount(ITaskMarket.Task storage t, address[] storage applicants, TaskState.Deps memory deps)
        external
        view
        returns (uint256)
    {
        (address[] memory eligible,) = _eligible(t, applicants, deps);
        return eligible.length;
    }

    /// @notice Releases the collateral of every applicant still holding it (a task that ends unassigned).
    function releaseAll(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address[] storage applicants,
        mapping(address => ITaskMarket.Participation) storage seats,
        INodeRegistry registry
    ) external {
        uint256 collateral = t.collateral;
        uint256 n = applicants.length;
        for (uint256 i; i < n; ++i) {
            address node = applicants[i];
            ITaskMarket.Participation storage p = seats[node];
            if (p.bond != ITaskMarket.Bond.Locked) continue;
            TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Released);
            if (collateral != 0) registry.releaseCollateral(node, taskId, collateral);
        }
    }

    // ---------------------------------------------------------------- private

    function requirements(ITaskMarket.Task storage t) internal view returns (Requirements memory q) {
        q.collateral = t.collateral;
        q.minHardwareClass = t.minHardwareClass;
        q.minReputation = t.minReputation;
        q.token = t.token;
        q.computeUnits = t.computeUnits;
        q.share = t.budget / t.replication;
    }

    /// @dev Whether `node` may take the task now with `freeNeeded` free stake, and its price.
    function check(Requirements memory q, address node, uint256 freeNeeded, TaskState.Deps memory deps)
        internal
        view
        returns (bool eligible, uint256 price)
    {
        if (!deps.registry.isEligible(node, freeNeeded, q.minHardwareClass)) return (false, 0);
        if (deps.reputation.reputationOf(node) < q.minReputation) return (false, 0);
        price = deps.registry.priceOf(node, q.token);
        eligible = SettlementMath.affordable(price, q.computeUnits, q.share);
    }

    /// @dev Why `node` fails `check` with the collateral as free stake (on the revert path only).
    function _why(Requirements memory q, address node, TaskState.Deps memory deps)
        private
        view
        returns (ITaskMarket.Ineligibility)
    {
        INodeRegistry.Node memory n = deps.registry.getNode(node);
        if (n.registeredAt == 0) return ITaskMarket.Ineligibility.Registration;
        if (n.hardwareClass < q.minHardwareClass) return ITaskMarket.Ineligibility.HardwareClass;
        if (!deps.registry.isEligible(node, q.collateral, 0)) return ITaskMarket.Ineligibility.Stake;
        if (deps.reputation.reputationOf(node) < q.minReputation) return ITaskMarket.Ineligibility.Reputation;
        return ITaskMarket.Ineligibility.Price;
    }

    /// @dev Applicants that are eligible now, in application order, with their prices.
    function _eligible(ITaskMarket.Task storage t, address[] storage applicants, TaskState.Deps memory deps)
        private
        view
        returns (address[] memory eligible, uint256[] memory prices)
    {
        Requirements memory q = requirements(t);
        uint256 n = applicants.length;
        eligible = new address[](n);
        prices = new uint256[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            address node = applicants[i];
            (bool ok, uint256 price) = check(q, node, 0, deps);
            if (ok) (eligible[count], prices[count++]) = (node, price);
        }
        assembly ("memory-safe") {
            // shrink both arrays to the eligible prefix
            mstore(eligible, count)
            mstore(prices, count)
        }
    }

    /// @dev After assignment: unselected eligible applicants get their collateral back,
    ///      applicants no longer eligible forfeit the abandon penalty of it.
    function _settleApplicants(
        uint256 taskId,
        uint256 collateral,
        address[] memory eligible,
        address[] storage applicants,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) private {
        uint256 n = applicants.length;
        for (uint256 i; i < n; ++i) {
            address node = applicants[i];
            ITaskMarket.Participation storage p = seats[node];
            if (p.assigned) continue;
            if (_indexOf(eligible, node) == type(uint256).max) {
                _dropApplicant(taskId, node, collateral, seats, deps);
            } else {
                TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Released);
                if (collateral != 0) deps.registry.releaseCollateral(node, taskId, collateral);
            }
        }
    }

    /// @dev An applicant that stopped being eligible forfeits the abandon penalty of its
    ///      collateral to the treasury; the rest is released.
    function _dropApplicant(
        uint256 taskId,
        address node,
        uint256 collateral,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) private {
        IMarketConfig.Params memory c = deps.config.params();
        uint256 forfeited = collateral * c.abandonPenaltyBps / BPS;
        ITaskMarket.Participation storage p = seats[node];
        p.applied = false;
        emit ITaskMarket.ApplicantDropped(taskId, node, forfeited);
        TaskState.setBond(p, taskId, node, forfeited != 0 ? ITaskMarket.Bond.Slashed : ITaskMarket.Bond.Released);
        if (forfeited != 0) deps.registry.slashCollateral(node, taskId, forfeited, c.treasury);
        if (collateral > forfeited) deps.registry.releaseCollateral(node, taskId, collateral - forfeited);
    }

    function _indexOf(address[] memory list, address item) private pure returns (uint256) {
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == item) return i;
        }
        return type(uint256).max;
    }
}
