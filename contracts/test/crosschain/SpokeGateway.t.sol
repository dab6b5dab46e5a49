// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Base} from "../Base.sol";
import {TestMailbox} from "./TestMailbox.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {CrossChainMessages as Msg} from "../../src/crosschain/CrossChainMessages.sol";

/// @notice A spoke gateway on a test mailbox, the home gateway an address that messages come from.
abstract contract SpokeGatewayFixture is Base {
    uint32 internal constant SPOKE = 31338;
    uint32 internal constant HOME = 31337;
    uint64 internal constant WINDOW = 1 hours;
    uint256 internal constant FEE = 0.001 ether;

    TestMailbox internal mailbox;
    SpokeGateway internal gateway;
    address internal home = address(0x40E);
    address internal owner = address(0x0A);
    address internal requester = address(0xA11CE);
    address internal node1 = address(0x111);
    address internal node2 = address(0x222);
    uint256 internal nonce;

    function setUp() public {
        mailbox = new TestMailbox(SPOKE);
        mailbox.setFee(FEE);
        gateway = new SpokeGateway(mailbox, HOME, home, WINDOW, owner);
        vm.deal(requester, 100 ether);
    }

    function _publish(uint256 value) internal returns (uint256 id) {
        vm.prank(requester);
        id = gateway.publish{value: value}(bytes("spec"));
    }

    function _deliver(bytes memory body) internal {
        mailbox.process(nonce++, HOME, home, address(gateway), body);
    }

    function _settle(uint256 id, uint256 a1, uint256 a2) internal {
        address[] memory payees = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        (payees[0], payees[1], amounts[0], amounts[1]) = (node1, node2, a1, a2);
        _deliver(Msg.encodeSettle(id, payees, amounts));
    }

    function _status(uint256 id) internal view returns (SpokeGateway.Status status) {
        (,, status,,) = gateway.escrows(id);
    }

    function _budget(uint256 id) internal view returns (uint256 budget) {
        (,,, budget,) = gateway.escrows(id);
    }

}

