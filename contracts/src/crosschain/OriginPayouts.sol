// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPayoutRouter} from "../interfaces/IPayoutRouter.sol";

/// @title OriginPayouts
/// @notice The payout router side of the home gateway: nodes of a bridged task are paid on the
///         task's origin chain by default, in the escrow's token, claimed there by pull payment;
///         a node may ask to be paid on the home chain instead ({setPaidOnHome}).
/// @dev How: governance names the home gateway the market's payout router
///      ({IMarketConfig-payoutRouter}). At settlement the market offers it each node's net
///      payout; for a task bridged here (and still unrelayed) whose node did not ask for home,
///      {routePayout} records (node, amount) and the market credits the amount to the task's
///      account instead of the node. The relay then collects the refund R and the routed
///      payouts N from the account into the pool, and SETTLE credits on the spoke each routed
///      node its amount, the backer what the pool paid on home (budget - R - N: the fee and the
///      nodes paid on home) and the payer R. The escrow is paid out exactly: N + (B - R - N) + R.
///      Which chain pays a node is fixed when the task settles: a later choice changes nothing
///      for it. A node on a third chain is not served: it is paid on the origin chain or home.
abstract contract OriginPayouts is IPayoutRouter {
    /// @notice A node's payout the market credited to a bridged task's account, owed on the
    ///         task's origin chain.
    struct Payout {
        address node;
        uint256 amount;
    }

    /// @notice Nodes that asked to be paid on the home chain for bridged tasks (default: false,
    ///         paid on each task's origin chain).
    mapping(address node => bool) public paidOnHome;
    mapping(uint256 taskId => Payout[]) private _payouts;

    /// @notice Node `node`'s payout `amount` of bridged task `taskId` is owed on chain `origin`
    ///         (credited there by the task's SETTLE message).
    event PayoutRouted(uint256 indexed taskId, address indexed node, uint32 indexed origin, uint256 amount);
    /// @notice `node` asked to be paid on the home chain (`onHome`) or on each task's origin chain.
    event PayoutChainChosen(address indexed node, bool onHome);

    /// @notice {routePayout} was called by something other than the market.
    error NotMarket(address caller);

    /// @notice Pay the caller's future payouts of bridged tasks on the home chain (`onHome`) or,
    ///         the default, on each task's origin chain. Tasks already settled keep theirs.
    function setPaidOnHome(bool onHome) external {
        paidOnHome[msg.sender] = onHome;
        emit PayoutChainChosen(msg.sender, onHome);
    }

    /// @notice The payouts of bridged task `taskId` owed on its origin chain.
    function routedPayouts(uint256 taskId) external view returns (Payout[] memory) {
        return _payouts[taskId];
    }

    /// @inheritdoc IPayoutRouter
    /// @dev Takes the payout when `taskId` is a bridged, unrelayed task whose account is
    ///      `requester` and `node` did not ask for home. Never reverts for the market.
    function routePayout(uint256 taskId, address requester, address node, uint256 amount)
        external
        returns (bool)
    {
        if (msg.sender != _payoutMarket()) revert NotMarket(msg.sender);
        (bool bridgedHere, uint32 origin) = _routable(taskId, requester);
        if (!bridgedHere || paidOnHome[node]) return false;
        _payouts[taskId].push(Payout(node, amount));
        emit PayoutRouted(taskId, node, origin, amount);
        return true;
    }

    /// @dev The market allowed to offer payouts.
    function _payoutMarket() internal view virtual returns (address);

    /// @dev Whether task `taskId` is bridged here, unrelayed, with account `requester`; its origin.
    function _routable(uint256 taskId, address requester) internal view virtual returns (bool, uint32);

    /// @dev What the market credited task `taskId`'s account for its routed nodes.
    function _routedTotal(uint256 taskId) internal view returns (uint256 total) {
        Payout[] storage payouts = _payouts[taskId];
        for (uint256 i; i < payouts.length; ++i) {
            total += payouts[i].amount;
        }
    }

    /// @dev SETTLE's payees: each routed node, then `backer` with `backerAmount` (omitted when
    ///      0); the spoke credits the rest of the escrow to the payer.
    function _settlePayees(uint256 taskId, address backer, uint256 backerAmount)
        internal
        view
        returns (address[] memory payees, uint256[] memory amounts)
    {
        Payout[] storage payouts = _payouts[taskId];
        uint256 n = payouts.length;
        uint256 count = n + (backerAmount == 0 ? 0 : 1);
        payees = new address[](count);
        amounts = new uint256[](count);
        for (uint256 i; i < n; ++i) {
            (payees[i], amounts[i]) = (payouts[i].node, payouts[i].amount);
        }
        if (backerAmount != 0) (payees[n], amounts[n]) = (backer, backerAmount);
    }
}
