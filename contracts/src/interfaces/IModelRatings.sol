// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IModelRegistry} from "./IModelRegistry.sol";
import {ITaskMarket} from "./ITaskMarket.sol";

/// @title IModelRatings
/// @notice Ratings (1 to 5 stars) and reviews of the models in the library. Ratings come only
///         from addresses that paid for a task using the model or staked on the rating.
/// @dev One rating per (model, address), with a review document's URI (IPFS); changeable and
///      withdrawable. Two aggregates per model, kept apart so that neither can move the other:
///
///      - Verified users. `recordUse(modelId, taskId)`, sent by a REGISTRAR_ROLE account (the
///        oracle, after checking off-chain that the Settled task's published spec uses the model
///        as its base model or inference model), credits the accounts that paid for the task:
///        its requester, or every funder of a co-funding pool requester, by their share
///        (`IModelRegistry.taskOwners`, in basis points). An account's use weight is the sum of
///        its credited shares, capped at 10,000: one whole vote per verified user, however many
///        tasks, and a pool of N Sybil funders gets one vote between them, not N. The model's
///        owners are never credited (nor may they rate it at all): nobody reviews its own model.
///        The verified average is sum(stars x weight) / sum(weight).
///      - Stakers. Any other address must stake at least `minRatingStake` NNT on its rating;
///        the stake-weighted average is sum(stars x stake) / sum(stake). The stake comes back
///        only by withdrawing the rating, no earlier than `ratingLockPeriod` after its last
///        change (the lock fixed when it was set), then by pull (`claimStake`). Borrowed NNT
///        (a flash loan) must stay locked for the whole period; splitting a stake over Sybil
///        addresses gains nothing, the weight being linear in stake.
///
///      A verified user may rate without a stake (then it counts in the verified average only),
///      or stake as well (then it counts in both). The library shows the verified average when
///      there is one, else the stake-weighted one.
///
///      Conservation: the NNT this contract holds == `totalStaked` (the stakes of live ratings)
///      + `totalWithdrawable` (stakes of withdrawn ratings not yet claimed).
interface IModelRatings {
    /// @notice One address's rating of one model (stars 0: none).
    struct Rating {
        uint8 stars; // 1..5
        uint16 useWeightBps; // its weight in the verified average (0: not a verified user)
        uint64 updatedAt;
        uint64 lockedUntil; // its stake stays until then
        uint96 stake; // NNT staked on it: its weight in the stake-weighted average
        string reviewURI;
    }

    /// @notice A model's two aggregates.
    struct Summary {
        uint64 verifiedCount; // ratings by verified users
        uint64 stakedCount; // ratings with a stake
        uint256 verifiedWeight; // sum of their use weights (bps)
        uint256 verifiedStars; // sum of stars x use weight
        uint256 totalStake; // sum of the stakes
        uint256 stakedStars; // sum of stars x stake
    }

    /// @notice `rater` rated `modelId` (set or changed): `stake` is its whole stake now.
    event Rated(
        uint256 indexed modelId,
        address indexed rater,
        uint8 stars,
        uint256 stake,
        uint16 useWeightBps,
        string reviewURI
    );
    /// @notice `rater` withdrew its rating; `stake` became withdrawable (`claimStake`).
    event RatingWithdrawn(uint256 indexed modelId, address indexed rater, uint256 stake);
    /// @notice Task `taskId` used `modelId`: `users` were credited `weightsBps` of use weight.
    event UseRecorded(uint256 indexed modelId, uint256 indexed taskId, address[] users, uint16[] weightsBps);
    /// @notice `user`'s live rating of `modelId` now counts with use weight `weightBps`.
    event UseWeightChanged(uint256 indexed modelId, address indexed user, uint16 weightBps);
    event StakeClaimed(address indexed rater, uint256 amount);
    event MinRatingStakeSet(uint256 from, uint256 to);
    event RatingLockPeriodSet(uint64 from, uint64 to);

