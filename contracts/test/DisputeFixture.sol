// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Fixture.sol";
import {Arbitration} from "../src/dispute/Arbitration.sol";
import {SpotCheck} from "../src/verification/SpotCheck.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice The protocol of {Fixture} plus arbitration and spot-checking, wired as
///         `nnc.chain.deploy` wires them. The test contract holds most of the NNT supply and
///         delegates its votes to itself; `juror` holds 10% of the supply, delegated.
abstract contract DisputeFixture is Fixture {
    uint96 internal constant MIN_BOND = 10e18;
    uint32 internal constant DISPUTE_VOTING_DELAY = 1; // blocks (the devnet profile's)
    uint32 internal constant VOTING_PERIOD = 20; // blocks
    uint16 internal constant QUORUM_BPS = 400; // 4% of the supply
    uint16 internal constant CHALLENGER_BPS = 5000;
    uint16 internal constant REQUESTER_BPS = 3000;
    uint16 internal constant NODE_BOND_BPS = 8000;
    uint64 internal constant REPORT_WINDOW = 1 hours;
    uint64 internal constant VERIFICATION_TIMEOUT = 1 days;
    bytes32 internal constant HONEST = keccak256("honest model");

    Arbitration internal arbitration;
    SpotCheck internal spotCheck;
    address internal challenger;
    address internal juror;

    function setUp() public virtual override {
        super.setUp();
        vm.roll(100);
        challenger = makeAddr("challenger");
        juror = makeAddr("juror");
        arbitration = new Arbitration(market, registry, nnt, treasury, _arbitrationParams(), address(this));
        spotCheck = new SpotCheck(
            market, registry, reputation, arbitration, REPORT_WINDOW, VERIFICATION_TIMEOUT, address(this)
        );
        address[] memory resolvers = new address[](2);
        (resolvers[0], resolvers[1]) = (address(arbitration), address(spotCheck));
        market.bindDisputeResolvers(resolvers);
        arbitration.grantRole(arbitration.OPENER_ROLE(), address(spotCheck));
        reputation.grantRole(reputation.REPORTER_ROLE(), address(spotCheck));

        assertTrue(nnt.transfer(challenger, 1_000 * NNT));
        vm.prank(challenger);
        nnt.approve(address(arbitration), type(uint256).max);
        assertTrue(nnt.transfer(juror, nnt.totalSupply() / 10));
        vm.prank(juror);
        nnt.delegate(juror);
        nnt.delegate(address(this));
        vm.roll(block.number + 1);
    }

    function _arbitrationParams() internal pure returns (IArbitration.Params memory) {
        return IArbitration.Params({
            minBond: MIN_BOND,
            votingDelay: DISPUTE_VOTING_DELAY,
            votingPeriod: VOTING_PERIOD,
            quorumBps: QUORUM_BPS,
            challengerShareBps: CHALLENGER_BPS,
            requesterShareBps: REQUESTER_BPS,
            nodeBondShareBps: NODE_BOND_BPS
        });
    }

    /// @dev A single-trainer ETH task, assigned to nodes[0] and submitted.
    function _submittedSingle() internal returns (uint256 taskId) {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        taskId = _assigned(p);
        _submit(taskId, nodes[0], HONEST);
    }

    function _challenge(uint256 taskId, address node) internal returns (uint256 disputeId) {
        vm.prank(challenger);
        disputeId = arbitration.challenge(taskId, node, MIN_BOND, "ipfs://evidence");
    }

    /// @dev Moves to the first block in which votes on the dispute count.
    function _openVoting(uint256 disputeId) internal {
        uint256 first = uint256(arbitration.getDispute(disputeId).snapshot) + 1;
        if (block.number < first) vm.roll(first);
    }

    /// @dev Votes as the test contract (most of the supply) once voting opens, and ends the
    ///      voting period.
    function _decide(uint256 disputeId, bool slash) internal {
        _openVoting(disputeId);
        arbitration.vote(disputeId, slash);
        vm.roll(arbitration.getDispute(disputeId).voteEnd + 1);
        arbitration.resolve(disputeId);
    }
}
