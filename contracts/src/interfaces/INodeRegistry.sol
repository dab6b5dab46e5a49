// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "./IBoundRoles.sol";

/// @title INodeRegistry
/// @notice Compute nodes: hardware profile, NNT stake, per-assignment collateral, unbonding.
/// @dev Stake accounting per node: `staked` = everything the registry holds for the node except
///      what is unbonding; `locked <= staked` is collateral held by live assignments; free stake is
///      `staked - locked`. Unbonding stake is neither free nor lockable, and is withdrawable once
///      `unbondReadyAt` has passed. Slashed collateral is credited to the recipient and pulled with
///      `claim()`. Collateral moves only by the task market, bound once with `bindMarket`: no
///      later admin (governance) action can give another account the power to lock, release or
///      slash stake.
interface INodeRegistry is IBoundRoles {
    struct Node {
        bytes32 profileDigest; // content hash of the hardware profile document
        uint64 registeredAt; // 0 = not registered
        uint8 hardwareClass; // declared class, used by matching
        uint96 staked;
        uint96 locked;
        uint96 unbonding;
        uint64 unbondReadyAt;
        uint32 benchmarkScore; // oracle-attested benchmark of the current profile (0 = none)
        uint64 benchmarkAttestedAt;
        bytes32 encryptionKey; // X25519 public key that private payloads are encrypted to
    }

    event NodeRegistered(address indexed node, bytes32 profileDigest, uint8 hardwareClass);
    event ProfileUpdated(address indexed node, bytes32 profileDigest, uint8 hardwareClass);
    event Staked(address indexed node, uint256 amount, uint256 totalStaked);
    event UnbondRequested(address indexed node, uint256 amount, uint256 totalUnbonding, uint64 readyAt);
    event Withdrawn(address indexed node, uint256 amount);
    event CollateralLocked(address indexed node, uint256 indexed taskId, uint256 amount);
    event CollateralReleased(address indexed node, uint256 indexed taskId, uint256 amount);
    event CollateralSlashed(address indexed node, uint256 indexed taskId, uint256 amount, address indexed recipient);
    /// @notice `account` withdrew `amount` of `token` (NNT here), the same shape in every contract that pays out.
    event Claimed(address indexed account, address indexed token, uint256 amount);
    event MinStakeSet(uint256 minStake);
    event PriceSet(address indexed node, address indexed token, uint256 pricePerComputeUnit);
    event BenchmarkAttested(address indexed node, address indexed oracle, uint32 score, bytes32 profileDigest);
    event EncryptionKeySet(address indexed node, bytes32 publicKey);
    event UnbondingDelaySet(uint64 delay);
    event MarketBound(address indexed market);

    error NotRegistered(address node);
    error AlreadyRegistered(address node);
    error EmptyProfile();
    error ZeroAmount();
    error InsufficientFreeStake(address node, uint256 have, uint256 need);
    error InsufficientLocked(address node, uint256 locked, uint256 amount);
    error UnbondingNotReady(address node, uint64 readyAt, uint64 currentTime);
    error NothingToWithdraw(address node);
    error NothingToClaim(address account);
    error AmountTooLarge(uint256 amount);
    error ProfileMismatch(address node, bytes32 attested, bytes32 current);
    error ZeroAddress();

    /// @notice Registers the caller as a node with the digest of its hardware profile document.
    /// @param profileDigest SHA-256 of the canonical profile JSON (must be non-zero).
    /// @param hardwareClass The node's declared hardware class.
    function register(bytes32 profileDigest, uint8 hardwareClass) external;

    /// @notice Replaces the caller's hardware profile.
    function updateProfile(bytes32 profileDigest, uint8 hardwareClass) external;

    /// @notice Sets the caller's price per compute unit for tasks paid in `token` (address(0) =
    ///         ETH), in the token's smallest unit. 0 means "any price": the node takes the
    ///         task's per-node budget share.
    function setPrice(address token, uint256 pricePerComputeUnit) external;

    /// @notice Sets the caller's X25519 encryption public key (for private datasets and models).
    function setEncryptionKey(bytes32 publicKey) external;

    /// @notice Records an oracle's benchmark score for `node`'s current profile (oracle role).
    ///         Reverts ProfileMismatch when `profileDigest` is not the node's current profile, so
    ///         an attestation never outlives the profile it measured; updating the profile
    ///         clears the score.
    function attestBenchmark(address node, bytes32 profileDigest, uint32 score) external;

    /// @notice Moves `amount` NNT from the caller (approved beforehand) into its stake.
    function stake(uint256 amount) external;

    /// @notice Starts unbonding `amount` of free stake; it becomes withdrawable after the delay.
    ///         Adding to a pending unbonding restarts its timer.
    function requestUnbond(uint256 amount) external;

    /// @notice Sends the caller all of its unbonded stake once the unbonding delay has passed.
    function withdraw() external;

    /// @notice Sends the caller the NNT credited to it by slashing.
    function claim() external;

    /// @notice Locks `amount` of `node`'s free stake as collateral for `taskId` (market only).
    function lockCollateral(address node, uint256 taskId, uint256 amount) external;

    /// @notice Returns `amount` of `node`'s collateral for `taskId` to its free stake (market only).
    function releaseCollateral(address node, uint256 taskId, uint256 amount) external;

    /// @notice Takes `amount` of `node`'s collateral for `taskId` and credits it to `recipient`
    ///         (market only).
    function slashCollateral(address node, uint256 taskId, uint256 amount, address recipient) external;

    /// @notice Binds the task market, once (admin only, at deployment): grants it MARKET_ROLE,
    ///         which no `grantRole` or `revokeRole` can ever grant or take afterwards (BoundRole).
    ///         Reverts RoleAlreadyBound on a second call, ZeroAddress for address(0).
    function bindMarket(address market) external;

    /// @notice Sets the minimum stake a node needs to be eligible (admin only).
    function setMinStake(uint256 minStake) external;

    /// @notice Sets the unbonding delay in seconds (admin only).
    function setUnbondingDelay(uint64 delay) external;

    /// @notice The node's record (all zero when not registered).
    function getNode(address node) external view returns (Node memory);

    /// @notice Stake the node could lock now: `staked - locked`.
    function freeStake(address node) external view returns (uint256);

    /// @notice Whether `node` is registered, meets the minimum stake, is of at least
    ///         `minHardwareClass`, and has `collateral` free.
    function isEligible(address node, uint256 collateral, uint8 minHardwareClass) external view returns (bool);

    /// @notice The node's price per compute unit in `token` (0 = any price).
    function priceOf(address node, address token) external view returns (uint256);

    /// @notice NNT credited to `account` by slashing and not yet claimed.
    function claimable(address account) external view returns (uint256);

    /// @notice The bound task market, the only holder of MARKET_ROLE (address(0): none yet).
    function market() external view returns (address);
}
