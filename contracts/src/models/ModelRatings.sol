// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";
import {Versioned} from "../access/Versioned.sol";
import {IModelRatings} from "../interfaces/IModelRatings.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title ModelRatings
/// @notice Ratings and reviews of the model library's models, by verified users (who paid for a
///         task using the model) and by stakers; see {IModelRatings}.
/// @dev Holds rating stakes in NNT and pays them back by pull. Reads the registry (models, their
///      owners, a task's payers) and the market (task status). REGISTRAR_ROLE (the oracle) records
///      uses; DEFAULT_ADMIN_ROLE (the timelock) sets the two governed parameters and the role.
contract ModelRatings is IModelRatings, AccessControl, ReentrancyGuard, Versioned {
    using SafeERC20 for IERC20;

    uint16 public constant BPS = 10_000;
    uint8 public constant MAX_STARS = 5;
    /// @notice May record that a settled task used a model: the oracle.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Bounds of the governed least stake of an unverified rating (NNT has 18 decimals).
    uint256 public constant MIN_STAKE_FLOOR = 1e18;
    uint256 public constant MAX_STAKE_CEILING = 1_000_000e18;
    /// @notice Bounds of the governed lock of a rating's stake.
    uint64 public constant MIN_LOCK_PERIOD = 1 days;
    uint64 public constant MAX_LOCK_PERIOD = 365 days;

    /// @inheritdoc IModelRatings
    IModelRegistry public immutable registry;
    /// @inheritdoc IModelRatings
    ITaskMarket public immutable market;
    /// @inheritdoc IModelRatings
    IERC20 public immutable token;

    /// @inheritdoc IModelRatings
    uint256 public minRatingStake;
    /// @inheritdoc IModelRatings
    uint64 public ratingLockPeriod;
    /// @inheritdoc IModelRatings
    uint256 public totalStaked;
    /// @inheritdoc IModelRatings
    uint256 public totalWithdrawable;
    /// @inheritdoc IModelRatings
    mapping(address rater => uint256 amount) public withdrawable;
    /// @inheritdoc IModelRatings
    mapping(uint256 taskId => uint256 modelId) public useOfTask;

    mapping(uint256 modelId => mapping(address rater => Rating)) private _ratings;
    mapping(uint256 modelId => mapping(address user => uint16 weightBps)) private _useWeight;
    mapping(uint256 modelId => Summary) private _summaries;
    mapping(uint256 modelId => address[]) private _raters;
    mapping(uint256 modelId => mapping(address rater => bool)) private _listed;

    /// @param registry_ The model registry.
    /// @param token_ The token stakes are in (NNT).
    /// @param minRatingStake_ The least stake of a rating by an address that is no verified user.
    /// @param ratingLockPeriod_ How long a rating's stake stays locked after its last change.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the timelock once governance is in place).
    constructor(
        IModelRegistry registry_,
        IERC20 token_,
        uint256 minRatingStake_,
        uint64 ratingLockPeriod_,
        address admin
    ) {
        if (address(registry_) == address(0) || address(token_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        registry = registry_;
        market = registry_.market();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setMinRatingStake(minRatingStake_);
        _setRatingLockPeriod(ratingLockPeriod_);
    }

    // ---------------------------------------------------------------- rating

    /// @inheritdoc IModelRatings
    function rate(uint256 modelId, uint8 stars, string calldata reviewURI, uint256 addStake) external nonReentrant {
        _checkModel(modelId);
        if (stars == 0 || stars > MAX_STARS) revert InvalidStars(stars);
        uint256 maxLength = registry.maxFieldLength();
        if (bytes(reviewURI).length > maxLength) revert ReviewTooLong(bytes(reviewURI).length, maxLength);
        if (registry.shareOf(modelId, msg.sender) != 0) revert OwnerCannotRate(modelId, msg.sender);
        Rating storage r = _ratings[modelId][msg.sender];
        uint16 weight = _useWeight[modelId][msg.sender];
        uint256 stake = r.stake + addStake;
        if (weight == 0 && stake < minRatingStake) revert StakeTooLow(modelId, msg.sender, stake, minRatingStake);

        Summary storage s = _summaries[modelId];
        if (r.stars != 0) {
            _subtract(s, r);
        } else if (!_listed[modelId][msg.sender]) {
            _listed[modelId][msg.sender] = true;
            _raters[modelId].push(msg.sender);
        }
        r.stars = stars;
        r.useWeightBps = weight;
        r.stake = SafeCast.toUint96(stake);
        r.updatedAt = uint64(block.timestamp);
        r.lockedUntil = uint64(block.timestamp) + ratingLockPeriod;
        r.reviewURI = reviewURI;
        _add(s, r);
        totalStaked += addStake;
        emit Rated(modelId, msg.sender, stars, stake, weight, reviewURI);
        if (addStake != 0) token.safeTransferFrom(msg.sender, address(this), addStake);
    }

    /// @inheritdoc IModelRatings
    function withdrawRating(uint256 modelId) external {
        Rating storage r = _ratings[modelId][msg.sender];
        if (r.stars == 0) revert NoRating(modelId, msg.sender);
        uint256 stake = r.stake;
        if (stake != 0 && block.timestamp < r.lockedUntil) revert StakeLocked(modelId, msg.sender, r.lockedUntil);
        _subtract(_summaries[modelId], r);
        delete _ratings[modelId][msg.sender];
        totalStaked -= stake;
        totalWithdrawable += stake;
        withdrawable[msg.sender] += stake;
        emit RatingWithdrawn(modelId, msg.sender, stake);
    }

    /// @inheritdoc IModelRatings
    function claimStake() external nonReentrant {
        uint256 amount = withdrawable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        withdrawable[msg.sender] = 0;
        totalWithdrawable -= amount;
        emit StakeClaimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- verified use

    /// @inheritdoc IModelRatings
    function recordUse(uint256 modelId, uint256 taskId) external onlyRole(REGISTRAR_ROLE) {
        _checkModel(modelId);
        uint256 recorded = useOfTask[taskId];
        if (recorded != 0) revert UseAlreadyRecorded(taskId, recorded);
        ITaskMarket.TaskStatus status = market.getTask(taskId).status;
        if (status != ITaskMarket.TaskStatus.Settled) revert TaskNotSettled(taskId, status);
        if (registry.modelOfTask(taskId) == modelId) revert TaskListedTheModel(taskId, modelId);
        useOfTask[taskId] = modelId;

        IModelRegistry.Owner[] memory payers = registry.taskOwners(taskId);
        IModelRegistry.Owner[] memory owners = registry.ownersOf(modelId); // read once: at most 64 x 64 compares
        address[] memory users = new address[](payers.length);
        uint16[] memory credited = new uint16[](payers.length);
        for (uint256 i; i < payers.length; ++i) {
            users[i] = payers[i].account;
            // an owner gets no verified use of its own model
            if (!_isOwner(owners, users[i])) credited[i] = _credit(modelId, users[i], payers[i].shareBps);
        }
        emit UseRecorded(modelId, taskId, users, credited);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IModelRatings
    function setMinRatingStake(uint256 minRatingStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinRatingStake(minRatingStake_);
    }

    /// @inheritdoc IModelRatings
    function setRatingLockPeriod(uint64 ratingLockPeriod_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRatingLockPeriod(ratingLockPeriod_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IModelRatings
    function ratingOf(uint256 modelId, address rater) external view returns (Rating memory) {
        return _ratings[modelId][rater];
    }

    /// @inheritdoc IModelRatings
    function summary(uint256 modelId) external view returns (Summary memory) {
        return _summaries[modelId];
    }

    /// @inheritdoc IModelRatings
    function useWeightOf(uint256 modelId, address user) external view returns (uint16) {
        return _useWeight[modelId][user];
    }

    /// @inheritdoc IModelRatings
    function raterCount(uint256 modelId) external view returns (uint256) {
        return _raters[modelId].length;
    }

    /// @inheritdoc IModelRatings
    function raters(uint256 modelId, uint256 offset, uint256 limit) external view returns (address[] memory page) {
        address[] storage all = _raters[modelId];
        uint256 end = offset >= all.length ? offset : (limit > all.length - offset ? all.length : offset + limit);
        page = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            page[i - offset] = all[i];
        }
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IModelRatings).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Adds `shareBps` to `user`'s use weight, capped at one whole vote; returns what was added.
    function _credit(uint256 modelId, address user, uint16 shareBps) internal returns (uint16 added) {
        uint16 before = _useWeight[modelId][user];
        uint256 sum = uint256(before) + shareBps;
        uint16 weight = sum > BPS ? BPS : uint16(sum);
        if (weight == before) return 0;
        _useWeight[modelId][user] = weight;
        _reweigh(modelId, user, weight);
        return weight - before;
    }

    /// @dev A live rating of a user just credited with more use weight counts with it from now.
    function _reweigh(uint256 modelId, address user, uint16 weight) internal {
        Rating storage r = _ratings[modelId][user];
        if (r.stars == 0) return;
        Summary storage s = _summaries[modelId];
        _subtract(s, r);
        r.useWeightBps = weight;
        _add(s, r);
        emit UseWeightChanged(modelId, user, weight);
    }

    function _add(Summary storage s, Rating storage r) internal {
        if (r.useWeightBps != 0) {
            ++s.verifiedCount;
            s.verifiedWeight += r.useWeightBps;
            s.verifiedStars += uint256(r.stars) * r.useWeightBps;
        }
        if (r.stake != 0) {
            ++s.stakedCount;
            s.totalStake += r.stake;
            s.stakedStars += uint256(r.stars) * r.stake;
        }
    }

    function _subtract(Summary storage s, Rating storage r) internal {
        if (r.useWeightBps != 0) {
            --s.verifiedCount;
            s.verifiedWeight -= r.useWeightBps;
            s.verifiedStars -= uint256(r.stars) * r.useWeightBps;
        }
        if (r.stake != 0) {
            --s.stakedCount;
            s.totalStake -= r.stake;
            s.stakedStars -= uint256(r.stars) * r.stake;
        }
    }

    function _isOwner(IModelRegistry.Owner[] memory owners, address account) internal pure returns (bool) {
        for (uint256 i; i < owners.length; ++i) {
            if (owners[i].account == account) return true;
        }
        return false;
    }

    function _checkModel(uint256 modelId) internal view {
        uint256 count = registry.modelCount();
        if (modelId == 0 || modelId > count) revert UnknownModel(modelId, count);
    }

    function _setMinRatingStake(uint256 value) internal {
        if (value < MIN_STAKE_FLOOR || value > MAX_STAKE_CEILING) {
            revert MinRatingStakeOutOfRange(value, MIN_STAKE_FLOOR, MAX_STAKE_CEILING);
        }
        emit MinRatingStakeSet(minRatingStake, value);
        minRatingStake = value;
    }

    function _setRatingLockPeriod(uint64 value) internal {
        if (value < MIN_LOCK_PERIOD || value > MAX_LOCK_PERIOD) {
            revert RatingLockPeriodOutOfRange(value, MIN_LOCK_PERIOD, MAX_LOCK_PERIOD);
        }
        emit RatingLockPeriodSet(ratingLockPeriod, value);
        ratingLockPeriod = value;
    }
}