/// @notice The spoke gateway: escrow and PUBLISH, deadline reclaim, settlement credited once,
///         replays and out-of-order deliveries, and conservation of the escrowed coin to the wei.
contract SpokeGatewayTest is SpokeGatewayFixture {
    // ------------------------------------------------------------------ publish

    function test_publishEscrowsBudgetAndSendsPublishHome() public {
        uint256 id = _publish(1 ether + FEE);
        assertEq(id, 1);
        assertEq(_budget(id), 1 ether, "budget = value - fee");
        assertEq(address(gateway).balance, 1 ether, "gateway holds the budget");
        assertEq(address(mailbox).balance, FEE, "mailbox got the fee");
        assertEq(mailbox.outboundCount(), 1);
        (uint8 kind, uint256 eid, address payer,,,) =
            abi.decode(mailbox.outboundBody(0), (uint8, uint256, address, uint256, uint64, bytes));
        assertEq(kind, Msg.PUBLISH);
        assertEq(eid, id);
        assertEq(payer, requester);
        (,,, uint256 budget, uint64 deadline, bytes memory spec) =
            abi.decode(mailbox.outboundBody(0), (uint8, uint256, address, uint256, uint64, bytes));
        assertEq(budget, 1 ether);
        assertEq(deadline, block.timestamp + WINDOW);
        assertEq(keccak256(spec), keccak256("spec"));
        (uint32 dest, bytes32 recipient,,) = mailbox.outbound(0);
        assertEq(dest, HOME);
        assertEq(recipient, bytes32(uint256(uint160(home))), "left-padded recipient");
    }

    function test_publishRejectsValueNotAboveFee() public {
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.BudgetTooSmall.selector, FEE, FEE));
        gateway.publish{value: FEE}(bytes("spec"));
    }

    function test_pausedRouteRefusesPublishButReclaimStillWorks() public {
        uint256 id = _publish(1 ether + FEE);
        vm.prank(owner);
        gateway.setPaused(true);
        vm.prank(requester);
        vm.expectRevert(SpokeGateway.RoutePaused.selector);
        gateway.publish{value: 1 ether}(bytes("spec"));
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(requester);
        gateway.reclaim(id);
        assertEq(gateway.credits(requester), 1 ether);
    }

    // ------------------------------------------------------------------ settlement

    function test_settlementCreditsPayoutsAndRefundClaimedByPull() public {
        uint256 id = _publish(1 ether + FEE);
        _deliver(Msg.encodeAck(id));
        assertEq(uint8(_status(id)), uint8(SpokeGateway.Status.Acknowledged));
        _settle(id, 0.3 ether, 0.2 ether);
        assertEq(uint8(_status(id)), uint8(SpokeGateway.Status.Settled));
        assertEq(gateway.credits(node1), 0.3 ether);
        assertEq(gateway.credits(node2), 0.2 ether);
        assertEq(gateway.credits(requester), 0.5 ether, "refund");
        uint256 before = requester.balance;
        vm.prank(requester);
        gateway.claim();
        vm.prank(node1);
        gateway.claim();
        vm.prank(node2);
        gateway.claim();
        assertEq(requester.balance - before, 0.5 ether);
        assertEq(node1.balance, 0.3 ether);
        assertEq(node2.balance, 0.2 ether);
        assertEq(address(gateway).balance, 0, "conservation: nothing left, nothing missing");
        vm.prank(node1);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.NothingToClaim.selector, node1));
        gateway.claim();
    }

    function test_duplicateSettlementPaysOnce() public {
        uint256 id = _publish(1 ether + FEE);
        _deliver(Msg.encodeAck(id));
        _settle(id, 0.3 ether, 0.2 ether);
        _settle(id, 0.3 ether, 0.2 ether); // re-sent by the home side: a new message, same content
        _settle(id, 0.5 ether, 0.5 ether); // or a different one
        assertEq(gateway.credits(node1), 0.3 ether);
        assertEq(gateway.credits(node2), 0.2 ether);
        assertEq(gateway.credits(requester), 0.5 ether);
    }

    function test_sameMessageDeliveredTwiceIsRejectedByTheMailbox() public {
        uint256 id = _publish(1 ether + FEE);
        address[] memory payees = new address[](1);
        uint256[] memory amounts = new uint256[](1);
        (payees[0], amounts[0]) = (node1, 0.4 ether);
        bytes memory body = Msg.encodeSettle(id, payees, amounts);
        mailbox.process(7, HOME, home, address(gateway), body);
        vm.expectRevert();
        mailbox.process(7, HOME, home, address(gateway), body);
        assertEq(gateway.credits(node1), 0.4 ether);
    }

    function test_settlementOvertakingItsAckIsAcceptedAndTheLateAckIgnored() public {
        uint256 id = _publish(1 ether + FEE);
        _settle(id, 1 ether, 0);
        _deliver(Msg.encodeAck(id));
        assertEq(uint8(_status(id)), uint8(SpokeGateway.Status.Settled));
        assertEq(gateway.credits(node1), 1 ether);
        assertEq(gateway.credits(requester), 0);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(SpokeGateway.NotReclaimable.selector, id, SpokeGateway.Status.Settled)
        );
        gateway.reclaim(id);
    }

    function test_payoutsOverBudgetIgnored() public {
        uint256 id = _publish(1 ether + FEE);
        _settle(id, 0.6 ether, 0.5 ether);
        assertEq(uint8(_status(id)), uint8(SpokeGateway.Status.Pending));
        assertEq(gateway.credits(node1), 0);
    }

    function test_settlementCannotSpendAnotherEscrow() public {
        uint256 a = _publish(1 ether + FEE);
        _publish(5 ether + FEE);
        _settle(a, 1 ether, 1 ether); // 2 ether > escrow a's 1 ether, though the gateway holds 6
        assertEq(gateway.credits(node1) + gateway.credits(node2), 0);
    }

    // ------------------------------------------------------------------ deadline exit

    function test_reclaimOnlyAfterDeadlineOnlyByPayerOnlyWhilePending() public {
        uint256 id = _publish(1 ether + FEE);
        (, uint64 deadline,,,) = gateway.escrows(id);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.AckDeadlineNotReached.selector, id, deadline));
        gateway.reclaim(id);
        vm.warp(deadline + 1);
        vm.prank(node1);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.NotPayer.selector, id, node1));
        gateway.reclaim(id);
        vm.prank(requester);
        gateway.reclaim(id);
        assertEq(gateway.credits(requester), 1 ether);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(SpokeGateway.NotReclaimable.selector, id, SpokeGateway.Status.Reclaimed)
        );
        gateway.reclaim(id);
    }

    function test_acknowledgedEscrowIsNotReclaimable() public {
        uint256 id = _publish(1 ether + FEE);
        _deliver(Msg.encodeAck(id));
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(SpokeGateway.NotReclaimable.selector, id, SpokeGateway.Status.Acknowledged)
        );
        gateway.reclaim(id);
    }

    function test_lateMessagesAfterReclaimAreIgnored() public {
        uint256 id = _publish(1 ether + FEE);
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(requester);
        gateway.reclaim(id);
        // The relayer comes back and delivers late messages about the reclaimed escrow.
        _deliver(Msg.encodeAck(id));
        _settle(id, 0.5 ether, 0.5 ether);
        assertEq(uint8(_status(id)), uint8(SpokeGateway.Status.Reclaimed));
        assertEq(gateway.credits(node1), 0);
        assertEq(gateway.credits(requester), 1 ether, "paid once: the reclaim only");
    }

    // ------------------------------------------------------------------ trust

    function test_onlyTheMailboxFromTheHomeGatewayIsHeard() public {
        uint256 id = _publish(1 ether + FEE);
        bytes memory ack = Msg.encodeAck(id);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.NotMailbox.selector, address(this)));
        gateway.handle(HOME, bytes32(uint256(uint160(home))), ack);
        address attacker = address(0xBAD);
        vm.expectRevert(
            abi.encodeWithSelector(SpokeGateway.UnknownSender.selector, HOME, bytes32(uint256(uint160(attacker))))
        );
        mailbox.process(0, HOME, attacker, address(gateway), ack);
        vm.expectRevert(
            abi.encodeWithSelector(SpokeGateway.UnknownSender.selector, uint32(5), bytes32(uint256(uint160(home))))
        );
        mailbox.process(0, 5, home, address(gateway), ack);
    }

    function test_ismIsAGovernanceParameter() public {
        assertEq(gateway.interchainSecurityModule(), address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        gateway.setInterchainSecurityModule(address(0x15));
        vm.prank(owner);
        gateway.setInterchainSecurityModule(address(0x15));
        assertEq(gateway.interchainSecurityModule(), address(0x15));
    }

    // ------------------------------------------------------------------ conservation

    /// Random budgets and splits over three escrows, one settled, one reclaimed, one settled out
    /// of order: everything escrowed is claimable exactly, and claiming empties the gateway.
    function testFuzz_conservationToTheWei(uint96 b1, uint96 b2, uint96 b3, uint96 cut1, uint96 cut2) public {
        uint256 x = bound(b1, 1, 10 ether);
        uint256 y = bound(b2, 1, 10 ether);
        uint256 z = bound(b3, 1, 10 ether);
        uint256 p1 = bound(cut1, 0, x);
        uint256 p2 = bound(cut2, 0, z);
        uint256 a = _publish(x + FEE);
        uint256 b = _publish(y + FEE);
        uint256 c = _publish(z + FEE);
        _deliver(Msg.encodeAck(a));
        _settle(a, p1, 0);
        _settle(a, p1, 0);
        _settle(c, 0, p2);
        _deliver(Msg.encodeAck(c));
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(requester);
        gateway.reclaim(b);
        uint256 credited = gateway.credits(node1) + gateway.credits(node2) + gateway.credits(requester);
        assertEq(credited, x + y + z, "credited = escrowed");
        assertEq(address(gateway).balance, x + y + z, "held = escrowed");
        assertEq(gateway.credits(node1), p1);
        assertEq(gateway.credits(node2), p2);
        if (p1 > 0) {
            vm.prank(node1);
            gateway.claim();
        }
        if (p2 > 0) {
            vm.prank(node2);
            gateway.claim();
        }
        vm.prank(requester);
        gateway.claim();
        assertEq(address(gateway).balance, 0);
    }
}

