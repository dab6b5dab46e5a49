// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {StrategyTest} from "./StrategyTest.sol";
import {StakeWeightedRandomStrategy} from "../src/strategies/StakeWeightedRandomStrategy.sol";
import {StrategyBase} from "../src/strategies/StrategyBase.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {DrawRigger} from "./mocks/DrawRigger.sol";

contract StakeWeightedRandomStrategyTest is StrategyTest {
    function test_constructor_revertsWithZeroAddress() public {
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new StakeWeightedRandomStrategy(INodeRegistry(address(0)), reputation, market);
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new StakeWeightedRandomStrategy(registry, IReputation(address(0)), market);
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new StakeWeightedRandomStrategy(registry, reputation, ITaskMarket(address(0)));
    }

    function test_name_andWaitsForTheWindow() public view {
        assertEq(stakeWeighted.name(), "stake-weighted-random");
        assertFalse(stakeWeighted.assignsEarly());
    }

    function test_select_isDeterministicForSeedAndTask() public {
        address[] memory c = _candidates(10);
        vm.prevrandao(42);
        bytes32 first = keccak256(abi.encode(stakeWeighted.select(1, c, 3)));
        assertEq(keccak256(abi.encode(stakeWeighted.select(1, c, 3))), first, "same seed, same pick");
        bool differs;
        for (uint256 i = 1; i <= 8 && !differs; ++i) {
            vm.prevrandao(42 + i);
            differs = keccak256(abi.encode(stakeWeighted.select(1, c, 3))) != first;
        }
        assertTrue(differs, "prevrandao moves the draw");
        vm.prevrandao(42);
        differs = false;
        for (uint256 t = 2; t <= 9 && !differs; ++t) {
            differs = keccak256(abi.encode(stakeWeighted.select(t, c, 3))) != first;
        }
        assertTrue(differs, "the task id moves the draw");
    }

    function test_select_followsFreeStakeWeights() public {
        address heavy = makeAddr("heavy"); // 3x the stake of light
        address light = makeAddr("light");
        _registerAndStake(heavy, 300 * NNT, NODE_CLASS);
        _registerAndStake(light, 100 * NNT, NODE_CLASS);
        address[] memory c = new address[](2);
        (c[0], c[1]) = (light, heavy);
        uint256 heavyFirst;
        uint256 draws = 400;
        for (uint256 i; i < draws; ++i) {
            vm.prevrandao(i);
            address[] memory s = stakeWeighted.select(7, c, 1);
            if (s[0] == heavy) ++heavyFirst;
        }
        // expected 300 (sd ~8.7): a wide band keeps the test about the weighting, not luck
        assertGe(heavyFirst, 255, "heavy picked about 3/4 of the time");
        assertLe(heavyFirst, 345, "light picked about 1/4 of the time");
    }

    function test_select_usesFreeNotTotalStake() public {
        address locked = makeAddr("locked");
        _registerAndStake(locked, 1_000 * NNT, NODE_CLASS);
        vm.prank(locked); // everything but 0 free: unbonding is not stake
        registry.requestUnbond(1_000 * NNT);
        address[] memory c = new address[](2);
        (c[0], c[1]) = (locked, nodes[0]);
        for (uint256 i; i < 32; ++i) {
            vm.prevrandao(i);
            assertEq(stakeWeighted.select(1, c, 1)[0], nodes[0], "zero free stake is never drawn first");
        }
        assertEq(stakeWeighted.select(1, c, 2)[1], locked, "but completes the draw when needed");
    }

    function test_select_isUniformWhenNobodyHasStake() public {
        address[] memory c = new address[](3);
        for (uint256 i; i < 3; ++i) {
            c[i] = makeAddr(string.concat("empty", Strings.toString(i)));
        }
        uint256[3] memory firsts;
        for (uint256 i; i < 90; ++i) {
            vm.prevrandao(i);
            address[] memory s = stakeWeighted.select(1, c, 3);
            _assertValidSelection(c, s, 3);
            firsts[_indexIn(c, s[0])]++;
        }
        for (uint256 i; i < 3; ++i) {
            assertGe(firsts[i], 15, "each drawn first sometimes");
        }
    }

    function test_select_revertsWithTooFewCandidates() public {
        vm.expectRevert(abi.encodeWithSelector(StrategyBase.TooFewCandidates.selector, 3, 4));
        stakeWeighted.select(1, _candidates(3), 4);
    }

    function test_assign_drawsAmongApplicants() public {
        vm.prevrandao(12_345);
        uint256 id = _assignWith(stakeWeighted, 8);
        _assertValidSelection(_candidates(8), market.assigneesOf(id), 3);
    }

    /// @dev An applicant (through a contract) assigns and reverts unless it is among the
    ///      picked, whatever block it lands in: 1 of 3 out of 16 applicants.
    function test_assign_callerCannotChooseTheAssignees() public {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(stakeWeighted);
        uint256 id = _publish(p);
        _apply(id, 16);
        vm.warp(p.applyDeadline);
        DrawRigger rigger = new DrawRigger();
        bool chosen;
        for (uint256 randao; randao < 32 && !chosen; ++randao) {
            vm.prevrandao(randao);
            try rigger.assignAndKeep(market, address(stakeWeighted), id, nodes[15]) {
                chosen = true;
            } catch {}
        }
        assertFalse(chosen);
    }

    function testFuzz_select_neverDuplicatesOrPicksOutsiders(uint256 randao, uint256 taskId, uint8 n, uint8 count)
        public
    {
        n = uint8(bound(n, 1, 16));
        count = uint8(bound(count, 0, n));
        vm.prevrandao(randao);
        address[] memory c = _candidates(n);
        _assertValidSelection(c, stakeWeighted.select(taskId, c, count), count);
    }
}
