// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DeployProfiles} from "./DeployProfiles.sol";
import {DisputeFixture} from "./DisputeFixture.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

contract ArbitrationTest is DisputeFixture, DeployProfiles {
    function test_challenge_freezesCollateral() public {
        uint256 taskId = _submittedSingle();
        address node = nodes[0];
        uint256 disputeId = _challenge(taskId, node);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Disputed);
        assertEq(nnt.balanceOf(address(arbitration)), MIN_BOND, "bond held");
        // settlement cannot release the collateral, even after the window
        _closeWindow(taskId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector,
                taskId,
                ITaskMarket.TaskStatus.Disputed,
                ITaskMarket.TaskStatus.Submitted
            )
        );
        market.settle(taskId);
        // stake under arbitration cannot be unbonded, so cannot be withdrawn
        uint256 free = NODE_STAKE - COLLATERAL;
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientFreeStake.selector, node, free, NODE_STAKE));
        registry.requestUnbond(NODE_STAKE);
        assertEq(registry.getNode(node).locked, COLLATERAL, "collateral locked");
        assertEq(arbitration.disputeOfTask(taskId), disputeId);
    }

    function test_falseChallenge_releasesNodeWhole_challengerLosesBond() public {
        uint256 taskId = _submittedSingle();
        address node = nodes[0];
        uint256 challengerBefore = nnt.balanceOf(challenger);
        uint256 disputeId = _challenge(taskId, node);
        _decide(disputeId, false);
        assertEq(uint256(arbitration.getDispute(disputeId).status), uint256(IArbitration.DisputeStatus.Released));
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        _settle(taskId);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Settled);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(n.staked, NODE_STAKE, "stake whole");
        assertEq(n.locked, 0, "collateral released");
        uint256 toNode = uint256(MIN_BOND) * NODE_BOND_BPS / BPS;
        assertEq(arbitration.claimable(node), toNode, "node's bond share");
        assertEq(arbitration.claimable(treasury), MIN_BOND - toNode, "treasury's bond share");
        assertEq(arbitration.claimable(challenger), 0, "challenger gets nothing back");
        vm.prank(node);
        arbitration.claim();
        assertEq(nnt.balanceOf(node), toNode);
        assertEq(nnt.balanceOf(challenger), challengerBefore - MIN_BOND, "bond lost");
        assertTrue(market.claimable(address(0), node) > 0, "node paid for the task");
    }

    function test_upheldChallenge_slashesAndPaysExactShares() public {
        uint256 taskId = _submittedSingle();
        address node = nodes[0];
        uint256 disputeId = _challenge(taskId, node);
        uint16 before = reputation.reputationOf(node);
        _decide(disputeId, true);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted); // resumes without the cheater
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(n.staked, NODE_STAKE - COLLATERAL, "collateral slashed");
        assertEq(n.locked, 0);
        uint256 toChallenger = uint256(COLLATERAL) * CHALLENGER_BPS / BPS;
        uint256 toRequester = uint256(COLLATERAL) * REQUESTER_BPS / BPS;
        assertEq(arbitration.claimable(challenger), MIN_BOND + toChallenger, "bond back + share");
        assertEq(arbitration.claimable(requester), toRequester, "requester's share");
        assertEq(arbitration.claimable(treasury), COLLATERAL - toChallenger - toRequester, "treasury's share");
        assertEq(
            nnt.balanceOf(address(arbitration)),
            arbitration.claimable(challenger) + arbitration.claimable(requester) + arbitration.claimable(treasury),
            "holds exactly what it owes"
        );
        // the only trainer was the cheater: settlement pays nobody and refunds the whole escrow
        _settle(taskId);
        assertEq(market.claimable(address(0), requester), 1 ether, "budget refunded");
        assertLt(reputation.reputationOf(node), before, "reputation lost");
    }

    function test_resolve_withoutQuorum_releases() public {
        uint256 taskId = _submittedSingle();
        uint256 disputeId = _challenge(taskId, nodes[0]);
        // the challenger's own 990 NNT are far below the 4% quorum
        vm.prank(challenger);
        nnt.delegate(challenger);
        vm.roll(uint256(arbitration.getDispute(disputeId).voteEnd) + 1);
        arbitration.resolve(disputeId);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        assertEq(registry.getNode(nodes[0]).locked, COLLATERAL, "collateral untouched until settled");
    }

    function test_vote_countsWeightsAtTheSnapshot() public {
        uint256 taskId = _submittedSingle();
        uint256 disputeId = _challenge(taskId, nodes[0]);
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(d.heldSince, block.number - 1, "held since the block before the opening");
        assertEq(d.snapshot, block.number + DISPUTE_VOTING_DELAY, "snapshot after the voting delay");
        assertEq(d.voteEnd, uint256(d.snapshot) + VOTING_PERIOD, "vote ends a period after the snapshot");
        // tokens delegated after the snapshot do not vote
        _openVoting(disputeId);
        address late = makeAddr("late");
        assertTrue(nnt.transfer(late, 100_000_000 * NNT));
        vm.prank(late);
        nnt.delegate(late);
        vm.roll(block.number + 1);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoVotingPower.selector, disputeId, late));
        arbitration.vote(disputeId, true);
        // the juror's 10% counts, once
        vm.prank(juror);
        arbitration.vote(disputeId, false);
        assertEq(arbitration.getDispute(disputeId).releaseVotes, nnt.totalSupply() / 10);
        vm.prank(juror);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.AlreadyVoted.selector, disputeId, juror));
        arbitration.vote(disputeId, true);
    }

    /// @dev The one-block-loan attack on a dispute vote: NNT borrowed (and delegated) in the block
    ///      before the challenge and returned in the block after it must carry no weight, while a
    ///      holder who held before the dispute votes with its whole balance.
    function test_vote_oneBlockLoanAroundTheChallenge_hasNoWeight() public {
        uint256 taskId = _submittedSingle();
        address attacker = makeAddr("attacker"); // the challenger's accomplice
        uint256 loan = nnt.totalSupply() / 5; // 20%: above the quorum and the juror's 10%
        // block B-1: borrow (the test contract lends) and delegate
        assertTrue(nnt.transfer(attacker, loan));
        vm.prank(attacker);
        nnt.delegate(attacker);
        vm.roll(block.number + 1);
        // block B: challenge
        uint256 disputeId = _challenge(taskId, nodes[0]);
        // block B+1: repay
        vm.roll(block.number + 1);
        vm.prank(attacker);
        assertTrue(nnt.transfer(address(this), loan));
        vm.roll(block.number + 1);
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoVotingPower.selector, disputeId, attacker));
        arbitration.vote(disputeId, true);
        // the juror held (delegated) before the dispute: its whole 10% counts
        vm.prank(juror);
        arbitration.vote(disputeId, false);
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(d.releaseVotes, nnt.totalSupply() / 10, "juror's weight");
        assertEq(d.slashVotes, 0, "no borrowed weight");
        vm.roll(uint256(d.voteEnd) + 1);
        arbitration.resolve(disputeId);
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE, "stake whole");
    }

    /// @dev The snapshot block is known when the dispute opens: a one-block loan across it (borrow
    ///      in the snapshot block, repay in the next) must carry no weight either.
    function test_vote_oneBlockLoanAcrossTheSnapshot_hasNoWeight() public {
        uint256 taskId = _submittedSingle();
        address attacker = makeAddr("attacker");
        uint256 loan = nnt.totalSupply() / 5;
        uint256 disputeId = _challenge(taskId, nodes[0]);
        uint48 snapshot = arbitration.getDispute(disputeId).snapshot;
        vm.roll(snapshot);
        assertTrue(nnt.transfer(attacker, loan));
        vm.prank(attacker);
        nnt.delegate(attacker);
        vm.roll(uint256(snapshot) + 1);
        vm.prank(attacker);
        assertTrue(nnt.transfer(address(this), loan));
        assertEq(nnt.getPastVotes(attacker, snapshot), loan, "the token sees the loan at the snapshot");
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoVotingPower.selector, disputeId, attacker));
        arbitration.vote(disputeId, true);
        vm.prank(juror);
        arbitration.vote(disputeId, false);
        assertEq(arbitration.getDispute(disputeId).releaseVotes, nnt.totalSupply() / 10, "juror's whole weight");
    }

    /// @dev The lower of the votes at two known blocks (`heldSince` and the snapshot) was not
    ///      enough: one one-block loan across each of them counted in full. Weight must be held
    ///      at every block between them.
    function test_vote_twoOneBlockLoansAtHeldSinceAndSnapshot_haveNoWeight() public {
        uint256 taskId = _submittedSingle();
        address attacker = makeAddr("attacker");
        uint256 loan = nnt.totalSupply() / 5;
        vm.prank(attacker);
        nnt.delegate(attacker);
        // loan 1 across heldSince: borrow in block B-1, challenge and repay in B
        assertTrue(nnt.transfer(attacker, loan));
        vm.roll(block.number + 1);
        uint256 disputeId = _challenge(taskId, nodes[0]);
        vm.prank(attacker);
        assertTrue(nnt.transfer(address(this), loan));
        // loan 2 across the snapshot block
        uint48 snapshot = arbitration.getDispute(disputeId).snapshot;
        vm.roll(snapshot);
        assertTrue(nnt.transfer(attacker, loan));
        vm.roll(uint256(snapshot) + 1);
        vm.prank(attacker);
        assertTrue(nnt.transfer(address(this), loan));
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(nnt.getPastVotes(attacker, d.heldSince), loan, "the token sees loan 1 at heldSince");
        assertEq(nnt.getPastVotes(attacker, snapshot), loan, "and loan 2 at the snapshot");
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoVotingPower.selector, disputeId, attacker));
        arbitration.vote(disputeId, true);
    }

    /// @dev With the production profile's dispute parameters (a day of delay, three days of vote):
    ///      loans around the challenge and across the snapshot weigh nothing, the juror's 10% counts
    ///      and decides.
    function test_productionDisputeParams_oneBlockLoans_haveNoWeight() public {
        IArbitration.Params memory p = _arbitrationParams();
        p.votingDelay = PRODUCTION_DISPUTE_VOTING_DELAY;
        p.votingPeriod = PRODUCTION_DISPUTE_VOTING_PERIOD;
        p.quorumBps = PRODUCTION_DISPUTE_QUORUM_BPS;
        arbitration.setParams(p);
        uint256 taskId = _submittedSingle();
        address early = makeAddr("early borrower");
        address late = makeAddr("late borrower");
        uint256 loan = nnt.totalSupply() / 5;
        assertTrue(nnt.transfer(early, loan)); // block B-1
        vm.prank(early);
        nnt.delegate(early);
        vm.roll(block.number + 1);
        uint256 disputeId = _challenge(taskId, nodes[0]); // block B
        vm.roll(block.number + 1);
        vm.prank(early);
        assertTrue(nnt.transfer(address(this), loan)); // block B+1
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(d.snapshot, d.heldSince + 1 + PRODUCTION_DISPUTE_VOTING_DELAY, "a day after the opening");
        vm.roll(d.snapshot);
        assertTrue(nnt.transfer(late, loan)); // block S
        vm.prank(late);
        nnt.delegate(late);
        vm.roll(uint256(d.snapshot) + 1);
        vm.prank(late);
        assertTrue(nnt.transfer(address(this), loan)); // block S+1
        vm.prank(early);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoVotingPower.selector, disputeId, early));
        arbitration.vote(disputeId, true);
        vm.prank(late);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoVotingPower.selector, disputeId, late));
        arbitration.vote(disputeId, true);
        vm.prank(juror);
        arbitration.vote(disputeId, false);
        vm.roll(uint256(d.voteEnd) + 1);
        arbitration.resolve(disputeId);
        assertEq(uint256(arbitration.getDispute(disputeId).status), uint256(IArbitration.DisputeStatus.Released));
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE, "stake whole");
    }

    function test_vote_revertsBeforeTheSnapshotAndAfterThePeriod_resolveRevertsBefore() public {
        uint256 taskId = _submittedSingle();
        uint256 disputeId = _challenge(taskId, nodes[0]);
        uint48 snapshot = arbitration.getDispute(disputeId).snapshot;
        uint48 voteEnd = arbitration.getDispute(disputeId).voteEnd;
        // not in the opening block, nor in the snapshot block
        vm.expectRevert(abi.encodeWithSelector(IArbitration.VotingNotStarted.selector, disputeId, snapshot));
        arbitration.vote(disputeId, true);
        vm.roll(snapshot);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.VotingNotStarted.selector, disputeId, snapshot));
        arbitration.vote(disputeId, true);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.VotingOpen.selector, disputeId, voteEnd));
        arbitration.resolve(disputeId);
        vm.roll(uint256(voteEnd) + 1);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.VotingClosed.selector, disputeId, voteEnd));
        arbitration.vote(disputeId, true);
    }

    function test_challenge_revertsOutsideTheWindow_orWithASmallBond() public {
        uint256 taskId = _submittedSingle();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.BondTooSmall.selector, MIN_BOND - 1, MIN_BOND));
        arbitration.challenge(taskId, nodes[0], MIN_BOND - 1, "");
        _closeWindow(taskId);
        uint64 endsAt = market.getTask(taskId).submittedAt + CHALLENGE_WINDOW;
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.ChallengeWindowClosed.selector, taskId, endsAt));
        arbitration.challenge(taskId, nodes[0], MIN_BOND, "");
    }

    function test_challenge_revertsForANodeWithoutResult() public {
        uint256 taskId = _submittedSingle();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.NoResult.selector, taskId, nodes[5]));
        arbitration.challenge(taskId, nodes[5], MIN_BOND, "");
    }

    /// @dev Audit item 2: slashing one replica used to refund the whole budget and leave the
    ///      agreeing majority unpaid (the requester-challenger got the budget, its bond and most
    ///      of the slashed stake).
    function test_slash_inReplicatedTask_paysTheAgreeingReplicas() public {
        uint256 taskId = _assigned(_params());
        _submitAll(taskId, _three(RESULT_A, RESULT_A, RESULT_B));
        address[] memory assignees = market.assigneesOf(taskId);
        uint256 disputeId = _challenge(taskId, assignees[2]);
        _decide(disputeId, true);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        assertEq(registry.getNode(assignees[2]).staked, NODE_STAKE - COLLATERAL);
        assertEq(uint256(market.getTask(taskId).active), 2, "the slashed node is out");
        assertEq(market.claimable(address(0), requester), 0, "no refund before settlement");

        _settle(taskId);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        uint256 net = gross - gross * FEE_BPS / BPS;
        assertEq(market.claimable(address(0), assignees[0]), net, "majority paid by the formula");
        assertEq(market.claimable(address(0), assignees[1]), net, "majority paid by the formula");
        assertEq(market.claimable(address(0), assignees[2]), 0, "the cheater is not");
        assertEq(market.claimable(address(0), requester), 1 ether - 2 * gross, "only the cheater's share back");
        assertEq(registry.getNode(assignees[0]).locked, 0);
        assertEq(registry.getNode(assignees[0]).staked, NODE_STAKE);
    }

    function test_hooks_onlyDisputeRole() public {
        uint256 taskId = _submittedSingle();
        bytes32 role = market.DISPUTE_ROLE();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSignature("AccessControlUnauthorizedAccount(address,bytes32)", stranger, role));
        market.holdForDispute(taskId, ITaskMarket.TaskStatus.Disputed);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSignature("AccessControlUnauthorizedAccount(address,bytes32)", stranger, role));
        market.slashNode(taskId, nodes[0], stranger);
    }

    function test_setParams_rejectsSharesAboveWhole() public {
        IArbitration.Params memory p = _arbitrationParams();
        p.requesterShareBps = 6000;
        vm.expectRevert(abi.encodeWithSelector(IArbitration.InvalidShares.selector, 5000, 6000, NODE_BOND_BPS));
        arbitration.setParams(p);
    }

    function test_setParams_rejectsNoVotingDelay_noPeriod_orNoQuorum() public {
        IArbitration.Params memory p = _arbitrationParams();
        p.votingDelay = 0;
        vm.expectRevert(abi.encodeWithSelector(IArbitration.InvalidVoting.selector, 0, VOTING_PERIOD, QUORUM_BPS));
        arbitration.setParams(p);
        p.votingDelay = DISPUTE_VOTING_DELAY;
        p.votingPeriod = 0;
        vm.expectRevert(
            abi.encodeWithSelector(IArbitration.InvalidVoting.selector, DISPUTE_VOTING_DELAY, 0, QUORUM_BPS)
        );
        arbitration.setParams(p);
        p.votingPeriod = VOTING_PERIOD;
        p.quorumBps = 0;
        vm.expectRevert(
            abi.encodeWithSelector(IArbitration.InvalidVoting.selector, DISPUTE_VOTING_DELAY, VOTING_PERIOD, 0)
        );
        arbitration.setParams(p);
        p.quorumBps = uint16(BPS) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IArbitration.InvalidVoting.selector, DISPUTE_VOTING_DELAY, VOTING_PERIOD, uint16(BPS) + 1
            )
        );
        arbitration.setParams(p);
    }

    function test_setParams_votingDelay_emitsAndAppliesToNewDisputes() public {
        uint256 first = _challenge(_submittedSingle(), nodes[0]);
        IArbitration.Params memory p = _arbitrationParams();
        p.votingDelay = 7200;
        vm.expectEmit(true, true, true, true, address(arbitration));
        emit IArbitration.ParamsSet(p);
        arbitration.setParams(p);
        assertEq(arbitration.params().votingDelay, 7200);
        assertEq(arbitration.getDispute(first).snapshot, block.number + DISPUTE_VOTING_DELAY, "open one unchanged");
        ITaskMarket.TaskParams memory tp = _params();
        tp.replication = 1;
        uint256 taskId = _assigned(tp);
        _submit(taskId, nodes[0], HONEST);
        uint256 second = _challenge(taskId, nodes[0]);
        assertEq(arbitration.getDispute(second).snapshot, block.number + 7200, "new one: the new delay");
        assertEq(arbitration.getDispute(second).voteEnd, block.number + 7200 + VOTING_PERIOD);
    }

    /// @dev A dispute opened by the opener role (the spot-check contract) gets the same delayed
    ///      snapshot as a bonded challenge.
    function test_openDispute_byOpener_snapshotAfterTheDelay() public {
        uint256 taskId = _submittedSingle();
        vm.prank(address(spotCheck));
        uint256 disputeId = arbitration.openDispute(taskId, nodes[0], challenger, "ipfs://report");
        IArbitration.Dispute memory d = arbitration.getDispute(disputeId);
        assertEq(d.snapshot, block.number + DISPUTE_VOTING_DELAY);
        assertEq(d.bond, 0);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Disputed);
        _decide(disputeId, true);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted); // resumes without the slashed node
    }

    /// @dev Every payout path distributes exactly the bond plus the slashed collateral.
    function testFuzz_payouts_sumToBondPlusSlashed(uint96 bond, uint16 cBps, uint16 rBps, uint16 nBps, bool slash)
        public
    {
        cBps = uint16(bound(cBps, 0, BPS));
        rBps = uint16(bound(rBps, 0, BPS - cBps));
        nBps = uint16(bound(nBps, 0, BPS));
        bond = uint96(bound(bond, MIN_BOND, 1_000 * NNT));
        IArbitration.Params memory p = _arbitrationParams();
        (p.challengerShareBps, p.requesterShareBps, p.nodeBondShareBps) = (cBps, rBps, nBps);
        arbitration.setParams(p);
        uint256 taskId = _submittedSingle();
        vm.prank(challenger);
        uint256 disputeId = arbitration.challenge(taskId, nodes[0], bond, "");
        _decide(disputeId, slash);
        uint256 owed = arbitration.claimable(challenger) + arbitration.claimable(requester)
            + arbitration.claimable(treasury) + arbitration.claimable(nodes[0]);
        assertEq(owed, uint256(bond) + (slash ? COLLATERAL : 0), "distributed exactly");
        assertEq(nnt.balanceOf(address(arbitration)), owed, "held exactly");
    }

    function test_slash_recordsFailedVerification() public {
        uint256 taskId = _submittedSingle();
        _decide(_challenge(taskId, nodes[0]), true);
        IReputation.Params memory rp = reputation.params();
        assertEq(reputation.reputationOf(nodes[0]), 5000 - rp.failedLoss, "neutral minus the failure loss");
    }

    // ================================================================ audit item 12: quality challenges

    /// @dev A single oracle used to cut up to the quality weight of every payout with no recourse.
    function test_challengeQuality_upheldSetsTheClaimedScoreAndReturnsTheBond() public {
        uint256 taskId = _assigned(_params());
        _submitAll(taskId, _same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(taskId, 0, false); // a wrong (or hostile) report: rejected, quality 0
        vm.prank(challenger);
        uint256 disputeId = arbitration.challengeQuality(taskId, 9000, true, MIN_BOND, "ipfs://re-run");
        _assertStatus(taskId, ITaskMarket.TaskStatus.Disputed);
        (uint16 score, bool accepted, bool open) = arbitration.qualityClaimOf(disputeId);
        assertEq(uint256(score), 9000);
        assertTrue(accepted && open);
        _decide(disputeId, true);

        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        ITaskMarket.Task memory t = market.getTask(taskId);
        assertEq(uint256(t.qualityScore), 9000);
        assertFalse(t.rejected);
        assertEq(uint256(t.scoredBy), uint256(ITaskMarket.QualitySource.Arbitration));
        assertEq(arbitration.claimable(challenger), MIN_BOND, "bond back");
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotScorer.selector, taskId, oracle));
        vm.prank(oracle); // the decided score stands
        market.reportQuality(taskId, 0, false);
        _settle(taskId);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 9000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS, "paid at the decided score");
    }

    function test_challengeQuality_releasedKeepsTheReportAndTakesTheBond() public {
        uint256 taskId = _assigned(_params());
        _submitAll(taskId, _same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(taskId, 7000, true);
        vm.prank(challenger);
        uint256 disputeId = arbitration.challengeQuality(taskId, 10_000, true, MIN_BOND, "ipfs://greedy");
        _decide(disputeId, false);
        assertEq(uint256(market.getTask(taskId).qualityScore), 7000, "the report stands");
        assertEq(arbitration.claimable(challenger), 0);
        assertEq(arbitration.claimable(treasury), MIN_BOND, "a frivolous challenge costs its bond");
    }

    function test_challengeQuality_revertsOutsideTheWindowOrAboveMax() public {
        uint256 taskId = _assigned(_params());
        _submitAll(taskId, _same(3, RESULT_A));
        vm.expectRevert(abi.encodeWithSelector(IArbitration.InvalidScore.selector, 10_001));
        vm.prank(challenger);
        arbitration.challengeQuality(taskId, 10_001, true, MIN_BOND, "");
        uint64 endsAt = market.getTask(taskId).challengeEndsAt;
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(IArbitration.ChallengeWindowClosed.selector, taskId, endsAt));
        vm.prank(challenger);
        arbitration.challengeQuality(taskId, 5000, true, MIN_BOND, "");
    }
}
