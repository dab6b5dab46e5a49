// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Base} from "../Base.sol";
import {NNToken} from "../../src/NNToken.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {Arbitration} from "../../src/dispute/Arbitration.sol";
import {IArbitration} from "../../src/interfaces/IArbitration.sol";

/// @notice Challenges, votes, resolutions and claims in random order, beside {MarketHandler}'s
///         lifecycle steps. The handler bonds from its own NNT; `voters` have delegated votes.
///         Reverts are swallowed (an out-of-order step is part of a realistic sequence).
contract DisputeHandler is Base {
    NNToken internal immutable nnt;
    TaskMarket internal immutable market;
    Arbitration internal immutable arbitration;
    address[] internal voters;
    address[] internal accounts; // everyone who can be credited by the arbitration

    /// @notice NNT claimed from the arbitration contract.
    uint256 public claimedFromArbitration;
    /// @notice How many times each task was slashed (at most once).
    mapping(uint256 taskId => uint256) public slashings;
    /// @notice Votes that counted although their weight was borrowed across one block boundary
    ///         (the adversarial actor `borrowAndVote`): must stay 0.
    uint256 public borrowedVotesCounted;
    /// @notice The vote borrower's address.
    address public immutable borrower = address(uint160(uint256(keccak256("vote borrower"))));
    uint256 internal lastRepaid;

    constructor(
        NNToken nnt_,
        TaskMarket market_,
        Arbitration arbitration_,
        address[] memory voters_,
        address[] memory accounts_
    ) {
        nnt = nnt_;
        market = market_;
        arbitration = arbitration_;
        voters = voters_;
        accounts = accounts_;
        accounts.push(address(this));
        nnt.approve(address(arbitration), type(uint256).max);
    }

    function allAccounts() external view returns (address[] memory) {
        return accounts;
    }

    function challenge(uint256 task, uint256 bond, uint256 which) external {
        uint256 count = market.taskCount();
        if (count == 0) return;
        uint256 id = 1 + task % count;
        address[] memory assignees = market.assigneesOf(id);
        if (assignees.length == 0) return;
        bond = bound(bond, 10e18, 100e18);
        try arbitration.challenge(id, assignees[which % assignees.length], bond, "") {} catch {}
    }

    function vote(uint256 dispute, bool slash, uint256 who) external {
        uint256 count = arbitration.disputeCount();
        if (count == 0) return;
        vm.prank(voters[who % voters.length]);
        try arbitration.vote(1 + dispute % count, slash) {} catch {}
    }

    function resolve(uint256 dispute, uint256 blocks) external {
        uint256 count = arbitration.disputeCount();
        if (count == 0) return;
        uint256 id = 1 + dispute % count;
        vm.roll(block.number + bound(blocks, 0, 30));
        IArbitration.Dispute memory d = arbitration.getDispute(id);
        try arbitration.resolve(id) {
            if (arbitration.getDispute(id).status == IArbitration.DisputeStatus.Slashed) slashings[d.taskId]++;
        } catch {}
    }

    /// @notice A whole dispute on a random task: challenge, one vote (either way, or none),
    ///         the voting period mined through, resolution (random single steps rarely line up).
    function dispute(uint256 task, uint256 seed) external {
        uint256 before = arbitration.disputeCount();
        this.challenge(task, seed >> 8, seed >> 16);
        uint256 id = arbitration.disputeCount();
        if (id == before) return;
        vm.roll(arbitration.getDispute(id).snapshot + 1); // votes open after the snapshot
        if (seed % 3 != 0) this.vote(id - 1, seed % 2 == 0, seed >> 24);
        vm.roll(arbitration.getDispute(id).voteEnd + 1);
        this.resolve(id - 1, 0);
    }

    function claim(uint256 who) external {
        address account = accounts[who % accounts.length];
        uint256 owed = arbitration.claimable(account);
        vm.prank(account);
        try arbitration.claim() {
            claimedFromArbitration += owed;
        } catch {}
    }

    /// @notice A borrower of votes: takes `amount` NNT (a loan from the handler), delegates to
    ///         itself, lets one block pass, votes on a random open dispute, and repays in that
    ///         block; successive loans are separated by a block without one, so a sequence of
    ///         them can sit across a dispute's `heldSince` block and across its snapshot block
    ///         (the two blocks a two-point weight would sample). A vote that goes through
    ///         counted borrowed weight.
    ///         Half the time the borrower's accomplice challenges in the block after the loan
    ///         began and the borrower votes on that dispute at once (the audit's attack).
    function borrowAndVote(uint256 dispute, uint256 amount, bool slash) external {
        amount = bound(amount, 1e18, 50_000e18);
        if (nnt.balanceOf(address(this)) < amount + 100e18) return;
        // one loan per block boundary: a block with nothing borrowed between two loans (back to
        // back loans are one long loan, which may count once it spans the whole voting delay)
        if (block.number <= lastRepaid) vm.roll(lastRepaid + 1);
        assertTrue(nnt.transfer(borrower, amount));
        vm.prank(borrower);
        nnt.delegate(borrower);
        vm.roll(block.number + 1);
        if (dispute % 2 == 0) this.challenge(dispute >> 1, dispute >> 8, dispute >> 16);
        uint256 count = arbitration.disputeCount();
        uint256 id = dispute % 2 == 0 ? count : 1 + (dispute >> 1) % (count == 0 ? 1 : count);
        vm.prank(borrower);
        try arbitration.vote(id, slash) {
            borrowedVotesCounted++;
        } catch {}
        vm.prank(borrower);
        assertTrue(nnt.transfer(address(this), amount));
        lastRepaid = block.number;
    }
}
