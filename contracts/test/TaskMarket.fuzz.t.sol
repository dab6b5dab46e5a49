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

    function testFuzz_settle_conservesEscrow(uint256 budget, uint8 r, uint16 fee, uint256 digestSeed, bool useToken)
        public
    {
        fee = uint16(bound(fee, 0, market.MAX_FEE_BPS()));
        market.setProtocolFee(fee);
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, r, useToken);
        uint256 id = _assigned(p);
        bytes32[] memory digests = _fuzzDigests(p.replication, digestSeed);
        _submitAll(id, digests);

        vm.recordLogs();
        market.settle(id);
        Settlement memory s = _settlement(id);

        assertEq(s.paid + s.fee + s.refund, p.budget, "paid + fee + refund == budget");
        assertEq(market.getTask(id).resultDigest, s.digest);
        uint256 winners = _count(digests, s.digest);
        assertTrue(s.digest == bytes32(0) || winners * 2 > p.replication, "strict majority");
        uint256 share = p.budget / p.replication;
        uint256 shareFee = share * fee / 10_000;
        assertEq(s.paid, winners * (share - shareFee));
        assertEq(s.fee, winners * shareFee);
        assertEq(market.claimable(p.token, treasury), s.fee);
        assertEq(market.claimable(p.token, requester), s.refund);

        uint256 owedToNodes;
        for (uint256 i; i < p.replication; ++i) {
            uint256 owed = market.claimable(p.token, nodes[i]);
            assertEq(owed, digests[i] == s.digest ? share - shareFee : 0);
            owedToNodes += owed;
            assertEq(registry.freeStake(nodes[i]), NODE_STAKE, "collateral released");
        }
        assertEq(owedToNodes, s.paid);
        assertEq(_balance(p.token, address(market)), owedToNodes + s.fee + s.refund, "balance == claimables");

        _claimAll(p.token, p.replication);
        assertEq(_balance(p.token, address(market)), 0, "claims drain the market");
    }

    // ================================================================ expire

    function testFuzz_expire_refundsBudgetAndSlashesNonSubmitters(
        uint256 budget,
        uint8 r,
        uint8 submittedMask,
        bool useToken
    ) public {
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

        _assertStatus(id, ITaskMarket.TaskStatus.Expired);
        assertEq(market.claimable(p.token, requester), p.budget);
        assertEq(_balance(p.token, address(market)), p.budget);
        uint256 slashed;
        for (uint256 i; i < p.replication; ++i) {
            INodeRegistry.Node memory n = registry.getNode(nodes[i]);
            assertEq(uint256(n.locked), 0);
            bool submitted = (mask >> i) & 1 == 1;
            assertEq(uint256(n.staked), submitted ? NODE_STAKE : NODE_STAKE - COLLATERAL);
            if (!submitted) slashed += COLLATERAL;
        }
        assertEq(registry.claimable(requester), slashed);
        assertEq(nnt.balanceOf(address(registry)), registryBalance, "slashing moves no tokens");

        vm.startPrank(requester);
        market.claim(p.token);
        registry.claim();
        vm.stopPrank();
        assertEq(nnt.balanceOf(requester), slashed);
        assertEq(nnt.balanceOf(address(registry)), registryBalance - slashed);
        assertEq(_balance(p.token, address(market)), 0);
    }

    function testFuzz_expire_revertsUntilDeadlinePassed(uint256 budget, uint64 at) public {
        ITaskMarket.TaskParams memory p = _fuzzParams(budget, 3, false);
        uint256 id = _publish(p);
        at = uint64(bound(at, START, uint256(p.deadline) + 365 days));
        vm.warp(at);
        if (at <= p.deadline) {
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
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NothingToClaim.selector, requester, address(0)));
        market.claim(address(0));
        vm.expectRevert(abi.encodeWithSelector(ITaskMarket.NothingToClaim.selector, requester, address(usdc)));
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
