// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "./IBoundRoles.sol";

/// @title IRoundBook
/// @notice Round records of data-parallel (DiLoCo) tasks: a task trained by k nodes together, in
///         R rounds, each node training its shard from the round's start weights and committing
///         the SHA-256 digest of its weight delta. The book records who committed what in which
///         round, who missed a round (a straggler), who replaced whom, and which commitments a
///         spot-check refuted; from that it gives each node's contributed rounds and its share of
///         the task's node pay. It moves no value: the market will pay from these shares.
/// @dev Lifecycle of a book (one transition function, every step emits `BookStatusChanged`):
///      Opened (the requester declares k, R and the round duration while the task is Published,
///      with replication = k) -> Running (`start`: the market's k assignees become the members,
///      round 1 opens) -> Finished (round R closed) or Frozen (a commitment was refuted: no round
///      opens or closes again; the rounds before `refutedRound` are the last verified state, from
///      which the task is re-run).
///      Rounds (one transition function, every step emits `RoundStatusChanged`): Pending -> Open
///      (the previous round closed, or `start`) -> Closed (every seated member committed, or
///      anyone calls `closeRound` after the deadline). At closing each seated member that
///      committed counts the round as contributed; each that did not is a straggler for it
///      (`RoundMissed`) and, after `maxMissedRounds` missed rounds, anyone may `replace` it: its
///      seat opens and is filled at once (or later, by anyone calling `join`, when the market had
///      no candidate then): the market admits the replacement
///      ({ITaskMarket-admitReplacement}: an unassigned applicant of the task picked by the task's
///      strategy, never the requester nor a node that held a seat), which locks its collateral
///      like an assignee's and trains from the current round. That round is its grace round:
///      missing it is no miss (it may have joined just before the deadline). A replaced node
///      keeps the rounds it contributed and never commits again.
///      Straggler penalty: each missed round costs a member `missedRoundPenaltyBps` of its
///      collateral (the governed value in force when the book opened), at most
///      MAX_PENALTY_BPS in all, taken by the market when it releases the collateral (to the
///      treasury: no party of the task gains from a miss, so none can farm it).
///      Every member commits, with its delta, the digest of the round's start weights (the outer
///      step of the previous round's committed deltas, computable by anyone). The first committer
///      of a round fixes it; a member committing another is recorded (`StartDigestDisputed`, the
///      round flagged): evidence for a dispute, since one of them did not start where it should.
///      A delta digest equal to one committed earlier in the round is recorded too
///      (`DeltaDuplicated`, the round flagged): members train different shards, so one copied the
///      other's delta (which a copier can read from the mempool); refusing the second commitment
///      instead would let a member front-run an honest one into missing the round.
///      Pay: `payShares` gives each node that ever held a seat its contributed rounds out of the
///      book's k x R seat-rounds, in bps: a node is paid for the rounds it did, and the rounds
///      nobody did (missed, refuted) go back to the requester, whenever the task settles.
///      Refutation (REFUTER_ROLE, bound once to the spot-check and arbitration contracts): a
///      (node, round) whose delta did not replay is marked Refuted and never counts; the book
///      freezes. Other nodes keep the rounds they contributed (their work was done in good faith
///      on the public start weights).
interface IRoundBook is IBoundRoles {
    enum BookStatus {
        None,
        Opened, // declared by the requester; members not yet known
        Running, // a round is open
        Finished, // every round closed
        Frozen // a commitment was refuted: rounds from `refutedRound` on are not verified
    }

    enum RoundStatus {
        Pending,
        Open,
        Closed
    }

    /// @notice One member's commitment in one round.
    enum CommitState {
        None, // nothing committed
        Committed, // committed, the round still open
        Counted, // the round closed: a contributed round
        Refuted // its delta did not replay: never counts
    }

