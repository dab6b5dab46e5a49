// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IBoundRoles
/// @notice Roles that move value (the registry's market, the rewards pool's rewarder, the task
///         market's dispute resolvers) are bound once, at deployment, and can never be granted
///         or revoked afterwards: no governance action can name another account that moves
///         stake, pool NNT or task escrow.
interface IBoundRoles {
    /// @notice `role` is bound once and never granted or revoked with `grantRole`/`revokeRole`.
    error BoundRole(bytes32 role);
    /// @notice `role` was bound already.
    error RoleAlreadyBound(bytes32 role);
}
