// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IMailbox, IMessageRecipient} from "../../src/crosschain/IHyperlane.sol";

/// @notice A local stand-in for Hyperlane's Mailbox on one chain, for forge tests: {dispatch}
///         records outbound messages with the destination gas their hook metadata asks for and
///         charges {fee} plus that gas at {gasPrice} (as an interchain gas paymaster would); {process} delivers an inbound message
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
    uint256 public gasPrice;
    Outbound[] public outbound;
    uint256[] public outboundGasLimit; // by outbound index: the destination gas paid for
    mapping(bytes32 id => bool) public delivered;

    error AlreadyDelivered(bytes32 id);
    error WrongFee(uint256 value, uint256 fee);

    constructor(uint32 domain) {
        localDomain = domain;
    }

    function setFee(uint256 fee_) external {
        fee = fee_;
    }

    function setGasPrice(uint256 gasPrice_) external {
        gasPrice = gasPrice_;
    }

    function quoteDispatch(uint32, bytes32, bytes calldata, bytes calldata metadata) public view returns (uint256) {
        return fee + gasLimitOf(metadata) * gasPrice;
    }

    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body, bytes calldata metadata)
        external
        payable
        returns (bytes32 id)
    {
        uint256 needed = quoteDispatch(destination, recipient, body, metadata);
        if (msg.value < needed) revert WrongFee(msg.value, needed);
        id = keccak256(abi.encode(outbound.length, localDomain, msg.sender, destination, recipient, body));
        outbound.push(Outbound(destination, recipient, msg.sender, body));
        outboundGasLimit.push(gasLimitOf(metadata));
    }

    /// @notice The gas limit of StandardHookMetadata (variant 1; bytes 34 to 66); 50,000, the
    ///         Mailbox default, without metadata.
    function gasLimitOf(bytes calldata metadata) public pure returns (uint256) {
        if (metadata.length < 66) return 50_000;
        require(uint16(bytes2(metadata[0:2])) == 1, "metadata variant");
        return uint256(bytes32(metadata[34:66]));
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
