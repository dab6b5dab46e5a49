// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "../src/interfaces/IBoundRoles.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {DeployProfiles} from "./DeployProfiles.sol";
import {DisputeFixture} from "./DisputeFixture.sol";
import {NNCGovernor} from "../src/governance/NNCGovernor.sol";
import {NNCTimelock} from "../src/governance/NNCTimelock.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IRewardsPool} from "../src/interfaces/IRewardsPool.sol";

/// @notice Governance capture by borrowed votes. The attacker borrows NNT for one block (from the
///         test contract, which plays the lender), delegates it, and tries to pass a proposal that
///         grants itself the registry's MARKET_ROLE, then locks and slashes a node's whole stake.
///         Every other holder stays passive: the attack must fail on the parameters and roles
///         alone, for both deploy profiles of `nnc.chain.deploy` (mirrored in {DeployProfiles}).
contract GovernanceCaptureTest is DisputeFixture, DeployProfiles {
    NNCGovernor internal governor;
    NNCTimelock internal timelock;
    address internal attacker;

    function setUp() public override {
        super.setUp();
        attacker = makeAddr("attacker");
    }

    // ---------------------------------------------------------------- the one-block-loan attack

    function test_devnetProfile_oneBlockLoanOf5Percent_takesNoStake() public {
        _deployDevnet();
        _assertAttackFails(nnt.totalSupply() / 20);
    }

    function test_devnetProfile_oneBlockLoanOf20Percent_takesNoStake() public {
        _deployDevnet();
        _assertAttackFails(nnt.totalSupply() / 5);
    }

    function test_productionProfile_oneBlockLoanOf5Percent_takesNoStake() public {
        _deployProduction();
        _assertAttackFails(nnt.totalSupply() / 20);
    }

    function test_productionProfile_oneBlockLoanOf20Percent_takesNoStake() public {
        _deployProduction();
        _assertAttackFails(nnt.totalSupply() / 5);
    }

    /// @dev Why: the proposal threshold counts only what was held for a voting delay before
    ///      proposing, so a loan across the block before the proposal does not meet it.
    function test_productionProfile_oneBlockLoan_cannotCreateAProposal() public {
        _deployProduction();
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(registry), abi.encodeCall(registry.setMinStake, (1)));
        _lend(nnt.totalSupply() / 5);
        vm.roll(block.number + 1);
        vm.prank(attacker);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorInsufficientProposerVotes.selector, attacker, 0, PRODUCTION_PROPOSAL_THRESHOLD
            )
        );
        governor.propose(t, v, c, "min stake 1 wei");
    }

    /// @dev Why: a vote counts only what was held from before the proposal until its snapshot,
    ///      so a loan across the snapshot block weighs nothing; a holder since before the
    ///      proposal (the juror, 10%) votes with its whole balance.
    function test_devnetProfile_loanAtTheSnapshot_weighsNothing_holderVotesWhole() public {
        _deployDevnet();
        _assertLoanAtTheSnapshotWeighsNothing();
    }

    function test_productionProfile_loanAtTheSnapshot_weighsNothing_holderVotesWhole() public {
        _deployProduction();
        _assertLoanAtTheSnapshotWeighsNothing();
    }

    /// @dev The lower of the votes at two known blocks (the snapshot and a voting delay before
    ///      it) was not enough: one one-block loan across each of them counted in full. A vote
    ///      now counts what was held at every block between them.
    function test_devnetProfile_twoOneBlockLoansAtTheSampledBlocks_weighNothing() public {
        _deployDevnet();
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(registry), abi.encodeCall(registry.setMinStake, (1)));
        uint256 loan = nnt.totalSupply() / 5;
        uint256 lookback = governor.votingDelay() + 1;
        _lend(loan); // loan 1 across the block `lookback` before the snapshot
        vm.roll(block.number + 1);
        _repay();
        uint256 id = governor.propose(t, v, c, "min stake 1 wei"); // by the test contract
        uint256 snapshot = governor.proposalSnapshot(id);
        assertEq(snapshot - lookback, block.number - 1, "loan 1 sits on the first sampled block");
        vm.roll(snapshot);
        _lend(loan); // loan 2 across the snapshot
        vm.roll(snapshot + 1);
        _repay();
        assertEq(nnt.getPastVotes(attacker, snapshot - lookback), loan, "the token sees loan 1");
        assertEq(nnt.getPastVotes(attacker, snapshot), loan, "and loan 2");
        assertEq(governor.getVotes(attacker, snapshot), 0, "the governor counts neither");
    }

    /// @dev On the fast devnet profile a loan held through the whole voting delay (three blocks)
    ///      does count, and passes the proposal: the bound market role still cannot be granted.
    function test_devnetProfile_loanThroughTheDelay_passesButCannotGrantTheMarketRole() public {
        _deployDevnet();
        bytes32 role = registry.MARKET_ROLE();
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(registry), abi.encodeCall(registry.grantRole, (role, attacker)));
        bytes32 descriptionHash = keccak256("routine maintenance");
        _lend(nnt.totalSupply() / 20);
        vm.roll(block.number + 1);
        vm.prank(attacker);
        uint256 id = governor.propose(t, v, c, "routine maintenance");
        vm.roll(governor.proposalSnapshot(id) + 1);
        _repay();
        vm.prank(attacker);
        governor.castVote(id, 1);
        vm.roll(governor.proposalDeadline(id) + 1);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Succeeded), "passed");
        governor.queue(t, v, c, descriptionHash);
        vm.warp(block.timestamp + timelock.getMinDelay());
        vm.expectRevert(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role));
        governor.execute(t, v, c, descriptionHash);
        assertFalse(registry.hasRole(role, attacker));
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE, "stake whole");
    }

    // ---------------------------------------------------------------- even a passed proposal

    /// @dev With the devnet profile's fast vote, the majority holder (the test contract) passes a
    ///      proposal granting the attacker MARKET_ROLE: its execution reverts, nothing moves.
    function test_devnetProfile_passedProposal_cannotGrantTheMarketRole() public {
        _deployDevnet();
        bytes32 role = registry.MARKET_ROLE();
        (bool executed, bytes memory reason) =
            _passAndExecute(address(registry), abi.encodeCall(registry.grantRole, (role, attacker)));
        assertFalse(executed);
        assertEq(keccak256(reason), keccak256(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role)));
        assertFalse(registry.hasRole(role, attacker));
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE, "stake whole");
    }

    /// @dev The same for the rewards pool's REWARDER_ROLE, which credits pool NNT to anyone.
    function test_devnetProfile_passedProposal_cannotGrantTheRewarderRole() public {
        _deployDevnet();
        bytes32 role = pool.REWARDER_ROLE();
        (bool executed, bytes memory reason) =
            _passAndExecute(address(pool), abi.encodeCall(pool.grantRole, (role, attacker)));
        assertFalse(executed);
        assertEq(keccak256(reason), keccak256(abi.encodeWithSelector(IBoundRoles.BoundRole.selector, role)));
        assertFalse(pool.hasRole(role, attacker));
    }

    /// @dev And the timelock cannot slash by itself: it holds no market role.
    function test_devnetProfile_passedProposal_cannotSlashDirectly() public {
        _deployDevnet();
        _registerAndStake(attacker, MIN_STAKE, NODE_CLASS); // any registered address
        (bool executed, bytes memory reason) = _passAndExecute(
            address(registry), abi.encodeCall(registry.slashCollateral, (nodes[0], 0, COLLATERAL, attacker))
        );
        assertFalse(executed);
        bytes memory denied = abi.encodeWithSignature(
            "AccessControlUnauthorizedAccount(address,bytes32)", address(timelock), registry.MARKET_ROLE()
        );
        assertEq(keccak256(reason), keccak256(denied));
        assertEq(registry.getNode(nodes[0]).staked, NODE_STAKE, "stake whole");
    }

    // ---------------------------------------------------------------- helpers

    function _deployDevnet() internal {
        _deployGovernance(
            DEVNET_GOVERNOR_VOTING_DELAY,
            DEVNET_GOVERNOR_VOTING_PERIOD,
            DEVNET_PROPOSAL_THRESHOLD,
            DEVNET_QUORUM_PERCENT,
            DEVNET_TIMELOCK_DELAY
        );
    }

    function _deployProduction() internal {
        _deployGovernance(
            PRODUCTION_GOVERNOR_VOTING_DELAY,
            PRODUCTION_GOVERNOR_VOTING_PERIOD,
            PRODUCTION_PROPOSAL_THRESHOLD,
            PRODUCTION_QUORUM_PERCENT,
            PRODUCTION_TIMELOCK_DELAY
        );
    }

    /// @dev As `nnc.chain.governance.deploy_governance` wires it: the governor proposes and
    ///      cancels on the timelock, anyone executes, the timelock administers every contract and
    ///      the deployer (the test contract) keeps no admin role.
    function _deployGovernance(uint48 delay, uint32 period, uint256 threshold, uint256 quorum, uint256 minDelay)
        internal
    {
        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1);
        timelock = new NNCTimelock(minDelay, none, anyone, address(this));
        governor = new NNCGovernor(nnt, timelock, delay, period, threshold, quorum);
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        bytes32 admin = timelock.DEFAULT_ADMIN_ROLE();
        timelock.renounceRole(admin, address(this));
        registry.grantRole(admin, address(timelock));
        registry.renounceRole(admin, address(this));
        reputation.grantRole(admin, address(timelock));
        reputation.renounceRole(admin, address(this));
        pool.grantRole(admin, address(timelock));
        pool.renounceRole(admin, address(this));
        market.grantRole(admin, address(timelock));
        market.renounceRole(admin, address(this));
        arbitration.grantRole(admin, address(timelock));
        arbitration.renounceRole(admin, address(this));
        spotCheck.grantRole(admin, address(timelock));
        spotCheck.renounceRole(admin, address(this));
        // the holders of the fixture (delegated in its setUp) have held for a voting delay
        vm.roll(block.number + delay + 2);
    }

    function _assertLoanAtTheSnapshotWeighsNothing() internal {
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(registry), abi.encodeCall(registry.setMinStake, (1)));
        uint256 id = governor.propose(t, v, c, "min stake 1 wei"); // by the test contract
        uint256 snapshot = governor.proposalSnapshot(id);
        vm.roll(snapshot);
        _lend(nnt.totalSupply() / 5);
        vm.roll(snapshot + 1);
        _repay();
        assertEq(nnt.getPastVotes(attacker, snapshot), nnt.totalSupply() / 5, "the token sees the loan");
        assertEq(governor.getVotes(attacker, snapshot), 0, "the governor does not");
        vm.prank(attacker);
        governor.castVote(id, 1);
        vm.prank(juror);
        governor.castVote(id, 0);
        (uint256 against, uint256 forVotes,) = governor.proposalVotes(id);
        assertEq(forVotes, 0, "no borrowed weight");
        assertEq(against, nnt.totalSupply() / 10, "the juror's whole 10%");
    }

    function _assertAttackFails(uint256 loan) internal {
        address victim = nodes[0];
        uint256 attackerBefore = nnt.balanceOf(attacker);
        bool taken = _attack(loan, victim);
        assertFalse(taken, "the attacker took the stake");
        assertFalse(registry.hasRole(registry.MARKET_ROLE(), attacker), "market role granted");
        assertEq(registry.getNode(victim).staked, NODE_STAKE, "stake whole");
        assertEq(registry.claimable(attacker), 0, "nothing slashed to the attacker");
        assertEq(nnt.balanceOf(attacker), attackerBefore, "loan repaid, nothing gained");
    }

    /// @dev One-block loans wherever a vote weight is read: across the block before the proposal
    ///      (the proposal threshold) and across the proposal's snapshot block (the vote). Returns
    ///      whether the attacker ended with `victim`'s stake.
    function _attack(uint256 loan, address victim) internal returns (bool) {
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(registry), abi.encodeCall(registry.grantRole, (registry.MARKET_ROLE(), attacker)));
        string memory description = "routine maintenance";
        bytes32 descriptionHash = keccak256(bytes(description));

        _lend(loan); // block N-1
        vm.roll(block.number + 1);
        uint256 id;
        vm.prank(attacker);
        try governor.propose(t, v, c, description) returns (uint256 proposalId) {
            id = proposalId;
        } catch {
            _repay();
            return false;
        }
        _repay(); // block N

        vm.roll(governor.proposalSnapshot(id));
        _lend(loan); // block S
        vm.roll(block.number + 1);
        _repay(); // block S+1
        vm.prank(attacker);
        governor.castVote(id, 1);

        vm.roll(governor.proposalDeadline(id) + 1);
        if (governor.state(id) != IGovernor.ProposalState.Succeeded) return false;
        governor.queue(t, v, c, descriptionHash);
        vm.warp(block.timestamp + timelock.getMinDelay());
        try governor.execute(t, v, c, descriptionHash) {}
        catch {
            return false;
        }

        vm.startPrank(attacker);
        registry.lockCollateral(victim, 0, registry.freeStake(victim));
        registry.slashCollateral(victim, 0, registry.getNode(victim).locked, attacker);
        registry.claim();
        vm.stopPrank();
        return registry.getNode(victim).staked == 0;
    }

    /// @dev The test contract (the majority holder) proposes, votes for, queues and executes one
    ///      call; returns whether the execution went through, and its revert data if not.
    function _passAndExecute(address target, bytes memory data) internal returns (bool, bytes memory) {
        (address[] memory t, uint256[] memory v, bytes[] memory c) = _one(target, data);
        string memory description = "a call";
        bytes32 descriptionHash = keccak256(bytes(description));
        uint256 id = governor.propose(t, v, c, description);
        vm.roll(governor.proposalSnapshot(id) + 1);
        governor.castVote(id, 1);
        vm.roll(governor.proposalDeadline(id) + 1);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Succeeded), "passed");
        governor.queue(t, v, c, descriptionHash);
        vm.warp(block.timestamp + timelock.getMinDelay());
        try governor.execute(t, v, c, descriptionHash) {
            return (true, "");
        } catch (bytes memory reason) {
            return (false, reason);
        }
    }

    function _lend(uint256 amount) internal {
        assertTrue(nnt.transfer(attacker, amount));
        vm.prank(attacker);
        nnt.delegate(attacker);
    }

    function _repay() internal {
        uint256 amount = nnt.balanceOf(attacker);
        vm.prank(attacker);
        assertTrue(nnt.transfer(address(this), amount));
    }

    function _one(address target, bytes memory data)
        internal
        pure
        returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas)
    {
        targets = new address[](1);
        values = new uint256[](1);
        calldatas = new bytes[](1);
        (targets[0], calldatas[0]) = (target, data);
    }
}
