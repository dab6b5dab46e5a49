// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "./Vm.sol";
import {Fixture} from "./Fixture.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";

/// @notice Escrow conservation over fuzzed budgets, replication, fees and results: every wei
///         that enters the market is owed to someone (`claimable`) or still escrowed, and
///         claims drain it exactly.
contract TaskMarketFuzzTest is Fixture {
    uint256 internal constant MAX_ETH_BUDGET = 1_000 ether; // what the requester holds
    uint256 internal constant MAX_TOKEN_BUDGET = type(uint128).max;

    struct Settlement {
        bytes32 digest;
        uint256 paid;
        uint256 fee;
        uint256 refund;
    }

    // ================================================================ publish

    function testFuzz_publish_escrowsExactBudget(uint256 budget, uint8 r, bool useToken) public {
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, r, useToken);
        uint256 id = _publish(p);
        assertEq(_balance(p.token, address(market)), p.budget);
        assertEq(market.getTask(id).budget, p.budget);
        assertEq(uint256(market.getTask(id).replication), p.replication);
    }

    function testFuzz_publish_revertsUnlessEthMatchesBudget(uint256 budget, uint256 sent) public {
        budget = bound(budget, 1, MAX_ETH_BUDGET);
        sent = bound(sent, 0, MAX_ETH_BUDGET);
        ITaskMarket.TaskParams memory p = _params();
        p.budget = budget;
        if (sent != budget) {
            vm.expectRevert(abi.encodeWithSelector(ITaskMarket.WrongEthAmount.selector, sent, budget));
        }
        vm.prank(requester);
        market.publish{value: sent}(p);
        assertEq(address(market).balance, sent == budget ? budget : 0);
    }

    // ================================================================ cancel

    function testFuzz_cancel_refundsExactBudget(uint256 budget, bool useToken) public {
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, 1, useToken);
        uint256 before = _balance(p.token, requester);
        uint256 id = _publish(p);
        vm.startPrank(requester);
        market.cancel(id);
        assertEq(market.claimable(p.token, requester), p.budget);
        market.claim(p.token);
        vm.stopPrank();
        assertEq(_balance(p.token, requester), before);
        assertEq(_balance(p.token, address(market)), 0);
    }

    // ================================================================ settle

    /// @dev Everything the settlement formula depends on, fuzzed at once.
    struct Case {
        uint256 budget;
        uint8 r;
        uint16 fee;
        uint256 digestSeed;
        bool useToken; // the 6-decimals token, else ETH (18 decimals)
        uint64 computeUnits;
        uint256 priceSeed;
        uint16 baseWeight;
        uint16 qualityWeight;
        uint16 quality;
        uint256 reputationSeed;
        uint256 reward;
        uint256 poolFunds;
    }

    /// @notice `sum(payouts) + fee + refund == budget` to the wei, each node is credited exactly
    ///         the formula's amount, and bonuses never exceed what the pool holds.
    function testFuzz_settle_conservesEscrowAndFollowsFormula(Case memory c) public {
        ITaskMarket.TaskParams memory p = _fuzzCase(c);
        uint256 id = _publish(p);
        _apply(id, p.replication);
        market.assign(id);
        bytes32[] memory digests = _fuzzDigests(p.replication, c.digestSeed);
        _submitAll(id, digests);
        vm.prank(oracle);
        market.reportQuality(id, c.quality, true);
        uint16[] memory reps = _mockReputations(p.replication, c.reputationSeed);
        uint256 poolBefore = pool.available();

        uint256 value = c.reputationSeed % 2 == 0 ? 1e36 : c.poolFunds % 1e20; // NNT-wei per 1e18
        config.setTokenValue(p.token, value);
        _closeWindow(id);
        vm.recordLogs();
        market.settle(id);
        if (market.getTask(id).tied) {
            // no strict majority: the tie window first, then every replica is paid
            vm.getRecordedLogs();
            _closeWindow(id);
            market.settle(id);
        }
        Settlement memory s = _settlement(id);

        assertEq(s.paid + s.fee + s.refund, p.budget, "paid + fee + refund == budget");
        assertEq(market.getTask(id).resultDigest, s.digest);
        assertTrue(s.digest == bytes32(0) || _count(digests, s.digest) * 2 > p.replication, "strict majority");
        assertEq(market.claimable(p.token, treasury), s.fee);
        assertEq(market.claimable(p.token, requester), s.refund);

        (uint256 owedToNodes, uint256 bonuses) = _checkNodes(c, p, digests, reps, s);
        assertEq(owedToNodes, s.paid);
        assertLe(bonuses, poolBefore, "bonuses never exceed the pool");
        assertEq(pool.available(), poolBefore - bonuses);
        assertEq(nnt.balanceOf(address(pool)), pool.available() + bonuses, "pool balance == available + owed");
        assertLe(bonuses, s.fee * value / 1e18, "bonuses never beyond the fees paid (audit item 4)");
        assertEq(_balance(p.token, address(market)), owedToNodes + s.fee + s.refund, "balance == claimables");

        _claimAll(p.token, p.replication);
        assertEq(_balance(p.token, address(market)), 0, "claims drain the market");
    }

    /// @dev Checks each node's credit against the formula; returns what nodes are owed in the
    ///      task's token and in NNT bonuses.
    function _checkNodes(
        Case memory c,
        ITaskMarket.TaskParams memory p,
        bytes32[] memory digests,
        uint16[] memory reps,
        Settlement memory s
    ) internal view returns (uint256 owedToNodes, uint256 bonuses) {
        uint256 fees;
        for (uint256 i; i < p.replication; ++i) {
            uint256 owed = market.claimable(p.token, nodes[i]);
            if (s.digest == bytes32(0) || digests[i] == s.digest) { // a majority, or every replica after a tie
                uint256 gross = _gross(p.budget, p.replication, p.computeUnits, _price(c, i), c.quality, reps[i]);
                uint256 nodeFee = gross * c.fee / BPS;
                assertEq(owed, gross - nodeFee, "net by the formula");
                fees += nodeFee;
            } else {
                assertEq(owed, 0, "only the majority is paid");
            }
            owedToNodes += owed;
            bonuses += pool.claimable(nodes[i]);
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE, "collateral released");
        }
        assertEq(fees, s.fee);
    }

    function testFuzz_settle_paysNothingTwice(uint256 budget, uint8 r, uint256 digestSeed) public {
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, r, false);
        uint256 id = _assigned(p);
        _submitAll(id, _fuzzDigests(p.replication, digestSeed));
        _settle(id);
        if (market.getTask(id).tied) _settle(id);
        uint256 requesterOwed = market.claimable(address(0), requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector, id, ITaskMarket.TaskStatus.Settled, ITaskMarket.TaskStatus.Submitted
            )
        );
        market.settle(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITaskMarket.InvalidStatus.selector, id, ITaskMarket.TaskStatus.Settled, ITaskMarket.TaskStatus.Assigned
            )
        );
        market.expire(id);
        assertEq(market.claimable(address(0), requester), requesterOwed);
    }

    // ================================================================ expire

    /// @notice Past the deadline, every assignee that submitted nothing loses its collateral to
    ///         the treasury (never the requester); with no result at all the budget is refunded,
    ///         otherwise the task goes on to settlement with the results that are in.
    function testFuzz_expire_dropsNonSubmitters(uint256 budget, uint8 r, uint8 submittedMask, bool useToken) public {
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, r, useToken);
        uint256 id = _assigned(p);
        uint256 all = 2 ** p.replication - 1;
        uint256 mask = submittedMask & all;
        if (mask == all) mask &= ~uint256(1); // everyone submitting makes it settleable, not expirable
        for (uint256 i; i < p.replication; ++i) {
            if ((mask >> i) & 1 == 1) _submit(id, nodes[i], RESULT_A);
        }
        uint256 registryBalance = nnt.balanceOf(address(registry));
        vm.warp(p.deadline + 1);
        market.expire(id);

        if (mask == 0) {
            _assertStatus(id, ITaskMarket.TaskStatus.Expired);
            assertEq(market.claimable(p.token, requester), p.budget);
        } else {
            _assertStatus(id, ITaskMarket.TaskStatus.Submitted);
            assertEq(market.claimable(p.token, requester), 0);
        }
        assertEq(_balance(p.token, address(market)), p.budget);
        uint256 slashed;
        for (uint256 i; i < p.replication; ++i) {
            INodeRegistry.Node memory n = registry.getNode(nodes[i]);
            bool submitted = (mask >> i) & 1 == 1;
            assertEq(uint256(n.locked), submitted ? COLLATERAL : 0, "submitters wait for settlement");
            assertEq(uint256(n.staked), submitted ? NODE_STAKE : NODE_STAKE - COLLATERAL);
            assertEq(uint256(reputation.reputationOf(nodes[i])), submitted ? 5000 : 4600, "missed");
            if (!submitted) slashed += COLLATERAL;
        }
        assertEq(registry.claimable(requester), 0, "penalties never flow to the requester");
        assertEq(registry.claimable(treasury), slashed);
        assertEq(nnt.balanceOf(address(registry)), registryBalance, "slashing moves no tokens");
    }

    /// @notice A published task can be expired exactly when it can no longer be assigned: after
    ///         its deadline, once applications closed with fewer than `r` eligible applicants, or
    ///         with less than the minimum execution window left.
    function testFuzz_expire_publishedOnlyOnceItCannotBeAssigned(uint256 budget, uint64 at, uint8 applicants) public {
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, 3, false);
        uint256 id = _publish(p);
        applicants = uint8(bound(applicants, 0, 5));
        _apply(id, applicants);
        at = uint64(bound(at, START, uint256(p.deadline) + 365 days));
        vm.warp(at);
        if (at < p.applyDeadline) {
            vm.expectRevert(abi.encodeWithSelector(ITaskMarket.ApplicationOpen.selector, id, p.applyDeadline));
        } else if (at <= p.deadline && applicants >= 3 && p.deadline - at >= 10 minutes) {
            // it can still be assigned with the minimum execution window left
            vm.expectRevert(abi.encodeWithSelector(ITaskMarket.DeadlineNotReached.selector, id, p.deadline));
        }
        market.expire(id);
    }

    // ================================================================ claim

    function testFuzz_claim_paysEachCreditExactlyOnce(uint256 ethBudget, uint256 tokenBudget, uint8 tasks) public {
        tasks = uint8(bound(tasks, 1, 5));
        ethBudget = bound(ethBudget, 1, MAX_ETH_BUDGET / tasks);
        tokenBudget = bound(tokenBudget, 1, 1_000_000e6 / tasks);
        ITaskMarket.TaskParams memory p = _params();
        vm.startPrank(requester);
        for (uint256 i; i < tasks; ++i) {
            p.token = address(0);
            p.budget = ethBudget;
            market.cancel(market.publish{value: ethBudget}(p));
            p.token = address(usdc);
            p.budget = tokenBudget;
            market.cancel(market.publish(p));
        }
        uint256 ethBefore = requester.balance;
        uint256 usdcBefore = usdc.balanceOf(requester);
        market.claim(address(0));
        market.claim(address(usdc));
        assertEq(requester.balance, ethBefore + ethBudget * tasks);
        assertEq(usdc.balanceOf(requester), usdcBefore + tokenBudget * tasks);
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NothingToClaimInToken.selector, requester, address(0)));
        market.claim(address(0));
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NothingToClaimInToken.selector, requester, address(usdc)));
        market.claim(address(usdc));
        vm.stopPrank();
        assertEq(address(market).balance, 0);
        assertEq(usdc.balanceOf(address(market)), 0);
    }

    // ================================================================ helpers

    function _fuzzParams(uint256 budget, uint8 r, bool useToken) internal returns (ITaskMarket.TaskParams memory p) {
        p = _params();
        p.replication = uint8(bound(r, 1, market.MAX_REPLICATION()));
        if (useToken) {
            p.token = address(usdc);
            p.budget = bound(budget, 1, MAX_TOKEN_BUDGET);
            usdc.mint(requester, p.budget);
        } else {
            p.budget = bound(budget, 1, MAX_ETH_BUDGET);
        }
    }

    /// @dev Digest i is one of four values picked by two bits of `seed`: covers unanimity,
    ///      strict majorities, ties and no agreement at all.
    function _fuzzDigests(uint256 r, uint256 seed) internal pure returns (bytes32[] memory d) {
        d = new bytes32[](r);
        for (uint256 i; i < r; ++i) {
            d[i] = keccak256(abi.encode("result", (seed >> (2 * i)) & 3));
        }
    }

    function _fuzzCase(Case memory c) internal returns (ITaskMarket.TaskParams memory p) {
        c.fee = uint16(bound(c.fee, 0, config.MAX_FEE_BPS()));
        config.setProtocolFee(c.fee);
        c.baseWeight = uint16(bound(c.baseWeight, config.MIN_BASE_WEIGHT_BPS(), BPS));
        c.qualityWeight = uint16(bound(c.qualityWeight, 0, BPS - c.baseWeight));
        // forge-lint: disable-next-line(unsafe-typecast)
        config.setSettlementWeights(c.baseWeight, c.qualityWeight, uint16(BPS - c.baseWeight - c.qualityWeight));
        c.quality = uint16(bound(c.quality, 0, BPS));
        c.reward = bound(c.reward, 0, 1e18);
        config.setRewardPerComputeUnit(c.reward);
        c.poolFunds = bound(c.poolFunds, 0, 1_000_000 * NNT);
        if (c.poolFunds != 0) {
            nnt.approve(address(pool), c.poolFunds);
            pool.fund(c.poolFunds);
        }

        p = _fuzzParams(c.budget, c.r, c.useToken);
        c.budget = p.budget;
        c.r = p.replication;
        c.computeUnits = uint64(bound(c.computeUnits, 1, type(uint64).max));
        p.computeUnits = c.computeUnits;
        for (uint256 i; i < p.replication; ++i) {
            vm.prank(nodes[i]);
            registry.setPrice(p.token, _price(c, i));
        }
    }

    /// @dev Node i's price: 0 (any price) one time in four, otherwise anywhere up to the largest
    ///      price that still fits the per-node share (so every node stays eligible).
    function _price(Case memory c, uint256 i) internal pure returns (uint256) {
        uint256 seed = uint256(keccak256(abi.encode(c.priceSeed, i)));
        if (seed % 4 == 0) return 0;
        uint256 maxPrice = c.budget / c.r / c.computeUnits;
        return maxPrice == 0 ? 0 : 1 + (seed >> 2) % maxPrice;
    }

    /// @dev Makes the reputation contract report a random 0..10000 for each of the first `r`
    ///      nodes (as if they had long histories).
    function _mockReputations(uint256 r, uint256 seed) internal returns (uint16[] memory reps) {
        reps = new uint16[](r);
        for (uint256 i; i < r; ++i) {
            reps[i] = uint16(uint256(keccak256(abi.encode(seed, i))) % (BPS + 1));
            vm.mockCall(address(reputation), abi.encodeCall(reputation.reputationOf, (nodes[i])), abi.encode(reps[i]));
        }
    }

    function _count(bytes32[] memory d, bytes32 digest) internal pure returns (uint256 c) {
        for (uint256 i; i < d.length; ++i) {
            if (d[i] == digest) ++c;
        }
    }

    function _settlement(uint256 id) internal returns (Settlement memory s) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(market) && logs[i].topics[0] == ITaskMarket.TaskSettled.selector) {
                assertEq(uint256(logs[i].topics[1]), id);
                (s.digest, s.paid, s.fee, s.refund) = abi.decode(logs[i].data, (bytes32, uint256, uint256, uint256));
                return s;
            }
        }
        assertTrue(false, "no TaskSettled event");
    }

    function _claimAll(address token, uint256 r) internal {
        address[] memory accounts = new address[](r + 2);
        for (uint256 i; i < r; ++i) {
            accounts[i] = nodes[i];
        }
        (accounts[r], accounts[r + 1]) = (treasury, requester);
        for (uint256 i; i < accounts.length; ++i) {
            uint256 owed = market.claimable(token, accounts[i]);
            if (owed == 0) continue;
            uint256 before = _balance(token, accounts[i]);
            vm.prank(accounts[i]);
            market.claim(token);
            assertEq(_balance(token, accounts[i]), before + owed);
        }
    }

    function _balance(address token, address account) internal view returns (uint256) {
        return token == address(0) ? account.balance : usdc.balanceOf(account);
    }
}
