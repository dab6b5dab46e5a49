// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "../../src/interfaces/IBoundRoles.sol";
import {Fixture} from "../Fixture.sol";
import {ResultProofFixture} from "./ResultProofFixture.sol";
import {IMarketConfig} from "../../src/interfaces/IMarketConfig.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";
import {IResultProofs} from "../../src/interfaces/IResultProofs.sol";
import {ResultProofs, IResultCommitmentVerifier} from "../../src/zk/ResultProofs.sol";
import {ResultCommitmentVerifier} from "../../src/zk/ResultCommitmentVerifier.sol";

/// @notice Zero-knowledge result submission: real Groth16 proofs (see ResultProofFixture)
///         checked by the generated verifier through TaskMarket.submitProof.
contract ResultProofsTest is Fixture, ResultProofFixture {
    ResultCommitmentVerifier internal verifier;
    ResultProofs internal proofs;
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        verifier = new ResultCommitmentVerifier();
        proofs = new ResultProofs(IResultCommitmentVerifier(address(verifier)), address(market));
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.ResultProofsSet(address(proofs));
        config.setResultProofs(address(proofs));
        taskId = _assigned(_params());
        assertEq(taskId, PROVEN_TASK);
    }

    function _submitProof(uint256 i, address sender) internal {
        (uint256 commitment, uint256 tag, uint256[8] memory proof) = _proofOf(i);
        vm.prank(sender);
        market.submitProof(taskId, commitment, tag, proof);
    }

    function test_verifier_acceptsTheFixtureProofs() public view {
        for (uint256 i; i < 3; ++i) {
            (uint256 commitment, uint256 tag, uint256[8] memory proof) = _proofOf(i);
            assertTrue(proofs.isValid(taskId, nodes[i], commitment, tag, proof));
        }
    }

    function test_verifier_returnsFalseWithoutEnoughGasForThePairing() public view {
        (uint256 commitment, uint256 tag, uint256[8] memory p) = _proofOf(0);
        uint256[4] memory inputs = [taskId, uint256(uint160(nodes[0])), commitment, tag];
        uint256[2] memory a = [p[0], p[1]];
        uint256[2][2] memory b = [[p[2], p[3]], [p[4], p[5]]];
        uint256[2] memory c = [p[6], p[7]];
        assertTrue(verifier.verifyProof(a, b, c, inputs));
        assertTrue(!verifier.verifyProof{gas: 150_000}(a, b, c, inputs), "false, not a revert");
    }

    function test_submitProof_recordsCommitmentAndTag() public {
        (uint256 commitment, uint256 tag,) = _proofOf(0);
        vm.expectEmit(true, true, true, true, address(proofs));
        emit IResultProofs.ResultCommitted(taskId, nodes[0], commitment, tag);
        _submitProof(0, nodes[0]);
        assertEq(proofs.commitmentOf(taskId, nodes[0]), commitment);
        assertEq(market.resultOf(taskId, nodes[0]), bytes32(tag));
    }

    function test_submitProof_revertsWhenReplayedByAnotherNode() public {
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.InvalidResultProof.selector, taskId, nodes[1]));
        _submitProof(0, nodes[1]);
    }

    function test_submitProof_revertsForTamperedProof() public {
        (uint256 commitment, uint256 tag, uint256[8] memory proof) = _proofOf(0);
        proof[7] = proof[1]; // C.y from A: no longer a valid proof
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.InvalidResultProof.selector, taskId, nodes[0]));
        vm.prank(nodes[0]);
        market.submitProof(taskId, commitment, tag, proof);
    }

    function test_submitProof_revertsForCopiedTag() public {
        (uint256 commitment,, uint256[8] memory proof) = _proofOf(2);
        (, uint256 majorityTag,) = _proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.InvalidResultProof.selector, taskId, nodes[2]));
        vm.prank(nodes[2]);
        market.submitProof(taskId, commitment, majorityTag, proof);
    }

    function test_submitProof_revertsForInputOutsideTheField() public {
        (uint256 commitment, uint256 tag, uint256[8] memory proof) = _proofOf(0);
        uint256 wrapped = commitment + proofs.FIELD_MODULUS();
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.NotAFieldElement.selector, wrapped));
        vm.prank(nodes[0]);
        market.submitProof(taskId, wrapped, tag, proof);
    }

    function test_submitResult_revertsWhenProofsAreRequired() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ProofRequired.selector, taskId));
        _submit(taskId, nodes[0], keccak256("digest"));
    }

    /// @dev Item 18 of the audit: a governance change in mid-task used to switch the proof mode
    ///      of tasks already running (and froze honest nodes that had submitted digests).
    function test_proofMode_isFixedPerTaskAtPublish() public {
        config.setResultProofs(address(0));
        assertEq(market.getTask(taskId).resultProofs, address(proofs), "the running task keeps its verifier");
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ProofRequired.selector, taskId));
        _submit(taskId, nodes[0], keccak256("digest"));
        _submitProof(0, nodes[0]); // still proven against the task's verifier

        uint256 later = _publish(_params()); // published with proofs off
        _apply(later, 3);
        market.assign(later);
        (uint256 commitment, uint256 tag, uint256[8] memory proof) = _proofOf(0);
        address assignee = market.assigneesOf(later)[0];
        vm.expectRevert(ITaskMarket.ProofsDisabled.selector);
        vm.prank(assignee);
        market.submitProof(later, commitment, tag, proof);
    }

    function test_record_revertsForNonMarket() public {
        (uint256 commitment, uint256 tag, uint256[8] memory proof) = _proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.NotMarket.selector, stranger));
        vm.prank(stranger);
        proofs.record(taskId, nodes[0], commitment, tag, proof);
    }

    function test_setResultProofs_revertsForNonAdmin() public {
        vm.expectRevert();
        vm.prank(stranger);
        config.setResultProofs(address(0));
    }

    function test_settle_paysTheTagMajorityAndFreezesTheDissenter() public {
        for (uint256 i; i < 3; ++i) {
            _submitProof(i, nodes[i]);
        }
        _closeWindow(taskId);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.NodeFrozen(taskId, nodes[2], COLLATERAL, uint64(block.timestamp + 1 hours));
        market.settle(taskId);
        (, uint256 tag,) = _proofOf(0);
        assertEq(market.getTask(taskId).resultDigest, bytes32(tag));
        assertTrue(market.claimable(address(0), nodes[0]) > 0);
        assertTrue(market.claimable(address(0), nodes[1]) > 0);
        assertEq(market.claimable(address(0), nodes[2]), 0, "dissenter unpaid");
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE, "majority collateral released");
        assertEq(registry.freeStake(nodes[2]), NODE_STAKE - COLLATERAL, "dissenter collateral frozen");
    }

    // ================================================================ audit item 1: frozen exits

    /// @dev An outvoted node's collateral used to stay frozen forever once the task settled.
    function test_frozenDissenter_isReleasedByAnyoneAfterTheFreezeWindow() public {
        uint64 until = _settledWithFrozenDissenter();
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ChallengeWindowOpen.selector, taskId, until));
        market.releaseFrozen(taskId, nodes[2]);
        vm.warp(until);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidBond.selector, taskId, nodes[0], ITaskMarket.Bond.Released, ITaskMarket.Bond.Frozen
            )
        );
        market.releaseFrozen(taskId, nodes[0]);
        vm.prank(stranger);
        market.releaseFrozen(taskId, nodes[2]);
        assertEq(registry.freeStake(nodes[2]), NODE_STAKE, "stake back: an honest last-bit dissenter loses nothing");
        assertEq(uint256(market.participationOf(taskId, nodes[2]).bond), uint256(ITaskMarket.Bond.Released));
    }

    function test_frozenDissenter_challengedThenReleasedOrSlashedByArbitration() public {
        _settledWithFrozenDissenter();
        address[] memory resolvers = new address[](1);
        resolvers[0] = address(this); // stands in for the arbitration contract
        market.bindDisputeResolvers(resolvers);
        market.holdFrozen(taskId, nodes[2]);
        vm.warp(market.getTask(taskId).challengeEndsAt);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidBond.selector, taskId, nodes[2], ITaskMarket.Bond.Held, ITaskMarket.Bond.Frozen
            )
        );
        market.releaseFrozen(taskId, nodes[2]); // held: arbitration decides, not the clock
        market.releaseHeld(taskId, nodes[2]);
        assertEq(registry.freeStake(nodes[2]), NODE_STAKE, "released by the vote");
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.RoleAlreadyBound.selector, market.DISPUTE_ROLE())); // bound once: no later action names another
        market.bindDisputeResolvers(resolvers);
    }

    function test_frozenDissenter_slashedAfterSettlementOnlyWhenHeld() public {
        _settledWithFrozenDissenter();
        address[] memory resolvers = new address[](1);
        resolvers[0] = address(this);
        market.bindDisputeResolvers(resolvers);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidBond.selector, taskId, nodes[2], ITaskMarket.Bond.Frozen, ITaskMarket.Bond.Held
            )
        );
        market.slashNode(taskId, nodes[2], treasury);
        market.holdFrozen(taskId, nodes[2]);
        uint256 paidBefore = market.claimable(address(0), nodes[0]);
        market.slashNode(taskId, nodes[2], treasury);
        assertEq(uint256(registry.getNode(nodes[2]).staked), NODE_STAKE - COLLATERAL);
        assertEq(registry.claimable(treasury), COLLATERAL);
        assertEq(market.claimable(address(0), nodes[0]), paidBefore, "the majority keeps its pay");
    }

    function _settledWithFrozenDissenter() internal returns (uint64 until) {
        for (uint256 i; i < 3; ++i) {
            _submitProof(i, nodes[i]);
        }
        _settle(taskId);
        until = market.getTask(taskId).challengeEndsAt;
        assertEq(uint256(until), block.timestamp + 1 hours, "the freeze window");
        assertEq(uint256(market.participationOf(taskId, nodes[2]).bond), uint256(ITaskMarket.Bond.Frozen));
        assertEq(registry.freeStake(nodes[2]), NODE_STAKE - COLLATERAL);
    }
}
