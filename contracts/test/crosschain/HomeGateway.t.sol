// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Fixture} from "../Fixture.sol";
import {TestMailbox} from "./TestMailbox.sol";
import {HomeGateway} from "../../src/crosschain/HomeGateway.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {TaskAccount} from "../../src/crosschain/TaskAccount.sol";
import {CrossChainMessages as Msg} from "../../src/crosschain/CrossChainMessages.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Both ends of the route in one EVM: the protocol as {Fixture} deploys it (the home
///         chain), a {SpokeGateway} on its own test mailbox (the spoke chain) and a
///         {HomeGateway} on the home mailbox; `_relay` plays Hyperlane's relayer. Coin on the two
///         "chains" is the same test ETH, kept apart by which contract holds it.
abstract contract HomeGatewayFixture is Fixture {
    uint32 internal constant HOME = 31337;
    uint32 internal constant SPOKE = 31338;
    uint64 internal constant WINDOW = 1 hours; // the spoke's ACK window
    uint64 internal constant MARGIN = 10 minutes; // the home gateway's ACK margin
    uint256 internal constant SPOKE_FEE = 0.001 ether;
    uint256 internal constant HOME_FEE = 0.0001 ether;
    uint256 internal constant POOL = 100 ether;

    TestMailbox internal homeBox;
    TestMailbox internal spokeBox;
    HomeGateway internal home;
    SpokeGateway internal spoke;
    address internal gov;
    address internal backer;
    address internal payer;
    uint256 internal nonce;

    function setUp() public virtual override {
        super.setUp();
        gov = makeAddr("governance");
        backer = makeAddr("backer");
        payer = makeAddr("payer");
        homeBox = new TestMailbox(HOME);
        spokeBox = new TestMailbox(SPOKE);
        homeBox.setFee(HOME_FEE);
        spokeBox.setFee(SPOKE_FEE);
        home = new HomeGateway(homeBox, market, MARGIN, gov);
        spoke = new SpokeGateway(spokeBox, HOME, address(home), WINDOW, gov);
        vm.prank(gov);
        home.enrollSpoke(SPOKE, address(spoke), backer);
        vm.deal(gov, POOL);
        vm.prank(gov);
        home.fund{value: POOL}();
        vm.deal(payer, 100 ether);
    }

    /// @dev `who` escrows `budget` on the spoke for a task with `p`'s terms.
    function _spokePublish(address who, ITaskMarket.TaskParams memory p, uint256 budget) internal returns (uint256) {
        vm.prank(who);
        return spoke.publish{value: budget + SPOKE_FEE}(abi.encode(p));
    }

    /// @dev Delivers outbound message `i` of `from` through `to` (a new nonce each time, so a
    ///      re-delivery is a distinct message id, as a replay by a compromised ISM would be).
    function _relay(TestMailbox from, TestMailbox to, uint256 i) internal {
        (uint32 dest, bytes32 recipient, address sender, bytes memory body) = from.outbound(i);
        assertEq(uint256(dest), uint256(to.localDomain()), "destination");
        to.process(nonce++, from.localDomain(), sender, address(uint160(uint256(recipient))), body);
    }

    /// @dev Delivers PUBLISH `i` and expects the home gateway to refuse it for `reason`.
    function _relayIgnored(uint256 i, uint256 eid, string memory reason) internal {
        (, bytes32 recipient, address sender, bytes memory body) = spokeBox.outbound(i);
        vm.expectEmit(true, true, true, true, address(home));
        emit HomeGateway.MessageIgnored(SPOKE, eid, Msg.PUBLISH, reason);
        homeBox.process(nonce++, SPOKE, sender, address(uint160(uint256(recipient))), body);
    }

    function _relayLast(TestMailbox from, TestMailbox to) internal {
        _relay(from, to, from.outboundCount() - 1);
    }

    /// @dev Escrow on the spoke, PUBLISH home, ACK back: the task is on the market.
    function _bridge(address who, ITaskMarket.TaskParams memory p) internal returns (uint256 eid, uint256 tid) {
        eid = _spokePublish(who, p, p.budget);
        _relayLast(spokeBox, homeBox);
        tid = home.taskOf(SPOKE, eid);
        assertTrue(tid != 0 && tid != type(uint256).max, "published");
        _relayLast(homeBox, spokeBox);
    }

    function _account(uint256 tid) internal view returns (address account) {
        (,,, account,,,,) = home.bridged(tid);
    }

    function _escrowStatus(uint256 eid) internal view returns (SpokeGateway.Status status) {
        (,, status,,) = spoke.escrows(eid);
    }

    /// @dev Relays task `tid`'s settlement home -> spoke; returns the refund credited at home.
    function _relaySettlement(uint256 tid) internal returns (uint256 refund) {
        uint256 before = home.liquidity();
        vm.deal(stranger, HOME_FEE);
        vm.prank(stranger);
        home.relaySettlement{value: HOME_FEE}(tid);
        refund = home.liquidity() - before;
        _relayLast(homeBox, spokeBox);
    }

    /// @dev What the market credited on home to the treasury and the first `n` nodes.
    function _paidOnHome(uint256 n) internal view returns (uint256 paid) {
        paid = market.claimable(address(0), treasury);
        for (uint256 i; i < n; ++i) {
            paid += market.claimable(address(0), nodes[i]);
        }
    }

    /// @dev Conservation for one escrow of `budget`: on the spoke, backer + payer credits = the
    ///      escrow; the backer's credit = what was paid on home; the pool is whole again once the
    ///      backer's credit is counted (fees aside).
    function _assertConserved(uint256 eid, uint256 budget, uint256 paidHome, uint256 poolBefore, uint256 ackFees)
        internal
        view
    {
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled), "escrow settled");
        uint256 toBacker = spoke.credits(backer);
        assertEq(toBacker, paidHome, "backer reimbursed exactly what home paid");
        assertEq(toBacker + spoke.credits(payer), budget, "escrow = paid + refunded");
        assertEq(home.liquidity() + toBacker + ackFees, poolBefore, "pool whole with the backer's credit");
        assertEq(address(home).balance, home.liquidity(), "gateway holds exactly its liquidity");
    }
}

