// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {NNToken} from "../../src/NNToken.sol";
import {ModelRatings} from "../../src/models/ModelRatings.sol";

/// @notice Drives ratings through random sequences: raters (two of them verified users) rate and
///         re-rate with random stars and added stakes, withdraw, claim, and time passes. Reverts
///         are swallowed (an out-of-order step is part of a realistic sequence). Ghosts: every
///         NNT staked and every NNT claimed.
contract RatingsHandler is Base {
    ModelRatings internal immutable ratings;
    NNToken internal immutable nnt;
    address[] internal raters;
    uint256 internal immutable models;

    uint256 public staked;
    uint256 public claimed;
    mapping(bytes4 step => uint256) public succeeded;

    constructor(ModelRatings ratings_, NNToken nnt_, address[] memory raters_, uint256 models_) {
        ratings = ratings_;
        nnt = nnt_;
        raters = raters_;
        models = models_;
    }

    function allRaters() external view returns (address[] memory) {
        return raters;
    }

    function rate(uint256 who, uint256 modelSeed, uint8 stars, uint256 stake) external {
        address rater = raters[who % raters.length];
        uint256 modelId = modelSeed % models + 1;
        stake = bound(stake, 0, 500e18);
        if (stake != 0) {
            assertTrue(nnt.transfer(rater, stake));
            vm.prank(rater);
            nnt.approve(address(ratings), stake);
        }
        vm.prank(rater);
        try ratings.rate(modelId, uint8(bound(stars, 1, 5)), "ipfs://review", stake) {
            staked += stake;
            succeeded[this.rate.selector]++;
        } catch {}
    }

    function withdraw(uint256 who, uint256 modelSeed) external {
        address rater = raters[who % raters.length];
        vm.prank(rater);
        try ratings.withdrawRating(modelSeed % models + 1) {
            succeeded[this.withdraw.selector]++;
        } catch {}
    }

    function claim(uint256 who) external {
        address rater = raters[who % raters.length];
        uint256 owed = ratings.withdrawable(rater);
        vm.prank(rater);
        try ratings.claimStake() {
            claimed += owed;
            succeeded[this.claim.selector]++;
        } catch {}
    }

    function wait(uint256 secondsToWait) external {
        vm.warp(block.timestamp + bound(secondsToWait, 1, 10 days));
    }
}
