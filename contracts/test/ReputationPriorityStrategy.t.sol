// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StrategyTest} from "./StrategyTest.sol";
import {ReputationPriorityStrategy} from "../src/strategies/ReputationPriorityStrategy.sol";
import {StrategyBase} from "../src/strategies/StrategyBase.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

contract ReputationPriorityStrategyTest is StrategyTest {
    function setUp() public override {
        super.setUp();
        reputation.grantRole(reputation.REPORTER_ROLE(), address(this));
    }

    function test_constructor_setsContracts() public view {
        assertEq(address(reputationPriority.registry()), address(registry));
        assertEq(address(reputationPriority.reputation()), address(reputation));
        assertEq(address(reputationPriority.market()), address(market));
    }

    function test_constructor_revertsWithZeroAddress() public {
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new ReputationPriorityStrategy(INodeRegistry(address(0)), reputation, market);
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new ReputationPriorityStrategy(registry, IReputation(address(0)), market);
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new ReputationPriorityStrategy(registry, reputation, ITaskMarket(address(0)));
    }

    function test_name_andWaitsForTheWindow() public view {
        assertEq(reputationPriority.name(), "reputation-priority");
        assertFalse(reputationPriority.assignsEarly());
    }

    function test_select_ordersByReputationThenApplication() public {
        address[] memory c = _candidates(6);
        reputation.record(c[1], 0, IReputation.Outcome.Missed); // 4600
        _gain(c[2], IReputation.Outcome.AgreedEarly); // 5300
        _gain(c[4], IReputation.Outcome.AgreedEarly); // 5300, applied after c[2]
        _gain(c[5], IReputation.Outcome.Agreed); // 5200
        address[] memory s = reputationPriority.select(1, c, 5);
        assertEq(s[0], c[2]);
        assertEq(s[1], c[4]);
        assertEq(s[2], c[5]);
        assertEq(s[3], c[0]); // neutral, before c[3]
        assertEq(s[4], c[3]);
    }

    function test_select_revertsWithTooFewCandidates() public {
        vm.expectRevert(abi.encodeWithSelector(StrategyBase.TooFewCandidates.selector, 2, 3));
        reputationPriority.select(1, _candidates(2), 3);
    }

    function test_assign_picksTheMostReputedApplicants() public {
        _gain(nodes[4], IReputation.Outcome.AgreedEarly);
        reputation.record(nodes[0], 0, IReputation.Outcome.Missed);
        uint256 id = _assignWith(reputationPriority, 6);
        address[] memory a = market.assigneesOf(id);
        assertEq(a[0], nodes[4]);
        assertEq(a[1], nodes[1]);
        assertEq(a[2], nodes[2]);
    }

    function testFuzz_select_isSortedStableAndValid(uint8 n, uint8 count, uint256 seed) public {
        n = uint8(bound(n, 1, 16));
        count = uint8(bound(count, 0, n));
        address[] memory c = _candidates(n);
        for (uint256 i; i < n; ++i) {
            uint256 steps = uint256(keccak256(abi.encode(seed, i))) % 4;
            for (uint160 k; k < steps; ++k) {
                reputation.recordWork(
                    c[i], k, IReputation.Outcome((seed >> (i + k)) % 5), address(0x5E0000 + k), 1 ether
                );
            }
        }
        address[] memory s = reputationPriority.select(1, c, count);
        _assertValidSelection(c, s, count);
        for (uint256 i = 1; i < s.length; ++i) {
            uint256 prev = reputation.reputationOf(s[i - 1]);
            uint256 cur = reputation.reputationOf(s[i]);
            assertGe(prev, cur, "highest first");
            if (prev == cur) assertLt(_indexIn(c, s[i - 1]), _indexIn(c, s[i]), "ties in application order");
        }
        // nobody left out ranks above the last one picked
        if (count != 0) {
            uint256 last = reputation.reputationOf(s[count - 1]);
            for (uint256 i; i < n; ++i) {
                if (_indexIn(s, c[i]) == type(uint256).max) assertLe(reputation.reputationOf(c[i]), last, "best");
            }
        }
    }

    /// @dev A full-value gain from a requester `who` has not worked for before.
    function _gain(address who, IReputation.Outcome outcome) internal {
        reputation.recordWork(who, 0, outcome, makeAddr("requester"), reputation.params().fullGainValue);
    }
}
