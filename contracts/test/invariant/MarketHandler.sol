// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {NodeRegistry} from "../../src/NodeRegistry.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Drives the market and registry through random sequences of lifecycle steps for the
///         invariant tests. Every step bounds its inputs and swallows reverts (an out-of-order
///         step is part of a realistic sequence); the invariants are checked after each one.
contract MarketHandler is Base {
    TaskMarket internal immutable market;
    NodeRegistry internal immutable registry;
    MockERC20 internal immutable usdc;
    address internal immutable strategy;
    address[] internal nodes;
    address[] internal requesters;
    address[] internal accounts; // everyone who can be credited

    mapping(bytes4 step => uint256) public calls;

    constructor(
        TaskMarket market_,
        NodeRegistry registry_,
        MockERC20 usdc_,
        address strategy_,
        address[] memory nodes_,
        address[] memory requesters_,
        address treasury
    ) {
        market = market_;
        registry = registry_;
        usdc = usdc_;
        strategy = strategy_;
        nodes = nodes_;
        requesters = requesters_;
        accounts = nodes_;
        for (uint256 i; i < requesters_.length; ++i) {
            accounts.push(requesters_[i]);
        }
        accounts.push(treasury);
    }

    function allAccounts() external view returns (address[] memory) {
        return accounts;
    }

    function allNodes() external view returns (address[] memory) {
        return nodes;
    }

    // ---------------------------------------------------------------- steps

    function publish(uint256 who, uint256 budget, uint256 r, bool useToken, uint256 collateral, uint256 window)
        external
    {
        calls[this.publish.selector]++;
        address requester = requesters[who % requesters.length];
        uint64 applyDeadline = uint64(block.timestamp + bound(window, 1, 2 days));
        ITaskMarket.TaskParams memory p = ITaskMarket.TaskParams({
            specDigest: keccak256(abi.encode("spec", budget)),
            specURI: "ipfs://spec",
            token: useToken ? address(usdc) : address(0),
            budget: useToken ? bound(budget, 1, 1e15) : bound(budget, 1, 100 ether),
            replication: uint8(bound(r, 1, 4)),
            strategy: strategy,
            collateral: uint96(bound(collateral, 0, 100e18)),
            minHardwareClass: 1,
            applyDeadline: applyDeadline,
            deadline: applyDeadline + 1 days
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

    function assign(uint256 task) external {
        calls[this.assign.selector]++;
        try market.assign(_taskId(task)) {} catch {}
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
            try market.submitResult(id, digest, "ipfs://model") {} catch {}
        }
    }

    function settle(uint256 task) external {
        calls[this.settle.selector]++;
        try market.settle(_taskId(task)) {} catch {}
    }

    function expire(uint256 task) external {
        calls[this.expire.selector]++;
        try market.expire(_taskId(task)) {} catch {}
    }

    function cancel(uint256 task) external {
        calls[this.cancel.selector]++;
        uint256 id = _taskId(task);
        if (id == 0) return;
        vm.prank(market.getTask(id).requester);
        try market.cancel(id) {} catch {}
    }

    function claim(uint256 who, bool useToken) external {
        calls[this.claim.selector]++;
        address account = accounts[who % accounts.length];
        vm.prank(account);
        try market.claim(useToken ? address(usdc) : address(0)) {} catch {}
        vm.prank(account);
        try registry.claim() {} catch {}
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

    function warp(uint256 seconds_) external {
        calls[this.warp.selector]++;
        vm.warp(block.timestamp + bound(seconds_, 1, 3 days));
    }

    function _taskId(uint256 seed) internal view returns (uint256) {
        uint256 count = market.taskCount();
        return count == 0 ? 0 : 1 + seed % count;
    }
}
