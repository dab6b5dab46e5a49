// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "./interfaces/IVersioned.sol";
import {Versioned} from "./access/Versioned.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BoundRoles} from "./access/BoundRoles.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Compute nodes: hardware profile, oracle-attested benchmark, prices per compute unit,
///         encryption key, NNT stake, per-assignment collateral, unbonding.
/// @dev See {INodeRegistry} for the stake accounting. The registry holds, in NNT, exactly
///      `sum(staked) + sum(unbonding) + sum(claimable)`. Collateral calls come from the task
///      market (`MARKET_ROLE`), which is trusted to lock, release and slash per task consistently;
///      the registry only guarantees `locked <= staked` per node. MARKET_ROLE is bound once to the
///      market (`bindMarket`) and can never be granted or revoked by the admin afterwards, so no
///      governance proposal can hand anyone the power to move a node's stake.
contract NodeRegistry is INodeRegistry, BoundRoles, ReentrancyGuard, Versioned {
    using SafeERC20 for IERC20;

    /// @notice The role of the task market, which locks, releases and slashes collateral; held
    ///         by the bound market alone (see `bindMarket`).
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @notice The role of oracles, which attest hardware benchmarks.
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    /// @notice The staking token (NNT).
    IERC20 public immutable nnt;

    /// @notice Stake a node needs to be eligible for tasks.
    uint96 public minStake;
    /// @notice Seconds between `requestUnbond` and the moment the stake can be withdrawn.
    uint64 public unbondingDelay;

    /// @inheritdoc INodeRegistry
    address public market;

    mapping(address node => Node) private _nodes;

    /// @inheritdoc INodeRegistry
    mapping(address node => mapping(address token => uint256)) public priceOf;

    /// @inheritdoc INodeRegistry
    mapping(address account => uint256) public claimable;

    /// @param nnt_ The staking token.
    /// @param minStake_ Initial minimum stake.
    /// @param unbondingDelay_ Initial unbonding delay in seconds.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (parameters, binding the market once, granting
    ///        ORACLE_ROLE).
    constructor(IERC20 nnt_, uint256 minStake_, uint64 unbondingDelay_, address admin) {
        nnt = nnt_;
        minStake = _toUint96(minStake_);
        unbondingDelay = unbondingDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _declareBound(MARKET_ROLE);
        emit MinStakeSet(minStake_);
        emit UnbondingDelaySet(unbondingDelay_);
    }

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc INodeRegistry
    function register(bytes32 profileDigest, uint8 hardwareClass) external {
        Node storage n = _nodes[msg.sender];
        if (n.registeredAt != 0) revert AlreadyRegistered(msg.sender);
        if (profileDigest == bytes32(0)) revert EmptyProfile();
        n.profileDigest = profileDigest;
        n.hardwareClass = hardwareClass;
        n.registeredAt = uint64(block.timestamp);
        emit NodeRegistered(msg.sender, profileDigest, hardwareClass);
    }

    /// @inheritdoc INodeRegistry
    function updateProfile(bytes32 profileDigest, uint8 hardwareClass) external {
        Node storage n = _registered(msg.sender);
        if (profileDigest == bytes32(0)) revert EmptyProfile();
        n.profileDigest = profileDigest;
        n.hardwareClass = hardwareClass;
        n.benchmarkScore = 0; // the attestation measured the previous profile
        n.benchmarkAttestedAt = 0;
        emit ProfileUpdated(msg.sender, profileDigest, hardwareClass);
    }

    /// @inheritdoc INodeRegistry
    /// @dev A price applies to tasks assigned from now on; assignments keep the price they
    ///      were made at.
    function setPrice(address token, uint256 pricePerComputeUnit) external {
        _registered(msg.sender);
        priceOf[msg.sender][token] = pricePerComputeUnit;
        emit PriceSet(msg.sender, token, pricePerComputeUnit);
    }

    /// @inheritdoc INodeRegistry
    /// @dev Zero clears the key.
    function setEncryptionKey(bytes32 publicKey) external {
        Node storage n = _registered(msg.sender);
        n.encryptionKey = publicKey;
        emit EncryptionKeySet(msg.sender, publicKey);
    }

    /// @inheritdoc INodeRegistry
    function attestBenchmark(address node, bytes32 profileDigest, uint32 score) external onlyRole(ORACLE_ROLE) {
        Node storage n = _registered(node);
        if (profileDigest != n.profileDigest) revert ProfileMismatch(node, profileDigest, n.profileDigest);
        n.benchmarkScore = score;
        n.benchmarkAttestedAt = uint64(block.timestamp);
        emit BenchmarkAttested(node, msg.sender, score, profileDigest);
    }

    /// @inheritdoc INodeRegistry
    function stake(uint256 amount) external nonReentrant {
        Node storage n = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint96 total = _toUint96(uint256(n.staked) + amount);
        n.staked = total;
        emit Staked(msg.sender, amount, total);
        nnt.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function requestUnbond(uint256 amount) external {
        Node storage n = _nodes[msg.sender];
        if (amount == 0) revert ZeroAmount();
        uint256 free = n.staked - n.locked;
        if (amount > free) revert InsufficientFreeStake(msg.sender, free, amount);
        n.staked -= _toUint96(amount);
        uint96 total = _toUint96(uint256(n.unbonding) + amount);
        n.unbonding = total;
        uint64 readyAt = uint64(block.timestamp) + unbondingDelay;
        n.unbondReadyAt = readyAt;
        emit UnbondRequested(msg.sender, amount, total, readyAt);
    }

    /// @inheritdoc INodeRegistry
    function withdraw() external nonReentrant {
        Node storage n = _nodes[msg.sender];
        uint256 amount = n.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < n.unbondReadyAt) {
            revert UnbondingNotReady(msg.sender, n.unbondReadyAt, uint64(block.timestamp));
        }
        n.unbonding = 0;
        n.unbondReadyAt = 0;
        emit Withdrawn(msg.sender, amount);
        nnt.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, address(nnt), amount);
        nnt.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- collateral (market only)

    /// @inheritdoc INodeRegistry
    function lockCollateral(address node, uint256 taskId, uint256 amount) external onlyRole(MARKET_ROLE) {
        Node storage n = _nodes[node];
        if (amount == 0) revert ZeroAmount();
        uint256 free = n.staked - n.locked;
        if (amount > free) revert InsufficientFreeStake(node, free, amount);
        n.locked += _toUint96(amount);
        emit CollateralLocked(node, taskId, amount);
    }

    /// @inheritdoc INodeRegistry
    function releaseCollateral(address node, uint256 taskId, uint256 amount) external onlyRole(MARKET_ROLE) {
        Node storage n = _nodes[node];
        if (amount == 0) revert ZeroAmount();
        if (amount > n.locked) revert InsufficientLocked(node, n.locked, amount);
        n.locked -= _toUint96(amount);
        emit CollateralReleased(node, taskId, amount);
    }

    /// @inheritdoc INodeRegistry
    function slashCollateral(address node, uint256 taskId, uint256 amount, address recipient)
        external
        onlyRole(MARKET_ROLE)
    {
        Node storage n = _nodes[node];
        if (amount == 0) revert ZeroAmount();
        if (amount > n.locked) revert InsufficientLocked(node, n.locked, amount);
        uint96 a = _toUint96(amount);
        n.locked -= a;
        n.staked -= a; // locked <= staked
        claimable[recipient] += amount;
        emit CollateralSlashed(node, taskId, amount, recipient);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc INodeRegistry
    function bindMarket(address market_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (market_ == address(0)) revert ZeroAddress();
        market = market_;
        emit MarketBound(market_);
        _bindOnce(MARKET_ROLE, market_);
    }

    /// @inheritdoc INodeRegistry
    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minStake = _toUint96(minStake_);
        emit MinStakeSet(minStake_);
    }

    /// @inheritdoc INodeRegistry
    function setUnbondingDelay(uint64 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        unbondingDelay = delay;
        emit UnbondingDelaySet(delay);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc INodeRegistry
    function getNode(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    /// @inheritdoc INodeRegistry
    function freeStake(address node) external view returns (uint256) {
        Node storage n = _nodes[node];
        return n.staked - n.locked;
    }

    /// @inheritdoc INodeRegistry
    function isEligible(address node, uint256 collateral, uint8 minHardwareClass) external view returns (bool) {
        Node storage n = _nodes[node];
        return n.registeredAt != 0 && n.staked >= minStake && n.hardwareClass >= minHardwareClass
            && n.staked - n.locked >= collateral;
    }

    // ---------------------------------------------------------------- internal

    function _registered(address node) private view returns (Node storage n) {
        n = _nodes[node];
        if (n.registeredAt == 0) revert NotRegistered(node);
    }

    function _toUint96(uint256 amount) private pure returns (uint96) {
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint96(amount); // checked on the line above
    }

    /// @notice ERC-165: true for {INodeRegistry}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(INodeRegistry).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
