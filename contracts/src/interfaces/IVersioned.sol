// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IVersioned
/// @notice Every protocol contract says which protocol release it belongs to, and answers
///         ERC-165 `supportsInterface` for its own interface, so clients can check what they
///         talk to before they send anything.
interface IVersioned {
    /// @notice The protocol release (semantic version), the same for every contract of a release.
    function version() external pure returns (string memory);
}
