// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "./IBoundRoles.sol";

/// @title IRewardsPool
/// @notice NNT quality bonuses ("combined currency rewards"): governance funds the pool, the task
///         market grants bonuses at settlement, nodes pull them.
/// @dev Invariant: the pool's NNT balance == `available()` + sum of `claimable`. Bonuses are
///      granted only by the task market, bound once with `bindRewarder`: no later admin
///      (governance) action can give another account the power to credit itself pool NNT.
interface IRewardsPool is IBoundRoles {
    event Funded(address indexed from, uint256 amount);
    event RewarderBound(address indexed rewarder);
    event Granted(address indexed node, uint256 indexed taskId, uint256 requested, uint256 granted);
    /// @notice `account` withdrew `amount` of `token` (NNT here), the same shape in every contract that pays out.
    event Claimed(address indexed account, address indexed token, uint256 amount);

    error ZeroAmount();
    error NothingToClaim(address account);
    error ZeroAddress();

    /// @notice Binds the rewarder (the task market), once (admin only, at deployment): grants it
    ///         REWARDER_ROLE, which no `grantRole` or `revokeRole` can grant or take afterwards
    ///         (BoundRole). Reverts RoleAlreadyBound on a second call, ZeroAddress for
    ///         address(0).
    function bindRewarder(address rewarder) external;

    /// @notice The bound rewarder, the only holder of REWARDER_ROLE (address(0): none yet).
    function rewarder() external view returns (address);

    /// @notice Moves `amount` NNT from the caller (approved beforehand) into the pool.
    function fund(uint256 amount) external;

    /// @notice Credits `node` with up to `amount` NNT from what is available (rewarder role: the
    ///         task market). Never reverts for lack of funds: grants what is left.
    /// @return granted What was credited (`min(amount, available())`).
    function grant(address node, uint256 taskId, uint256 amount) external returns (uint256 granted);

    /// @notice Sends the caller its credited bonuses.
    function claim() external;

    /// @notice NNT in the pool not yet credited to anyone.
    function available() external view returns (uint256);

    /// @notice NNT credited to `account` and not yet claimed.
    function claimable(address account) external view returns (uint256);
}
