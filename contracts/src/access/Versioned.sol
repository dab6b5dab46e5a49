// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "../interfaces/IVersioned.sol";

/// @title Versioned
/// @notice The protocol release every protocol contract of one deployment belongs to.
abstract contract Versioned is IVersioned {
    /// @notice The protocol release.
    string internal constant PROTOCOL_VERSION = "1.1.0";

    /// @inheritdoc IVersioned
    function version() external pure returns (string memory) {
        return PROTOCOL_VERSION;
    }
}
