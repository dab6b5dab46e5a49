// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeFixture} from "./DisputeFixture.sol";
import {CoFundingFactory} from "../src/funding/CoFundingFactory.sol";
import {CoFundingPool} from "../src/funding/CoFundingPool.sol";
import {ICoFundingPool} from "../src/interfaces/ICoFunding.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice The protocol of {DisputeFixture} plus the co-funding factory (as `nnc.chain.deploy`
///         wires it: after the market and arbitration), three funders with ETH and USDC, and
///         helpers that open, fill and publish pools.
abstract contract CoFundingFixture is DisputeFixture {
    uint64 internal constant FUNDING_DEADLINE = START + 30 minutes;

    CoFundingPool internal implementation;
    CoFundingFactory internal factory;
    address internal alice; // the lead in most tests
    address internal bob;
    address internal carol;

    function setUp() public virtual override {
        super.setUp();
        implementation = new CoFundingPool();
        factory = new CoFundingFactory(market, address(arbitration), address(spotCheck), address(implementation));
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        carol = makeAddr("carol");
        address[3] memory people = [alice, bob, carol];
        for (uint256 i; i < people.length; ++i) {
            vm.deal(people[i], 1_000 ether);
            usdc.mint(people[i], 1_000_000e6);
            vm.prank(people[i]);
            usdc.approve(address(factory), type(uint256).max);
        }
    }

    /// @dev The fixture's task (3 replicas, 1000 compute units, first-come) without a budget.
    function _terms() internal view returns (ICoFundingPool.Terms memory t) {
        ITaskMarket.TaskParams memory p = _params();
        t = ICoFundingPool.Terms({
            specDigest: p.specDigest,
            specURI: p.specURI,
            token: p.token,
            replication: p.replication,
            strategy: p.strategy,
            collateral: p.collateral,
            minHardwareClass: p.minHardwareClass,
            applyDeadline: p.applyDeadline,
            deadline: p.deadline,
            computeUnits: p.computeUnits,
            minReputation: p.minReputation
        });
    }

    /// @dev `lead` opens an ETH pool for `_terms()` with `target`, contributing `amount`.
    function _open(address lead, uint256 target, uint256 amount) internal returns (CoFundingPool pool) {
        return _openWith(_terms(), lead, target, amount);
    }

    function _openWith(ICoFundingPool.Terms memory t, address lead, uint256 target, uint256 amount)
        internal
        returns (CoFundingPool pool)
    {
        vm.prank(lead);
        pool = CoFundingPool(
            payable(factory.open{value: t.token == address(0) ? amount : 0}(t, target, FUNDING_DEADLINE, amount))
        );
    }

    function _contribute(CoFundingPool pool, address who, uint256 amount) internal {
        address token = pool.terms().token;
        vm.startPrank(who);
        if (token == address(0)) {
            pool.contribute{value: amount}(amount);
        } else {
            usdc.approve(address(pool), amount);
            pool.contribute(amount);
        }
        vm.stopPrank();
    }

    /// @dev An ETH pool led by alice with contributions `a` (alice), `b` (bob), `c` (carol),
    ///      target their sum, published.
    function _published(uint256 a, uint256 b, uint256 c) internal returns (CoFundingPool pool, uint256 taskId) {
        pool = _open(alice, a + b + c, a);
        if (b != 0) _contribute(pool, bob, b);
        if (c != 0) _contribute(pool, carol, c);
        taskId = pool.publish();
    }

    /// @dev `who` claims everything in `token`; returns what it received.
    function _claim(CoFundingPool pool, address who, address token) internal returns (uint256 received) {
        uint256 before = token == address(0) ? who.balance : usdc.balanceOf(who);
        vm.prank(who);
        pool.claim(token);
        received = (token == address(0) ? who.balance : usdc.balanceOf(who)) - before;
    }

    /// @dev Lets the first `r` nodes apply, assigns them, has them all submit `RESULT_A` and settles.
    function _runAndSettle(uint256 taskId) internal {
        _apply(taskId, market.getTask(taskId).replication);
        market.assign(taskId);
        _submitAll(taskId, _same(market.getTask(taskId).replication, RESULT_A));
        _settle(taskId);
    }
}
