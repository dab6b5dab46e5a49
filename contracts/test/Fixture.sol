// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Base} from "./Base.sol";
import {MockERC20} from "./mocks/MockERC20.sol";
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
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {IMarketConfig} from "../src/interfaces/IMarketConfig.sol";

/// @notice The deployed protocol (as `nnc.chain.deploy` wires it, with its default parameters)
///         with funded, staked nodes, and helpers that walk a task through its lifecycle. The
///         test contract is the admin; `oracle` holds ORACLE_ROLE in the registry and market.
abstract contract Fixture is Base {
    uint256 internal constant NNT = 1e18;
    uint256 internal constant MIN_STAKE = 100 * NNT;
    uint64 internal constant UNBONDING_DELAY = 7 days;
    uint16 internal constant FEE_BPS = 200;
    uint96 internal constant COLLATERAL = 50e18;
    uint256 internal constant NODE_STAKE = 500 * NNT;
    uint8 internal constant NODE_CLASS = 2;
    uint256 internal constant NODE_COUNT = 17; // MAX_APPLICANTS + 1
    uint64 internal constant START = 1_700_000_000;
    uint64 internal constant COMPUTE_UNITS = 1000;
    uint64 internal constant CHALLENGE_WINDOW = 1 hours; // the market's default
    uint256 internal constant BPS = 10_000;
    bytes32 internal constant SPEC = keccak256("spec");
    bytes32 internal constant RESULT_A = keccak256("result A");
    bytes32 internal constant RESULT_B = keccak256("result B");
    bytes32 internal constant RESULT_C = keccak256("result C");

    NNToken internal nnt;
    NodeRegistry internal registry;
    Reputation internal reputation;
    RewardsPool internal pool;
    TaskMarket internal market;
    MarketConfig internal config;
    FirstComeStrategy internal firstCome;
    ReputationPriorityStrategy internal reputationPriority;
    LowestPriceStrategy internal lowestPrice;
    StakeWeightedRandomStrategy internal stakeWeighted;
    MockERC20 internal usdc;

    address internal treasury;
    address internal requester;
    address internal stranger;
    address internal oracle;
    address[] internal nodes;

    function setUp() public virtual {
        vm.warp(START);
        treasury = makeAddr("treasury");
        requester = makeAddr("requester");
        stranger = makeAddr("stranger");
        oracle = makeAddr("oracle");

        nnt = new NNToken(address(this), 1_000_000_000 * NNT);
        registry = new NodeRegistry(nnt, MIN_STAKE, UNBONDING_DELAY, address(this));
        reputation = new Reputation(address(this));
        pool = new RewardsPool(nnt, address(this));
        config = new MarketConfig(address(nnt), treasury, FEE_BPS, address(this));
        market = new TaskMarket(registry, reputation, pool, config, address(this));
        firstCome = new FirstComeStrategy();
        reputationPriority = new ReputationPriorityStrategy(registry, reputation, market);
        lowestPrice = new LowestPriceStrategy(registry, reputation, market);
        stakeWeighted = new StakeWeightedRandomStrategy(registry, reputation, market);
        registry.bindMarket(address(market));
        reputation.grantRole(reputation.REPORTER_ROLE(), address(market));
        pool.bindRewarder(address(market));
        registry.grantRole(registry.ORACLE_ROLE(), oracle);
        market.grantRole(market.ORACLE_ROLE(), oracle);
        config.setStrategyAllowed(address(firstCome), true);
        config.setStrategyAllowed(address(reputationPriority), true);
        config.setStrategyAllowed(address(lowestPrice), true);
        config.setStrategyAllowed(address(stakeWeighted), true);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        config.setTokenAllowed(address(usdc), true);
        config.setTokenValue(address(0), 1000e18); // 1 ETH counts as 1000 NNT (bonus caps, reputation gains)

        for (uint256 i; i < NODE_COUNT; ++i) {
            address node = makeAddr(string.concat("node", Strings.toString(i)));
            nodes.push(node);
            _registerAndStake(node, NODE_STAKE, NODE_CLASS);
        }
        vm.deal(requester, 1_000 ether);
        usdc.mint(requester, 1_000_000e6);
        vm.prank(requester);
        usdc.approve(address(market), type(uint256).max);
    }

    // ---------------------------------------------------------------- helpers

    function _registerAndStake(address node, uint256 amount, uint8 hardwareClass) internal {
        assertTrue(nnt.transfer(node, amount));
        vm.startPrank(node);
        registry.register(keccak256(abi.encode("profile", node)), hardwareClass);
        nnt.approve(address(registry), amount);
        registry.stake(amount);
        vm.stopPrank();
    }

    /// @dev A 3-replica ETH task of 1 ether and 1000 compute units, applications open 1 hour,
    ///      results due in 1 day, any reputation.
    function _params() internal view returns (ITaskMarket.TaskParams memory p) {
        p = ITaskMarket.TaskParams({
            specDigest: SPEC,
            specURI: "ipfs://spec",
            token: address(0),
            budget: 1 ether,
            replication: 3,
            strategy: address(firstCome),
            collateral: COLLATERAL,
            minHardwareClass: 1,
            applyDeadline: START + 1 hours,
            deadline: START + 1 days,
            computeUnits: COMPUTE_UNITS,
            minReputation: 0
        });
    }

    function _publish(ITaskMarket.TaskParams memory p) internal returns (uint256 taskId) {
        vm.prank(requester);
        taskId = market.publish{value: p.token == address(0) ? p.budget : 0}(p);
    }

    function _apply(uint256 taskId, uint256 count) internal {
        for (uint256 i; i < count; ++i) {
            vm.prank(nodes[i]);
            market.applyForTask(taskId);
        }
    }

    /// @dev Publishes `p`, lets the first `r` nodes apply and assigns them (first-come).
    function _assigned(ITaskMarket.TaskParams memory p) internal returns (uint256 taskId) {
        taskId = _publish(p);
        _apply(taskId, p.replication);
        market.assign(taskId);
    }

    function _submit(uint256 taskId, address node, bytes32 digest) internal {
        vm.prank(node);
        market.submitResult(taskId, digest);
    }

    /// @dev Each assignee `i` submits `digests[i]`.
    function _submitAll(uint256 taskId, bytes32[] memory digests) internal {
        address[] memory assignees = market.assigneesOf(taskId);
        for (uint256 i; i < assignees.length; ++i) {
            _submit(taskId, assignees[i], digests[i]);
        }
    }

    /// @dev Every active assignee that committed reveals where its model lives (as workers do
    ///      once every result is in), then time moves to the end of the task's challenge window
    ///      (settlement allowed).
    function _closeWindow(uint256 taskId) internal {
        _revealAll(taskId);
        uint256 endsAt = market.getTask(taskId).challengeEndsAt;
        if (block.timestamp < endsAt) vm.warp(endsAt);
    }

    function _revealAll(uint256 taskId) internal {
        ITaskMarket.TaskStatus status = market.getTask(taskId).status;
        if (status != ITaskMarket.TaskStatus.Submitted && status != ITaskMarket.TaskStatus.Verifying) return;
        address[] memory assignees = market.assigneesOf(taskId);
        for (uint256 i; i < assignees.length; ++i) {
            ITaskMarket.Participation memory p = market.participationOf(taskId, assignees[i]);
            if (!p.submitted || p.revealed || p.bond != ITaskMarket.Bond.Locked) continue;
            vm.prank(assignees[i]);
            market.revealResult(taskId, "ipfs://model");
        }
    }

    function _settle(uint256 taskId) internal {
        _closeWindow(taskId);
        market.settle(taskId);
    }

    function _same(uint256 n, bytes32 digest) internal pure returns (bytes32[] memory d) {
        d = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            d[i] = digest;
        }
    }

    function _three(bytes32 a, bytes32 b, bytes32 c) internal pure returns (bytes32[] memory d) {
        d = new bytes32[](3);
        (d[0], d[1], d[2]) = (a, b, c);
    }

    function _status(uint256 taskId) internal view returns (ITaskMarket.TaskStatus) {
        return market.getTask(taskId).status;
    }

    function _assertStatus(uint256 taskId, ITaskMarket.TaskStatus want) internal view {
        assertEq(uint256(_status(taskId)), uint256(want), "task status");
    }

    /// @dev The settlement formula (see {SettlementMath}), written out independently: what one
    ///      majority node earns gross at `price`, with the fixture's default weights unless
    ///      changed.
    function _gross(uint256 budget, uint256 r, uint256 cu, uint256 price, uint256 quality, uint256 rep)
        internal
        view
        returns (uint256)
    {
        IMarketConfig.SettlementParams memory s = config.settlementParams();
        uint256 share = budget / r;
        uint256 cost = share;
        if (price != 0 && price <= share / cu) cost = price * cu; // else price * cu > share
        uint256 f = s.baseWeightBps + s.qualityWeightBps * quality / BPS + s.reputationWeightBps * rep / BPS;
        return _mulDiv(cost, f, BPS);
    }

    /// @dev `a * b / d` for a product that may pass 256 bits (b, d small).
    function _mulDiv(uint256 a, uint256 b, uint256 d) internal pure returns (uint256) {
        // forge-lint: disable-next-line(divide-before-multiply)
        return (a / d) * b + (a % d) * b / d; // exact: a = (a / d) * d + a % d
    }
}
