// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Fixture.sol";
import {IRoundBook} from "../src/interfaces/IRoundBook.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {RoundBook} from "../src/parallel/RoundBook.sol";

/// @notice The protocol with a round book (the test contract its admin, `refuter` holding the
///         bound REFUTER_ROLE as the spot-check does), and helpers that open a 3-node book on an
///         assigned task and drive its rounds.
abstract contract RoundBookFixture is Fixture {
    uint8 internal constant K = 3;
    uint16 internal constant R = 3;
    uint64 internal constant ROUND = 1 hours;
    uint8 internal constant MAX_MISSED = 2;
    uint64 internal constant MIN_ROUND = 60;
    bytes32 internal constant INIT = keccak256("init weights");

    RoundBook internal book;
    address internal refuter;

    function setUp() public virtual override {
        super.setUp();
        refuter = makeAddr("refuter");
        book = new RoundBook(market, registry, MAX_MISSED, MIN_ROUND, address(this));
        address[] memory refuters = new address[](1);
        refuters[0] = refuter;
        book.bindRefuters(refuters);
        config.bindRoundBook(address(book)); // as nnc.chain.deploy wires it
    }

    /// @dev A published 3-replica task, results due in 1 day, with a 3-node, 3-round book.
    function _publishedWithBook() internal returns (uint256 taskId) {
        taskId = _publish(_params());
        vm.prank(requester);
        book.open(taskId, K, R, ROUND);
    }

    /// @dev `_publishedWithBook`, assigned to nodes[0..2] and started.
    function _running() internal returns (uint256 taskId) {
        taskId = _publishedWithBook();
        _apply(taskId, K);
        market.assign(taskId);
        book.start(taskId);
    }

    function _delta(address node, uint16 round) internal pure returns (bytes32) {
        return keccak256(abi.encode("delta", node, round));
    }

    /// @dev The start weights of `round` as every honest member computes them.
    function _startOf(uint16 round) internal pure returns (bytes32) {
        return round == 1 ? INIT : keccak256(abi.encode("outer step", round - 1));
    }

    function _commit(uint256 taskId, address node, uint16 round) internal {
        vm.prank(node);
        book.commit(taskId, round, _delta(node, round), _startOf(round), "ipfs://delta");
    }

    /// @dev Every member but `skip` commits `round` (address(0): all of them).
    function _commitAllBut(uint256 taskId, uint16 round, address skip) internal {
        address[] memory members = book.membersOf(taskId);
        for (uint256 i; i < members.length; ++i) {
            if (members[i] != skip && members[i] != address(0)) _commit(taskId, members[i], round);
        }
    }

    function _closeAfterDeadline(uint256 taskId) internal {
        vm.warp(book.getRound(taskId, book.getBook(taskId).current).deadline + 1);
        book.closeRound(taskId);
    }

    function _bookStatus(uint256 taskId) internal view returns (IRoundBook.BookStatus) {
        return book.getBook(taskId).status;
    }

    function _taskStatus(uint256 taskId) internal view returns (ITaskMarket.TaskStatus) {
        return market.getTask(taskId).status;
    }
}
