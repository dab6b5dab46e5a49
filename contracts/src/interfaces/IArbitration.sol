// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "./ITaskMarket.sol";

/// @title IArbitration
/// @notice Challenges of submitted results and their arbitration by NNT holders.
/// @dev A challenge (anyone, with an NNT bond of at least `minBond`, until the task's
///      `challengeEndsAt`) or a failed spot-check (the spot-check contract, no bond) opens a
///      dispute. Against a result (task Submitted, or Verifying after a tie) it holds the task as
///      Disputed in the market: settlement cannot run, so the node's collateral stays locked
///      until the dispute is resolved. Against a frozen node of a settled task (outvoted where
///      results are proven, within the freeze window) it holds that node's collateral (Held).
///      NNT holders vote with the ERC20Votes weight they held throughout the blocks from the one
///      before the dispute opened (`heldSince`) to the snapshot, `votingDelay` blocks after the
///      opening block (the least of them); votes are accepted once the clock has passed the snapshot
///      and for `votingPeriod` blocks after it. Weight borrowed for less than the voting delay
///      (around the challenge, or across the snapshot block) counts for nothing.
///      Upheld (quorum reached and more weight to slash than to release): the market takes the
///      node out of the task (its share goes back to the requester at settlement; the other
///      nodes are settled as usual) and slashes its collateral to this contract, which credits the
///      challenger its bond plus `challengerShareBps` of the slashed stake, the requester
///      `requesterShareBps`, and the treasury the rest. Otherwise released: the task resumes (or
///      the held collateral is released), the node is credited `nodeBondShareBps` of the bond and
///      the treasury the rest. All NNT moves by pull payment (`claim`); the contract holds, in NNT,
///      exactly `sum(bonds of open disputes) + sum(claimable)`.
interface IArbitration {
    enum DisputeStatus {
        None,
        Open,
        Slashed,
        Released
    }

    struct Dispute {
        uint256 taskId;
        address node;
        uint96 bond;
        address challenger;
        uint48 heldSince; // the block before the opening one: weights must be held here as well
        uint48 snapshot; // vote weights are read at this block: the opening block + votingDelay
        uint48 voteEnd; // last block in which votes count: snapshot + votingPeriod
        DisputeStatus status;
        uint256 slashVotes;
        uint256 releaseVotes;
        bool frozen; // against a frozen node of a settled task (not the task's result)
    }

    /// @notice What a quality challenge claims the score should be (`node` of its dispute is 0).
    struct QualityClaim {
        uint16 score;
        bool accepted;
        bool open; // a quality challenge (set once)
    }

    /// @notice Governance-set parameters (shares in basis points).
    struct Params {
        uint96 minBond;
        uint32 votingDelay; // blocks from the opening block to the snapshot (at least 1)
        uint32 votingPeriod; // blocks from the snapshot to the end of the vote (at least 1)
        uint16 quorumBps; // of the NNT supply at the snapshot (1..10000)
        uint16 challengerShareBps; // of the slashed collateral
        uint16 requesterShareBps; // of the slashed collateral
        uint16 nodeBondShareBps; // of the bond, on release
    }

