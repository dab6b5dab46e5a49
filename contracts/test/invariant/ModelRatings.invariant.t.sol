// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ModelRatingsFixture} from "../ModelRatingsFixture.sol";
import {RatingsHandler} from "./RatingsHandler.sol";
import {IModelRatings} from "../../src/interfaces/IModelRatings.sol";

/// @notice Rating stakes over random sequences: ModelRatings holds exactly the live stakes plus
///         what it owes, every staked NNT is held or claimed, and each model's summary is the sum
///         of its live ratings.
contract ModelRatingsInvariantTest is ModelRatingsFixture {
    uint256 internal constant MODELS = 2;
    RatingsHandler internal handler;
    address[] internal raters;

    function setUp() public override {
        super.setUp();
        _registerByOracle(_settledTaskBy(requester, keccak256("second model"), 9000, true), 0);
        raters = _addresses("rater", 5);
        _verifiedUser(raters[0]);
        _verifiedUser(raters[1]);
        handler = new RatingsHandler(ratings, nnt, raters, MODELS);
        assertTrue(nnt.transfer(address(handler), 100_000_000e18));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice balance == totalStaked + totalWithdrawable; totalStaked == sum of live stakes;
    ///         totalWithdrawable == sum of what each rater may claim.
    function invariant_holdsLiveStakesPlusWithdrawable() public view {
        uint256 live;
        uint256 owed;
        for (uint256 i; i < raters.length; ++i) {
            for (uint256 m = 1; m <= MODELS; ++m) {
                live += ratings.ratingOf(m, raters[i]).stake;
            }
            owed += ratings.withdrawable(raters[i]);
        }
        assertEq(nnt.balanceOf(address(ratings)), ratings.totalStaked() + ratings.totalWithdrawable(), "held");
        assertEq(ratings.totalStaked(), live, "live stakes");
        assertEq(ratings.totalWithdrawable(), owed, "owed");
    }

    /// @notice Every NNT staked is still held or was claimed, never more.
    function invariant_stakesConserved() public view {
        assertEq(handler.staked(), nnt.balanceOf(address(ratings)) + handler.claimed(), "staked = held + claimed");
    }

    /// @notice Each model's summary is the sum over its live ratings.
    function invariant_summaryIsTheSumOfLiveRatings() public view {
        for (uint256 m = 1; m <= MODELS; ++m) {
            IModelRatings.Summary memory want;
            for (uint256 i; i < raters.length; ++i) {
                IModelRatings.Rating memory r = ratings.ratingOf(m, raters[i]);
                if (r.stars == 0) continue;
                assertTrue(r.useWeightBps != 0 || r.stake != 0, "every live rating counts somewhere");
                if (r.useWeightBps != 0) {
                    ++want.verifiedCount;
                    want.verifiedStars += uint256(r.stars) * r.useWeightBps;
                }
                if (r.stake != 0) {
                    ++want.stakedCount;
                    want.totalStake += r.stake;
                    want.stakedStars += uint256(r.stars) * r.stake;
                }
            }
            IModelRatings.Summary memory got = ratings.summary(m);
            assertEq(uint256(got.verifiedCount), uint256(want.verifiedCount), "verified count");
            assertEq(got.verifiedStars, want.verifiedStars, "verified stars");
            assertEq(uint256(got.stakedCount), uint256(want.stakedCount), "staked count");
            assertEq(got.totalStake, want.totalStake, "total stake");
            assertEq(got.stakedStars, want.stakedStars, "staked stars");
        }
    }

    /// @notice The sequences reach rating, withdrawing and claiming (not only reverts).
    function afterInvariant() public view {
        assertTrue(handler.succeeded(RatingsHandler.rate.selector) > 0, "some ratings went through");
    }
}
