// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "../interfaces/IVersioned.sol";
import {Versioned} from "../access/Versioned.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC5805} from "@openzeppelin/contracts/interfaces/IERC5805.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IArbitration} from "../interfaces/IArbitration.sol";
import {HeldVotes, ICheckpointedVotes} from "../libraries/HeldVotes.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title Arbitration
/// @notice Challenges with an NNT bond and their resolution by an NNT-holder vote; see {IArbitration}.
/// @dev Needs the market's DISPUTE_ROLE. The market slashes collateral to this contract in the
///      registry; `resolve` pulls it from the registry and credits it by the governance-set shares.
contract Arbitration is IArbitration, AccessControl, ReentrancyGuard, Versioned {
    using SafeERC20 for IERC20;

    /// @notice The role of the spot-check contract, which opens disputes without a bond.
    bytes32 public constant OPENER_ROLE = keccak256("OPENER_ROLE");
    /// @notice Basis points in one whole.
    uint16 public constant BPS = 10_000;
    /// @notice The shortest voting delay: the snapshot is always a block after the opening one.
    uint32 public constant MIN_VOTING_DELAY = 1;

    /// @notice The task market (grants this contract DISPUTE_ROLE).
    ITaskMarket public immutable market;
    /// @notice The node registry, where slashed collateral is credited to this contract.
    INodeRegistry public immutable registry;
    /// @notice NNT: bonds, slashed stake and vote weights (ERC-5805 checkpoints).
    IERC20 public immutable nnt;

    /// @notice Credited the treasury's shares.
    address public treasury;

    /// @inheritdoc IArbitration
    uint256 public disputeCount;

    Params private _params;
    mapping(uint256 disputeId => Dispute) private _disputes;
    mapping(uint256 disputeId => mapping(address voter => bool)) private _voted;

    /// @inheritdoc IArbitration
    mapping(uint256 taskId => uint256 disputeId) public disputeOfTask;

    /// @inheritdoc IArbitration
    mapping(address account => uint256) public claimable;

    /// @inheritdoc IArbitration
    mapping(uint256 disputeId => QualityClaim) public qualityClaimOf;

    /// @param market_ The task market.
    /// @param registry_ The node registry.
    /// @param nnt_ NNT (the registry's staking token, with ERC-5805 vote checkpoints).
    /// @param treasury_ Receives the treasury's shares.
    /// @param params_ Initial parameters.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the timelock once governance is in place).
    constructor(
        ITaskMarket market_,
        INodeRegistry registry_,
        IERC20 nnt_,
        address treasury_,
        Params memory params_,
        address admin
    ) {
        if (address(market_) == address(0) || address(registry_) == address(0)) {
            revert ZeroAddress();
        }
        market = market_;
        registry = registry_;
        nnt = nnt_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setTreasury(treasury_);
        _setParams(params_);
    }

    // ---------------------------------------------------------------- disputes

    /// @inheritdoc IArbitration
    function challenge(uint256 taskId, address node, uint256 bond, string calldata evidenceURI)
        external
        nonReentrant
        returns (uint256 disputeId)
    {
        if (bond < _params.minBond) revert BondTooSmall(bond, _params.minBond);
        ITaskMarket.Task memory t = market.getTask(taskId);
        ITaskMarket.TaskStatus status = t.status;
        bool frozen = status == ITaskMarket.TaskStatus.Settled;
        if (!frozen && status != ITaskMarket.TaskStatus.Submitted && status != ITaskMarket.TaskStatus.Verifying) {
            revert NotChallengeable(taskId, status);
        }
        if (block.timestamp >= t.challengeEndsAt) revert ChallengeWindowClosed(taskId, t.challengeEndsAt);
        disputeId = _open(taskId, node, msg.sender, bond, evidenceURI, frozen);
        nnt.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc IArbitration
    function challengeQuality(uint256 taskId, uint16 score, bool accepted, uint256 bond, string calldata evidenceURI)
        external
        nonReentrant
        returns (uint256 disputeId)
    {
        if (bond < _params.minBond) revert BondTooSmall(bond, _params.minBond);
        if (score > BPS) revert InvalidScore(score);
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (t.status != ITaskMarket.TaskStatus.Submitted) revert NotChallengeable(taskId, t.status);
        if (block.timestamp >= t.challengeEndsAt) revert ChallengeWindowClosed(taskId, t.challengeEndsAt);
        disputeId = _open(taskId, address(0), msg.sender, bond, evidenceURI, false);
        qualityClaimOf[disputeId] = QualityClaim({score: score, accepted: accepted, open: true});
        emit QualityChallenged(disputeId, taskId, score, accepted);
        nnt.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc IArbitration
    function openDispute(uint256 taskId, address node, address challenger, string calldata evidenceURI)
        external
        onlyRole(OPENER_ROLE)
        returns (uint256 disputeId)
    {
        disputeId = _open(taskId, node, challenger, 0, evidenceURI, false);
    }

    /// @inheritdoc IArbitration
    function vote(uint256 disputeId, bool slash) external {
        Dispute storage d = _open(disputeId);
        uint48 clock = _clock();
        if (clock <= d.snapshot) revert VotingNotStarted(disputeId, d.snapshot);
        if (clock > d.voteEnd) revert VotingClosed(disputeId, d.voteEnd);
        if (_voted[disputeId][msg.sender]) revert AlreadyVoted(disputeId, msg.sender);
        uint256 weight = _weight(msg.sender, d);
        if (weight == 0) revert NoVotingPower(disputeId, msg.sender);
        _voted[disputeId][msg.sender] = true;
        if (slash) d.slashVotes += weight;
        else d.releaseVotes += weight;
        emit VoteCast(disputeId, msg.sender, slash, weight);
    }

    /// @inheritdoc IArbitration
    /// @dev Without quorum, or with a tie, the node is released: honest stake is never taken on
    ///      too few votes.
    function resolve(uint256 disputeId) external nonReentrant {
        Dispute storage d = _open(disputeId);
        if (_clock() <= d.voteEnd) revert VotingOpen(disputeId, d.voteEnd);
        uint256 quorum = IERC5805(address(nnt)).getPastTotalSupply(d.snapshot) * _params.quorumBps / BPS;
        bool upheld = d.slashVotes + d.releaseVotes >= quorum && d.slashVotes > d.releaseVotes;
        d.status = upheld ? DisputeStatus.Slashed : DisputeStatus.Released;
        emit DisputeResolved(disputeId, upheld, d.slashVotes, d.releaseVotes);
        uint256 bond = d.bond;
        QualityClaim memory claim_ = qualityClaimOf[disputeId];
        if (claim_.open) {
            // a challenged quality score: upheld sets the challenger's, else the report stands
            if (upheld) market.setQualityByArbitration(d.taskId, claim_.score, claim_.accepted);
            market.holdForDispute(d.taskId, ITaskMarket.TaskStatus.Submitted);
            _credit(disputeId, upheld ? d.challenger : treasury, bond);
        } else if (upheld) {
            uint256 slashed = market.slashNode(d.taskId, d.node, address(this));
            uint256 toChallenger = slashed * _params.challengerShareBps / BPS;
            uint256 toRequester = slashed * _params.requesterShareBps / BPS;
            _credit(disputeId, d.challenger, bond + toChallenger);
            _credit(disputeId, market.getTask(d.taskId).requester, toRequester);
            _credit(disputeId, treasury, slashed - toChallenger - toRequester);
            if (slashed != 0) registry.claim();
        } else {
            if (d.frozen) market.releaseHeld(d.taskId, d.node);
            else market.holdForDispute(d.taskId, ITaskMarket.TaskStatus.Submitted);
            uint256 toNode = bond * _params.nodeBondShareBps / BPS;
            _credit(disputeId, d.node, toNode);
            _credit(disputeId, treasury, bond - toNode);
        }
    }

    /// @inheritdoc IArbitration
    function claim() external nonReentrant {
        uint256 amount = claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        emit Claimed(msg.sender, address(nnt), amount);
        nnt.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IArbitration
    function setParams(Params calldata params_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParams(params_);
    }

    /// @inheritdoc IArbitration
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IArbitration
    function getDispute(uint256 disputeId) external view returns (Dispute memory) {
        return _disputes[disputeId];
    }

    /// @inheritdoc IArbitration
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IArbitration
    function hasVoted(uint256 disputeId, address voter) external view returns (bool) {
        return _voted[disputeId][voter];
    }

    // ---------------------------------------------------------------- internal

    /// @dev Records a dispute and holds the task as Disputed, or the frozen node's collateral
    ///      as Held (`frozen`: a settled task); the market checks the status and windows. The
    ///      snapshot lies `votingDelay` blocks ahead, so whoever opens the dispute cannot count
    ///      weight it held only around the opening block; `heldSince` (the block before) makes a
    ///      loan across the known snapshot block count for nothing too.
    function _open(
        uint256 taskId,
        address node,
        address challenger,
        uint256 bond,
        string calldata evidenceURI,
        bool frozen
    ) private returns (uint256 disputeId) {
        if (node != address(0) && !market.participationOf(taskId, node).submitted) revert NoResult(taskId, node);
        disputeId = ++disputeCount;
        uint48 snapshot = _clock() + _params.votingDelay;
        uint48 voteEnd = snapshot + _params.votingPeriod;
        Dispute storage d = _disputes[disputeId];
        d.taskId = taskId;
        d.node = node;
        d.bond = SafeCast.toUint96(bond);
        d.challenger = challenger;
        d.heldSince = _clock() - 1;
        d.snapshot = snapshot;
        d.voteEnd = voteEnd;
        d.status = DisputeStatus.Open;
        d.frozen = frozen;
        disputeOfTask[taskId] = disputeId;
        emit DisputeOpened(disputeId, taskId, node, challenger, bond, snapshot, voteEnd, evidenceURI);
        if (frozen) market.holdFrozen(taskId, node);
        else market.holdForDispute(taskId, ITaskMarket.TaskStatus.Disputed);
    }

    function _open(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.status == DisputeStatus.None) revert UnknownDispute(disputeId);
        if (d.status != DisputeStatus.Open) revert DisputeNotOpen(disputeId, d.status);
    }

    /// @dev `voter`'s votes held throughout `[heldSince, snapshot]` (see {HeldVotes}): two
    ///      one-block loans, one across `heldSince` and one across the snapshot, count nothing.
    function _weight(address voter, Dispute storage d) private view returns (uint256) {
        return HeldVotes.held(ICheckpointedVotes(address(nnt)), voter, d.heldSince, d.snapshot);
    }

    function _credit(uint256 disputeId, address account, uint256 amount) private {
        if (amount == 0) return;
        claimable[account] += amount;
        emit Credited(disputeId, account, amount);
    }

    function _clock() private view returns (uint48) {
        return IERC5805(address(nnt)).clock();
    }

    function _setParams(Params memory p) private {
        if (uint256(p.challengerShareBps) + p.requesterShareBps > BPS || p.nodeBondShareBps > BPS) {
            revert InvalidShares(p.challengerShareBps, p.requesterShareBps, p.nodeBondShareBps);
        }
        if (p.votingDelay < MIN_VOTING_DELAY || p.votingPeriod == 0 || p.quorumBps == 0 || p.quorumBps > BPS) {
            revert InvalidVoting(p.votingDelay, p.votingPeriod, p.quorumBps);
        }
        _params = p;
        emit ParamsSet(p);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @notice ERC-165: true for {IArbitration}, {IVersioned} and what AccessControl supports.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IArbitration).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
