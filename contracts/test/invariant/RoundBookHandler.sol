// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {IRoundBook} from "../../src/interfaces/IRoundBook.sol";
import {RoundBook} from "../../src/parallel/RoundBook.sol";
import {NodeRegistry} from "../../src/NodeRegistry.sol";

/// @notice Drives one book through random sequences: members and outsiders commit (some with a
///         start digest of their own), time passes and rounds close, stragglers are replaced (the
///         market seating an unassigned applicant at once, or later by `join` when none was
///         eligible then: nodes move their hardware class in and out of the task's), the refuter
///         refutes random (node, round) pairs. Reverts are swallowed (an out-of-order step is
///         part of a realistic sequence).
contract RoundBookHandler is Base {
    RoundBook internal immutable book;
    NodeRegistry internal immutable registry;
    uint256 internal immutable taskId;
    address internal immutable refuter;
    address[] internal candidates; // the members, eligible replacements and one outsider

    mapping(bytes4 step => uint256) public succeeded;

    constructor(RoundBook book_, uint256 taskId_, address refuter_, address[] memory candidates_) {
        book = book_;
        registry = NodeRegistry(address(book_.registry()));
        taskId = taskId_;
        refuter = refuter_;
        candidates = candidates_;
    }

    function commit(uint256 who, bool ownStart, uint16 roundSeed) external {
        address node = candidates[who % candidates.length];
        uint16 round = roundSeed % 8 == 0 ? uint16(bound(roundSeed, 1, 8)) : book.getBook(taskId).current;
        bytes32 start = ownStart ? keccak256(abi.encode(node, round)) : keccak256(abi.encode("start", round));
        vm.prank(node);
        try book.commit(taskId, round, keccak256(abi.encode("delta", node, round)), start, "ipfs://delta") {
            succeeded[this.commit.selector]++;
        } catch {}
    }

    /// @dev One call in three lets the round's deadline pass (else every book ends in a few calls).
    function closeRound(uint256 extra, uint8 chance) external {
        IRoundBook.Book memory b = book.getBook(taskId);
        if (b.current == 0 || chance % 3 != 0) return;
        vm.warp(book.getRound(taskId, b.current).deadline + 1 + bound(extra, 0, 1 hours));
        try book.closeRound(taskId) {
            succeeded[this.closeRound.selector]++;
        } catch {}
    }

    function replace(uint256 who) external {
        try book.replace(taskId, candidates[who % candidates.length]) {
            succeeded[this.replace.selector]++;
        } catch {}
    }

    /// @dev A node moves its hardware class below the task's (no candidate for a seat) or back
    ///      (a candidate again): seats stay open after `replace`, for `join` to fill later.
    function setEligible(uint256 who, bool eligible) external {
        vm.prank(candidates[who % candidates.length]);
        try registry.updateProfile(keccak256("profile"), eligible ? 2 : 0) {
            succeeded[this.setEligible.selector]++;
        } catch {}
    }

    function join(uint256 who) external {
        vm.prank(candidates[who % candidates.length]);
        try book.join(taskId) {
            succeeded[this.join.selector]++;
        } catch {}
    }

    /// @dev One call in eight refutes (a refutation freezes the book, ending the sequence's interest).
    function refute(uint256 who, uint16 roundSeed, uint8 chance) external {
        if (chance % 8 != 0) return;
        vm.prank(refuter);
        try book.refute(taskId, candidates[who % candidates.length], uint16(bound(roundSeed, 1, 8))) {
            succeeded[this.refute.selector]++;
        } catch {}
    }
}
