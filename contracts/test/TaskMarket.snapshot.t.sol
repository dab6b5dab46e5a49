// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Fixture.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Training snapshots: the head of each node's checkpoint hash chain, posted at a
///         bounded rate, moving the task to Running.
contract TaskMarketSnapshotTest is Fixture {
    bytes32 internal constant H1 = keccak256("h1");
    bytes32 internal constant H2 = keccak256("h2");

    function test_postSnapshot_firstMovesTaskToRunning() public {
        uint256 id = _assigned(_params());
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.SnapshotPosted(id, nodes[0], 100, H1);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Assigned, ITaskMarket.TaskStatus.Running);
        _post(id, nodes[0], 100, H1);
        _assertStatus(id, ITaskMarket.TaskStatus.Running);

        vm.recordLogs(); // another node's first snapshot changes no status
        _post(id, nodes[1], 100, H1);
        assertEq(vm.getRecordedLogs().length, 1, "only SnapshotPosted");
        _assertStatus(id, ITaskMarket.TaskStatus.Running);
    }

    function test_postSnapshot_latestIsReadable() public {
        uint256 id = _assigned(_params());
        (uint64 step, bytes32 head, uint64 postedAt) = market.latestSnapshot(id, nodes[0]);
        assertEq(uint256(step), 0);
        assertEq(head, bytes32(0));
        assertEq(uint256(postedAt), 0);

        _post(id, nodes[0], 100, H1);
        vm.warp(START + 30);
        _post(id, nodes[0], 200, H2);
        (step, head, postedAt) = market.latestSnapshot(id, nodes[0]);
        assertEq(uint256(step), 200);
        assertEq(head, H2);
        assertEq(uint256(postedAt), START + 30);
        ITaskMarket.Participation memory part = market.participationOf(id, nodes[0]);
        assertEq(uint256(part.lastSnapshotStep), 200);
        assertEq(part.snapshotHead, H2);
        assertEq(uint256(part.lastSnapshotAt), START + 30);
        (step,,) = market.latestSnapshot(id, nodes[1]);
        assertEq(uint256(step), 0, "per node");
    }

    function test_postSnapshot_isRateLimitedPerNode() public {
        uint256 id = _assigned(_params());
        _post(id, nodes[0], 1, H1);
        vm.warp(START + 29);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.SnapshotTooSoon.selector, id, nodes[0], START + 30));
        _post(id, nodes[0], 2, H2);
        _post(id, nodes[1], 1, H1); // other nodes are not limited by it
        vm.warp(START + 30);
        _post(id, nodes[0], 2, H2);
    }

    function test_postSnapshot_followsTheSnapshotInterval() public {
        config.setSnapshotInterval(0);
        uint256 id = _assigned(_params());
        _post(id, nodes[0], 1, H1);
        _post(id, nodes[0], 2, H2); // same block
        config.setSnapshotInterval(1 hours);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.SnapshotTooSoon.selector, id, nodes[0], START + 1 hours));
        _post(id, nodes[0], 3, H1);
    }

    function test_postSnapshot_revertsWhenStepNotIncreasing() public {
        uint256 id = _assigned(_params());
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.StepNotIncreasing.selector, id, nodes[0], 0, 0));
        _post(id, nodes[0], 0, H1);
        _post(id, nodes[0], 10, H1);
        vm.warp(START + 1 hours);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.StepNotIncreasing.selector, id, nodes[0], 10, 10));
        _post(id, nodes[0], 10, H2);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.StepNotIncreasing.selector, id, nodes[0], 10, 9));
        _post(id, nodes[0], 9, H2);
    }

    function test_postSnapshot_revertsWithZeroChainHead() public {
        uint256 id = _assigned(_params());
        vm.expectRevert(ITaskMarket.ZeroChainHead.selector);
        _post(id, nodes[0], 1, bytes32(0));
    }

    function test_postSnapshot_revertsForNodeNotAssigned() public {
        uint256 id = _publish(_params());
        _apply(id, 4);
        market.assign(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotAssigned.selector, id, nodes[3]));
        _post(id, nodes[3], 1, H1);
    }

    function test_postSnapshot_revertsAfterTheNodeSubmitted() public {
        uint256 id = _assigned(_params());
        _submit(id, nodes[0], RESULT_A);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.AlreadySubmitted.selector, id, nodes[0]));
        _post(id, nodes[0], 1, H1);
    }

    function test_postSnapshot_revertsBeforeAssignment() public {
        uint256 id = _publish(_params());
        _apply(id, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector,
                id,
                ITaskMarket.TaskStatus.Published,
                ITaskMarket.TaskStatus.Assigned
            )
        );
        _post(id, nodes[0], 1, H1);
    }

    function test_postSnapshot_revertsAfterAllSubmitted() public {
        uint256 id = _assigned(_params());
        _submitAll(id, _same(3, RESULT_A));
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector,
                id,
                ITaskMarket.TaskStatus.Submitted,
                ITaskMarket.TaskStatus.Assigned
            )
        );
        _post(id, nodes[0], 1, H1);
    }

    function test_postSnapshot_revertsAfterDeadline() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        vm.warp(p.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlinePassed.selector, id, p.deadline));
        _post(id, nodes[0], 1, H1);
    }

    function test_postSnapshot_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 5));
        _post(5, nodes[0], 1, H1);
    }

    function testFuzz_postSnapshot_keepsStepsIncreasingAndRate(uint64[8] memory steps, uint32[8] memory gaps) public {
        uint256 id = _assigned(_params());
        uint64 interval = config.settlementParams().minSnapshotInterval;
        uint64 lastStep;
        uint256 lastAt;
        for (uint256 i; i < steps.length; ++i) {
            vm.warp(block.timestamp + bound(gaps[i], 0, 60));
            uint64 step = steps[i];
            bool ok = step > lastStep && (lastAt == 0 || block.timestamp >= lastAt + interval);
            if (!ok) vm.expectRevert();
            _post(id, nodes[0], step, keccak256(abi.encode(i)));
            if (ok) (lastStep, lastAt) = (step, block.timestamp);
            (uint64 s,, uint64 at) = market.latestSnapshot(id, nodes[0]);
            assertEq(uint256(s), lastStep);
            assertEq(uint256(at), lastAt);
        }
    }

    function _post(uint256 id, address node, uint64 step, bytes32 head) internal {
        vm.prank(node);
        market.postSnapshot(id, step, head);
    }
}
