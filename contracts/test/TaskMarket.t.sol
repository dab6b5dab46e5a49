// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Fixture} from "./Fixture.sol";
import {Vm} from "./Vm.sol";
import {EthClaimer} from "./mocks/EthClaimer.sol";
import {FeeOnTransferERC20} from "./mocks/FeeOnTransferERC20.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {MockStrategy} from "./mocks/MockStrategy.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {MarketConfig} from "../src/MarketConfig.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {IRewardsPool} from "../src/interfaces/IRewardsPool.sol";
import {IMarketConfig} from "../src/interfaces/IMarketConfig.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

contract TaskMarketTest is Fixture {
    // ================================================================ construction and governance

    function test_constructor_setsParameters() public view {
        assertEq(address(market.registry()), address(registry));
        assertEq(address(market.reputation()), address(reputation));
        assertEq(address(market.rewardsPool()), address(pool));
        assertEq(config.params().treasury, treasury);
        assertTrue(market.hasRole(market.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(market.ORACLE_ROLE(), keccak256("ORACLE_ROLE"));
        assertEq(market.taskCount(), 0);
        IMarketConfig.SettlementParams memory s = config.settlementParams();
        assertEq(uint256(s.protocolFeeBps), FEE_BPS);
        assertEq(uint256(s.baseWeightBps), 8000);
        assertEq(uint256(s.qualityWeightBps), 1000);
        assertEq(uint256(s.reputationWeightBps), 1000);
        assertEq(uint256(s.challengeWindow), 1 hours);
        assertEq(uint256(s.minSnapshotInterval), 30);
        assertEq(s.rewardPerComputeUnit, 0);
        assertEq(uint256(config.MIN_BASE_WEIGHT_BPS()), 5000);
        assertEq(uint256(config.MAX_WINDOW()), 30 days);
    }

    function test_constructor_emitsDefaults() public {
        vm.expectEmit(true, true, true, true);
        emit IMarketConfig.TreasurySet(treasury);
        vm.expectEmit(true, true, true, true);
        emit IMarketConfig.ProtocolFeeSet(FEE_BPS);
        vm.expectEmit(true, true, true, true);
        emit IMarketConfig.SettlementWeightsSet(8000, 1000, 1000);
        vm.expectEmit(true, true, true, true);
        emit IMarketConfig.ChallengeWindowSet(1 hours);
        vm.expectEmit(true, true, true, true);
        emit IMarketConfig.SnapshotIntervalSet(30);
        vm.expectEmit(true, true, true, true);
        emit IMarketConfig.RewardPerComputeUnitSet(0);
        new MarketConfig(address(nnt), treasury, FEE_BPS, address(this));
    }

    function test_constructor_revertsWithZeroTreasury() public {
        vm.expectRevert(ITaskMarket.ZeroAddress.selector);
        new MarketConfig(address(nnt), address(0), FEE_BPS, address(this));
    }

    function test_constructor_revertsWithZeroRegistry() public {
        vm.expectRevert(ITaskMarket.ZeroAddress.selector);
        new TaskMarket(INodeRegistry(address(0)), reputation, pool, config, address(this));
    }

    function test_constructor_revertsWithZeroReputation() public {
        vm.expectRevert(ITaskMarket.ZeroAddress.selector);
        new TaskMarket(registry, IReputation(address(0)), pool, config, address(this));
    }

    function test_constructor_revertsWithZeroRewardsPool() public {
        vm.expectRevert(ITaskMarket.ZeroAddress.selector);
        new TaskMarket(registry, reputation, IRewardsPool(address(0)), config, address(this));
    }

    function test_constructor_revertsWhenFeeTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.FeeTooHigh.selector, 1001, 1000));
        new MarketConfig(address(nnt), treasury, 1001, address(this));
    }

    function test_isTokenAllowed_isAlwaysTrueForEth() public view {
        assertTrue(config.isTokenAllowed(address(0)));
        assertTrue(config.isTokenAllowed(address(usdc)));
        assertTrue(config.isTokenAllowed(address(nnt)), "NNT is allowed from the start");
        assertFalse(config.isTokenAllowed(address(stranger)));
    }

    function test_setTokenAllowed_togglesAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.TokenAllowed(address(nnt), true);
        config.setTokenAllowed(address(nnt), true);
        assertTrue(config.isTokenAllowed(address(nnt)));
        config.setTokenAllowed(address(nnt), false);
        assertFalse(config.isTokenAllowed(address(nnt)));
    }

    function test_setTokenAllowed_revertsForEth() public {
        vm.expectRevert(ITaskMarket.ZeroAddress.selector);
        config.setTokenAllowed(address(0), true);
    }

    function test_setTokenAllowed_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setTokenAllowed(address(nnt), true);
    }

    function test_setStrategyAllowed_togglesAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.StrategyAllowed(address(firstCome), false);
        config.setStrategyAllowed(address(firstCome), false);
        assertFalse(config.isStrategyAllowed(address(firstCome)));
    }

    function test_setStrategyAllowed_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setStrategyAllowed(stranger, true);
    }

    function test_setProtocolFee_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.ProtocolFeeSet(1000);
        config.setProtocolFee(1000);
        assertEq(uint256(config.settlementParams().protocolFeeBps), 1000);
    }

    function test_setProtocolFee_revertsWhenAboveMax() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.FeeTooHigh.selector, 1001, 1000));
        config.setProtocolFee(1001);
    }

    function test_setProtocolFee_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setProtocolFee(0);
    }

    function test_setTreasury_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.TreasurySet(stranger);
        config.setTreasury(stranger);
        assertEq(config.params().treasury, stranger);
    }

    function test_setTreasury_revertsForZeroAddress() public {
        vm.expectRevert(ITaskMarket.ZeroAddress.selector);
        config.setTreasury(address(0));
    }

    function test_setTreasury_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setTreasury(stranger);
    }

    function test_setSettlementWeights_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.SettlementWeightsSet(5000, 2000, 3000);
        config.setSettlementWeights(5000, 2000, 3000);
        IMarketConfig.SettlementParams memory s = config.settlementParams();
        assertEq(uint256(s.baseWeightBps), 5000);
        assertEq(uint256(s.qualityWeightBps), 2000);
        assertEq(uint256(s.reputationWeightBps), 3000);
        config.setSettlementWeights(10_000, 0, 0);
        assertEq(uint256(config.settlementParams().baseWeightBps), 10_000);
    }

    function test_setSettlementWeights_revertsWhenBaseBelowMinimum() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.InvalidWeights.selector, 4999, 2501, 2500));
        config.setSettlementWeights(4999, 2501, 2500);
    }

    function test_setSettlementWeights_revertsWhenSumIsNotFullScale() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.InvalidWeights.selector, 8000, 1000, 999));
        config.setSettlementWeights(8000, 1000, 999);
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.InvalidWeights.selector, 8000, 1000, 1001));
        config.setSettlementWeights(8000, 1000, 1001);
        // a uint16 sum that would wrap is still rejected
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.InvalidWeights.selector, 60_000, 60_000, 27_008));
        config.setSettlementWeights(60_000, 60_000, 27_008);
    }

    function test_setSettlementWeights_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setSettlementWeights(10_000, 0, 0);
    }

    function test_setChallengeWindow_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.ChallengeWindowSet(30 days);
        config.setChallengeWindow(30 days);
        assertEq(uint256(config.settlementParams().challengeWindow), 30 days);
        config.setChallengeWindow(0);
        assertEq(uint256(config.settlementParams().challengeWindow), 0);
    }

    function test_setChallengeWindow_revertsWhenTooLong() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.WindowTooLong.selector, 30 days + 1, 30 days));
        config.setChallengeWindow(30 days + 1);
    }

    function test_setChallengeWindow_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setChallengeWindow(0);
    }

    function test_setSnapshotInterval_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.SnapshotIntervalSet(5);
        config.setSnapshotInterval(5);
        assertEq(uint256(config.settlementParams().minSnapshotInterval), 5);
    }

    function test_setSnapshotInterval_revertsWhenTooLong() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketConfig.WindowTooLong.selector, 31 days, 30 days));
        config.setSnapshotInterval(31 days);
    }

    function test_setSnapshotInterval_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setSnapshotInterval(0);
    }

    function test_setRewardPerComputeUnit_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(config));
        emit IMarketConfig.RewardPerComputeUnitSet(1e15);
        config.setRewardPerComputeUnit(1e15);
        assertEq(config.settlementParams().rewardPerComputeUnit, 1e15);
    }

    function test_setRewardPerComputeUnit_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, bytes32(0))
        );
        vm.prank(stranger);
        config.setRewardPerComputeUnit(1);
    }

    // ================================================================ publish

    function test_publish_escrowsEthAndEmits() public {
        ITaskMarket.TaskParams memory p = _params();
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskPublished(
            1, requester, address(0), 1 ether, SPEC, "ipfs://spec", 3, address(firstCome), p.applyDeadline, p.deadline
        );
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(1, ITaskMarket.TaskStatus.None, ITaskMarket.TaskStatus.Published);
        uint256 id = _publish(p);

        assertEq(id, 1, "ids start at 1");
        assertEq(market.taskCount(), 1);
        assertEq(address(market).balance, 1 ether);
        ITaskMarket.Task memory t = market.getTask(id);
        assertEq(t.requester, requester);
        assertEq(uint256(t.status), uint256(ITaskMarket.TaskStatus.Published));
        assertEq(uint256(t.replication), 3);
        assertEq(uint256(t.submissions), 0);
        assertEq(uint256(t.minHardwareClass), 1);
        assertEq(t.token, address(0));
        assertEq(uint256(t.applyDeadline), p.applyDeadline);
        assertEq(t.strategy, address(firstCome));
        assertEq(uint256(t.deadline), p.deadline);
        assertEq(uint256(t.collateral), COLLATERAL);
        assertEq(t.budget, 1 ether);
        assertEq(t.specDigest, SPEC);
        assertEq(t.resultDigest, bytes32(0));
        assertEq(uint256(t.computeUnits), COMPUTE_UNITS);
        assertEq(uint256(t.minReputation), 0);
        assertEq(uint256(t.qualityScore), 5000, "unscored is neutral, not full (audit item 15)");
        assertEq(uint256(t.assignedAt), 0);
        assertEq(uint256(t.submittedAt), 0);
    }

    function test_publish_storesMinReputation() public {
        ITaskMarket.TaskParams memory p = _params();
        p.minReputation = 10_000;
        assertEq(uint256(market.getTask(_publish(p)).minReputation), 10_000);
    }

    function test_publish_revertsWithZeroComputeUnits() public {
        ITaskMarket.TaskParams memory p = _params();
        p.computeUnits = 0;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.ZeroComputeUnits.selector));
    }

    function test_publish_revertsWithMinReputationAboveMax() public {
        ITaskMarket.TaskParams memory p = _params();
        p.minReputation = 10_001;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.InvalidReputation.selector, 10_001, 10_000));
    }

    function test_publish_escrowsErc20() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 1_000e6;
        uint256 before = usdc.balanceOf(requester);
        uint256 id = _publish(p);
        assertEq(usdc.balanceOf(address(market)), 1_000e6);
        assertEq(usdc.balanceOf(requester), before - 1_000e6);
        assertEq(market.getTask(id).token, address(usdc));
    }

    function test_publish_numbersTasksSequentially() public {
        assertEq(_publish(_params()), 1);
        assertEq(_publish(_params()), 2);
        assertEq(_publish(_params()), 3);
        assertEq(market.taskCount(), 3);
    }

    /// @dev Audit item 10: with `applyDeadline == deadline` a task could be assigned at the
    ///      deadline second and expired one second later, taking every node's collateral.
    function test_publish_revertsWithoutTheMinimumExecutionWindow() public {
        ITaskMarket.TaskParams memory p = _params();
        p.applyDeadline = p.deadline;
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ExecutionWindowTooShort.selector, 0, 0, 10 minutes));
        vm.prank(requester);
        market.publish{value: p.budget}(p);
        p.applyDeadline = p.deadline - 10 minutes;
        _assertStatus(_publish(p), ITaskMarket.TaskStatus.Published);
    }

    function test_assign_revertsTooCloseToTheDeadlineSoNoCollateralCanBeTrapped() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        _apply(id, 3);
        vm.warp(p.deadline - 10 minutes + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITaskMarket.ExecutionWindowTooShort.selector, id, 10 minutes - 1, 10 minutes)
        );
        market.assign(id);
        market.expire(id); // too late to run: anyone ends it, applicants get everything back
        _assertStatus(id, ITaskMarket.TaskStatus.Expired);
        for (uint256 i; i < 3; ++i) {
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE);
        }
        assertEq(market.claimable(address(0), requester), 1 ether);
    }

    function test_publish_revertsWithEmptySpec() public {
        ITaskMarket.TaskParams memory p = _params();
        p.specDigest = bytes32(0);
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.EmptySpec.selector));
    }

    function test_publish_revertsWithZeroBudget() public {
        ITaskMarket.TaskParams memory p = _params();
        p.budget = 0;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.ZeroBudget.selector));
    }

    function test_publish_revertsWithZeroReplication() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 0;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.InvalidReplication.selector, 0, 8));
    }

    function test_publish_revertsWithReplicationAboveMax() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 9;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.InvalidReplication.selector, 9, 8));
    }

    function test_publish_revertsWithUnlistedStrategy() public {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = stranger;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.StrategyNotAllowed.selector, stranger));
    }

    function test_publish_revertsWithUnknownToken() public {
        MockERC20 unknown = new MockERC20("Unknown", "UNK", 18);
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(unknown);
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.TokenNotAllowed.selector, address(unknown)));
    }

    function test_publish_revertsWithDeadlineInPast() public {
        ITaskMarket.TaskParams memory p = _params();
        p.applyDeadline = START;
        p.deadline = START;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.DeadlineInPast.selector, START, START));
    }

    function test_publish_revertsWithApplyDeadlineInPast() public {
        ITaskMarket.TaskParams memory p = _params();
        p.applyDeadline = START - 1;
        _expectPublishRevert(p, abi.encodeWithSelector(ITaskMarket.DeadlineInPast.selector, START - 1, START));
    }

    function test_publish_revertsWithApplyDeadlineAfterDeadline() public {
        ITaskMarket.TaskParams memory p = _params();
        p.applyDeadline = p.deadline + 1;
        _expectPublishRevert(
            p, abi.encodeWithSelector(ITaskMarket.ApplyDeadlineAfterDeadline.selector, p.deadline + 1, p.deadline)
        );
    }

    function test_publish_revertsWithWrongEthAmount() public {
        ITaskMarket.TaskParams memory p = _params();
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.WrongEthAmount.selector, 1 ether - 1, 1 ether));
        vm.prank(requester);
        market.publish{value: 1 ether - 1}(p);
    }

    function test_publish_revertsWithEthSentWithToken() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.EthSentWithToken.selector, 1));
        vm.prank(requester);
        market.publish{value: 1}(p);
    }

    function test_publish_revertsWithFeeOnTransferToken() public {
        FeeOnTransferERC20 feeToken = new FeeOnTransferERC20();
        config.setTokenAllowed(address(feeToken), true);
        feeToken.mint(requester, 1_000 ether);
        vm.prank(requester);
        feeToken.approve(address(market), type(uint256).max);
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(feeToken);
        p.budget = 100 ether;
        _expectPublishRevert(
            p, abi.encodeWithSelector(ITaskMarket.FeeOnTransferToken.selector, address(feeToken), 100 ether, 99 ether)
        );
    }

    // ================================================================ cancel

    function test_cancel_creditsBudgetToRequester() public {
        uint256 id = _publish(_params());
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Published, ITaskMarket.TaskStatus.Cancelled);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskCancelled(id, 1 ether);
        vm.prank(requester);
        market.cancel(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Cancelled);
        assertEq(market.claimable(address(0), requester), 1 ether);

        uint256 before = requester.balance;
        vm.prank(requester);
        market.claim(address(0));
        assertEq(requester.balance, before + 1 ether);
        assertEq(address(market).balance, 0);
    }

    function test_cancel_revertsForNonRequester() public {
        uint256 id = _publish(_params());
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotRequester.selector, id, stranger));
        vm.prank(stranger);
        market.cancel(id);
    }

    function test_cancel_revertsWhenAssigned() public {
        uint256 id = _assigned(_params());
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Assigned, ITaskMarket.TaskStatus.Published));
        vm.prank(requester);
        market.cancel(id);
    }

    function test_cancel_revertsWhenAlreadyCancelled() public {
        uint256 id = _publish(_params());
        vm.startPrank(requester);
        market.cancel(id);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Cancelled, ITaskMarket.TaskStatus.Published));
        market.cancel(id);
        vm.stopPrank();
    }

    function test_cancel_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 7));
        vm.prank(requester);
        market.cancel(7);
    }

    // ================================================================ applyForTask

    function test_applyForTask_recordsApplicantAndEmits() public {
        uint256 id = _publish(_params());
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.NodeApplied(id, nodes[0]);
        vm.prank(nodes[0]);
        market.applyForTask(id);
        address[] memory applicants = market.applicantsOf(id);
        assertEq(applicants.length, 1);
        assertEq(applicants[0], nodes[0]);
    }

    function test_applyForTask_revertsWhenNotPublished() public {
        uint256 id = _publish(_params());
        vm.prank(requester);
        market.cancel(id);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Cancelled, ITaskMarket.TaskStatus.Published));
        vm.prank(nodes[0]);
        market.applyForTask(id);
    }

    function test_applyForTask_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 1));
        vm.prank(nodes[0]);
        market.applyForTask(1);
    }

    function test_applyForTask_revertsWhenApplicationClosed() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        vm.warp(p.applyDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationClosed.selector, id, p.applyDeadline));
        vm.prank(nodes[0]);
        market.applyForTask(id);
    }

    function test_applyForTask_revertsForUnregisteredNode() public {
        uint256 id = _publish(_params());
        _expectApplyNotEligible(ITaskMarket.Ineligibility.Registration, id, stranger);
    }

    function test_applyForTask_revertsForLowHardwareClass() public {
        ITaskMarket.TaskParams memory p = _params();
        p.minHardwareClass = NODE_CLASS + 1;
        uint256 id = _publish(p);
        _expectApplyNotEligible(ITaskMarket.Ineligibility.HardwareClass, id, nodes[0]);
    }

    function test_applyForTask_revertsWhenCollateralExceedsFreeStake() public {
        ITaskMarket.TaskParams memory p = _params();
        p.collateral = 10 * COLLATERAL + 1; // NODE_STAKE + 1
        uint256 id = _publish(p);
        _expectApplyNotEligible(ITaskMarket.Ineligibility.Stake, id, nodes[0]);
    }

    function test_applyForTask_revertsBelowMinStake() public {
        address small = makeAddr("small");
        _registerAndStake(small, MIN_STAKE - 1, NODE_CLASS);
        ITaskMarket.TaskParams memory p = _params();
        p.collateral = 1;
        uint256 id = _publish(p);
        _expectApplyNotEligible(ITaskMarket.Ineligibility.Stake, id, small);
    }

    function test_applyForTask_revertsBelowMinReputation() public {
        ITaskMarket.TaskParams memory p = _params();
        p.minReputation = 5001; // everyone starts neutral (5000)
        uint256 id = _publish(p);
        _expectApplyNotEligible(ITaskMarket.Ineligibility.Reputation, id, nodes[0]);
        p.minReputation = 5000;
        id = _publish(p);
        vm.prank(nodes[0]);
        market.applyForTask(id);
    }

    function test_applyForTask_revertsWhenPriceExceedsShare() public {
        ITaskMarket.TaskParams memory p = _params(); // share = 1 ether / 3 for 1000 compute units
        uint256 share = p.budget / p.replication;
        uint256 fits = share / COMPUTE_UNITS; // price * CU <= share
        vm.prank(nodes[0]);
        registry.setPrice(address(0), fits + 1);
        vm.prank(nodes[1]);
        registry.setPrice(address(0), fits);
        uint256 id = _publish(p);
        _expectApplyNotEligible(ITaskMarket.Ineligibility.Price, id, nodes[0]);
        vm.prank(nodes[1]);
        market.applyForTask(id);
        vm.prank(nodes[2]); // price 0: any price
        market.applyForTask(id);
    }

    function test_applyForTask_usesThePriceOfTheTaskToken() public {
        vm.prank(nodes[0]);
        registry.setPrice(address(usdc), type(uint256).max); // not ETH: irrelevant to an ETH task
        uint256 id = _publish(_params());
        vm.prank(nodes[0]);
        market.applyForTask(id);
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 1_000e6;
        id = _publish(p);
        _expectApplyNotEligible(ITaskMarket.Ineligibility.Price, id, nodes[0]); // the overflowing product saturates, no panic
    }

    function test_applyForTask_revertsWhenAlreadyApplied() public {
        uint256 id = _publish(_params());
        vm.startPrank(nodes[0]);
        market.applyForTask(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.AlreadyApplied.selector, id, nodes[0]));
        market.applyForTask(id);
        vm.stopPrank();
    }

    function test_applyForTask_revertsWithTooManyApplicants() public {
        uint256 id = _publish(_params());
        uint256 max = market.MAX_APPLICANTS();
        _apply(id, max);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.TooManyApplicants.selector, id, max));
        vm.prank(nodes[max]);
        market.applyForTask(id);
    }

    // ================================================================ assign

    function test_assign_firstComeAssignsEarlyAndLocksCollateral() public {
        uint256 id = _publish(_params());
        _apply(id, 4);
        address[] memory expected = new address[](3);
        (expected[0], expected[1], expected[2]) = (nodes[0], nodes[1], nodes[2]);
        for (uint256 i; i < 3; ++i) {
            // one per node, filterable by its address, with the price it was assigned at
            vm.expectEmit(true, true, true, true, address(market));
            emit ITaskMarket.NodeAssigned(id, expected[i], 0);
        }
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskAssigned(id, expected);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Published, ITaskMarket.TaskStatus.Assigned);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralReleased(nodes[3], id, COLLATERAL); // unselected applicant
        vm.prank(stranger); // anyone may assign
        market.assign(id);

        _assertStatus(id, ITaskMarket.TaskStatus.Assigned);
        address[] memory assignees = market.assigneesOf(id);
        assertEq(assignees.length, 3);
        for (uint256 i; i < 3; ++i) {
            assertEq(assignees[i], nodes[i]);
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE - COLLATERAL);
        }
        assertEq(registry.freeStake(nodes[3]), NODE_STAKE);
    }

    function test_assign_waitingStrategyRevertsWhileApplicationOpen() public {
        MockStrategy waiting = new MockStrategy();
        config.setStrategyAllowed(address(waiting), true);
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(waiting);
        uint256 id = _publish(p);
        _apply(id, 4);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationOpen.selector, id, p.applyDeadline));
        market.assign(id);

        vm.warp(p.applyDeadline);
        market.assign(id);
        address[] memory assignees = market.assigneesOf(id);
        assertEq(assignees[0], nodes[1]);
        assertEq(assignees[2], nodes[3]);
    }

    function test_assign_skipsApplicantsNoLongerEligible() public {
        uint256 id = _publish(_params());
        _apply(id, 4);
        vm.prank(nodes[0]); // node0 unbonds below the minimum stake after applying
        registry.requestUnbond(NODE_STAKE - COLLATERAL);
        market.assign(id);
        assertEq(registry.claimable(treasury), uint256(COLLATERAL) / 10, "the squatter forfeits the penalty");
        assertEq(uint256(registry.getNode(nodes[0]).locked), 0, "and gets the rest back");
        address[] memory assignees = market.assigneesOf(id);
        assertEq(assignees[0], nodes[1]);
        assertEq(assignees[1], nodes[2]);
        assertEq(assignees[2], nodes[3]);
    }

    function test_assign_fixesPricesAndAssignmentTime() public {
        vm.prank(nodes[0]);
        registry.setPrice(address(0), 1e12);
        uint256 id = _publish(_params());
        _apply(id, 3);
        vm.warp(START + 10 minutes);
        market.assign(id);
        assertEq(uint256(market.getTask(id).assignedAt), START + 10 minutes);
        ITaskMarket.Participation memory part = market.participationOf(id, nodes[0]);
        assertTrue(part.applied && part.assigned && !part.submitted);
        assertEq(part.price, 1e12);
        assertEq(market.participationOf(id, nodes[1]).price, 0);
        vm.prank(nodes[0]); // a later price change does not touch the assignment
        registry.setPrice(address(0), 2e12);
        assertEq(market.participationOf(id, nodes[0]).price, 1e12);
    }

    function test_assign_rechecksPriceAndReputation() public {
        ITaskMarket.TaskParams memory p = _params();
        p.minReputation = 5000;
        uint256 id = _publish(p);
        _apply(id, 5);
        vm.prank(nodes[0]); // raises its price above the share after applying
        registry.setPrice(address(0), 1 ether);
        reputation.grantRole(reputation.REPORTER_ROLE(), address(this));
        reputation.record(nodes[1], 99, IReputation.Outcome.Missed); // falls below the minimum
        market.assign(id);
        address[] memory assignees = market.assigneesOf(id);
        assertEq(assignees[0], nodes[2]);
        assertEq(assignees[1], nodes[3]);
        assertEq(assignees[2], nodes[4]);
    }

    function test_assign_revertsWithNotEnoughApplicants() public {
        uint256 id = _publish(_params());
        _apply(id, 3);
        vm.prank(nodes[2]); // all its free stake: below the minimum stake
        registry.requestUnbond(NODE_STAKE - COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotEnoughApplicants.selector, id, 2, 3));
        market.assign(id);
    }

    function test_assign_revertsWhenDeadlinePassed() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        _apply(id, 3);
        vm.warp(p.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlinePassed.selector, id, p.deadline));
        market.assign(id);
    }

    function test_assign_revertsWhenStrategyDisallowedAfterPublish() public {
        uint256 id = _publish(_params());
        _apply(id, 3);
        config.setStrategyAllowed(address(firstCome), false);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.StrategyNotAllowed.selector, address(firstCome)));
        market.assign(id);
    }

    function test_assign_revertsWhenAlreadyAssigned() public {
        uint256 id = _assigned(_params());
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Assigned, ITaskMarket.TaskStatus.Published));
        market.assign(id);
    }

    function test_assign_revertsOnDuplicateSelection() public {
        _expectInvalidSelection(MockStrategy.Mode.Duplicate);
    }

    function test_assign_revertsOnSelectionOutsideCandidates() public {
        _expectInvalidSelection(MockStrategy.Mode.Outsider);
    }

    function test_assign_revertsOnShortSelection() public {
        _expectInvalidSelection(MockStrategy.Mode.Short);
    }

    function test_assign_withZeroCollateralLocksNothing() public {
        ITaskMarket.TaskParams memory p = _params();
        p.collateral = 0;
        uint256 id = _assigned(p);
        _assertStatus(id, ITaskMarket.TaskStatus.Assigned);
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE);
    }

    // ================================================================ submitResult

    function test_submitResult_recordsAndCompletesOnLastSubmission() public {
        uint256 id = _assigned(_params());
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.ResultSubmitted(id, nodes[0], RESULT_A);
        _submit(id, nodes[0], RESULT_A);
        assertEq(market.resultOf(id, nodes[0]), RESULT_A);
        assertEq(uint256(market.getTask(id).submissions), 1);
        _submit(id, nodes[1], RESULT_A);
        _assertStatus(id, ITaskMarket.TaskStatus.Assigned);

        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Assigned, ITaskMarket.TaskStatus.Submitted);
        _submit(id, nodes[2], RESULT_B);
        _assertStatus(id, ITaskMarket.TaskStatus.Submitted);
        assertEq(market.resultOf(id, nodes[2]), RESULT_B);
    }

    function test_submitResult_recordsTimesAndAcceptsWhileRunning() public {
        uint256 id = _assigned(_params());
        vm.prank(nodes[0]);
        market.postSnapshot(id, 1, keccak256("h1"));
        _assertStatus(id, ITaskMarket.TaskStatus.Running);
        vm.warp(START + 2 hours);
        _submit(id, nodes[0], RESULT_A);
        assertEq(uint256(market.participationOf(id, nodes[0]).submittedAt), START + 2 hours);
        assertEq(uint256(market.getTask(id).submittedAt), 0, "set when the last result is in");
        _submit(id, nodes[1], RESULT_A);
        vm.warp(START + 3 hours);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Running, ITaskMarket.TaskStatus.Submitted);
        _submit(id, nodes[2], RESULT_A);
        assertEq(uint256(market.getTask(id).submittedAt), START + 3 hours);
        ITaskMarket.Participation memory part = market.participationOf(id, nodes[2]);
        assertTrue(part.submitted);
        assertEq(part.resultDigest, RESULT_A);
    }

    function test_submitResult_acceptsAtDeadline() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        vm.warp(p.deadline);
        _submit(id, nodes[0], RESULT_A);
        assertEq(market.resultOf(id, nodes[0]), RESULT_A);
    }

    function test_submitResult_revertsForNotAssignedNode() public {
        uint256 id = _publish(_params());
        _apply(id, 4);
        market.assign(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotAssigned.selector, id, nodes[3]));
        _submit(id, nodes[3], RESULT_A); // applied, not selected
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotAssigned.selector, id, stranger));
        _submit(id, stranger, RESULT_A);
    }

    function test_submitResult_revertsWhenAlreadySubmitted() public {
        uint256 id = _assigned(_params());
        _submit(id, nodes[0], RESULT_A);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.AlreadySubmitted.selector, id, nodes[0]));
        _submit(id, nodes[0], RESULT_B);
    }

    function test_submitResult_revertsWithZeroDigest() public {
        uint256 id = _assigned(_params());
        vm.expectRevert(ITaskMarket.ZeroResultDigest.selector);
        _submit(id, nodes[0], bytes32(0));
    }

    function test_submitResult_revertsWhenDeadlinePassed() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        vm.warp(p.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlinePassed.selector, id, p.deadline));
        _submit(id, nodes[0], RESULT_A);
    }

    function test_submitResult_revertsBeforeAssignment() public {
        uint256 id = _publish(_params());
        _apply(id, 1);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Published, ITaskMarket.TaskStatus.Assigned));
        _submit(id, nodes[0], RESULT_A);
    }

    // ================================================================ settle

    function test_settle_fullLifecycleWithEth() public {
        uint256 id = _assigned(_params());
        _submitAll(id, _same(3, RESULT_A));

        // neutral reputation (5000), unscored (neutral) quality: factor = 8000 + 500 + 500 = 9000 bps
        uint256 share = uint256(1 ether) / 3;
        uint256 gross = share * 9000 / 10_000;
        uint256 nodeFee = gross * FEE_BPS / 10_000;
        uint256 net = gross - nodeFee;
        uint256 refund = 1 ether - 3 * gross;
        _closeWindow(id);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.NodePaid(id, nodes[0], net);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.NodePaid(id, nodes[1], net);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.NodePaid(id, nodes[2], net);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Submitted, ITaskMarket.TaskStatus.Settled);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskSettled(id, RESULT_A, 3 * net, 3 * nodeFee, refund);
        vm.prank(stranger); // anyone may settle
        market.settle(id);

        _assertStatus(id, ITaskMarket.TaskStatus.Settled);
        assertEq(market.getTask(id).resultDigest, RESULT_A);
        assertEq(3 * net + 3 * nodeFee + refund, 1 ether, "conservation");
        assertEq(market.claimable(address(0), treasury), 3 * nodeFee);
        assertEq(market.claimable(address(0), requester), refund);
        for (uint256 i; i < 3; ++i) {
            assertEq(market.claimable(address(0), nodes[i]), net);
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE, "collateral released");
            uint256 before = nodes[i].balance;
            vm.prank(nodes[i]);
            market.claim(address(0));
            assertEq(nodes[i].balance, before + net);
        }
        vm.prank(treasury);
        market.claim(address(0));
        vm.prank(requester);
        market.claim(address(0));
        assertEq(treasury.balance, 3 * nodeFee);
        assertEq(address(market).balance, 0, "market drained");
    }

    function test_settle_fullLifecycleWithErc20() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 1_000e6;
        uint256 id = _assigned(p);
        _submitAll(id, _same(3, RESULT_A));
        _settle(id);

        uint256 gross = 299_999_999; // 333_333_333 * 9000 / 10000, rounded down
        uint256 nodeFee = 5_999_999; // 2% of it, rounded down
        for (uint256 i; i < 3; ++i) {
            vm.prank(nodes[i]);
            market.claim(address(usdc));
            assertEq(usdc.balanceOf(nodes[i]), gross - nodeFee);
        }
        vm.prank(treasury);
        market.claim(address(usdc));
        assertEq(usdc.balanceOf(treasury), 3 * nodeFee);
        assertEq(market.claimable(address(usdc), requester), 1_000e6 - 3 * gross);
        vm.prank(requester);
        market.claim(address(usdc));
        assertEq(usdc.balanceOf(address(market)), 0);
        assertEq(usdc.balanceOf(requester), 1_000_000e6 - 3 * gross);
    }

    function test_settle_paysMajorityAndRefundsDissenterShare() public {
        uint256 id = _assigned(_params());
        _submitAll(id, _three(RESULT_A, RESULT_B, RESULT_A));
        // forge-lint: disable-next-line(divide-before-multiply)
        uint256 gross = (uint256(1 ether) / 3) * 9000 / 10_000; // the share, then weighted
        uint256 nodeFee = gross * FEE_BPS / 10_000;
        _closeWindow(id);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskSettled(id, RESULT_A, 2 * (gross - nodeFee), 2 * nodeFee, 1 ether - 2 * gross);
        market.settle(id);
        assertEq(market.claimable(address(0), nodes[0]), gross - nodeFee);
        assertEq(market.claimable(address(0), nodes[1]), 0, "dissenter unpaid");
        assertEq(market.claimable(address(0), nodes[2]), gross - nodeFee);
        assertEq(market.claimable(address(0), requester), 1 ether - 2 * gross);
        assertEq(registry.freeStake(nodes[1]), NODE_STAKE, "dissenter keeps collateral (until arbitration)");
    }

    /// @dev Audit item 3: without a majority the whole budget used to be refunded, so a
    ///      requester's own node could void honest work by dissenting.
    function test_settle_withoutStrictMajorityOpensTheTieWindowThenPaysEveryReplica() public {
        uint256 id = _assigned(_params());
        _submitAll(id, _three(RESULT_A, RESULT_B, RESULT_C));
        _closeWindow(id);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskTied(id, uint64(block.timestamp + 1 hours));
        market.settle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Verifying);
        assertTrue(market.getTask(id).tied);
        assertEq(market.claimable(address(0), requester), 0, "no refund");
        vm.expectRevert(
            abi.encodeWithSelector(ITaskMarket.ChallengeWindowOpen.selector, id, uint64(block.timestamp + 1 hours))
        );
        market.settle(id);

        _closeWindow(id);
        vm.recordLogs();
        market.settle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Settled);
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        for (uint256 i; i < 3; ++i) {
            assertEq(market.claimable(address(0), nodes[i]), gross - gross * FEE_BPS / BPS, "every replica paid");
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE);
            assertEq(uint256(reputation.reputationOf(nodes[i])), 5000, "nobody is known right or wrong");
        }
        assertEq(market.claimable(address(0), requester), 1 ether - 3 * gross);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].emitter != address(reputation), "no reputation recorded after a tie");
        }
    }

    function test_settle_treatsAnEvenSplitAsATie() public {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 4;
        uint256 id = _assigned(p);
        bytes32[] memory d = _same(4, RESULT_A);
        (d[2], d[3]) = (RESULT_B, RESULT_B);
        _submitAll(id, d);
        _settle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Verifying);
        _settle(id);
        assertEq(market.getTask(id).resultDigest, bytes32(0));
        uint256 gross = _gross(1 ether, 4, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), requester), 1 ether - 4 * gross);
    }

    function test_settle_withBaseWeightOnlyAndZeroFeePaysFullShares() public {
        config.setProtocolFee(0);
        config.setSettlementWeights(10_000, 0, 0);
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        uint256 id = _assigned(p);
        _submit(id, nodes[0], RESULT_A);
        _settle(id);
        assertEq(market.claimable(address(0), nodes[0]), 1 ether);
        assertEq(market.claimable(address(0), treasury), 0);
        assertEq(market.claimable(address(0), requester), 0);
    }

    function test_settle_revertsDuringChallengeWindow() public {
        uint256 id = _assigned(_params());
        vm.warp(START + 2 hours);
        _submitAll(id, _same(3, RESULT_A));
        uint64 endsAt = START + 3 hours;
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ChallengeWindowOpen.selector, id, endsAt));
        market.settle(id);
        vm.warp(endsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ChallengeWindowOpen.selector, id, endsAt));
        market.settle(id);
        vm.warp(endsAt);
        market.settle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Settled);
    }

    function test_settle_withZeroChallengeWindowSettlesAtOnce() public {
        config.setChallengeWindow(0);
        uint256 id = _assigned(_params());
        _submitAll(id, _same(3, RESULT_A));
        market.settle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Settled);
    }

    function test_settle_revertsWhenAlreadySettled() public {
        uint256 id = _assigned(_params());
        _submitAll(id, _same(3, RESULT_A));
        _settle(id);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Settled, ITaskMarket.TaskStatus.Submitted));
        market.settle(id);
    }

    function test_settle_revertsBeforeAllSubmitted() public {
        uint256 id = _assigned(_params());
        _submit(id, nodes[0], RESULT_A);
        vm.warp(START + 2 days);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Assigned, ITaskMarket.TaskStatus.Submitted));
        market.settle(id);
    }

    function test_settle_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 42));
        market.settle(42);
    }

    // ================================================================ expire

    function test_expire_refundsPublishedTask() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        _apply(id, 2);
        vm.warp(p.deadline + 1);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Published, ITaskMarket.TaskStatus.Expired);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskExpired(id, 1 ether);
        vm.prank(stranger); // anyone may expire
        market.expire(id);
        assertEq(market.claimable(address(0), requester), 1 ether);
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE);
    }

    function test_expire_dropsNodesThatDidNotSubmitAndSettlesTheOthers() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        _submit(id, nodes[0], RESULT_A);
        _submit(id, nodes[2], RESULT_A);
        vm.warp(p.deadline + 1);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.NodeMissed(id, nodes[1], COLLATERAL);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralSlashed(nodes[1], id, COLLATERAL, treasury);
        market.expire(id);

        _assertStatus(id, ITaskMarket.TaskStatus.Submitted);
        INodeRegistry.Node memory slashed = registry.getNode(nodes[1]);
        assertEq(uint256(slashed.staked), NODE_STAKE - COLLATERAL);
        assertEq(uint256(slashed.locked), 0);
        assertEq(registry.claimable(requester), 0, "never to the requester");
        assertEq(registry.claimable(treasury), COLLATERAL);

        _settle(id); // the two that did the work are paid
        uint256 gross = _gross(1 ether, 3, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), nodes[2]), gross - gross * FEE_BPS / BPS);
        assertEq(market.claimable(address(0), requester), 1 ether - 2 * gross);
        assertEq(registry.freeStake(nodes[0]), NODE_STAKE);
        assertEq(registry.freeStake(nodes[2]), NODE_STAKE);
    }

    function test_expire_recordsNonSubmittersAsMissed() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        _submit(id, nodes[0], RESULT_A);
        vm.warp(p.deadline + 1);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[1], id, IReputation.Outcome.Missed, 5000, 4600);
        vm.expectEmit(true, true, true, true, address(reputation));
        emit IReputation.ReputationUpdated(nodes[2], id, IReputation.Outcome.Missed, 5000, 4600);
        market.expire(id);
        assertEq(uint256(reputation.reputationOf(nodes[0])), 5000, "a submitter is not recorded");
        assertEq(uint256(reputation.reputationOf(nodes[1])), 4600);
    }

    function test_expire_withZeroCollateralStillRecordsMissed() public {
        ITaskMarket.TaskParams memory p = _params();
        p.collateral = 0;
        uint256 id = _assigned(p);
        vm.warp(p.deadline + 1);
        market.expire(id);
        assertEq(uint256(reputation.reputationOf(nodes[0])), 4600);
        assertEq(registry.claimable(requester), 0);
    }

    function test_expire_runningTaskPastDeadline() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        vm.prank(nodes[0]);
        market.postSnapshot(id, 10, keccak256("h10"));
        _assertStatus(id, ITaskMarket.TaskStatus.Running);
        vm.warp(p.deadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlineNotReached.selector, id, p.deadline));
        market.expire(id);
        vm.warp(p.deadline + 1);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskStatusChanged(id, ITaskMarket.TaskStatus.Running, ITaskMarket.TaskStatus.Expired);
        market.expire(id);
        assertEq(registry.claimable(requester), 0, "penalties never to the requester");
        assertEq(registry.claimable(treasury), 3 * uint256(COLLATERAL));
    }

    function test_expire_publishedAtApplyDeadlineWithTooFewApplicants() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        _apply(id, 2);
        vm.warp(p.applyDeadline); // long before the deadline
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.TaskExpired(id, 1 ether);
        market.expire(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Expired);
        assertEq(market.claimable(address(0), requester), 1 ether);
    }

    function test_expire_publishedCountsOnlyApplicantsStillEligible() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        _apply(id, 3);
        vm.prank(nodes[1]);
        registry.requestUnbond(NODE_STAKE - COLLATERAL);
        vm.warp(p.applyDeadline);
        market.expire(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Expired);
    }

    function test_expire_revertsWhileApplicationsOpen() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        vm.warp(p.applyDeadline - 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationOpen.selector, id, p.applyDeadline));
        market.expire(id);
    }

    function test_expire_revertsForPublishedTaskThatCanBeAssigned() public {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(reputationPriority); // waits for the window
        uint256 id = _publish(p);
        _apply(id, 3);
        vm.warp(p.applyDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlineNotReached.selector, id, p.deadline));
        market.expire(id);
        vm.warp(p.deadline + 1); // nobody assigned it in time
        market.expire(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Expired);
    }

    function test_expire_revertsBeforeDeadline() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        vm.warp(p.deadline); // results are still due at the deadline itself
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlineNotReached.selector, id, p.deadline));
        market.expire(id);
    }

    function test_expire_revertsWhenAllSubmitted() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _assigned(p);
        _submitAll(id, _same(3, RESULT_A));
        vm.warp(p.deadline + 1);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Submitted, ITaskMarket.TaskStatus.Assigned));
        market.expire(id);
    }

    function test_expire_revertsWhenCancelled() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        vm.prank(requester);
        market.cancel(id);
        vm.warp(p.deadline + 1);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Cancelled, ITaskMarket.TaskStatus.Assigned));
        market.expire(id);
    }

    function test_expire_revertsWhenAlreadyExpired() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 id = _publish(p);
        vm.warp(p.deadline + 1);
        market.expire(id);
        vm.expectRevert(_invalidStatus(id, ITaskMarket.TaskStatus.Expired, ITaskMarket.TaskStatus.Assigned));
        market.expire(id);
    }

    function test_expire_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.UnknownTask.selector, 0));
        market.expire(0);
    }

    // ================================================================ claim

    function test_claim_zeroesBalanceAndEmits() public {
        uint256 id = _publish(_params());
        vm.startPrank(requester);
        market.cancel(id);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITaskMarket.Claimed(requester, address(0), 1 ether);
        market.claim(address(0));
        assertEq(market.claimable(address(0), requester), 0);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NothingToClaimInToken.selector, requester, address(0)));
        market.claim(address(0));
        vm.stopPrank();
    }

    function test_claim_revertsWhenNothingToClaim() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NothingToClaimInToken.selector, stranger, address(usdc)));
        vm.prank(stranger);
        market.claim(address(usdc));
    }

    function test_claim_worksAfterTokenIsDisallowed() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 5e6;
        uint256 id = _publish(p);
        vm.prank(requester);
        market.cancel(id);
        config.setTokenAllowed(address(usdc), false);
        vm.prank(requester);
        market.claim(address(usdc));
        assertEq(usdc.balanceOf(address(market)), 0);
    }

    function test_claim_revertsWhenEthTransferFails() public {
        EthClaimer claimer = new EthClaimer(market, EthClaimer.Behaviour.Refuse);
        vm.deal(address(claimer), 0);
        uint256 id = claimer.publish{value: 1 ether}(_params());
        claimer.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.EthTransferFailed.selector, address(claimer), 1 ether));
        claimer.claim();
        assertEq(market.claimable(address(0), address(claimer)), 1 ether, "credit kept");
    }

    function test_claim_blocksReentrancy() public {
        EthClaimer claimer = new EthClaimer(market, EthClaimer.Behaviour.Reenter);
        uint256 id = claimer.publish{value: 1 ether}(_params());
        claimer.cancel(id);
        _publish(_params()); // other escrow the attacker must not reach
        claimer.claim();
        assertTrue(claimer.reentered());
        assertEq(
            keccak256(claimer.reentryError()),
            keccak256(abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector))
        );
        assertEq(address(claimer).balance, 1 ether);
        assertEq(address(market).balance, 1 ether);
    }

    // ================================================================ views

    function test_getTask_returnsZeroForUnknownId() public view {
        ITaskMarket.Task memory t = market.getTask(99);
        assertEq(uint256(t.status), uint256(ITaskMarket.TaskStatus.None));
        assertEq(t.requester, address(0));
    }

    // ================================================================ helpers

    function _invalidStatus(uint256 id, ITaskMarket.TaskStatus have, ITaskMarket.TaskStatus want)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(ITaskMarket.InvalidStatus.selector, id, have, want);
    }

    function _expectPublishRevert(ITaskMarket.TaskParams memory p, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(requester);
        market.publish{value: p.token == address(0) ? p.budget : 0}(p);
    }

    function _expectApplyNotEligible(ITaskMarket.Ineligibility why, uint256 id, address node) internal {
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotEligible.selector, id, node, why));
        vm.prank(node);
        market.applyForTask(id);
    }

    function _expectInvalidSelection(MockStrategy.Mode mode) internal {
        MockStrategy faulty = new MockStrategy();
        faulty.setMode(mode, stranger);
        config.setStrategyAllowed(address(faulty), true);
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(faulty);
        uint256 id = _publish(p);
        _apply(id, 4);
        vm.warp(p.applyDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.InvalidSelection.selector, id, address(faulty)));
        market.assign(id);
    }
}
