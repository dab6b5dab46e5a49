// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ModelLibraryFixture} from "./ModelLibraryFixture.sol";
import {IModelRatings} from "../src/interfaces/IModelRatings.sol";
import {ModelRatings} from "../src/models/ModelRatings.sol";

/// @notice The model library with ratings: one listed model (`modelId`, trained and owned by
///         `requester`), ratings with a 10 NNT least stake and a 7-day lock, `registrar` holding
///         REGISTRAR_ROLE in both contracts.
abstract contract ModelRatingsFixture is ModelLibraryFixture {
    uint256 internal constant MIN_RATING_STAKE = 10e18;
    uint64 internal constant LOCK = 7 days;
    bytes32 internal constant TRAINED = keccak256("trained model");

    ModelRatings internal ratings;
    uint256 internal modelId;
    uint256 internal trainingTask;

    function setUp() public virtual override {
        super.setUp();
        ratings = new ModelRatings(models, nnt, MIN_RATING_STAKE, LOCK, address(this));
        ratings.grantRole(ratings.REGISTRAR_ROLE(), registrar);
        trainingTask = _settledTaskBy(requester, TRAINED, 8000, true);
        modelId = _registerByOracle(trainingTask, 0);
    }

    /// @dev `user` pays for a settled task that uses the model, and the registrar records it.
    function _verifiedUser(address user) internal returns (uint256 taskId) {
        taskId = _settledTaskBy(user, keccak256(abi.encode("use", user)), 7000, true);
        vm.prank(registrar);
        ratings.recordUse(modelId, taskId);
    }

    /// @dev `rater` gets `stake` NNT, approves it and rates.
    function _rate(address rater, uint8 stars, uint256 stake) internal {
        if (stake != 0) {
            assertTrue(nnt.transfer(rater, stake));
            vm.prank(rater);
            nnt.approve(address(ratings), stake);
        }
        vm.prank(rater);
        ratings.rate(modelId, stars, "ipfs://review", stake);
    }

    /// @dev The verified average in hundredths of a star (0: none).
    function _verifiedAverage() internal view returns (uint256) {
        IModelRatings.Summary memory s = ratings.summary(modelId);
        return s.verifiedWeight == 0 ? 0 : s.verifiedStars * 100 / s.verifiedWeight;
    }

    /// @dev The stake-weighted average in hundredths of a star (0: none).
    function _stakedAverage() internal view returns (uint256) {
        IModelRatings.Summary memory s = ratings.summary(modelId);
        return s.totalStake == 0 ? 0 : s.stakedStars * 100 / s.totalStake;
    }
}
