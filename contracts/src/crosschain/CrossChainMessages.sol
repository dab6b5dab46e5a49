// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title CrossChainMessages
/// @notice The bodies of the messages between a {SpokeGateway} and the home chain's gateway.
/// @dev Every body is `abi.encode(uint8 kind, ...)`:
///      - PUBLISH (spoke -> home): `(kind, escrowId, payer, budget, deadline, spec)`;
///      - ACK (home -> spoke): `(kind, escrowId)`: the home chain published the task;
///      - SETTLE (home -> spoke): `(kind, escrowId, payees, amounts)`: the task settled, credit
///        `amounts[i]` to `payees[i]` on the spoke and the rest of the escrow to the payer.
library CrossChainMessages {
    uint8 internal constant PUBLISH = 1;
    uint8 internal constant ACK = 2;
    uint8 internal constant SETTLE = 3;

    /// @notice Thrown for a body whose kind is none of the above.
    error UnknownMessageKind(uint8 kind);

    function encodePublish(uint256 escrowId, address payer, uint256 budget, uint64 deadline, bytes memory spec)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(PUBLISH, escrowId, payer, budget, deadline, spec);
    }

    function encodeAck(uint256 escrowId) internal pure returns (bytes memory) {
        return abi.encode(ACK, escrowId);
    }

    function encodeSettle(uint256 escrowId, address[] memory payees, uint256[] memory amounts)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(SETTLE, escrowId, payees, amounts);
    }

    function kindOf(bytes calldata body) internal pure returns (uint8) {
        return abi.decode(body[:32], (uint8));
    }

    /// @notice Left-pads an address into Hyperlane's bytes32 form (not right-padded: the probe
    ///         found right-padding makes delivery revert).
    function toBytes32(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }
}
