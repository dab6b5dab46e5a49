// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StrategyTest} from "./StrategyTest.sol";
import {LowestPriceStrategy} from "../src/strategies/LowestPriceStrategy.sol";
import {StrategyBase} from "../src/strategies/StrategyBase.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

contract LowestPriceStrategyTest is StrategyTest {
    function test_constructor_revertsWithZeroAddress() public {
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new LowestPriceStrategy(INodeRegistry(address(0)), reputation, market);
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new LowestPriceStrategy(registry, IReputation(address(0)), market);
        vm.expectRevert(StrategyBase.ZeroAddress.selector);
        new LowestPriceStrategy(registry, reputation, ITaskMarket(address(0)));
    }

    function test_name_andWaitsForTheWindow() public view {
        assertEq(lowestPrice.name(), "lowest-price");
        assertFalse(lowestPrice.assignsEarly());
        assertEq(address(lowestPrice.market()), address(market));
    }

    function test_select_ordersByCostForTheTaskToken() public {
        ITaskMarket.TaskParams memory p = _params();
        p.token = address(usdc);
        p.budget = 3_000e6; // share 1000 USDC, 1000 CU: prices up to 1e6 fit
        p.strategy = address(lowestPrice);
        uint256 id = _publish(p);
        address[] memory c = _candidates(6);
        _price(c[0], address(usdc), 5e5);
        _price(c[1], address(usdc), 2e5);
        _price(c[2], address(usdc), 0); // any price: charged the whole share, ranks last
        _price(c[3], address(usdc), 2e5); // tie with c[1], applied later
        _price(c[4], address(usdc), 1e6); // exactly the share: ties with c[2], applied later
        _price(c[5], address(0), 1); // an ETH price only: any price in USDC
        _price(c[5], address(usdc), 0);
        _price(c[0], address(0), 10 ether); // ETH prices do not matter here
        address[] memory s = lowestPrice.select(id, c, 6);
        assertEq(s[0], c[1]);
        assertEq(s[1], c[3]);
        assertEq(s[2], c[0]);
        assertEq(s[3], c[2]);
        assertEq(s[4], c[4]);
        assertEq(s[5], c[5]);
    }

    function test_select_keepsApplicationOrderForUnknownTask() public view {
        address[] memory c = _candidates(4);
        address[] memory s = lowestPrice.select(999, c, 4);
        for (uint256 i; i < 4; ++i) {
            assertEq(s[i], c[i]);
        }
    }

    function test_select_revertsWithTooFewCandidates() public {
        vm.expectRevert(abi.encodeWithSelector(StrategyBase.TooFewCandidates.selector, 0, 1));
        lowestPrice.select(1, new address[](0), 1);
    }

    function test_assign_picksTheCheapestApplicants() public {
        _price(nodes[5], address(0), 1e11);
        _price(nodes[3], address(0), 2e11);
        _price(nodes[0], address(0), 3e11);
        _price(nodes[1], address(0), 3e11);
        uint256 id = _assignWith(lowestPrice, 6);
        address[] memory a = market.assigneesOf(id);
        assertEq(a[0], nodes[5]);
        assertEq(a[1], nodes[3]);
        assertEq(a[2], nodes[0]);
        assertEq(market.participationOf(id, nodes[5]).price, 1e11);
    }

    function testFuzz_select_isSortedStableAndValid(uint8 n, uint8 count, uint256 seed) public {
        n = uint8(bound(n, 1, 16));
        count = uint8(bound(count, 0, n));
        uint256 id = _publish(_params());
        address[] memory c = _candidates(n);
        uint256 share = uint256(1 ether) / 3;
        for (uint256 i; i < n; ++i) {
            uint256 price = uint256(keccak256(abi.encode(seed, i))) % 8; // many ties
            _price(c[i], address(0), price * 1e13);
        }
        address[] memory s = lowestPrice.select(id, c, count);
        _assertValidSelection(c, s, count);
        for (uint256 i = 1; i < s.length; ++i) {
            uint256 prev = _cost(s[i - 1], share);
            uint256 cur = _cost(s[i], share);
            assertLe(prev, cur, "cheapest first");
            if (prev == cur) assertLt(_indexIn(c, s[i - 1]), _indexIn(c, s[i]), "ties in application order");
        }
    }

    function _cost(address node, uint256 share) internal view returns (uint256) {
        uint256 price = registry.priceOf(node, address(0));
        if (price == 0) return share;
        uint256 cost = price * COMPUTE_UNITS;
        return cost < share ? cost : share;
    }

    function _price(address node, address token, uint256 price) internal {
        vm.prank(node);
        registry.setPrice(token, price);
    }
}
