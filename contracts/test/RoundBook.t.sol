// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RoundBookFixture} from "./RoundBookFixture.sol";
import {IRoundBook} from "../src/interfaces/IRoundBook.sol";
import {IBoundRoles} from "../src/interfaces/IBoundRoles.sol";
import {IVersioned} from "../src/interfaces/IVersioned.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {RoundBook} from "../src/parallel/RoundBook.sol";

contract RoundBookTest is RoundBookFixture {
    // ---------------------------------------------------------------- open and start

    function test_open_recordsTheRequestersDeclaration() public {
        uint256 taskId = _publish(_params());
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.BookOpened(taskId, requester, K, R, ROUND, MAX_MISSED);
        vm.prank(requester);
        book.open(taskId, K, R, ROUND);
        IRoundBook.Book memory b = book.getBook(taskId);
        assertEq(uint256(b.status), uint256(IRoundBook.BookStatus.Opened));
        assertEq(b.requester, requester);
        assertEq(uint256(b.nodes), K);
        assertEq(uint256(b.rounds), R);
        assertEq(uint256(b.current), 0);
    }

    function test_open_revertsForAStrangerAWrongKAShortRoundOrTwice() public {
        uint256 taskId = _publish(_params());
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotBookRequester.selector, taskId, stranger));
        book.open(taskId, K, R, ROUND);
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.InvalidNodeCount.selector, taskId, 2, 3));
        book.open(taskId, 2, R, ROUND);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.InvalidRoundCount.selector, 0, 512));
        book.open(taskId, K, 0, ROUND);
        // a requester cannot starve its nodes with rounds too short to train in
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.RoundTooShort.selector, MIN_ROUND - 1, MIN_ROUND));
        book.open(taskId, K, R, MIN_ROUND - 1);
        // nor declare more rounds than fit before the market's deadline (23 hours after applications)
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.RoundsPastDeadline.selector, taskId, 24 hours, 23 hours));
        book.open(taskId, K, 24, 1 hours);
        book.open(taskId, K, R, ROUND);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.BookExists.selector, taskId));
        book.open(taskId, K, R, ROUND);
        vm.stopPrank();
    }

    function test_open_revertsOnceTheTaskIsAssigned() public {
        uint256 taskId = _assigned(_params());
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(IRoundBook.TaskNotReady.selector, taskId, uint8(ITaskMarket.TaskStatus.Assigned))
        );
        book.open(taskId, K, R, ROUND);
    }

    function test_start_seatsTheAssigneesAndOpensRoundOne() public {
        uint256 taskId = _publishedWithBook();
        vm.expectRevert(
            abi.encodeWithSelector(IRoundBook.TaskNotReady.selector, taskId, uint8(ITaskMarket.TaskStatus.Published))
        );
        book.start(taskId);
        _apply(taskId, K);
        market.assign(taskId);
        book.start(taskId);
        address[] memory members = book.membersOf(taskId);
        address[] memory assignees = market.assigneesOf(taskId);
        assertEq(members.length, 3);
        for (uint256 i; i < 3; ++i) {
            assertEq(members[i], assignees[i]);
            assertEq(uint256(book.participantOf(taskId, members[i]).seat), i + 1);
        }
        IRoundBook.Round memory rd = book.getRound(taskId, 1);
        assertEq(uint256(rd.status), uint256(IRoundBook.RoundStatus.Open));
        assertEq(uint256(rd.deadline), block.timestamp + ROUND);
        assertEq(uint256(_bookStatus(taskId)), uint256(IRoundBook.BookStatus.Running));
    }

    function test_commit_startsAnAssignedBook() public {
        uint256 taskId = _publishedWithBook();
        _apply(taskId, K);
        market.assign(taskId);
        _commit(taskId, nodes[0], 1);
        assertEq(uint256(_bookStatus(taskId)), uint256(IRoundBook.BookStatus.Running));
        assertEq(uint256(book.commitmentOf(taskId, 1, nodes[0]).state), uint256(IRoundBook.CommitState.Committed));
    }

    // ---------------------------------------------------------------- rounds

    function test_rounds_closeWhenEveryMemberCommitted_andTheBookFinishes() public {
        uint256 taskId = _running();
        for (uint16 r = 1; r <= R; ++r) {
            _commitAllBut(taskId, r, address(0));
            assertEq(uint256(book.getRound(taskId, r).status), uint256(IRoundBook.RoundStatus.Closed));
            assertEq(book.getRound(taskId, r).startDigest, _startOf(r));
        }
        IRoundBook.Book memory b = book.getBook(taskId);
        assertEq(uint256(b.status), uint256(IRoundBook.BookStatus.Finished));
        assertEq(uint256(b.closed), R);
        assertEq(uint256(b.totalContributed), 9);
        for (uint256 i; i < K; ++i) {
            assertEq(uint256(book.contributedRounds(taskId, nodes[i])), R);
        }
        (address[] memory paid, uint16[] memory shares) = book.payShares(taskId);
        assertEq(paid.length, 3);
        assertEq(uint256(shares[0]), 3334); // 3333 each, the remainder to the first of the most
        assertEq(uint256(shares[1]), 3333);
        assertEq(uint256(shares[2]), 3333);
        vm.prank(nodes[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRoundBook.InvalidBookStatus.selector,
                taskId,
                IRoundBook.BookStatus.Finished,
                IRoundBook.BookStatus.Running
            )
        );
        book.commit(taskId, R, keccak256("late"), _startOf(R), "");
    }

    function test_closeRound_marksTheStraggler_andPaysByContributedRounds() public {
        uint256 taskId = _running();
        _commitAllBut(taskId, 1, nodes[2]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRoundBook.RoundDeadlineNotReached.selector, taskId, 1, book.getRound(taskId, 1).deadline
            )
        );
        book.closeRound(taskId);
        vm.warp(book.getRound(taskId, 1).deadline + 1);
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.RoundMissed(taskId, 1, nodes[2], 1);
        book.closeRound(taskId);
        _commitAllBut(taskId, 2, address(0));
        _commitAllBut(taskId, 3, address(0));
        assertEq(uint256(book.contributedRounds(taskId, nodes[2])), 2);
        assertEq(uint256(book.participantOf(taskId, nodes[2]).missed), 1);
        (, uint16[] memory shares) = book.payShares(taskId); // 3, 3, 2 of the 9 seat-rounds
        assertEq(uint256(shares[0]), 3333);
        assertEq(uint256(shares[1]), 3333);
        assertEq(uint256(shares[2]), 2222); // the missed round goes back to the requester
    }

    function test_aRoundNobodyCommittedCloses_andPaysNobody() public {
        uint256 taskId = _running();
        _closeAfterDeadline(taskId);
        assertEq(uint256(book.getBook(taskId).totalContributed), 0);
        (, uint16[] memory shares) = book.payShares(taskId);
        for (uint256 i; i < shares.length; ++i) {
            assertEq(uint256(shares[i]), 0);
        }
        assertEq(uint256(book.getBook(taskId).current), 2);
    }

    // ---------------------------------------------------------------- attackers

    function test_attack_aNonMemberCannotCommit() public {
        uint256 taskId = _running();
        vm.prank(nodes[5]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotMember.selector, taskId, nodes[5]));
        book.commit(taskId, 1, keccak256("delta"), INIT, "");
    }

    function test_attack_aMemberCannotCommitTwiceInARound() public {
        uint256 taskId = _running();
        _commit(taskId, nodes[0], 1);
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.AlreadyCommitted.selector, taskId, 1, nodes[0]));
        book.commit(taskId, 1, keccak256("second delta"), INIT, "");
        assertEq(uint256(book.getRound(taskId, 1).commits), 1);
    }

    function test_attack_aMemberCannotCommitAfterTheDeadlineOrForAnotherRound() public {
        uint256 taskId = _running();
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.WrongRound.selector, taskId, 2, 1));
        book.commit(taskId, 2, keccak256("ahead"), INIT, "");
        uint64 deadline = book.getRound(taskId, 1).deadline;
        vm.warp(deadline + 1);
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.RoundDeadlinePassed.selector, taskId, 1, deadline));
        book.commit(taskId, 1, keccak256("late"), INIT, "");
    }

    function test_attack_aDisagreeingStartDigestFlagsTheRound() public {
        uint256 taskId = _running();
        _commit(taskId, nodes[0], 1);
        bytes32 wrong = keccak256("weights it did not start from");
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.StartDigestDisputed(taskId, 1, nodes[1], INIT, wrong);
        vm.prank(nodes[1]);
        book.commit(taskId, 1, _delta(nodes[1], 1), wrong, "");
        IRoundBook.Round memory rd = book.getRound(taskId, 1);
        assertTrue(rd.disputed);
        assertEq(rd.startDigest, INIT);
        assertEq(book.commitmentOf(taskId, 1, nodes[1]).startDigest, wrong); // kept as evidence
    }

    function test_attack_aCopiedDeltaIsRecordedAndFlagsTheRound() public {
        uint256 taskId = _running();
        _commit(taskId, nodes[0], 1);
        // a lazy member commits the delta it read from the first member's transaction
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.DeltaDuplicated(taskId, 1, nodes[1], nodes[0], _delta(nodes[0], 1));
        vm.prank(nodes[1]);
        book.commit(taskId, 1, _delta(nodes[0], 1), INIT, "");
        assertTrue(book.getRound(taskId, 1).disputed);
        // not refused: a front-runner cannot push an honest member out of the round
        assertEq(uint256(book.commitmentOf(taskId, 1, nodes[1]).state), uint256(IRoundBook.CommitState.Committed));
        _commit(taskId, nodes[2], 1);
        assertEq(uint256(book.getRound(taskId, 2).status), uint256(IRoundBook.RoundStatus.Open));
        assertFalse(book.getRound(taskId, 2).disputed);
    }

    function test_attack_zeroDigestsAreRefused() public {
        uint256 taskId = _running();
        vm.prank(nodes[0]);
        vm.expectRevert(IRoundBook.ZeroDigest.selector);
        book.commit(taskId, 1, bytes32(0), INIT, "");
    }

    function test_attack_aReplacedStragglerCannotCommit_andItsSeatGoesToAnEligibleNode() public {
        uint256 taskId = _publishedWithBook();
        _apply(taskId, K);
        vm.prank(nodes[5]); // an applicant not assigned: a candidate for a seat
        market.applyForTask(taskId);
        market.assign(taskId);
        book.start(taskId);
        for (uint16 r = 1; r <= MAX_MISSED; ++r) {
            if (r < MAX_MISSED) {
                // not replaceable before it missed MAX_MISSED rounds
                vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotReplaceable.selector, taskId, nodes[2], r - 1, 2));
                book.replace(taskId, nodes[2]);
            }
            _commitAllBut(taskId, r, nodes[2]);
            _closeAfterDeadline(taskId);
        }
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.SeatOpened(taskId, 3, nodes[2], 2);
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.SeatFilled(taskId, 3, nodes[5], 3); // at once: the market's candidate
        vm.prank(stranger); // anyone may replace it
        book.replace(taskId, nodes[2]);
        assertEq(book.membersOf(taskId)[2], nodes[5]);
        assertTrue(book.participantOf(taskId, nodes[2]).replaced);
        vm.prank(nodes[2]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotMember.selector, taskId, nodes[2]));
        book.commit(taskId, 3, _delta(nodes[2], 3), _startOf(3), "");
        vm.prank(nodes[6]);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NoVacantSeat.selector, taskId));
        book.join(taskId);

        _commitAllBut(taskId, 3, address(0)); // the replacement closes the round with the others
        assertEq(uint256(_bookStatus(taskId)), uint256(IRoundBook.BookStatus.Finished));
        (address[] memory paid, uint16[] memory shares) = book.payShares(taskId);
        assertEq(paid.length, 4);
        assertEq(paid[3], nodes[5]);
        assertEq(uint256(shares[2]), 0); // the straggler contributed nothing
        assertEq(uint256(shares[0]) + shares[1] + shares[3], 7777); // 7 of the 9 seat-rounds done
        assertEq(uint256(shares[3]), 1111); // 1 of 9
    }

    function test_attack_aMemberThatCommittedThisRoundIsNotReplacedInIt() public {
        uint256 taskId = _running();
        for (uint16 r = 1; r <= MAX_MISSED; ++r) {
            _commitAllBut(taskId, r, nodes[2]);
            _closeAfterDeadline(taskId);
        }
        _commit(taskId, nodes[2], 3); // back at work: its commitment counts towards closing
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotReplaceable.selector, taskId, nodes[2], 2, 2));
        book.replace(taskId, nodes[2]);
    }

    function test_attack_aRequesterThatIsAlsoAMemberGetsNoOtherPower() public {
        // the requester runs a node too: registered, staked, applying to its own task
        _registerAndStake(requester, NODE_STAKE, NODE_CLASS);
        uint256 taskId = _publishedWithBook();
        vm.prank(requester);
        market.applyForTask(taskId);
        _apply(taskId, 2);
        market.assign(taskId);
        book.start(taskId);
        assertEq(uint256(book.participantOf(taskId, requester).seat), 1);
        // it cannot close a round early to make the others stragglers ...
        _commit(taskId, requester, 1);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRoundBook.RoundDeadlineNotReached.selector, taskId, 1, book.getRound(taskId, 1).deadline
            )
        );
        book.closeRound(taskId);
        // ... nor replace a member that has not missed ...
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.NotReplaceable.selector, taskId, nodes[0], 0, 2));
        book.replace(taskId, nodes[0]);
        // ... nor refute another's round (only the spot-check and arbitration may)
        _commit(taskId, nodes[0], 1);
        vm.prank(requester);
        vm.expectRevert();
        book.refute(taskId, nodes[0], 1);
        // it is paid for its rounds like any member, no more
        _commit(taskId, nodes[1], 1);
        assertEq(uint256(book.contributedRounds(taskId, requester)), 1);
        assertEq(uint256(book.contributedRounds(taskId, nodes[0])), 1);
    }

    // ---------------------------------------------------------------- refutation

    function test_refute_removesTheRoundAndFreezesTheBook() public {
        uint256 taskId = _running();
        _commitAllBut(taskId, 1, address(0));
        _commitAllBut(taskId, 2, address(0));
        vm.expectEmit(true, true, true, true, address(book));
        emit IRoundBook.RoundRefuted(taskId, 2, nodes[1], refuter);
        vm.prank(refuter);
        book.refute(taskId, nodes[1], 2);
        IRoundBook.Book memory b = book.getBook(taskId);
        assertEq(uint256(b.status), uint256(IRoundBook.BookStatus.Frozen));
        assertEq(uint256(b.refutedRound), 2);
        assertEq(uint256(b.totalContributed), 5);
        assertEq(uint256(book.contributedRounds(taskId, nodes[1])), 1);
        assertEq(uint256(book.commitmentOf(taskId, 2, nodes[1]).state), uint256(IRoundBook.CommitState.Refuted));
        // frozen: no round commits or closes again
        vm.prank(nodes[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRoundBook.InvalidBookStatus.selector, taskId, IRoundBook.BookStatus.Frozen, IRoundBook.BookStatus.Running
            )
        );
        book.commit(taskId, 3, _delta(nodes[0], 3), _startOf(3), "");
        // twice is refused; an earlier round lowers refutedRound
        vm.startPrank(refuter);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRoundBook.NotRefutable.selector, taskId, 2, nodes[1], IRoundBook.CommitState.Refuted
            )
        );
        book.refute(taskId, nodes[1], 2);
        book.refute(taskId, nodes[1], 1);
        vm.stopPrank();
        assertEq(uint256(book.getBook(taskId).refutedRound), 1);
        (, uint16[] memory shares) = book.payShares(taskId);
        assertEq(uint256(shares[0]), 2222); // 2 of 9: the others' pay does not rise with a refutation
        assertEq(uint256(shares[1]), 0);
        assertEq(uint256(shares[2]), 2222);
    }

    function test_refute_aRoundNotCommittedIsRefused() public {
        uint256 taskId = _running();
        vm.prank(refuter);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.UnknownRound.selector, taskId, 2));
        book.refute(taskId, nodes[0], 2);
        vm.prank(refuter);
        vm.expectRevert(
            abi.encodeWithSelector(IRoundBook.NotRefutable.selector, taskId, 1, nodes[0], IRoundBook.CommitState.None)
        );
        book.refute(taskId, nodes[0], 1);
    }

    // ---------------------------------------------------------------- roles and governance

    function test_refuterRole_isBoundOnce() public {
        bytes32 role = book.REFUTER_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role));
        book.grantRole(role, stranger);
        address[] memory again = new address[](1);
        again[0] = stranger;
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.RoleAlreadyBound.selector, role));
        book.bindRefuters(again);
    }

    function test_governance_setsParametersWithinBounds_forBooksOpenedLater() public {
        uint256 taskId = _publishedWithBook();
        book.setMaxMissedRounds(5);
        assertEq(uint256(book.getBook(taskId).maxMissedRounds), MAX_MISSED); // fixed at open
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.InvalidMaxMissedRounds.selector, 0));
        book.setMaxMissedRounds(0);
        vm.expectRevert(abi.encodeWithSelector(IRoundBook.InvalidMinRoundDuration.selector, 1, 10, 1 days));
        book.setMinRoundDuration(1);
        vm.prank(stranger);
        vm.expectRevert();
        book.setMinRoundDuration(120);
        book.setMinRoundDuration(120);
        assertEq(uint256(book.minRoundDuration()), 120);
    }

    function test_timeline_givesEveryParticipantsCommitmentPerRound() public {
        uint256 taskId = _running();
        _commitAllBut(taskId, 1, nodes[1]);
        _closeAfterDeadline(taskId);
        _commit(taskId, nodes[1], 2);
        (address[] memory who, IRoundBook.Commitment[] memory cells) = book.timeline(taskId);
        assertEq(who.length, 3);
        assertEq(cells.length, 9);
        assertEq(uint256(cells[0].state), uint256(IRoundBook.CommitState.Counted)); // node 0, round 1
        assertEq(uint256(cells[3].state), uint256(IRoundBook.CommitState.None)); // node 1, round 1: missed
        assertEq(uint256(cells[4].state), uint256(IRoundBook.CommitState.Committed)); // node 1, round 2
        assertEq(cells[4].deltaDigest, _delta(nodes[1], 2));
    }

    function test_supportsItsInterfaces() public view {
        assertTrue(book.supportsInterface(type(IRoundBook).interfaceId));
        assertTrue(book.supportsInterface(type(IVersioned).interfaceId));
        assertFalse(book.supportsInterface(0xffffffff));
    }

    function test_constructor_refusesZeroAddresses() public {
        vm.expectRevert(IRoundBook.ZeroAddress.selector);
        new RoundBook(market, registry, 1, 60, address(0));
    }

    /// @notice 30% under the EIP-170 limit (14.8 KB today), as every protocol contract stays.
    function test_bytecodeSize_30PercentUnderTheLimit() public view {
        assertLt(address(book).code.length, uint256(24_576) * 70 / 100, "RoundBook within its budget");
    }
}
