// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SpotCheckFixture} from "./SpotCheckFixture.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";
import {ISpotCheck} from "../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {DrawRigger} from "./mocks/DrawRigger.sol";

contract SpotCheckTest is SpotCheckFixture {
    function test_requestVerification_commitsTheDraw_andHoldsTheTask() public {
        uint256 taskId = _spotChecked();
        vm.expectEmit(true, false, false, true, address(spotCheck));
        emit ISpotCheck.VerifierDrawCommitted(taskId, uint64(block.number) + spotCheck.DRAW_DELAY(), POOL);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
        assertEq(uint256(c.status), uint256(ISpotCheck.CheckStatus.Verifying));
        assertEq(c.verifier, address(0), "nobody drawn yet");
        assertEq(c.drawBlock, block.number + spotCheck.DRAW_DELAY(), "a future block");
        assertEq(c.drawPoolSize, POOL, "pool size at the commit");
        assertEq(c.requestedAt, block.timestamp);
        assertEq(c.trainer, nodes[0]);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Verifying);
        _closeWindow(taskId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector,
                taskId,
                ITaskMarket.TaskStatus.Verifying,
                ITaskMarket.TaskStatus.Submitted
            )
        );
        market.settle(taskId);
    }

    function test_drawVerifier_picksAStakedVerifierOtherThanTheTrainer_fromTheTargetBlockHash(bytes32 hash) public {
        vm.assume(hash != bytes32(0));
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = _completeDraw(taskId, hash);
        assertTrue(c.verifier != nodes[0], "not the trainer");
        assertTrue(spotCheck.inPool(c.verifier), "from the pool");
        assertEq(c.seed, uint256(keccak256(abi.encode(hash, taskId))), "seed from the target block's hash");
        assertEq(c.drawBlock, 0, "no draw pending");
        assertEq(c.reportDeadline, block.timestamp + REPORT_WINDOW);
        assertEq(uint256(c.status), uint256(ISpotCheck.CheckStatus.Verifying));
    }

    function test_drawVerifier_revertsUntilTheTargetBlockIsMined() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        uint64 target = uint64(block.number + spotCheck.DRAW_DELAY());
        for (uint256 b = block.number; b <= target; ++b) {
            vm.roll(b);
            vm.expectRevert(abi.encodeWithSelector(ISpotCheck.DrawNotReady.selector, taskId, target));
            spotCheck.drawVerifier(taskId);
        }
        vm.roll(target + 1);
        vm.setBlockhash(target, keccak256("mined"));
        assertTrue(spotCheck.drawVerifier(taskId) != address(0));
    }

    function test_drawVerifier_onlyOnce() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.VerifierAlreadyDrawn.selector, taskId, c.verifier));
        spotCheck.drawVerifier(taskId);
    }

    function test_drawVerifier_staleTarget_commitsTheDrawAgain() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        uint64 target = spotCheck.getCheck(taskId).drawBlock;
        vm.roll(target + 257); // its hash is gone
        uint64 next = uint64(block.number + spotCheck.DRAW_DELAY());
        vm.expectEmit(true, false, false, true, address(spotCheck));
        emit ISpotCheck.VerifierDrawCommitted(taskId, next, POOL);
        assertEq(spotCheck.drawVerifier(taskId), address(0), "nobody drawn from a stale target");
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
        assertEq(c.drawBlock, next, "committed again");
        assertEq(c.verifier, address(0));
        c = _completeDraw(taskId, keccak256("fresh"));
        assertEq(c.seed, uint256(keccak256(abi.encode(keccak256("fresh"), taskId))));
        assertTrue(c.verifier != address(0) && c.verifier != nodes[0]);
    }

    /// @dev Once the target hash is public, the trainer's accomplices join the pool to steer the
    ///      draw (a larger pool changes every slot index), and one member leaves so that the last
    ///      of them is moved into its slot: neither the newcomers nor the larger size count.
    function test_drawVerifier_ignoresNodesThatJoinAfterTheCommit() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        vm.roll(block.number + 1);
        for (uint256 i = POOL; i < NODE_COUNT; ++i) {
            vm.prank(nodes[i]);
            spotCheck.join();
        }
        vm.prank(nodes[3]);
        spotCheck.leave(); // nodes[NODE_COUNT - 1] takes its slot
        for (uint256 h; h < 24; ++h) {
            uint256 snap = vm.snapshotState();
            address verifier = _completeDraw(taskId, keccak256(abi.encode(h))).verifier;
            assertTrue(verifier == nodes[1] || verifier == nodes[2], "a member since the commit");
            vm.revertToState(snap);
        }
    }

    /// @dev The pool shrinks after the commit (a member leaves): probes past its end are skipped.
    function test_drawVerifier_aMemberLeavingAfterTheCommitOnlyRemovesItself() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        vm.prank(nodes[2]);
        spotCheck.leave();
        for (uint256 h; h < 24; ++h) {
            uint256 snap = vm.snapshotState();
            address verifier = _completeDraw(taskId, keccak256(abi.encode(h))).verifier;
            assertTrue(verifier == nodes[1] || verifier == nodes[3], "a member still in the pool");
            vm.revertToState(snap);
        }
    }

    /// @dev The trainer (through a contract) asks for verification and reverts unless its
    ///      accomplice is drawn, whatever block it lands in.
    function test_requestVerification_callerCannotChooseVerifier() public {
        uint256 taskId = _spotChecked();
        DrawRigger rigger = new DrawRigger();
        bool chosen;
        for (uint256 randao; randao < 32 && !chosen; ++randao) {
            vm.prevrandao(randao);
            try rigger.requestAndKeep(spotCheck, taskId, nodes[1]) {
                chosen = true;
            } catch {}
        }
        assertFalse(chosen);
    }

    function test_replaceVerifier_callerCannotChooseTheReplacement() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        _completeDraw(taskId);
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
        address accomplice = c.verifier == nodes[1] ? nodes[2] : nodes[1];
        vm.warp(c.reportDeadline + 1);
        DrawRigger rigger = new DrawRigger();
        bool chosen;
        for (uint256 randao; randao < 32 && !chosen; ++randao) {
            vm.prevrandao(randao);
            try rigger.replaceAndKeep(spotCheck, taskId, accomplice) {
                chosen = true;
            } catch {}
        }
        assertFalse(chosen);
    }

    function test_report_passed_paysTheVerifier_andSettles() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        address verifier = c.verifier;
        vm.prank(verifier);
        spotCheck.report(taskId, true, "ipfs://report");
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        assertEq(spotCheck.claimable(verifier), FEE, "fee credited");
        uint256 before = verifier.balance;
        vm.prank(verifier);
        spotCheck.claim();
        assertEq(verifier.balance, before + FEE);
        assertEq(address(spotCheck).balance, 0, "holds nothing it does not owe");
        _settle(taskId);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Settled);
    }

    function test_report_failed_opensADispute_thatSlashes() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        address verifier = c.verifier;
        vm.prank(verifier);
        spotCheck.report(taskId, false, "ipfs://report");
        _assertStatus(taskId, ITaskMarket.TaskStatus.Disputed);
        uint256 disputeId = arbitration.disputeOfTask(taskId);
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(d.challenger, verifier);
        assertEq(d.node, nodes[0]);
        assertEq(d.bond, 0);
        _decide(disputeId, true);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted); // resumes without the cheater
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE - COLLATERAL);
        assertEq(arbitration.claimable(verifier), uint256(COLLATERAL) * CHALLENGER_BPS / BPS);
        assertEq(spotCheck.claimable(verifier), FEE);
    }

    function test_replaceVerifier_afterTheDeadline_penalizesTheLateOne_andCommitsANewDraw() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.ReportNotDue.selector, taskId, c.reportDeadline));
        spotCheck.replaceVerifier(taskId);
        vm.warp(c.reportDeadline + 1);
        uint64 target = uint64(block.number + spotCheck.DRAW_DELAY());
        vm.expectEmit(true, true, false, true, address(spotCheck));
        emit ISpotCheck.VerifierReplaced(taskId, c.verifier, target);
        spotCheck.replaceVerifier(taskId);
        ISpotCheck.Check memory pending = spotCheck.getCheck(taskId);
        assertEq(pending.verifier, address(0), "the replacement is drawn later");
        assertEq(pending.drawBlock, target);
        assertEq(pending.excluded, c.verifier);
        assertEq(reputation.reputationOf(c.verifier), 5000 - reputation.params().missedLoss, "late verifier loses");
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.DrawPending.selector, taskId, target));
        spotCheck.replaceVerifier(taskId);
        vm.prank(c.verifier);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotVerifier.selector, taskId, c.verifier));
        spotCheck.report(taskId, true, "");

        ISpotCheck.Check memory next = _completeDraw(taskId);
        assertTrue(next.verifier != c.verifier && next.verifier != nodes[0], "someone else");
        assertEq(next.seed, c.seed, "same segments");
        vm.prank(next.verifier);
        spotCheck.report(taskId, true, "");
        assertEq(spotCheck.claimable(next.verifier), FEE, "the one who reports is paid");
        assertEq(spotCheck.claimable(c.verifier), 0);
    }

    function test_replaceVerifier_revertsWhileTheDrawIsPending() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        uint64 target = spotCheck.getCheck(taskId).drawBlock;
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.DrawPending.selector, taskId, target));
        spotCheck.replaceVerifier(taskId);
    }

    function test_report_revertsAfterTheDeadline() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        vm.warp(c.reportDeadline + 1);
        vm.prank(c.verifier);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.ReportTooLate.selector, taskId, c.reportDeadline));
        spotCheck.report(taskId, true, "");
    }

    function test_enable_onlyRequester_singleTrainer_published() public {
        uint256 taskId = _publish(_params());
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotSingleTrainer.selector, taskId, 3));
        spotCheck.enable(taskId, SEGMENTS, TOLERANCE);
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        uint256 single = _publish(p);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotRequester.selector, single, stranger));
        spotCheck.enable(single, SEGMENTS, TOLERANCE);
    }

    function test_drawVerifier_withOnlyTheTrainerInThePool_reverts() public {
        for (uint256 i = 1; i < POOL; ++i) {
            vm.prank(nodes[i]);
            spotCheck.leave();
        }
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        uint64 target = spotCheck.getCheck(taskId).drawBlock;
        vm.roll(target + 1);
        vm.setBlockhash(target, keccak256("any"));
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NoVerifierAvailable.selector, taskId));
        spotCheck.drawVerifier(taskId);
    }

    function test_join_requiresTheMinimumStake() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotEligibleVerifier.selector, stranger));
        spotCheck.join();
    }
}
