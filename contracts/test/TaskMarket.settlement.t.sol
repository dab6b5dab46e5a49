// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Fixture} from "./Fixture.sol";
import {Vm} from "./Vm.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {IRewardsPool} from "../src/interfaces/IRewardsPool.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Quality reports, the settlement formula (prices, quality, reputation weights),
///         reputation outcomes and NNT bonuses.
contract TaskMarketSettlementTest is Fixture {
    uint256 internal constant SHARE = uint256(1 ether) / 3;

    // ================================================================ reportQuality

    function test_reportQuality_setsScoreAndEmits() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.QualityReported(id, oracle, 7500, true);
        vm.prank(oracle);
        market.reportQuality(id, 7500, true);
        assertEq(uint256(market.getTask(id).qualityScore), 7500);
        vm.prank(oracle); // may correct itself within the window
        market.reportQuality(id, 0, true);
        assertEq(uint256(market.getTask(id).qualityScore), 0);
    }

    function test_reportQuality_revertsForNeitherOracleNorRequester() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotScorer.selector, id, stranger));
        vm.prank(stranger);
        market.reportQuality(id, 1, true);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotScorer.selector, id, nodes[0]));
        vm.prank(nodes[0]); // an assignee cannot score its own work
        market.reportQuality(id, 10_000, true);
    }

    /// @dev Audit item 15: the requester holds a private task's key, so it scores; an oracle's
    ///      evaluation overrides it, and a requester cannot override the oracle.
    function test_reportQuality_byTheRequesterUnlessAnOracleScored() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.prank(requester);
        market.reportQuality(id, 4000, true);
        assertEq(uint256(market.getTask(id).scoredBy), uint256(ITaskMarket.QualitySource.Requester));
        vm.prank(oracle);
        market.reportQuality(id, 9000, true);
        assertEq(uint256(market.getTask(id).qualityScore), 9000);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotScorer.selector, id, requester));
        vm.prank(requester);
        market.reportQuality(id, 0, false);
    }

    /// @dev Audit item 16: a model below the acceptance threshold used to be paid at least the
    ///      base share as if accepted, with its quality share, bonus and reputation gain.
    function test_settle_rejectedResultIsPaidItsComputeOnly() public {
        _fundPool(1_000 * NNT);
        config.setRewardPerComputeUnit(1e15);
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(id, 9000, false);
        _settle(id);
        uint256 gross = SHARE * 8000 / BPS; // the base weight alone
        for (uint256 i; i < 3; ++i) {
            assertEq(market.claimable(address(0), nodes[i]), gross - gross * FEE_BPS / BPS, "compute only");
            assertEq(pool.claimable(nodes[i]), 0, "no bonus");
            assertEq(uint256(reputation.reputationOf(nodes[i])), 5000, "no gain, no loss");
        }
        assertEq(market.claimable(address(0), requester), 1 ether - 3 * gross);
        assertTrue(market.getTask(id).rejected);
    }

    /// @dev Audit item 17: a node of the winning result that never publishes its model
    ///      delivered nothing.
    function test_settle_doesNotPayAWinnerThatNeverRevealed() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.prank(nodes[0]);
        market.revealResult(id, "ipfs://model0");
        vm.prank(nodes[1]);
        market.revealResult(id, "ipfs://model1");
        vm.warp(market.getTask(id).challengeEndsAt);
        market.settle(id);
        uint256 gross = SHARE * 9000 / BPS;
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), nodes[2]), 0, "withheld its model: not paid");
        assertEq(uint256(reputation.reputationOf(nodes[2])), 4600, "recorded Missed");
        assertEq(market.claimable(address(0), requester), 1 ether - 2 * gross);
        assertEq(registry.freeStake(nodes[2]), NODE_STAKE, "collateral released");
    }

    function test_reportQuality_revertsAboveMax() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.InvalidQuality.selector, 10_001, 10_000));
        vm.prank(oracle);
        market.reportQuality(id, 10_001, true);
    }

    function test_reportQuality_revertsOnceTheWindowClosed() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        uint64 endsAt = START + CHALLENGE_WINDOW;
        vm.warp(endsAt - 1);
        vm.prank(oracle);
        market.reportQuality(id, 1, true);
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlinePassed.selector, id, endsAt));
        vm.prank(oracle);
        market.reportQuality(id, 2, true);
    }

    function test_reportQuality_revertsBeforeAllSubmitted() public {
        uint256 id = _assigned(_params());
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector,
                id,
                ITaskMarket.TaskStatus.Assigned,
                ITaskMarket.TaskStatus.Submitted
            )
        );
        vm.prank(oracle);
        market.reportQuality(id, 1, true);
    }

    function test_reportQuality_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 3));
        vm.prank(oracle);
        market.reportQuality(3, 1, true);
    }

    // ================================================================ formula

    function test_settle_scalesPayoutWithQuality() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(id, 0, true);
        _settle(id);
        uint256 gross = SHARE * 8500 / BPS; // 8000 + 1000 * 0 + 1000 * 5000 / 10000
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), requester), 1 ether - 3 * gross);
    }

    function test_settle_scalesPayoutWithReputation() public {
        _setReputation(nodes[0], 10_000);
        _setReputation(nodes[1], 0);
        uint256 id = _submitted(_same(3, RESULT_A));
        _settle(id);
        // unscored quality (neutral, 5000): 8000 + 500 + reputation's 0..1000
        uint256 high = SHARE * 9500 / BPS;
        uint256 low = SHARE * 8500 / BPS;
        uint256 neutral = SHARE * 9000 / BPS;
        assertEq(market.claimable(address(0), nodes[0]), high - high * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), nodes[1]), low - low * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), nodes[2]), neutral - neutral * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), requester), 1 ether - high - low - neutral);
    }

    function test_settle_chargesTheNodePriceFixedAtAssignment() public {
        uint256 price = 1e11; // 1000 CU -> 1e14, far below the share
        vm.prank(nodes[0]);
        registry.setPrice(address(0), price);
        uint256 id = _assigned(_params());
        vm.prank(nodes[0]); // too late to matter
        registry.setPrice(address(0), price * 2);
        _submitAll(id, _same(3, RESULT_A));
        _settle(id);
        uint256 cheap = price * COMPUTE_UNITS * 9000 / BPS;
        uint256 full = SHARE * 9000 / BPS;
        assertEq(market.claimable(address(0), nodes[0]), cheap - cheap * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), nodes[1]), full - full * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), requester), 1 ether - cheap - 2 * full);
    }

    function test_settle_capsCostAtTheShare() public {
        uint256 exact = SHARE / COMPUTE_UNITS; // the largest price that fits
        vm.prank(nodes[0]);
        registry.setPrice(address(0), exact);
        uint256 id = _submitted(_same(3, RESULT_A));
        _settle(id);
        uint256 gross = exact * COMPUTE_UNITS * 9000 / BPS;
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS);
    }

    function test_settle_withSixDecimalsToken() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 300e6;
        p.computeUnits = 7;
        vm.prank(nodes[0]);
        registry.setPrice(address(usdc), 3e6); // 21 USDC
        vm.prank(nodes[1]);
        registry.setPrice(address(0), 1); // an ETH price: irrelevant here
        uint256 id = _assigned(p);
        _submitAll(id, _same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(id, 9000, true);
        _settle(id);
        // factor = 8000 + 900 + 500 = 9400
        uint256 cheap = 21e6 * 9400 / BPS;
        uint256 full = 100e6 * 9400 / BPS;
        assertEq(market.claimable(address(usdc), nodes[0]), cheap - cheap * FEE_BPS / BPS);
        assertEq(market.claimable(address(usdc), nodes[1]), full - full * FEE_BPS / BPS);
        assertEq(market.claimable(address(usdc), requester), 300e6 - cheap - 2 * full);
        uint256 fees = cheap * FEE_BPS / BPS + 2 * (full * FEE_BPS / BPS);
        assertEq(market.claimable(address(usdc), treasury), fees);
    }

    // ================================================================ reputation

    function test_settle_recordsEarlyLateAndDissent() public {
        ITaskMarket.TaskParams memory p = _params(); // assigned at START, due START + 1 day
        p.replication = 4;
        uint256 id = _assigned(p);
        vm.warp(START + 1 hours);
        _submit(id, nodes[0], RESULT_A); // first half: early
        vm.warp(START + 12 hours);
        _submit(id, nodes[1], RESULT_A); // the exact half-way point counts as early
        vm.warp(START + 12 hours + 1);
        _submit(id, nodes[2], RESULT_A); // second half
        _submit(id, nodes[3], RESULT_B); // dissent
        _closeWindow(id);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[0], id, IReputation.Outcome.AgreedEarly, 5000, 5300);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[1], id, IReputation.Outcome.AgreedEarly, 5000, 5300);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[2], id, IReputation.Outcome.Agreed, 5000, 5200);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[3], id, IReputation.Outcome.Dissented, 5000, 4500);
        market.settle(id);
    }

    function test_settle_paysWithReputationBeforeThisTaskIsRecorded() public {
        uint256 id = _submitted(_same(3, RESULT_A));
        _settle(id);
        uint256 neutral = SHARE * 9000 / BPS;
        assertEq(market.claimable(address(0), nodes[0]), neutral - neutral * FEE_BPS / BPS);
        assertEq(uint256(reputation.reputationOf(nodes[0])), 5300);
    }

    // ================================================================ bonuses

    function test_settle_grantsBonusesFromThePool() public {
        _fundPool(1_000 * NNT);
        config.setRewardPerComputeUnit(1e15); // 1000 CU -> 1 NNT at full quality, 0.5 unscored
        uint256 id = _submitted(_three(RESULT_A, RESULT_A, RESULT_B));
        _closeWindow(id);
        vm.expectEmit(true, true, true, true, address(pool));
        emit IRewardsPool.Granted(nodes[0], id, 0.5e18, 0.5e18);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.BonusGranted(id, nodes[0], 0.5e18);
        market.settle(id);
        assertEq(pool.claimable(nodes[0]), 0.5e18);
        assertEq(pool.claimable(nodes[1]), 0.5e18);
        assertEq(pool.claimable(nodes[2]), 0, "no bonus for dissent");
        assertEq(pool.available(), 999e18);
        vm.prank(nodes[0]);
        pool.claim();
        assertEq(nnt.balanceOf(nodes[0]), 0.5e18);
    }

    function test_settle_scalesBonusWithQuality() public {
        _fundPool(1_000 * NNT);
        config.setRewardPerComputeUnit(1e15);
        uint256 id = _submitted(_same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(id, 2500, true);
        _settle(id);
        assertEq(pool.claimable(nodes[0]), 0.25e18);
    }

    function test_settle_grantsWhatIsLeftInThePool() public {
        _fundPool(0.75e18);
        config.setRewardPerComputeUnit(1e15);
        uint256 id = _submitted(_same(3, RESULT_A));
        _closeWindow(id);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.BonusGranted(id, nodes[0], 0.5e18);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.BonusGranted(id, nodes[1], 0.25e18);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.BonusGranted(id, nodes[2], 0);
        market.settle(id);
        assertEq(pool.claimable(nodes[2]), 0);
        assertEq(pool.available(), 0);
        assertEq(nnt.balanceOf(address(pool)), 0.75e18);
    }

    function test_settle_withoutRewardLeavesThePoolAlone() public {
        _fundPool(1_000 * NNT);
        uint256 id = _submitted(_same(3, RESULT_A));
        _closeWindow(id);
        vm.recordLogs();
        market.settle(id);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].emitter != address(pool), "pool untouched");
            assertTrue(logs[i].topics[0] != ITaskMarket.BonusGranted.selector, "no bonus event");
        }
    }

    function test_settle_saturatesAnOverflowingBonus() public {
        _fundPool(10 * NNT);
        config.setRewardPerComputeUnit(type(uint256).max);
        uint256 id = _submitted(_same(3, RESULT_A));
        _settle(id);
        assertEq(pool.claimable(nodes[0]), 10 * NNT, "the whole pool, no overflow");
        assertEq(pool.claimable(nodes[1]), 0);
    }

    // ================================================================ helpers

    /// @dev A first-come 3-replica ETH task assigned at START whose nodes submitted `digests` at START.
    function _submitted(bytes32[] memory digests) internal returns (uint256 id) {
        id = _assigned(_params());
        _submitAll(id, digests);
    }

    /// @dev Also values ETH generously (1 wei = 1e6 NNT-wei), so that the fee cap on bonuses
    ///      does not bind in the pool tests; the cap has its own tests.
    function _fundPool(uint256 amount) internal {
        config.setTokenValue(address(0), 1e24);
        nnt.approve(address(pool), amount);
        pool.fund(amount);
    }

    /// @dev Moves `node`'s reputation to `target` (a multiple of 1000) with full-step records,
    ///      and turns decay off so that it is still `target` at settlement.
    function _setReputation(address node, uint256 target) internal {
        reputation.grantRole(reputation.REPORTER_ROLE(), address(this));
        IReputation.Params memory saved = reputation.params();
        saved.halfLife = 0;
        reputation.setParams(
            IReputation.Params({
                agreedGain: 1000,
                earlyGain: 1000,
                dissentLoss: 1000,
                missedLoss: 1000,
                failedLoss: 1000,
                halfLife: saved.halfLife,
                fullGainValue: saved.fullGainValue
            })
        );
        // full-value gains, each from a requester the node has not worked for before
        for (uint160 i = 1; reputation.reputationOf(node) < target; ++i) {
            reputation.recordWork(node, 0, IReputation.Outcome.Agreed, address(0x5E0000 + i), saved.fullGainValue);
        }
        while (reputation.reputationOf(node) > target) {
            reputation.record(node, 0, IReputation.Outcome.FailedVerification);
        }
        reputation.setParams(saved);
    }
}
