// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "../src/interfaces/IBoundRoles.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Base} from "./Base.sol";
import {NNToken} from "../src/NNToken.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";

/// @notice Unit tests of the registry; the test contract plays the market (holds MARKET_ROLE).
contract NodeRegistryTest is Base {
    uint256 internal constant MIN_STAKE = 100e18;
    uint64 internal constant DELAY = 7 days;
    bytes32 internal constant PROFILE = keccak256("profile");
    uint64 internal constant START = 1_700_000_000;

    NNToken internal nnt;
    NodeRegistry internal registry;
    address internal node;
    address internal other;
    address internal recipient;

    function setUp() public virtual {
        vm.warp(START);
        node = makeAddr("node");
        other = makeAddr("other");
        recipient = makeAddr("recipient");
        nnt = new NNToken(address(this), 1_000_000_000e18);
        registry = new NodeRegistry(nnt, MIN_STAKE, DELAY, address(this));
        registry.bindMarket(address(this));
        assertTrue(nnt.transfer(node, 10_000e18));
        vm.prank(node);
        nnt.approve(address(registry), type(uint256).max);
    }

    // ================================================================ constructor and governance

    function test_constructor_setsParameters() public view {
        assertEq(address(registry.nnt()), address(nnt));
        assertEq(uint256(registry.minStake()), MIN_STAKE);
        assertEq(uint256(registry.unbondingDelay()), DELAY);
        assertTrue(registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(registry.MARKET_ROLE(), keccak256("MARKET_ROLE"));
    }

    function test_bindMarket_once_grantsTheMarketRoleAndEmits() public {
        NodeRegistry fresh = new NodeRegistry(nnt, MIN_STAKE, DELAY, address(this));
        address market = makeAddr("market");
        vm.expectEmit(true, true, true, true, address(fresh));
        emit INodeRegistry.MarketBound(market);
        fresh.bindMarket(market);
        assertEq(fresh.market(), market);
        assertTrue(fresh.hasRole(fresh.MARKET_ROLE(), market));
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.RoleAlreadyBound.selector, registry.MARKET_ROLE()));
        fresh.bindMarket(other);
        assertFalse(fresh.hasRole(fresh.MARKET_ROLE(), other));
    }

    function test_bindMarket_revertsForZero_orAStranger() public {
        NodeRegistry fresh = new NodeRegistry(nnt, MIN_STAKE, DELAY, address(this));
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.ZeroAddress.selector));
        fresh.bindMarket(address(0));
        bytes32 admin = fresh.DEFAULT_ADMIN_ROLE();
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, other, admin));
        fresh.bindMarket(other);
        assertEq(fresh.market(), address(0), "still unbound");
    }

    /// @dev The admin (governance) can neither hand the market role to anyone else nor take it
    ///      from the bound market; other roles stay grantable.
    function test_marketRole_neverGrantedNorRevokedByTheAdmin() public {
        bytes32 role = registry.MARKET_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role));
        registry.grantRole(role, other);
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role));
        registry.revokeRole(role, address(this));
        assertFalse(registry.hasRole(role, other));
        assertTrue(registry.hasRole(role, address(this)));
        registry.grantRole(registry.ORACLE_ROLE(), other);
        assertTrue(registry.hasRole(registry.ORACLE_ROLE(), other));
        registry.revokeRole(registry.ORACLE_ROLE(), other);
        assertFalse(registry.hasRole(registry.ORACLE_ROLE(), other));
    }

    function test_constructor_revertsWhenMinStakeTooLarge() public {
        uint256 tooLarge = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.AmountTooLarge.selector, tooLarge));
        new NodeRegistry(nnt, tooLarge, DELAY, address(this));
    }

    function test_setMinStake_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.MinStakeSet(5e18);
        registry.setMinStake(5e18);
        assertEq(uint256(registry.minStake()), 5e18);
    }

    function test_setMinStake_revertsWhenTooLarge() public {
        uint256 tooLarge = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.AmountTooLarge.selector, tooLarge));
        registry.setMinStake(tooLarge);
    }

    function test_setMinStake_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, node, bytes32(0))
        );
        vm.prank(node);
        registry.setMinStake(0);
    }

    function test_setUnbondingDelay_setsAndEmits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.UnbondingDelaySet(1 days);
        registry.setUnbondingDelay(1 days);
        assertEq(uint256(registry.unbondingDelay()), 1 days);
    }

    function test_setUnbondingDelay_revertsForNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, node, bytes32(0))
        );
        vm.prank(node);
        registry.setUnbondingDelay(0);
    }

    // ================================================================ register / updateProfile

    function test_register_storesProfileAndEmits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.NodeRegistered(node, PROFILE, 3);
        vm.prank(node);
        registry.register(PROFILE, 3);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(n.profileDigest, PROFILE);
        assertEq(uint256(n.registeredAt), START);
        assertEq(uint256(n.hardwareClass), 3);
        assertEq(uint256(n.staked), 0);
    }

    function test_register_revertsWhenAlreadyRegistered() public {
        vm.startPrank(node);
        registry.register(PROFILE, 3);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.AlreadyRegistered.selector, node));
        registry.register(PROFILE, 3);
        vm.stopPrank();
    }

    function test_register_revertsWithEmptyProfile() public {
        vm.expectRevert(INodeRegistry.EmptyProfile.selector);
        vm.prank(node);
        registry.register(bytes32(0), 3);
    }

    function test_updateProfile_replacesProfileAndEmits() public {
        vm.startPrank(node);
        registry.register(PROFILE, 3);
        bytes32 updated = keccak256("new profile");
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.ProfileUpdated(node, updated, 5);
        registry.updateProfile(updated, 5);
        vm.stopPrank();
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(n.profileDigest, updated);
        assertEq(uint256(n.hardwareClass), 5);
        assertEq(uint256(n.registeredAt), START);
    }

    function test_updateProfile_revertsWhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, node));
        vm.prank(node);
        registry.updateProfile(PROFILE, 1);
    }

    function test_updateProfile_revertsWithEmptyProfile() public {
        vm.startPrank(node);
        registry.register(PROFILE, 3);
        vm.expectRevert(INodeRegistry.EmptyProfile.selector);
        registry.updateProfile(bytes32(0), 3);
        vm.stopPrank();
    }

    // ================================================================ stake

    function test_stake_pullsTokensAndEmits() public {
        _register(node);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.Staked(node, 300e18, 300e18);
        vm.prank(node);
        registry.stake(300e18);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.Staked(node, 200e18, 500e18);
        vm.prank(node);
        registry.stake(200e18);
        assertEq(uint256(registry.getNode(node).staked), 500e18);
        assertEq(registry.freeStake(node), 500e18);
        assertEq(nnt.balanceOf(address(registry)), 500e18);
        assertEq(nnt.balanceOf(node), 9_500e18);
    }

    function test_stake_revertsWhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, node));
        vm.prank(node);
        registry.stake(1e18);
    }

    function test_stake_revertsWithZeroAmount() public {
        _register(node);
        vm.expectRevert(INodeRegistry.ZeroAmount.selector);
        vm.prank(node);
        registry.stake(0);
    }

    function test_stake_revertsWhenAmountTooLarge() public {
        _register(node);
        uint256 tooLarge = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.AmountTooLarge.selector, tooLarge));
        vm.prank(node);
        registry.stake(tooLarge);
    }

    // ================================================================ unbonding

    function test_requestUnbond_movesFreeStakeToUnbonding() public {
        _registerAndStake(node, 500e18);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.UnbondRequested(node, 200e18, 200e18, START + DELAY);
        vm.prank(node);
        registry.requestUnbond(200e18);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(uint256(n.staked), 300e18);
        assertEq(uint256(n.unbonding), 200e18);
        assertEq(uint256(n.unbondReadyAt), START + DELAY);
        assertEq(registry.freeStake(node), 300e18);
    }

    function test_requestUnbond_restartsTimerWhenAdding() public {
        _registerAndStake(node, 500e18);
        vm.prank(node);
        registry.requestUnbond(100e18);
        vm.warp(START + 3 days);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.UnbondRequested(node, 50e18, 150e18, START + 3 days + DELAY);
        vm.prank(node);
        registry.requestUnbond(50e18);
        vm.warp(START + DELAY); // the first request alone would be ready now
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeRegistry.UnbondingNotReady.selector, node, START + 3 days + DELAY, START + DELAY
            )
        );
        vm.prank(node);
        registry.withdraw();
    }

    function test_requestUnbond_revertsWhenExceedingFreeStake() public {
        _registerAndStake(node, 500e18);
        registry.lockCollateral(node, 1, 400e18);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientFreeStake.selector, node, 100e18, 101e18));
        vm.prank(node);
        registry.requestUnbond(101e18);
    }

    function test_requestUnbond_revertsWithZeroAmount() public {
        _registerAndStake(node, 500e18);
        vm.expectRevert(INodeRegistry.ZeroAmount.selector);
        vm.prank(node);
        registry.requestUnbond(0);
    }

    function test_withdraw_paysAllUnbondingOnceReady() public {
        _registerAndStake(node, 500e18);
        vm.prank(node);
        registry.requestUnbond(200e18);
        vm.warp(START + DELAY);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.Withdrawn(node, 200e18);
        vm.prank(node);
        registry.withdraw();
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(uint256(n.unbonding), 0);
        assertEq(uint256(n.unbondReadyAt), 0);
        assertEq(uint256(n.staked), 300e18);
        assertEq(nnt.balanceOf(node), 9_700e18);
    }

    function test_withdraw_revertsBeforeReady() public {
        _registerAndStake(node, 500e18);
        vm.prank(node);
        registry.requestUnbond(200e18);
        vm.warp(START + DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(INodeRegistry.UnbondingNotReady.selector, node, START + DELAY, START + DELAY - 1)
        );
        vm.prank(node);
        registry.withdraw();
    }

    function test_withdraw_revertsWhenNothingUnbonding() public {
        _registerAndStake(node, 500e18);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NothingToWithdraw.selector, node));
        vm.prank(node);
        registry.withdraw();
    }

    // ================================================================ collateral

    function test_lockCollateral_reducesFreeStake() public {
        _registerAndStake(node, 500e18);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralLocked(node, 7, 150e18);
        registry.lockCollateral(node, 7, 150e18);
        assertEq(uint256(registry.getNode(node).locked), 150e18);
        assertEq(registry.freeStake(node), 350e18);
    }

    function test_lockCollateral_revertsWhenExceedingFreeStake() public {
        _registerAndStake(node, 500e18);
        registry.lockCollateral(node, 1, 400e18);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientFreeStake.selector, node, 100e18, 200e18));
        registry.lockCollateral(node, 2, 200e18);
    }

    function test_lockCollateral_revertsWithZeroAmount() public {
        _registerAndStake(node, 500e18);
        vm.expectRevert(INodeRegistry.ZeroAmount.selector);
        registry.lockCollateral(node, 1, 0);
    }

    function test_lockCollateral_revertsForNonMarket() public {
        _expectNotMarket(other);
        vm.prank(other);
        registry.lockCollateral(node, 1, 1);
    }

    function test_releaseCollateral_restoresFreeStake() public {
        _registerAndStake(node, 500e18);
        registry.lockCollateral(node, 7, 150e18);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralReleased(node, 7, 150e18);
        registry.releaseCollateral(node, 7, 150e18);
        assertEq(registry.freeStake(node), 500e18);
    }

    function test_releaseCollateral_revertsWhenExceedingLocked() public {
        _registerAndStake(node, 500e18);
        registry.lockCollateral(node, 7, 150e18);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientLocked.selector, node, 150e18, 151e18));
        registry.releaseCollateral(node, 7, 151e18);
    }

    function test_releaseCollateral_revertsForNonMarket() public {
        _expectNotMarket(other);
        vm.prank(other);
        registry.releaseCollateral(node, 1, 1);
    }

    function test_slashCollateral_takesStakeAndCreditsRecipient() public {
        _registerAndStake(node, 500e18);
        registry.lockCollateral(node, 7, 150e18);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.CollateralSlashed(node, 7, 100e18, recipient);
        registry.slashCollateral(node, 7, 100e18, recipient);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(uint256(n.staked), 400e18);
        assertEq(uint256(n.locked), 50e18);
        assertEq(registry.freeStake(node), 350e18);
        assertEq(registry.claimable(recipient), 100e18);

        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.Claimed(recipient, address(nnt), 100e18);
        vm.prank(recipient);
        registry.claim();
        assertEq(nnt.balanceOf(recipient), 100e18);
        assertEq(registry.claimable(recipient), 0);
        assertEq(nnt.balanceOf(address(registry)), 400e18);
    }

    function test_slashCollateral_revertsWhenExceedingLocked() public {
        _registerAndStake(node, 500e18);
        registry.lockCollateral(node, 7, 150e18);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientLocked.selector, node, 150e18, 200e18));
        registry.slashCollateral(node, 7, 200e18, recipient);
    }

    function test_slashCollateral_revertsForNonMarket() public {
        _expectNotMarket(other);
        vm.prank(other);
        registry.slashCollateral(node, 1, 1, other);
    }

    function test_claim_revertsWhenNothingToClaim() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NothingToClaim.selector, recipient));
        vm.prank(recipient);
        registry.claim();
    }

    // ================================================================ eligibility

    function test_isEligible_checksEveryCondition() public {
        assertFalse(registry.isEligible(node, 0, 0)); // not registered
        _register(node); // class 3
        assertFalse(registry.isEligible(node, 0, 0)); // below the minimum stake
        vm.prank(node);
        registry.stake(MIN_STAKE);
        assertTrue(registry.isEligible(node, MIN_STAKE, 3));
        assertFalse(registry.isEligible(node, MIN_STAKE, 4)); // hardware class too low
        assertFalse(registry.isEligible(node, MIN_STAKE + 1, 3)); // not enough free stake
        registry.lockCollateral(node, 1, 1);
        assertFalse(registry.isEligible(node, MIN_STAKE, 3)); // locked stake is not free
        assertTrue(registry.isEligible(node, MIN_STAKE - 1, 3));
        registry.setMinStake(MIN_STAKE + 1);
        assertFalse(registry.isEligible(node, 0, 0)); // the minimum moved up
    }

    // ================================================================ price, key, benchmark

    function test_setPrice_storesPerTokenAndEmits() public {
        _register(node);
        address usdc = makeAddr("usdc");
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.PriceSet(node, usdc, 5e6);
        vm.prank(node);
        registry.setPrice(usdc, 5e6);
        vm.prank(node);
        registry.setPrice(address(0), 1e12);
        assertEq(registry.priceOf(node, usdc), 5e6);
        assertEq(registry.priceOf(node, address(0)), 1e12);
        assertEq(registry.priceOf(other, usdc), 0, "unset: any price");
        vm.prank(node);
        registry.setPrice(usdc, 0);
        assertEq(registry.priceOf(node, usdc), 0);
    }

    function test_setPrice_revertsWhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, node));
        vm.prank(node);
        registry.setPrice(address(0), 1);
    }

    function test_setEncryptionKey_storesAndEmits() public {
        _register(node);
        bytes32 key = keccak256("x25519 public key");
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.EncryptionKeySet(node, key);
        vm.prank(node);
        registry.setEncryptionKey(key);
        assertEq(registry.getNode(node).encryptionKey, key);
    }

    function test_setEncryptionKey_revertsWhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, node));
        vm.prank(node);
        registry.setEncryptionKey(bytes32(uint256(1)));
    }

    function test_attestBenchmark_recordsScoreForCurrentProfile() public {
        _register(node);
        registry.grantRole(registry.ORACLE_ROLE(), other);
        vm.warp(START + 5);
        vm.expectEmit(true, true, true, true, address(registry));
        emit INodeRegistry.BenchmarkAttested(node, other, 123_456, PROFILE);
        vm.prank(other);
        registry.attestBenchmark(node, PROFILE, 123_456);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(uint256(n.benchmarkScore), 123_456);
        assertEq(uint256(n.benchmarkAttestedAt), START + 5);
        assertEq(registry.ORACLE_ROLE(), keccak256("ORACLE_ROLE"));
    }

    function test_attestBenchmark_revertsForStaleProfile() public {
        _register(node);
        registry.grantRole(registry.ORACLE_ROLE(), address(this));
        bytes32 stale = keccak256("old profile");
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.ProfileMismatch.selector, node, stale, PROFILE));
        registry.attestBenchmark(node, stale, 1);
    }

    function test_attestBenchmark_revertsWhenNotRegistered() public {
        registry.grantRole(registry.ORACLE_ROLE(), address(this));
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, node));
        registry.attestBenchmark(node, PROFILE, 1);
    }

    function test_attestBenchmark_revertsForNonOracle() public {
        _register(node);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), registry.ORACLE_ROLE()
            )
        );
        registry.attestBenchmark(node, PROFILE, 1);
    }

    function test_updateProfile_clearsTheBenchmark() public {
        _register(node);
        registry.grantRole(registry.ORACLE_ROLE(), address(this));
        registry.attestBenchmark(node, PROFILE, 99);
        bytes32 updated = keccak256("new profile");
        vm.prank(node);
        registry.updateProfile(updated, 4);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(uint256(n.benchmarkScore), 0);
        assertEq(uint256(n.benchmarkAttestedAt), 0);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.ProfileMismatch.selector, node, PROFILE, updated));
        registry.attestBenchmark(node, PROFILE, 99);
        registry.attestBenchmark(node, updated, 100);
        assertEq(uint256(registry.getNode(node).benchmarkScore), 100);
    }

    // ================================================================ helpers

    function _register(address account) internal {
        vm.prank(account);
        registry.register(PROFILE, 3);
    }

    function _registerAndStake(address account, uint256 amount) internal {
        _register(account);
        vm.prank(account);
        registry.stake(amount);
    }

    function _expectNotMarket(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, registry.MARKET_ROLE()
            )
        );
    }
}
