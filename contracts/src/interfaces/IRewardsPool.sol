// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IRewardsPool
/// @notice NNT quality bonuses ("combined currency rewards"): governance funds the pool, the task
///         market grants bonuses at settlement, nodes pull them.
/// @dev Invariant: the pool's NNT balance == `available()` + sum of `claimable`.
interface IRewardsPool {
    event Funded(address indexed from, uint256 amount);
    event Granted(address indexed node, uint256 indexed taskId, uint256 requested, uint256 granted);
    event Claimed(address indexed account, uint256 amount);

    error ZeroAmount();
    error NothingToClaim(address account);

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
