// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title TaskAccount
/// @notice The requester of record of one cross-chain task on the market: a minimal-proxy clone
///         per task, made and driven only by its {HomeGateway}.
/// @dev Why one account per task: the market credits refunds per account
///      (`claimable[token][requester]`), not per task, and anyone may settle or expire a task. With
///      one account per task, what the account can claim is exactly that task's refund (and the
///      payouts the market routed to it for nodes paid on the origin chain), whoever
///      ended it and in whichever order tasks end (the same reason `CoFundingPool` is one clone
///      per task). Clones share the implementation's code and so its immutables: `gateway` is the
///      gateway that deployed the implementation, `market` its market. The account holds no
///      state and no coin between calls: it accepts coin only from the market (a refund) and
///      passes it straight on to the gateway.
contract TaskAccount {
    using SafeERC20 for IERC20;

    /// @notice The gateway this account acts for (the deployer of the implementation).
    address public immutable gateway;
    /// @notice The market the task lives on.
    ITaskMarket public immutable market;

    /// @notice Only the gateway drives the account.
    error NotGateway(address caller);
    /// @notice Coin is accepted only from the market (the task's refund).
    error NotMarket(address caller);
    /// @notice Passing the refund on to the gateway failed.
    error ForwardFailed(uint256 amount);

    constructor(ITaskMarket market_) {
        gateway = msg.sender;
        market = market_;
    }

    modifier onlyGateway() {
        if (msg.sender != gateway) revert NotGateway(msg.sender);
        _;
    }

    /// @notice Publishes the task on the market with this account as requester, paying
    ///         `msg.value` (the budget, in the market's native coin).
    function publish(ITaskMarket.TaskParams calldata params) external payable onlyGateway returns (uint256) {
        return market.publish{value: msg.value}(params);
    }

    /// @notice Claims this account's refund from the market (if any) and sends all its coin to
    ///         the gateway.
    /// @return amount What the gateway received.
    function collect() external onlyGateway returns (uint256 amount) {
        if (market.claimable(address(0), address(this)) != 0) market.claim(address(0));
        amount = address(this).balance;
        if (amount != 0) {
            (bool ok,) = gateway.call{value: amount}("");
            if (!ok) revert ForwardFailed(amount);
        }
    }

    /// @notice Publishes the task on the market with this account as requester, paying its
    ///         budget in ERC-20 `params.token`: pulls `params.budget` from the gateway (which
    ///         approved this account for it) and lets the market pull it from here. Reverts as a
    ///         whole if anything fails (nothing stays here).
    function publishToken(ITaskMarket.TaskParams calldata params) external onlyGateway returns (uint256) {
        IERC20 token = IERC20(params.token);
        token.safeTransferFrom(gateway, address(this), params.budget);
        token.forceApprove(address(market), params.budget);
        return market.publish(params);
    }

    /// @notice Claims this account's refund in ERC-20 `token` from the market (if any) and
    ///         sends exactly that to the gateway (tokens sent here by anyone else stay here:
    ///         they must not inflate the task's refund).
    /// @return amount What the market refunded.
    function collectToken(IERC20 token) external onlyGateway returns (uint256 amount) {
        amount = market.claimable(address(token), address(this));
        if (amount != 0) {
            market.claim(address(token));
            token.safeTransfer(gateway, amount);
        }
    }

    /// @notice Takes the market's refund (during {collect}); anything else reverts.
    receive() external payable {
        if (msg.sender != address(market)) revert NotMarket(msg.sender);
    }
}
