// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TokenRoutesFixture} from "./TokenRoutes.t.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {SpokeGateway} from "../../src/crosschain/SpokeGateway.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice Conservation per token across several escrows at once: native coin and two ERC-20
///         routes mixed (mocks standing in for the warp routes' collateral and synthetic tokens,
///         see {TokenRoutesFixture}), each escrow settled with agreement or a split, expired
///         unassigned, or never delivered and reclaimed; ACKs overtaken by their SETTLE; the
///         settlements relayed in a fuzzed order. Checked to the wei for every token on both
///         "chains", then everything claimed until the spoke holds nothing.
contract TokenRoutesFuzzTest is TokenRoutesFixture {
    uint256 internal constant N = 4;

    struct Case {
        uint8 asset; // 0 native, 1 USDC route, 2 DAI route
        uint8 outcome; // 0 agreed, 1 split, 2 expired unassigned, 3 never delivered: reclaimed
        bool ackLate; // its ACK is delivered after its SETTLE
        uint256 budget;
        uint256 eid;
        uint256 tid;
        uint256 ackIndex; // the ACK's index in the home mailbox's outbound list
    }

    Case[N] internal cases;

    function testFuzz_conservationPerTokenAcrossMixedEscrows(uint256 seed, uint96[N] memory budgets) public {
        uint256 delivered = _open(seed, budgets);
        _run();
        vm.warp(START + 1 days + 1);
        for (uint256 i; i < N; ++i) {
            if (cases[i].outcome == 2) market.expire(cases[i].tid);
        }
        // settlements relayed in a rotated order, late ACKs after their SETTLE, then reclaims
        for (uint256 k; k < N; ++k) {
            Case storage c = cases[(seed % N + k) % N];
            if (c.outcome != 3) _relaySettlement(c.tid);
        }
        for (uint256 i; i < N; ++i) {
            Case storage c = cases[i];
            if (c.outcome != 3 && c.ackLate) _relay(homeBox, spokeBox, c.ackIndex); // ignored
            if (c.outcome == 3) {
                vm.prank(payer);
                spoke.reclaim(c.eid);
            }
            SpokeGateway.Status want = c.outcome == 3 ? SpokeGateway.Status.Reclaimed : SpokeGateway.Status.Settled;
            assertEq(uint8(_escrowStatus(c.eid)), uint8(want), "every escrow ended");
        }
        _assertConserved(0, address(0), address(0), delivered);
        _assertConserved(1, address(sUsdc), address(hUsdc), delivered);
        _assertConserved(2, address(sDai), address(hDai), delivered);
        _claimAll();
    }

    /// @dev Escrows the N cases on the spoke, delivers the PUBLISH of those that get one and
    ///      the ACKs that are not late; returns how many PUBLISH were delivered (ACK fees paid).
    function _open(uint256 seed, uint96[N] memory budgets) private returns (uint256 delivered) {
        for (uint256 i; i < N; ++i) {
            Case storage c = cases[i];
            uint256 bits = uint256(keccak256(abi.encode(seed, i)));
            (c.asset, c.outcome, c.ackLate) = (uint8(bits % 3), uint8((bits >> 8) % 4), (bits >> 16) % 2 == 0);
            c.budget = bound(budgets[i], 3000, c.asset == 0 ? 5 ether : 10 * TOKEN_BUDGET);
            ITaskMarket.TaskParams memory p = _params();
            c.eid = c.asset == 0 ? _spokePublish(payer, p, c.budget) : _spokePublishToken(payer, _spokeToken(c.asset), p, c.budget);
            if (c.outcome == 3) continue; // the relayer never delivers it
            _relayLast(spokeBox, homeBox);
            c.tid = home.taskOf(SPOKE, c.eid);
            assertTrue(c.tid != 0 && c.tid != type(uint256).max, "published");
            c.ackIndex = homeBox.outboundCount() - 1;
            if (!c.ackLate) _relay(homeBox, spokeBox, c.ackIndex);
            ++delivered;
        }
    }

    /// @dev Runs the tasks that settle, each on its own three nodes.
    function _run() private {
        for (uint256 i; i < N; ++i) {
            Case storage c = cases[i];
            if (c.outcome > 1) continue;
            for (uint256 j; j < 3; ++j) {
                vm.prank(nodes[3 * i + j]);
                market.applyForTask(c.tid);
            }
            market.assign(c.tid);
            _submitAll(c.tid, c.outcome == 0 ? _same(3, RESULT_A) : _three(RESULT_A, RESULT_A, RESULT_C));
        }
        for (uint256 i; i < N; ++i) {
            if (cases[i].outcome <= 1) _settle(cases[i].tid);
        }
    }

    /// @dev For asset `a`: the spoke holds exactly its escrows, split between the backer (what
    ///      home paid in the matching home asset) and the payer (refunds and reclaims); the home
    ///      pool is whole once the backer's credit is counted (native: plus the ACK fees).
    function _assertConserved(uint8 a, address spokeToken, address homeToken, uint256 delivered) private view {
        uint256 escrowed;
        for (uint256 i; i < N; ++i) {
            if (cases[i].asset == a) escrowed += cases[i].budget;
        }
        uint256 paidHome = market.claimable(homeToken, treasury);
        for (uint256 i; i < 3 * N; ++i) {
            paidHome += market.claimable(homeToken, nodes[i]);
        }
        if (a == 0) {
            assertEq(address(spoke).balance, escrowed, "spoke holds the native escrows");
            assertEq(spoke.credits(backer), paidHome, "native: backer = paid on home");
            assertEq(spoke.credits(backer) + spoke.credits(payer), escrowed, "native: escrowed = credited");
            assertEq(home.liquidity() + paidHome + delivered * HOME_FEE, POOL, "native pool whole");
            assertEq(address(home).balance, home.liquidity(), "home holds its native liquidity");
        } else {
            assertEq(MockERC20(spokeToken).balanceOf(address(spoke)), escrowed, "spoke holds the token escrows");
            assertEq(spoke.tokenCredits(spokeToken, backer), paidHome, "token: backer = paid on home");
            assertEq(
                spoke.tokenCredits(spokeToken, backer) + spoke.tokenCredits(spokeToken, payer),
                escrowed,
                "token: escrowed = credited"
            );
            assertEq(home.tokenLiquidity(homeToken) + paidHome, TOKEN_POOL, "token pool whole");
            assertEq(MockERC20(homeToken).balanceOf(address(home)), home.tokenLiquidity(homeToken), "home holds it");
        }
    }

    function _claimAll() private {
        address[2] memory who = [payer, backer];
        for (uint256 w; w < 2; ++w) {
            vm.startPrank(who[w]);
            if (spoke.credits(who[w]) != 0) spoke.claim();
            if (spoke.tokenCredits(address(sUsdc), who[w]) != 0) spoke.claimToken(address(sUsdc));
            if (spoke.tokenCredits(address(sDai), who[w]) != 0) spoke.claimToken(address(sDai));
            vm.stopPrank();
        }
        assertEq(address(spoke).balance, 0, "native: all claimed");
        assertEq(sUsdc.balanceOf(address(spoke)), 0, "USDC: all claimed");
        assertEq(sDai.balanceOf(address(spoke)), 0, "DAI: all claimed");
    }

    function _spokeToken(uint8 asset) private view returns (MockERC20) {
        return asset == 1 ? sUsdc : sDai;
    }
}
