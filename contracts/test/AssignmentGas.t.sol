// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "./Base.sol";
import {NNToken} from "../src/NNToken.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {Reputation} from "../src/Reputation.sol";
import {RewardsPool} from "../src/RewardsPool.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {MarketConfig} from "../src/MarketConfig.sol";
import {FirstComeStrategy} from "../src/strategies/FirstComeStrategy.sol";
import {LowestPriceStrategy} from "../src/strategies/LowestPriceStrategy.sol";
import {ReputationPriorityStrategy} from "../src/strategies/ReputationPriorityStrategy.sol";
import {StakeWeightedRandomStrategy} from "../src/strategies/StakeWeightedRandomStrategy.sol";
import {IStakeWeightedRandomStrategy} from "../src/interfaces/IStakeWeightedRandomStrategy.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice Assignment gas does not grow with the number of registered nodes: two protocol
///         deployments, one with 10 and one with 1000 registered, staked nodes besides the same
///         16 applicants, assign the same tasks (one per strategy). setUp builds both (and
///         commits the stake-weighted draws), so `assign` runs cold in the test, as in its own
///         transaction.
contract AssignmentGasTest is Base {
    uint256 internal constant APPLICANTS = 16;
    uint256 internal constant STAKE = 500e18;
    uint64 internal constant START = 1_700_000_000;

    struct Deployment {
        NNToken nnt;
        NodeRegistry registry;
        TaskMarket market;
        MarketConfig config;
        address[4] strategies;
        uint256[4] tasks;
    }

    Deployment internal small;
    Deployment internal large;
    address[] internal applicants;

    function setUp() public {
        vm.warp(START);
        for (uint256 i; i < APPLICANTS; ++i) {
            applicants.push(vm.addr(0xA000 + i));
        }
        _deploy(small, 10, 0x100000);
        _deploy(large, 1000, 0x200000);
        vm.warp(START + 1 hours); // applications closed
        // the stake-weighted draw is committed, and its target block mined, before assigning
        uint64 target = IStakeWeightedRandomStrategy(small.strategies[3]).commitDraw(small.tasks[3]);
        assertEq(IStakeWeightedRandomStrategy(large.strategies[3]).commitDraw(large.tasks[3]), target);
        vm.roll(target + 1);
        vm.setBlockhash(target, keccak256("assignment gas"));
    }

    function test_assign_firstComeGasDoesNotGrowWithRegisteredNodes() public {
        _assertFlat(0);
    }

    function test_assign_reputationPriorityGasDoesNotGrowWithRegisteredNodes() public {
        _assertFlat(1);
    }

    function test_assign_lowestPriceGasDoesNotGrowWithRegisteredNodes() public {
        _assertFlat(2);
    }

    function test_assign_stakeWeightedRandomGasDoesNotGrowWithRegisteredNodes() public {
        _assertFlat(3);
    }

    /// @dev Assigns strategy `s`'s task in both deployments (each its first `assign`, so cold).
    function _assertFlat(uint256 s) internal {
        uint256 gasSmall = _assignGas(small, s);
        uint256 gasLarge = _assignGas(large, s);
        assertLt(gasLarge * 100, gasSmall * 110, "1000 nodes within 10% of 10 nodes");
        assertEq(
            keccak256(abi.encode(small.market.assigneesOf(small.tasks[s]))),
            keccak256(abi.encode(large.market.assigneesOf(large.tasks[s]))),
            "same selection"
        );
    }

    /// @dev Gas of `assign` for strategy `s` of deployment `d`.
    function _assignGas(Deployment storage d, uint256 s) internal returns (uint256 used) {
        TaskMarket market = d.market;
        uint256 id = d.tasks[s];
        uint256 before = gasleft();
        market.assign(id);
        used = before - gasleft();
    }

    function _deploy(Deployment storage d, uint256 others, uint256 keyBase) internal {
        d.nnt = new NNToken(address(this), 1e9 * 1e18);
        d.registry = new NodeRegistry(d.nnt, 100e18, 7 days, address(this));
        Reputation reputation = new Reputation(address(this));
        RewardsPool pool = new RewardsPool(d.nnt, address(this));
        d.config = new MarketConfig(address(d.nnt), address(this), 200, address(this));
        d.market = new TaskMarket(d.registry, reputation, pool, d.config, address(this));
        d.registry.bindMarket(address(d.market));
        reputation.grantRole(reputation.REPORTER_ROLE(), address(d.market));
        pool.bindRewarder(address(d.market));
        d.strategies = [
            address(new FirstComeStrategy()),
            address(new ReputationPriorityStrategy(d.registry, reputation, d.market)),
            address(new LowestPriceStrategy(d.registry, reputation, d.market)),
            address(new StakeWeightedRandomStrategy(d.registry, reputation, d.market))
        ];
        for (uint256 i; i < others; ++i) {
            _registerAndStake(d, vm.addr(keyBase + i), i);
        }
        for (uint256 i; i < APPLICANTS; ++i) {
            _registerAndStake(d, applicants[i], i);
        }
        for (uint256 s; s < 4; ++s) {
            d.config.setStrategyAllowed(d.strategies[s], true);
            ITaskMarket.TaskParams memory p = ITaskMarket.TaskParams({
                specDigest: keccak256("spec"),
                specURI: "ipfs://spec",
                token: address(0),
                budget: 1 ether,
                replication: 3,
                strategy: d.strategies[s],
                collateral: 50e18,
                minHardwareClass: 1,
                applyDeadline: START + 1 hours,
                deadline: START + 1 days,
                computeUnits: 1000,
                minReputation: 0
            });
            uint256 id = d.market.publish{value: 1 ether}(p);
            d.tasks[s] = id;
            for (uint256 i; i < APPLICANTS; ++i) {
                vm.prank(applicants[i]);
                d.market.applyForTask(id);
            }
        }
    }

    function _registerAndStake(Deployment storage d, address node, uint256 i) internal {
        uint256 amount = STAKE + i * 1e18; // distinct stakes for the weighted draw
        assertTrue(d.nnt.transfer(node, amount));
        vm.startPrank(node);
        d.registry.register(keccak256(abi.encode(node)), 2);
        d.nnt.approve(address(d.registry), amount);
        d.registry.stake(amount);
        d.registry.setPrice(address(0), 1e11 + (i % 7) * 1e10); // distinct prices for lowest-price
        vm.stopPrank();
    }

    receive() external payable {}
}
