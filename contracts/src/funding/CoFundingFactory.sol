// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {Versioned} from "../access/Versioned.sol";
import {ICoFundingFactory, ICoFundingPool} from "../interfaces/ICoFunding.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";

/// @title CoFundingFactory
/// @notice Opens co-funding pools (minimal-proxy clones of {CoFundingPool}) and remembers them.
/// @dev No admin and no parameters: the market, the arbitration and spot-check contracts and
///      the pool implementation are fixed at deployment. See {ICoFundingFactory}.
contract CoFundingFactory is ICoFundingFactory, ReentrancyGuard, ERC165, Versioned {
    using SafeERC20 for IERC20;

    /// @inheritdoc ICoFundingFactory
    address public immutable implementation;
    /// @inheritdoc ICoFundingFactory
    ITaskMarket public immutable market;
    /// @inheritdoc ICoFundingFactory
    address public immutable arbitration;
    /// @inheritdoc ICoFundingFactory
    address public immutable spotCheck;

    /// @inheritdoc ICoFundingFactory
    mapping(address account => bool) public isPool;
    address[] private _pools;

    /// @param market_ The task market the pools publish on.
    /// @param arbitration_ The arbitration contract that credits requesters (0: none deployed).
    /// @param spotCheck_ The spot-check contract a pool's lead may enable (0: none deployed).
    /// @param implementation_ A deployed {CoFundingPool} (its own initializer disabled).
    constructor(ITaskMarket market_, address arbitration_, address spotCheck_, address implementation_) {
        if (address(market_) == address(0) || implementation_ == address(0)) revert ZeroAddress();
        market = market_;
        arbitration = arbitration_;
        spotCheck = spotCheck_;
        implementation = implementation_;
    }

    /// @inheritdoc ICoFundingFactory
    function open(ICoFundingPool.Terms calldata terms, uint256 target, uint64 fundingDeadline, uint256 amount)
        external
        payable
        nonReentrant
        returns (address pool)
    {
        address token = terms.token;
        if (!market.config().isTokenAllowed(token)) revert TokenNotAllowed(token);
        pool = Clones.clone(implementation);
        isPool[pool] = true;
        _pools.push(pool);
        emit PoolCreated(pool, msg.sender, token, target, fundingDeadline);
        if (token != address(0) && amount != 0) {
            IERC20 erc20 = IERC20(token);
            uint256 before = erc20.balanceOf(pool);
            erc20.safeTransferFrom(msg.sender, pool, amount);
            uint256 received = erc20.balanceOf(pool) - before;
            if (received != amount) revert FeeOnTransferToken(token, amount, received);
        }
        ICoFundingPool(pool).initialize{value: msg.value}(
            market, arbitration, spotCheck, msg.sender, terms, target, fundingDeadline, amount
        );
    }

    /// @inheritdoc ICoFundingFactory
    function poolCount() external view returns (uint256) {
        return _pools.length;
    }

    /// @inheritdoc ICoFundingFactory
    function poolAt(uint256 index) external view returns (address) {
        return _pools[index];
    }

    /// @inheritdoc ERC165
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ICoFundingFactory).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
