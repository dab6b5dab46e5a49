// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {HomeGatewayFixture} from "./HomeGateway.t.sol";
import {CrossChainMessages as Msg} from "../../src/crosschain/CrossChainMessages.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Every gateway message pays for the destination gas it needs (Hyperlane hook metadata's
///         gas limit, charged by the interchain gas paymaster; here the test Mailbox charges it at
///         a gas price): without it a route whose relayer enforces payment never delivers a PUBLISH.
contract MessageGasTest is HomeGatewayFixture {
    uint256 internal constant GAS_PRICE = 1 gwei;

    function setUp() public override {
        super.setUp();
        spokeBox.setGasPrice(GAS_PRICE);
        homeBox.setGasPrice(GAS_PRICE);
    }

    function test_aPublishPaysForTheHomeGatewaysGasAndRunsWithinIt() public {
        ITaskMarket.TaskParams memory p = _params();
        uint256 fee = spoke.quotePublish(abi.encode(p));
        assertEq(fee, SPOKE_FEE + Msg.PUBLISH_GAS * GAS_PRICE, "the quote covers the PUBLISH's gas");
        assertTrue(Msg.PUBLISH_GAS > home.MIN_PUBLISH_GAS(), "more than the handler's own floor");
        vm.prank(payer);
        uint256 eid = spoke.publish{value: p.budget + fee}(abi.encode(p));
        (,,, uint256 budget,) = spoke.escrows(eid);
        assertEq(budget, p.budget, "the budget is what is left after the fee");
        assertEq(spokeBox.outboundGasLimit(0), Msg.PUBLISH_GAS);

        // delivered with no more gas than was paid for, the task is published
        (, bytes32 recipient, address sender, bytes memory body) = spokeBox.outbound(0);
        homeBox.process{gas: Msg.PUBLISH_GAS}(nonce++, SPOKE, sender, address(uint160(uint256(recipient))), body);
        uint256 tid = home.taskOf(SPOKE, eid);
        assertTrue(tid != 0 && tid != type(uint256).max, "published within the gas paid for");
    }

    function test_anAckAndASettlePayForTheirGasAndTheSettleGrowsWithItsPayees() public {
        uint256 poolBefore = home.liquidity();
        ITaskMarket.TaskParams memory p = _params();
        vm.deal(payer, p.budget + 1 ether);
        vm.prank(payer);
        uint256 eid = spoke.publish{value: p.budget + spoke.quotePublish(abi.encode(p))}(abi.encode(p));
        _relayLast(spokeBox, homeBox);
        uint256 tid = home.taskOf(SPOKE, eid);
        assertEq(homeBox.outboundGasLimit(0), Msg.ACK_GAS);
        assertEq(poolBefore - home.liquidity(), p.budget + HOME_FEE + Msg.ACK_GAS * GAS_PRICE, "the pool paid the ACK's gas");
        _relayLast(homeBox, spokeBox);

        _apply(tid, 3);
        market.assign(tid);
        _submitAll(tid, _same(3, RESULT_A));
        _settle(tid);
        uint256 quote = home.quoteRelay(tid);
        vm.deal(stranger, quote + 1 ether);
        uint256 before = stranger.balance;
        vm.prank(stranger);
        home.relaySettlement{value: quote + 1 ether}(tid);
        assertEq(before - stranger.balance, quote, "the relayer paid the quote, the rest came back");
        (,,, bytes memory body) = homeBox.outbound(1);
        (,, address[] memory payees,) = abi.decode(body, (uint8, uint256, address[], uint256[]));
        uint256 gasLimit = homeBox.outboundGasLimit(1);
        assertEq(gasLimit, Msg.SETTLE_BASE_GAS + (payees.length + 1) * Msg.SETTLE_GAS_PER_PAYEE);
        assertEq(quote, HOME_FEE + gasLimit * GAS_PRICE);
        _relayLast(homeBox, spokeBox);
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled), "settled on the spoke");
    }
}
