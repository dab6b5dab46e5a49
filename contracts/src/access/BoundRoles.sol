// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IBoundRoles} from "../interfaces/IBoundRoles.sol";

/// @title BoundRoles
/// @notice OpenZeppelin AccessControl with some roles bound once (see {IBoundRoles}): declared
///         bindable at construction, granted by `_bindOnce`, and refused by `grantRole` and
///         `revokeRole` ever after, for every caller (the admin and the timelock included).
abstract contract BoundRoles is AccessControl, IBoundRoles {
    mapping(bytes32 role => bool) private _bindable;
    mapping(bytes32 role => bool) private _bound;

    /// @dev Declares `role` bindable: from now on only `_bindOnce` grants it.
    function _declareBound(bytes32 role) internal {
        _bindable[role] = true;
    }

    /// @dev Grants `role` to `accounts`, once for the role's whole life.
    function _bindOnce(bytes32 role, address[] memory accounts) internal {
        if (_bound[role]) revert RoleAlreadyBound(role);
        _bound[role] = true;
        for (uint256 i; i < accounts.length; ++i) {
            _grantRole(role, accounts[i]);
        }
    }

    /// @dev `_bindOnce` for one account.
    function _bindOnce(bytes32 role, address account) internal {
        address[] memory accounts = new address[](1);
        accounts[0] = account;
        _bindOnce(role, accounts);
    }

    /// @notice Grants `role` to `account` (the role's admin only); a bound role reverts BoundRole.
    function grantRole(bytes32 role, address account) public virtual override {
        if (_bindable[role]) revert BoundRole(role);
        super.grantRole(role, account);
    }

    /// @notice Revokes `role` from `account` (the role's admin only); a bound role reverts
    ///         BoundRole (taking it away would freeze what it holds).
    function revokeRole(bytes32 role, address account) public virtual override {
        if (_bindable[role]) revert BoundRole(role);
        super.revokeRole(role, account);
    }
}
