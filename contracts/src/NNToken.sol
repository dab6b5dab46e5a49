// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title NNToken
/// @notice NNT, the NNC protocol token: node stake and collateral, governance votes, and an
///         optional payment token. Fixed supply, minted once at deployment.
/// @dev ERC-20 with EIP-2612 permits and ERC-5805 vote checkpoints (block-number clock). Holders
///      must delegate (to themselves or another account) for their balance to count as votes.
contract NNToken is ERC20, ERC20Permit, ERC20Votes {
    /// @param initialHolder Receives the whole supply.
    /// @param initialSupply Total supply in wei (18 decimals).
    constructor(address initialHolder, uint256 initialSupply) ERC20("NNC Token", "NNT") ERC20Permit("NNC Token") {
        _mint(initialHolder, initialSupply);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
