// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {NNToken} from "../../src/NNToken.sol";
import {NodeRegistry} from "../../src/NodeRegistry.sol";
import {RewardsPool} from "../../src/RewardsPool.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {MarketConfig} from "../../src/MarketConfig.sol";
import {IStakeWeightedRandomStrategy} from "../../src/interfaces/IStakeWeightedRandomStrategy.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Drives the market, registry and rewards pool through random sequences of lifecycle
///         steps for the invariant tests: publish (ETH or a 6-decimals token, any of the four
///         strategies), apply, assign, snapshot, submit, abandon, report quality, settle,
///         expire, cancel, claim, stake, unbond, withdraw, price changes, the abandon penalty,
///         pool funding and time. Every step bounds its inputs and swallows reverts (an
///         out-of-order step is part of a realistic sequence); the invariants are checked after
///         each one. Ghost variables count what left the contracts, how often each task was
///         closed and what abandoning cost the nodes.
contract MarketHandler is Base {
    struct Protocol {
        NNToken nnt;
        TaskMarket market;
        MarketConfig config;
        NodeRegistry registry;
        RewardsPool pool;
        MockERC20 usdc;
        address oracle;
        address treasury;
    }

    NNToken internal immutable nnt;
    TaskMarket internal immutable market;
    MarketConfig internal immutable config;
    NodeRegistry internal immutable registry;
    RewardsPool internal immutable pool;
    MockERC20 internal immutable usdc;
    address internal immutable oracle;
    address[] internal strategies;
    address[] internal nodes;
    address[] internal requesters;
    address[] internal accounts; // everyone who can be credited

    mapping(bytes4 step => uint256) public calls;
    /// @notice What was claimed from the market, per token.
    mapping(address token => uint256) public claimedFromMarket;
    /// @notice NNT put into the pool and taken out of it by claims.
    uint256 public poolFunded;
    uint256 public claimedFromPool;
    /// @notice How many times each task was settled, expired, cancelled or failed (at most once).
    mapping(uint256 taskId => uint256) public closings;
    /// @notice NNT slashed by `abandon`, summed, and what the abandoning nodes' stake fell by.
    uint256 public abandonSlashed;
    uint256 public abandonStakeLoss;

    constructor(
        Protocol memory p,
        address[] memory strategies_,
        address[] memory nodes_,
        address[] memory requesters_
    ) {
        nnt = p.nnt;
        market = p.market;
        config = p.config;
        registry = p.registry;
        pool = p.pool;
        usdc = p.usdc;
        oracle = p.oracle;
        strategies = strategies_;
        nodes = nodes_;
        requesters = requesters_;
        accounts = nodes_;
        for (uint256 i; i < requesters_.length; ++i) {
            bool runsANode;
            for (uint256 n; n < nodes_.length; ++n) {
                if (nodes_[n] == requesters_[i]) runsANode = true;
            }
            if (!runsANode) accounts.push(requesters_[i]); // each account once
        }
        accounts.push(p.treasury);
        nnt.approve(address(pool), type(uint256).max);
    }

    function allAccounts() external view returns (address[] memory) {
        return accounts;
    }

    function allNodes() external view returns (address[] memory) {
        return nodes;
    }

    // ---------------------------------------------------------------- requesters

    function publish(uint256 who, uint256 budget, uint256 r, bool useToken, uint256 collateral, uint256 seed) external {
        calls[this.publish.selector]++;
        address requester = requesters[who % requesters.length];
        uint64 applyDeadline = uint64(block.timestamp + bound(seed, 1, 6 hours));
        ITaskMarket.TaskParams memory p = ITaskMarket.TaskParams({
            specDigest: keccak256(abi.encode("spec", budget)),
            specURI: "ipfs://spec",
            token: useToken ? address(usdc) : address(0),
            budget: useToken ? bound(budget, 1, 1e15) : bound(budget, 1, 100 ether),
            replication: uint8(bound(r, 1, 4)),
            strategy: strategies[(seed >> 64) % strategies.length],
            collateral: uint96(bound(collateral, 0, 100e18)),
            minHardwareClass: 1,
            applyDeadline: applyDeadline,
            deadline: applyDeadline + 1 days,
            computeUnits: uint64(bound(seed >> 96, 1, 1e6)),
            minReputation: (seed >> 160) % 4 == 0 ? uint16(bound(seed >> 170, 4000, 5500)) : 0
        });
        uint256 value;
        if (useToken) {
            usdc.mint(requester, p.budget);
        } else {
            value = p.budget;
            vm.deal(requester, requester.balance + value);
        }
        vm.prank(requester);
        market.publish{value: value}(p);
    }

    function cancel(uint256 task) external {
        calls[this.cancel.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        vm.prank(market.getTask(id).requester);
        try market.cancel(id) {
            closings[id]++;
        } catch {}
    }

    // ---------------------------------------------------------------- nodes

    function applyMany(uint256 task, uint256 first, uint256 count) external {
        calls[this.applyMany.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        count = bound(count, 1, 6);
        for (uint256 i; i < count; ++i) {
            vm.prank(nodes[(first % nodes.length + i) % nodes.length]);
            try market.applyForTask(id) {} catch {}
        }
    }

    /// @notice Sybil squatters: `count` nodes fill the task's applicant list, then price
    ///         themselves out of it (their price back to normal `restore` times in two).
    function squat(uint256 task, uint256 first, uint256 count, bool restore) external {
        calls[this.squat.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        count = bound(count, 1, 16);
        for (uint256 i; i < count; ++i) {
            address node = nodes[(first % nodes.length + i) % nodes.length];
            vm.startPrank(node);
            try market.applyForTask(id) {} catch {}
            registry.setPrice(address(0), restore ? 0 : type(uint256).max);
            vm.stopPrank();
        }
    }

    /// @dev A strategy that draws from a future block's hash (stake-weighted) has its draw
    ///      committed and its target block mined, with a random hash, first.
    function assign(uint256 task, uint256 randao) external {
        calls[this.assign.selector]++;
        uint256 id = _taskId(task);
        vm.prevrandao(randao);
        address strategy = id == 0 ? address(0) : market.getTask(id).strategy;
        if (strategy.code.length != 0) {
            try IStakeWeightedRandomStrategy(strategy).commitDraw(id) returns (uint64 target) {
                vm.roll(target + 1);
                vm.setBlockhash(target, keccak256(abi.encode(randao)));
            } catch {}
        }
        try market.assign(id) {} catch {}
    }

    function postSnapshot(uint256 task, uint256 who, uint64 stepAhead, bytes32 head) external {
        calls[this.postSnapshot.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        address[] memory assignees = market.assigneesOf(id);
        if (assignees.length == 0) return;
        address node = assignees[who % assignees.length];
        (uint64 last,,) = market.latestSnapshot(id, node);
        vm.prank(node);
        try market.postSnapshot(id, last + uint64(bound(stepAhead, 1, 1000)), head) {} catch {}
    }

    function submitAll(uint256 task, uint256 digestSeed, uint256 skip) external {
        calls[this.submitAll.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        address[] memory assignees = market.assigneesOf(id);
        skip = bound(skip, 0, 2 * assignees.length); // >= length (about half the time): all submit
        for (uint256 i; i < assignees.length; ++i) {
            if (i == skip) continue;
            bytes32 digest = keccak256(abi.encode("result", (digestSeed >> (2 * i)) & 1));
            vm.prank(assignees[i]);
            try market.submitResult(id, digest) {} catch {}
        }
    }

    function abandon(uint256 task, uint256 who, uint256 reason) external {
        calls[this.abandon.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        address[] memory assignees = market.assigneesOf(id);
        if (assignees.length == 0) return;
        address node = assignees[who % assignees.length];
        uint256 stakeBefore = registry.getNode(node).staked;
        uint256 expected = uint256(market.getTask(id).collateral) * config.params().abandonPenaltyBps / 10_000;
        vm.prank(node);
        try market.abandon(id, ITaskMarket.AbandonReason(reason % 3)) {
            _countClosing(id);
            abandonSlashed += expected;
            abandonStakeLoss += stakeBefore - registry.getNode(node).staked;
        } catch {}
    }

    function setAbandonPenalty(uint16 penaltyBps) external {
        calls[this.setAbandonPenalty.selector]++;
        config.setAbandonPenalty(uint16(bound(penaltyBps, 0, config.MAX_ABANDON_PENALTY_BPS())));
    }

    function setPrice(uint256 who, bool useToken, uint256 price) external {
        calls[this.setPrice.selector]++;
        // mostly prices that fit ordinary shares, sometimes any price (0) or one that does not
        price = price % 8 == 0 ? 0 : bound(price, 1, useToken ? 1e9 : 1e14);
        vm.prank(nodes[who % nodes.length]);
        registry.setPrice(useToken ? address(usdc) : address(0), price);
    }

    function stake(uint256 who, uint256 amount) external {
        calls[this.stake.selector]++;
        address node = nodes[who % nodes.length];
        amount = bound(amount, 1, 200e18);
        if (nnt.balanceOf(address(this)) < amount) return;
        assertTrue(nnt.transfer(node, amount));
        vm.startPrank(node);
        nnt.approve(address(registry), amount);
        registry.stake(amount);
        vm.stopPrank();
    }

    function unbond(uint256 who, uint256 amount) external {
        calls[this.unbond.selector]++;
        vm.prank(nodes[who % nodes.length]);
        try registry.requestUnbond(bound(amount, 1, 150e18)) {} catch {}
    }

    function withdraw(uint256 who) external {
        calls[this.withdraw.selector]++;
        vm.prank(nodes[who % nodes.length]);
        try registry.withdraw() {} catch {}
    }

    // ---------------------------------------------------------------- oracle, settlement

    /// @notice An oracle (or, a third of the time, the requester) scores; one report in five
    ///         rejects the result (below the acceptance threshold).
    function reportQuality(uint256 task, uint16 score) external {
        calls[this.reportQuality.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        vm.prank(score % 3 == 0 ? market.getTask(id).requester : oracle);
        try market.reportQuality(id, uint16(bound(score, 0, 10_000)), score % 5 != 0) {} catch {}
    }

    /// @notice The committed assignees reveal their models, all but the one at `skip` (when
    ///         it is in range: about half the time nobody withholds).
    function revealAll(uint256 task, uint256 skip) external {
        calls[this.revealAll.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        address[] memory assignees = market.assigneesOf(id);
        skip = bound(skip, 0, 2 * assignees.length);
        for (uint256 i; i < assignees.length; ++i) {
            if (i == skip) continue;
            vm.prank(assignees[i]);
            try market.revealResult(id, "ipfs://model") {} catch {}
        }
    }

    function settle(uint256 task) external {
        calls[this.settle.selector]++;
        uint256 id = _taskId(task);
        try market.settle(id) {
            _countClosing(id);
        } catch {}
    }

    function expire(uint256 task) external {
        calls[this.expire.selector]++;
        uint256 id = _taskId(task);
        try market.expire(id) {
            _countClosing(id);
        } catch {}
    }

    // ---------------------------------------------------------------- money out, pool in

    function claim(uint256 who, bool useToken) external {
        calls[this.claim.selector]++;
        address account = accounts[who % accounts.length];
        address token = useToken ? address(usdc) : address(0);
        uint256 owed = market.claimable(token, account);
        vm.prank(account);
        try market.claim(token) {
            claimedFromMarket[token] += owed;
        } catch {}
        vm.prank(account);
        try registry.claim() {} catch {}
        owed = pool.claimable(account);
        vm.prank(account);
        try pool.claim() {
            claimedFromPool += owed;
        } catch {}
    }

    function fundPool(uint256 amount) external {
        calls[this.fundPool.selector]++;
        amount = bound(amount, 1, 50e18);
        if (nnt.balanceOf(address(this)) < amount) return;
        pool.fund(amount);
        poolFunded += amount;
    }

    function warp(uint256 seconds_) external {
        calls[this.warp.selector]++;
        // mostly minutes to hours (windows, snapshot intervals), sometimes past every deadline
        vm.warp(block.timestamp + (seconds_ % 8 == 0 ? bound(seconds_, 1, 3 days) : bound(seconds_, 1, 4 hours)));
    }

    /// @notice Moves a random task on through its lifecycle (random single steps rarely line
    ///         up into a whole lifecycle within one run): applications and assignment, then a
    ///         snapshot and the results, then a quality report and settlement after the
    ///         challenge window. Stops at a random stage, or where a step did not go through.
    function progress(uint256 task, uint256 seed) external {
        calls[this.progress.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        for (uint256 stage = seed % 4; stage < 4; ++stage) {
            ITaskMarket.Task memory t = market.getTask(id);
            seed = uint256(keccak256(abi.encode(seed)));
            if (t.status == ITaskMarket.TaskStatus.Published) {
                this.applyMany(id - 1, seed, t.replication + seed % 3);
                if (block.timestamp < t.applyDeadline && seed % 2 == 0) vm.warp(t.applyDeadline);
                this.assign(id - 1, seed);
            } else if (t.status == ITaskMarket.TaskStatus.Assigned || t.status == ITaskMarket.TaskStatus.Running) {
                // forge-lint: disable-next-line(unsafe-typecast)
                this.postSnapshot(id - 1, seed, uint64(seed >> 8), keccak256(abi.encode(seed))); // bounded there
                // now and then a node gives up; else mostly unanimous, sometimes split, sometimes
                // one node missing
                if (seed % 7 == 0) this.abandon(id - 1, seed >> 24, seed >> 40);
                else this.submitAll(id - 1, seed % 4 == 0 ? seed >> 16 : 0, seed % 5 == 0 ? 0 : t.replication);
            } else if (t.status == ITaskMarket.TaskStatus.Submitted || t.status == ITaskMarket.TaskStatus.Verifying) {
                // forge-lint: disable-next-line(unsafe-typecast)
                this.revealAll(id - 1, seed >> 48);
                this.reportQuality(id - 1, uint16(seed >> 32)); // bounded there
                if (block.timestamp < t.challengeEndsAt) vm.warp(t.challengeEndsAt);
                this.settle(id - 1);
            }
            if (market.getTask(id).status == t.status) return;
        }
    }

    /// @dev Abandon, expire and settle close a task only sometimes (other seats go on; a tie
    ///      opens its window first): count what did.
    function _countClosing(uint256 id) internal {
        ITaskMarket.TaskStatus s = market.getTask(id).status;
        if (
            s == ITaskMarket.TaskStatus.Settled || s == ITaskMarket.TaskStatus.Expired
                || s == ITaskMarket.TaskStatus.Failed
        ) closings[id]++;
    }

    /// @notice Anyone releases frozen collateral once its window closed.
    function releaseFrozen(uint256 task, uint256 who) external {
        calls[this.releaseFrozen.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        address[] memory assignees = market.assigneesOf(id);
        if (assignees.length == 0) return;
        try market.releaseFrozen(id, assignees[who % assignees.length]) {} catch {}
    }

    function _taskId(uint256 seed) internal view returns (uint256) {
        uint256 count = market.taskCount();
        return count == 0 ? 0 : 1 + seed % count;
    }
}
