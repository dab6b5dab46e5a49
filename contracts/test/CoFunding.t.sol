// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {CoFundingFixture} from "./CoFundingFixture.sol";
import {CoFundingPool} from "../src/funding/CoFundingPool.sol";
import {FeeOnTransferERC20} from "./mocks/FeeOnTransferERC20.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
import {SwitchableFeeERC20} from "./mocks/SwitchableFeeERC20.sol";
import {ICoFundingFactory, ICoFundingPool} from "../src/interfaces/ICoFunding.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {IVersioned} from "../src/interfaces/IVersioned.sol";

/// @notice Co-funded tasks: opening, contributing, publishing through a pool, and sharing every
///         refund and leftover by contribution, exactly.
contract CoFundingTest is CoFundingFixture {
    // ---------------------------------------------------------------- opening and funding

    function test_open_recordsLeadTermsAndFirstContribution() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.4 ether);
        assertTrue(factory.isPool(address(pool)), "isPool");
        assertFalse(factory.isPool(alice), "an account is no pool");
        assertEq(factory.poolCount(), 1);
        assertEq(factory.poolAt(0), address(pool));
        assertEq(pool.lead(), alice);
        assertEq(pool.target(), 1 ether);
        assertEq(pool.fundingDeadline(), FUNDING_DEADLINE);
        assertEq(pool.terms().specDigest, SPEC);
        assertEq(pool.contributionOf(alice), 0.4 ether);
        assertEq(pool.totalContributed(), 0.4 ether);
        assertEq(address(pool).balance, 0.4 ether);
        assertEq(uint256(pool.status()), uint256(ICoFundingPool.PoolStatus.Funding));
        assertEq(pool.funders().length, 1);
    }

    function test_open_revertsOnAFundingDeadlineAfterApplications() public {
        ICoFundingPool.Terms memory t = _terms();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICoFundingPool.FundingDeadlineInvalid.selector, t.applyDeadline + 1, START, t.applyDeadline
            )
        );
        factory.open{value: 1 ether}(t, 1 ether, t.applyDeadline + 1, 1 ether);
    }

    function test_open_revertsOnADisallowedToken() public {
        ICoFundingPool.Terms memory t = _terms();
        t.token = address(new MockERC20("Other", "OTH", 18));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingFactory.TokenNotAllowed.selector, t.token));
        factory.open(t, 1 ether, FUNDING_DEADLINE, 1 ether);
    }

    function test_implementation_cannotBeInitialized() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        implementation.initialize(market, address(0), address(0), alice, _terms(), 1 ether, FUNDING_DEADLINE, 0);
    }

    function test_pool_cannotBeInitializedTwice() public {
        CoFundingPool pool = _open(alice, 1 ether, 1 ether);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        pool.initialize(market, address(0), address(0), bob, _terms(), 1 ether, FUNDING_DEADLINE, 0);
    }

    function test_contribute_addsToAnExistingFunder() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.2 ether);
        _contribute(pool, bob, 0.3 ether);
        _contribute(pool, bob, 0.1 ether);
        assertEq(pool.contributionOf(bob), 0.4 ether);
        assertEq(pool.totalContributed(), 0.6 ether);
        assertEq(pool.funders().length, 2, "bob seated once");
    }

    function test_contribute_revertsOnAWrongEthContribution() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.5 ether);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.WrongEthContribution.selector, 1, 0.5 ether));
        pool.contribute{value: 1}(0.5 ether);
    }

    function test_plainEth_isRefused() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.5 ether);
        vm.prank(bob);
        (bool ok,) = address(pool).call{value: 1 ether}("");
        assertFalse(ok, "only the market sends the pool ETH");
    }

    function test_publish_revertsBelowTheTarget() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.5 ether);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.TargetNotReached.selector, 0.5 ether, 1 ether));
        pool.publish();
    }

    function test_publish_byAnyoneOnceTheTargetIsReached_poolIsTheRequester() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.5 ether);
        _contribute(pool, bob, 0.7 ether); // over the target: the budget is everything contributed
        vm.prank(stranger);
        uint256 id = pool.publish();
        ITaskMarket.Task memory t = market.getTask(id);
        assertEq(t.requester, address(pool), "requester");
        assertEq(t.budget, 1.2 ether, "budget");
        assertEq(t.specDigest, SPEC);
        assertEq(pool.taskId(), id);
        assertEq(address(pool).balance, 0, "all escrowed");
        assertEq(uint256(pool.status()), uint256(ICoFundingPool.PoolStatus.Published));
    }

    function test_contribute_revertsAfterPublish() public {
        (CoFundingPool pool,) = _published(0.5 ether, 0.5 ether, 0);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICoFundingPool.InvalidPoolStatus.selector,
                ICoFundingPool.PoolStatus.Published,
                ICoFundingPool.PoolStatus.Funding
            )
        );
        pool.contribute{value: 0.1 ether}(0.1 ether);
    }

    function test_claim_revertsWhileFunding() public {
        CoFundingPool pool = _open(alice, 1 ether, 0.5 ether);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICoFundingPool.InvalidPoolStatus.selector,
                ICoFundingPool.PoolStatus.Funding,
                ICoFundingPool.PoolStatus.Published
            )
        );
        pool.claim(address(0));
    }

    // ---------------------------------------------------------------- refunds pro rata

    /// @dev Three funders of uneven shares; nobody applies, the task expires: each gets exactly
    ///      its contribution back.
    function test_expire_refundsEachFunderItsContribution() public {
        (CoFundingPool pool, uint256 id) = _published(0.5 ether + 1, 0.3 ether + 7, 0.2 ether + 5);
        vm.warp(START + 1 hours);
        market.expire(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Expired);
        assertEq(pool.claimableOf(bob, address(0)), 0.3 ether + 7, "view before the pull");
        assertEq(_claim(pool, carol, address(0)), 0.2 ether + 5, "carol");
        assertEq(_claim(pool, alice, address(0)), 0.5 ether + 1, "alice");
        assertEq(_claim(pool, bob, address(0)), 0.3 ether + 7, "bob");
        assertEq(address(pool).balance, 0, "nothing left behind");
        assertEq(market.claimable(address(0), address(pool)), 0);
    }

    function test_cancel_byLead_refundsProRata() public {
        (CoFundingPool pool, uint256 id) = _published(0.6 ether, 0.25 ether, 0.15 ether);
        _apply(id, 2); // applicants are released, nothing lost
        vm.prank(alice);
        pool.cancel();
        _assertStatus(id, ITaskMarket.TaskStatus.Cancelled);
        assertEq(_claim(pool, bob, address(0)), 0.25 ether, "bob");
        assertEq(_claim(pool, carol, address(0)), 0.15 ether, "carol");
        assertEq(_claim(pool, alice, address(0)), 0.6 ether, "alice");
    }

    function test_cancel_onlyTheLead() public {
        (CoFundingPool pool,) = _published(0.6 ether, 0.4 ether, 0);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.NotLead.selector, bob, alice));
        pool.cancel();
    }

    function test_cancel_notOnceApplicationsClosed() public {
        (CoFundingPool pool, uint256 id) = _published(0.6 ether, 0.4 ether, 0);
        vm.warp(START + 1 hours);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationClosed.selector, id, START + 1 hours));
        pool.cancel();
    }

    function test_fundingLapsed_everyFunderTakesItsContributionBack() public {
        CoFundingPool pool = _open(alice, 10 ether, 1 ether);
        _contribute(pool, bob, 2 ether);
        vm.warp(FUNDING_DEADLINE);
        assertEq(uint256(pool.status()), uint256(ICoFundingPool.PoolStatus.Refunding));
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.FundingDeadlinePassed.selector, FUNDING_DEADLINE));
        pool.publish();
        assertEq(_claim(pool, bob, address(0)), 2 ether, "bob");
        assertEq(_claim(pool, alice, address(0)), 1 ether, "alice");
        assertEq(address(pool).balance, 0);
    }

    function test_leadClosesFunding_everyFunderTakesItsContributionBack() public {
        CoFundingPool pool = _open(alice, 10 ether, 1 ether);
        _contribute(pool, carol, 3 ether);
        vm.prank(alice);
        pool.cancel();
        assertEq(uint256(pool.status()), uint256(ICoFundingPool.PoolStatus.Refunding));
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICoFundingPool.InvalidPoolStatus.selector,
                ICoFundingPool.PoolStatus.Refunding,
                ICoFundingPool.PoolStatus.Funding
            )
        );
        pool.contribute{value: 1 ether}(1 ether);
        assertEq(_claim(pool, carol, address(0)), 3 ether);
        assertEq(_claim(pool, alice, address(0)), 1 ether);
    }

    // ---------------------------------------------------------------- settlement

    /// @dev The task settles; the leftover (budget less the nodes' gross pay) comes back pro
    ///      rata: bob and carol their floor share, alice the rest, summing to the refund exactly.
    function test_settle_leftoverSharedProRata() public {
        uint256 a = 0.5 ether + 3;
        uint256 b = 0.3 ether + 1;
        uint256 c = 0.2 ether + 1;
        (CoFundingPool pool, uint256 id) = _published(a, b, c);
        _runAndSettle(id);
        _assertStatus(id, ITaskMarket.TaskStatus.Settled);
        uint256 refund = market.claimable(address(0), address(pool));
        assertTrue(refund != 0, "a leftover");
        uint256 total = a + b + c;
        uint256 toBob = Math.mulDiv(refund, b, total);
        uint256 toCarol = Math.mulDiv(refund, c, total);
        assertEq(_claim(pool, bob, address(0)), toBob, "bob");
        assertEq(_claim(pool, carol, address(0)), toCarol, "carol");
        assertEq(_claim(pool, alice, address(0)), refund - toBob - toCarol, "alice: the rest");
        assertEq(address(pool).balance, 0, "no dust");
        // the nodes were paid as for any requester
        uint256 gross = _gross(total, 3, COMPUTE_UNITS, 0, 5000, 5000);
        assertEq(market.claimable(address(0), nodes[0]), gross - gross * FEE_BPS / BPS, "node paid");
        assertEq(refund, total - 3 * gross, "refund");
    }

    function test_claim_twice_revertsAndPaysOnce() public {
        (CoFundingPool pool, uint256 id) = _published(0.5 ether, 0.5 ether, 0);
        vm.warp(START + 1 hours);
        market.expire(id);
        assertEq(_claim(pool, bob, address(0)), 0.5 ether);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.NothingToClaimInToken.selector, bob, address(0)));
        pool.claim(address(0));
        assertEq(pool.paidTo(bob, address(0)), 0.5 ether, "paid once");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.NothingToClaimInToken.selector, stranger, address(0)));
        pool.claim(address(0));
    }

    /// @dev USDC pool; tokens sent to the pool later (2 units, then 1) are shared too: with
    ///      three equal funders the floor shares are 0, so the lead takes the remainder and
    ///      nothing stays in the pool.
    function test_rounding_remainderToTheLead_noDustLeft() public {
        ICoFundingPool.Terms memory t = _terms();
        t.token = address(usdc);
        CoFundingPool pool = _openWith(t, alice, 3000e6, 1000e6);
        _contribute(pool, bob, 1000e6);
        _contribute(pool, carol, 1000e6);
        uint256 id = pool.publish();
        vm.prank(alice);
        pool.cancel();
        _assertStatus(id, ITaskMarket.TaskStatus.Cancelled);
        usdc.mint(address(pool), 2);
        assertEq(pool.claimableOf(alice, address(usdc)), 1000e6 + 2, "view: lead's remainder");
        assertEq(_claim(pool, bob, address(usdc)), 1000e6, "bob");
        usdc.mint(address(pool), 1);
        assertEq(_claim(pool, carol, address(usdc)), 1000e6, "carol");
        assertEq(_claim(pool, alice, address(usdc)), 1000e6 + 3, "alice: both remainders");
        assertEq(usdc.balanceOf(address(pool)), 0, "no dust");
    }

    function test_feeOnTransferToken_rejected() public {
        FeeOnTransferERC20 fot = new FeeOnTransferERC20();
        config.setTokenAllowed(address(fot), true); // governance allowed it by mistake
        fot.mint(alice, 1000e18);
        ICoFundingPool.Terms memory t = _terms();
        t.token = address(fot);
        vm.startPrank(alice);
        fot.approve(address(factory), 1000e18);
        vm.expectRevert(
            abi.encodeWithSelector(ICoFundingFactory.FeeOnTransferToken.selector, address(fot), 1000e18, 990e18)
        );
        factory.open(t, 1000e18, FUNDING_DEADLINE, 1000e18);
        vm.stopPrank();
    }

    /// @dev A token that turns a transfer fee on after the pool opened: the contribution is refused.
    function test_contribute_revertsWhenTheTokenStartsTakingAFee() public {
        SwitchableFeeERC20 token = new SwitchableFeeERC20();
        config.setTokenAllowed(address(token), true);
        token.mint(alice, 100e18);
        token.mint(bob, 100e18);
        ICoFundingPool.Terms memory t = _terms();
        t.token = address(token);
        vm.prank(alice);
        token.approve(address(factory), 10e18);
        CoFundingPool pool = _openWith(t, alice, 20e18, 10e18);
        token.setFee(true);
        vm.startPrank(bob);
        token.approve(address(pool), 10e18);
        vm.expectRevert(
            abi.encodeWithSelector(ICoFundingPool.FeeOnTransferToken.selector, address(token), 10e18, 9.9e18)
        );
        pool.contribute(10e18);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- the lead acts for the funders

    function test_reportQuality_leadOnly_andAnOracleOverrides() public {
        (CoFundingPool pool, uint256 id) = _published(0.5 ether, 0.5 ether, 0);
        _apply(id, 3);
        market.assign(id);
        _submitAll(id, _same(3, RESULT_A));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.NotLead.selector, bob, alice));
        pool.reportQuality(9000, true);
        vm.prank(alice);
        pool.reportQuality(9000, true);
        assertEq(market.getTask(id).qualityScore, 9000);
        assertEq(uint256(market.getTask(id).scoredBy), uint256(ITaskMarket.QualitySource.Requester));
        vm.prank(oracle);
        market.reportQuality(id, 6000, true);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NotScorer.selector, id, address(pool)));
        pool.reportQuality(10_000, true);
    }

    /// @dev Arbitration slashes the single trainer of a co-funded task: the requester's share of
    ///      the collateral (NNT) is credited to the pool, collected and shared pro rata.
    function test_arbitrationRequesterShare_sharedProRata() public {
        ICoFundingPool.Terms memory t = _terms();
        t.replication = 1;
        CoFundingPool pool = _openWith(t, alice, 1 ether, 0.75 ether);
        _contribute(pool, bob, 0.25 ether);
        uint256 id = pool.publish();
        _apply(id, 1);
        market.assign(id);
        _submit(id, nodes[0], RESULT_A);
        _decide(_challenge(id, nodes[0]), true);
        uint256 share = uint256(COLLATERAL) * REQUESTER_BPS / BPS;
        assertEq(arbitration.claimable(address(pool)), share, "credited to the pool");
        pool.collectArbitration();
        vm.prank(bob);
        pool.claim(address(nnt));
        assertEq(nnt.balanceOf(bob), share / 4, "bob: a quarter");
        vm.prank(alice);
        pool.claim(address(nnt));
        assertEq(nnt.balanceOf(alice), share - share / 4, "alice: the rest");
    }

    /// @dev The lead turns on spot-checking and pays the fee; the task is cancelled, the unused
    ///      fee comes back to the lead alone, the budget to everyone pro rata.
    function test_spotCheck_leadPaysTheFee_andAloneGetsItBackUnused() public {
        ICoFundingPool.Terms memory t = _terms();
        t.replication = 1;
        CoFundingPool pool = _openWith(t, alice, 1 ether, 0.6 ether);
        _contribute(pool, bob, 0.4 ether);
        uint256 id = pool.publish();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ICoFundingPool.NotLead.selector, bob, alice));
        pool.enableSpotCheck{value: 0.01 ether}(2, 1000);
        vm.prank(alice);
        pool.enableSpotCheck{value: 0.01 ether}(2, 1000);
        assertEq(spotCheck.getCheck(id).fee, 0.01 ether, "fee escrowed");
        vm.prank(alice);
        pool.cancel();
        spotCheck.refundFee(id);
        assertEq(spotCheck.claimable(address(pool)), 0.01 ether, "credited to the requester: the pool");
        pool.collectSpotCheckFee();
        assertEq(_claim(pool, bob, address(0)), 0.4 ether, "bob: his contribution, no part of the fee");
        assertEq(_claim(pool, alice, address(0)), 0.6 ether + 0.01 ether, "alice: hers and her fee");
        assertEq(address(pool).balance, 0);
    }

    function test_supportsInterface() public {
        CoFundingPool pool = _open(alice, 1 ether, 1 ether);
        assertTrue(pool.supportsInterface(type(ICoFundingPool).interfaceId), "pool");
        assertTrue(pool.supportsInterface(type(IVersioned).interfaceId), "pool versioned");
        assertTrue(pool.supportsInterface(type(IERC165).interfaceId), "pool 165");
        assertTrue(factory.supportsInterface(type(ICoFundingFactory).interfaceId), "factory");
        assertTrue(factory.supportsInterface(type(IVersioned).interfaceId), "factory versioned");
        assertEq(keccak256(bytes(pool.version())), keccak256("1.1.0"));
    }

    // ---------------------------------------------------------------- fuzzed shares

    /// @dev Up to 8 funders of random sizes; the task is cancelled: each gets exactly its
    ///      contribution back, whatever the order of claims.
    function testFuzz_cancel_eachFunderGetsItsContribution(uint256[8] memory amounts, uint8 count) public {
        uint256 n = bound(count, 1, 8);
        uint256[] memory c = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            c[i] = bound(amounts[i], i == 0 ? 64 : 1, 50 ether);
            total += c[i];
        }
        address[] memory who = _people(n);
        vm.deal(who[0], 100 ether);
        CoFundingPool pool = _open(who[0], 64, c[0]); // a 64-wei target: any seat may join
        for (uint256 i = 1; i < n; ++i) {
            vm.deal(who[i], c[i]);
            _contribute(pool, who[i], c[i]);
        }
        pool.publish();
        vm.prank(who[0]);
        pool.cancel();
        for (uint256 k; k < n; ++k) {
            uint256 i = (k + uint256(count)) % n; // claims in a rotated order
            assertEq(_claim(pool, who[i], address(0)), c[i], "its contribution");
        }
        assertEq(address(pool).balance, 0, "no dust");
        assertEq(pool.totalContributed(), total);
    }

    /// @dev Random shares of three funders; the settled task's leftover is paid out exactly:
    ///      non-leads their floor share, the lead the rest (less than a wei per funder above its own).
    function testFuzz_settle_leftoverPaidExactly(uint96 a, uint96 b, uint96 c) public {
        uint256 ca = bound(a, 0.01 ether, 10 ether);
        uint256 cb = bound(b, 0.01 ether, 10 ether);
        uint256 cc = bound(c, 0.01 ether, 10 ether);
        vm.deal(alice, 100 ether);
        CoFundingPool pool = _open(alice, 64, ca);
        _contribute(pool, bob, cb);
        _contribute(pool, carol, cc);
        uint256 id = pool.publish();
        _runAndSettle(id);
        uint256 refund = market.claimable(address(0), address(pool));
        uint256 total = ca + cb + cc;
        uint256 gotB = _claim(pool, bob, address(0));
        uint256 gotC = _claim(pool, carol, address(0));
        uint256 gotA = _claim(pool, alice, address(0));
        assertEq(gotA + gotB + gotC, refund, "sum");
        assertEq(gotB, Math.mulDiv(refund, cb, total), "bob");
        assertEq(gotC, Math.mulDiv(refund, cc, total), "carol");
        assertLe(gotA, Math.mulDiv(refund, ca, total) + 2, "alice: at most the remainder over its share");
        assertLe(gotB, cb, "never more than put in");
    }

    function _people(uint256 n) internal returns (address[] memory who) {
        who = new address[](n);
        for (uint256 i; i < n; ++i) {
            who[i] = makeAddr(string.concat("funder", Strings.toString(i)));
        }
    }
}
