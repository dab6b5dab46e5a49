// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ITokenRouter} from "../../src/crosschain/IHyperlane.sol";

/// @notice A stand-in for a Hyperlane warp route router in forge tests (Hyperlane's token
///         contracts are not compiled here; the e2e path uses the real route the CLI deploys):
///         a collateral router (`token` set) pulls the amount from the caller, a native one
///         (`token` zero) takes it from `msg.value`; either charges `gas` per transfer and, like
///         Hyperlane's interchain gas paymaster, sends the overpayment back to the caller.
///         Transfers are recorded, not delivered: the destination's router would mint or release.
contract TestWarpRouter is ITokenRouter {
    struct Transfer {
        uint32 destination;
        bytes32 recipient;
        uint256 amount;
    }

    address public immutable token;
    uint256 public immutable gas;
    Transfer[] public transfers;

    error GasUnpaid(uint256 value, uint256 needed);
    error RefundFailed();

    constructor(address token_, uint256 gas_) {
        token = token_;
        gas = gas_;
    }

    function transferRemote(uint32 destination, bytes32 recipient, uint256 amount)
        external
        payable
        virtual
        returns (bytes32)
    {
        uint256 needed = gas + (token == address(0) ? amount : 0);
        if (msg.value < needed) revert GasUnpaid(msg.value, needed);
        if (token != address(0)) _pull(amount);
        transfers.push(Transfer(destination, recipient, amount));
        if (msg.value > needed) {
            (bool ok,) = msg.sender.call{value: msg.value - needed}("");
            if (!ok) revert RefundFailed();
        }
        return keccak256(abi.encode(transfers.length, destination, recipient, amount));
    }

    function transferCount() external view returns (uint256) {
        return transfers.length;
    }

    function _pull(uint256 amount) internal virtual {
        IERC20(token).transferFrom(msg.sender, address(this), amount);
    }
}

/// @notice A router that takes all it is allowed, not the amount asked.
contract GreedyWarpRouter is TestWarpRouter {
    constructor(address token_) TestWarpRouter(token_, 0) {}

    function _pull(uint256) internal override {
        IERC20(token).transferFrom(msg.sender, address(this), IERC20(token).allowance(msg.sender, address(this)));
    }
}

/// @notice A router that calls back into the contract claiming through it.
contract ReentrantWarpRouter is TestWarpRouter {
    bytes public payload;
    bytes public reason;

    constructor(address token_) TestWarpRouter(token_, 0) {}

    function setPayload(bytes calldata payload_) external {
        payload = payload_;
    }

    function _pull(uint256 amount) internal override {
        (bool ok, bytes memory why) = msg.sender.call(payload);
        if (ok) revert("reentered");
        reason = why;
        super._pull(amount);
    }
}
