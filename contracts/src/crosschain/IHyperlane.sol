// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IMailbox
/// @notice The part of Hyperlane's Mailbox (v3, `@hyperlane-xyz/core`) the gateways use: same
///         selectors and semantics, declared here so the protocol does not compile Hyperlane.
///         The gateways always dispatch with hook metadata naming the destination gas their
///         message needs ({CrossChainMessages.hookMetadata}): the default (50,000 gas) would
///         leave a PUBLISH unpaid for on a route whose relayer enforces gas payment.
interface IMailbox {
    /// @notice Sends `messageBody` to `recipientAddress` on `destinationDomain` with the default
    ///         hook, given `hookMetadata` (Hyperlane's StandardHookMetadata: the destination gas
    ///         limit the interchain gas paymaster charges for, and the refund address);
    ///         `msg.value` pays the hooks and must be at least {quoteDispatch}. Returns the id.
    function dispatch(
        uint32 destinationDomain,
        bytes32 recipientAddress,
        bytes calldata messageBody,
        bytes calldata hookMetadata
    ) external payable returns (bytes32 messageId);

    /// @notice The fee {dispatch} needs for this message and hook metadata with the default hook.
    function quoteDispatch(
        uint32 destinationDomain,
        bytes32 recipientAddress,
        bytes calldata messageBody,
        bytes calldata hookMetadata
    ) external view returns (uint256 fee);

    /// @notice This chain's Hyperlane domain id.
    function localDomain() external view returns (uint32);
}

/// @title IMessageRecipient
/// @notice Hyperlane's recipient interface: the Mailbox calls {handle} once per delivered message,
///         after the recipient's interchain security module verified it.
interface IMessageRecipient {
    /// @notice Handles a message from `sender` (left-padded address) on domain `origin`.
    function handle(uint32 origin, bytes32 sender, bytes calldata message) external payable;
}

/// @title ISpecifiesInterchainSecurityModule
/// @notice Lets a recipient choose the ISM the Mailbox verifies its messages with; address(0)
///         means the Mailbox's default ISM.
interface ISpecifiesInterchainSecurityModule {
    /// @notice The ISM for messages to this recipient.
    function interchainSecurityModule() external view returns (address);
}

/// @title ITokenRouter
/// @notice The part of a Hyperlane warp route router (`TokenRouter`: collateral, synthetic or
///         native) that moves tokens to another chain.
interface ITokenRouter {
    /// @notice Moves `amount` to `recipient` (left-padded) on `destination`: a collateral router
    ///         pulls the ERC-20 from the caller (approve it first), a native one takes it from
    ///         `msg.value`; `msg.value` also pays the interchain gas. Returns the message id.
    function transferRemote(uint32 destination, bytes32 recipient, uint256 amount)
        external
        payable
        returns (bytes32 messageId);
}
