// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {TokenRoutesFixture} from "./TokenRoutes.t.sol";
import {GreedyWarpRouter, ReentrantWarpRouter, TestWarpRouter} from "./TestWarpRouter.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {WarpClaims} from "../../src/crosschain/WarpClaims.sol";
import {CrossChainMessages as Msg} from "../../src/crosschain/CrossChainMessages.sol";

/// @notice Credits on the spoke claimed to a third chain over a warp route ({WarpClaims.claimTo}):
///         a node paid on the task's origin takes its payout to chain THIRD in one transaction.
contract WarpClaimsTest is TokenRoutesFixture {
    uint32 internal constant THIRD = 424242;
    uint256 internal constant GAS = 0.01 ether;

    TestWarpRouter internal usdcRoute;
    TestWarpRouter internal nativeRoute;
    address internal node;

    function setUp() public override {
        super.setUp();
        config.setPayoutRouter(address(home)); // nodes paid on the origin (the spoke)
        usdcRoute = new TestWarpRouter(address(sUsdc), GAS);
        nativeRoute = new TestWarpRouter(address(0), GAS);
        vm.startPrank(gov);
        spoke.setWarpRouter(address(sUsdc), address(usdcRoute));
        spoke.setWarpRouter(address(0), address(nativeRoute));
        vm.stopPrank();
        node = nodes[0];
    }

    /// @dev A settled token task: every node credited its payout in sUsdc on the spoke.
    function _creditNodesInUsdc() internal returns (uint256 credit) {
        (, uint256 tid) = _bridgeToken(payer, sUsdc, _params(), TOKEN_BUDGET);
        _runAndSettle(tid, _same(3, RESULT_A));
        _relaySettlement(tid);
        credit = spoke.tokenCredits(address(sUsdc), node);
        assertTrue(credit != 0, "node credited on the spoke");
    }

    /// @dev A settled native task: every node credited its payout in the spoke's coin.
    function _creditNodesInCoin() internal returns (uint256 credit) {
        (, uint256 tid) = _bridge(payer, _params());
        _runAndSettle(tid, _same(3, RESULT_A));
        _relaySettlement(tid);
        credit = spoke.credits(node);
        assertTrue(credit != 0, "node credited on the spoke");
    }

    function _claimTo(address who, address token, uint256 amount, uint256 value) internal returns (bytes32) {
        vm.deal(who, who.balance + value);
        vm.prank(who);
        return spoke.claimTo{value: value}(token, THIRD, Msg.toBytes32(who), amount);
    }

    function test_aNodeClaimsItsTokenPayoutToAThirdChainAndGetsTheGasChangeBack() public {
        uint256 credit = _creditNodesInUsdc();
        uint256 held = sUsdc.balanceOf(address(spoke));
        vm.expectEmit(true, true, true, true, address(spoke));
        emit WarpClaims.ChangeCredited(node, GAS);
        _claimTo(node, address(sUsdc), credit, 2 * GAS);
        (uint32 destination, bytes32 recipient, uint256 amount) = usdcRoute.transfers(0);
        assertEq(destination, THIRD);
        assertEq(recipient, Msg.toBytes32(node));
        assertEq(amount, credit, "the whole payout sent");
        assertEq(sUsdc.balanceOf(address(usdcRoute)), credit, "locked in the route's collateral");
        assertEq(sUsdc.balanceOf(address(spoke)), held - credit, "the spoke paid out exactly that");
        assertEq(spoke.tokenCredits(address(sUsdc), node), 0);
        assertEq(sUsdc.allowance(address(spoke), address(usdcRoute)), 0, "no standing approval");
        assertEq(spoke.credits(node), GAS, "the overpaid gas is the node's");
        vm.prank(node);
        spoke.claim();
        assertEq(node.balance, GAS, "gas paid once");
        for (uint256 i = 1; i < 3; ++i) {
            vm.prank(nodes[i]);
            spoke.claimToken(address(sUsdc)); // the others are untouched and paid here
        }
    }

    function test_aPartialClaimLeavesTheRestClaimableHere() public {
        uint256 credit = _creditNodesInUsdc();
        _claimTo(node, address(sUsdc), credit / 3, GAS);
        assertEq(spoke.tokenCredits(address(sUsdc), node), credit - credit / 3);
        vm.prank(node);
        spoke.claimToken(address(sUsdc));
        assertEq(sUsdc.balanceOf(node), credit - credit / 3);
    }

    function test_aNativePayoutGoesOverTheNativeRoute() public {
        uint256 credit = _creditNodesInCoin();
        uint256 held = address(spoke).balance;
        _claimTo(node, address(0), credit, GAS + 1);
        (uint32 destination,, uint256 amount) = nativeRoute.transfers(0);
        assertEq(destination, THIRD);
        assertEq(amount, credit);
        assertEq(address(nativeRoute).balance, credit + GAS);
        assertEq(address(spoke).balance, held - credit + 1, "only the payout left, the 1 wei change came back");
        assertEq(spoke.credits(node), 1, "the change is the node's");
    }

    // ------------------------------------------------------------------ attackers

    function test_nobodyMovesAnotherAccountsCreditOrMoreThanItsOwn() public {
        uint256 credit = _creditNodesInUsdc();
        address stranger = makeAddr("stranger");
        vm.expectRevert(abi.encodeWithSelector(WarpClaims.AmountOverCredit.selector, 1, 0));
        _claimTo(stranger, address(sUsdc), 1, GAS);
        vm.expectRevert(abi.encodeWithSelector(WarpClaims.AmountOverCredit.selector, credit + 1, credit));
        _claimTo(node, address(sUsdc), credit + 1, GAS);
        vm.expectRevert(WarpClaims.EmptyClaim.selector);
        _claimTo(node, address(sUsdc), 0, GAS);
        vm.expectRevert(abi.encodeWithSelector(WarpClaims.NoWarpRoute.selector, address(sDai)));
        _claimTo(node, address(sDai), credit, GAS);
        vm.deal(node, GAS);
        vm.prank(node);
        vm.expectRevert(WarpClaims.EmptyClaim.selector);
        spoke.claimTo{value: GAS}(address(sUsdc), THIRD, bytes32(0), credit);
        assertEq(spoke.tokenCredits(address(sUsdc), node), credit, "credit intact");
    }

    function test_unpaidGasRevertsAndKeepsTheCredit() public {
        uint256 credit = _creditNodesInUsdc();
        vm.expectRevert(abi.encodeWithSelector(TestWarpRouter.GasUnpaid.selector, GAS - 1, GAS));
        _claimTo(node, address(sUsdc), credit, GAS - 1);
        assertEq(spoke.tokenCredits(address(sUsdc), node), credit);
        assertEq(usdcRoute.transferCount(), 0);
    }

    function test_onlyGovernanceSetsARoute() public {
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, node));
        spoke.setWarpRouter(address(sUsdc), node);
        vm.prank(gov);
        spoke.setWarpRouter(address(sUsdc), address(0));
        vm.expectRevert(abi.encodeWithSelector(WarpClaims.NoWarpRoute.selector, address(sUsdc)));
        _claimTo(node, address(sUsdc), 1, GAS);
    }

    /// @dev A router that takes all the claimer's credit it was approved for costs that claimer
    ///      what it took and nobody else anything: the approval never exceeds the claimer's credit.
    function test_aGreedyRouterTakesAtMostTheClaimersCredit() public {
        uint256 credit = _creditNodesInUsdc();
        GreedyWarpRouter greedy = new GreedyWarpRouter(address(sUsdc));
        vm.prank(gov);
        spoke.setWarpRouter(address(sUsdc), address(greedy));
        vm.expectEmit(true, true, true, true, address(spoke));
        bytes32 id = keccak256(abi.encode(uint256(1), THIRD, Msg.toBytes32(node), uint256(1))); // the router's id
        emit WarpClaims.ClaimedTo(node, address(sUsdc), THIRD, Msg.toBytes32(node), 1, credit, id);
        _claimTo(node, address(sUsdc), 1, 0);
        assertEq(sUsdc.balanceOf(address(greedy)), credit);
        assertEq(spoke.tokenCredits(address(sUsdc), node), 0, "debited what the route took");
        for (uint256 i = 1; i < 3; ++i) {
            uint256 theirs = spoke.tokenCredits(address(sUsdc), nodes[i]);
            vm.prank(nodes[i]);
            spoke.claimToken(address(sUsdc));
            assertEq(sUsdc.balanceOf(nodes[i]), theirs, "others paid in full");
        }
        vm.prank(payer);
        spoke.claimToken(address(sUsdc));
        vm.prank(backer);
        spoke.claimToken(address(sUsdc));
        assertEq(sUsdc.balanceOf(address(spoke)), 0, "the escrow closes to the wei");
    }

    function test_aRouterCannotReenterToClaimTwice() public {
        uint256 credit = _creditNodesInUsdc();
        ReentrantWarpRouter reentrant = new ReentrantWarpRouter(address(sUsdc));
        vm.prank(gov);
        spoke.setWarpRouter(address(sUsdc), address(reentrant));
        reentrant.setPayload(abi.encodeCall(SpokeGateway.claimToken, (address(sUsdc))));
        _claimTo(node, address(sUsdc), credit, 0);
        assertEq(keccak256(reentrant.reason()), keccak256(abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector)));
        reentrant.setPayload(abi.encodeCall(WarpClaims.claimTo, (address(sUsdc), THIRD, Msg.toBytes32(node), 1)));
        uint256 second = spoke.tokenCredits(address(sUsdc), nodes[1]);
        vm.prank(nodes[1]);
        spoke.claimTo(address(sUsdc), THIRD, Msg.toBytes32(nodes[1]), second);
        assertEq(keccak256(reentrant.reason()), keccak256(abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector)));
        assertEq(sUsdc.balanceOf(address(reentrant)), credit + second, "each sent once");
    }

    function test_coinSentOutsideAClaimIsRefused() public {
        vm.deal(payer, 1 ether);
        vm.prank(payer);
        (bool ok, bytes memory why) = address(spoke).call{value: 1 ether}("");
        assertFalse(ok);
        assertEq(keccak256(why), keccak256(abi.encodeWithSelector(WarpClaims.UnexpectedCoin.selector, payer)));
    }

    /// @dev Whatever the amount and the gas sent, what leaves the spoke in the token is what the
    ///      node is debited, and its native credit grows by exactly the unused gas.
    function testFuzz_claimToConservesTokenAndCoin(uint256 amount, uint256 value) public {
        uint256 credit = _creditNodesInUsdc();
        amount = bound(amount, 1, credit);
        value = bound(value, GAS, 10 ether);
        uint256 held = sUsdc.balanceOf(address(spoke));
        uint256 coin = address(spoke).balance;
        _claimTo(node, address(sUsdc), amount, value);
        assertEq(held - sUsdc.balanceOf(address(spoke)), amount, "token out = amount");
        assertEq(spoke.tokenCredits(address(sUsdc), node), credit - amount, "debited the amount");
        assertEq(address(spoke).balance - coin, value - GAS, "the change stays in the gateway");
        assertEq(spoke.credits(node), value - GAS, "and is the node's");
    }
}
