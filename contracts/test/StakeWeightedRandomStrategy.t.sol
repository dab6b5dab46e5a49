// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {StrategyTest} from "./StrategyTest.sol";
import {StakeWeightedRandomStrategy} from "../src/strategies/StakeWeightedRandomStrategy.sol";
import {StrategyBase} from "../src/strategies/StrategyBase.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {IStakeWeightedRandomStrategy} from "../src/interfaces/IStakeWeightedRandomStrategy.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {DrawRigger} from "./mocks/DrawRigger.sol";

contract StakeWeightedRandomStrategyTest is StrategyTest {
    // ---------------------------------------------------------------- helpers

    /// @dev A 3-replica stake-weighted task (no collateral: any staked node may apply) that
    ///      `applicants` applied to, applications closed, nothing committed.
    function _closed(address[] memory applicants) internal returns (uint256 id) {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(stakeWeighted);
        p.collateral = 0;
        (p.applyDeadline, p.deadline) = (uint64(block.timestamp + 1 hours), uint64(block.timestamp + 1 days));
        id = _publish(p);
        for (uint256 i; i < applicants.length; ++i) {
            vm.prank(applicants[i]);
            market.applyForTask(id);
        }
        vm.warp(p.applyDeadline);
    }

    /// @dev `_closed` with the draw committed.
    function _committed(address[] memory applicants) internal returns (uint256 id) {
        id = _closed(applicants);
        stakeWeighted.commitDraw(id);
    }

    /// @dev Mines the draw's target block (if not yet) and sets its hash.
    function _mine(uint256 id, bytes32 hash) internal {
        (uint64 target,) = stakeWeighted.drawOf(id);
        if (block.number <= target) vm.roll(target + 1);
        vm.setBlockhash(target, hash);
    }

    function _stakeMore(address node, uint256 amount) internal {
        assertTrue(nnt.transfer(node, amount));
        vm.startPrank(node);
        nnt.approve(address(registry), amount);
        registry.stake(amount);
        vm.stopPrank();
    }

    function _pair(address a, address b) internal pure returns (address[] memory c) {
        c = new address[](2);
        (c[0], c[1]) = (a, b);
    }

    function _without(address[] memory list, address item) internal pure returns (address[] memory out) {
        out = new address[](list.length - 1);
        uint256 j;
        for (uint256 i; i < list.length; ++i) {
            if (list[i] != item) out[j++] = list[i];
        }
    }

    // ---------------------------------------------------------------- deployment

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

    // ---------------------------------------------------------------- the attack

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

    // ---------------------------------------------------------------- commitDraw

    function test_commitDraw_snapshotsFreeStake_andTargetsAFutureBlock() public {
        _assigned(_params()); // locks COLLATERAL of nodes[0..2]
        uint256 id = _closed(_candidates(4));
        uint64 target = uint64(block.number + stakeWeighted.DRAW_DELAY());
        vm.expectEmit(true, false, false, true, address(stakeWeighted));
        emit IStakeWeightedRandomStrategy.DrawCommitted(id, target, 4, 4 * NODE_STAKE - 3 * COLLATERAL);
        vm.prank(stranger); // anyone
        assertEq(stakeWeighted.commitDraw(id), target);
        (uint64 committed, IStakeWeightedRandomStrategy.Entry[] memory entries) = stakeWeighted.drawOf(id);
        assertEq(committed, target);
        assertEq(entries.length, 4);
        for (uint256 i; i < 4; ++i) {
            assertEq(entries[i].node, nodes[i], "application order");
            assertEq(entries[i].weight, registry.freeStake(nodes[i]), "free stake, not total");
        }
        assertEq(entries[0].weight, NODE_STAKE - COLLATERAL);
        assertEq(uint256(stakeWeighted.drawState(id)), uint256(IStakeWeightedRandomStrategy.DrawState.Pending));
    }

    function test_commitDraw_revertsWhileApplicationsAreOpen() public {
        ITaskMarket.TaskParams memory p = _params();
        p.strategy = address(stakeWeighted);
        uint256 id = _publish(p);
        vm.expectRevert(
            abi.encodeWithSelector(IStakeWeightedRandomStrategy.ApplicationsOpen.selector, id, p.applyDeadline)
        );
        stakeWeighted.commitDraw(id);
    }

    function test_commitDraw_revertsForAnotherStrategysTask_orOneNotPublished() public {
        uint256 other = _publish(_params()); // first-come
        vm.expectRevert(
            abi.encodeWithSelector(IStakeWeightedRandomStrategy.NotThisStrategy.selector, other, address(firstCome))
        );
        stakeWeighted.commitDraw(other);
        uint256 id = _closed(_candidates(2)); // fewer applicants than replicas: it can only expire
        market.expire(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeWeightedRandomStrategy.TaskNotPublished.selector, id, ITaskMarket.TaskStatus.Expired
            )
        );
        stakeWeighted.commitDraw(id);
    }

    /// @dev Once applications closed the requester cannot cancel: it would otherwise see the
    ///      draw's block hash and re-roll the assignment by cancelling and publishing again.
    function test_requesterCannotCancelToRerollADraw() public {
        uint256 id = _committed(_candidates(4));
        uint64 applyDeadline = market.getTask(id).applyDeadline;
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationClosed.selector, id, applyDeadline));
        vm.prank(requester);
        market.cancel(id);
    }

    function test_commitDraw_onlyAgainOnceStale_whichSnapshotsAnew() public {
        uint256 id = _committed(_candidates(4));
        (uint64 target,) = stakeWeighted.drawOf(id);
        vm.expectRevert(abi.encodeWithSelector(IStakeWeightedRandomStrategy.DrawAlreadyCommitted.selector, id, target));
        stakeWeighted.commitDraw(id);
        _mine(id, keccak256("ready"));
        vm.expectRevert(abi.encodeWithSelector(IStakeWeightedRandomStrategy.DrawAlreadyCommitted.selector, id, target));
        stakeWeighted.commitDraw(id);

        vm.roll(target + 257);
        assertEq(uint256(stakeWeighted.drawState(id)), uint256(IStakeWeightedRandomStrategy.DrawState.Stale));
        _stakeMore(nodes[1], 100 * NNT); // more stake before the new commit counts
        uint64 next = stakeWeighted.commitDraw(id);
        assertEq(next, block.number + stakeWeighted.DRAW_DELAY());
        (, IStakeWeightedRandomStrategy.Entry[] memory entries) = stakeWeighted.drawOf(id);
        assertEq(entries.length, 4, "the old snapshot is replaced, not extended");
        assertEq(entries[1].weight, NODE_STAKE + 100 * NNT);
    }

    // ---------------------------------------------------------------- select

    function test_select_revertsUntilTheDrawIsReady() public {
        address[] memory c = _candidates(4);
        uint256 id = _closed(c);
        vm.expectRevert(abi.encodeWithSelector(IStakeWeightedRandomStrategy.DrawNotCommitted.selector, id));
        stakeWeighted.select(id, c, 3);
        vm.expectRevert(abi.encodeWithSelector(IStakeWeightedRandomStrategy.DrawNotCommitted.selector, id));
        market.assign(id);

        uint64 target = stakeWeighted.commitDraw(id);
        for (uint256 b = block.number; b <= target; ++b) {
            vm.roll(b);
            vm.expectRevert(abi.encodeWithSelector(IStakeWeightedRandomStrategy.DrawNotReady.selector, id, target));
            market.assign(id); // not in the commit's transaction, nor before the target is mined
        }
        vm.roll(target + 257);
        vm.expectRevert(abi.encodeWithSelector(IStakeWeightedRandomStrategy.DrawStale.selector, id, target));
        market.assign(id);
    }

    function test_select_isDeterministicForHashAndTask() public {
        address[] memory c = _candidates(10);
        uint256 id = _committed(c);
        uint256 twin = _committed(c); // same applicants, same target block
        _mine(id, keccak256("h0"));
        bytes32 first = keccak256(abi.encode(stakeWeighted.select(id, c, 3)));
        assertEq(keccak256(abi.encode(stakeWeighted.select(id, c, 3))), first, "same hash, same pick");
        bool differs;
        for (uint256 i = 1; i <= 8 && !differs; ++i) {
            _mine(id, keccak256(abi.encode("h", i)));
            differs = keccak256(abi.encode(stakeWeighted.select(id, c, 3))) != first;
        }
        assertTrue(differs, "the target block's hash moves the draw");
        differs = false;
        for (uint256 i; i <= 8 && !differs; ++i) {
            _mine(id, keccak256(abi.encode("h", i)));
            differs = keccak256(abi.encode(stakeWeighted.select(id, c, 3)))
                != keccak256(abi.encode(stakeWeighted.select(twin, c, 3)));
        }
        assertTrue(differs, "the task id moves the draw");
    }

    function test_select_followsTheCommittedWeights() public {
        address heavy = makeAddr("heavy"); // 3x the stake of light
        address light = makeAddr("light");
        _registerAndStake(heavy, 300 * NNT, NODE_CLASS);
        _registerAndStake(light, 100 * NNT, NODE_CLASS);
        address[] memory c = _pair(light, heavy);
        uint256 id = _committed(c);
        uint256 heavyFirst;
        uint256 draws = 400;
        for (uint256 i; i < draws; ++i) {
            _mine(id, keccak256(abi.encode(i)));
            if (stakeWeighted.select(id, c, 1)[0] == heavy) ++heavyFirst;
        }
        // expected 300 (sd ~8.7): a wide band keeps the test about the weighting, not luck
        assertGe(heavyFirst, 255, "heavy picked about 3/4 of the time");
        assertLe(heavyFirst, 345, "light picked about 1/4 of the time");
    }

    /// @dev Once the target hash is public an applicant can compute the draw; staking more (or
    ///      unbonding) then must not change it.
    function test_select_weightsAreFixedAtTheCommit() public {
        address[] memory c = _candidates(6);
        uint256 id = _committed(c);
        bytes32[] memory before = new bytes32[](32);
        for (uint256 i; i < 32; ++i) {
            _mine(id, keccak256(abi.encode(i)));
            before[i] = keccak256(abi.encode(stakeWeighted.select(id, c, 3)));
        }
        _stakeMore(nodes[5], 100_000 * NNT); // 200x everyone else, after the hash
        vm.prank(nodes[0]);
        registry.requestUnbond(400 * NNT);
        for (uint256 i; i < 32; ++i) {
            _mine(id, keccak256(abi.encode(i)));
            assertEq(keccak256(abi.encode(stakeWeighted.select(id, c, 3))), before[i], "same draw");
        }
    }

    /// @dev An applicant that makes itself ineligible once it sees the draw only removes itself:
    ///      everyone else keeps their place in the drawn order.
    function test_select_aDropoutOnlyRemovesItself() public {
        address[] memory c = _candidates(8);
        uint256 id = _committed(c);
        for (uint256 h; h < 8; ++h) {
            _mine(id, keccak256(abi.encode(h)));
            address[] memory order = stakeWeighted.select(id, c, 8);
            for (uint256 drop; drop < 4; ++drop) {
                address[] memory picked = stakeWeighted.select(id, _without(c, order[drop]), 3);
                uint256 j;
                for (uint256 i; i < 3; ++i) {
                    if (j == drop) ++j;
                    assertEq(picked[i], order[j++], "the order of the rest");
                }
            }
        }
    }

    function test_select_isUniformWhenNobodyHasStake() public {
        address[] memory c = _candidates(3);
        uint256 id = _closed(c);
        vm.mockCall(address(registry), abi.encodeWithSelector(registry.freeStake.selector), abi.encode(0));
        stakeWeighted.commitDraw(id);
        vm.clearMockedCalls();
        uint256[3] memory firsts;
        for (uint256 i; i < 90; ++i) {
            _mine(id, keccak256(abi.encode(i)));
            address[] memory s = stakeWeighted.select(id, c, 3);
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
        uint256 id = _committed(_candidates(3));
        _mine(id, keccak256("h"));
        address[] memory outsiders = new address[](3);
        (outsiders[0], outsiders[1], outsiders[2]) = (nodes[0], nodes[10], nodes[11]);
        vm.expectRevert(abi.encodeWithSelector(StrategyBase.TooFewCandidates.selector, 1, 2));
        stakeWeighted.select(id, outsiders, 2); // only nodes[0] applied
    }

    function test_assign_drawsAmongApplicants_afterTheCommit() public {
        uint256 id = _committed(_candidates(8));
        _mine(id, keccak256("assign"));
        assertEq(uint256(stakeWeighted.drawState(id)), uint256(IStakeWeightedRandomStrategy.DrawState.Ready));
        market.assign(id);
        _assertValidSelection(_candidates(8), market.assigneesOf(id), 3);
    }

    function testFuzz_select_neverDuplicatesOrPicksOutsiders(bytes32 hash, uint8 n, uint16 mask, uint8 count) public {
        vm.assume(hash != bytes32(0));
        n = uint8(bound(n, 1, 16));
        uint256 id = _committed(_candidates(n));
        _mine(id, hash);
        address[] memory c = new address[](n);
        uint256 m;
        for (uint256 i; i < n; ++i) {
            // forge-lint: disable-next-line(incorrect-shift)
            if (mask & (1 << i) != 0 || i == 0) c[m++] = nodes[i]; // bit i of the mask
        }
        assembly ("memory-safe") {
            mstore(c, m) // the still-eligible subset
        }
        count = uint8(bound(count, 0, m));
        _assertValidSelection(c, stakeWeighted.select(id, c, count), count);
    }
}