    struct Book {
        address requester;
        BookStatus status;
        uint8 nodes; // k: seats
        uint8 vacant; // seats open for a replacement
        uint8 maxMissedRounds; // missed rounds after which a member may be replaced (fixed at open)
        uint16 rounds; // R
        uint16 current; // the open round (1-based; 0 before start; R once finished)
        uint16 closed; // rounds closed
        uint16 refutedRound; // the earliest refuted round; 0: none
        uint32 totalContributed; // contributed rounds of every node, refuted ones excluded
        uint64 roundDuration;
        uint64 startedAt;
    }

    struct Round {
        RoundStatus status;
        uint8 commits;
        bool disputed; // a member stated other start weights than the first committer, or copied a delta
        uint64 deadline;
        uint64 closedAt;
        bytes32 startDigest; // the round's start weights, as its first committer stated them
    }

    /// @notice A node that held a seat of a book.
    struct Participant {
        uint8 seat; // 1-based seat it holds now; 0: none (never, or replaced)
        bool replaced;
        uint16 joinedRound; // the round it took its seat in (1 for the original members)
        uint16 missed; // rounds it missed while seated
        uint16 contributed; // closed rounds it committed in, refuted ones excluded
    }

    struct Commitment {
        CommitState state;
        uint64 committedAt;
        bytes32 deltaDigest; // SHA-256 of the delta's canonical bytes
        bytes32 startDigest; // the start weights it says it trained from
    }

    event BookOpened(
        uint256 indexed taskId,
        address indexed requester,
        uint8 nodes,
        uint16 rounds,
        uint64 roundDuration,
        uint8 maxMissedRounds
    );
    event BookStatusChanged(uint256 indexed taskId, BookStatus from, BookStatus to);
    event RoundStatusChanged(uint256 indexed taskId, uint16 indexed round, RoundStatus from, RoundStatus to);
    /// @notice Round `round` opened and closes at `deadline` unless every seated member commits first.
    event RoundOpened(uint256 indexed taskId, uint16 indexed round, uint64 deadline);
    /// @notice `node` committed its delta for `round`; `deltaURI` says where the delta lives.
    event DeltaCommitted(
        uint256 indexed taskId,
        uint16 indexed round,
        address indexed node,
        bytes32 deltaDigest,
        bytes32 startDigest,
        string deltaURI
    );
    /// @notice `node` stated start weights `stated` for `round`, whose first committer stated `expected`.
    event StartDigestDisputed(
        uint256 indexed taskId, uint16 indexed round, address indexed node, bytes32 expected, bytes32 stated
    );
    /// @notice `node` committed in `round` the delta digest `first` committed already: shards
    ///         differ, so equal deltas mean one copied the other (the round is flagged; a replay
    ///         of both says which).
    event DeltaDuplicated(
        uint256 indexed taskId, uint16 indexed round, address indexed node, address first, bytes32 deltaDigest
    );
    /// @notice `node` committed in `round` and the round closed: one more contributed round.
    event RoundContributed(uint256 indexed taskId, uint16 indexed round, address indexed node, uint16 contributed);
    /// @notice `node` was seated and committed nothing in `round` by its deadline: a straggler.
    event RoundMissed(uint256 indexed taskId, uint16 indexed round, address indexed node, uint16 missed);
    /// @notice `node`, a straggler of `missed` rounds, lost seat `seat`, which is open for a replacement.
    event SeatOpened(uint256 indexed taskId, uint8 seat, address indexed node, uint16 missed);
    /// @notice `node` took seat `seat` from round `round`.
    event SeatFilled(uint256 indexed taskId, uint8 seat, address indexed node, uint16 round);
    /// @notice `refuter` found that `node`'s delta of `round` does not replay; the book is frozen.
    event RoundRefuted(uint256 indexed taskId, uint16 indexed round, address indexed node, address refuter);
    event MaxMissedRoundsSet(uint8 from, uint8 to);
    event MinRoundDurationSet(uint64 from, uint64 to);
    event RefutersBound(address[] refuters);
    event MissedRoundPenaltySet(uint16 from, uint16 to);
    /// @notice The book of `taskId` charges `bps` of a member's collateral per missed round.
    event MissedRoundPenaltyFixed(uint256 indexed taskId, uint16 bps);

