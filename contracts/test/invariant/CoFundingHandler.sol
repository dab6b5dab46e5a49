// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {CoFundingFactory} from "../../src/funding/CoFundingFactory.sol";
import {CoFundingPool} from "../../src/funding/CoFundingPool.sol";
import {ICoFundingPool} from "../../src/interfaces/ICoFunding.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Drives co-funded ETH tasks through random sequences for the invariant tests: open a
///         pool, contribute, publish, the lead's cancel, apply and assign, submit, settle,
///         expire, distribute, claim, and time. Every step bounds its inputs and swallows
///         reverts; ghost variables record what each funder received from each pool.
contract CoFundingHandler is Base {
    uint256 internal constant MAX_POOLS = 4;

    CoFundingFactory internal immutable factory;
    ITaskMarket internal immutable market;
    address internal immutable strategy;
    address[] internal funders; // the first also runs a node
    address[] internal nodes;
    CoFundingPool[] internal pools;

    /// @notice ETH each funder received from each pool (measured at its balance).
    mapping(address pool => mapping(address funder => uint256)) public received;
    /// @notice Calls that may distribute (claim, distribute) per pool: each may give the lead a
    ///         rounding remainder below one wei per funder.
    mapping(address pool => uint256) public distributions;
    mapping(bytes4 step => uint256) public calls;

    constructor(
        CoFundingFactory factory_,
        ITaskMarket market_,
        address strategy_,
        address[] memory funders_,
        address[] memory nodes_
    ) {
        factory = factory_;
        market = market_;
        strategy = strategy_;
        funders = funders_;
        nodes = nodes_;
    }

    function allPools() external view returns (CoFundingPool[] memory) {
        return pools;
    }

    // ---------------------------------------------------------------- funding

    function open(uint256 who, uint256 target, uint256 amount, uint256 seed) external {
        calls[this.open.selector]++;
        if (pools.length == MAX_POOLS) return;
        address lead = funders[who % funders.length];
        uint64 applyDeadline = uint64(block.timestamp + bound(seed, 2, 6 hours));
        ICoFundingPool.Terms memory t = ICoFundingPool.Terms({
            specDigest: keccak256(abi.encode("spec", seed)),
            specURI: "ipfs://spec",
            token: address(0),
            replication: uint8(bound(seed >> 64, 1, 3)),
            strategy: strategy,
            collateral: 1e18,
            minHardwareClass: 1,
            applyDeadline: applyDeadline,
            deadline: applyDeadline + 1 days,
            computeUnits: uint64(bound(seed >> 96, 1, 1e6)),
            minReputation: 0
        });
        target = bound(target, 64, 10 ether);
        amount = bound(amount, target / 64, 10 ether);
        uint64 fundingDeadline = uint64(bound(seed >> 128, block.timestamp + 1, applyDeadline));
        vm.deal(lead, lead.balance + amount);
        vm.prank(lead);
        try factory.open{value: amount}(t, target, fundingDeadline, amount) returns (address pool) {
            pools.push(CoFundingPool(payable(pool)));
        } catch {}
    }

    function contribute(uint256 p, uint256 who, uint256 amount) external {
        calls[this.contribute.selector]++;
        CoFundingPool pool = _pool(p);
        if (address(pool) == address(0)) return;
        address funder = funders[who % funders.length];
        amount = bound(amount, 1, 10 ether);
        vm.deal(funder, funder.balance + amount);
        vm.prank(funder);
        try pool.contribute{value: amount}(amount) {} catch {}
    }

    function publish(uint256 p) external {
        calls[this.publish.selector]++;
        CoFundingPool pool = _pool(p);
        if (address(pool) == address(0)) return;
        try pool.publish() {} catch {}
    }

    function cancel(uint256 p) external {
        calls[this.cancel.selector]++;
        CoFundingPool pool = _pool(p);
        if (address(pool) == address(0)) return;
        vm.prank(pool.lead());
        try pool.cancel() {} catch {}
    }

    // ---------------------------------------------------------------- the task

    function applyAndAssign(uint256 p, uint256 first) external {
        calls[this.applyAndAssign.selector]++;
        uint256 id = _task(p);
        if (id == 0) return;
        uint256 r = market.getTask(id).replication;
        for (uint256 i; i < r; ++i) {
            vm.prank(nodes[(first + i) % nodes.length]);
            try market.applyForTask(id) {} catch {}
        }
        try market.assign(id) {} catch {}
    }

    function submitAll(uint256 p, uint256 digestSeed) external {
        calls[this.submitAll.selector]++;
        uint256 id = _task(p);
        if (id == 0) return;
        address[] memory assignees = market.assigneesOf(id);
        for (uint256 i; i < assignees.length; ++i) {
            vm.prank(assignees[i]);
            try market.submitResult(id, keccak256(abi.encode("result", (digestSeed >> i) & 1))) {} catch {}
        }
        for (uint256 i; i < assignees.length; ++i) {
            vm.prank(assignees[i]);
            try market.revealResult(id, "ipfs://model") {} catch {}
        }
    }

    function settle(uint256 p) external {
        calls[this.settle.selector]++;
        uint256 id = _task(p);
        if (id == 0) return;
        uint64 endsAt = market.getTask(id).challengeEndsAt;
        if (endsAt != 0 && block.timestamp < endsAt) vm.warp(endsAt);
        try market.settle(id) {} catch {}
    }

    function expire(uint256 p) external {
        calls[this.expire.selector]++;
        uint256 id = _task(p);
        if (id == 0) return;
        try market.expire(id) {} catch {}
    }

    // ---------------------------------------------------------------- payments and time

    function distribute(uint256 p) external {
        calls[this.distribute.selector]++;
        CoFundingPool pool = _pool(p);
        if (address(pool) == address(0)) return;
        distributions[address(pool)]++;
        try pool.distribute(address(0)) {} catch {}
    }

    function claim(uint256 p, uint256 who) external {
        calls[this.claim.selector]++;
        CoFundingPool pool = _pool(p);
        if (address(pool) == address(0)) return;
        address funder = funders[who % funders.length];
        distributions[address(pool)]++;
        uint256 before = funder.balance;
        vm.prank(funder);
        try pool.claim(address(0)) {
            received[address(pool)][funder] += funder.balance - before;
        } catch {}
    }

    function warp(uint256 secs) external {
        calls[this.warp.selector]++;
        vm.warp(block.timestamp + bound(secs, 1, 2 days));
    }

    function _pool(uint256 p) internal view returns (CoFundingPool) {
        if (pools.length == 0) return CoFundingPool(payable(address(0)));
        return pools[p % pools.length];
    }

    function _task(uint256 p) internal view returns (uint256) {
        CoFundingPool pool = _pool(p);
        return address(pool) == address(0) ? 0 : pool.taskId();
    }
}
