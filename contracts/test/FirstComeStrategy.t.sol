// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "./Base.sol";
import {FirstComeStrategy} from "../src/strategies/FirstComeStrategy.sol";

contract FirstComeStrategyTest is Base {
    FirstComeStrategy internal strategy;

    function setUp() public {
        strategy = new FirstComeStrategy();
    }

    function test_select_returnsFirstCandidatesInOrder() public view {
        address[] memory candidates = _candidates(5);
        address[] memory selected = strategy.select(1, candidates, 3);
        assertEq(selected.length, 3);
        for (uint256 i; i < 3; ++i) {
            assertEq(selected[i], candidates[i]);
        }
    }

    function test_select_returnsAllWhenCountEqualsLength() public view {
        address[] memory candidates = _candidates(8);
        address[] memory selected = strategy.select(1, candidates, 8);
        assertEq(keccak256(abi.encode(selected)), keccak256(abi.encode(candidates)));
    }

    function test_select_revertsWhenCountExceedsCandidates() public {
        vm.expectRevert();
        strategy.select(1, _candidates(2), 3);
    }

    function test_assignsEarly_isTrue() public view {
        assertTrue(strategy.assignsEarly());
    }

    function test_name_isFirstCome() public view {
        assertEq(strategy.name(), "first-come");
    }

    function testFuzz_select_returnsPrefixIgnoringTaskId(uint256 taskId, uint8 length, uint8 count) public view {
        length = uint8(bound(length, 0, 16));
        count = uint8(bound(count, 0, length));
        address[] memory candidates = _candidates(length);
        address[] memory selected = strategy.select(taskId, candidates, count);
        assertEq(selected.length, count);
        for (uint256 i; i < count; ++i) {
            assertEq(selected[i], candidates[i]);
        }
    }

    function _candidates(uint256 n) internal pure returns (address[] memory c) {
        c = new address[](n);
        for (uint256 i; i < n; ++i) {
            c[i] = vm.addr(0x1000 + i);
        }
    }
}