    error ZeroAddress();
    error UnknownBook(uint256 taskId);
    error BookExists(uint256 taskId);
    error InvalidBookStatus(uint256 taskId, BookStatus have, BookStatus want);
    /// @notice The market's task is not in a state the call needs (Published to open; Assigned or
    ///         Running to start).
    error TaskNotReady(uint256 taskId, uint8 status);
    error NotBookRequester(uint256 taskId, address caller);
    /// @notice k must be 1..MAX_NODES and equal the task's replication.
    error InvalidNodeCount(uint256 taskId, uint8 nodes, uint8 replication);
    error InvalidRoundCount(uint16 rounds, uint16 max);
    error RoundTooShort(uint64 roundDuration, uint64 min);
    /// @notice R rounds of `roundDuration` may last `longest` seconds, more than the `window`
    ///         between the task's application deadline and its result deadline: the market would
    ///         expire the nodes (and take their collateral) before the last round closed.
    error RoundsPastDeadline(uint256 taskId, uint256 longest, uint64 window);
    error InvalidMaxMissedRounds(uint8 maxMissedRounds);
    error InvalidMinRoundDuration(uint64 minRoundDuration, uint64 floor, uint64 ceiling);
    error AssigneeCountMismatch(uint256 taskId, uint256 assignees, uint8 nodes);
    error NotMember(uint256 taskId, address node);
    error WrongRound(uint256 taskId, uint16 round, uint16 current);
    error RoundDeadlinePassed(uint256 taskId, uint16 round, uint64 deadline);
    error RoundDeadlineNotReached(uint256 taskId, uint16 round, uint64 deadline);
    error AlreadyCommitted(uint256 taskId, uint16 round, address node);
    error ZeroDigest();
    error NotReplaceable(uint256 taskId, address node, uint16 missed, uint8 maxMissedRounds);
    error NoVacantSeat(uint256 taskId);
    error AlreadyParticipant(uint256 taskId, address node);
    error TooManyParticipants(uint256 taskId, uint256 max);
    error InvalidMissedRoundPenalty(uint16 bps, uint16 max);
    error UnknownRound(uint256 taskId, uint16 round);
    error NotRefutable(uint256 taskId, uint16 round, address node, CommitState state);

    /// @notice Declares task `taskId` data-parallel: `nodes` (= the task's replication) train it
    ///         together for `rounds` rounds of at most `roundDuration` seconds each. The task's
    ///         requester only, while the task is Published, with R rounds fitting between the
    ///         task's application and result deadlines; the governed `maxMissedRounds` in
    ///         force now applies to the book for its whole life.
    function open(uint256 taskId, uint8 nodes, uint16 rounds, uint64 roundDuration) external;

    /// @notice Seats the market's assignees (exactly k, in assignment order) and opens round 1.
    ///         Anyone may call it once the task is Assigned or Running; `commit` calls it too.
    function start(uint256 taskId) external;

    /// @notice Commits the caller's delta for `round` (the open round, before its deadline): a
    ///         seated member only, once per round. Closes the round when every seated member
    ///         has committed (the next round opens, or the book finishes after round R).
    /// @param deltaDigest SHA-256 of the delta's canonical bytes.
    /// @param startDigest The digest of the round's start weights the caller trained from.
    /// @param deltaURI Where the delta lives (emitted, not stored).
    function commit(uint256 taskId, uint16 round, bytes32 deltaDigest, bytes32 startDigest, string calldata deltaURI)
        external;

    /// @notice Closes the open round once its deadline has passed: seated members that did not
    ///         commit miss it. Anyone may call it.
    function closeRound(uint256 taskId) external;

