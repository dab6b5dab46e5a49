// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "./Base.sol";
import {NNToken} from "../src/NNToken.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";

/// @notice Properties of the registry's value-moving functions over fuzzed amounts. The test
///         contract plays the market. The supply exceeds uint96 so the bound is reachable.
contract NodeRegistryFuzzTest is Base {
    uint256 internal constant MAX96 = type(uint96).max;
    uint64 internal constant START = 1_700_000_000;

    NNToken internal nnt;
    NodeRegistry internal registry;
    address internal node;
    address internal recipient;

    function setUp() public {
        vm.warp(START);
        node = makeAddr("node");
        recipient = makeAddr("recipient");
        nnt = new NNToken(node, 4 * MAX96);
        registry = new NodeRegistry(nnt, 0, 7 days, address(this));
        registry.bindMarket(address(this));
        vm.startPrank(node);
        nnt.approve(address(registry), type(uint256).max);
        registry.register(keccak256("profile"), 1);
        vm.stopPrank();
    }

    function testFuzz_stake_accumulatesUpToUint96(uint256 first, uint256 second) public {
        first = bound(first, 1, MAX96);
        second = bound(second, 1, 2 * MAX96);
        vm.prank(node);
        registry.stake(first);
        if (first + second > MAX96) {
            vm.expectRevert(abi.encodeWithSelector(INodeRegistry.AmountTooLarge.selector, first + second));
            vm.prank(node);
            registry.stake(second);
            second = 0;
        } else {
            vm.prank(node);
            registry.stake(second);
        }
        assertEq(uint256(registry.getNode(node).staked), first + second);
        assertEq(nnt.balanceOf(address(registry)), first + second);
        assertEq(nnt.balanceOf(node), 4 * MAX96 - first - second);
    }

    function testFuzz_requestUnbondAndWithdraw_returnExactlyTheUnbonded(
        uint256 staked,
        uint256 locked,
        uint256 unbond,
        uint64 delay,
        uint64 wait
    ) public {
        staked = bound(staked, 1, MAX96);
        locked = bound(locked, 0, staked);
        unbond = bound(unbond, 1, MAX96);
        delay = uint64(bound(delay, 0, 365 days));
        registry.setUnbondingDelay(delay);
        vm.prank(node);
        registry.stake(staked);
        if (locked != 0) registry.lockCollateral(node, 1, locked);

        uint256 free = staked - locked;
        if (unbond > free) {
            vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientFreeStake.selector, node, free, unbond));
            vm.prank(node);
            registry.requestUnbond(unbond);
            return;
        }
        vm.prank(node);
        registry.requestUnbond(unbond);
        assertEq(registry.freeStake(node), free - unbond);
        assertEq(uint256(registry.getNode(node).staked) + registry.getNode(node).unbonding, staked);
        assertEq(nnt.balanceOf(address(registry)), staked);

        wait = uint64(bound(wait, 0, 2 * uint256(delay) + 1));
        vm.warp(START + wait);
        if (wait < delay) {
            vm.expectRevert(
                abi.encodeWithSelector(INodeRegistry.UnbondingNotReady.selector, node, START + delay, START + wait)
            );
            vm.prank(node);
            registry.withdraw();
            return;
        }
        uint256 before = nnt.balanceOf(node);
        vm.prank(node);
        registry.withdraw();
        assertEq(nnt.balanceOf(node), before + unbond);
        assertEq(nnt.balanceOf(address(registry)), staked - unbond);
        assertEq(uint256(registry.getNode(node).locked), locked, "collateral untouched");
    }

    function testFuzz_slashCollateral_conservesTokens(uint256 staked, uint256 locked, uint256 slash) public {
        staked = bound(staked, 1, MAX96);
        locked = bound(locked, 1, staked);
        slash = bound(slash, 1, MAX96);
        vm.prank(node);
        registry.stake(staked);
        registry.lockCollateral(node, 1, locked);

        if (slash > locked) {
            vm.expectRevert(abi.encodeWithSelector(INodeRegistry.InsufficientLocked.selector, node, locked, slash));
            registry.slashCollateral(node, 1, slash, recipient);
            return;
        }
        registry.slashCollateral(node, 1, slash, recipient);
        INodeRegistry.Node memory n = registry.getNode(node);
        assertEq(uint256(n.staked), staked - slash);
        assertEq(uint256(n.locked), locked - slash);
        assertEq(registry.claimable(recipient), slash);
        assertEq(nnt.balanceOf(address(registry)), uint256(n.staked) + registry.claimable(recipient));

        vm.prank(recipient);
        registry.claim();
        assertEq(nnt.balanceOf(recipient), slash);
        assertEq(nnt.balanceOf(address(registry)), staked - slash);
    }

    function testFuzz_claim_paysAccumulatedSlashesOnce(uint96 a, uint96 b) public {
        uint256 total = uint256(a) + b;
        vm.assume(a != 0 && b != 0 && total <= MAX96);
        vm.prank(node);
        registry.stake(total);
        registry.lockCollateral(node, 1, total);
        registry.slashCollateral(node, 1, a, recipient);
        registry.slashCollateral(node, 2, b, recipient);
        vm.prank(recipient);
        registry.claim();
        assertEq(nnt.balanceOf(recipient), total);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NothingToClaim.selector, recipient));
        vm.prank(recipient);
        registry.claim();
    }
}
