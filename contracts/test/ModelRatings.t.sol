// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ModelRatingsFixture} from "./ModelRatingsFixture.sol";
import {IModelRatings} from "../src/interfaces/IModelRatings.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {IVersioned} from "../src/interfaces/IVersioned.sol";
import {TestCoFundingPool} from "./mocks/TestCoFundingPool.sol";

/// @notice Ratings by verified users and by stakers, verified use, the stake lock and pull
///         withdrawal, governance, and the attacks: a Sybil flood, a requester rating its own
///         model through a second address, a Sybil co-funding pool, re-rating.
contract ModelRatingsTest is ModelRatingsFixture {
    address internal alice = makeAddr("alice"); // a verified user
    address internal staker = makeAddr("staker");

    // ================================================================ verified users

    function test_recordUse_marksTheRequesterAVerifiedUser() public {
        uint256 taskId = _settledTaskBy(alice, keccak256("use"), 7000, true);
        address[] memory users = new address[](1);
        users[0] = alice;
        uint16[] memory weights = new uint16[](1);
        weights[0] = 10_000;
        vm.expectEmit(true, true, true, true, address(ratings));
        emit IModelRatings.UseRecorded(modelId, taskId, users, weights);
        vm.prank(registrar);
        ratings.recordUse(modelId, taskId);
        assertEq(uint256(ratings.useWeightOf(modelId, alice)), 10_000);
        assertEq(ratings.useOfTask(taskId), modelId);

        vm.expectRevert(abi.encodeWithSelector(IModelRatings.UseAlreadyRecorded.selector, taskId, modelId));
        vm.prank(registrar);
        ratings.recordUse(modelId, taskId);
    }

    function test_recordUse_revertsForAnyoneButTheRegistrarAndForOpenOrTrainingTasks() public {
        uint256 open = _publish(_paramsNow());
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, alice, ratings.REGISTRAR_ROLE()
            )
        );
        vm.prank(alice);
        ratings.recordUse(modelId, open);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRatings.TaskNotSettled.selector, open, ITaskMarket.TaskStatus.Published)
        );
        vm.prank(registrar);
        ratings.recordUse(modelId, open);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.TaskListedTheModel.selector, trainingTask, modelId));
        vm.prank(registrar);
        ratings.recordUse(modelId, trainingTask);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.UnknownModel.selector, 9, 1));
        vm.prank(registrar);
        ratings.recordUse(9, open);
    }

    function test_rate_aVerifiedUserNeedsNoStake() public {
        _verifiedUser(alice);
        vm.expectEmit(true, true, true, true, address(ratings));
        emit IModelRatings.Rated(modelId, alice, 4, 0, 10_000, "ipfs://review");
        _rate(alice, 4, 0);
        IModelRatings.Summary memory s = ratings.summary(modelId);
        assertEq(uint256(s.verifiedCount), 1);
        assertEq(s.verifiedWeight, 10_000);
        assertEq(s.verifiedStars, 40_000);
        assertEq(uint256(s.stakedCount), 0, "no stake: not in the stake-weighted average");
        IModelRatings.Rating memory r = ratings.ratingOf(modelId, alice);
        assertEq(uint256(r.stars), 4);
        assertEq(r.reviewURI, "ipfs://review");
        assertEq(ratings.raterCount(modelId), 1);
        assertEq(ratings.raters(modelId, 0, 10)[0], alice);
    }

    function test_rate_aLaterUseMovesALiveStakedRatingIntoTheVerifiedAverage() public {
        _rate(alice, 3, MIN_RATING_STAKE);
        assertEq(uint256(ratings.summary(modelId).verifiedCount), 0);
        uint256 taskId = _settledTaskBy(alice, keccak256("use"), 7000, true);
        vm.expectEmit(true, true, true, true, address(ratings));
        emit IModelRatings.UseWeightChanged(modelId, alice, 10_000);
        vm.prank(registrar);
        ratings.recordUse(modelId, taskId);
        IModelRatings.Summary memory s = ratings.summary(modelId);
        assertEq(uint256(s.verifiedCount), 1);
        assertEq(s.verifiedStars, 30_000);
        assertEq(s.totalStake, MIN_RATING_STAKE, "still in the stake-weighted average too");
    }

    // ================================================================ stakers

    function test_rate_anUnverifiedAddressMustStake() public {
        vm.expectRevert(
            abi.encodeWithSelector(IModelRatings.StakeTooLow.selector, modelId, staker, 0, MIN_RATING_STAKE)
        );
        vm.prank(staker);
        ratings.rate(modelId, 5, "", 0);
        assertTrue(nnt.transfer(staker, MIN_RATING_STAKE - 1));
        vm.startPrank(staker);
        nnt.approve(address(ratings), MIN_RATING_STAKE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IModelRatings.StakeTooLow.selector, modelId, staker, MIN_RATING_STAKE - 1, MIN_RATING_STAKE
            )
        );
        ratings.rate(modelId, 5, "", MIN_RATING_STAKE - 1);
        vm.stopPrank();

        _rate(staker, 5, 30e18);
        IModelRatings.Summary memory s = ratings.summary(modelId);
        assertEq(uint256(s.stakedCount), 1);
        assertEq(s.totalStake, 30e18);
        assertEq(s.stakedStars, 150e18);
        assertEq(uint256(s.verifiedCount), 0, "a stake never makes a verified user");
        assertEq(nnt.balanceOf(address(ratings)), 30e18);
        assertEq(ratings.totalStaked(), 30e18);
    }

    function test_rate_reRatingReplacesTheRatingWithoutDoubleCounting() public {
        _verifiedUser(alice);
        _rate(alice, 5, 0);
        _rate(alice, 2, 0);
        _rate(staker, 5, 20e18);
        _rate(staker, 1, 5e18); // adds 5 NNT: 25 staked on 1 star
        IModelRatings.Summary memory s = ratings.summary(modelId);
        assertEq(uint256(s.verifiedCount), 1);
        assertEq(s.verifiedStars, 20_000, "the last rating only");
        assertEq(uint256(s.stakedCount), 1);
        assertEq(s.totalStake, 25e18);
        assertEq(s.stakedStars, 25e18);
        assertEq(ratings.raterCount(modelId), 2, "each rater listed once");
    }

    function test_rate_revertsOnBadStarsLongReviewsUnknownModelsAndOwners() public {
        _verifiedUser(alice);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.InvalidStars.selector, 0));
        ratings.rate(modelId, 0, "", 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.InvalidStars.selector, 6));
        ratings.rate(modelId, 6, "", 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.ReviewTooLong.selector, 513, 512));
        ratings.rate(modelId, 3, string(new bytes(513)), 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.UnknownModel.selector, 2, 1));
        ratings.rate(2, 3, "", 0);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.OwnerCannotRate.selector, modelId, requester));
        vm.prank(requester);
        ratings.rate(modelId, 5, "", 0);
    }

    // ================================================================ lock and withdrawal

    function test_withdrawRating_stakeLockedThenPulled() public {
        _rate(staker, 4, 50e18);
        uint64 lockedUntil = ratings.ratingOf(modelId, staker).lockedUntil;
        assertEq(uint256(lockedUntil), block.timestamp + LOCK);
        vm.warp(lockedUntil - 1);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.StakeLocked.selector, modelId, staker, lockedUntil));
        vm.prank(staker);
        ratings.withdrawRating(modelId);

        vm.warp(lockedUntil);
        vm.expectEmit(true, true, true, true, address(ratings));
        emit IModelRatings.RatingWithdrawn(modelId, staker, 50e18);
        vm.prank(staker);
        ratings.withdrawRating(modelId);
        assertEq(ratings.summary(modelId).totalStake, 0);
        assertEq(ratings.withdrawable(staker), 50e18);
        assertEq(nnt.balanceOf(staker), 0, "pull: nothing sent yet");
        vm.prank(staker);
        ratings.claimStake();
        assertEq(nnt.balanceOf(staker), 50e18);
        assertEq(nnt.balanceOf(address(ratings)), 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.NothingToClaim.selector, staker));
        vm.prank(staker);
        ratings.claimStake();
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.NoRating.selector, modelId, staker));
        vm.prank(staker);
        ratings.withdrawRating(modelId);
    }

    function test_withdrawRating_aChangeRestartsTheLockAndGovernanceCannotExtendIt() public {
        _rate(staker, 4, 50e18);
        vm.warp(block.timestamp + LOCK - 1);
        _rate(staker, 5, 0); // a change: locked for another full period
        ratings.setRatingLockPeriod(365 days); // later ratings only
        vm.warp(block.timestamp + LOCK - 1);
        vm.expectRevert();
        vm.prank(staker);
        ratings.withdrawRating(modelId);
        vm.warp(block.timestamp + 1);
        vm.prank(staker);
        ratings.withdrawRating(modelId);
        assertEq(ratings.withdrawable(staker), 50e18);
    }

    function test_withdrawRating_aVerifiedRatingWithoutStakeAtOnce() public {
        _verifiedUser(alice);
        _rate(alice, 1, 0);
        vm.prank(alice);
        ratings.withdrawRating(modelId);
        assertEq(uint256(ratings.summary(modelId).verifiedCount), 0);
        assertEq(uint256(ratings.ratingOf(modelId, alice).stars), 0);
        _rate(alice, 3, 0); // and may rate again
        assertEq(ratings.raterCount(modelId), 1);
    }

    // ================================================================ attacks

    /// @dev 100 fresh addresses rate 1 star: without a use record each reverts; with the least
    ///      stake each, they move the stake-weighted average exactly as one address staking the
    ///      same sum would (no Sybil gain), and the verified average (the one shown) not at all.
    function test_sybilFlood_neverMovesTheVerifiedAverage() public {
        _verifiedUser(alice);
        _rate(alice, 5, 0);
        _rate(staker, 5, 1000e18);
        uint256 shown = _verifiedAverage();
        IModelRatings.Summary memory before = ratings.summary(modelId);
        address[] memory sybils = _addresses("sybil", 100);
        for (uint256 i; i < sybils.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IModelRatings.StakeTooLow.selector, modelId, sybils[i], 0, MIN_RATING_STAKE)
            );
            vm.prank(sybils[i]);
            ratings.rate(modelId, 1, "", 0);
        }
        assertEq(ratings.raterCount(modelId), 2, "no reverted rating listed");

        uint256 snap = vm.snapshotState();
        _rate(makeAddr("whale"), 1, 100 * MIN_RATING_STAKE);
        uint256 oneAddress = _stakedAverage();
        vm.revertToState(snap);
        for (uint256 i; i < sybils.length; ++i) {
            _rate(sybils[i], 1, MIN_RATING_STAKE);
        }
        IModelRatings.Summary memory afterFlood = ratings.summary(modelId);
        assertEq(_verifiedAverage(), shown, "the shown rating did not move");
        assertEq(uint256(afterFlood.verifiedCount), uint256(before.verifiedCount));
        assertEq(afterFlood.verifiedStars, before.verifiedStars);
        assertEq(afterFlood.totalStake, 2000e18);
        assertEq(_stakedAverage(), 300, "(5 x 1000 + 1 x 1000) / 2000 = 3 stars: in proportion to stake");
        assertEq(_stakedAverage(), oneAddress, "splitting the stake over 100 addresses gains nothing");
    }

    /// @dev The requester owns the model: it may not rate it, its second address must stake like
    ///      anyone, and the model's own training task makes nobody a verified user.
    function test_requesterRatingItsOwnModelThroughASecondAddress() public {
        address alt = makeAddr("requester's second address");
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.OwnerCannotRate.selector, modelId, requester));
        vm.prank(requester);
        ratings.rate(modelId, 5, "", 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.StakeTooLow.selector, modelId, alt, 0, MIN_RATING_STAKE));
        vm.prank(alt);
        ratings.rate(modelId, 5, "", 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRatings.TaskListedTheModel.selector, trainingTask, modelId));
        vm.prank(registrar);
        ratings.recordUse(modelId, trainingTask);

        // the requester's own task using its model credits nobody (an owner is no verified user)
        uint256 ownUse = _settledTaskBy(requester, keccak256("own use"), 7000, true);
        vm.prank(registrar);
        ratings.recordUse(modelId, ownUse);
        assertEq(uint256(ratings.useWeightOf(modelId, requester)), 0);

        // through the second address it pays for a whole task to get one vote, like any user
        _verifiedUser(alt);
        _rate(alt, 5, 0);
        assertEq(uint256(ratings.summary(modelId).verifiedCount), 1);
        assertEq(ratings.summary(modelId).verifiedWeight, 10_000, "one vote for one paid task");
    }

    /// @dev A co-funded task credits its funders by share: ten Sybil funders of one task make one
    ///      vote between them, not ten; a funder's weight grows with more tasks up to one vote.
    function test_recordUse_aSybilPoolGetsOneVoteBetweenItsFunders() public {
        _verifiedUser(alice);
        _rate(alice, 5, 0);
        address[] memory sybils = _addresses("pool sybil", 10);
        uint256[] memory amounts = new uint256[](10);
        for (uint256 i; i < 10; ++i) {
            amounts[i] = 1 ether;
        }
        TestCoFundingPool pool = _pool(sybils, amounts);
        uint256 taskId = _settledTaskBy(address(pool), keccak256("pool use"), 7000, true);
        vm.prank(registrar);
        ratings.recordUse(modelId, taskId);
        for (uint256 i; i < 10; ++i) {
            assertEq(uint256(ratings.useWeightOf(modelId, sybils[i])), 1000);
            _rate(sybils[i], 1, 0);
        }
        IModelRatings.Summary memory s = ratings.summary(modelId);
        assertEq(uint256(s.verifiedCount), 11);
        assertEq(s.verifiedWeight, 20_000, "alice's one vote and the pool's one vote");
        assertEq(_verifiedAverage(), 300, "(5 + 1) / 2, not (5 + 10) / 11");
        assertEq(uint256(ratings.useWeightOf(modelId, address(pool))), 0, "the pool itself is no user");
    }

    function test_recordUse_aFundersWeightIsCappedAtOneVote() public {
        address[] memory funders = _addresses("funder", 2);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (3 ether, 1 ether); // 7500 / 2500 bps
        for (uint256 k; k < 2; ++k) {
            TestCoFundingPool pool = _pool(funders, amounts);
            uint256 taskId = _settledTaskBy(address(pool), keccak256(abi.encode("use", k)), 7000, true);
            vm.prank(registrar);
            ratings.recordUse(modelId, taskId);
        }
        assertEq(uint256(ratings.useWeightOf(modelId, funders[0])), 10_000, "7500 + 7500, capped");
        assertEq(uint256(ratings.useWeightOf(modelId, funders[1])), 5000);
    }

    /// @dev The most expensive record: 64 funders using a model owned by 64 funders (every payer
    ///      checked against every owner) stays far under a block.
    function test_recordUse_sixtyFourPayersAgainstSixtyFourOwnersWithinGas() public {
        uint256[] memory amounts = new uint256[](64);
        for (uint256 i; i < 64; ++i) {
            amounts[i] = 1 ether;
        }
        TestCoFundingPool owners = _pool(_addresses("owner", 64), amounts);
        uint256 owned = _registerByOracle(_settledTaskBy(address(owners), keccak256("pooled"), 8000, true), 0);
        TestCoFundingPool users = _pool(_addresses("user", 64), amounts);
        uint256 taskId = _settledTaskBy(address(users), keccak256("pooled use"), 8000, true);
        uint256 gasBefore = gasleft();
        vm.prank(registrar);
        ratings.recordUse(owned, taskId);
        uint256 used = gasBefore - gasleft();
        assertLt(used, 4_000_000, "recordUse with 64 payers and 64 owners (2.7M measured)");
        assertEq(uint256(ratings.useWeightOf(owned, _addresses("user", 64)[63])), 156, "10,000 / 64, floored");
    }

    // ================================================================ properties

    /// @dev Whatever ratings and re-ratings happen, the summary equals the sums over the live ratings.
    function testFuzz_rate_summaryEqualsTheLiveRatings(
        uint8[12] memory stars,
        uint8[12] memory who,
        bool[12] memory out
    ) public {
        address[] memory raters = _addresses("r", 4);
        _verifiedUser(raters[0]);
        _verifiedUser(raters[1]);
        vm.warp(block.timestamp + LOCK);
        for (uint256 i; i < 12; ++i) {
            address rater = raters[who[i] % 4];
            if (out[i] && ratings.ratingOf(modelId, rater).stars != 0) {
                vm.warp(block.timestamp + LOCK);
                vm.prank(rater);
                ratings.withdrawRating(modelId);
                continue;
            }
            uint8 s = uint8(bound(stars[i], 1, 5));
            uint256 stake = who[i] % 4 < 2 && stars[i] % 2 == 0 ? 0 : MIN_RATING_STAKE + stars[i];
            _rate(rater, s, stake);
        }
        IModelRatings.Summary memory sum;
        for (uint256 i; i < 4; ++i) {
            IModelRatings.Rating memory r = ratings.ratingOf(modelId, raters[i]);
            if (r.stars == 0) continue;
            if (r.useWeightBps != 0) {
                ++sum.verifiedCount;
                sum.verifiedWeight += r.useWeightBps;
                sum.verifiedStars += uint256(r.stars) * r.useWeightBps;
            }
            if (r.stake != 0) {
                ++sum.stakedCount;
                sum.totalStake += r.stake;
                sum.stakedStars += uint256(r.stars) * r.stake;
            }
        }
        IModelRatings.Summary memory got = ratings.summary(modelId);
        assertEq(uint256(got.verifiedCount), uint256(sum.verifiedCount));
        assertEq(got.verifiedWeight, sum.verifiedWeight);
        assertEq(got.verifiedStars, sum.verifiedStars);
        assertEq(uint256(got.stakedCount), uint256(sum.stakedCount));
        assertEq(got.totalStake, sum.totalStake);
        assertEq(got.stakedStars, sum.stakedStars);
        assertEq(ratings.totalStaked(), sum.totalStake, "one model: every live stake is its");
        assertEq(nnt.balanceOf(address(ratings)), ratings.totalStaked() + ratings.totalWithdrawable());
    }

    // ================================================================ governance and ERC-165

    function test_governedParameters_adminOnlyWithinBounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, ratings.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        ratings.setMinRatingStake(20e18);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRatings.MinRatingStakeOutOfRange.selector, 1e18 - 1, 1e18, 1_000_000e18)
        );
        ratings.setMinRatingStake(1e18 - 1);
        vm.expectEmit(true, true, true, true, address(ratings));
        emit IModelRatings.MinRatingStakeSet(MIN_RATING_STAKE, 20e18);
        ratings.setMinRatingStake(20e18);
        assertEq(ratings.minRatingStake(), 20e18);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRatings.RatingLockPeriodOutOfRange.selector, 1 days - 1, 1 days, 365 days)
        );
        ratings.setRatingLockPeriod(1 days - 1);
        vm.expectEmit(true, true, true, true, address(ratings));
        emit IModelRatings.RatingLockPeriodSet(LOCK, 30 days);
        ratings.setRatingLockPeriod(30 days);
        assertEq(uint256(ratings.ratingLockPeriod()), 30 days);
    }

    function test_supportsInterface_andVersion() public view {
        assertTrue(ratings.supportsInterface(type(IModelRatings).interfaceId));
        assertTrue(ratings.supportsInterface(type(IVersioned).interfaceId));
        assertTrue(ratings.supportsInterface(0x01ffc9a7), "ERC-165");
        assertFalse(ratings.supportsInterface(type(IModelRegistry).interfaceId));
        assertEq(ratings.version(), "1.1.0");
        assertEq(address(ratings.market()), address(market));
    }

    function _paramsNow() internal view returns (ITaskMarket.TaskParams memory p) {
        p = _params();
        p.applyDeadline = uint64(block.timestamp + 1 hours);
        p.deadline = uint64(block.timestamp + 1 days);
    }
}
