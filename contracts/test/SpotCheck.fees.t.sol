// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SpotCheckFixture} from "./SpotCheckFixture.sol";
import {ISpotCheck} from "../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Every spot-check fee ends with exactly one party: the verifier who reported, or the
///         requester (the task ended without a verification, or the check lapsed). No path
///         strands it, and SpotCheck holds exactly the unspent fees plus what it owes.
contract SpotCheckFeesTest is SpotCheckFixture {
    // ---------------------------------------------------------------- refundFee

    function test_refundFee_afterCancel_creditsTheRequesterOnce() public {
        uint256 taskId = _enabled();
        vm.prank(requester);
        market.cancel(taskId);
        vm.expectEmit(true, true, false, true, address(spotCheck));
        emit ISpotCheck.FeeRefunded(taskId, requester, FEE);
        vm.prank(stranger); // anyone
        spotCheck.refundFee(taskId);
        _assertCheck(taskId, ISpotCheck.CheckStatus.Refunded);
        assertEq(spotCheck.claimable(requester), FEE, "fee credited");
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.FeeNotRefundable.selector, taskId, ISpotCheck.CheckStatus.Refunded)
        );
        spotCheck.refundFee(taskId);
        uint256 before = requester.balance;
        vm.prank(requester);
        spotCheck.claim();
        assertEq(requester.balance, before + FEE, "paid once");
        assertEq(address(spotCheck).balance, 0, "nothing stranded");
    }

    function test_refundFee_afterExpiry() public {
        uint256 taskId = _enabled(); // nobody applies
        vm.warp(market.getTask(taskId).applyDeadline);
        market.expire(taskId);
        spotCheck.refundFee(taskId);
        assertEq(spotCheck.claimable(requester), FEE);
    }

    function test_refundFee_afterTheTrainerAbandons() public {
        uint256 taskId = _enabled();
        _apply(taskId, 1);
        market.assign(taskId);
        vm.prank(nodes[0]);
        market.abandon(taskId, ITaskMarket.AbandonReason.NodeFault);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Failed);
        spotCheck.refundFee(taskId);
        assertEq(spotCheck.claimable(requester), FEE);
    }

    function test_refundFee_afterSettlementWithoutVerification() public {
        uint256 taskId = _spotChecked();
        _settle(taskId); // nobody asked for the verification in time
        _assertCheck(taskId, ISpotCheck.CheckStatus.Enabled);
        spotCheck.refundFee(taskId);
        assertEq(spotCheck.claimable(requester), FEE);
    }

    function test_refundFee_afterAChallengeSlashedTheTrainer() public {
        uint256 taskId = _spotChecked();
        _decide(_challenge(taskId, nodes[0]), true);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted); // the only trainer is out
        _settle(taskId); // pays nobody, refunds the budget
        spotCheck.refundFee(taskId);
        assertEq(spotCheck.claimable(requester), FEE);
    }

    function test_refundFee_revertsWhileTheTaskIsOpen() public {
        uint256 taskId = _enabled();
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.TaskNotFinished.selector, taskId, ITaskMarket.TaskStatus.Published)
        );
        spotCheck.refundFee(taskId);
        _apply(taskId, 1);
        market.assign(taskId);
        _submit(taskId, nodes[0], HONEST);
        spotCheck.requestVerification(taskId);
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.TaskNotFinished.selector, taskId, ITaskMarket.TaskStatus.Verifying)
        );
        spotCheck.refundFee(taskId);
    }

    function test_refundFee_revertsOnceAVerifierWasPaid() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        vm.prank(c.verifier);
        spotCheck.report(taskId, true, "ipfs://report");
        _settle(taskId);
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.FeeNotRefundable.selector, taskId, ISpotCheck.CheckStatus.Passed)
        );
        spotCheck.refundFee(taskId);
        assertEq(spotCheck.claimable(requester), 0);
        assertEq(spotCheck.claimable(c.verifier), FEE);
    }

    function test_refundFee_revertsWithoutACheck() public {
        uint256 taskId = _publish(_params());
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.FeeNotRefundable.selector, taskId, ISpotCheck.CheckStatus.None)
        );
        spotCheck.refundFee(taskId);
    }

    // ---------------------------------------------------------------- lapse

    /// @dev Nobody but the trainer can verify: the task would sit in Verifying for ever.
    function test_lapse_withNoVerifierAvailable_settlesUnverified_andRefundsTheFee() public {
        for (uint256 i = 1; i < POOL; ++i) {
            vm.prank(nodes[i]);
            spotCheck.leave();
        }
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        ISpotCheck.Check memory c = spotCheck.getCheck(taskId);
        vm.roll(c.drawBlock + 1);
        vm.setBlockhash(c.drawBlock, keccak256("any"));
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.NoVerifierAvailable.selector, taskId));
        spotCheck.drawVerifier(taskId);

        uint64 lapsesAt = c.requestedAt + VERIFICATION_TIMEOUT;
        vm.warp(lapsesAt);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.VerificationNotTimedOut.selector, taskId, lapsesAt));
        spotCheck.lapse(taskId);
        vm.warp(lapsesAt + 1);
        vm.expectEmit(true, true, true, true, address(spotCheck));
        emit ISpotCheck.VerificationLapsed(taskId, requester, address(0), FEE);
        vm.prank(stranger); // anyone
        spotCheck.lapse(taskId);

        _assertCheck(taskId, ISpotCheck.CheckStatus.Lapsed);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Submitted);
        assertEq(spotCheck.claimable(requester), FEE, "fee back");
        vm.expectRevert(
            abi.encodeWithSelector(
                ISpotCheck.InvalidCheckStatus.selector,
                taskId,
                ISpotCheck.CheckStatus.Lapsed,
                ISpotCheck.CheckStatus.Verifying
            )
        );
        spotCheck.lapse(taskId);
        _settle(taskId);
        _assertStatus(taskId, ITaskMarket.TaskStatus.Settled);
        vm.expectRevert(
            abi.encodeWithSelector(ISpotCheck.FeeNotRefundable.selector, taskId, ISpotCheck.CheckStatus.Lapsed)
        );
        spotCheck.refundFee(taskId);
        assertEq(address(spotCheck).balance, FEE, "owes exactly the refund");
    }

    function test_lapse_whenTheVerifierNeverReports_recordsItMissed() public {
        (uint256 taskId, ISpotCheck.Check memory c) = _drawn();
        vm.warp(c.requestedAt + VERIFICATION_TIMEOUT + 1); // past the report deadline too
        vm.expectEmit(true, true, true, true, address(spotCheck));
        emit ISpotCheck.VerificationLapsed(taskId, requester, c.verifier, FEE);
        spotCheck.lapse(taskId);
        assertEq(reputation.reputationOf(c.verifier), 5000 - reputation.params().missedLoss, "late verifier loses");
        assertEq(spotCheck.claimable(c.verifier), 0);
        assertEq(spotCheck.claimable(requester), FEE);
        vm.prank(c.verifier);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISpotCheck.InvalidCheckStatus.selector,
                taskId,
                ISpotCheck.CheckStatus.Lapsed,
                ISpotCheck.CheckStatus.Verifying
            )
        );
        spotCheck.report(taskId, true, "");
    }

    /// @dev A verifier drawn late (after replacements) keeps its whole report window.
    function test_lapse_revertsWhileTheDrawnVerifierMayStillReport() public {
        uint256 taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        uint64 requestedAt = spotCheck.getCheck(taskId).requestedAt;
        vm.warp(requestedAt + VERIFICATION_TIMEOUT - 10 minutes);
        ISpotCheck.Check memory c = _completeDraw(taskId);
        vm.warp(requestedAt + VERIFICATION_TIMEOUT + 1);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.ReportNotDue.selector, taskId, c.reportDeadline));
        spotCheck.lapse(taskId);
        vm.prank(c.verifier);
        spotCheck.report(taskId, true, "");
        assertEq(spotCheck.claimable(c.verifier), FEE);
    }

    function test_lapse_revertsUnlessVerifying() public {
        uint256 taskId = _enabled();
        vm.expectRevert(
            abi.encodeWithSelector(
                ISpotCheck.InvalidCheckStatus.selector,
                taskId,
                ISpotCheck.CheckStatus.Enabled,
                ISpotCheck.CheckStatus.Verifying
            )
        );
        spotCheck.lapse(taskId);
    }

    function test_setVerificationTimeout_isBounded_andAdminOnly() public {
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.InvalidVerificationTimeout.selector, 0, 30 days));
        spotCheck.setVerificationTimeout(0);
        vm.expectRevert(abi.encodeWithSelector(ISpotCheck.InvalidVerificationTimeout.selector, 30 days + 1, 30 days));
        spotCheck.setVerificationTimeout(30 days + 1);
        vm.expectEmit(false, false, false, true, address(spotCheck));
        emit ISpotCheck.VerificationTimeoutSet(2 days);
        spotCheck.setVerificationTimeout(2 days);
        assertEq(spotCheck.verificationTimeout(), 2 days);
        bytes32 admin = spotCheck.DEFAULT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSignature("AccessControlUnauthorizedAccount(address,bytes32)", stranger, admin));
        spotCheck.setVerificationTimeout(1 days);
    }

    // ---------------------------------------------------------------- conservation

    /// @dev Three spot-checked tasks, each driven down a random path (cancel, expire, abandon,
    ///      settle unverified, pass, fail and slash, lapse with or without a drawn verifier), with
    ///      random fees, one after the other; then everyone tries settle, lapse and refundFee twice. The contract holds
    ///      exactly the unspent fees plus its credits after every step, and each fee is credited
    ///      exactly once in total.
    function testFuzz_everyFeeIsCreditedExactlyOnce(uint256 seed, uint96[3] memory fees) public {
        uint256[3] memory ids;
        for (uint256 k; k < 3; ++k) {
            uint256 fee = bound(fees[k], 0, 10 ether);
            ITaskMarket.TaskParams memory p = _params();
            p.replication = 1;
            (p.applyDeadline, p.deadline) = (uint64(block.timestamp + 1 hours), uint64(block.timestamp + 1 days));
            ids[k] = _publish(p);
            vm.prank(requester);
            spotCheck.enable{value: fee}(ids[k], SEGMENTS, TOLERANCE);
            _assertHoldings(ids);
            _drive(ids[k], (seed >> (8 * k)) % 8);
            _assertHoldings(ids);
        }
        for (uint256 k; k < 3; ++k) {
            uint256 id = ids[k];
            _closeWindowIfSubmitted(id);
            try market.settle(id) {} catch {}
            try spotCheck.lapse(id) {} catch {}
            try spotCheck.refundFee(id) {} catch {}
            try spotCheck.refundFee(id) {} catch {}
            _assertHoldings(ids);
        }
        uint256 credited = _credits();
        uint256 escrowed;
        for (uint256 k; k < 3; ++k) {
            ISpotCheck.Check memory c = spotCheck.getCheck(ids[k]);
            bool spent = c.status != ISpotCheck.CheckStatus.Enabled && c.status != ISpotCheck.CheckStatus.Verifying;
            assertTrue(spent || !_finished(ids[k]), "a finished task's fee is spent");
            if (!spent) escrowed += c.fee;
        }
        uint256 total;
        for (uint256 k; k < 3; ++k) {
            total += spotCheck.getCheck(ids[k]).fee;
        }
        assertEq(credited + escrowed, total, "each fee exactly once");
    }

    function _drive(uint256 id, uint256 path) internal {
        if (path == 0) {
            vm.prank(requester);
            market.cancel(id);
            return;
        }
        if (path == 1) {
            vm.warp(market.getTask(id).applyDeadline);
            market.expire(id);
            return;
        }
        vm.prank(nodes[0]);
        market.applyForTask(id);
        market.assign(id);
        if (path == 2) {
            vm.prank(nodes[0]);
            market.abandon(id, ITaskMarket.AbandonReason.ResourceLimit);
            return;
        }
        _submit(id, nodes[0], HONEST);
        if (path == 3) {
            _settle(id);
            return;
        }
        spotCheck.requestVerification(id);
        if (path == 4) {
            vm.warp(block.timestamp + VERIFICATION_TIMEOUT + 1); // never drawn
            spotCheck.lapse(id);
            return;
        }
        ISpotCheck.Check memory c = _completeDraw(id);
        if (path == 5) {
            vm.warp(block.timestamp + VERIFICATION_TIMEOUT + 1); // never reported
            spotCheck.lapse(id);
            return;
        }
        vm.prank(c.verifier);
        spotCheck.report(id, path == 6, "");
        if (path == 7) _decide(arbitration.disputeOfTask(id), true);
    }

    function _closeWindowIfSubmitted(uint256 id) internal {
        if (_status(id) == ITaskMarket.TaskStatus.Submitted) _closeWindow(id);
    }

    function _finished(uint256 id) internal view returns (bool) {
        ITaskMarket.TaskStatus s = _status(id);
        return s == ITaskMarket.TaskStatus.Settled || s == ITaskMarket.TaskStatus.Cancelled
            || s == ITaskMarket.TaskStatus.Expired || s == ITaskMarket.TaskStatus.Failed
            || s == ITaskMarket.TaskStatus.Slashed;
    }

    function _credits() internal view returns (uint256 total) {
        total = spotCheck.claimable(requester);
        for (uint256 i; i < POOL; ++i) {
            total += spotCheck.claimable(nodes[i]);
        }
    }

    /// @dev balance == sum(fee of Enabled and Verifying checks) + sum(claimable).
    function _assertHoldings(uint256[3] memory ids) internal view {
        uint256 owed = _credits();
        for (uint256 k; k < 3; ++k) {
            if (ids[k] == 0) continue;
            ISpotCheck.Check memory c = spotCheck.getCheck(ids[k]);
            if (c.status == ISpotCheck.CheckStatus.Enabled || c.status == ISpotCheck.CheckStatus.Verifying) {
                owed += c.fee;
            }
        }
        assertEq(address(spotCheck).balance, owed, "holds unspent fees plus credits");
    }
}
