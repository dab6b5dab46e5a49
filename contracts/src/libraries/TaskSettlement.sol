// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMarketConfig} from "../interfaces/IMarketConfig.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IPayoutRouter} from "../interfaces/IPayoutRouter.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IRewardsPool} from "../interfaces/IRewardsPool.sol";
import {IRoundBook} from "../interfaces/IRoundBook.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SettlementMath} from "./SettlementMath.sol";
import {TaskRounds} from "./TaskRounds.sol";
import {TaskState} from "./TaskState.sol";

/// @notice What settlement asks the acceptance book (`AcceptanceBook`).
interface IAcceptanceRule {
    function mayReject(uint256 taskId) external view returns (bool);
}

/// @title TaskSettlement
/// @notice Settlement and distribution of the task market: who counts, who is paid how much,
///         what is refunded, whose collateral is released or frozen, what reputations record.
/// @dev An external library: its code runs by DELEGATECALL in the market's storage (so it
///      leaves the market's bytecode), on the storage the market passes in. Events are the
///      market's ({ITaskMarket}). See {ITaskMarket} for the rules and {SettlementMath} for the formula.
library TaskSettlement {
    uint256 private constant BPS = 10_000;
    /// @dev Gas the payout router gets per node (it records the payout: about 80,000).
    uint256 private constant ROUTE_GAS = 150_000;

    /// @dev What every paid node of one settlement shares.
    struct Pay {
        uint256 computeUnits;
        uint256 share; // budget / replication
        address token;
        IMarketConfig.SettlementParams w;
        uint256 quality;
        uint256 bonus; // uncapped, per node
        uint256 value; // NNT-wei per 1e18 of the task's token
        address requester;
        uint256 earlyCutoff;
        bool record; // a majority: record each paid node's gain, weighted by what it was paid
        bool rejected; // below the acceptance threshold: the base weight only, no bonus, no gain
        uint256 left; // budget not yet paid out as gross
        // data-parallel: the task's round book started, each node is paid by its share of rounds
        address[] bookNodes; // every node that held a seat (none: the book never started, or none)
        uint16[] bookShares; // their pay shares in bps, summing to 10,000 (all 0: no round contributed)
        uint256 k; // replication, the number of seats
        uint256 shareBps; // the node being paid: its book share
        address router; // offered each payout (address(0): none, every node is credited here)
    }

    /// @dev The active assignees of a task with their results.
    struct Seats {
        address[] nodes;
        bytes32[] digests;
    }

    /// @notice Whether task `taskId` may be rejected: no acceptance book, or the book allows it
    ///         (no labels committed, or "not met" proven and "met" not).
    function rejectable(IMarketConfig config, uint256 taskId) public view returns (bool) {
        address book = config.acceptanceBook();
        return book == address(0) || IAcceptanceRule(book).mayReject(taskId);
    }

    /// @notice Settles task `taskId` (status and window already checked by the market): pays
    ///         the strict majority of the active results, or opens the tie window when there is
    ///         none and none was opened yet, or pays every active replica after it.
    function settle(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address[] storage assignees,
        mapping(address node => ITaskMarket.Participation) storage seats,
        mapping(address token => mapping(address account => uint256)) storage claimable,
        TaskState.Deps memory deps
    ) external {
        Seats memory s = _activeSeats(assignees, seats);
        (bytes32 agreed, uint256 winners) = SettlementMath.strictMajority(s.digests);
        IMarketConfig.Params memory c = deps.config.params();
        if (winners == 0 && s.nodes.length > 1 && !t.tied) {
            // no strict majority: verification first (challenges), not a refund
            t.tied = true;
            uint64 endsAt = uint64(block.timestamp) + c.tieWindow;
            t.challengeEndsAt = endsAt;
            emit ITaskMarket.TaskTied(taskId, endsAt);
            TaskState.transition(t, taskId, ITaskMarket.TaskStatus.Verifying);
            return;
        }
        // a tie still standing pays every active replica (agreed stays 0)
        bool freeze = _distribute(t, taskId, s, agreed, seats, claimable, deps, c);
        _closeSeats(t, taskId, s, agreed, freeze, seats, deps);
    }

    /// @dev Pays, credits the fee and the refund, and ends the task as Settled; returns whether
    ///      outvoted nodes are frozen (a proven task with a majority).
    function _distribute(
        ITaskMarket.Task storage t,
        uint256 taskId,
        Seats memory s,
        bytes32 agreed,
        mapping(address => ITaskMarket.Participation) storage seats,
        mapping(address => mapping(address => uint256)) storage claimable,
        TaskState.Deps memory deps,
        IMarketConfig.Params memory c
    ) private returns (bool freeze) {
        (uint256 gross, uint256 fee) = _pay(t, taskId, s, agreed, seats, claimable, deps, c);
        uint256 refund = t.budget - gross;
        if (fee != 0) claimable[t.token][c.treasury] += fee;
        if (refund != 0) claimable[t.token][t.requester] += refund;
        t.resultDigest = agreed;
        freeze = agreed != bytes32(0) && t.resultProofs != address(0);
        t.challengeEndsAt = uint64(block.timestamp) + (freeze ? c.freezeWindow : 0);
        TaskState.transition(t, taskId, ITaskMarket.TaskStatus.Settled);
        emit ITaskMarket.TaskSettled(taskId, agreed, gross - fee, fee, refund);
    }

    /// @dev The assignees still in the task (not dropped, not slashed) and their results.
    function _activeSeats(address[] storage assignees, mapping(address => ITaskMarket.Participation) storage seats)
        private
        view
        returns (Seats memory s)
    {
        uint256 r = assignees.length;
        address[] memory nodes = new address[](r);
        bytes32[] memory digests = new bytes32[](r);
        uint256 count;
        for (uint256 i; i < r; ++i) {
            ITaskMarket.Participation storage p = seats[assignees[i]];
            if (p.dropped || p.bond != ITaskMarket.Bond.Locked) continue;
            (nodes[count], digests[count++]) = (assignees[i], p.resultDigest);
        }
        assembly ("memory-safe") {
            mstore(nodes, count)
            mstore(digests, count)
        }
        (s.nodes, s.digests) = (nodes, digests);
    }

    /// @dev Credits each paid node (`agreed` == 0: every one) its net payout and NNT bonus;
    ///      returns the sums of gross and fee.
    function _pay(
        ITaskMarket.Task storage t,
        uint256 taskId,
        Seats memory s,
        bytes32 agreed,
        mapping(address => ITaskMarket.Participation) storage seats,
        mapping(address => mapping(address => uint256)) storage claimable,
        TaskState.Deps memory deps,
        IMarketConfig.Params memory c
    ) private returns (uint256 grossSum, uint256 feeSum) {
        Pay memory ctx;
        ctx.computeUnits = t.computeUnits;
        ctx.share = t.budget / t.replication;
        ctx.token = t.token;
        ctx.w = c.settlement;
        ctx.quality = t.qualityScore;
        ctx.bonus = SettlementMath.bonus(ctx.w.rewardPerComputeUnit, ctx.computeUnits, ctx.quality);
        ctx.value = deps.config.tokenValue(ctx.token);
        ctx.requester = t.requester;
        ctx.earlyCutoff = SettlementMath.earlyCutoff(t.assignedAt, t.deadline);
        ctx.record = agreed != bytes32(0);
        // a rejection stands only if the acceptance book allows it (labels committed: "not met"
        // proven and "met" not), checked here, at settlement, so a proof posted after the report counts
        ctx.rejected = t.rejected && rejectable(deps.config, taskId);
        if (ctx.rejected) ctx.bonus = 0;
        ctx.left = t.budget;
        ctx.k = t.replication;
        ctx.router = deps.config.payoutRouter();
        _readBook(ctx, taskId, deps.config);
        uint256 n = s.nodes.length;
        for (uint256 i; i < n; ++i) {
            if (agreed != bytes32(0) && s.digests[i] != agreed) continue;
            address node = s.nodes[i];
            if (!seats[node].revealed) {
                // delivered nothing: not paid (its share goes back), recorded Missed
                deps.reputation.record(node, taskId, IReputation.Outcome.Missed);
                continue;
            }
            if (ctx.bookNodes.length != 0) {
                ctx.shareBps = _bookShare(ctx, node);
                if (ctx.shareBps == 0) {
                    // contributed no round of the book (a free rider): likewise unpaid, Missed
                    deps.reputation.record(node, taskId, IReputation.Outcome.Missed);
                    continue;
                }
            }
            (uint256 gross, uint256 fee) = _payNode(taskId, node, seats[node], ctx, claimable, deps);
            grossSum += gross;
            feeSum += fee;
        }
    }

    /// @dev Credits one node its net payout by the formula and its NNT bonus, capped at what
    ///      the fee it paid is worth (`SettlementMath.capByFee`).
    function _payNode(
        uint256 taskId,
        address node,
        ITaskMarket.Participation storage p,
        Pay memory ctx,
        mapping(address => mapping(address => uint256)) storage claimable,
        TaskState.Deps memory deps
    ) private returns (uint256 gross, uint256 fee) {
        IMarketConfig.SettlementParams memory w = ctx.w;
        uint256 factor = ctx.rejected
            ? w.baseWeightBps // compute paid, nothing more
            : SettlementMath.factor(
                w.baseWeightBps, w.qualityWeightBps, w.reputationWeightBps, ctx.quality, deps.reputation.reputationOf(node)
            );
        uint256 cost = SettlementMath.cost(p.price, ctx.computeUnits, ctx.share);
        if (ctx.bookNodes.length != 0) {
            // by rounds: cost_i' = cost_i * shareBps_i * k / BPS. Within the budget: cost_i <= share
            // (`SettlementMath.cost`) and the paid nodes' shares sum to at most the book's 10,000,
            // so sum(cost_i') <= share * k * 10,000 / BPS = share * k <= budget, and gross <= cost
            // (factor <= BPS). The cap at `left` never binds then; it keeps settlement from
            // reverting should a book's shares ever sum to more.
            cost = Math.min(Math.mulDiv(cost, ctx.shareBps * ctx.k, BPS), ctx.left);
        }
        gross = SettlementMath.gross(cost, factor);
        ctx.left -= gross;
        fee = SettlementMath.fee(gross, w.protocolFeeBps);
        claimable[ctx.token][_payee(taskId, node, gross - fee, ctx)] += gross - fee;
        emit ITaskMarket.NodePaid(taskId, node, gross - fee);
        _grantBonus(taskId, node, SettlementMath.capByFee(ctx.bonus, fee, ctx.value), deps.rewardsPool);
        // after this node's pay read its reputation: the gain weighs what the requester paid
        if (ctx.record) _recordGain(taskId, node, p, ctx, gross, deps.reputation);
    }

    /// @dev Who is credited `node`'s net payout `net`: the task's requester of record when the
    ///      payout router takes it (it pays the node elsewhere and collects from the requester,
    ///      a cross-chain task's account), else the node. A router that reverts, or that the
    ///      settler starved of gas, leaves the payout with the node: nothing is lost either way.
    function _payee(uint256 taskId, address node, uint256 net, Pay memory ctx) private returns (address) {
        if (ctx.router == address(0) || net == 0) return node;
        // a low-level call: a router without code or with malformed return data must not
        // revert the settlement either (try/catch would not catch a failed decode)
        (bool ok, bytes memory reply) = ctx.router.call{gas: ROUTE_GAS}(
            abi.encodeCall(IPayoutRouter.routePayout, (taskId, ctx.requester, node, net))
        );
        if (ok && reply.length == 32 && abi.decode(reply, (uint256)) == 1) return ctx.requester;
        return node;
    }

    function _recordGain(
        uint256 taskId,
        address node,
        ITaskMarket.Participation storage p,
        Pay memory ctx,
        uint256 gross,
        IReputation reputation
    ) private {
        if (ctx.rejected) return reputation.record(node, taskId, IReputation.Outcome.Rejected);
        IReputation.Outcome outcome =
            p.submittedAt <= ctx.earlyCutoff ? IReputation.Outcome.AgreedEarly : IReputation.Outcome.Agreed;
        reputation.recordWork(node, taskId, outcome, ctx.requester, Math.mulDiv(gross, ctx.value, 1e18));
    }

    /// @dev The task's round book shares into `ctx`: none for a task without a book, or with a
    ///      book never started (Opened): paid as replicas.
    function _readBook(Pay memory ctx, uint256 taskId, IMarketConfig config) private view {
        address book = config.roundBook();
        if (book != address(0)) (ctx.bookNodes, ctx.bookShares) = IRoundBook(book).payShares(taskId);
    }

    /// @dev `node`'s pay share in the task's round book (0: it never held a seat there).
    function _bookShare(Pay memory ctx, address node) private pure returns (uint256) {
        uint256 n = ctx.bookNodes.length;
        for (uint256 i; i < n; ++i) {
            if (ctx.bookNodes[i] == node) return ctx.bookShares[i];
        }
        return 0;
    }

    function _grantBonus(uint256 taskId, address node, uint256 amount, IRewardsPool pool) private {
        if (amount != 0) emit ITaskMarket.BonusGranted(taskId, node, pool.grant(node, taskId, amount));
    }

    /// @dev Releases the paid nodes' collateral and the outvoted nodes' (frozen instead when
    ///      `freeze`), and records outcomes (none after a tie, `agreed == 0`). Reputations are
    ///      recorded only after every payout read them.
    function _closeSeats(
        ITaskMarket.Task storage t,
        uint256 taskId,
        Seats memory s,
        bytes32 agreed,
        bool freeze,
        mapping(address => ITaskMarket.Participation) storage seats,
        TaskState.Deps memory deps
    ) private {
        uint256 n = s.nodes.length;
        for (uint256 i; i < n; ++i) {
            address node = s.nodes[i];
            bool won = agreed == bytes32(0) || s.digests[i] == agreed;
            _closeSeat(t, taskId, node, seats[node], !won && freeze, deps);
            if (!won) deps.reputation.record(node, taskId, IReputation.Outcome.Dissented);
        }
    }

    /// @dev Freezes (`frozen`) or releases one node's collateral, less the straggler penalty
    ///      of its round book to the treasury (`TaskRounds.penaltyOf`).
    function _closeSeat(
        ITaskMarket.Task storage t,
        uint256 taskId,
        address node,
        ITaskMarket.Participation storage p,
        bool frozen,
        TaskState.Deps memory deps
    ) private {
        uint96 collateral = t.collateral;
        if (frozen) {
            TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Frozen);
            emit ITaskMarket.NodeFrozen(taskId, node, collateral, t.challengeEndsAt);
        } else {
            TaskState.setBond(p, taskId, node, ITaskMarket.Bond.Released);
            uint256 penalty = TaskRounds.penaltyOf(deps.config, taskId, node, collateral);
            if (penalty != 0) {
                emit ITaskMarket.MissedRoundsPenalized(taskId, node, penalty);
                deps.registry.slashCollateral(node, taskId, penalty, deps.config.params().treasury);
            }
            if (collateral > penalty) deps.registry.releaseCollateral(node, taskId, collateral - penalty);
        }
    }
}
