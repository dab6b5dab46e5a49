// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IPayoutRouter
/// @notice Where the market credits a node's payout: to the node on this chain, or, when the
///         router takes it, to the task's requester of record, from which the router collects
///         it and pays the node elsewhere (a cross-chain task's origin chain). Set by governance
///         in {IMarketConfig-payoutRouter}; none set: every payout is credited to its node.
interface IPayoutRouter {
    /// @notice Called by the market at settlement for each node paid a positive `amount` of
    ///         task `taskId` (whose requester of record is `requester`).
    /// @return routed True when the router takes the payout: the market then credits `amount`
    ///         to `requester` instead of `node`, and the router owes it to `node` elsewhere.
    function routePayout(uint256 taskId, address requester, address node, uint256 amount)
        external
        returns (bool routed);
}
