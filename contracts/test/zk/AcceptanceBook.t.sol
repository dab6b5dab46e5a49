// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "../Fixture.sol";
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
        assertFalse(book.mayReject(taskId, a)); // the requester cannot reject a model that met it
        assertTrue(book.mayReject(taskId, b));
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
}
