// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RoundBookFixture} from "./RoundBookFixture.sol";
import {Vm} from "./Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IMarketConfig} from "../src/interfaces/IMarketConfig.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {IRoundBook} from "../src/interfaces/IRoundBook.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Settlement of data-parallel tasks: each node is paid its cost scaled by its round
///         book share times k; a node that contributed no round is paid nothing (recorded
///         Missed) and its share goes back to the requester. Tasks without a started book pay
///         as replicas.
contract TaskMarketBookPayTest is RoundBookFixture {
    // ---------------------------------------------------------------- binding

    function test_bindRoundBook_onceByTheAdminOnly() public {
        assertEq(config.roundBook(), address(book));
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.RoundBookAlreadyBound.selector, address(book)));
        config.bindRoundBook(stranger);
        bytes32 admin = config.DEFAULT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, admin)
        );
        config.bindRoundBook(stranger);
    }

    // ---------------------------------------------------------------- pay by shares

    /// @dev Every node contributes every round: 3334/3333/3333, pay as replicas within rounding.
    function test_settle_equalSharesPayAsReplicas() public {
        uint256 taskId = _rounds(_mask(0x7, 0x7, 0x7));
        uint256[] memory gross = _expectedGross(taskId);
        uint256 replica = _replica(nodes[0]);
        _settleAgreed(taskId);
        for (uint256 i; i < K; ++i) {
            assertEq(_claimable(nodes[i]), _net(gross[i]), "net by share");
            uint256 gap = gross[i] > replica ? gross[i] - replica : replica - gross[i];
            assertLe(gap, replica / 3000, "as a replica, within rounding");
        }
        _assertConserved();
    }

    /// @dev nodes[0] commits round 1 only (a straggler, never replaced): 1, 3 and 3 of the 9
    ///      seat-rounds, 1111/3333/3333 bps; the 2 missed rounds go back to the requester.
    function test_settle_aStragglerIsPaidByItsRounds() public {
        uint256 taskId = _rounds(_mask(0x1, 0x7, 0x7));
        (, uint16[] memory shares) = book.payShares(taskId);
        assertEq(uint256(shares[0]), 1111);
        assertEq(uint256(shares[1]), 3333);
        assertEq(uint256(shares[2]), 3333);
        uint256[] memory gross = _expectedGross(taskId);
        _settleAgreed(taskId);
        for (uint256 i; i < K; ++i) {
            assertEq(_claimable(nodes[i]), _net(gross[i]), "net by share");
        }
        assertLt(_claimable(nodes[0]) * 2, _claimable(nodes[1]), "the straggler gets less than half");
        uint256 thrice = _claimable(nodes[0]) * 3;
        uint256 full = _claimable(nodes[1]);
        assertLe(thrice > full ? thrice - full : full - thrice, full / 1000, "a round is worth the same to each");
        _assertConserved();
    }

    /// @dev nodes[0] commits no round but submits the agreed result: paid nothing, Missed; the
    ///      requester gets its share back.
    function test_settle_aFreeRiderIsPaidNothing() public {
        uint256 taskId = _rounds(_mask(0x0, 0x7, 0x7));
        uint256[] memory gross = _expectedGross(taskId);
        assertEq(gross[0], 0);
        vm.recordLogs();
        _settleAgreed(taskId);
        assertEq(uint256(_outcomeOf(nodes[0], taskId)), uint256(IReputation.Outcome.Missed), "recorded Missed");
        assertEq(_claimable(nodes[0]), 0, "free rider unpaid");
        assertEq(_claimable(nodes[1]), _net(gross[1]));
        assertEq(_claimable(nodes[2]), _net(gross[2]));
        uint256 paid = gross[1] + gross[2];
        assertEq(_claimable(requester), 1 ether - paid, "the requester's refund");
        // its collateral comes back: it delivered the agreed result, it just was not paid for rounds
        assertEq(uint256(market.participationOf(taskId, nodes[0]).bond), uint256(ITaskMarket.Bond.Released));
        _assertConserved();
    }

    /// @dev No node contributed a round: nothing is paid, the whole budget is refunded.
    function test_settle_aBookWithNoContributedRoundRefundsAll() public {
        uint256 taskId = _rounds(_mask(0, 0, 0));
        _settleAgreed(taskId);
        for (uint256 i; i < K; ++i) {
            assertEq(_claimable(nodes[i]), 0);
        }
        assertEq(_claimable(requester), 1 ether);
    }

    /// @dev A refuted commitment never counts: the refuted node's pay falls with its rounds.
    function test_settle_aFrozenBookPaysTheVerifiedRounds() public {
        uint256 taskId = _rounds(_mask(0x7, 0x7, 0x7));
        vm.prank(refuter);
        book.refute(taskId, nodes[0], 2);
        assertEq(uint256(_bookStatus(taskId)), uint256(IRoundBook.BookStatus.Frozen));
        uint256[] memory gross = _expectedGross(taskId);
        _settleAgreed(taskId);
        for (uint256 i; i < K; ++i) {
            assertEq(_claimable(nodes[i]), _net(gross[i]));
        }
        assertLt(gross[0], gross[1], "the refuted node is paid 2 rounds of 9");
        _assertConserved();
    }

    /// @dev A task settled while its book is still Running pays the rounds closed so far:
    ///      settlement is never blocked by the book (no stake or fee waits on it).
    function test_settle_aRunningBookPaysTheClosedRounds() public {
        uint256 taskId = _runningBook(3);
        _commitAllBut(taskId, 1, nodes[2]);
        _closeAfterDeadline(taskId); // round 1: nodes[0], nodes[1]; round 2 open
        assertEq(uint256(_bookStatus(taskId)), uint256(IRoundBook.BookStatus.Running));
        uint256[] memory gross = _expectedGross(taskId);
        _settleAgreed(taskId);
        assertEq(_claimable(nodes[2]), 0);
        assertEq(_claimable(nodes[0]), _net(gross[0]));
        assertEq(_claimable(nodes[1]), _net(gross[1]));
        _assertConserved();
    }

    /// @dev A book opened but never started governs nothing: the task pays as replicas.
    function test_settle_aBookNeverStartedPaysAsReplicas() public {
        uint256 taskId = _publishedWithBook();
        _apply(taskId, K);
        market.assign(taskId);
        uint256 replica = _replica(nodes[0]);
        _settleAgreed(taskId);
        for (uint256 i; i < K; ++i) {
            assertEq(_claimable(nodes[i]), _net(replica));
        }
    }

    /// @dev A task without a book pays as before with a book bound.
    function test_settle_aTaskWithoutABookIsUnchanged() public {
        uint256 taskId = _assigned(_params());
        uint256 replica = _replica(nodes[0]);
        _settleAgreed(taskId);
        assertEq(_claimable(nodes[0]), _net(replica));
    }

    /// @dev Conservation over any pattern of contributions (8 rounds, 3 nodes, each bit a
    ///      commitment): paid + refund + fees == budget, each node paid by its share.
    function testFuzz_settle_conservesTheBudgetOverAnyShares(uint24 commits, uint96 budget) public {
        budget = uint96(bound(budget, 1e6, 1000 ether));
        uint256 taskId = _roundsOf(8, commits, budget);
        uint256[] memory gross = _expectedGross(taskId);
        _settleAgreed(taskId);
        for (uint256 i; i < K; ++i) {
            assertEq(_claimable(nodes[i]), _net(gross[i]), "net by share");
        }
        _assertConserved();
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Per node a 3-bit mask of the rounds (1..3) it commits.
    function _mask(uint8 a, uint8 b, uint8 c) internal pure returns (uint24) {
        return uint24(a) | (uint24(b) << 8) | (uint24(c) << 16);
    }

    function _rounds(uint24 commits) internal returns (uint256) {
        return _roundsOf(R, _spread(commits), 1 ether);
    }

    /// @dev From 8-bit-per-node masks to the bit layout of `_roundsOf` (bit `(r-1)*3 + i`).
    function _spread(uint24 m) internal pure returns (uint24 out) {
        for (uint256 i; i < K; ++i) {
            for (uint256 r; r < 8; ++r) {
                if ((m >> (i * 8 + r)) & 1 == 1) out |= uint24(1 << (r * K + i));
            }
        }
    }

    /// @dev A `rounds`-round book on a task of `budget`, driven to Finished: node `i` commits
    ///      round `r` when bit `(r-1)*3 + i` of `commits` is set.
    function _roundsOf(uint16 rounds, uint24 commits, uint256 budget) internal returns (uint256 taskId) {
        taskId = _runningBook(rounds, budget);
        for (uint16 r = 1; r <= rounds; ++r) {
            uint256 committed;
            for (uint256 i; i < K; ++i) {
                if ((commits >> ((r - 1) * K + i)) & 1 == 1) {
                    _commit(taskId, nodes[i], r);
                    ++committed;
                }
            }
            if (committed < K) _closeAfterDeadline(taskId);
        }
        assertEq(uint256(_bookStatus(taskId)), uint256(IRoundBook.BookStatus.Finished));
    }

    function _runningBook(uint16 rounds) internal returns (uint256) {
        return _runningBook(rounds, 1 ether);
    }

    function _runningBook(uint16 rounds, uint256 budget) internal returns (uint256 taskId) {
        ITaskMarket.TaskParams memory p = _params();
        p.budget = budget;
        taskId = _publish(p);
        vm.prank(requester);
        book.open(taskId, K, rounds, ROUND);
        _apply(taskId, K);
        market.assign(taskId);
        book.start(taskId);
    }

    /// @dev Every assignee submits the same result; settles.
    function _settleAgreed(uint256 taskId) internal {
        _submitAll(taskId, _same(K, RESULT_A));
        _settle(taskId);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Settled);
    }

    /// @dev What each assignee earns gross by its book share, written out independently of
    ///      the market: cost = share * shareBps * k / BPS, gross = cost * factor / BPS.
    function _expectedGross(uint256 taskId) internal view returns (uint256[] memory gross) {
        (address[] memory members, uint16[] memory shares) = book.payShares(taskId);
        IMarketConfig.SettlementParams memory s = config.settlementParams();
        ITaskMarket.Task memory t = market.getTask(taskId);
        uint256 share = t.budget / K;
        gross = new uint256[](K);
        for (uint256 i; i < K; ++i) {
            uint256 bps;
            for (uint256 j; j < members.length; ++j) {
                if (members[j] == nodes[i]) bps = shares[j];
            }
            uint256 f = uint256(s.baseWeightBps) + uint256(s.qualityWeightBps) * t.qualityScore / BPS
                + uint256(s.reputationWeightBps) * reputation.reputationOf(nodes[i]) / BPS;
            gross[i] = _mulDiv(share * bps * K / BPS, f, BPS);
        }
    }

    /// @dev The outcome the reputation recorded for `node` in the logs recorded since `recordLogs`.
    function _outcomeOf(address node, uint256 taskId) internal returns (IReputation.Outcome outcome) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = IReputation.ReputationUpdated.selector;
        bool found;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(reputation) || l.topics[0] != topic) continue;
            if (l.topics[1] != bytes32(uint256(uint160(node))) || l.topics[2] != bytes32(taskId)) continue;
            (outcome,,) = abi.decode(l.data, (IReputation.Outcome, uint16, uint16));
            found = true;
        }
        assertTrue(found, "an outcome recorded");
    }

    /// @dev What `node` earns gross as one of K replicas of a 1-ether task (every node starts
    ///      at the same reputation).
    function _replica(address node) internal view returns (uint256) {
        return _gross(1 ether, K, COMPUTE_UNITS, 0, market.QUALITY_UNSCORED(), reputation.reputationOf(node));
    }

    function _net(uint256 gross) internal pure returns (uint256) {
        return gross - gross * FEE_BPS / BPS;
    }

    function _claimable(address account) internal view returns (uint256) {
        return market.claimable(address(0), account);
    }

    /// @dev The one settled task's budget is all credited: nodes + requester + treasury.
    function _assertConserved() internal view {
        uint256 sum = _claimable(requester) + _claimable(treasury);
        for (uint256 i; i < K; ++i) {
            sum += _claimable(nodes[i]);
        }
        assertEq(sum, market.getTask(market.taskCount()).budget, "paid + refund + fees == budget");
    }
}
