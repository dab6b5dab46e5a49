// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {Versioned} from "../access/Versioned.sol";
import {IScheduleStrategy} from "../interfaces/IScheduleStrategy.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";

/// @title ScheduleStrategy
/// @notice What every scheduling strategy shares: ERC-165 for {IScheduleStrategy} (the market and
///         clients can check a strategy before allowing or using it) and the protocol version.
abstract contract ScheduleStrategy is IScheduleStrategy, ERC165, Versioned {
    /// @notice ERC-165: true for {IScheduleStrategy}, {IVersioned} and ERC-165 itself.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IScheduleStrategy).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