/// @notice A payee that tries to claim twice by reentering {SpokeGateway.claim}.
contract ReenteringPayee {
    SpokeGateway internal immutable gateway;
    bool internal entered;

    constructor(SpokeGateway gateway_) {
        gateway = gateway_;
    }

    function claim() external {
        gateway.claim();
    }

    receive() external payable {
        if (!entered) {
            entered = true;
            gateway.claim();
        }
    }
}

/// @notice A payer whose coin transfers always fail.
contract RefusingPayer {
    function publish(SpokeGateway gateway) external payable returns (uint256) {
        return gateway.publish{value: msg.value}(bytes("spec"));
    }

    function claim(SpokeGateway gateway) external {
        gateway.claim();
    }

    receive() external payable {
        revert("no thanks");
    }
}

/// @notice Attackers on the money paths: reentrancy in claim, a payer that refuses coin, and a
///         requester that also runs the nodes it pays.
contract SpokeGatewayAttackTest is SpokeGatewayFixture {
    function test_reenteringPayeeIsPaidOnce() public {
        ReenteringPayee payee = new ReenteringPayee(gateway);
        uint256 id = _publish(1 ether + FEE);
        address[] memory payees = new address[](1);
        uint256[] memory amounts = new uint256[](1);
        (payees[0], amounts[0]) = (address(payee), 0.4 ether);
        _deliver(Msg.encodeSettle(id, payees, amounts));
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.TransferFailed.selector, address(payee), 0.4 ether));
        payee.claim();
        assertEq(gateway.credits(address(payee)), 0.4 ether, "credit kept after the failed claim");
        assertEq(address(gateway).balance, 1 ether);
    }

    function test_refusingPayerBlocksOnlyItself() public {
        RefusingPayer payer = new RefusingPayer();
        vm.deal(address(payer), 0);
        uint256 id = payer.publish{value: 1 ether + FEE}(gateway);
        _settle(id, 0.25 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.TransferFailed.selector, address(payer), 0.75 ether));
        payer.claim(gateway);
        vm.prank(node1);
        gateway.claim();
        assertEq(node1.balance, 0.25 ether, "the node is paid regardless");
        assertEq(gateway.credits(address(payer)), 0.75 ether);
    }

    function test_requesterRunningTheNodesGetsBackExactlyItsBudget() public {
        // The requester is also both payees: it cannot get more than it escrowed.
        uint256 id = _publish(1 ether + FEE);
        address[] memory payees = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        (payees[0], payees[1], amounts[0], amounts[1]) = (requester, requester, 0.6 ether, 0.6 ether);
        _deliver(Msg.encodeSettle(id, payees, amounts));
        assertEq(gateway.credits(requester), 0, "over-budget settlement ignored");
        amounts[1] = 0.4 ether;
        _deliver(Msg.encodeSettle(id, payees, amounts));
        assertEq(gateway.credits(requester), 1 ether, "payouts + refund = budget");
        _deliver(Msg.encodeSettle(id, payees, amounts));
        assertEq(gateway.credits(requester), 1 ether, "and once only");
    }
}
