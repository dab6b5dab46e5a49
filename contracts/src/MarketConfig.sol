// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "./interfaces/IVersioned.sol";
import {Versioned} from "./access/Versioned.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IMarketConfig} from "./interfaces/IMarketConfig.sol";

/// @title MarketConfig
/// @notice The task market's parameters and allow-lists; see {IMarketConfig}.
/// @dev Owned by DEFAULT_ADMIN_ROLE (the timelock once governance is in place). Nothing here
///      moves value: a parameter only shapes what the market computes.
contract MarketConfig is IMarketConfig, AccessControl, Versioned {
    /// @notice Highest protocol fee, in basis points of what nodes earn (10%).
    uint16 public constant MAX_FEE_BPS = 1000;
    /// @notice Lowest base weight of the settlement formula: at least half of a node's cost is
    ///         paid whatever its quality and reputation.
    uint16 public constant MIN_BASE_WEIGHT_BPS = 5000;
    /// @notice Basis points in one whole (weights, scores).
    uint16 public constant BPS = 10_000;
    /// @notice Longest window of any kind.
    uint64 public constant MAX_WINDOW = 30 days;
    /// @notice Highest abandon penalty (50%): giving a task up must stay clearly cheaper than
    ///         letting it expire (100%), or nodes would hold failed tasks until the deadline.
    uint16 public constant MAX_ABANDON_PENALTY_BPS = 5000;

    Params private _params;
    /// @inheritdoc IMarketConfig
    address public acceptanceBook;
    mapping(address token => bool) private _tokenAllowed;

    /// @inheritdoc IMarketConfig
    mapping(address strategy => bool) public isStrategyAllowed;

    /// @inheritdoc IMarketConfig
    mapping(address token => uint256) public tokenValue;

    /// @inheritdoc IMarketConfig
    address public roundBook;

    /// @inheritdoc IMarketConfig
    address public payoutRouter;

    /// @param nnt The staking token: worth 1e18 NNT-wei per 1e18, allowed as payment.
    /// @param treasury_ Credited fees, penalties and forfeits.
    /// @param feeBps Initial protocol fee in basis points.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @dev Defaults: weights 8000/1000/1000, a 1-hour challenge window, 30 s between
    ///      snapshots, no NNT bonus, a 10% abandon penalty, 1-hour freeze and tie windows and a
    ///      10-minute minimum execution window.
    constructor(address nnt, address treasury_, uint16 feeBps, address admin) {
        if (nnt == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(treasury_);
        _setProtocolFee(feeBps);
        _setSettlementWeights(8000, 1000, 1000);
        _setChallengeWindow(1 hours);
        _setSnapshotInterval(30 seconds);
        emit RewardPerComputeUnitSet(0);
        _setAbandonPenalty(1000);
        _setWindows(1 hours, 1 hours, 10 minutes);
        _tokenAllowed[nnt] = true;
        emit TokenAllowed(nnt, true);
        tokenValue[nnt] = 1e18;
        emit TokenValueSet(nnt, 1e18);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IMarketConfig
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IMarketConfig
    function settlementParams() external view returns (SettlementParams memory) {
        return _params.settlement;
    }

    /// @inheritdoc IMarketConfig
    function challengeWindow() external view returns (uint64) {
        return _params.settlement.challengeWindow;
    }

    /// @inheritdoc IMarketConfig
    function minSnapshotInterval() external view returns (uint64) {
        return _params.settlement.minSnapshotInterval;
    }

    /// @inheritdoc IMarketConfig
    function minExecutionWindow() external view returns (uint64) {
        return _params.minExecutionWindow;
    }

    /// @inheritdoc IMarketConfig
    function isTokenAllowed(address token) external view returns (bool) {
        return token == address(0) || _tokenAllowed[token];
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IMarketConfig
    /// @dev ETH (`address(0)`) is always allowed and cannot be listed.
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        _tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc IMarketConfig
    function setStrategyAllowed(address strategy, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        isStrategyAllowed[strategy] = allowed;
        emit StrategyAllowed(strategy, allowed);
    }

    /// @inheritdoc IMarketConfig
    function setProtocolFee(uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setProtocolFee(feeBps);
    }

    /// @inheritdoc IMarketConfig
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    /// @inheritdoc IMarketConfig
    function setSettlementWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setSettlementWeights(baseBps, qualityBps, reputationBps);
    }

    /// @inheritdoc IMarketConfig
    function setChallengeWindow(uint64 challengeWindow) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setChallengeWindow(challengeWindow);
    }

    /// @inheritdoc IMarketConfig
    function setSnapshotInterval(uint64 minSnapshotInterval) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSnapshotInterval(minSnapshotInterval);
    }

    /// @inheritdoc IMarketConfig
    function setResultProofs(address proofs) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _params.resultProofs = proofs;
        emit ResultProofsSet(proofs);
    }

    /// @inheritdoc IMarketConfig
    function setAcceptanceBook(address book) external onlyRole(DEFAULT_ADMIN_ROLE) {
        acceptanceBook = book;
        emit AcceptanceBookSet(book);
    }

    /// @inheritdoc IMarketConfig
    function bindRoundBook(address book) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (book == address(0)) revert ZeroAddress();
        if (roundBook != address(0)) revert RoundBookAlreadyBound(roundBook);
        roundBook = book;
        emit RoundBookBound(book);
    }

    /// @inheritdoc IMarketConfig
    function setPayoutRouter(address router) external onlyRole(DEFAULT_ADMIN_ROLE) {
        payoutRouter = router;
        emit PayoutRouterSet(router);
    }

    /// @inheritdoc IMarketConfig
    function setRewardPerComputeUnit(uint256 reward) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _params.settlement.rewardPerComputeUnit = reward;
        emit RewardPerComputeUnitSet(reward);
    }

    /// @inheritdoc IMarketConfig
    function setAbandonPenalty(uint16 penaltyBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAbandonPenalty(penaltyBps);
    }

    /// @inheritdoc IMarketConfig
    function setWindows(uint64 freezeWindow, uint64 tieWindow, uint64 minExecutionWindow)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setWindows(freezeWindow, tieWindow, minExecutionWindow);
    }

    /// @inheritdoc IMarketConfig
    function setTokenValue(address token, uint256 nntPerToken) external onlyRole(DEFAULT_ADMIN_ROLE) {
        tokenValue[token] = nntPerToken;
        emit TokenValueSet(token, nntPerToken);
    }

    // ---------------------------------------------------------------- internal

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        _params.treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setProtocolFee(uint16 feeBps) private {
        if (feeBps > MAX_FEE_BPS) revert FeeTooHigh(feeBps, MAX_FEE_BPS);
        _params.settlement.protocolFeeBps = feeBps;
        emit ProtocolFeeSet(feeBps);
    }

    function _setSettlementWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps) private {
        if (baseBps < MIN_BASE_WEIGHT_BPS || uint256(baseBps) + qualityBps + reputationBps != BPS) {
            revert InvalidWeights(baseBps, qualityBps, reputationBps);
        }
        SettlementParams storage s = _params.settlement;
        (s.baseWeightBps, s.qualityWeightBps, s.reputationWeightBps) = (baseBps, qualityBps, reputationBps);
        emit SettlementWeightsSet(baseBps, qualityBps, reputationBps);
    }

    function _setChallengeWindow(uint64 challengeWindow) private {
        _checkWindow(challengeWindow);
        _params.settlement.challengeWindow = challengeWindow;
        emit ChallengeWindowSet(challengeWindow);
    }

    function _setSnapshotInterval(uint64 minSnapshotInterval) private {
        _checkWindow(minSnapshotInterval);
        _params.settlement.minSnapshotInterval = minSnapshotInterval;
        emit SnapshotIntervalSet(minSnapshotInterval);
    }

    function _setAbandonPenalty(uint16 penaltyBps) private {
        if (penaltyBps > MAX_ABANDON_PENALTY_BPS) revert PenaltyTooHigh(penaltyBps, MAX_ABANDON_PENALTY_BPS);
        _params.abandonPenaltyBps = penaltyBps;
        emit AbandonPenaltySet(penaltyBps);
    }

    function _setWindows(uint64 freezeWindow, uint64 tieWindow, uint64 minExecutionWindow) private {
        _checkWindow(freezeWindow);
        _checkWindow(tieWindow);
        _checkWindow(minExecutionWindow);
        (_params.freezeWindow, _params.tieWindow, _params.minExecutionWindow) =
            (freezeWindow, tieWindow, minExecutionWindow);
        emit WindowsSet(freezeWindow, tieWindow, minExecutionWindow);
    }

    function _checkWindow(uint64 value) private pure {
        if (value > MAX_WINDOW) revert WindowTooLong(value, MAX_WINDOW);
    }

    /// @notice ERC-165: true for {IMarketConfig}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IMarketConfig).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
