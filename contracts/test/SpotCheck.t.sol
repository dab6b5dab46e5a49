// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeFixture} from "./DisputeFixture.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";
import {ISpotCheck} from "../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {DrawRigger} from "./mocks/DrawRigger.sol";

contract SpotCheckTest is DisputeFixture {
    uint256 internal constant FEE = 0.05 ether;
    uint8 internal constant SEGMENTS = 3;
    uint32 internal constant TOLERANCE = 100; // 1e-4

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 4; ++i) {
            vm.prank(nodes[i]);
            spotCheck.join();
        }
    }

    /// @dev A spot-checked single-trainer task, assigned to nodes[0] and submitted.
    function _spotChecked() internal returns (uint256 taskId) {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        taskId = _publish(p);
        vm.prank(requester);
        spotCheck.enable{value: FEE}(taskId, SEGMENTS, TOLERANCE);
        _apply(taskId, 1);
        market.assign(taskId);
        _submit(taskId, nodes[0], HONEST);
    }

    function test_requestVerification_picksAStakedVerifierOtherThanTheTrainer(uint256 randao) public {
        uint256 taskId = _spotChecked();
        vm.prevrandao(randao);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
        assertTrue(c.verifier != nodes[0], "not the trainer");
        assertTrue(spotCheck.inPool(c.verifier), "from the pool");
        assertEq(c.trainer, nodes[0]);
        assertEq(c.seed, uint256(keccak256(abi.encode(randao, taskId))), "seed from prevrandao");
        assertEq(uint256(c.status), uint256(ISpotCheck.CheckStatus.Verifying));
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
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        address verifier = spotCheck.getCheck(taskId).verifier;
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
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        address verifier = spotCheck.getCheck(taskId).verifier;
        vm.prank(verifier);
        spotCheck.report(taskId, false, "ipfs://report");
        _assertStatus(taskId, ITaskMarket.TaskStatus.Disputed);
        uint256 disputeId = arbitration.disputeOfTask(taskId);
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(d.challenger, verifier);
        assertEq(d.node, nodes[0]);
        assertEq(d.bond, 0);
        _decide(disputeId, true);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Slashed);
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE - COLLATERAL);
        assertEq(arbitration.claimable(verifier), uint256(COLLATERAL) * CHALLENGER_BPS / BPS);
        assertEq(spotCheck.claimable(verifier), FEE);
    }

    function test_replaceVerifier_afterTheDeadline_penalizesTheLateOne() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.ReportNotDue.selector, taskId, c.reportDeadline));
        spotCheck.replaceVerifier(taskId);
        vm.warp(c.reportDeadline + 1);
        spotCheck.replaceVerifier(taskId);
        ISpotCheck.Check memory next = spotCheck.getCheck(taskId);
        assertTrue(next.verifier != c.verifier && next.verifier != nodes[0], "someone else");
        assertEq(next.seed, c.seed, "same segments");
        assertEq(reputation.reputationOf(c.verifier), 5000 - reputation.params().missedLoss, "late verifier loses");
        vm.prank(c.verifier);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotVerifier.selector, taskId, c.verifier));
        spotCheck.report(taskId, true, "");
        vm.prank(next.verifier);
        spotCheck.report(taskId, true, "");
        assertEq(spotCheck.claimable(next.verifier), FEE, "the one who reports is paid");
        assertEq(spotCheck.claimable(c.verifier), 0);
    }

    function test_report_revertsAfterTheDeadline() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
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

    function test_requestVerification_withOnlyTheTrainerInThePool_reverts() public {
        for (uint256 i = 1; i < 4; ++i) {
            vm.prank(nodes[i]);
            spotCheck.leave();
        }
        uint256 taskId = _spotChecked();
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NoVerifierAvailable.selector, taskId));
        spotCheck.requestVerification(taskId);
    }

    /// @dev Completes a pending verifier draw where the contract has two steps (none yet).
    function _completeDraw(uint256 taskId) internal {}

    function test_join_requiresTheMinimumStake() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotEligible.selector, stranger));
        spotCheck.join();
    }
}
