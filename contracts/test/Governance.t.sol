// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {DisputeFixture} from "./DisputeFixture.sol";
import {NNCGovernor} from "../src/governance/NNCGovernor.sol";
import {NNCTimelock} from "../src/governance/NNCTimelock.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";

/// @notice The governor and timelock own every parameter: after the hand-over, the former admin
///         can change nothing, and a proposal changes a parameter only after vote, queue and delay.
contract GovernanceTest is DisputeFixture {
    uint48 internal constant VOTING_DELAY = 1;
    uint32 internal constant GOV_VOTING_PERIOD = 50;
    uint256 internal constant MIN_DELAY = 2 days;

    NNCGovernor internal governor;
    NNCTimelock internal timelock;

    function setUp() public override {
        super.setUp();
        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1); // address(0): anyone may execute
        timelock = new NNCTimelock(MIN_DELAY, none, anyone, address(this));
        governor = new NNCGovernor(nnt, timelock, VOTING_DELAY, GOV_VOTING_PERIOD, 0, 4);
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), address(this));
        bytes32 admin = market.DEFAULT_ADMIN_ROLE();
        market.grantRole(admin, address(timelock));
        config.grantRole(admin, address(timelock));
        registry.grantRole(admin, address(timelock));
        arbitration.grantRole(admin, address(timelock));
        market.renounceRole(admin, address(this));
        config.renounceRole(admin, address(this));
        registry.renounceRole(admin, address(this));
        arbitration.renounceRole(admin, address(this));
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

    function test_fullCycle_changesTheProtocolFee_onlyAfterTheTimelock() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(config), abi.encodeCall(config.setProtocolFee, (500)));
        string memory description = "Raise the protocol fee to 5%";
        bytes32 descriptionHash = keccak256(bytes(description));
        uint256 id = governor.propose(t, v, c, description);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Pending));

        vm.roll(block.number + VOTING_DELAY + 1);
        governor.castVote(id, 1); // for
        vm.prank(juror);
        governor.castVote(id, 0); // against, outweighed
        vm.roll(block.number + GOV_VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Succeeded));

        governor.queue(t, v, c, descriptionHash);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Queued));
        vm.expectRevert();
        governor.execute(t, v, c, descriptionHash); // the delay has not passed
        assertEq(config.settlementParams().protocolFeeBps, FEE_BPS, "unchanged while queued");

        vm.warp(block.timestamp + MIN_DELAY);
        governor.execute(t, v, c, descriptionHash);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Executed));
        assertEq(config.settlementParams().protocolFeeBps, 500, "changed by the timelock");
    }

    function test_defeatedProposal_changesNothing() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(registry), abi.encodeCall(registry.setMinStake, (1)));
        uint256 id = governor.propose(t, v, c, "Min stake 1 wei");
        vm.roll(block.number + VOTING_DELAY + 1);
        governor.castVote(id, 0);
        vm.roll(block.number + GOV_VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Defeated));
        vm.expectRevert();
        governor.queue(t, v, c, keccak256("Min stake 1 wei"));
        assertEq(registry.minStake(), MIN_STAKE);
    }

    function test_formerAdmin_cannotChangeParameters() public {
        bytes32 admin = market.DEFAULT_ADMIN_ROLE();
        bytes memory denied =
            abi.encodeWithSignature("AccessControlUnauthorizedAccount(address,bytes32)", address(this), admin);
        vm.expectRevert(denied);
        config.setProtocolFee(500);
        vm.expectRevert(denied);
        registry.setMinStake(1);
        vm.expectRevert(denied);
        arbitration.setParams(_arbitrationParams());
        bytes32 oracleRole = market.ORACLE_ROLE();
        vm.expectRevert(denied);
        market.grantRole(oracleRole, stranger);
    }

    function test_timelock_cannotBeBypassed_byDirectSchedule() public {
        bytes memory data = abi.encodeCall(config.setProtocolFee, (500));
        vm.expectRevert();
        timelock.schedule(address(config), 0, data, bytes32(0), bytes32(0), MIN_DELAY);
    }

    function test_fullCycle_setsArbitrationShares() public {
        IArbitration.Params memory p = _arbitrationParams();
        p.challengerShareBps = 2000;
        (address[] memory t, uint256[] memory v, bytes[] memory c) =
            _one(address(arbitration), abi.encodeCall(arbitration.setParams, (p)));
        uint256 id = governor.propose(t, v, c, "challenger share 20%");
        vm.roll(block.number + VOTING_DELAY + 1);
        governor.castVote(id, 1);
        vm.roll(block.number + GOV_VOTING_PERIOD);
        governor.queue(t, v, c, keccak256("challenger share 20%"));
        vm.warp(block.timestamp + MIN_DELAY);
        governor.execute(t, v, c, keccak256("challenger share 20%"));
        assertEq(arbitration.params().challengerShareBps, 2000);
    }
}
