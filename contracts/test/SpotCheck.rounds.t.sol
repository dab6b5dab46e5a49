// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SpotCheckFixture} from "./SpotCheckFixture.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";
import {IRoundBook} from "../src/interfaces/IRoundBook.sol";
import {ISpotCheck} from "../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {RoundBook} from "../src/parallel/RoundBook.sol";

/// @notice Spot-checks of data-parallel tasks: one (node, round) pair of the round book drawn
///         with the verifier, never a participant of the book as its verifier, a failing
///         report disputed against that node, and the pair refuted in the book once the dispute
///         is upheld; the honest nodes are paid their rounds, the slashed node nothing.
contract SpotCheckRoundsTest is SpotCheckFixture {
    uint8 internal constant K = 3;
    uint16 internal constant R = 3;
    uint64 internal constant ROUND = 1 hours;
    uint256 internal constant EXTRA_VERIFIERS = 6; // nodes[4..9] join the pool too

    RoundBook internal book;

    function setUp() public override {
        super.setUp();
        book = new RoundBook(market, registry, 2, 60, address(this));
        address[] memory refuters = new address[](2);
        (refuters[0], refuters[1]) = (address(spotCheck), address(arbitration));
        book.bindRefuters(refuters);
        config.bindRoundBook(address(book));
        for (uint256 i = POOL; i < POOL + EXTRA_VERIFIERS; ++i) {
            vm.prank(nodes[i]);
            spotCheck.join();
        }
        vm.roll(block.number + 1);
    }

    // ---------------------------------------------------------------- enabling

    function test_enable_aReplicatedTaskWithoutABookIsRefused() public {
        uint256 taskId = _publish(_params());
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotSingleTrainer.selector, taskId, K));
        spotCheck.enable{value: FEE}(taskId, 1, 0);
    }

    function test_enable_aBookTaskChecksOnePair() public {
        uint256 taskId = _publishedWithBook();
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.InvalidSegments.selector, uint8(2)));
        spotCheck.enable{value: FEE}(taskId, 2, 0);
        vm.prank(requester);
        spotCheck.enable{value: FEE}(taskId, 1, 0);
        assertTrue(spotCheck.getCheck(taskId).byRounds);
    }

    function test_requestVerification_waitsForTheBookToFinish() public {
        uint256 taskId = _enabledBook();
        _apply(taskId, K);
        market.assign(taskId);
        book.start(taskId);
        _submitAll(taskId, _same(K, HONEST)); // results in while round 1 is still open
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.BookNotFinished.selector, taskId, uint8(IRoundBook.BookStatus.Running))
        );
        spotCheck.requestVerification(taskId);
    }

    // ---------------------------------------------------------------- the draw

    /// @dev Over any block hash: the pair is a counted commitment of a node whose result is in,
    ///      and the verifier is in the pool but holds no seat of the book.
    function testFuzz_draw_aCountedPairAndAVerifierOutsideTheBook(bytes32 hash) public {
        vm.assume(hash != bytes32(0)); // no hash: the target block is gone (stale), nothing drawn
        uint256 taskId = _finished(0x7, 0x7, 0x7);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = _completeDraw(taskId, hash);
        assertGe(c.round, 1, "a round");
        assertLe(c.round, R, "of the book");
        assertEq(uint256(book.commitmentOf(taskId, c.round, c.trainer).state), uint256(IRoundBook.CommitState.Counted));
        assertEq(book.participantOf(taskId, c.verifier).joinedRound, 0, "the verifier holds no seat");
        assertTrue(spotCheck.inPool(c.verifier));
    }

    /// @dev A straggler's missed rounds are never drawn: nodes[0] committed round 1 only.
    function testFuzz_draw_neverAMissedRound(bytes32 hash) public {
        vm.assume(hash != bytes32(0));
        uint256 taskId = _finished(0x1, 0x7, 0x7);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = _completeDraw(taskId, hash);
        if (c.trainer == nodes[0]) assertEq(c.round, 1, "only its counted round");
    }

    /// @dev The draw emits the pair; its round is fixed with the seed and kept by a replacement verifier.
    function test_draw_thePairIsKeptWhenTheVerifierIsReplaced() public {
        uint256 taskId = _finished(0x7, 0x7, 0x7);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory first = _completeDraw(taskId);
        vm.warp(first.reportDeadline + 1);
        spotCheck.replaceVerifier(taskId);
        ISpotCheck.Check memory second = _completeDraw(taskId, keccak256("another hash"));
        assertEq(second.trainer, first.trainer);
        assertEq(second.round, first.round);
        assertTrue(second.verifier != first.verifier);
    }

    // ---------------------------------------------------------------- verdicts and pay

    /// @dev A lazy node caught: the failing report disputes the drawn node, the DAO upholds it,
    ///      the node is slashed and unpaid, the pair refuted in the book (Frozen); the honest
    ///      nodes are paid their rounds and the requester gets the lazy node's share back.
    function test_failingCheck_slashesTheNodeRefutesItsRoundAndPaysTheHonest() public {
        uint256 taskId = _finished(0x7, 0x7, 0x7);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = _completeDraw(taskId);
        address lazy = c.trainer;
        vm.prank(c.verifier);
        spotCheck.report(taskId, false, "ipfs://replay-differs");
        uint256 disputeId = spotCheck.getCheck(taskId).disputeId;
        assertEq(arbitration.getDispute(disputeId).node, lazy);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.DisputeNotUpheld.selector, taskId, disputeId));
        spotCheck.refuteRound(taskId);

        _decide(disputeId, true);
        assertEq(uint256(market.participationOf(taskId, lazy).bond), uint256(ITaskMarket.Bond.Slashed));
        vm.expectEmit(true, true, true, true, address(spotCheck));
        emit ISpotCheck.RoundRefutedByCheck(taskId, lazy, c.round, disputeId);
        spotCheck.refuteRound(taskId);
        assertEq(uint256(book.commitmentOf(taskId, c.round, lazy).state), uint256(IRoundBook.CommitState.Refuted));
        assertEq(uint256(book.getBook(taskId).status), uint256(IRoundBook.BookStatus.Frozen));

        (address[] memory people, uint16[] memory shares) = book.payShares(taskId);
        _settle(taskId);
        uint256 paid;
        for (uint256 i; i < people.length; ++i) {
            uint256 got = market.claimable(address(0), people[i]);
            if (people[i] == lazy) {
                assertEq(got, 0, "the slashed node is unpaid");
            } else {
                assertLt(0, got, "an honest node is paid");
                assertEq(uint256(shares[i]), 3333, "its 3 rounds of 9, not a raise from the refutation");
            }
            paid += got;
        }
        uint256 refund = market.claimable(address(0), requester);
        assertLt(uint256(1 ether) / 3, refund, "the lazy node's share goes back to the requester");
        assertEq(arbitration.claimable(requester), COLLATERAL * REQUESTER_BPS / BPS, "and part of its collateral");
    }

    /// @dev A released dispute refutes nothing: the node keeps its pay.
    function test_releasedDispute_refutesNothing() public {
        uint256 taskId = _finished(0x7, 0x7, 0x7);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = _completeDraw(taskId);
        vm.prank(c.verifier);
        spotCheck.report(taskId, false, "ipfs://wrong-verdict");
        uint256 disputeId = spotCheck.getCheck(taskId).disputeId;
        _decide(disputeId, false);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.DisputeNotUpheld.selector, taskId, disputeId));
        spotCheck.refuteRound(taskId);
        _settle(taskId);
        assertLt(0, market.claimable(address(0), c.trainer), "the released node is paid");
    }

    function test_passingCheck_settlesAsUsual() public {
        uint256 taskId = _finished(0x7, 0x7, 0x7);
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = _completeDraw(taskId);
        vm.prank(c.verifier);
        spotCheck.report(taskId, true, "ipfs://replayed");
        vm.expectRevert(
            abi.encodeWithSelector(
                ISpotCheck.InvalidCheckStatus.selector, taskId, ISpotCheck.CheckStatus.Passed, ISpotCheck.CheckStatus.Failed
            )
        );
        spotCheck.refuteRound(taskId);
        _settle(taskId);
        for (uint256 i; i < K; ++i) {
            assertLt(0, market.claimable(address(0), nodes[i]), "paid");
        }
    }

    function test_refuteRound_notForASingleTrainerCheck() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        vm.prank(c.verifier);
        spotCheck.report(taskId, false, "ipfs://bad");
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NotRoundCheck.selector, taskId));
        spotCheck.refuteRound(taskId);
    }

    // ---------------------------------------------------------------- helpers

    function _publishedWithBook() internal returns (uint256 taskId) {
        taskId = _publish(_params());
        vm.prank(requester);
        book.open(taskId, K, R, ROUND);
    }

    function _enabledBook() internal returns (uint256 taskId) {
        taskId = _publishedWithBook();
        vm.prank(requester);
        spotCheck.enable{value: FEE}(taskId, 1, 0);
    }

    /// @dev A spot-checked book task driven to Finished (node `i` commits the rounds of its
    ///      3-bit mask) with every result in.
    function _finished(uint8 a, uint8 b, uint8 m) internal returns (uint256 taskId) {
        taskId = _enabledBook();
        _apply(taskId, K);
        market.assign(taskId);
        book.start(taskId);
        uint8[3] memory masks = [a, b, m];
        for (uint16 r = 1; r <= R; ++r) {
            uint256 committed;
            for (uint256 i; i < K; ++i) {
                if ((masks[i] >> (r - 1)) & 1 == 1) {
                    vm.prank(nodes[i]);
                    book.commit(taskId, r, keccak256(abi.encode("delta", i, r)), keccak256(abi.encode("start", r)), "");
                    ++committed;
                }
            }
            if (committed < K) {
                vm.warp(book.getRound(taskId, r).deadline + 1);
                book.closeRound(taskId);
            }
        }
        assertEq(uint256(book.getBook(taskId).status), uint256(IRoundBook.BookStatus.Finished));
        _submitAll(taskId, _same(K, HONEST));
    }
}
