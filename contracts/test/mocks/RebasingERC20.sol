// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC-20 whose balances all change on their own: `rebase(bps)` scales every balance
///         by bps / 10000 (shares stay, the value per share changes), as rebasing tokens do.
contract RebasingERC20 is ERC20 {
    uint256 public scaleBps = 10_000;

    constructor() ERC20("Rebasing Token", "REB") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount * 10_000 / scaleBps);
    }

    function rebase(uint256 bps) external {
        scaleBps = bps;
    }

    function balanceOf(address account) public view override returns (uint256) {
        return super.balanceOf(account) * scaleBps / 10_000;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value * 10_000 / scaleBps);
    }
}
