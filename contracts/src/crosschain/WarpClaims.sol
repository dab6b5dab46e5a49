// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ITokenRouter} from "./IHyperlane.sol";

/// @title WarpClaims
/// @notice Claims credits to another chain: a payee credited here (a node paid on the task's
///         origin chain, a refunded payer) takes its credit in a token over that token's
///         Hyperlane warp route to any chain the route reaches (a third chain, or home), in one
///         transaction it signs and pays the route's interchain gas for.
/// @dev Trust: the router of each token is a governance parameter ({setWarpRouter}, owner only);
///      it is approved for the caller's credit for the length of one call, so a router that
///      misbehaves can take at most that credit, never another account's. Conservation: the
///      caller's credit is debited by exactly what left this contract in the token (for the native
///      coin: beyond the fee sent with the call), and native coin the route hands back (its
///      interchain gas paymaster refunds overpayment) is credited to the caller, claimable here.
abstract contract WarpClaims is Ownable2Step, ReentrancyGuard {
    /// @notice The warp route router for each token credited here (address(0): the native coin,
    ///         a HypNative router). address(0) router: no route, claim on this chain only.
    mapping(address token => address router) public warpRouters;

    /// @dev Set only inside {claimTo}, where the router may refund native coin to this contract.
    bool private _forwarding;

    /// @notice `router` now carries claims of `token` to other chains (address(0): none).
    event WarpRouterSet(address indexed token, address router);
    /// @notice `account` sent `amount` of `token` to `recipient` on `destination` over the warp
    ///         route (Hyperlane message `messageId`); its credit went down by `debited`.
    event ClaimedTo(
        address indexed account,
        address indexed token,
        uint32 indexed destination,
        bytes32 recipient,
        uint256 amount,
        uint256 debited,
        bytes32 messageId
    );
    /// @notice Native coin the route did not use (its gas refund) credited back to `account`.
    event ChangeCredited(address indexed account, uint256 amount);

    /// @notice No warp route is set for `token`.
    error NoWarpRoute(address token);
    /// @notice The claim names no recipient or no amount.
    error EmptyClaim();
    /// @notice `amount` is more than the caller's credit in the token.
    error AmountOverCredit(uint256 amount, uint256 credit);
    /// @notice The router took more than the claim allowed (`spent` of `allowed`).
    error RouteOverdrew(address token, uint256 spent, uint256 allowed);
    /// @notice Native coin sent outside a claim (this contract takes coin only as escrow or change).
    error UnexpectedCoin(address from);

    /// @dev The caller's claimable credit in `token` (address(0): native coin).
    function _creditOf(address token, address account) internal view virtual returns (uint256);

    /// @dev Sets the claimable credit of `account` in `token` to `amount`.
    function _setCredit(address token, address account, uint256 amount) internal virtual;

    /// @notice Sends `amount` of the caller's credit in `token` (address(0): native coin) to
    ///         `recipient` (left-padded address) on Hyperlane domain `destination` over the
    ///         token's warp route. `msg.value` pays the route's interchain gas (quote it with the
    ///         router's `quoteTransferRemote`); what the route hands back is credited to the
    ///         caller. The rest of the credit stays claimable here.
    /// @return messageId The Hyperlane message carrying the transfer.
    function claimTo(address token, uint32 destination, bytes32 recipient, uint256 amount)
        external
        payable
        nonReentrant
        returns (bytes32 messageId)
    {
        address router = warpRouters[token];
        if (router == address(0)) revert NoWarpRoute(token);
        if (recipient == bytes32(0) || amount == 0) revert EmptyClaim();
        uint256 credit = _creditOf(token, msg.sender);
        if (amount > credit) revert AmountOverCredit(amount, credit);
        bool native = token == address(0);
        uint256 coinStart = address(this).balance; // msg.value included
        uint256 tokenStart = native ? 0 : IERC20(token).balanceOf(address(this));
        _setCredit(token, msg.sender, 0); // effects first; what the route leaves is credited back

        _forwarding = true;
        if (native) {
            messageId = ITokenRouter(router).transferRemote{value: msg.value + amount}(destination, recipient, amount);
        } else {
            SafeERC20.forceApprove(IERC20(token), router, credit);
            messageId = ITokenRouter(router).transferRemote{value: msg.value}(destination, recipient, amount);
            SafeERC20.forceApprove(IERC20(token), router, 0);
        }
        _forwarding = false;

        uint256 coinAllowed = msg.value + (native ? credit : 0);
        uint256 coinSpent = coinStart - address(this).balance;
        if (coinSpent > coinAllowed) revert RouteOverdrew(address(0), coinSpent, coinAllowed);
        uint256 debited;
        if (native) {
            debited = coinSpent > msg.value ? coinSpent - msg.value : 0;
            _setCredit(token, msg.sender, coinAllowed - coinSpent);
        } else {
            debited = tokenStart - IERC20(token).balanceOf(address(this));
            if (debited > credit) revert RouteOverdrew(token, debited, credit);
            _setCredit(token, msg.sender, credit - debited);
            uint256 change = msg.value - coinSpent;
            if (change > 0) {
                _setCredit(address(0), msg.sender, _creditOf(address(0), msg.sender) + change);
                emit ChangeCredited(msg.sender, change);
            }
        }
        emit ClaimedTo(msg.sender, token, destination, recipient, amount, debited, messageId);
    }

    /// @notice Sets the warp route router that carries claims of `token` (address(0): native
    ///         coin) to other chains; address(0) router removes the route. Governance only: the
    ///         router is trusted with each claimer's credit for the length of its claim.
    function setWarpRouter(address token, address router) external onlyOwner {
        warpRouters[token] = router;
        emit WarpRouterSet(token, router);
    }

    /// @notice Takes native coin only from a router refunding a claim's unused gas.
    receive() external payable {
        if (!_forwarding) revert UnexpectedCoin(msg.sender);
    }
}
