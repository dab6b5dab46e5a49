// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "../src/interfaces/IBoundRoles.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Base} from "./Base.sol";
import {NNToken} from "../src/NNToken.sol";
import {RewardsPool} from "../src/RewardsPool.sol";
import {IRewardsPool} from "../src/interfaces/IRewardsPool.sol";

/// @notice Unit tests of the rewards pool; the test contract is admin, funder and rewarder.
contract RewardsPoolTest is Base {
    NNToken internal nnt;
    RewardsPool internal pool;
    address internal node;
    address internal other;
    address internal stranger;

    function setUp() public {
        node = makeAddr("node");
        other = makeAddr("other");
        stranger = makeAddr("stranger");
        nnt = new NNToken(address(this), 1_000_000e18);
        pool = new RewardsPool(nnt, address(this));
        pool.bindRewarder(address(this));
        nnt.approve(address(pool), type(uint256).max);
    }

    function test_constructor_setsTokenAndRoles() public view {
        assertEq(address(pool.nnt()), address(nnt));
        assertTrue(pool.hasRole(pool.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(pool.REWARDER_ROLE(), keccak256("REWARDER_ROLE"));
        assertEq(pool.available(), 0);
    }

    function test_bindRewarder_once_grantsTheRoleAndEmits() public {
        RewardsPool fresh = new RewardsPool(nnt, address(this));
        vm.expectEmit(true, true, true, true, address(fresh));
        emit IRewardsPool.RewarderBound(other);
        fresh.bindRewarder(other);
        assertEq(fresh.rewarder(), other);
        assertTrue(fresh.hasRole(fresh.REWARDER_ROLE(), other));
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.RoleAlreadyBound.selector, pool.REWARDER_ROLE()));
        fresh.bindRewarder(stranger);
        RewardsPool unbound = new RewardsPool(nnt, address(this));
        vm.expectRevert(abi.encodeWithSelector(IRewardsPool.ZeroAddress.selector));
        unbound.bindRewarder(address(0));
    }

    /// @dev The admin (governance) can neither hand the rewarder role to anyone else nor take it.
    function test_rewarderRole_neverGrantedNorRevokedByTheAdmin() public {
        bytes32 role = pool.REWARDER_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role));
        pool.grantRole(role, stranger);
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role));
        pool.revokeRole(role, address(this));
        assertFalse(pool.hasRole(role, stranger));
        assertTrue(pool.hasRole(role, address(this)));
    }

    function test_fund_pullsTokensAndEmits() public {
        vm.expectEmit(true, true, true, true, address(pool));
        emit IRewardsPool.Funded(address(this), 100e18);
        pool.fund(100e18);
        assertEq(nnt.balanceOf(address(pool)), 100e18);
        assertEq(pool.available(), 100e18);
    }

    function test_fund_revertsWithZeroAmount() public {
        vm.expectRevert(IRewardsPool.ZeroAmount.selector);
        pool.fund(0);
    }

    function test_fund_revertsWithoutAllowance() public {
        vm.expectRevert();
        vm.prank(stranger);
        pool.fund(1);
    }

    function test_available_countsTokensSentDirectly() public {
        assertTrue(nnt.transfer(address(pool), 5e18));
        assertEq(pool.available(), 5e18);
    }

    function test_grant_creditsAndEmits() public {
        pool.fund(100e18);
        vm.expectEmit(true, true, true, true, address(pool));
        emit IRewardsPool.Granted(node, 9, 30e18, 30e18);
        assertEq(pool.grant(node, 9, 30e18), 30e18);
        assertEq(pool.claimable(node), 30e18);
        assertEq(pool.totalClaimable(), 30e18);
        assertEq(pool.available(), 70e18);
    }

    function test_grant_givesWhatIsLeft() public {
        pool.fund(10e18);
        assertEq(pool.grant(node, 1, 8e18), 8e18);
        vm.expectEmit(true, true, true, true, address(pool));
        emit IRewardsPool.Granted(other, 2, 8e18, 2e18);
        assertEq(pool.grant(other, 2, 8e18), 2e18);
        assertEq(pool.grant(other, 3, 1), 0, "an empty pool grants nothing, without reverting");
        assertEq(pool.claimable(other), 2e18);
        assertEq(pool.available(), 0);
        assertEq(nnt.balanceOf(address(pool)), pool.available() + pool.claimable(node) + pool.claimable(other));
    }

    function test_grant_revertsForNonRewarder() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, pool.REWARDER_ROLE()
            )
        );
        vm.prank(stranger);
        pool.grant(stranger, 1, 1);
    }

    function test_claim_paysOnceAndEmits() public {
        pool.fund(10e18);
        pool.grant(node, 1, 4e18);
        pool.grant(node, 2, 1e18);
        vm.expectEmit(true, true, true, true, address(pool));
        emit IRewardsPool.Claimed(node, address(nnt), 5e18);
        vm.prank(node);
        pool.claim();
        assertEq(nnt.balanceOf(node), 5e18);
        assertEq(pool.claimable(node), 0);
        assertEq(pool.totalClaimable(), 0);
        assertEq(pool.available(), 5e18, "claims do not touch what is available");
        vm.expectRevert(abi.encodeWithSelector(IRewardsPool.NothingToClaim.selector, node));
        vm.prank(node);
        pool.claim();
    }

    function test_claim_revertsWhenNothingToClaim() public {
        vm.expectRevert(abi.encodeWithSelector(IRewardsPool.NothingToClaim.selector, stranger));
        vm.prank(stranger);
        pool.claim();
    }

    function testFuzz_grantAndClaim_keepBalanceEqualToAvailablePlusOwed(
        uint96 funded,
        uint96[6] memory grants,
        bool[6] memory claims
    ) public {
        funded = uint96(bound(funded, 0, 1_000_000e18));
        if (funded != 0) pool.fund(funded);
        address[2] memory who = [node, other];
        uint256 granted;
        for (uint256 i; i < grants.length; ++i) {
            uint256 before = pool.available();
            uint256 got = pool.grant(who[i % 2], i, grants[i]);
            assertEq(got, grants[i] < before ? grants[i] : before);
            granted += got;
            if (claims[i] && pool.claimable(who[i % 2]) != 0) {
                vm.prank(who[i % 2]);
                pool.claim();
            }
            assertEq(nnt.balanceOf(address(pool)), pool.available() + pool.claimable(node) + pool.claimable(other));
        }
        assertLe(granted, funded, "never grants more than funded");
    }
}
