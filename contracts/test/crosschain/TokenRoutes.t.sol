// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {HomeGatewayFixture} from "./HomeGateway.t.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {FeeOnTransferERC20} from "../mocks/FeeOnTransferERC20.sol";
import {HomeGateway} from "../../src/crosschain/HomeGateway.sol";
import {HomeTokenPools} from "../../src/crosschain/HomeTokenPools.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {CrossChainMessages as Msg} from "../../src/crosschain/CrossChainMessages.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice ERC-20 routes on both gateways (two test mailboxes, one EVM). Two warp routes are
///         stood in for by ERC-20 mocks: `sUsdc`/`sDai` play the routes' **collateral** tokens
///         on the spoke and `hUsdc`/`hDai` their **synthetic** tokens on home (allow-listed in
///         the market). No Hyperlane warp contract runs here: a backer "warping" tokens home is
///         a mint of the synthetic to it, as the warp route's synthetic router would mint on
///         delivery. The e2e path uses the real warp route deployed by Hyperlane's CLI.
abstract contract TokenRoutesFixture is HomeGatewayFixture {
    uint256 internal constant TOKEN_POOL = 1_000_000e6;
    uint256 internal constant TOKEN_BUDGET = 1000e6;

    MockERC20 internal sUsdc; // spoke: the USDC warp route's collateral
    MockERC20 internal hUsdc; // home: its synthetic
    MockERC20 internal sDai;
    MockERC20 internal hDai;

    function setUp() public virtual override {
        super.setUp();
        sUsdc = new MockERC20("USD Coin", "USDC", 6);
        hUsdc = new MockERC20("USD Coin (synthetic)", "hUSDC", 6);
        sDai = new MockERC20("Dai", "DAI", 6);
        hDai = new MockERC20("Dai (synthetic)", "hDAI", 6);
        config.setTokenAllowed(address(hUsdc), true);
        config.setTokenAllowed(address(hDai), true);
        _route(sUsdc, hUsdc);
        _route(sDai, hDai);
        _fundPool(hUsdc, TOKEN_POOL);
        _fundPool(hDai, TOKEN_POOL);
        sUsdc.mint(payer, 100 * TOKEN_BUDGET);
        sDai.mint(payer, 100 * TOKEN_BUDGET);
        vm.startPrank(payer);
        sUsdc.approve(address(spoke), type(uint256).max);
        sDai.approve(address(spoke), type(uint256).max);
        vm.stopPrank();
    }

    function _route(MockERC20 spokeToken, MockERC20 homeToken) internal {
        vm.prank(gov);
        spoke.setTokenAllowed(address(spokeToken), true);
        vm.prank(gov);
        home.setTokenRoute(SPOKE, address(spokeToken), address(homeToken));
    }

    /// @dev The backer warps `amount` home (the synthetic is minted to it) and deposits it.
    function _fundPool(MockERC20 homeToken, uint256 amount) internal {
        homeToken.mint(backer, amount);
        vm.startPrank(backer);
        homeToken.approve(address(home), amount);
        home.fundToken(address(homeToken), amount);
        vm.stopPrank();
    }

    function _spokePublishToken(address who, MockERC20 token, ITaskMarket.TaskParams memory p, uint256 budget)
        internal
        returns (uint256)
    {
        vm.deal(who, who.balance + SPOKE_FEE);
        vm.prank(who);
        return spoke.publishToken{value: SPOKE_FEE}(address(token), budget, abi.encode(p));
    }

    /// @dev Escrow `budget` of `token` on the spoke, PUBLISH_TOKEN home, ACK back.
    function _bridgeToken(address who, MockERC20 token, ITaskMarket.TaskParams memory p, uint256 budget)
        internal
        returns (uint256 eid, uint256 tid)
    {
        eid = _spokePublishToken(who, token, p, budget);
        _relayLast(spokeBox, homeBox);
        tid = home.taskOf(SPOKE, eid);
        assertTrue(tid != 0 && tid != type(uint256).max, "published");
        _relayLast(homeBox, spokeBox);
    }

    /// @dev The market's credits in `token` on home to the treasury and the first `n` nodes.
    function _paidOnHomeIn(MockERC20 token, uint256 n) internal view returns (uint256 paid) {
        paid = market.claimable(address(token), treasury);
        for (uint256 i; i < n; ++i) {
            paid += market.claimable(address(token), nodes[i]);
        }
    }

    function _runAndSettle(uint256 tid, bytes32[] memory digests) internal {
        _apply(tid, 3);
        market.assign(tid);
        _submitAll(tid, digests);
        _settle(tid);
    }
}

