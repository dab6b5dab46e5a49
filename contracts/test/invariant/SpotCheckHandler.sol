// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {Arbitration} from "../../src/dispute/Arbitration.sol";
import {SpotCheck} from "../../src/verification/SpotCheck.sol";
import {ISpotCheck} from "../../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Drives spot-checked single-trainer tasks through random sequences: publish with a
///         random fee, apply and assign, submit, request verification, draw (from a random
///         target hash, or after the target went stale), report either way, replace a late
///         verifier, lapse, cancel, expire, abandon, settle, resolve the dispute a failed check
///         opened, refund fees, claim, and verifiers joining and leaving the pool. Reverts are
///         swallowed (an out-of-order step is part of a realistic sequence). Ghosts: every fee
///         escrowed and every wei claimed.
contract SpotCheckHandler is Base {
    TaskMarket internal immutable market;
    SpotCheck internal immutable spotCheck;
    Arbitration internal immutable arbitration;
    address internal immutable requester;
    address internal immutable firstCome;
    address[] internal nodes; // nodes[0..] may train and verify
    uint256[] internal tasks;

    /// @notice Sum of the fees escrowed by `enable`.
    uint256 public escrowed;
    /// @notice Sum of what was claimed from SpotCheck.
    uint256 public claimed;
    mapping(bytes4 step => uint256) public calls;
    /// @notice Steps that went through (the sequences reach the states they should).
    mapping(bytes4 step => uint256) public succeeded;

    constructor(
        TaskMarket market_,
        SpotCheck spotCheck_,
        Arbitration arbitration_,
        address requester_,
        address firstCome_,
        address[] memory nodes_
    ) {
        market = market_;
        spotCheck = spotCheck_;
        arbitration = arbitration_;
        requester = requester_;
        firstCome = firstCome_;
        nodes = nodes_;
    }

    function allTasks() external view returns (uint256[] memory) {
        return tasks;
    }

    /// @notice Everyone SpotCheck can credit: the requester and the nodes.
    function accounts() external view returns (address[] memory all) {
        all = new address[](nodes.length + 1);
        for (uint256 i; i < nodes.length; ++i) {
            all[i] = nodes[i];
        }
        all[nodes.length] = requester;
    }

    // ---------------------------------------------------------------- requester

    function publish(uint256 fee) external {
        calls[this.publish.selector]++;
        fee = bound(fee, 0, 1 ether);
        ITaskMarket.TaskParams memory p = ITaskMarket.TaskParams({
            specDigest: keccak256("spec"),
            specURI: "ipfs://spec",
            token: address(0),
            budget: 0.1 ether,
            replication: 1,
            strategy: firstCome,
            collateral: 10e18,
            minHardwareClass: 1,
            applyDeadline: uint64(block.timestamp + 1 hours),
            deadline: uint64(block.timestamp + 1 days),
            computeUnits: 1000,
            minReputation: 0
        });
        vm.startPrank(requester);
        uint256 id = market.publish{value: p.budget}(p);
        spotCheck.enable{value: fee}(id, 2, 100);
        vm.stopPrank();
        tasks.push(id);
        escrowed += fee;
    }

    function cancel(uint256 task) external {
        calls[this.cancel.selector]++;
        vm.prank(requester);
        try market.cancel(_task(task)) {} catch {}
    }

    // ---------------------------------------------------------------- trainer

    function assign(uint256 task, uint256 who) external {
        calls[this.assign.selector]++;
        uint256 id = _task(task);
        vm.prank(_node(who));
        try market.applyForTask(id) {} catch {}
        try market.assign(id) {} catch {}
    }

    function submit(uint256 task) external {
        calls[this.submit.selector]++;
        uint256 id = _task(task);
        address trainer = _trainer(id);
        vm.prank(trainer);
        try market.submitResult(id, keccak256("model")) {} catch {}
    }

    function abandon(uint256 task) external {
        calls[this.abandon.selector]++;
        uint256 id = _task(task);
        vm.prank(_trainer(id));
        try market.abandon(id, ITaskMarket.AbandonReason.NodeFault) {} catch {}
    }

    // ---------------------------------------------------------------- verification

    function request(uint256 task) external {
        calls[this.request.selector]++;
        try spotCheck.requestVerification(_task(task)) {
            succeeded[this.request.selector]++;
        } catch {}
    }

    function draw(uint256 task, bytes32 hash, bool stale) external {
        calls[this.draw.selector]++;
        uint256 id = _task(task);
        uint64 target = spotCheck.getCheck(id).drawBlock;
        if (target == 0) return;
        if (stale) {
            vm.roll(target + 257);
        } else {
            if (block.number <= target) vm.roll(target + 1);
            if (hash != bytes32(0)) vm.setBlockhash(target, hash);
        }
        try spotCheck.drawVerifier(id) {
            succeeded[this.draw.selector]++;
        } catch {}
    }

    function report(uint256 task, bool passed) external {
        calls[this.report.selector]++;
        uint256 id = _task(task);
        vm.prank(spotCheck.getCheck(id).verifier);
        try spotCheck.report(id, passed, "") {
            succeeded[this.report.selector]++;
        } catch {}
    }

    function replace(uint256 task) external {
        calls[this.replace.selector]++;
        try spotCheck.replaceVerifier(_task(task)) {
            succeeded[this.replace.selector]++;
        } catch {}
    }

    function lapse(uint256 task) external {
        calls[this.lapse.selector]++;
        try spotCheck.lapse(_task(task)) {
            succeeded[this.lapse.selector]++;
        } catch {}
    }

    function refundFee(uint256 task) external {
        calls[this.refundFee.selector]++;
        try spotCheck.refundFee(_task(task)) {
            succeeded[this.refundFee.selector]++;
        } catch {}
    }

    function claim(uint256 who) external {
        calls[this.claim.selector]++;
        address account = who % (nodes.length + 1) == nodes.length ? requester : _node(who);
        uint256 owed = spotCheck.claimable(account);
        vm.prank(account);
        try spotCheck.claim() {
            claimed += owed;
        } catch {}
    }

    function joinOrLeave(uint256 who) external {
        calls[this.joinOrLeave.selector]++;
        address node = _node(who);
        vm.prank(node);
        if (spotCheck.inPool(node)) {
            try spotCheck.leave() {} catch {}
        } else {
            try spotCheck.join() {} catch {}
        }
    }

    // ---------------------------------------------------------------- market and time

    function settle(uint256 task) external {
        calls[this.settle.selector]++;
        try market.settle(_task(task)) {} catch {}
    }

    function expire(uint256 task) external {
        calls[this.expire.selector]++;
        try market.expire(_task(task)) {} catch {}
    }

    /// @notice Votes to slash or release the dispute a failed check opened and resolves it.
    function resolveDispute(uint256 task, bool slash) external {
        calls[this.resolveDispute.selector]++;
        uint256 disputeId = arbitration.disputeOfTask(_task(task));
        if (disputeId == 0) return;
        try arbitration.vote(disputeId, slash) {} catch {}
        vm.roll(block.number + 30);
        try arbitration.resolve(disputeId) {} catch {}
    }

    function warp(uint256 seconds_) external {
        calls[this.warp.selector]++;
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
        vm.roll(block.number + 1);
    }

    /// @notice A task walked from publication to a random stage in one step (random single steps
    ///      rarely line up): each stage is reached with probability 7/8 of the one before, then
    ///      the walk stops and the other steps take over.
    function walk(uint256 fee, uint256 seed) external {
        calls[this.walk.selector]++;
        this.publish(fee);
        uint256 task = tasks.length - 1;
        if (seed % 8 == 0) return;
        this.assign(task, seed >> 8);
        if ((seed >> 16) % 8 == 0) return;
        this.submit(task);
        if ((seed >> 24) % 8 == 0) return;
        this.request(task);
        if ((seed >> 32) % 8 == 0) return;
        this.draw(task, keccak256(abi.encode(seed)), (seed >> 40) % 16 == 0);
        if ((seed >> 48) % 8 == 0) return;
        uint256 next = (seed >> 56) % 4;
        if (next == 0) {
            this.report(task, (seed >> 64) % 2 == 0);
        } else if (next == 1) {
            this.warp(2 hours);
            this.replace(task);
        } else if (next == 2) {
            this.warp(2 days);
            this.lapse(task);
        }
    }

    // ---------------------------------------------------------------- internal

    function _task(uint256 seed) internal view returns (uint256) {
        return tasks.length == 0 ? 0 : tasks[seed % tasks.length];
    }

    function _node(uint256 seed) internal view returns (address) {
        return nodes[seed % nodes.length];
    }

    function _trainer(uint256 id) internal view returns (address) {
        address[] memory assignees = market.assigneesOf(id);
        return assignees.length == 0 ? address(0) : assignees[0];
    }
}