/// @notice The home gateway: publication from a spoke, settlement relayed back once, refusals
///         without revert, attackers, and conservation across both chains to the wei.
contract HomeGatewayTest is HomeGatewayFixture {
    // ------------------------------------------------------------------ round trips

    function test_publishFromSpokePublishesOnMarketAndAcks() public {
        (uint256 eid, uint256 tid) = _bridge(payer, _params());
        ITaskMarket.Task memory t = market.getTask(tid);
        address account = _account(tid);
        assertEq(t.requester, account, "the task's account is the requester");
        assertEq(t.budget, 1 ether);
        assertEq(t.token, address(0));
        assertEq(uint8(t.status), uint8(ITaskMarket.TaskStatus.Published));
        (uint32 origin, HomeGateway.BridgedStatus st, address p,,, bytes32 sp, uint256 e, uint256 b) = home.bridged(tid);
        assertEq(uint256(origin), SPOKE);
        assertEq(uint8(st), uint8(HomeGateway.BridgedStatus.Published));
        assertEq(p, payer, "payer recorded");
        assertEq(sp, Msg.toBytes32(address(spoke)));
        assertEq(e, eid, "escrow id recorded");
        assertEq(b, 1 ether);
        assertTrue(home.isAccount(account));
        assertEq(home.liquidity(), POOL - 1 ether - HOME_FEE, "pool paid the budget and the ACK");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Acknowledged), "ACK delivered");
    }

    function test_settledTaskRoundTripConservesToTheWei() public {
        (uint256 eid, uint256 tid) = _bridge(payer, _params());
        _apply(tid, 3);
        market.assign(tid);
        _submitAll(tid, _three(RESULT_A, RESULT_A, RESULT_B));
        _settle(tid);
        uint256 paidHome = _paidOnHome(3);
        uint256 refund = _relaySettlement(tid);
        assertTrue(paidHome != 0 && refund != 0, "both paid and refunded");
        assertEq(paidHome + refund, 1 ether, "market: budget = paid + refund");
        _assertConserved(eid, 1 ether, paidHome, POOL, HOME_FEE);
        // everyone takes their coin: the spoke ends empty, the market owes nothing more for it
        vm.prank(payer);
        spoke.claim();
        vm.prank(backer);
        spoke.claim();
        assertEq(address(spoke).balance, 0, "spoke escrow fully paid out");
        assertEq(backer.balance, paidHome);
        assertEq(market.claimable(address(0), _account(tid)), 0);
        assertEq(_account(tid).balance, 0, "the account keeps nothing");
    }

    function test_expiredUnassignedTaskRefundsTheWholeBudgetToThePayer() public {
        (uint256 eid, uint256 tid) = _bridge(payer, _params());
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        uint256 refund = _relaySettlement(tid);
        assertEq(refund, 1 ether, "full refund home");
        (, bytes32 recipient,, bytes memory body) = homeBox.outbound(homeBox.outboundCount() - 1);
        assertEq(recipient, Msg.toBytes32(address(spoke)));
        (,, address[] memory payees, uint256[] memory amounts) =
            abi.decode(body, (uint8, uint256, address[], uint256[]));
        assertEq(payees.length + amounts.length, 0, "no payees");
        assertEq(spoke.credits(payer), 1 ether, "payer refunded in full on the spoke");
        _assertConserved(eid, 1 ether, 0, POOL, HOME_FEE);
    }

    function test_failedTaskRefundsThePayer() public {
        (uint256 eid, uint256 tid) = _bridge(payer, _params());
        _apply(tid, 3);
        market.assign(tid);
        for (uint256 i; i < 3; ++i) {
            vm.prank(nodes[i]);
            market.abandon(tid, ITaskMarket.AbandonReason.NodeFault);
        }
        assertEq(uint8(market.getTask(tid).status), uint8(ITaskMarket.TaskStatus.Failed));
        assertEq(_relaySettlement(tid), 1 ether);
        _assertConserved(eid, 1 ether, 0, POOL, HOME_FEE);
    }

    /// @dev Any budget, any of three outcomes (agreed, split, expired): conservation holds.
    function testFuzz_conservationAcrossChains(uint256 budget, uint8 outcome) public {
        budget = bound(budget, 3000, 10 ether); // at least 1 wei per compute unit per replica
        ITaskMarket.TaskParams memory p = _params();
        p.budget = budget;
        (uint256 eid, uint256 tid) = _bridge(payer, p);
        if (outcome % 3 == 2) {
            vm.warp(START + 1 days + 1);
            market.expire(tid);
        } else {
            _apply(tid, 3);
            market.assign(tid);
            _submitAll(tid, outcome % 3 == 0 ? _same(3, RESULT_A) : _three(RESULT_A, RESULT_A, RESULT_C));
            _settle(tid);
        }
        uint256 paidHome = _paidOnHome(3);
        uint256 refund = _relaySettlement(tid);
        assertEq(paidHome + refund, budget);
        _assertConserved(eid, budget, paidHome, POOL, HOME_FEE);
    }

    // ------------------------------------------------------------------ attackers

    function test_forgedMessagesFromUnenrolledSenderOrDomainRevert() public {
        bytes memory body = Msg.encodePublish(1, stranger, 1 ether, uint64(block.timestamp + WINDOW), abi.encode(_params()));
        vm.expectRevert(abi.encodeWithSelector(HomeGateway.UnknownSender.selector, SPOKE, Msg.toBytes32(stranger)));
        homeBox.process(0, SPOKE, stranger, address(home), body);
        vm.expectRevert(
            abi.encodeWithSelector(HomeGateway.UnknownSender.selector, uint32(7), Msg.toBytes32(address(spoke)))
        );
        homeBox.process(1, 7, address(spoke), address(home), body);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HomeGateway.NotMailbox.selector, stranger));
        home.handle(SPOKE, Msg.toBytes32(address(spoke)), body);
        // a route closed by governance refuses its gateway too
        vm.prank(gov);
        home.enrollSpoke(SPOKE, address(0), address(0));
        vm.expectRevert(abi.encodeWithSelector(HomeGateway.UnknownSender.selector, SPOKE, Msg.toBytes32(address(spoke))));
        homeBox.process(2, SPOKE, address(spoke), address(home), body);
        assertEq(market.taskCount(), 0);
        assertEq(home.liquidity(), POOL);
    }

    function test_replayedPublishIsIgnored() public {
        (, uint256 tid) = _bridge(payer, _params());
        uint256 liquidity = home.liquidity();
        uint256 acks = homeBox.outboundCount();
        _relayIgnored(0, 1, "duplicate");
        assertEq(market.taskCount(), tid, "no second task");
        assertEq(home.liquidity(), liquidity, "no second budget");
        assertEq(homeBox.outboundCount(), acks, "no second ACK");
    }

    function test_settlementRelayedOnceOnlyAndOnlyWhenFinal() public {
        // a task published on the market directly is not the gateway's
        uint256 direct = _publish(_params());
        vm.expectRevert(abi.encodeWithSelector(HomeGateway.NotRelayable.selector, direct, HomeGateway.BridgedStatus.None));
        home.relaySettlement(direct);
        (, uint256 tid) = _bridge(payer, _params());
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(HomeGateway.TaskNotFinal.selector, tid, ITaskMarket.TaskStatus.Published)
        );
        home.relaySettlement{value: HOME_FEE}(tid);
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        uint256 liquidity = home.liquidity();
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(HomeGateway.NotRelayable.selector, tid, HomeGateway.BridgedStatus.Relayed)
        );
        home.relaySettlement{value: HOME_FEE}(tid);
        // a re-sent SETTLE is a no-op on the spoke
        _relayLast(homeBox, spokeBox);
        assertEq(spoke.credits(payer), 1 ether, "paid once");
        assertEq(home.liquidity(), liquidity);
    }

    /// @dev The payer also runs home nodes and takes seats in its own task: it is paid as a
    ///      node on home, refunded on the spoke, and the pool still gets back exactly what it paid.
    function test_payerThatIsAlsoANodeGetsNothingExtra() public {
        address self = nodes[0];
        vm.deal(self, 10 ether);
        (uint256 eid, uint256 tid) = _bridge(self, _params());
        _apply(tid, 3); // nodes[0] (the payer) among them: the requester of record is the account
        market.assign(tid);
        _submitAll(tid, _same(3, RESULT_A));
        _settle(tid);
        uint256 asNode = market.claimable(address(0), self);
        assertTrue(asNode != 0, "paid as a node");
        uint256 paidHome = _paidOnHome(3);
        _relaySettlement(tid);
        assertEq(spoke.credits(backer), paidHome, "backer covers its own node's pay too");
        assertEq(spoke.credits(self) + paidHome, 1 ether, "payer refunded only what the market refunded");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
        assertEq(home.liquidity() + spoke.credits(backer) + HOME_FEE, POOL, "pool whole");
    }

    function test_publishDeliveredTooLateIsRefusedAndPayerReclaims() public {
        uint256 eid = _spokePublish(payer, _params(), 1 ether);
        vm.warp(block.timestamp + WINDOW - MARGIN + 1);
        _relayIgnored(spokeBox.outboundCount() - 1, eid, "past deadline");
        assertEq(market.taskCount(), 0);
        assertEq(homeBox.outboundCount(), 0, "no ACK");
        assertEq(home.taskOf(SPOKE, eid), type(uint256).max, "refused for good");
        vm.warp(block.timestamp + MARGIN);
        vm.prank(payer);
        spoke.reclaim(eid);
        assertEq(spoke.credits(payer), 1 ether);
        assertEq(home.liquidity(), POOL, "pool untouched");
    }

    function test_publishRefusedWithoutRevert() public {
        // more than the free liquidity
        vm.prank(gov);
        home.withdrawLiquidity(gov, POOL - 0.5 ether);
        _spokePublish(payer, _params(), 1 ether);
        _relayIgnored(spokeBox.outboundCount() - 1, 1, "insufficient liquidity");
        vm.deal(address(this), POOL);
        home.fund{value: POOL}();
        // a spec that is not TaskParams
        vm.prank(payer);
        spoke.publish{value: 1 ether + SPOKE_FEE}(bytes("not a task"));
        _relayIgnored(spokeBox.outboundCount() - 1, 2, "malformed spec");
        // terms the market refuses (a strategy it does not allow)
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(0xBEEF);
        _spokePublish(payer, p, 1 ether);
        _relayIgnored(spokeBox.outboundCount() - 1, 3, "market refused");
        assertEq(market.taskCount(), 0);
        assertEq(home.liquidity(), 0.5 ether + POOL, "nothing taken");
        assertEq(homeBox.outboundCount(), 0, "no ACK");
    }

    function test_coinAndCallsFromStrangersAreRefused() public {
        (, uint256 tid) = _bridge(payer, _params());
        address account = _account(tid);
        vm.deal(stranger, 1 ether);
        vm.startPrank(stranger);
        (bool ok,) = address(home).call{value: 1}("");
        assertFalse(ok, "gateway refuses stray coin");
        (ok,) = account.call{value: 1}("");
        assertFalse(ok, "account refuses stray coin");
        vm.expectRevert(abi.encodeWithSelector(TaskAccount.NotGateway.selector, stranger));
        TaskAccount(payable(account)).collect();
        vm.expectRevert(abi.encodeWithSelector(TaskAccount.NotGateway.selector, stranger));
        TaskAccount(payable(account)).publish{value: 1}(_params());
        vm.stopPrank();
    }

    function test_relayFeeExcessReturnedAndShortFeeRefused() public {
        (, uint256 tid) = _bridge(payer, _params());
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        assertEq(home.quoteRelay(tid), HOME_FEE);
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HomeGateway.FeeTooSmall.selector, HOME_FEE - 1, HOME_FEE));
        home.relaySettlement{value: HOME_FEE - 1}(tid);
        vm.prank(stranger);
        home.relaySettlement{value: 1 ether}(tid);
        assertEq(stranger.balance, 1 ether - HOME_FEE, "only the fee kept");
    }

    // ------------------------------------------------------------------ governance

    function test_governanceOnlyAndRunningBudgetsNotWithdrawable() public {
        _bridge(payer, _params());
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        home.enrollSpoke(SPOKE, stranger, stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        home.withdrawLiquidity(stranger, 1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        home.setInterchainSecurityModule(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        home.setAckMargin(0);
        vm.stopPrank();
        uint256 free = home.liquidity();
        vm.startPrank(gov);
        vm.expectRevert(abi.encodeWithSelector(HomeGateway.InsufficientLiquidity.selector, free + 1, free));
        home.withdrawLiquidity(gov, free + 1);
        home.withdrawLiquidity(gov, free);
        home.setInterchainSecurityModule(address(0x15));
        vm.stopPrank();
        assertEq(gov.balance, free);
        assertEq(address(home).balance, 0);
        assertEq(home.interchainSecurityModule(), address(0x15));
    }
}