    event DisputeOpened(
        uint256 indexed disputeId,
        uint256 indexed taskId,
        address indexed node,
        address challenger,
        uint256 bond,
        uint48 snapshot,
        uint48 voteEnd,
        string evidenceURI
    );
    /// @notice Dispute `disputeId` challenges `taskId`'s quality report: the challenger says it
    ///         should be `score` (and `accepted`). Upheld: it is, and the bond comes back; else the
    ///         report stands and the bond goes to the treasury.
    event QualityChallenged(uint256 indexed disputeId, uint256 indexed taskId, uint16 score, bool accepted);
    event VoteCast(uint256 indexed disputeId, address indexed voter, bool slash, uint256 weight);
    event DisputeResolved(uint256 indexed disputeId, bool slashed, uint256 slashVotes, uint256 releaseVotes);
    event Credited(uint256 indexed disputeId, address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount` of `token` (NNT here), the same shape in every contract that pays out.
    event Claimed(address indexed account, address indexed token, uint256 amount);
    event ParamsSet(Params params);
    event TreasurySet(address treasury);

    error BondTooSmall(uint256 bond, uint256 minBond);
    error InvalidScore(uint16 score);
    error NotChallengeable(uint256 taskId, ITaskMarket.TaskStatus status);
    error ChallengeWindowClosed(uint256 taskId, uint64 endedAt);
    error NoResult(uint256 taskId, address node);
    error UnknownDispute(uint256 disputeId);
    error DisputeNotOpen(uint256 disputeId, DisputeStatus status);
    error VotingNotStarted(uint256 disputeId, uint48 snapshot);
    error VotingClosed(uint256 disputeId, uint48 voteEnd);
    error VotingOpen(uint256 disputeId, uint48 voteEnd);
    error AlreadyVoted(uint256 disputeId, address voter);
    error NoVotingPower(uint256 disputeId, address voter);
    error InvalidShares(uint16 challengerBps, uint16 requesterBps, uint16 nodeBondBps);
    error InvalidVoting(uint32 votingDelay, uint32 votingPeriod, uint16 quorumBps);
    error NothingToClaim(address account);
    error ZeroAddress();

    /// @notice Challenges `node`'s result for `taskId`, bonding `bond` NNT (approved beforehand):
    ///         a task Submitted or Verifying, or a frozen node of a Settled task, before the
    ///         task's `challengeEndsAt`.
    /// @param evidenceURI Where the challenger's evidence lives (emitted, not stored).
    /// @return disputeId The new dispute's id (ids start at 1).
    function challenge(uint256 taskId, address node, uint256 bond, string calldata evidenceURI)
        external
        returns (uint256 disputeId);

    /// @notice Challenges the quality score (and acceptance) reported for `taskId` — by an
    ///         oracle or the requester — claiming it should be `score` (`accepted`), bonding
    ///         `bond` NNT; the task must be Submitted and before its `challengeEndsAt`. Anyone can
    ///         re-run a public task's evaluation, so no single scorer moves money unchecked.
    function challengeQuality(uint256 taskId, uint16 score, bool accepted, uint256 bond, string calldata evidenceURI)
        external
        returns (uint256 disputeId);

    /// @notice Opens a dispute without a bond on behalf of `challenger` (opener role: the
    ///         spot-check contract, when a verifier reports a failed check).
    function openDispute(uint256 taskId, address node, address challenger, string calldata evidenceURI)
        external
        returns (uint256 disputeId);

    /// @notice Votes on an open dispute with the caller's NNT votes: the least of its votes at
    ///         every block from `heldSince` to the snapshot. Accepted from the block after the snapshot to
    ///         `voteEnd` (VotingNotStarted before, VotingClosed after).
    /// @param slash True to slash the node, false to release it.
    function vote(uint256 disputeId, bool slash) external;

    /// @notice Resolves a dispute once its voting period has ended (anyone).
    function resolve(uint256 disputeId) external;

    /// @notice Sends the caller the NNT credited to it.
    function claim() external;

    /// @notice Sets the bond, voting and payout parameters (admin only: the timelock). Reverts
    ///         InvalidVoting unless `votingDelay >= 1`, `votingPeriod >= 1` and
    ///         `0 < quorumBps <= 10000`; InvalidShares when the shares exceed the whole. Applies to
    ///         disputes opened afterwards (an open dispute keeps its snapshot and end).
    function setParams(Params calldata params) external;

    /// @notice Sets the address credited the treasury's shares (admin only: the timelock).
    function setTreasury(address treasury) external;

    function getDispute(uint256 disputeId) external view returns (Dispute memory);
    /// @notice The open or last dispute of a task (0: none).
    function disputeOfTask(uint256 taskId) external view returns (uint256);
    function params() external view returns (Params memory);
    function claimable(address account) external view returns (uint256);
    /// @notice The claimed score of a quality challenge (`open` false for other disputes).
    function qualityClaimOf(uint256 disputeId) external view returns (uint16 score, bool accepted, bool open);
    function hasVoted(uint256 disputeId, address voter) external view returns (bool);
    function disputeCount() external view returns (uint256);
}