/// @notice Round trips in a token, and the attackers of the token path.
contract TokenRoutesTest is TokenRoutesFixture {
    // ------------------------------------------------------------------ round trips

    function test_tokenRoundTripSpokeHomeSpokeConservesToTheWei() public {
        uint256 payerBefore = sUsdc.balanceOf(payer);
        (uint256 eid, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        ITaskMarket.Task memory t = market.getTask(tid);
        assertEq(t.token, address(hUsdc), "published in the route's home token");
        assertEq(t.budget, TOKEN_BUDGET);
        assertEq(home.taskToken(tid), address(hUsdc));
        assertEq(spoke.escrowToken(eid), address(sUsdc));
        assertEq(sUsdc.balanceOf(address(spoke)), TOKEN_BUDGET, "escrowed on the spoke");
        assertEq(home.tokenLiquidity(address(hUsdc)), TOKEN_POOL - TOKEN_BUDGET, "budget from the USDC pool");
        assertEq(home.liquidity(), POOL - HOME_FEE, "native pool paid only the ACK");
        assertEq(home.tokenLiquidity(address(hDai)), TOKEN_POOL, "other pool untouched");

        _runAndSettle(tid, _three(RESULT_A, RESULT_A, RESULT_B));
        uint256 paidHome = _paidOnHomeIn(hUsdc, 3);
        uint256 refund = home.tokenLiquidity(address(hUsdc));
        _relaySettlement(tid); // returns the native-pool delta: 0 for a token task
        refund = home.tokenLiquidity(address(hUsdc)) - refund;
        assertTrue(paidHome != 0 && refund != 0, "both paid and refunded");
        assertEq(paidHome + refund, TOKEN_BUDGET, "market: budget = paid + refund");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
        assertEq(spoke.tokenCredits(address(sUsdc), backer), paidHome, "backer reimbursed in the spoke token");
        assertEq(spoke.tokenCredits(address(sUsdc), payer), refund, "payer refunded in the spoke token");
        assertEq(spoke.credits(backer) + spoke.credits(payer), 0, "nothing credited in native coin");
        assertEq(home.tokenLiquidity(address(hUsdc)) + paidHome, TOKEN_POOL, "USDC pool whole with the backer's credit");
        assertEq(hUsdc.balanceOf(address(home)), home.tokenLiquidity(address(hUsdc)), "gateway holds its liquidity");

        vm.prank(payer);
        spoke.claimToken(address(sUsdc));
        vm.prank(backer);
        spoke.claimToken(address(sUsdc));
        assertEq(sUsdc.balanceOf(address(spoke)), 0, "spoke escrow fully paid out");
        assertEq(sUsdc.balanceOf(payer), payerBefore - TOKEN_BUDGET + refund);
        assertEq(sUsdc.balanceOf(backer), paidHome);
        assertEq(market.claimable(address(hUsdc), _account(tid)), 0);
        assertEq(hUsdc.balanceOf(_account(tid)), 0, "the account keeps nothing");
        vm.prank(backer);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.NothingToClaim.selector, backer));
        spoke.claimToken(address(sUsdc));
    }

    /// @dev With the home gateway as payout router, a token task's nodes are credited their
    ///      payouts in the spoke token on the spoke; the backer only the fee; still to the wei.
    function test_tokenTaskNodesArePaidInTheSpokeTokenOnTheSpoke() public {
        config.setPayoutRouter(address(home));
        (uint256 eid, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        _runAndSettle(tid, _same(3, RESULT_A));
        assertEq(_paidOnHomeIn(hUsdc, 3), market.claimable(address(hUsdc), treasury), "only the fee on home");
        uint256 fee = market.claimable(address(hUsdc), treasury);
        _relaySettlement(tid);
        uint256 nodesPaid;
        for (uint256 i; i < 3; ++i) {
            uint256 credit = spoke.tokenCredits(address(sUsdc), nodes[i]);
            assertTrue(credit != 0, "node credited in the spoke token");
            nodesPaid += credit;
            vm.prank(nodes[i]);
            spoke.claimToken(address(sUsdc));
            assertEq(sUsdc.balanceOf(nodes[i]), credit);
        }
        uint256 refund = spoke.tokenCredits(address(sUsdc), payer);
        assertEq(spoke.tokenCredits(address(sUsdc), backer), fee, "backer reimbursed the fee only");
        assertEq(nodesPaid + fee + refund, TOKEN_BUDGET, "escrow = nodes + backer + refund");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
        assertEq(home.tokenLiquidity(address(hUsdc)) + fee, TOKEN_POOL, "USDC pool whole with the backer's credit");
        assertEq(hUsdc.balanceOf(address(home)), home.tokenLiquidity(address(hUsdc)), "gateway holds its liquidity");
    }

    function test_expiredTokenTaskRefundsTheWholeBudgetInTheToken() public {
        (uint256 eid, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        assertEq(home.tokenLiquidity(address(hUsdc)), TOKEN_POOL, "pool whole");
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET);
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
    }

    function test_publishTokenFeeInNativeCoinExcessReturned() public {
        assertEq(spoke.quotePublishToken(address(sUsdc), abi.encode(_params())), SPOKE_FEE);
        vm.deal(payer, 1 ether);
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.FeeTooSmall.selector, SPOKE_FEE - 1, SPOKE_FEE));
        spoke.publishToken{value: SPOKE_FEE - 1}(address(sUsdc), TOKEN_BUDGET, abi.encode(_params()));
        vm.prank(payer);
        vm.expectRevert(SpokeGateway.ZeroBudget.selector);
        spoke.publishToken{value: SPOKE_FEE}(address(sUsdc), 0, abi.encode(_params()));
        vm.prank(payer);
        uint256 eid = spoke.publishToken{value: 1 ether}(address(sUsdc), TOKEN_BUDGET, abi.encode(_params()));
        assertEq(payer.balance, 1 ether - SPOKE_FEE, "only the fee kept");
        assertEq(address(spoke).balance, 0, "no coin escrowed for a token escrow");
        (uint8 kind, uint256 id, address p, address token, uint256 budget,,) = abi.decode(
            spokeBox.outboundBody(0), (uint8, uint256, address, address, uint256, uint64, bytes)
        );
        assertEq(kind, Msg.PUBLISH_TOKEN);
        assertEq(id, eid);
        assertEq(p, payer);
        assertEq(token, address(sUsdc));
        assertEq(budget, TOKEN_BUDGET);
    }

    // ------------------------------------------------------------------ attackers

    function test_tokenNotAllowListedOnTheSpokeIsRefused() public {
        MockERC20 junk = new MockERC20("Junk", "JNK", 18);
        junk.mint(payer, 1e18);
        vm.prank(payer);
        junk.approve(address(spoke), 1e18);
        vm.deal(payer, SPOKE_FEE);
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.TokenNotAllowed.selector, address(junk)));
        spoke.publishToken{value: SPOKE_FEE}(address(junk), 1e18, abi.encode(_params()));
        // governance de-lists USDC: new escrows refused, old ones still settle in it
        (uint256 eid, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        vm.prank(gov);
        spoke.setTokenAllowed(address(sUsdc), false);
        vm.deal(payer, SPOKE_FEE);
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.TokenNotAllowed.selector, address(sUsdc)));
        spoke.publishToken{value: SPOKE_FEE}(address(sUsdc), TOKEN_BUDGET, abi.encode(_params()));
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET);
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
    }

    function test_spokeTokenWithoutHomeRouteIsRefusedAndReclaimedInTheToken() public {
        vm.prank(gov);
        home.setTokenRoute(SPOKE, address(sUsdc), address(0)); // route closed at home only
        uint256 eid = _spokePublishToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        _relayIgnored(spokeBox.outboundCount() - 1, eid, "token not routed");
        assertEq(market.taskCount(), 0);
        assertEq(homeBox.outboundCount(), 0, "no ACK");
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(payer);
        spoke.reclaim(eid);
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET, "reclaimed in its token");
        assertEq(spoke.credits(payer), 0, "not in native coin");
        uint256 before = sUsdc.balanceOf(payer);
        vm.prank(payer);
        spoke.claimToken(address(sUsdc));
        assertEq(sUsdc.balanceOf(payer) - before, TOKEN_BUDGET);
    }

    function test_routeToATokenTheMarketDoesNotAllowIsRefusedPoolUntouched() public {
        MockERC20 unlisted = new MockERC20("Unlisted synthetic", "hUNL", 6);
        vm.prank(gov);
        home.setTokenRoute(SPOKE, address(sUsdc), address(unlisted));
        _fundPool(unlisted, TOKEN_POOL);
        uint256 eid = _spokePublishToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        _relayIgnored(spokeBox.outboundCount() - 1, eid, "market refused");
        assertEq(market.taskCount(), 0);
        assertEq(home.tokenLiquidity(address(unlisted)), TOKEN_POOL, "pool untouched");
        assertEq(unlisted.balanceOf(address(home)), TOKEN_POOL, "nothing left the gateway");
        assertEq(home.liquidity(), POOL, "no ACK fee spent");
        vm.warp(block.timestamp + WINDOW + 1);
        vm.prank(payer);
        spoke.reclaim(eid);
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET);
    }

    function test_feeOnTransferTokensCreateNoValue() public {
        // spoke: governance lists one by mistake; the escrow is refused, nothing recorded
        FeeOnTransferERC20 fot = new FeeOnTransferERC20();
        vm.prank(gov);
        spoke.setTokenAllowed(address(fot), true);
        fot.mint(payer, 1000e18);
        vm.prank(payer);
        fot.approve(address(spoke), type(uint256).max);
        vm.deal(payer, SPOKE_FEE);
        vm.prank(payer);
        vm.expectRevert(
            abi.encodeWithSelector(SpokeGateway.FeeOnTransferToken.selector, address(fot), 1000e18, 990e18)
        );
        spoke.publishToken{value: SPOKE_FEE}(address(fot), 1000e18, abi.encode(_params()));
        assertEq(spoke.escrowCount(), 0);
        // home: a pool in it is credited what arrived, and the market refuses tasks in it
        FeeOnTransferERC20 hFot = new FeeOnTransferERC20();
        config.setTokenAllowed(address(hFot), true);
        hFot.mint(backer, 1000e18);
        vm.startPrank(backer);
        hFot.approve(address(home), 1000e18);
        home.fundToken(address(hFot), 1000e18);
        vm.stopPrank();
        assertEq(home.tokenLiquidity(address(hFot)), 990e18, "credited what arrived");
        assertEq(hFot.balanceOf(address(home)), 990e18);
        vm.prank(gov);
        home.setTokenRoute(SPOKE, address(sUsdc), address(hFot));
        uint256 eid = _spokePublishToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        _relayIgnored(spokeBox.outboundCount() - 1, eid, "market refused");
        assertEq(home.tokenLiquidity(address(hFot)), 990e18, "pool untouched");
        assertEq(hFot.balanceOf(address(home)), 990e18, "nothing burnt from the pool");
    }

    function test_aTokenTaskCannotDrainAnotherTokensPool() public {
        // the USDC pool is nearly empty, the DAI pool full
        vm.prank(gov);
        home.withdrawTokenLiquidity(address(hUsdc), gov, TOKEN_POOL - TOKEN_BUDGET + 1);
        uint256 eid = _spokePublishToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        _relayIgnored(spokeBox.outboundCount() - 1, eid, "insufficient liquidity");
        assertEq(home.tokenLiquidity(address(hDai)), TOKEN_POOL, "DAI pool untouched");
        assertEq(home.liquidity(), POOL, "native pool untouched");
        // governance cannot take more of a token than its own free liquidity either
        uint256 free = home.tokenLiquidity(address(hUsdc));
        vm.prank(gov);
        vm.expectRevert(
            abi.encodeWithSelector(HomeTokenPools.InsufficientTokenLiquidity.selector, address(hUsdc), free + 1, free)
        );
        home.withdrawTokenLiquidity(address(hUsdc), gov, free + 1);
        // a DAI task's budget and refund stay in the DAI pool; a running budget is not free
        (, uint256 tid) = _bridgeToken(payer, sDai, _params(), TOKEN_BUDGET);
        vm.prank(gov);
        vm.expectRevert(
            abi.encodeWithSelector(
                HomeTokenPools.InsufficientTokenLiquidity.selector, address(hDai), TOKEN_POOL, TOKEN_POOL - TOKEN_BUDGET
            )
        );
        home.withdrawTokenLiquidity(address(hDai), gov, TOKEN_POOL);
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        assertEq(home.tokenLiquidity(address(hDai)), TOKEN_POOL, "refund back in the DAI pool");
        assertEq(home.tokenLiquidity(address(hUsdc)), free, "USDC pool unchanged");
    }

    function test_settleForATokenEscrowPaysOnlyInItsOwnToken() public {
        // a native escrow sits next to the token escrow: its coin must stay out of reach
        _spokePublish(payer, _params(), 5 ether);
        uint256 eid = _spokePublishToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        address[] memory payees = new address[](1);
        uint256[] memory amounts = new uint256[](1);
        (payees[0], amounts[0]) = (stranger, 1 ether); // fits the native escrow, not the USDC one
        _deliverToSpoke(Msg.encodeSettle(eid, payees, amounts));
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Pending), "ignored: over its budget");
        assertEq(spoke.credits(stranger), 0);
        amounts[0] = 400e6;
        _deliverToSpoke(Msg.encodeSettle(eid, payees, amounts));
        assertEq(spoke.tokenCredits(address(sUsdc), stranger), 400e6, "credited in the escrow's token");
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET - 400e6);
        assertEq(spoke.tokenCredits(address(sDai), stranger), 0, "not in another token");
        assertEq(spoke.credits(stranger), 0, "not in native coin");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.NothingToClaim.selector, stranger));
        spoke.claim();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.NothingToClaim.selector, stranger));
        spoke.claimToken(address(sDai));
        assertEq(address(spoke).balance, 5 ether, "native escrow intact");
    }

    function test_replayedTokenPublishAndSettlementArePaidOnce() public {
        (, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        uint256 pool = home.tokenLiquidity(address(hUsdc));
        _relayIgnored(0, 1, "duplicate");
        assertEq(market.taskCount(), tid, "no second task");
        assertEq(home.tokenLiquidity(address(hUsdc)), pool, "no second budget");
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        vm.deal(stranger, HOME_FEE);
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(HomeGateway.NotRelayable.selector, tid, HomeGateway.BridgedStatus.Relayed)
        );
        home.relaySettlement{value: HOME_FEE}(tid);
        _relayLast(homeBox, spokeBox); // the SETTLE re-delivered as a new message
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET, "paid once");
        assertEq(home.tokenLiquidity(address(hUsdc)), TOKEN_POOL);
    }

    /// @dev The payer runs the home nodes of its own task: paid as a node in the home token, it
    ///      is refunded on the spoke only what the market refunded, and both pools stay whole.
    function test_payerThatIsAlsoANodeGetsNothingExtraInTokens() public {
        address self = nodes[0];
        sUsdc.mint(self, TOKEN_BUDGET);
        vm.prank(self);
        sUsdc.approve(address(spoke), TOKEN_BUDGET);
        (uint256 eid, uint256 tid) = _bridgeToken(self, sUsdc, _params(), TOKEN_BUDGET);
        _runAndSettle(tid, _same(3, RESULT_A));
        assertTrue(market.claimable(address(hUsdc), self) != 0, "paid as a node, in the home token");
        uint256 paidHome = _paidOnHomeIn(hUsdc, 3);
        _relaySettlement(tid);
        assertEq(spoke.tokenCredits(address(sUsdc), backer), paidHome, "backer covers its node pay too");
        assertEq(spoke.tokenCredits(address(sUsdc), self) + paidHome, TOKEN_BUDGET, "refund = market refund");
        assertEq(uint8(_escrowStatus(eid)), uint8(SpokeGateway.Status.Settled));
        assertEq(home.tokenLiquidity(address(hUsdc)) + paidHome, TOKEN_POOL, "pool whole");
    }

    /// @dev Tokens sent straight to a task's account (by anyone) neither inflate its refund nor
    ///      block its relay: the account forwards exactly what the market refunded.
    function test_donationToTheTaskAccountDoesNotBlockOrInflateTheRefund() public {
        (, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        hUsdc.mint(_account(tid), 2 * TOKEN_BUDGET);
        vm.warp(START + 1 days + 1);
        market.expire(tid);
        _relaySettlement(tid);
        assertEq(home.tokenLiquidity(address(hUsdc)), TOKEN_POOL, "exactly the refund returned");
        assertEq(spoke.tokenCredits(address(sUsdc), payer), TOKEN_BUDGET);
    }

    // ------------------------------------------------------------------ governance

    function test_tokenGovernanceIsOwnerOnly() public {
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        home.setTokenRoute(SPOKE, address(sUsdc), stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        home.withdrawTokenLiquidity(address(hUsdc), stranger, 1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        spoke.setTokenAllowed(stranger, true);
        vm.stopPrank();
        vm.startPrank(gov);
        vm.expectRevert(abi.encodeWithSelector(HomeTokenPools.ZeroArgument.selector, "spokeToken"));
        home.setTokenRoute(SPOKE, address(0), address(hUsdc));
        vm.expectRevert(abi.encodeWithSelector(SpokeGateway.ZeroArgument.selector, "token"));
        spoke.setTokenAllowed(address(0), true);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(HomeTokenPools.ZeroArgument.selector, "token"));
        home.fundToken(address(0), 1);
    }

    function _deliverToSpoke(bytes memory body) internal {
        spokeBox.process(nonce++, HOME, address(home), address(spoke), body);
    }
}

/// @notice A PUBLISH (native or token) delivered with too little gas must revert (the relayer retries it),
///         never be refused for good: the market call nests several frames deep, so an
///         out-of-gas inside it surfaces as an ordinary revert, and a relayer's gas estimate
///         (the least gas with which the delivery does not revert) would otherwise find the
///         refusal path.
contract TokenRoutesGasTest is TokenRoutesFixture {
    function testFuzz_publishWithTooLittleGasRevertsOrPublishesNeverRefuses(uint256 gasLimit, bool token) public {
        gasLimit = bound(gasLimit, 100_000, 3_000_000);
        uint256 eid = token
            ? _spokePublishToken(payer, sUsdc, _params(), TOKEN_BUDGET)
            : _spokePublish(payer, _params(), 1 ether);
        (, bytes32 recipient, address sender, bytes memory body) = spokeBox.outbound(spokeBox.outboundCount() - 1);
        (bool ok,) = address(homeBox).call{gas: gasLimit}(
            abi.encodeCall(homeBox.process, (nonce++, SPOKE, sender, address(uint160(uint256(recipient))), body))
        );
        uint256 tid = home.taskOf(SPOKE, eid);
        if (ok) assertTrue(tid != 0 && tid != type(uint256).max, "delivered: published, not refused");
        else assertEq(tid, 0, "reverted: nothing recorded");
    }
}
