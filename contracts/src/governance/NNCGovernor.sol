// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {HeldVotes, ICheckpointedVotes} from "../libraries/HeldVotes.sol";
import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {
    GovernorVotesQuorumFraction
} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title NNCGovernor
/// @notice The NNC DAO: NNT holders propose and vote; accepted proposals are queued in and
///         executed by the {TimelockController}, which holds DEFAULT_ADMIN_ROLE on every protocol
///         contract (fees, weights, minimum stake, windows, allow-lists, oracle and verifier roles,
///         arbitration parameters).
/// @dev OpenZeppelin's Governor assembled as its wizard does: settings (voting delay and period in
///      blocks, proposal threshold), simple counting, ERC20Votes weights, a quorum fraction of the
///      supply, and timelock control. The settings are themselves changeable only by proposal.
///      One addition: an account's weight at a timepoint is the least of its votes at every block
///      from `votingDelay() + 1` blocks earlier to then ({_getVotes}, {HeldVotes}). A vote thus counts only what was
///      held (delegated) from before the proposal was made until its snapshot, and the proposal
///      threshold only what was held for a voting delay before proposing: a loan repaid within a
///      block, or within any stretch shorter than the voting delay, carries no weight, whichever
///      block it spans.
contract NNCGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @param token NNT (ERC20Votes, block-number clock).
    /// @param timelock The timelock that executes proposals (grant this governor its proposer and
    ///        canceller roles).
    /// @param votingDelay Blocks between a proposal and the start of its vote.
    /// @param votingPeriod Blocks the vote lasts.
    /// @param threshold Votes needed to propose.
    /// @param quorumPercent Percent of the supply that must vote (for + abstain).
    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 votingDelay,
        uint32 votingPeriod,
        uint256 threshold,
        uint256 quorumPercent
    )
        Governor("NNC Governor")
        GovernorSettings(votingDelay, votingPeriod, threshold)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumPercent)
        GovernorTimelockControl(timelock)
    {}

    /// @dev The votes `account` held throughout the blocks from `votingDelay() + 1` before
    ///      `timepoint` to `timepoint` (the least of them, {HeldVotes}). For a vote, `timepoint` is the proposal's snapshot, `votingDelay`
    ///      blocks after the proposal block: the earlier point is the block before the proposal.
    ///      For the proposal threshold, `timepoint` is the block before proposing.
    function _getVotes(address account, uint256 timepoint, bytes memory params)
        internal
        view
        override(Governor, GovernorVotes)
        returns (uint256)
    {
        params; // unused: weights are plain delegated votes
        uint256 lookback = votingDelay() + 1;
        uint256 from = timepoint > lookback ? timepoint - lookback : 0;
        return HeldVotes.held(ICheckpointedVotes(address(token())), account, from, timepoint);
    }

    // The overrides below only resolve the diamond between the extensions (as OpenZeppelin's
    // wizard writes them).

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
