// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVersioned} from "../interfaces/IVersioned.sol";
import {Versioned} from "../access/Versioned.sol";
import {BoundRoles} from "../access/BoundRoles.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IRoundBook} from "../interfaces/IRoundBook.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title RoundBook
/// @notice Round records of data-parallel (DiLoCo) tasks; see {IRoundBook}.
/// @dev Reads the market's views and calls one market entry point, `admitReplacement` (from
///      `replace` and `join`: the market picks the replacement and locks its collateral); it
///      holds no role there and moves no value. Every book status change goes through
///      `_setStatus`, every round status change through `_setRoundStatus`. Loops run over one book's seats (at most MAX_NODES) or
///      participants (at most MAX_PARTICIPANTS); `timeline` over participants x rounds (a view).
///      Its governed parameters belong to DEFAULT_ADMIN_ROLE (the timelock); REFUTER_ROLE is
///      bound once.
contract RoundBook is IRoundBook, BoundRoles, Versioned {
    /// @notice Basis points in one whole: a book's pay shares sum to it.
    uint16 public constant BPS = 10_000;
    /// @notice The most nodes one book trains with (k).
    uint8 public constant MAX_NODES = 64;
    /// @notice The most nodes that may ever hold a seat of one book (members and replacements).
    uint256 public constant MAX_PARTICIPANTS = 128;
    /// @notice The most rounds one book may have (R).
    uint16 public constant MAX_ROUNDS = 512;
    /// @notice The bounds governance may set `minRoundDuration` within, in seconds.
    uint64 public constant MIN_ROUND_DURATION_FLOOR = 10;
    uint64 public constant MIN_ROUND_DURATION_CEILING = 1 days;
    /// @notice The most a governed per-round straggler penalty may be (bps of the collateral).
    uint16 public constant MAX_MISSED_ROUND_PENALTY_BPS = 1_000;
    /// @notice The most one node forfeits for its missed rounds in one book (bps of the collateral).
    uint16 public constant MAX_PENALTY_BPS = 5_000;
    /// @notice The per-round straggler penalty at deployment (bps of the collateral).
    uint16 public constant DEFAULT_MISSED_ROUND_PENALTY_BPS = 500;
    /// @notice May refute a (node, round): the spot-check and arbitration contracts; bound once.
    bytes32 public constant REFUTER_ROLE = keccak256("REFUTER_ROLE");

    /// @notice The task market whose tasks the books record.
    ITaskMarket public immutable market;
    /// @notice The node registry (the market checks a replacement's eligibility in it).
    INodeRegistry public immutable registry;

    /// @inheritdoc IRoundBook
    uint8 public maxMissedRounds;
    /// @inheritdoc IRoundBook
    uint64 public minRoundDuration;
    /// @inheritdoc IRoundBook
    uint16 public missedRoundPenaltyBps;

    mapping(uint256 taskId => Book) private _books;
    mapping(uint256 taskId => uint16 bps) private _penaltyBps; // fixed at open
    mapping(uint256 taskId => address[]) private _seats;
    mapping(uint256 taskId => address[]) private _participants;
    mapping(uint256 taskId => mapping(address node => Participant)) private _participant;
    mapping(uint256 taskId => mapping(uint16 round => Round)) private _rounds;
    mapping(uint256 taskId => mapping(uint16 round => mapping(address node => Commitment))) private _commitments;
    mapping(uint256 taskId => mapping(uint16 round => mapping(bytes32 deltaDigest => address node))) private _deltaBy;

    /// @param market_ The task market.
    /// @param registry_ The node registry.
    /// @param maxMissedRounds_ Missed rounds after which a member may be replaced (at least 1).
    /// @param minRoundDuration_ The shortest round a requester may declare, in seconds.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the timelock once governance is in place).
    constructor(
        ITaskMarket market_,
        INodeRegistry registry_,
        uint8 maxMissedRounds_,
        uint64 minRoundDuration_,
        address admin
    ) {
        if (address(market_) == address(0) || address(registry_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        market = market_;
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _declareBound(REFUTER_ROLE);
        _setMaxMissedRounds(maxMissedRounds_);
        _setMinRoundDuration(minRoundDuration_);
        _setMissedRoundPenaltyBps(DEFAULT_MISSED_ROUND_PENALTY_BPS);
    }

    // ---------------------------------------------------------------- books

    /// @inheritdoc IRoundBook
    function open(uint256 taskId, uint8 nodes, uint16 rounds, uint64 roundDuration) external {
        if (_books[taskId].status != BookStatus.None) revert BookExists(taskId);
        ITaskMarket.Task memory t = market.getTask(taskId);
        if (t.status != ITaskMarket.TaskStatus.Published) revert TaskNotReady(taskId, uint8(t.status));
        if (msg.sender != t.requester) revert NotBookRequester(taskId, msg.sender);
        if (nodes == 0 || nodes > MAX_NODES || nodes != t.replication) {
            revert InvalidNodeCount(taskId, nodes, t.replication);
        }
        if (rounds == 0 || rounds > MAX_ROUNDS) revert InvalidRoundCount(rounds, MAX_ROUNDS);
        if (roundDuration < minRoundDuration) revert RoundTooShort(roundDuration, minRoundDuration);
        uint64 window = t.deadline - t.applyDeadline; // the market checked applyDeadline <= deadline
        if (uint256(rounds) * roundDuration > window) {
            revert RoundsPastDeadline(taskId, uint256(rounds) * roundDuration, window);
        }

        Book storage b = _books[taskId];
        b.requester = msg.sender;
        b.nodes = nodes;
        b.rounds = rounds;
        b.roundDuration = roundDuration;
        b.maxMissedRounds = maxMissedRounds;
        _penaltyBps[taskId] = missedRoundPenaltyBps;
        emit BookOpened(taskId, msg.sender, nodes, rounds, roundDuration, b.maxMissedRounds);
        emit MissedRoundPenaltyFixed(taskId, missedRoundPenaltyBps);
        _setStatus(taskId, b, BookStatus.Opened);
    }

    /// @inheritdoc IRoundBook
    function start(uint256 taskId) external {
        _start(taskId, _bookIn(taskId, BookStatus.Opened));
    }

    // ---------------------------------------------------------------- rounds

    /// @inheritdoc IRoundBook
    function commit(uint256 taskId, uint16 round, bytes32 deltaDigest, bytes32 startDigest, string calldata deltaURI)
        external
    {
        Book storage b = _book(taskId);
        if (b.status == BookStatus.Opened) _start(taskId, b);
        _requireStatus(taskId, b, BookStatus.Running);
        if (round != b.current) revert WrongRound(taskId, round, b.current);
        Round storage rd = _rounds[taskId][round];
        if (block.timestamp > rd.deadline) revert RoundDeadlinePassed(taskId, round, rd.deadline);
        if (_participant[taskId][msg.sender].seat == 0) revert NotMember(taskId, msg.sender);
        Commitment storage c = _commitments[taskId][round][msg.sender];
        if (c.state != CommitState.None) revert AlreadyCommitted(taskId, round, msg.sender);
        if (deltaDigest == bytes32(0) || startDigest == bytes32(0)) revert ZeroDigest();

        c.state = CommitState.Committed;
        c.committedAt = uint64(block.timestamp);
        c.deltaDigest = deltaDigest;
        c.startDigest = startDigest;
        if (rd.commits == 0) {
            rd.startDigest = startDigest;
        } else if (startDigest != rd.startDigest) {
            rd.disputed = true;
            emit StartDigestDisputed(taskId, round, msg.sender, rd.startDigest, startDigest);
        }
        address first = _deltaBy[taskId][round][deltaDigest];
        if (first == address(0)) {
            _deltaBy[taskId][round][deltaDigest] = msg.sender;
        } else {
            rd.disputed = true;
            emit DeltaDuplicated(taskId, round, msg.sender, first, deltaDigest);
        }
        ++rd.commits;
        emit DeltaCommitted(taskId, round, msg.sender, deltaDigest, startDigest, deltaURI);
        if (rd.commits == b.nodes - b.vacant) _close(taskId, b, round, rd);
    }

    /// @inheritdoc IRoundBook
    function closeRound(uint256 taskId) external {
        Book storage b = _bookIn(taskId, BookStatus.Running);
        Round storage rd = _rounds[taskId][b.current];
        if (block.timestamp <= rd.deadline) revert RoundDeadlineNotReached(taskId, b.current, rd.deadline);
        _close(taskId, b, b.current, rd);
    }

    // ---------------------------------------------------------------- seats

    /// @inheritdoc IRoundBook
    function replace(uint256 taskId, address node) external {
        Book storage b = _bookIn(taskId, BookStatus.Running);
        Participant storage p = _participant[taskId][node];
        if (p.seat == 0) revert NotMember(taskId, node);
        // a member that committed in the open round is back at work (and its commitment counts
        // towards closing the round): it is not replaced in this round
        if (p.missed < b.maxMissedRounds || _commitments[taskId][b.current][node].state != CommitState.None) {
            revert NotReplaceable(taskId, node, p.missed, b.maxMissedRounds);
        }
        uint8 seat = p.seat;
        p.seat = 0;
        p.replaced = true;
        _seats[taskId][seat - 1] = address(0);
        ++b.vacant;
        emit SeatOpened(taskId, seat, node, p.missed);
        // filled at once when the market has a candidate (no round runs short of it meanwhile);
        // without one the seat stays open for `join`. Any other failure (out of gas included)
        // reverts the replacement, so no caller can leave the seat open on purpose.
        if (_participants[taskId].length >= MAX_PARTICIPANTS) return;
        try market.admitReplacement(taskId) returns (address replacement) {
            _fill(taskId, b, replacement);
        } catch (bytes memory reason) {
            if (bytes4(reason) != ITaskMarket.NoReplacementCandidate.selector) {
                assembly ("memory-safe") {
                    revert(add(reason, 32), mload(reason))
                }
            }
        }
    }

    /// @inheritdoc IRoundBook
    function join(uint256 taskId) external returns (address node) {
        Book storage b = _bookIn(taskId, BookStatus.Running);
        if (b.vacant == 0) revert NoVacantSeat(taskId);
        if (_participants[taskId].length >= MAX_PARTICIPANTS) revert TooManyParticipants(taskId, MAX_PARTICIPANTS);
        // the market picks (by the task's strategy) and locks the collateral; the caller has no say
        node = market.admitReplacement(taskId);
        _fill(taskId, b, node);
    }

    /// @dev Seats `node`, admitted by the market, in the first open seat from the current round.
    function _fill(uint256 taskId, Book storage b, address node) private {
        if (_participant[taskId][node].joinedRound != 0) revert AlreadyParticipant(taskId, node);
        address[] storage seats = _seats[taskId];
        uint8 seat;
        for (uint256 i; i < seats.length; ++i) {
            if (seats[i] == address(0)) {
                seat = uint8(i + 1);
                break;
            }
        }
        _seat(taskId, node, seat, b.current);
        --b.vacant;
    }

    // ---------------------------------------------------------------- verification

    /// @inheritdoc IRoundBook
    function refute(uint256 taskId, address node, uint16 round) external onlyRole(REFUTER_ROLE) {
        Book storage b = _book(taskId);
        if (round == 0 || round > b.current) revert UnknownRound(taskId, round);
        Commitment storage c = _commitments[taskId][round][node];
        CommitState state = c.state;
        if (state != CommitState.Committed && state != CommitState.Counted) {
            revert NotRefutable(taskId, round, node, state);
        }
        c.state = CommitState.Refuted;
        if (state == CommitState.Counted) {
            --_participant[taskId][node].contributed;
            --b.totalContributed;
        }
        if (b.refutedRound == 0 || round < b.refutedRound) b.refutedRound = round;
        emit RoundRefuted(taskId, round, node, msg.sender);
        if (b.status != BookStatus.Frozen) _setStatus(taskId, b, BookStatus.Frozen);
    }

    /// @inheritdoc IRoundBook
    function bindRefuters(address[] calldata refuters) external onlyRole(DEFAULT_ADMIN_ROLE) {
        for (uint256 i; i < refuters.length; ++i) {
            if (refuters[i] == address(0)) revert ZeroAddress();
        }
        _bindOnce(REFUTER_ROLE, refuters);
        emit RefutersBound(refuters);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IRoundBook
    function setMaxMissedRounds(uint8 maxMissedRounds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxMissedRounds(maxMissedRounds_);
    }

    /// @inheritdoc IRoundBook
    function setMissedRoundPenaltyBps(uint16 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMissedRoundPenaltyBps(bps);
    }

    /// @inheritdoc IRoundBook
    function setMinRoundDuration(uint64 minRoundDuration_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinRoundDuration(minRoundDuration_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRoundBook
    function getBook(uint256 taskId) external view returns (Book memory) {
        return _book(taskId);
    }

    /// @inheritdoc IRoundBook
    function getRound(uint256 taskId, uint16 round) external view returns (Round memory) {
        if (round == 0 || round > _book(taskId).rounds) revert UnknownRound(taskId, round);
        return _rounds[taskId][round];
    }

    /// @inheritdoc IRoundBook
    function participantOf(uint256 taskId, address node) external view returns (Participant memory) {
        return _participant[taskId][node];
    }

    /// @inheritdoc IRoundBook
    function commitmentOf(uint256 taskId, uint16 round, address node) external view returns (Commitment memory) {
        return _commitments[taskId][round][node];
    }

    /// @inheritdoc IRoundBook
    function membersOf(uint256 taskId) external view returns (address[] memory) {
        return _seats[taskId];
    }

    /// @inheritdoc IRoundBook
    function participantsOf(uint256 taskId) external view returns (address[] memory) {
        return _participants[taskId];
    }

    /// @inheritdoc IRoundBook
    function contributedRounds(uint256 taskId, address node) external view returns (uint16) {
        return _participant[taskId][node].contributed;
    }

    /// @inheritdoc IRoundBook
    function penaltyBpsOf(uint256 taskId, address node) external view returns (uint16) {
        uint256 bps = uint256(_participant[taskId][node].missed) * _penaltyBps[taskId];
        return bps > MAX_PENALTY_BPS ? MAX_PENALTY_BPS : uint16(bps);
    }

    /// @inheritdoc IRoundBook
    function payShares(uint256 taskId) external view returns (address[] memory nodes, uint16[] memory sharesBps) {
        Book storage b = _books[taskId];
        uint256 planned = uint256(b.nodes) * b.rounds;
        nodes = _participants[taskId];
        sharesBps = new uint16[](nodes.length);
        if (b.totalContributed == 0) return (nodes, sharesBps);
        uint256 given;
        uint256 most;
        for (uint256 i; i < nodes.length; ++i) {
            uint256 contributed = _participant[taskId][nodes[i]].contributed;
            sharesBps[i] = uint16(contributed * BPS / planned);
            given += sharesBps[i];
            if (contributed > _participant[taskId][nodes[most]].contributed) most = i;
        }
        // seat-rounds never exceed k x R (a seat holds one node per round), so the total is <= BPS
        sharesBps[most] += uint16(uint256(b.totalContributed) * BPS / planned - given);
    }

    /// @inheritdoc IRoundBook
    function timeline(uint256 taskId) external view returns (address[] memory nodes, Commitment[] memory cells) {
        uint16 rounds = _book(taskId).rounds;
        nodes = _participants[taskId];
        cells = new Commitment[](nodes.length * rounds);
        for (uint256 i; i < nodes.length; ++i) {
            for (uint16 r = 1; r <= rounds; ++r) {
                cells[i * rounds + (r - 1)] = _commitments[taskId][r][nodes[i]];
            }
        }
    }

    /// @notice ERC-165: IRoundBook, IVersioned and AccessControl's interfaces.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IRoundBook).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Seats the market's assignees (exactly k) and opens round 1.
    function _start(uint256 taskId, Book storage b) private {
        ITaskMarket.TaskStatus status = market.getTask(taskId).status;
        if (status != ITaskMarket.TaskStatus.Assigned && status != ITaskMarket.TaskStatus.Running) {
            revert TaskNotReady(taskId, uint8(status));
        }
        address[] memory assignees = market.assigneesOf(taskId);
        if (assignees.length != b.nodes) revert AssigneeCountMismatch(taskId, assignees.length, b.nodes);
        _seats[taskId] = new address[](b.nodes);
        for (uint256 i; i < assignees.length; ++i) {
            _seat(taskId, assignees[i], uint8(i + 1), 1);
        }
        b.startedAt = uint64(block.timestamp);
        _setStatus(taskId, b, BookStatus.Running);
        _openRound(taskId, b, 1);
    }

    function _seat(uint256 taskId, address node, uint8 seat, uint16 round) private {
        _seats[taskId][seat - 1] = node;
        _participants[taskId].push(node);
        Participant storage p = _participant[taskId][node];
        p.seat = seat;
        p.joinedRound = round;
        emit SeatFilled(taskId, seat, node, round);
    }

    function _openRound(uint256 taskId, Book storage b, uint16 round) private {
        b.current = round;
        Round storage rd = _rounds[taskId][round];
        rd.deadline = uint64(block.timestamp) + b.roundDuration;
        _setRoundStatus(taskId, round, rd, RoundStatus.Open);
        emit RoundOpened(taskId, round, rd.deadline);
    }

    /// @dev Counts the round for every seated member that committed, marks the others missed,
    ///      then opens the next round or finishes the book.
    function _close(uint256 taskId, Book storage b, uint16 round, Round storage rd) private {
        address[] storage seats = _seats[taskId];
        for (uint256 i; i < seats.length; ++i) {
            address node = seats[i];
            if (node == address(0)) continue;
            Participant storage p = _participant[taskId][node];
            Commitment storage c = _commitments[taskId][round][node];
            if (c.state == CommitState.Committed) {
                c.state = CommitState.Counted;
                ++p.contributed;
                ++b.totalContributed;
                emit RoundContributed(taskId, round, node, p.contributed);
            } else if (p.joinedRound != round || round == 1) {
                // (a replacement's joining round is its grace round: no miss)
                ++p.missed;
                emit RoundMissed(taskId, round, node, p.missed);
            }
        }
        rd.closedAt = uint64(block.timestamp);
        ++b.closed;
        _setRoundStatus(taskId, round, rd, RoundStatus.Closed);
        if (round == b.rounds) {
            _setStatus(taskId, b, BookStatus.Finished);
        } else {
            _openRound(taskId, b, round + 1);
        }
    }

    /// @dev The only book status transition: None -> Opened -> Running -> Finished, and
    ///      Running or Finished -> Frozen.
    function _setStatus(uint256 taskId, Book storage b, BookStatus to) private {
        BookStatus from = b.status;
        b.status = to;
        emit BookStatusChanged(taskId, from, to);
    }

    /// @dev The only round status transition: Pending -> Open -> Closed.
    function _setRoundStatus(uint256 taskId, uint16 round, Round storage rd, RoundStatus to) private {
        RoundStatus from = rd.status;
        rd.status = to;
        emit RoundStatusChanged(taskId, round, from, to);
    }

    function _book(uint256 taskId) private view returns (Book storage b) {
        b = _books[taskId];
        if (b.status == BookStatus.None) revert UnknownBook(taskId);
    }

    function _bookIn(uint256 taskId, BookStatus want) private view returns (Book storage b) {
        b = _book(taskId);
        _requireStatus(taskId, b, want);
    }

    function _requireStatus(uint256 taskId, Book storage b, BookStatus want) private view {
        if (b.status != want) revert InvalidBookStatus(taskId, b.status, want);
    }

    function _setMaxMissedRounds(uint8 maxMissedRounds_) private {
        if (maxMissedRounds_ == 0) revert InvalidMaxMissedRounds(maxMissedRounds_);
        emit MaxMissedRoundsSet(maxMissedRounds, maxMissedRounds_);
        maxMissedRounds = maxMissedRounds_;
    }

    function _setMissedRoundPenaltyBps(uint16 bps) private {
        if (bps > MAX_MISSED_ROUND_PENALTY_BPS) revert InvalidMissedRoundPenalty(bps, MAX_MISSED_ROUND_PENALTY_BPS);
        emit MissedRoundPenaltySet(missedRoundPenaltyBps, bps);
        missedRoundPenaltyBps = bps;
    }

    function _setMinRoundDuration(uint64 minRoundDuration_) private {
        if (minRoundDuration_ < MIN_ROUND_DURATION_FLOOR || minRoundDuration_ > MIN_ROUND_DURATION_CEILING) {
            revert InvalidMinRoundDuration(minRoundDuration_, MIN_ROUND_DURATION_FLOOR, MIN_ROUND_DURATION_CEILING);
        }
        emit MinRoundDurationSet(minRoundDuration, minRoundDuration_);
        minRoundDuration = minRoundDuration_;
    }
}
