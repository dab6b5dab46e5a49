// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ICoFundingPool
/// @notice A co-funded task's requester: a per-task pool contract (an OpenZeppelin clone made by
///         the co-funding factory) that several funders add budget to before assignment. Whoever
///         owns or uses the task's model is read from it: each funder by its contribution.
interface ICoFundingPool {
    /// @notice Every funder that contributed, each once (a pool caps them at 64).
    function funders() external view returns (address[] memory);
    /// @notice What `funder` contributed (in the task's token's smallest unit).
    function contributionOf(address funder) external view returns (uint256);
    /// @notice The sum of every funder's contribution.
    function totalContributed() external view returns (uint256);
}

/// @title ICoFundingFactory
/// @notice Makes co-funding pools; tells genuine pools from look-alike contracts.
interface ICoFundingFactory {
    /// @notice Whether `account` is a pool this factory made.
    function isPool(address account) external view returns (bool);
}
