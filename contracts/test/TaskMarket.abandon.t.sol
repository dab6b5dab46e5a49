// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Fixture} from "./Fixture.sol";
import {Vm} from "./Vm.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {IMarketConfig} from "../src/interfaces/IMarketConfig.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Giving a task up: the assignee drops out and loses only the abandon penalty (to the
///         treasury, never to the requester); the others go on and are paid for their work;
///         with nobody left the task fails and the requester is refunded whole.
contract TaskMarketAbandonTest is Fixture {
    uint16 internal constant PENALTY_BPS = 1000; // the market's default
    uint256 internal constant PENALTY = uint256(COLLATERAL) * PENALTY_BPS / BPS; // 5 NNT

    // ================================================================ abandon

    function test_abandon_dropsTheNodeAndTheOthersGoOn() public {
        uint256 id = _assigned(_params());
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskAbandoned(id, nodes[1], ITaskMarket.AbandonReason.ResourceLimit, PENALTY);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralSlashed(nodes[1], id, PENALTY, treasury);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralReleased(nodes[1], id, COLLATERAL - PENALTY);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[1], id, IReputation.Outcome.Missed, 5000, 4600);
        vm.prank(nodes[1]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);

        _assertStatus(id, ITaskMarket.TaskStatus.Assigned);
        ITaskMarket.Task memory t = market.getTask(id);
        assertEq(uint256(t.active), 2, "two assignees left");
        assertTrue(market.participationOf(id, nodes[1]).dropped, "dropped");
        assertEq(uint256(registry.getNode(nodes[1]).staked), NODE_STAKE - PENALTY, "exactly the penalty");
        assertEq(uint256(registry.getNode(nodes[1]).locked), 0, "the rest released");
        assertEq(registry.claimable(treasury), PENALTY, "penalty to the treasury");
        assertEq(registry.claimable(requester), 0, "never to the requester");

        _submit(id, nodes[0], RESULT_A);
        _submit(id, nodes[2], RESULT_A);
        _assertStatus(id, ITaskMarket.TaskStatus.Submitted);
        _settle(id);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        uint256 net = gross - gross * FEE_BPS / BPS;
        assertEq(market.claimable(address(0), nodes[0]), net, "paid by the formula");
        assertEq(market.claimable(address(0), nodes[2]), net, "paid by the formula");
        assertEq(market.claimable(address(0), requester), 1 ether - 2 * gross, "the dropped share refunded");
    }

    function test_abandon_afterOthersSubmittedOpensTheChallengeWindow() public {
        uint256 id = _assigned(_params());
        _submit(id, nodes[0], RESULT_A);
        _submit(id, nodes[2], RESULT_A);
        vm.prank(nodes[1]);
        market.abandon(id, ITaskMarket.AbandonReason.NodeFault);
        _assertStatus(id, ITaskMarket.TaskStatus.Submitted);
        assertEq(uint256(market.getTask(id).challengeEndsAt), block.timestamp + CHALLENGE_WINDOW);
    }

    function test_abandon_singleReplicaFailsTheTask() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        uint256 id = _assigned(p);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Assigned, ITaskMarket.TaskStatus.Failed);
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        _assertStatus(id, ITaskMarket.TaskStatus.Failed);
        assertEq(market.claimable(address(0), requester), 1 ether, "whole budget refunded");
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE - PENALTY);
        assertEq(registry.claimable(treasury), PENALTY);
    }

    function test_abandon_byEveryAssigneeFailsAndRefundsErc20() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 900e6;
        uint256 id = _assigned(p);
        for (uint256 i; i < 3; ++i) {
            vm.prank(nodes[i]);
            market.abandon(id, ITaskMarket.AbandonReason.InvalidTask);
        }
        _assertStatus(id, ITaskMarket.TaskStatus.Failed);
        assertEq(market.claimable(address(usdc), requester), 900e6);
        assertEq(usdc.balanceOf(address(market)), 900e6);
        assertEq(registry.claimable(treasury), 3 * PENALTY);
    }

    function test_abandon_penaltyFollowsGovernanceAndRoundsDown() public {
        config.setAbandonPenalty(3333);
        ITaskMarket.TaskParams memory p = _params();
        p.collateral = 1e18 + 7;
        uint256 id = _assigned(p);
        uint256 slashed = 333_300_000_000_000_002; // (1e18 + 7) * 3333 / 1e4, rounded down
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskAbandoned(id, nodes[0], ITaskMarket.AbandonReason.ResourceLimit, slashed);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralSlashed(nodes[0], id, slashed, treasury);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralReleased(nodes[0], id, p.collateral - slashed);
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        assertEq(uint256(registry.getNode(nodes[0]).staked), NODE_STAKE - slashed);
        assertEq(uint256(registry.getNode(nodes[0]).locked), 0);
    }

    function test_abandon_withZeroPenaltySlashesNothingButRecordsMissed() public {
        config.setAbandonPenalty(0);
        uint256 id = _assigned(_params());
        vm.recordLogs();
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 slashedTopic = INodeRegistry.CollateralSlashed.selector;
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != slashedTopic, "no slash");
        }
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE);
        assertEq(uint256(reputation.reputationOf(nodes[0])), 4600);
    }

    function test_abandon_acceptsAtDeadline() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        uint256 id = _assigned(p);
        vm.warp(p.deadline);
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        _assertStatus(id, ITaskMarket.TaskStatus.Failed);
    }

    function test_abandon_revertsAfterDeadlineSoExpiryTakesItAll() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        vm.warp(p.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlinePassed.selector, id, p.deadline));
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        market.expire(id);
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE - COLLATERAL);
        assertEq(registry.claimable(treasury), 3 * uint256(COLLATERAL), "missed collateral to the treasury");
    }

    function test_abandon_revertsForNonAssignee() public {
        uint256 id = _publish(_params());
        _apply(id, 4); // nodes[3] applied but was not selected
        market.assign(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotAssigned.selector, id, nodes[3]));
        vm.prank(nodes[3]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotAssigned.selector, id, requester));
        vm.prank(requester);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
    }

    function test_abandon_revertsWhenAlreadySubmitted() public {
        uint256 id = _assigned(_params());
        _submit(id, nodes[0], RESULT_A);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.AlreadySubmitted.selector, id, nodes[0]));
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
    }

    function test_abandon_revertsWhenPublished() public {
        uint256 id = _publish(_params());
        _apply(id, 1);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Published));
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
    }

    function test_abandon_revertsWhenAllSubmitted() public {
        uint256 id = _assigned(_params());
        _submitAll(id, _same(3, RESULT_A));
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Submitted));
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
    }

    function test_abandon_revertsTheSecondTime() public {
        uint256 id = _assigned(_params());
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotAssigned.selector, id, nodes[0]));
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
    }

    function test_abandon_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 7));
        vm.prank(nodes[0]);
        market.abandon(7, ITaskMarket.AbandonReason.ResourceLimit);
    }

    function test_abandon_failedIsFinal() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        uint256 id = _assigned(p);
        vm.prank(nodes[0]);
        market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
        ITaskMarket.TaskStatus failed = ITaskMarket.TaskStatus.Failed;
        vm.expectRevert(_invalidStatus(id, failed, ITaskMarket.TaskStatus.Submitted));
        market.settle(id);
        vm.expectRevert(_invalidStatus(id, failed, ITaskMarket.TaskStatus.Published));
        vm.prank(requester);
        market.cancel(id);
        vm.warp(p.deadline + 1);
        vm.expectRevert(_invalidStatus(id, failed));
        market.expire(id);
        assertEq(market.claimable(address(0), requester), 1 ether, "refunded once");
    }

    // ================================================================ governance

    function test_config_defaultAbandonPenalty() public view {
        assertEq(uint256(config.params().abandonPenaltyBps), PENALTY_BPS);
        assertEq(uint256(config.MAX_ABANDON_PENALTY_BPS()), 5000);
    }

    function test_setAbandonPenalty_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.AbandonPenaltySet(5000);
        config.setAbandonPenalty(5000);
        assertEq(uint256(config.params().abandonPenaltyBps), 5000);
    }

    function test_setAbandonPenalty_revertsWhenAboveMax() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.PenaltyTooHigh.selector, 5001, 5000));
        config.setAbandonPenalty(5001);
    }

    function test_setAbandonPenalty_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setAbandonPenalty(500);
    }

    // ================================================================ helpers

    /// @dev `abandon`, `submitResult`, `postSnapshot` and `expire` all name Assigned as wanted.
    function _invalidStatus(uint256 id, ITaskMarket.TaskStatus have) internal pure returns (bytes memory) {
        return _invalidStatus(id, have, ITaskMarket.TaskStatus.Assigned);
    }

    function _invalidStatus(uint256 id, ITaskMarket.TaskStatus have, ITaskMarket.TaskStatus want)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(ITaskMarket.InvalidStatus.selector, id, have, want);
    }
}
