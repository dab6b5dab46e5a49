// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMailbox, IMessageRecipient} from "../../src/crosschain/IHyperlane.sol";

/// @notice A local stand-in for Hyperlane's Mailbox on one chain, for forge tests: {dispatch}
///         records outbound messages and charges {fee}; {process} delivers an inbound message
///         once per (nonce, origin, sender, recipient, body), as the real Mailbox does per message
///         id, with no ISM (like the devnet's test ISM). Not Hyperlane's own contract:
///         Hyperlane's core Solidity package is not installed; the e2e path uses the real Mailbox.
contract TestMailbox is IMailbox {
    struct Outbound {
        uint32 destination;
        bytes32 recipient;
        address sender;
        bytes body;
    }

    uint32 public immutable localDomain;
    uint256 public fee;
    Outbound[] public outbound;
    mapping(bytes32 id => bool) public delivered;

    error AlreadyDelivered(bytes32 id);
    error WrongFee(uint256 value, uint256 fee);

    constructor(uint32 domain) {
        localDomain = domain;
    }

    function setFee(uint256 fee_) external {
        fee = fee_;
    }

    function quoteDispatch(uint32, bytes32, bytes calldata) external view returns (uint256) {
        return fee;
    }

    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        payable
        returns (bytes32 id)
    {
        if (msg.value < fee) revert WrongFee(msg.value, fee);
        id = keccak256(abi.encode(outbound.length, localDomain, msg.sender, destination, recipient, body));
        outbound.push(Outbound(destination, recipient, msg.sender, body));
    }

    function outboundCount() external view returns (uint256) {
        return outbound.length;
    }

    function outboundBody(uint256 i) external view returns (bytes memory) {
        return outbound[i].body;
    }

    function process(uint256 nonce, uint32 origin, address sender, address recipient, bytes calldata body)
        external
    {
        bytes32 id = keccak256(abi.encode(nonce, origin, sender, recipient, body));
        if (delivered[id]) revert AlreadyDelivered(id);
        delivered[id] = true;
        IMessageRecipient(recipient).handle(origin, bytes32(uint256(uint160(sender))), body);
    }
}
