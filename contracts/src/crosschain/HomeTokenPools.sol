// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {TaskAccount} from "./TaskAccount.sol";

/// @title HomeTokenPools
/// @notice The ERC-20 side of the home gateway: token routes and one liquidity pool per home
///         token, as the native pool is for the native coin.
/// @dev A token route maps (origin domain, spoke token) to a home token: for a Hyperlane warp
///      route, the collateral token on the spoke and its synthetic token on home (1:1 in base
///      units: the route must not scale decimals). The market must allow-list the home token,
///      or its tasks are refused ("market refused") and the payer reclaims on the spoke. The
///      pool of a home token is funded with {fundToken} (the backer warps spoke tokens to home
///      and deposits them); a task in that token is published from it and its refund returns
///      to it; the backer is reimbursed B - R in the spoke token on the spoke, exactly as for the
///      native pool. Pools never mix: a task takes from and returns to its own token's pool only,
///      and governance withdraws only a token's free liquidity.
abstract contract HomeTokenPools is Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The home token of each (origin domain, spoke token) route (0: no route).
    mapping(uint32 domain => mapping(address spokeToken => address homeToken)) public tokenRoutes;
    /// @notice Free liquidity per home token (budgets of running tasks are in the market).
    mapping(address token => uint256) public tokenLiquidity;
    /// @notice The home token a bridged task is paid in (address(0): the native coin).
    mapping(uint256 taskId => address token) public taskToken;

    /// @notice Governance mapped `spokeToken` of `domain` to `homeToken` (0: route closed).
    event TokenRouteSet(uint32 indexed domain, address indexed spokeToken, address homeToken);
    /// @notice `from` added `amount` of `token` to that token's pool.
    event TokenLiquidityAdded(address indexed from, address indexed token, uint256 amount);
    /// @notice Governance withdrew `amount` of `token`'s free liquidity to `to`.
    event TokenLiquidityWithdrawn(address indexed token, address indexed to, uint256 amount);
    /// @notice Bridged task `taskId` is paid in `homeToken`, escrowed as `spokeToken` on its spoke.
    event TokenTaskBridged(uint256 indexed taskId, address indexed spokeToken, address indexed homeToken);

    /// @notice More than `token`'s free liquidity was asked for.
    error InsufficientTokenLiquidity(address token, uint256 amount, uint256 liquidity);
    /// @notice A zero amount.
    error ZeroAmount();
    /// @notice A constructor or governance argument is zero.
    error ZeroArgument(string name);

    /// @notice Adds `amount` of `token` (pulled from the caller, who approved it) to that token's
    ///         pool; credits what actually arrived.
    function fundToken(address token, uint256 amount) external nonReentrant {
        if (token == address(0)) revert ZeroArgument("token");
        if (amount == 0) revert ZeroAmount();
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        tokenLiquidity[token] += received;
        emit TokenLiquidityAdded(msg.sender, token, received);
    }

    /// @notice Withdraws `amount` of `token`'s free liquidity to `to` (never another token's,
    ///         never the budgets of running tasks).
    function withdrawTokenLiquidity(address token, address to, uint256 amount) external onlyOwner nonReentrant {
        if (to == address(0)) revert ZeroArgument("to");
        uint256 free = tokenLiquidity[token];
        if (amount > free) revert InsufficientTokenLiquidity(token, amount, free);
        tokenLiquidity[token] = free - amount;
        emit TokenLiquidityWithdrawn(token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    /// @notice Maps spoke token `spokeToken` of `domain` to `homeToken` (the warp route's
    ///         synthetic token here, which the market must allow-list); `homeToken` address(0)
    ///         closes the route to new PUBLISH messages (bridged tasks still relay).
    function setTokenRoute(uint32 domain, address spokeToken, address homeToken) external onlyOwner {
        if (spokeToken == address(0)) revert ZeroArgument("spokeToken");
        tokenRoutes[domain][spokeToken] = homeToken;
        emit TokenRouteSet(domain, spokeToken, homeToken);
    }

    /// @dev Why a PUBLISH in `spokeToken` of `origin` for `budget` cannot draw on its pool
    ///      ("" if it can); `homeToken` is its route's token.
    function _tokenRefusal(uint32 origin, address spokeToken, uint256 budget)
        internal
        view
        returns (address homeToken, string memory reason)
    {
        homeToken = tokenRoutes[origin][spokeToken];
        if (homeToken == address(0)) return (homeToken, "token not routed");
        if (budget > tokenLiquidity[homeToken]) return (homeToken, "insufficient liquidity");
        return (homeToken, "");
    }

    /// @dev Publishes `params` (in `params.token`) through `account`, which pulls the budget
    ///      from this pool; false if the market (or the token) refused it, nothing moved then.
    function _tryPublishToken(address account, ITaskMarket.TaskParams memory params)
        internal
        returns (bool ok, uint256 taskId)
    {
        IERC20 token = IERC20(params.token);
        token.forceApprove(account, params.budget);
        try TaskAccount(payable(account)).publishToken(params) returns (uint256 id) {
            (ok, taskId) = (true, id);
        } catch {
            token.forceApprove(account, 0);
        }
    }

    /// @dev Records bridged task `taskId` in `homeToken`: its budget leaves the pool.
    function _recordTokenTask(uint256 taskId, address spokeToken, address homeToken, uint256 budget) internal {
        tokenLiquidity[homeToken] -= budget;
        taskToken[taskId] = homeToken;
        emit TokenTaskBridged(taskId, spokeToken, homeToken);
    }

    /// @dev Takes task `account`'s refund in `token` from the market back into the pool; returns
    ///      what arrived here.
    function _collectTokenRefund(address account, address token) internal returns (uint256 refund) {
        uint256 before = IERC20(token).balanceOf(address(this));
        TaskAccount(payable(account)).collectToken(IERC20(token));
        refund = IERC20(token).balanceOf(address(this)) - before;
        tokenLiquidity[token] += refund;
    }
}
