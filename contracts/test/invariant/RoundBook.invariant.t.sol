// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RoundBookFixture} from "../RoundBookFixture.sol";
import {RoundBookHandler} from "./RoundBookHandler.sol";
import {IRoundBook} from "../../src/interfaces/IRoundBook.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice A running 3-node, 8-round book over random sequences of commits, closings,
///         replacements, joins (the market admitting an unassigned applicant) and refutations: every seat
///         holder is a locked assignee; pay shares sum to the contributed part of the book's k x R
///         seat-rounds (10,000 bps when every one counted), no node contributed more rounds than
///         were closed, and every node's count
///         is exactly its Counted commitments (a refuted one never counts).
contract RoundBookInvariantTest is RoundBookFixture {
    uint16 internal constant ROUNDS = 8;
    RoundBookHandler internal handler;
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        taskId = _publish(_params());
        vm.prank(requester);
        book.open(taskId, K, ROUNDS, ROUND);
        _apply(taskId, K + 3); // nodes[3..5] wait unassigned: the candidates for a seat
        vm.warp(_params().applyDeadline);
        market.assign(taskId);
        book.start(taskId);
        address[] memory candidates = new address[](7);
        for (uint256 i; i < 6; ++i) {
            candidates[i] = nodes[i];
        }
        candidates[6] = stranger; // never eligible
        handler = new RoundBookHandler(book, taskId, refuter, candidates);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Whoever holds a seat is an assignee of the market with its collateral locked: a
    ///      replacement is paid, slashed and disputed like the members it joined.
    function invariant_everySeatHolderIsALockedAssignee() public view {
        address[] memory members = book.membersOf(taskId);
        for (uint256 i; i < members.length; ++i) {
            if (members[i] == address(0)) continue;
            ITaskMarket.Participation memory p = market.participationOf(taskId, members[i]);
            assertTrue(p.assigned, "seated: assigned");
            assertEq(uint256(p.bond), uint256(ITaskMarket.Bond.Locked), "seated: collateral locked");
        }
    }

    function invariant_sharesSumToTheContributedSeatRounds() public view {
        (, uint16[] memory shares) = book.payShares(taskId);
        uint256 sum;
        for (uint256 i; i < shares.length; ++i) {
            sum += shares[i];
        }
        uint256 contributed = book.getBook(taskId).totalContributed;
        assertLe(contributed, uint256(K) * ROUNDS, "never more than k x R seat-rounds");
        assertEq(sum, contributed * BPS / (uint256(K) * ROUNDS), "shares sum");
    }

    function invariant_contributedAtMostClosed_andRefutedNeverCounts() public view {
        IRoundBook.Book memory b = book.getBook(taskId);
        (address[] memory who, IRoundBook.Commitment[] memory cells) = book.timeline(taskId);
        uint256 total;
        for (uint256 i; i < who.length; ++i) {
            uint256 contributed = book.contributedRounds(taskId, who[i]);
            assertLe(contributed, b.closed, "contributed <= closed");
            uint256 counted;
            for (uint256 r; r < ROUNDS; ++r) {
                if (cells[i * ROUNDS + r].state == IRoundBook.CommitState.Counted) {
                    ++counted;
                    assertLe(r + 1, b.closed, "only a closed round counts");
                }
            }
            assertEq(contributed, counted, "contributed == Counted commitments");
            total += contributed;
        }
        assertEq(total, b.totalContributed, "total");
        assertTrue((b.status == IRoundBook.BookStatus.Frozen) == (b.refutedRound != 0), "frozen iff refuted");
    }

    function invariant_seatsMatchTheVacantCount() public view {
        IRoundBook.Book memory b = book.getBook(taskId);
        address[] memory seats = book.membersOf(taskId);
        uint256 open;
        for (uint256 i; i < seats.length; ++i) {
            if (seats[i] == address(0)) {
                ++open;
            } else {
                assertEq(uint256(book.participantOf(taskId, seats[i]).seat), i + 1, "seat index");
            }
        }
        assertEq(open, b.vacant, "vacant");
    }

    /// @notice The handler's steps can each go through (the sequences are not only reverts): a
    ///         fixed walk commits, lets a deadline pass, replaces a straggler, seats a
    ///         replacement and refutes.
    function test_handlerReachesEveryStep() public {
        for (uint256 r; r < MAX_MISSED; ++r) {
            handler.commit(0, false, 1);
            handler.commit(1, false, 1);
            handler.closeRound(0, 0);
        }
        for (uint256 i = 3; i < 6; ++i) {
            handler.setEligible(i, false); // no reserve eligible: the seat stays open...
        }
        handler.replace(2);
        assertEq(book.membersOf(taskId)[2], address(0));
        handler.setEligible(4, true); // ...until one is again, and anyone fills it
        handler.join(3);
        assertEq(book.membersOf(taskId)[2], nodes[4]);
        handler.refute(0, 1, 0);
        bytes4[6] memory steps = [
            RoundBookHandler.setEligible.selector,
            RoundBookHandler.commit.selector,
            RoundBookHandler.closeRound.selector,
            RoundBookHandler.replace.selector,
            RoundBookHandler.join.selector,
            RoundBookHandler.refute.selector
        ];
        for (uint256 i; i < steps.length; ++i) {
            assertTrue(handler.succeeded(steps[i]) > 0, "step went through");
        }
        assertEq(uint256(book.getBook(taskId).status), uint256(IRoundBook.BookStatus.Frozen));
    }
}