    /// @notice Opens the seat of `node`, a member that missed at least `maxMissedRounds` rounds,
    ///         and fills it at once with the replacement the market admits, as `join` does; when
    ///         the market has no candidate (`NoReplacementCandidate`) the seat stays open for a
    ///         later `join`, and any other failure reverts. Anyone may call it while the book is
    ///         Running.
    function replace(uint256 taskId, address node) external;

    /// @notice Fills the first open seat, from the current round (the node trains from the
    ///         round's start weights), with the replacement the market admits
    ///         ({ITaskMarket-admitReplacement}): anyone may call it; the caller does not choose
    ///         who is seated.
    /// @return node The node seated.
    function join(uint256 taskId) external returns (address node);

    /// @notice Marks `node`'s commitment of `round` refuted (its delta did not replay): it never
    ///         counts, and the book freezes (REFUTER_ROLE: the spot-check and arbitration).
    function refute(uint256 taskId, address node, uint16 round) external;

    /// @notice Grants REFUTER_ROLE to the spot-check and arbitration contracts, once (admin only).
    function bindRefuters(address[] calldata refuters) external;

    /// @notice Sets the missed rounds after which a member may be replaced, for books opened
    ///         from now on (admin: the timelock).
    function setMaxMissedRounds(uint8 maxMissedRounds) external;

    /// @notice Sets the share of a member's collateral each missed round costs, for books opened
    ///         from now on (admin: the timelock), at most MAX_MISSED_ROUND_PENALTY_BPS.
    function setMissedRoundPenaltyBps(uint16 bps) external;

    /// @notice The share of a member's collateral each missed round costs, for books opened now.
    function missedRoundPenaltyBps() external view returns (uint16);

    /// @notice The share of its collateral `node` forfeits for the rounds it missed in the book
    ///         of `taskId`: missed rounds x the book's penalty, at most MAX_PENALTY_BPS (0 for a
    ///         task without a book or a node without a seat).
    function penaltyBpsOf(uint256 taskId, address node) external view returns (uint16);

    /// @notice Sets the shortest round a requester may declare (admin: the timelock), within
    ///         [MIN_ROUND_DURATION_FLOOR, MIN_ROUND_DURATION_CEILING].
    function setMinRoundDuration(uint64 minRoundDuration) external;

    /// @notice The missed rounds after which a member may be replaced, for books opened now.
    function maxMissedRounds() external view returns (uint8);

    /// @notice The shortest round a requester may declare, in seconds.
    function minRoundDuration() external view returns (uint64);

    function getBook(uint256 taskId) external view returns (Book memory);
    function getRound(uint256 taskId, uint16 round) external view returns (Round memory);
    function participantOf(uint256 taskId, address node) external view returns (Participant memory);
    function commitmentOf(uint256 taskId, uint16 round, address node) external view returns (Commitment memory);

    /// @notice The seat holders, by seat (address(0): an open seat).
    function membersOf(uint256 taskId) external view returns (address[] memory);

    /// @notice Every node that ever held a seat, in the order it was seated.
    function participantsOf(uint256 taskId) external view returns (address[] memory);

    /// @notice The closed rounds `node` committed in, refuted ones excluded.
    function contributedRounds(uint256 taskId, address node) external view returns (uint16);

    /// @notice Each participant's share of the task's node pay in bps: contributed rounds out of
    ///         the book's k x R seat-rounds, rounded down; the rounding remainder of the
    ///         contributed total goes to the participant with the most contributed rounds (the
    ///         first seated of them on a tie), so a book whose every seat-round counted sums to
    ///         exactly 10,000, and one with missed or refuted rounds to their part of it less.
    function payShares(uint256 taskId) external view returns (address[] memory nodes, uint16[] memory sharesBps);

    /// @notice The round timeline: every participant's commitment in every round, row by
    ///         participant (`cells[i * rounds + (round - 1)]`).
    function timeline(uint256 taskId) external view returns (address[] memory nodes, Commitment[] memory cells);
}
