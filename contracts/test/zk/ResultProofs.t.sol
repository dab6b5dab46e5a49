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

/// @notice Zero-knowledge result submission with optimistic verification: real Groth16 proofs
///         (see ResultProofFixture) posted through TaskMarket.submitProof unverified, and
///         checked by the generated verifier when challenged through ResultProofs.challenge.
contract ResultProofsTest is Fixture, ResultProofFixture {
    uint256 internal constant BOND = 0.01 ether;
    uint16 internal constant SHARE_BPS = 1000;
    uint256 internal constant VERIFY_GAS = 1_000_000;

    ResultCommitmentVerifier internal verifier;
    ResultProofs internal proofs;
    uint256 internal taskId;
    address internal watcher;

    function setUp() public override {
        super.setUp();
        verifier = new ResultCommitmentVerifier();
        proofs = new ResultProofs(IResultCommitmentVerifier(address(verifier)), address(market), BOND, SHARE_BPS, VERIFY_GAS);
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.ResultProofsSet(address(proofs));
        config.setResultProofs(address(proofs));
        taskId = _assigned(_params());
        assertEq(taskId, PROVEN_TASK);
        watcher = makeAddr("watcher");
        vm.deal(watcher, 1 ether);
    }

    function _submitProof(uint256 i, address sender) internal {
        (uint256 tag, uint256[8] memory proof) = _proofOf(i);
        vm.prank(sender);
        market.submitProof(taskId, tag, proof);
    }

    function _post(address sender, uint256 tag, uint256[8] memory proof) internal {
        vm.prank(sender);
        market.submitProof(taskId, tag, proof);
    }

    function _challenge(address challenger, address node, uint256[8] memory proof) internal returns (bool fraud) {
        vm.prank(challenger);
        fraud = proofs.challenge{value: BOND}(taskId, node, proof);
    }

    // ================================================================ the statement

    function test_fixture_isBoundToThisChainMarketAndTask() public view {
        assertEq(block.chainid, PROVEN_CHAIN_ID);
        assertEq(address(market), PROVEN_MARKET, "the Fixture deploys its market elsewhere: re-run forge_fixture.py");
        assertEq(proofs.taskKey(taskId), PROVEN_TASK_KEY);
        assertEq(
            proofs.taskKey(taskId),
            uint256(keccak256(abi.encode(block.chainid, address(market), taskId))) % proofs.FIELD_MODULUS()
        );
    }

    function test_verifier_acceptsTheFixtureProofs() public view {
        for (uint256 i; i < 3; ++i) {
            (uint256 tag, uint256[8] memory proof) = _proofOf(i);
            assertTrue(proofs.isValid(taskId, nodes[i], tag, proof));
            assertTrue(!proofs.isValid(taskId, nodes[(i + 1) % 3], tag, proof), "bound to its node");
            assertTrue(!proofs.isValid(taskId + 1, nodes[i], tag, proof), "bound to its task");
        }
    }

    /// @dev Domain separation: the same proof, task id and node on another chain, or for another
    ///      market on this chain, prove nothing.
    function test_proof_forAnotherChainOrMarket_isRejected() public {
        (uint256 tag, uint256[8] memory proof) = _proofOf(0);
        ResultProofs otherMarket =
            new ResultProofs(IResultCommitmentVerifier(address(verifier)), stranger, BOND, SHARE_BPS, VERIFY_GAS);
        assertTrue(!otherMarket.isValid(taskId, nodes[0], tag, proof), "another market");
        vm.chainId(10);
        assertTrue(!proofs.isValid(taskId, nodes[0], tag, proof), "another chain");
    }

    function test_verifier_returnsFalseWithoutEnoughGasForThePairing() public view {
        (uint256 tag, uint256[8] memory p) = _proofOf(0);
        uint256[3] memory inputs = [PROVEN_TASK_KEY, uint256(uint160(nodes[0])), tag];
        uint256[2] memory a = [p[0], p[1]];
        uint256[2][2] memory b = [[p[2], p[3]], [p[4], p[5]]];
        uint256[2] memory c = [p[6], p[7]];
        assertTrue(verifier.verifyProof(a, b, c, inputs));
        assertTrue(!verifier.verifyProof{gas: 150_000}(a, b, c, inputs), "false, not a revert");
    }

    // ================================================================ posting

    function test_submitProof_storesTheTagAndAHashAndPostsTheProof() public {
        (uint256 tag, uint256[8] memory proof) = _proofOf(0);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.ProofPosted(taskId, nodes[0], proof);
        _submitProof(0, nodes[0]);
        assertEq(market.resultOf(taskId, nodes[0]), bytes32(tag));
        assertEq(market.participationOf(taskId, nodes[0]).proofHash, bytes28(keccak256(abi.encode(proof))));
    }

    function test_submitProof_revertsForATagOutsideTheField() public {
        (uint256 tag, uint256[8] memory proof) = _proofOf(0);
        uint256 wrapped = tag + proofs.FIELD_MODULUS();
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.TagNotAFieldElement.selector, wrapped));
        _post(nodes[0], wrapped, proof);
    }

    function test_submitResult_revertsWhenProofsAreRequired() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ProofRequired.selector, taskId));
        _submit(taskId, nodes[0], keccak256("digest"));
    }

    // ================================================================ challenges

    /// @dev A griefer challenging a valid proof pays the check and loses its bond to the node.
    function test_challenge_ofAValidProof_paysTheBondToTheNode() public {
        _submitProof(0, nodes[0]);
        (, uint256[8] memory proof) = _proofOf(0);
        vm.expectEmit(true, true, true, true, address(proofs));
        emit IResultProofs.ProofChallenged(taskId, nodes[0], watcher, false);
        assertTrue(!_challenge(watcher, nodes[0], proof));
        assertEq(proofs.owed(nodes[0]), BOND);
        assertEq(proofs.owed(watcher), 0);
        assertEq(uint256(market.participationOf(taskId, nodes[0]).bond), uint256(ITaskMarket.Bond.Locked));
        uint256 before = nodes[0].balance;
        vm.prank(nodes[0]);
        proofs.withdraw();
        assertEq(nodes[0].balance - before, BOND);
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.NothingToClaim.selector, nodes[0]));
        vm.prank(nodes[0]);
        proofs.withdraw();
    }

    /// @dev Node 2 copies node 0's agreement tag and proof (both public once posted): the proof is
    ///      bound to node 0, so a challenge shows it false for node 2, which is slashed.
    function test_challenge_ofACopiedProof_slashesTheCopier() public {
        _submitProof(0, nodes[0]);
        (uint256 tag, uint256[8] memory proof) = _proofOf(0);
        _post(nodes[2], tag, proof);
        uint256 treasuryBefore = registry.claimable(treasury);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.ProofRejected(
            taskId, nodes[2], watcher, COLLATERAL * SHARE_BPS / BPS, COLLATERAL - COLLATERAL * SHARE_BPS / BPS
        );
        assertTrue(_challenge(watcher, nodes[2], proof));
        assertEq(uint256(market.participationOf(taskId, nodes[2]).bond), uint256(ITaskMarket.Bond.Slashed));
        assertEq(uint256(registry.getNode(nodes[2]).staked), NODE_STAKE - COLLATERAL);
        assertEq(registry.claimable(watcher), COLLATERAL * SHARE_BPS / BPS, "the challenger's share");
        assertEq(registry.claimable(treasury) - treasuryBefore, COLLATERAL - COLLATERAL * SHARE_BPS / BPS);
        assertEq(proofs.owed(watcher), BOND, "the bond comes back");
        assertLt(reputation.reputationOf(nodes[2]), reputation.reputationOf(nodes[0]), "a failed verification");
        // no second slash: the node is out of the task
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ProofNotChallengeable.selector, taskId, nodes[2]));
        _challenge(watcher, nodes[2], proof);
    }

    /// @dev A proof with a point off the curve makes the precompile fail: the verifier gets only
    ///      `verifyGas`, so the challenge still completes and slashes.
    function test_challenge_ofAMalformedProof_slashesWithoutBurningTheTransaction() public {
        (uint256 tag, uint256[8] memory proof) = _proofOf(0);
        proof[7] = proof[1]; // C.y from A: C is no longer on the curve
        _post(nodes[0], tag, proof);
        uint256 gasBefore = gasleft();
        assertTrue(_challenge(watcher, nodes[0], proof));
        assertLt(gasBefore - gasleft(), VERIFY_GAS + 400_000, "the verifier burns its allowance, no more");
        assertEq(uint256(market.participationOf(taskId, nodes[0]).bond), uint256(ITaskMarket.Bond.Slashed));
    }

    /// @dev The node's friend challenges its bad proof to keep the collateral in the family: it
    ///      recovers only the challenger's share, the treasury takes the rest, the node is out.
    function test_challenge_byTheNodesOwnFriend_recoversOnlyTheShare() public {
        (uint256 tag,) = _proofOf(0);
        (, uint256[8] memory wrongProof) = _proofOf(2); // a real proof, of another digest
        _post(nodes[0], tag, wrongProof);
        address friend = makeAddr("friend of node0");
        vm.deal(friend, 1 ether);
        assertTrue(_challenge(friend, nodes[0], wrongProof));
        assertEq(registry.claimable(friend), COLLATERAL * SHARE_BPS / BPS);
        assertEq(uint256(registry.getNode(nodes[0]).staked), NODE_STAKE - COLLATERAL, "the node lost it all");
    }

    function test_challenge_revertsForAWrongBondAnotherProofOrTooLittleGas() public {
        _submitProof(0, nodes[0]);
        (, uint256[8] memory proof) = _proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.WrongBond.selector, BOND - 1, BOND));
        vm.prank(watcher);
        proofs.challenge{value: BOND - 1}(taskId, nodes[0], proof);

        (, uint256[8] memory other) = _proofOf(1);
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.ProofMismatch.selector, taskId, nodes[0]));
        _challenge(watcher, nodes[0], other);

        // starving the check cannot brand a valid proof false: the challenge reverts instead
        vm.prank(watcher);
        (bool ok,) = address(proofs).call{value: BOND, gas: 600_000}(
            abi.encodeCall(IResultProofs.challenge, (taskId, nodes[0], proof))
        );
        assertTrue(!ok);
        assertEq(uint256(market.participationOf(taskId, nodes[0]).bond), uint256(ITaskMarket.Bond.Locked));
    }

    function test_challenge_revertsOutsideTheWindowOrWithoutAProof() public {
        (, uint256[8] memory proof) = _proofOf(0);
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.ProofMismatch.selector, taskId, nodes[0]));
        _challenge(watcher, nodes[0], proof); // not posted yet
        for (uint256 i; i < 3; ++i) {
            _submitProof(i, nodes[i]);
        }
        vm.warp(market.getTask(taskId).challengeEndsAt);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ProofNotChallengeable.selector, taskId, nodes[0]));
        _challenge(watcher, nodes[0], proof);
    }

    function test_rejectProof_onlyByTheTasksResultProofs() public {
        _submitProof(0, nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotResultProofs.selector, taskId, stranger));
        vm.prank(stranger);
        market.rejectProof(taskId, nodes[0], stranger, SHARE_BPS);
    }

    /// @dev A bad proof caught while the others are still training: the task waits for the rest,
    ///      settles with them, and the rejected node's share goes back to the requester; every
    ///      wei of the budget is paid, credited as fee or refunded.
    function test_rejectedProof_taskSettlesWithTheOthersAndConserves() public {
        (uint256 tag,) = _proofOf(0);
        (, uint256[8] memory wrongProof) = _proofOf(2);
        _post(nodes[2], tag, wrongProof); // claims the majority's tag with its own (other) proof
        assertTrue(_challenge(watcher, nodes[2], wrongProof));
        _assertStatus(taskId, ITaskMarket.TaskStatus.Assigned);
        _submitProof(0, nodes[0]);
        _submitProof(1, nodes[1]);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        uint256 budget = market.getTask(taskId).budget;
        _settle(taskId);
        uint256 paid = market.claimable(address(0), nodes[0]) + market.claimable(address(0), nodes[1]);
        assertEq(market.claimable(address(0), nodes[2]), 0);
        assertEq(
            paid + market.claimable(address(0), treasury) + market.claimable(address(0), requester), budget, "conserved"
        );
        assertTrue(market.claimable(address(0), requester) >= budget / 3, "the rejected share is refunded");
    }

    function test_everyProofRejected_refundsTheRequester() public {
        (uint256 tag,) = _proofOf(0);
        (, uint256[8] memory wrongProof) = _proofOf(2);
        for (uint256 i; i < 3; ++i) {
            _post(nodes[i], tag, wrongProof);
        }
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        uint256 budget = market.getTask(taskId).budget;
        for (uint256 i; i < 3; ++i) {
            assertTrue(_challenge(watcher, nodes[i], wrongProof));
        }
        _assertStatus(taskId, ITaskMarket.TaskStatus.Failed);
        assertEq(market.claimable(address(0), requester), budget);
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
        (uint256 tag, uint256[8] memory proof) = _proofOf(0);
        address assignee = market.assigneesOf(later)[0];
        vm.expectRevert(ITaskMarket.ProofsDisabled.selector);
        vm.prank(assignee);
        market.submitProof(later, tag, proof);
    }

    function test_constructor_refusesAShareAboveTheWhole() public {
        vm.expectRevert(abi.encodeWithSelector(IResultProofs.ShareTooHigh.selector, uint16(10_001)));
        new ResultProofs(IResultCommitmentVerifier(address(verifier)), address(market), BOND, 10_001, VERIFY_GAS);
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
        (uint256 tag,) = _proofOf(0);
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