    error ZeroAddress();
    error UnknownModel(uint256 modelId, uint256 modelCount);
    error InvalidStars(uint8 stars);
    error ReviewTooLong(uint256 length, uint256 max);
    /// @notice An address that is no verified user of `modelId` needs `need` staked on its rating.
    error StakeTooLow(uint256 modelId, address rater, uint256 have, uint256 need);
    error OwnerCannotRate(uint256 modelId, address owner);
    error NoRating(uint256 modelId, address rater);
    error StakeLocked(uint256 modelId, address rater, uint64 lockedUntil);
    error NothingToClaim(address account);
    error TaskNotSettled(uint256 taskId, ITaskMarket.TaskStatus status);
    /// @notice `taskId` trained or verified `modelId` itself: that is no use of it.
    error TaskListedTheModel(uint256 taskId, uint256 modelId);
    /// @notice Each task records one use: `taskId`'s is already recorded for `modelId`.
    error UseAlreadyRecorded(uint256 taskId, uint256 modelId);
    error MinRatingStakeOutOfRange(uint256 value, uint256 min, uint256 max);
    error RatingLockPeriodOutOfRange(uint64 value, uint64 min, uint64 max);

    /// @notice Sets (or changes) the caller's rating of `modelId`, adding `addStake` NNT to its
    ///         stake (transferred from the caller: approve first). Restarts the stake's lock.
    /// @param stars 1 to 5.
    /// @param reviewURI Where the review document lives (may be empty).
    function rate(uint256 modelId, uint8 stars, string calldata reviewURI, uint256 addStake) external;

    /// @notice Withdraws the caller's rating; its stake (once unlocked) becomes claimable.
    function withdrawRating(uint256 modelId) external;

    /// @notice Sends the caller every stake of its withdrawn ratings.
    function claimStake() external;

    /// @notice Records that the Settled task `taskId` used `modelId` (REGISTRAR_ROLE: the oracle),
    ///         crediting the accounts that paid for it (`IModelRegistry.taskOwners`) but the model's owners.
    function recordUse(uint256 modelId, uint256 taskId) external;

    /// @notice Governance (DEFAULT_ADMIN_ROLE: the timelock) sets the least stake of a rating by
    ///         an address that is no verified user, within [MIN_STAKE_FLOOR, MAX_STAKE_CEILING].
    function setMinRatingStake(uint256 minRatingStake) external;

    /// @notice Governance sets how long a rating's stake stays locked after its last change,
    ///         within [MIN_LOCK_PERIOD, MAX_LOCK_PERIOD]. Ratings set before keep their lock.
    function setRatingLockPeriod(uint64 ratingLockPeriod) external;

    function registry() external view returns (IModelRegistry);
    function market() external view returns (ITaskMarket);
    /// @notice The token stakes are in (NNT).
    function token() external view returns (IERC20);
    function minRatingStake() external view returns (uint256);
    function ratingLockPeriod() external view returns (uint64);
    function totalStaked() external view returns (uint256);
    function totalWithdrawable() external view returns (uint256);
    /// @notice What `rater` may claim (`claimStake`).
    function withdrawable(address rater) external view returns (uint256);
    function ratingOf(uint256 modelId, address rater) external view returns (Rating memory);
    function summary(uint256 modelId) external view returns (Summary memory);
    /// @notice `user`'s use weight for `modelId`, in basis points (0: not a verified user).
    function useWeightOf(uint256 modelId, address user) external view returns (uint16);
    /// @notice The model whose use `taskId` recorded (0: none).
    function useOfTask(uint256 taskId) external view returns (uint256);
    /// @notice How many addresses ever rated `modelId`.
    function raterCount(uint256 modelId) external view returns (uint256);
    /// @notice Addresses that ever rated `modelId` (`ratingOf` tells whether the rating is live),
    ///         first rating first, from `offset`, at most `limit`.
    function raters(uint256 modelId, uint256 offset, uint256 limit) external view returns (address[] memory);
}
