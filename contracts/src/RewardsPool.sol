// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "./interfaces/IVersioned.sol";
import {Versioned} from "./access/Versioned.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {BoundRoles} from "./access/BoundRoles.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IRewardsPool} from "./interfaces/IRewardsPool.sol";

/// @title RewardsPool
/// @notice NNT quality bonuses: governance (or anyone) funds the pool, the task market grants
///         bonuses at settlement, nodes pull them.
/// @dev `available()` is the pool's NNT balance less what it owes (`totalClaimable`), so NNT
///      sent to the pool without `fund` counts as funding too, and the invariant
///      `balance == available() + sum(claimable)` holds by construction.
contract RewardsPool is IRewardsPool, BoundRoles, ReentrancyGuard, Versioned {
    using SafeERC20 for IERC20;

    /// @notice The role of the task market, which grants bonuses; held by the bound rewarder
    ///         alone (see `bindRewarder`).
    bytes32 public constant REWARDER_ROLE = keccak256("REWARDER_ROLE");

    /// @notice The bonus token (NNT).
    IERC20 public immutable nnt;

    /// @inheritdoc IRewardsPool
    address public rewarder;

    /// @notice NNT credited to nodes and not yet claimed, in total.
    uint256 public totalClaimable;

    /// @inheritdoc IRewardsPool
    mapping(address account => uint256) public claimable;

    /// @param nnt_ The bonus token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (binding the rewarder once).
    constructor(IERC20 nnt_, address admin) {
        nnt = nnt_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _declareBound(REWARDER_ROLE);
    }

    /// @inheritdoc IRewardsPool
    function bindRewarder(address rewarder_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (rewarder_ == address(0)) revert ZeroAddress();
        rewarder = rewarder_;
        emit RewarderBound(rewarder_);
        _bindOnce(REWARDER_ROLE, rewarder_);
    }

    /// @inheritdoc IRewardsPool
    function fund(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        emit Funded(msg.sender, amount);
        nnt.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IRewardsPool
    function grant(address node, uint256 taskId, uint256 amount)
        external
        onlyRole(REWARDER_ROLE)
        returns (uint256 granted)
    {
        uint256 left = available();
        granted = amount < left ? amount : left;
        if (granted != 0) {
            claimable[node] += granted;
            totalClaimable += granted;
        }
        emit Granted(node, taskId, amount, granted);
    }

    /// @inheritdoc IRewardsPool
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        totalClaimable -= amount;
        emit Claimed(msg.sender, address(nnt), amount);
        nnt.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRewardsPool
    function available() public view returns (uint256) {
        return nnt.balanceOf(address(this)) - totalClaimable;
    }

    /// @notice ERC-165: true for {IRewardsPool}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IRewardsPool).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
