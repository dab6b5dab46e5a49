// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "./Vm.sol";

/// @title Base
/// @notice The few helpers our tests need in place of forge-std's `Test`: the cheatcode handle,
///         assertions (backed by Foundry's assertion cheatcodes, which fail the test by reverting
///         with both values) and `bound` / `makeAddr` for fuzzing.
abstract contract Base {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertTrue(bool condition) internal pure {
        vm.assertTrue(condition, "assertTrue");
    }

    function assertTrue(bool condition, string memory what) internal pure {
        vm.assertTrue(condition, what);
    }

    function assertFalse(bool condition) internal pure {
        vm.assertTrue(!condition, "assertFalse");
    }

    function assertFalse(bool condition, string memory what) internal pure {
        vm.assertTrue(!condition, what);
    }

    function assertEq(bool left, bool right) internal pure {
        vm.assertEq(left, right, "assertEq(bool)");
    }

    function assertEq(uint256 left, uint256 right) internal pure {
        vm.assertEq(left, right, "assertEq(uint256)");
    }

    function assertEq(uint256 left, uint256 right, string memory what) internal pure {
        vm.assertEq(left, right, what);
    }

    function assertEq(address left, address right) internal pure {
        vm.assertEq(left, right, "assertEq(address)");
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        vm.assertEq(left, right, "assertEq(bytes32)");
    }

    function assertEq(bytes32 left, bytes32 right, string memory what) internal pure {
        vm.assertEq(left, right, what);
    }

    function assertEq(address left, address right, string memory what) internal pure {
        vm.assertEq(left, right, what);
    }

    function assertEq(string memory left, string memory right) internal pure {
        vm.assertEq(left, right, "assertEq(string)");
    }

    function assertLe(uint256 left, uint256 right) internal pure {
        vm.assertLe(left, right, "assertLe(uint256)");
    }

    function assertLe(uint256 left, uint256 right, string memory what) internal pure {
        vm.assertLe(left, right, what);
    }

    function assertLt(uint256 left, uint256 right, string memory what) internal pure {
        vm.assertLt(left, right, what);
    }

    function assertGe(uint256 left, uint256 right, string memory what) internal pure {
        vm.assertGe(left, right, what);
    }

    /// @dev Maps any `x` into [min, max] (inclusive), keeping small values where they are so
    ///      the fuzzer's edge cases survive.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @dev A deterministic labelled address for `name`.
    function makeAddr(string memory name) internal returns (address account) {
        account = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(account, name);
    }
}
