// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {RoundBookFixture} from "./RoundBookFixture.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice The book's loops at their bounds: the commitment that closes a round runs over every
///         seat. The market replicates a task on at most 8 nodes today, so the 64-seat case reads
///         a 64-replica task from the market's views (`vm.mockCall`): the book's own cost, for
///         when the market's bound is raised.
contract RoundBookGasTest is RoundBookFixture {
    uint8 internal constant WIDE = 64;

    function test_sixtyFourSeats_theClosingCommitAndADeadlineCloseWithinGas() public {
        uint256 taskId = market.taskCount() + 1;
        address[] memory members = new address[](WIDE);
        for (uint256 i; i < WIDE; ++i) {
            members[i] = makeAddr(string.concat("member", Strings.toString(i)));
        }
        ITaskMarket.Task memory t;
        t.requester = requester;
        t.status = ITaskMarket.TaskStatus.Published;
        t.replication = WIDE;
        t.applyDeadline = uint64(block.timestamp + 1 hours);
        t.deadline = uint64(block.timestamp + 1 days);
        vm.mockCall(address(market), abi.encodeCall(ITaskMarket.getTask, (taskId)), abi.encode(t));
        vm.prank(requester);
        book.open(taskId, WIDE, 3, ROUND);
        t.status = ITaskMarket.TaskStatus.Assigned;
        vm.mockCall(address(market), abi.encodeCall(ITaskMarket.getTask, (taskId)), abi.encode(t));
        vm.mockCall(address(market), abi.encodeCall(ITaskMarket.assigneesOf, (taskId)), abi.encode(members));
        book.start(taskId);

        for (uint256 i; i < WIDE - 1; ++i) {
            _commit(taskId, members[i], 1);
        }
        uint256 gasBefore = gasleft();
        _commit(taskId, members[WIDE - 1], 1); // closes round 1 over 64 seats, opens round 2
        uint256 closing = gasBefore - gasleft();
        assertLt(closing, 1_500_000, "the 64th commitment closes the round (424k measured)");
        assertEq(uint256(book.getBook(taskId).current), 2);

        _commit(taskId, members[0], 2); // 63 stragglers
        vm.warp(book.getRound(taskId, 2).deadline + 1);
        gasBefore = gasleft();
        book.closeRound(taskId);
        uint256 late = gasBefore - gasleft();
        assertLt(late, 1_500_000, "a deadline close over 64 seats, 63 of them stragglers (408k measured)");
        assertEq(uint256(book.participantOf(taskId, members[63]).missed), 1);
    }

    function test_eightSeats_theMarketsBound_closeWithinGas() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 8;
        uint256 taskId = _publish(p);
        vm.prank(requester);
        book.open(taskId, 8, 3, ROUND);
        _apply(taskId, 8);
        market.assign(taskId);
        book.start(taskId);
        address[] memory members = book.membersOf(taskId);
        for (uint256 i; i < 7; ++i) {
            _commit(taskId, members[i], 1);
        }
        uint256 gasBefore = gasleft();
        _commit(taskId, members[7], 1);
        assertLt(gasBefore - gasleft(), 400_000, "the 8th commitment closes the round (166k measured)");
    }
}
