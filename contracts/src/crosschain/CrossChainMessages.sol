// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title CrossChainMessages
/// @notice The bodies of the messages between a {SpokeGateway} and the home chain's gateway.
/// @dev Every body is `abi.encode(uint8 kind, ...)`:
///      - PUBLISH (spoke -> home): `(kind, escrowId, payer, budget, deadline, spec)`: a budget
///        in the spoke's native coin;
///      - PUBLISH_TOKEN (spoke -> home): `(kind, escrowId, payer, token, budget, deadline, spec)`:
///        a budget in the spoke's ERC-20 `token` (never address(0)), carried by its own kind so
///        that the native PUBLISH body stays byte for byte what it was (clients decoding it keep
///        working); the home gateway reads both as one PUBLISH whose token is address(0) for
///        the native coin;
///      - ACK (home -> spoke): `(kind, escrowId)`: the home chain published the task;
///      - SETTLE (home -> spoke): `(kind, escrowId, payees, amounts)`: the task settled, credit
///        `amounts[i]` to `payees[i]` on the spoke and the rest of the escrow to the payer, in
///        the escrow's own token (the spoke's record of the escrow says which; SETTLE does not).
library CrossChainMessages {
    uint8 internal constant PUBLISH = 1;
    uint8 internal constant ACK = 2;
    uint8 internal constant SETTLE = 3;
    uint8 internal constant PUBLISH_TOKEN = 4;

    /// @notice Destination gas paid for with each message (Hyperlane hook metadata's gas limit,
    ///         charged by the route's interchain gas paymaster): a PUBLISH needs the home
    ///         gateway's MIN_PUBLISH_GAS (1.5 M) inside its handler plus the Mailbox's and the
    ///         ISM's share; an ACK one state change; a SETTLE a base and one credit per payee.
    uint256 internal constant PUBLISH_GAS = 2_000_000;
    uint256 internal constant ACK_GAS = 100_000;
    uint256 internal constant SETTLE_BASE_GAS = 150_000;
    uint256 internal constant SETTLE_GAS_PER_PAYEE = 50_000;

    /// @notice Thrown for a body whose kind is none of the above.
    error UnknownMessageKind(uint8 kind);

    function encodePublish(uint256 escrowId, address payer, uint256 budget, uint64 deadline, bytes memory spec)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(PUBLISH, escrowId, payer, budget, deadline, spec);
    }

    function encodePublishToken(
        uint256 escrowId,
        address payer,
        address token,
        uint256 budget,
        uint64 deadline,
        bytes memory spec
    ) internal pure returns (bytes memory) {
        return abi.encode(PUBLISH_TOKEN, escrowId, payer, token, budget, deadline, spec);
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

    /// @notice Gas for a SETTLE crediting `payees` (and the payer's refund) on the spoke.
    function settleGas(uint256 payees) internal pure returns (uint256) {
        return SETTLE_BASE_GAS + (payees + 1) * SETTLE_GAS_PER_PAYEE;
    }

    /// @notice Hyperlane's StandardHookMetadata (variant 1): no value forwarded, destination gas
    ///         `gasLimit`, overpayment refunded to `refund`.
    function hookMetadata(uint256 gasLimit, address refund) internal pure returns (bytes memory) {
        return abi.encodePacked(uint16(1), uint256(0), gasLimit, refund);
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
