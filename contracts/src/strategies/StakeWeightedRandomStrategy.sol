// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IReputation} from "../interfaces/IReputation.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {IStakeWeightedRandomStrategy} from "../interfaces/IStakeWeightedRandomStrategy.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {FutureBlockhash} from "../libraries/FutureBlockhash.sol";
import {StrategyBase} from "./StrategyBase.sol";

/// @title StakeWeightedRandomStrategy
/// @notice Draws the nodes at random, without replacement, each with a probability
///         proportional to its free stake at the commit; see {IStakeWeightedRandomStrategy}.
/// @dev Seeded by `keccak256(blockhash(targetBlock), taskId)` (see {FutureBlockhash}); draw `k`
///      uses `keccak256(seed, k) mod remainingWeight` over the committed applicants. When every
///      remaining applicant has zero weight, the draw is uniform over them. The draw goes on
///      through the committed order until `count` of the market's candidates are picked
///      (applicants the market no longer finds eligible are passed over). The snapshot costs
///      one storage slot per applicant (at most the market's MAX_APPLICANTS), paid by whoever
///      commits.
contract StakeWeightedRandomStrategy is StrategyBase, IStakeWeightedRandomStrategy {
    /// @inheritdoc IStakeWeightedRandomStrategy
    uint64 public constant DRAW_DELAY = FutureBlockhash.DELAY;

    struct Draw {
        uint64 targetBlock;
        Entry[] entries;
    }

    mapping(uint256 taskId => Draw) private _draws;

    /// @param registry_ Where free stake is read.
    /// @param reputation_ The reputation contract (kept for a uniform deployment; not read).
    /// @param market_ The task market: tasks' strategy, status, application deadline and applicants.
    constructor(INodeRegistry registry_, IReputation reputation_, ITaskMarket market_)
        StrategyBase(registry_, reputation_, market_)
    {}

    /// @inheritdoc IStakeWeightedRandomStrategy
    function commitDraw(uint256 taskId) external returns (uint64 targetBlock) {
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (t.strategy != address(this)) revert NotThisStrategy(taskId, t.strategy);
        if (t.status != ITaskMarket.TaskStatus.Published) revert TaskNotPublished(taskId, t.status);
        if (block.timestamp < t.applyDeadline) revert ApplicationsOpen(taskId, t.applyDeadline);
        Draw storage d = _draws[taskId];
        if (d.targetBlock != 0) {
            (FutureBlockhash.State state,) = FutureBlockhash.read(d.targetBlock);
            if (state != FutureBlockhash.State.Stale) revert DrawAlreadyCommitted(taskId, d.targetBlock);
            delete d.entries;
        }
        address[] memory applicants = market.applicantsOf(taskId); // closed: fixed from now on
        uint256 total;
        for (uint256 i; i < applicants.length; ++i) {
            uint256 free = registry.freeStake(applicants[i]);
            // forge-lint: disable-next-line(unsafe-typecast)
            uint96 weight = free > type(uint96).max ? type(uint96).max : uint96(free); // capped: no truncation
            d.entries.push(Entry(applicants[i], weight));
            total += weight;
        }
        targetBlock = FutureBlockhash.target();
        d.targetBlock = targetBlock;
        emit DrawCommitted(taskId, targetBlock, applicants.length, total);
    }

    /// @inheritdoc IScheduleStrategy
    /// @dev Reverts `DrawNotCommitted`, `DrawNotReady` or `DrawStale` when the draw cannot be
    ///      made now, and `TooFewCandidates(found, count)` when fewer than `count` committed
    ///      applicants are among `candidates`.
    function select(uint256 taskId, address[] calldata candidates, uint256 count)
        external
        view
        returns (address[] memory selected)
    {
        _requireEnough(candidates.length, count);
        Draw storage d = _draws[taskId];
        bytes32 seed = keccak256(abi.encode(_hashOf(taskId, d.targetBlock), taskId));
        Entry[] memory entries = d.entries;
        uint256 n = entries.length;
        uint256 total;
        for (uint256 i; i < n; ++i) {
            total += entries[i].weight;
        }
        bool[] memory taken = new bool[](n);
        selected = new address[](count);
        uint256 found;
        for (uint256 k; k < n && found < count; ++k) {
            uint256 draw = uint256(keccak256(abi.encode(seed, k)));
            uint256 pick = total == 0 ? _uniform(taken, draw % (n - k)) : _weighted(taken, entries, draw % total);
            taken[pick] = true;
            total -= entries[pick].weight;
            if (_contains(candidates, entries[pick].node)) selected[found++] = entries[pick].node;
        }
        if (found < count) revert TooFewCandidates(found, count);
    }

    /// @inheritdoc IStakeWeightedRandomStrategy
    function drawOf(uint256 taskId) external view returns (uint64 targetBlock, Entry[] memory entries) {
        Draw storage d = _draws[taskId];
        return (d.targetBlock, d.entries);
    }

    /// @inheritdoc IStakeWeightedRandomStrategy
    function drawState(uint256 taskId) external view returns (DrawState) {
        uint64 targetBlock = _draws[taskId].targetBlock;
        if (targetBlock == 0) return DrawState.None;
        (FutureBlockhash.State state,) = FutureBlockhash.read(targetBlock);
        if (state == FutureBlockhash.State.Pending) return DrawState.Pending;
        return state == FutureBlockhash.State.Ready ? DrawState.Ready : DrawState.Stale;
    }

    /// @inheritdoc IScheduleStrategy
    function name() external pure returns (string memory) {
        return "stake-weighted-random";
    }

    /// @dev The hash of a committed, mined, non-stale target block, or the error that says why not.
    function _hashOf(uint256 taskId, uint64 targetBlock) private view returns (bytes32 hash) {
        if (targetBlock == 0) revert DrawNotCommitted(taskId);
        FutureBlockhash.State state;
        (state, hash) = FutureBlockhash.read(targetBlock);
        if (state == FutureBlockhash.State.Pending) revert DrawNotReady(taskId, targetBlock);
        if (state == FutureBlockhash.State.Stale) revert DrawStale(taskId, targetBlock);
    }

    /// @dev The first untaken index whose cumulative weight exceeds `target` (< remaining total).
    function _weighted(bool[] memory taken, Entry[] memory entries, uint256 target) private pure returns (uint256 i) {
        uint256 cumulative;
        for (;; ++i) {
            if (taken[i]) continue;
            cumulative += entries[i].weight;
            if (target < cumulative) return i;
        }
    }

    /// @dev The `target`-th untaken index (< the number untaken).
    function _uniform(bool[] memory taken, uint256 target) private pure returns (uint256 i) {
        for (;; ++i) {
            if (taken[i]) continue;
            if (target == 0) return i;
            --target;
        }
    }

    function _contains(address[] calldata list, address item) private pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }

    /// @notice ERC-165: also true for {IStakeWeightedRandomStrategy} (its two-step draw).
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IStakeWeightedRandomStrategy).interfaceId || super.supportsInterface(interfaceId);
    }
}
