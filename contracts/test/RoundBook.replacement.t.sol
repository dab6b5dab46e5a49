// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RoundBookFixture} from "./RoundBookFixture.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IMarketConfig} from "../src/interfaces/IMarketConfig.sol";
import {IRoundBook} from "../src/interfaces/IRoundBook.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Stragglers and their replacements in data-parallel tasks, money first: the market
///         admits the replacement the task's strategy picks among its unassigned applicants
///         (never the requester, the replaced node, a caller's Sybil that did not apply), locks
///         its collateral and pays it by its rounds; each missed round costs a straggler a
///         governed share of its collateral, to the treasury; the budget is conserved.
contract RoundBookReplacementTest is RoundBookFixture {
    uint16 internal constant ROUNDS = 5;
    uint16 internal constant PENALTY = 500; // the book's default per missed round

    // nodes[0..2]: the assignees (nodes[2] the straggler); nodes[3], nodes[4]: applicants not
    // assigned (the reserve); nodes[6]: registered and staked, never applied

    // ---------------------------------------------------------------- the whole path

    /// @dev nodes[2] commits round 1, misses 2 and 3, is replaced in round 4 by nodes[3], which
    ///      commits 4 and 5; everyone submits the agreed result. Paid by rounds 5/5/1/2 of the 15 seat-rounds (the 2 missed go back to the requester),
    ///      the straggler's collateral less 2 x 5%, the replacement's locked then released.
    function test_replacement_isAnAssignee_paidByItsRounds_andTheStragglerPaysItsPenalty() public {
        uint256 taskId = _withReserve(2);
        uint256 free = registry.freeStake(nodes[3]);
        _straggleAndReplace(taskId);
        assertEq(registry.freeStake(nodes[3]), free - COLLATERAL, "the replacement's collateral is locked");
        ITaskMarket.Participation memory p = market.participationOf(taskId, nodes[3]);
        assertTrue(p.assigned);
        assertEq(uint256(p.bond), uint256(ITaskMarket.Bond.Locked));
        assertEq(market.assigneesOf(taskId).length, 4);
        assertEq(uint256(market.getTask(taskId).active), 4);
        assertEq(uint256(market.participationOf(taskId, nodes[4]).bond), uint256(ITaskMarket.Bond.Released));

        _commitAllBut(taskId, 4, address(0));
        _commitAllBut(taskId, 5, address(0));
        assertEq(uint256(book.contributedRounds(taskId, nodes[3])), 2);
        assertEq(uint256(book.penaltyBpsOf(taskId, nodes[2])), 2 * PENALTY);
        assertEq(uint256(book.penaltyBpsOf(taskId, nodes[3])), 0);

        uint256 treasuryBefore = registry.claimable(treasury);
        uint256 stakeBefore = registry.getNode(nodes[2]).staked;
        _settleAll(taskId);
        uint256 penalty = uint256(COLLATERAL) * 2 * PENALTY / BPS;
        assertEq(registry.claimable(treasury) - treasuryBefore, penalty, "the penalty went to the treasury");
        assertEq(stakeBefore - registry.getNode(nodes[2]).staked, penalty, "taken from the straggler's stake");
        assertEq(registry.freeStake(nodes[3]), free, "the replacement's collateral is back");
        assertLt(_claimable(nodes[2]), _claimable(nodes[3]), "2 rounds pay more than 1");
        assertLt(0, _claimable(nodes[3]), "the replacement is paid");
    }

    // ---------------------------------------------------------------- attacks

    /// @dev The requester cannot open an honest member's seat: it must have missed rounds.
    function test_attack_theRequesterCannotReplaceAnHonestNodeToPocketItsShare() public {
        uint256 taskId = _withReserve(2);
        _commitAllBut(taskId, 1, address(0));
        vm.warp(block.timestamp + ROUND * 3);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotReplaceable.selector, taskId, nodes[0], 0, MAX_MISSED));
        book.replace(taskId, nodes[0]);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NoVacantSeat.selector, taskId));
        book.join(taskId);
    }

    /// @dev The requester runs a node that applied after the assignees (first in line for a
    ///      seat by application order): it is never picked; with no other candidate, no one is.
    function test_attack_theRequestersOwnNodeIsNeverPicked() public {
        _registerAndStake(requester, NODE_STAKE, NODE_CLASS);
        uint256 taskId = _publishedBook(ROUNDS);
        _apply(taskId, K);
        vm.prank(requester);
        market.applyForTask(taskId);
        market.assign(taskId);
        book.start(taskId);
        _missTwice(taskId);
        vm.prank(requester);
        book.replace(taskId, nodes[2]); // no candidate: the seat stays open
        assertEq(book.membersOf(taskId)[2], address(0));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NoReplacementCandidate.selector, taskId));
        book.join(taskId);
        assertEq(uint256(market.participationOf(taskId, requester).bond), uint256(ITaskMarket.Bond.Released));
    }

    /// @dev Sybils racing for the seat: the caller does not choose. A registered node that never
    ///      applied triggers the replacement: the first reserve (the strategy's pick, first-come)
    ///      is seated; once a seat is open for want of a candidate, `join` by the second reserve
    ///      seats whoever the market picks, not the caller.
    function test_attack_sybilsRacingForTheSeatDoNotChooseWhoIsSeated() public {
        uint256 taskId = _withReserve(2);
        _missTwice(taskId);
        vm.prank(nodes[6]); // a Sybil that never applied
        book.replace(taskId, nodes[2]);
        assertEq(book.membersOf(taskId)[2], nodes[3]);
        assertEq(uint256(market.participationOf(taskId, nodes[6]).bond), uint256(ITaskMarket.Bond.None));
        assertFalse(market.participationOf(taskId, nodes[4]).assigned);
        vm.prank(nodes[6]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NoVacantSeat.selector, taskId));
        book.join(taskId);
    }

    /// @dev No candidate when the seat opened (both reserves below the task's hardware class):
    ///      it stays open, the round closes without it; once both are eligible again, the one
    ///      calling `join` does not take the seat ahead of the first in line.
    function test_join_fillsASeatLeftOpenWithTheMarketsPick() public {
        uint256 taskId = _withReserve(2);
        _missTwice(taskId);
        _setClass(nodes[3], 0);
        _setClass(nodes[4], 0);
        book.replace(taskId, nodes[2]);
        assertEq(uint256(book.getBook(taskId).vacant), 1);
        _commitAllBut(taskId, 3, address(0)); // two seated members close round 3
        assertEq(uint256(book.getBook(taskId).closed), 3);
        _setClass(nodes[3], NODE_CLASS);
        _setClass(nodes[4], NODE_CLASS);
        vm.prank(nodes[4]);
        assertEq(book.join(taskId), nodes[3]);
        assertEq(uint256(book.participantOf(taskId, nodes[3]).joinedRound), 4);
    }

    /// @dev A replacement that fails for another reason than a missing candidate reverts: no
    ///      caller can leave the seat open on purpose. At every gas limit the call either fails
    ///      and changes nothing, or seats the reserve; it never opens the seat and leaves it open
    ///      (the admission starved of gas by the 63/64 rule).
    function test_attack_replaceCannotBeStarvedIntoLeavingTheSeatOpen() public {
        uint256 taskId = _withReserve(2);
        _missTwice(taskId);
        uint256 failed;
        uint256 snapshot = vm.snapshotState();
        for (uint256 gas = 50_000; gas <= 600_000; gas += 10_000) {
            (bool ok,) = address(book).call{gas: gas}(abi.encodeCall(book.replace, (taskId, nodes[2])));
            address holder = book.membersOf(taskId)[2];
            if (ok) assertEq(holder, nodes[3], "replaced: the seat is filled");
            else assertEq(holder, nodes[2], "failed: nothing happened");
            if (!ok) ++failed;
            vm.revertToState(snapshot);
        }
        assertTrue(failed > 0 && failed < 56, "some limits too low, some enough");
    }

    /// @dev The pick follows the task's strategy: under lowest-price the cheaper reserve gets
    ///      the seat though it applied last and the other calls `join`.
    function test_join_picksByTheTasksStrategy() public {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(lowestPrice);
        for (uint256 i; i < 5; ++i) {
            vm.prank(nodes[i]);
            registry.setPrice(address(0), i == 4 ? 1 : 100);
        }
        uint256 taskId = _publish(p);
        vm.prank(requester);
        book.open(taskId, K, ROUNDS, ROUND);
        _apply(taskId, 4); // nodes[0..3]; nodes[4] last
        vm.prank(nodes[4]);
        market.applyForTask(taskId);
        vm.warp(p.applyDeadline);
        market.assign(taskId); // nodes[4] is the cheapest: assigned; nodes[3] and one other wait
        address[] memory assignees = market.assigneesOf(taskId);
        book.start(taskId);
        address straggler = assignees[0];
        for (uint16 r = 1; r <= MAX_MISSED; ++r) {
            _commitAllBut(taskId, r, straggler);
            _closeAfterDeadline(taskId);
        }
        vm.prank(nodes[5]); // a cheaper node that never applied: not a candidate
        registry.setPrice(address(0), 1);
        // the reserves (not assigned): two of nodes[0..3]; the later one in line turns cheaper
        address[] memory reserves = new address[](2);
        uint256 n;
        for (uint256 i; i < 5; ++i) {
            if (!market.participationOf(taskId, nodes[i]).assigned) reserves[n++] = nodes[i];
        }
        assertEq(n, 2);
        vm.prank(reserves[1]);
        registry.setPrice(address(0), 2);
        vm.prank(reserves[0]);
        book.replace(taskId, straggler);
        assertEq(_seatOf(taskId, reserves[1]), reserves[1]); // though the other triggered it
        assertTrue(market.participationOf(taskId, reserves[1]).assigned, "the cheaper reserve");
        assertEq(market.participationOf(taskId, reserves[1]).price, 2, "its price is fixed at admission");
    }

    /// @dev A strategy that cannot pick any more (a stake-weighted draw whose block hash is
    ///      stale, 256 blocks on) does not block the replacement: the first candidate in
    ///      application order takes the seat.
    function test_join_fallsBackToApplicationOrderWhenTheStrategyCannotPick() public {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(stakeWeighted);
        uint256 taskId = _publish(p);
        vm.prank(requester);
        book.open(taskId, K, ROUNDS, ROUND);
        _apply(taskId, 5);
        vm.warp(p.applyDeadline);
        uint64 target = stakeWeighted.commitDraw(taskId);
        vm.roll(target + 1);
        vm.setBlockhash(target, keccak256("a hash"));
        market.assign(taskId);
        book.start(taskId);
        address straggler = market.assigneesOf(taskId)[0];
        address first; // the first applicant not assigned
        for (uint256 i; i < 5 && first == address(0); ++i) {
            if (!market.participationOf(taskId, nodes[i]).assigned) first = nodes[i];
        }
        vm.roll(block.number + 300); // the draw's block hash is gone: the strategy reverts
        address[] memory candidates = new address[](1);
        candidates[0] = first;
        vm.expectRevert();
        stakeWeighted.select(taskId, candidates, 1);
        for (uint16 r = 1; r <= MAX_MISSED; ++r) {
            _commitAllBut(taskId, r, straggler);
            _closeAfterDeadline(taskId);
        }
        book.replace(taskId, straggler);
        assertEq(_seatOf(taskId, first), first);
    }

    /// @dev A replaced straggler that still delivers the agreed result is paid its one round,
    ///      less its penalty; it cannot commit again nor be seated again.
    function test_attack_aReplacedNodeThatStillSubmitsIsPaidOnlyItsRoundsLessItsPenalty() public {
        uint256 taskId = _withReserve(2);
        _straggleAndReplace(taskId);
        vm.prank(nodes[2]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotMember.selector, taskId, nodes[2]));
        book.commit(taskId, 4, _delta(nodes[2], 4), _startOf(4), "");
        _commitAllBut(taskId, 4, address(0));
        _commitAllBut(taskId, 5, address(0));
        (address[] memory who, uint16[] memory shares) = book.payShares(taskId);
        assertEq(who[2], nodes[2]);
        assertEq(uint256(shares[2]), 666); // 1 of the 15 seat-rounds
        _settleAll(taskId);
        assertEq(registry.getNode(nodes[2]).locked, 0, "its collateral is out of the task");
    }

    /// @dev Only the bound round book admits a replacement.
    function test_attack_onlyTheRoundBookMayAdmit() public {
        uint256 taskId = _withReserve(2);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotRoundBook.selector, requester));
        market.admitReplacement(taskId);
    }

    /// @dev A reserve that stopped being eligible (its stake went to other tasks) is skipped.
    function test_join_skipsAReserveThatIsNoLongerEligible() public {
        uint256 taskId = _withReserve(2);
        _missTwice(taskId);
        uint256 freeStake = registry.freeStake(nodes[3]);
        vm.prank(nodes[3]);
        registry.requestUnbond(freeStake - COLLATERAL + 1);
        book.replace(taskId, nodes[2]);
        assertEq(book.membersOf(taskId)[2], nodes[4]);
    }

    // ---------------------------------------------------------------- the penalty

    /// @dev A replacement's joining round is its grace round; the next one it misses counts.
    function test_penalty_aReplacementsJoiningRoundIsItsGraceRound() public {
        uint256 taskId = _withReserve(2);
        _straggleAndReplace(taskId);
        _commitAllBut(taskId, 4, nodes[3]);
        _closeAfterDeadline(taskId); // round 4: the replacement joined in it and missed it
        assertEq(uint256(book.participantOf(taskId, nodes[3]).missed), 0);
        _commitAllBut(taskId, 5, nodes[3]);
        _closeAfterDeadline(taskId);
        assertEq(uint256(book.participantOf(taskId, nodes[3]).missed), 1);
        assertEq(uint256(book.penaltyBpsOf(taskId, nodes[3])), PENALTY);
    }

    /// @dev Governed within bounds by the admin only; each book keeps the value it opened with;
    ///      a node's penalty is capped at MAX_PENALTY_BPS.
    function test_penalty_boundedGovernedFixedAtOpenAndCapped() public {
        assertEq(uint256(book.missedRoundPenaltyBps()), PENALTY);
        uint16 max = book.MAX_MISSED_ROUND_PENALTY_BPS();
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.InvalidMissedRoundPenalty.selector, max + 1, max));
        book.setMissedRoundPenaltyBps(max + 1);
        bytes32 admin = book.DEFAULT_ADMIN_ROLE();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, requester, admin)
        );
        book.setMissedRoundPenaltyBps(0);

        book.setMissedRoundPenaltyBps(max);
        ITaskMarket.TaskParams memory p = _params();
        p.deadline = START + 30 days;
        uint256 taskId = _publish(p);
        vm.prank(requester);
        book.open(taskId, K, 8, ROUND);
        book.setMissedRoundPenaltyBps(0); // later books only
        _apply(taskId, K);
        vm.warp(p.applyDeadline);
        market.assign(taskId);
        book.start(taskId);
        for (uint16 r = 1; r <= 7; ++r) {
            _commitAllBut(taskId, r, nodes[2]); // never replaced: nobody calls replace
            _closeAfterDeadline(taskId);
        }
        assertEq(uint256(book.participantOf(taskId, nodes[2]).missed), 7);
        assertEq(uint256(book.penaltyBpsOf(taskId, nodes[2])), book.MAX_PENALTY_BPS(), "7 x 10% capped at 50%");
        assertEq(uint256(book.penaltyBpsOf(taskId + 1, nodes[2])), 0, "no book: no penalty");
    }

    /// @dev A straggler that gives up pays the larger of its missed-round penalty and the
    ///      abandon penalty.
    function test_penalty_aStragglerCannotEscapeItByAbandoning() public {
        config.setAbandonPenalty(500); // 5%, below 2 missed rounds x 5%
        uint256 taskId = _withReserve(0);
        _missTwice(taskId);
        uint256 before = registry.claimable(treasury);
        vm.prank(nodes[2]);
        market.abandon(taskId, ITaskMarket.AbandonReason(0));
        assertEq(registry.claimable(treasury) - before, uint256(COLLATERAL) * 2 * PENALTY / BPS);
    }

    // ---------------------------------------------------------------- conservation

    /// @dev Any pattern of commitments over 5 rounds by the three members and (once the
    ///      straggler was replaced) the replacement: paid + refund + fees == budget, each node
    ///      paid by its share, every penalty taken from collateral, never from the budget.
    function testFuzz_replacement_conservesTheBudget(uint32 commits, uint96 budget) public {
        budget = uint96(bound(budget, 1e6, 1000 ether));
        ITaskMarket.TaskParams memory p = _params();
        p.budget = budget;
        uint256 taskId = _publish(p);
        vm.prank(requester);
        book.open(taskId, K, ROUNDS, ROUND);
        _apply(taskId, K + 1);
        vm.warp(p.applyDeadline);
        market.assign(taskId);
        book.start(taskId);
        for (uint16 r = 1; r <= ROUNDS; ++r) {
            if (
                book.participantOf(taskId, nodes[2]).seat != 0
                    && book.participantOf(taskId, nodes[2]).missed >= MAX_MISSED
            ) {
                book.replace(taskId, nodes[2]); // nodes[3] takes the seat
            }
            address[] memory members = book.membersOf(taskId);
            uint256 committed;
            for (uint256 i; i < K; ++i) {
                if ((commits >> ((r - 1) * 4 + i)) & 1 == 1) {
                    _commit(taskId, members[i], r);
                    ++committed;
                }
            }
            if (committed < K) _closeAfterDeadline(taskId);
        }
        _settleAll(taskId);
    }

    // ---------------------------------------------------------------- helpers

    function _publishedBook(uint16 rounds) internal returns (uint256 taskId) {
        taskId = _publish(_params());
        vm.prank(requester);
        book.open(taskId, K, rounds, ROUND);
    }

    /// @dev A 5-round book on a 1-ether task assigned to nodes[0..2], with `reserves` more
    ///      applicants (nodes[3], nodes[4], ...) not assigned, started.
    function _withReserve(uint256 reserves) internal returns (uint256 taskId) {
        taskId = _publishedBook(ROUNDS);
        _apply(taskId, K + reserves);
        vm.warp(_params().applyDeadline);
        market.assign(taskId);
        book.start(taskId);
    }

    /// @dev nodes[2] misses rounds 1 and 2 (replaceable from round 3).
    function _missTwice(uint256 taskId) internal {
        for (uint16 r = 1; r <= MAX_MISSED; ++r) {
            _commitAllBut(taskId, r, nodes[2]);
            _closeAfterDeadline(taskId);
        }
    }

    /// @dev nodes[2] commits round 1, misses 2 and 3; anyone replaces it in round 4, and nodes[3]
    ///      (the first reserve) is seated from round 4 in the same transaction.
    function _straggleAndReplace(uint256 taskId) internal {
        _commitAllBut(taskId, 1, address(0));
        for (uint16 r = 2; r <= 3; ++r) {
            _commitAllBut(taskId, r, nodes[2]);
            _closeAfterDeadline(taskId);
        }
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.ReplacementAdmitted(taskId, nodes[3], 0);
        vm.prank(stranger);
        book.replace(taskId, nodes[2]); // filled at once with the market's pick
        assertEq(book.membersOf(taskId)[2], nodes[3]);
        assertEq(uint256(book.participantOf(taskId, nodes[3]).joinedRound), 4);
    }

    /// @dev Every active assignee submits the agreed result; settles; then checks that each
    ///      participant of the book was credited its share of the node pay, computed before
    ///      settlement (which records reputations) and written out independently: cost =
    ///      budget / k * shareBps * k / BPS, gross = cost * factor / BPS; and that the budget is
    ///      conserved: nodes + requester + treasury == budget.
    function _settleAll(uint256 taskId) internal {
        (address[] memory who, uint16[] memory shares) = book.payShares(taskId);
        IMarketConfig.SettlementParams memory s = config.settlementParams();
        ITaskMarket.Task memory t = market.getTask(taskId);
        uint256[] memory net = new uint256[](who.length);
        for (uint256 i; i < who.length; ++i) {
            uint256 f = uint256(s.baseWeightBps) + uint256(s.qualityWeightBps) * t.qualityScore / BPS
                + uint256(s.reputationWeightBps) * reputation.reputationOf(who[i]) / BPS;
            uint256 gross = _mulDiv(t.budget / K * shares[i] * K / BPS, f, BPS);
            net[i] = gross - gross * FEE_BPS / BPS;
        }
        address[] memory assignees = market.assigneesOf(taskId);
        for (uint256 i; i < assignees.length; ++i) {
            ITaskMarket.Participation memory p = market.participationOf(taskId, assignees[i]);
            if (!p.dropped && !p.submitted) _submit(taskId, assignees[i], RESULT_A);
        }
        _settle(taskId);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Settled);
        uint256 sum = _claimable(requester) + _claimable(treasury);
        for (uint256 i; i < who.length; ++i) {
            assertEq(_claimable(who[i]), net[i], "net by share");
            sum += _claimable(who[i]);
        }
        assertEq(sum, t.budget, "paid + refund + fees == budget");
    }

    function _setClass(address node, uint8 hardwareClass) internal {
        vm.prank(node);
        registry.updateProfile(keccak256("profile"), hardwareClass);
    }

    function _seatOf(uint256 taskId, address node) internal view returns (address) {
        return book.participantOf(taskId, node).seat != 0 ? node : address(0);
    }

    function _claimable(address account) internal view returns (uint256) {
        return market.claimable(address(0), account);
    }
}
