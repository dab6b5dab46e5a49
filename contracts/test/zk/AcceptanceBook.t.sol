// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "../Fixture.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";
import {AcceptanceProofFixture} from "./AcceptanceProofFixture.sol";
import {AcceptanceBook, IAcceptanceVerifier} from "../../src/zk/AcceptanceBook.sol";
import {AcceptanceVerifier} from "../../src/zk/AcceptanceVerifier.sol";

/// @notice Acceptance proven on-chain with real Groth16 proofs (see AcceptanceProofFixture).
contract AcceptanceBookTest is Fixture, AcceptanceProofFixture {
    AcceptanceBook internal book;
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        book = new AcceptanceBook(IAcceptanceVerifier(address(new AcceptanceVerifier())), market);
        taskId = _publish(_params());
        vm.expectEmit(true, true, true, true, address(book));
        emit AcceptanceBook.LabelsCommitted(taskId, LABELS, COUNT, THRESHOLD);
        vm.prank(requester);
        book.commitLabels(taskId, LABELS, COUNT, THRESHOLD);
    }

    function _prove(uint256 i) internal {
        (uint256 predictions,, bool met, uint256[8] memory proof) = _acceptanceProof(i);
        book.proveOutcome(taskId, predictions, met, proof);
    }

    function test_metAndNotMet_verifyAndAreRecorded() public {
        (uint256 a,,,) = _acceptanceProof(0);
        (uint256 b,,,) = _acceptanceProof(1);
        vm.expectEmit(true, true, true, true, address(book));
        emit AcceptanceBook.AcceptanceProven(taskId, a, true);
        _prove(0);
        _prove(1);
        assertEq(uint8(book.outcomeOf(taskId, a)), uint8(AcceptanceBook.AcceptanceOutcome.Met));
        assertEq(uint8(book.outcomeOf(taskId, b)), uint8(AcceptanceBook.AcceptanceOutcome.NotMet));
        assertFalse(book.mayReject(taskId)); // "met" is proven: no rejection, whatever else is
        assertTrue(book.verdictOf(taskId).notMet);
    }

    function test_flippedOutcome_isRejected() public {
        (uint256 a,,, uint256[8] memory proof) = _acceptanceProof(0);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.InvalidAcceptanceProof.selector, taskId, a, false));
        book.proveOutcome(taskId, a, false, proof); // requester tries "not met" with the met proof
    }

    function test_provenOutcome_isFinal() public {
        _prove(0);
        (uint256 a,,, uint256[8] memory proof) = _acceptanceProof(0);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.OutcomeAlreadyProven.selector, taskId, a));
        book.proveOutcome(taskId, a, true, proof);
    }

    function test_requesterNode_cannotFakeMetWithOtherLabels() public {
        // proof 2 is a valid "met" proof, but over labels equal to model B's own outputs
        (uint256 b, uint256 fakeLabels, bool met, uint256[8] memory proof) = _acceptanceProof(2);
        assertTrue(met);
        assertTrue(fakeLabels != LABELS);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.InvalidAcceptanceProof.selector, taskId, b, true));
        book.proveOutcome(taskId, b, true, proof);
        // and committing those labels afterwards is refused: the commitment is fixed at publish
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.LabelsAlreadyCommitted.selector, taskId));
        book.commitLabels(taskId, fakeLabels, COUNT, THRESHOLD);
    }

    function test_inflatedCount_isRejected() public {
        // the same labels claimed as a larger (zero-padded) set: count is a public input
        uint256 other = _publish(_params());
        vm.prank(requester);
        book.commitLabels(other, LABELS, COUNT + 50, THRESHOLD + 50);
        (uint256 a,,, uint256[8] memory proof) = _acceptanceProof(0);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.InvalidAcceptanceProof.selector, other, a, true));
        book.proveOutcome(other, a, true, proof);
    }

    function test_commitLabels_onlyRequester_andSane() public {
        uint256 other = _publish(_params());
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.NotRequester.selector, other, nodes[0]));
        book.commitLabels(other, LABELS, COUNT, THRESHOLD);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.BadLabels.selector, LABELS, 257, 1));
        book.commitLabels(other, LABELS, 257, 1);
        vm.expectRevert(abi.encodeWithSelector(AcceptanceBook.NoLabels.selector, other));
        book.proveOutcome(other, 1, true, [uint256(0), 0, 0, 0, 0, 0, 0, 0]);
    }

    // ================================================================ wired into settlement

    /// @dev The task of setUp (labels committed while Published), assigned, every node submitting
    ///      the same result; the market checks rejections against the book.
    function _submitted() internal {
        config.setAcceptanceBook(address(book));
        _apply(taskId, 3);
        market.assign(taskId);
        _submitAll(taskId, _same(3, keccak256("model")));
    }

    function _report(address who, bool accepted) internal {
        vm.prank(who);
        market.reportQuality(taskId, 5000, accepted);
    }

    /// @dev Settles the task of setUp with `rejected` reported, and returns node 0's pay.
    function _settledPay(bool rejected) internal returns (uint256) {
        _report(requester, !rejected);
        _settle(taskId);
        return market.claimable(address(0), nodes[0]);
    }

    function test_rejection_needsANotMetProof() public {
        _submitted();
        uint256 before = vm.snapshotState();
        uint256 acceptedPay = _settledPay(false);
        vm.revertToState(before);
        assertEq(_settledPay(true), acceptedPay, "nothing proven: a rejection is void, paid as accepted");
        vm.revertToState(before);
        _prove(1); // "not met" for the settled model's predictions (the oracle's statement)
        assertLt(_settledPay(true), acceptedPay, "proven not met: paid as rejected");
        assertTrue(market.getTask(taskId).rejected);
    }

    /// @dev A requester that also runs nodes, or just dislikes paying: once "met" is proven its
    ///      rejection is void, even one reported before the proof, and every wei is accounted for.
    function test_provenMet_cannotBeRejected() public {
        _submitted();
        _prove(1);
        uint256 before = vm.snapshotState();
        uint256 acceptedPay = _settledPay(false);
        vm.revertToState(before);
        _report(requester, false); // allowed for now: only "not met" is proven
        _prove(0); // then the settled model is proven to meet the threshold
        uint256 budget = market.getTask(taskId).budget;
        _settle(taskId);
        assertEq(market.claimable(address(0), nodes[0]), acceptedPay, "paid as accepted");
        uint256 paid = market.claimable(address(0), nodes[0]) + market.claimable(address(0), nodes[1])
            + market.claimable(address(0), nodes[2]);
        assertEq(paid + market.claimable(address(0), treasury) + market.claimable(address(0), requester), budget);
    }

    function test_labels_afterAssignment_areRefused() public {
        uint256 other = _publish(_params());
        _apply(other, 3);
        market.assign(other);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(AcceptanceBook.LabelsTooLate.selector, other, ITaskMarket.TaskStatus.Assigned)
        );
        book.commitLabels(other, LABELS, COUNT, THRESHOLD);
    }

    function test_taskWithoutLabels_rejectsAsBefore() public {
        config.setAcceptanceBook(address(book));
        uint256 other = _publish(_params());
        _apply(other, 3);
        market.assign(other);
        _submitAll(other, _same(3, keccak256("model")));
        uint256 before = vm.snapshotState();
        vm.prank(requester);
        market.reportQuality(other, 5000, true);
        _settle(other);
        uint256 acceptedPay = market.claimable(address(0), nodes[0]);
        vm.revertToState(before);
        vm.prank(requester);
        market.reportQuality(other, 5000, false);
        assertTrue(market.getTask(other).rejected);
        _settle(other);
        assertLt(market.claimable(address(0), nodes[0]), acceptedPay, "no labels: the rejection stands");
    }
}
