// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Base} from "./Base.sol";
import {NNToken} from "../src/NNToken.sol";

contract NNTokenTest is Base {
    uint256 internal constant SUPPLY = 1_000_000_000e18;
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    NNToken internal nnt;
    address internal holder;
    address internal alice;
    address internal bob;

    function setUp() public {
        holder = makeAddr("holder");
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        nnt = new NNToken(holder, SUPPLY);
    }

    function test_constructor_mintsSupplyToInitialHolder() public view {
        assertEq(nnt.name(), "NNC Token");
        assertEq(nnt.symbol(), "NNT");
        assertEq(uint256(nnt.decimals()), 18);
        assertEq(nnt.totalSupply(), SUPPLY);
        assertEq(nnt.balanceOf(holder), SUPPLY);
    }

    function test_delegate_givesVotesToDelegatee() public {
        assertEq(nnt.getVotes(holder), 0, "no votes before delegating");
        vm.prank(holder);
        nnt.delegate(alice);
        assertEq(nnt.delegates(holder), alice);
        assertEq(nnt.getVotes(alice), SUPPLY);
        vm.roll(block.number + 1);
        assertEq(nnt.getPastVotes(alice, block.number - 1), SUPPLY);
        assertEq(nnt.getPastTotalSupply(block.number - 1), SUPPLY);
    }

    function test_transfer_movesVotesBetweenDelegates() public {
        vm.prank(holder);
        nnt.delegate(holder);
        vm.prank(bob);
        nnt.delegate(bob);
        vm.prank(holder);
        assertTrue(nnt.transfer(bob, 1_000e18));
        assertEq(nnt.getVotes(holder), SUPPLY - 1_000e18);
        assertEq(nnt.getVotes(bob), 1_000e18);
    }

    function test_permit_setsAllowanceAndIncrementsNonce() public {
        uint256 key = uint256(keccak256("owner key"));
        address owner = vm.addr(key);
        vm.prank(holder);
        assertTrue(nnt.transfer(owner, 10e18));
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(owner, bob, 5e18, 0, deadline));

        nnt.permit(owner, bob, 5e18, deadline, v, r, s);
        assertEq(nnt.allowance(owner, bob), 5e18);
        assertEq(nnt.nonces(owner), 1);

        vm.expectRevert(); // the same signature cannot be replayed: the nonce moved on
        nnt.permit(owner, bob, 5e18, deadline, v, r, s);
    }

    function test_permit_revertsWhenExpired() public {
        uint256 key = uint256(keccak256("owner key"));
        address owner = vm.addr(key);
        uint256 deadline = block.timestamp + 1;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(owner, bob, 1, 0, deadline));
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        nnt.permit(owner, bob, 1, deadline, v, r, s);
    }

    function testFuzz_transfer_conservesSupplyAndVotes(uint256 amount, address to) public {
        vm.assume(to != address(0) && to != holder);
        amount = bound(amount, 0, SUPPLY);
        vm.prank(holder);
        nnt.delegate(holder);
        vm.prank(to);
        nnt.delegate(to);
        vm.prank(holder);
        assertTrue(nnt.transfer(to, amount));
        assertEq(nnt.balanceOf(holder) + nnt.balanceOf(to), SUPPLY);
        assertEq(nnt.getVotes(holder) + nnt.getVotes(to), SUPPLY);
        assertEq(nnt.totalSupply(), SUPPLY);
    }

    function _permitDigest(address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", nnt.DOMAIN_SEPARATOR(), structHash));
    }
}
