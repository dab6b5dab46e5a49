// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBoundRoles} from "./IBoundRoles.sol";
import {IMarketConfig} from "./IMarketConfig.sol";

/// @title ITaskMarket
/// @notice Training and inference tasks: escrow, application, assignment, results, settlement.
/// @dev Lifecycle (one transition function, every step emits `TaskStatusChanged`):
///      Published -> Assigned -> Running (first snapshot) -> Submitted (every active assignee's
///      result is in) -> Settled (after the challenge window), with Cancelled (before
///      assignment), Expired (too few eligible applicants, or the deadline passed with no result
///      at all), Failed (every assignee gave up), Verifying (no strict majority: a tie window
///      open to challenges, or a spot-check) and Disputed (a challenge under arbitration).
///      All money moves by pull payment (`claim`). For every task,
///      `sum(payouts) + fee + refund == budget`, to the wei.
///
///      Seats. An applicant locks the task's collateral when it applies (`Bond.Locked`); a node
///      that stops being eligible before assignment forfeits `abandonPenaltyBps` of it to the
///      treasury, unselected applicants get it back. An assignee that gives up (`abandon`) or
///      misses the deadline (`expire`) drops out: its penalty (abandon) or whole collateral
///      (missed) goes to the treasury, never to the requester. The others go on: nodes that did
///      the work are paid whatever another assignee does. Settlement counts the results of the
///      active (not dropped, not slashed) assignees: a strict majority is paid by the formula;
///      outvoted nodes are released, or frozen where results are proven (`Bond.Frozen`), open to
///      a challenge for `freezeWindow` and released by anyone after it. Without a strict
///      majority the task waits `tieWindow` in Verifying, open to challenges; a tie still
///      standing after it pays every active replica.
///
///      Data-parallel tasks (a round book bound in the config, see {IRoundBook}): each paid node
///      is paid by its book share (below); a straggler replaced in the book stays an assignee
///      (it may still deliver the agreed result and be paid its rounds), and the book's pick
///      for its seat joins the assignees (`admitReplacement`). Wherever a node's collateral is
///      released at settlement, or it abandons, the book's missed-round penalty of it goes to
///      the treasury (abandon: the larger of that and the abandon penalty).
///
///      Settlement: each paid node gets
///        gross = cost * (wBase + wQuality * quality / 1e4 + wReputation * reputation / 1e4) / 1e4
///      where cost = min(its price per compute unit (fixed at assignment) * computeUnits,
///      budget / r), or budget / r when its price is 0; it is credited gross - fee (fee =
///      gross * feeBps / 1e4) and an NNT bonus of min(rewardPerComputeUnit * computeUnits *
///      quality / 1e4, fee * tokenValue / 1e18) from the rewards pool. An unscored task counts
///      quality QUALITY_UNSCORED (neutral). The requester is refunded budget - sum(gross).
interface ITaskMarket is IBoundRoles {
    enum TaskStatus {
        None,
        Published,
        Assigned,
        Running,
        Submitted,
        Verifying,
        Settled,
        Cancelled,
        Expired,
        Disputed,
        Slashed,
        Failed
    }

    /// @notice The state of the collateral one node locked for one task.
    enum Bond {
        None, // never applied
        Locked, // applied or assigned: the collateral is locked in the registry
        Released, // back to the node's free stake
        Frozen, // outvoted where results are proven: open to a challenge until the freeze window ends
        Held, // frozen and challenged: arbitration decides
        Slashed // taken, wholly or in part (the rest released)
    }

    /// @notice Why a node is not eligible for a task (`NotEligible`).
    enum Ineligibility {
        Registration,
        Stake,
        HardwareClass,
        Reputation,
        Price
    }

    /// @notice Who set a task's quality score (and acceptance).
    enum QualitySource {
        None, // unscored: neutral quality, accepted
        Requester, // the requester, who holds the key of a private task; an oracle may override it
        Oracle, // an oracle's evaluation
        Arbitration // a challenged score, decided by arbitration
    }

    /// @notice Why an assignee gave a task up (`abandon`). Informational: the economics are the
    ///         same for every reason, since the chain cannot tell whose fault it was.
    enum AbandonReason {
        ResourceLimit, // training broke the node's memory or time limit
        InvalidTask, // the spec or its data cannot be trained (bad dataset, digest mismatch)
        NodeFault // anything else that went wrong on the node
    }

    /// @notice What a requester publishes. `token == address(0)` means ETH (send `budget` as value).
    struct TaskParams {
        bytes32 specDigest; // SHA-256 of the canonical task spec JSON
        string specURI; // where the spec lives (emitted, not stored)
        address token;
        uint256 budget;
        uint8 replication; // r: how many nodes train the task
        address strategy; // an allow-listed IScheduleStrategy
        uint96 collateral; // NNT each applicant locks, kept by assigned nodes until settlement
        uint8 minHardwareClass;
        uint64 applyDeadline; // applications close at this timestamp
        uint64 deadline; // results are due by this timestamp
        uint64 computeUnits; // the spec's cost (nnc.task.compute_units), checked off-chain by nodes
        uint16 minReputation; // 0..10000
    }

    struct Task {
        address requester;
        TaskStatus status;
        uint8 replication;
        uint8 submissions; // results in from active assignees
        uint8 minHardwareClass;
        address token;
        uint64 applyDeadline;
        address strategy;
        uint64 deadline;
        uint96 collateral;
        uint256 budget;
        bytes32 specDigest;
        bytes32 resultDigest; // the agreed result, once settled
        uint64 computeUnits;
        uint16 minReputation;
        uint16 qualityScore; // 0..10000, reported by an oracle in the challenge window; QUALITY_UNSCORED until then
        uint64 assignedAt;
        uint64 submittedAt; // when the last result came in
        uint8 active; // assignees still in the task (not dropped, not slashed)
        bool tied; // settlement found no strict majority: the tie window was opened
        uint64 challengeEndsAt; // challenges until then: results (Submitted, Verifying), frozen nodes (Settled)
        address resultProofs; // the verifier this task's results are proven to, fixed at publish (0: digests)
        bool rejected; // the result missed the spec's acceptance threshold: compute paid, nothing more
        QualitySource scoredBy;
    }

    /// @notice A node's part in one task.
    struct Participation {
        bool applied;
        bool assigned;
        bool submitted;
        uint64 submittedAt;
        uint64 lastSnapshotStep;
        uint64 lastSnapshotAt;
        uint256 price; // price per compute unit, fixed at assignment
        bytes32 resultDigest;
        bytes32 snapshotHead; // head of the checkpoint hash chain at lastSnapshotStep
        Bond bond;
        bool dropped; // gave up or missed the deadline
        bool revealed; // its result URI is published (only once every active result was committed)
        bytes28 proofHash; // a task with result proofs: the first 28 bytes of keccak256(abi.encode(proof))
    }

    event TaskPublished(
        uint256 indexed taskId,
        address indexed requester,
        address indexed token,
        uint256 budget,
        bytes32 specDigest,
        string specURI,
        uint8 replication,
        address strategy,
        uint64 applyDeadline,
        uint64 deadline
    );
    event TaskStatusChanged(uint256 indexed taskId, TaskStatus from, TaskStatus to);
    event BondChanged(uint256 indexed taskId, address indexed node, Bond from, Bond to);
    event NodeApplied(uint256 indexed taskId, address indexed node);
    /// @notice `node` was no longer eligible when its applicant slot was taken (`applyForTask`
    ///         on a full list) or when the task was assigned: `forfeited` NNT of its collateral
    ///         went to the treasury.
    event ApplicantDropped(uint256 indexed taskId, address indexed node, uint256 forfeited);
    event TaskAssigned(uint256 indexed taskId, address[] nodes);
    /// @notice `node` was assigned `taskId` at `price` per compute unit (one event per node of
    ///         `TaskAssigned`, so that a node's assignments can be filtered by its address).
    event NodeAssigned(uint256 indexed taskId, address indexed node, uint256 price);
    /// @notice `node` committed its result. `agreementKey` is what replicas must agree on: the
    ///         model digest, or for a task with result proofs the agreement tag (a Poseidon hash of
    ///         the task and the digest, which hides the digest). Where the model lives is revealed
    ///         only once every active result is in (`ResultRevealed`), so no replica can copy another's.
    event ResultSubmitted(uint256 indexed taskId, address indexed node, bytes32 agreementKey);
    /// @notice `node`'s Groth16 proof of the agreement tag it submitted (`ResultSubmitted`),
    ///         published, not verified: anyone (the oracle does) checks it off-chain and, if it
    ///         fails, challenges it through the task's {IResultProofs} before the window ends.
    event ProofPosted(uint256 indexed taskId, address indexed node, uint256[8] proof);
    /// @notice A challenge showed `node`'s posted proof invalid: the node is out of the task,
    ///         `toChallenger` of its collateral went to `challenger` and `toTreasury` to the treasury.
    event ProofRejected(
        uint256 indexed taskId, address indexed node, address indexed challenger, uint256 toChallenger, uint256 toTreasury
    );
    event ResultRevealed(uint256 indexed taskId, address indexed node, string resultURI);
    event NodePaid(uint256 indexed taskId, address indexed node, uint256 amount);
    /// @notice Settled: `agreementKey` is the winning result (a model digest, or an agreement tag
    ///         for a task with result proofs; see `ResultSubmitted`).
    event TaskSettled(uint256 indexed taskId, bytes32 agreementKey, uint256 paid, uint256 fee, uint256 refund);
    /// @notice No strict majority among the active results: challenges are open until `endsAt`.
    event TaskTied(uint256 indexed taskId, uint64 endsAt);
    event TaskCancelled(uint256 indexed taskId, uint256 refund);
    event TaskExpired(uint256 indexed taskId, uint256 refund);
    /// @notice `node` submitted nothing by the deadline: its collateral went to the treasury.
    event NodeMissed(uint256 indexed taskId, address indexed node, uint256 slashed);
    event SnapshotPosted(uint256 indexed taskId, address indexed node, uint64 step, bytes32 chainHead);
    event QualityReported(uint256 indexed taskId, address indexed reporter, uint16 score, bool accepted);
    event BonusGranted(uint256 indexed taskId, address indexed node, uint256 amount);
    event Claimed(address indexed account, address indexed token, uint256 amount);
    /// @notice An outvoted node of a proven task: its collateral stays locked until `until`
    ///         (a challenge may slash it), then anyone may release it.
    event NodeFrozen(uint256 indexed taskId, address indexed node, uint96 collateral, uint64 until);
    /// @notice Arbitration slashed `node`'s collateral of `taskId` to `recipient`; the node is
    ///         out of the task (its share goes back to the requester at settlement).
    event NodeSlashed(uint256 indexed taskId, address indexed node, uint256 collateral, address recipient);
    /// @notice `node` gave the task up: `slashed` NNT of its collateral went to the treasury.
    event TaskAbandoned(uint256 indexed taskId, address indexed node, AbandonReason reason, uint256 slashed);
    event DisputeResolversBound(address[] resolvers);
    /// @notice `node`, an applicant of a data-parallel task that was not assigned, took a seat
    ///         its round book opened (`admitReplacement`): an assignee from now on, its
    ///         collateral locked and its `price` fixed, paid at settlement by its book share.
    event ReplacementAdmitted(uint256 indexed taskId, address indexed node, uint256 price);
    /// @notice `node` missed rounds of the task's round book: `amount` NNT of its collateral
    ///         went to the treasury when it was released (`IRoundBook-penaltyBpsOf`).
    event MissedRoundsPenalized(uint256 indexed taskId, address indexed node, uint256 amount);

    error ZeroBudget();
    error EmptySpec();
    error TokenNotAllowed(address token);
    error StrategyNotAllowed(address strategy);
    error InvalidReplication(uint8 replication, uint8 max);
    error DeadlineInPast(uint64 deadline, uint64 currentTime);
    error ApplyDeadlineAfterDeadline(uint64 applyDeadline, uint64 deadline);
    /// @notice Less than the governance-set minimum time between assignment and the deadline.
    error ExecutionWindowTooShort(uint256 taskId, uint64 have, uint64 need);
    error WrongEthAmount(uint256 sent, uint256 budget);
    error EthSentWithToken(uint256 sent);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    error UnknownTask(uint256 taskId);
    error InvalidStatus(uint256 taskId, TaskStatus have, TaskStatus want);
    error InvalidBond(uint256 taskId, address node, Bond have, Bond want);
    error NotRequester(uint256 taskId, address caller);
    /// @notice Why `node` may not apply: not registered, too little (free) stake for the minimum
    ///         and the collateral, a hardware class below the task's, a reputation below its
    ///         minimum, or a price above what the task pays per node.
    error NotEligible(uint256 taskId, address node, Ineligibility reason);
    error AlreadyApplied(uint256 taskId, address node);
    error TooManyApplicants(uint256 taskId, uint256 max);
    error ApplicationClosed(uint256 taskId, uint64 applyDeadline);
    error ApplicationOpen(uint256 taskId, uint64 applyDeadline);
    error NotEnoughApplicants(uint256 taskId, uint256 eligible, uint256 needed);
    error NotAssigned(uint256 taskId, address node);
    error AlreadySubmitted(uint256 taskId, address node);
    error ZeroResultDigest();
    error DeadlinePassed(uint256 taskId, uint64 deadline);
    error DeadlineNotReached(uint256 taskId, uint64 deadline);
    error NothingToClaimInToken(address account, address token);
    error ZeroAddress();
    error EthTransferFailed(address to, uint256 amount);
    error ZeroComputeUnits();
    error InvalidReputation(uint16 minReputation, uint16 max);
    error InvalidSelection(uint256 taskId, address strategy);
    error ChallengeWindowOpen(uint256 taskId, uint64 endsAt);
    error SnapshotTooSoon(uint256 taskId, address node, uint64 nextAllowedAt);
    error StepNotIncreasing(uint256 taskId, address node, uint64 lastStep, uint64 step);
    error ZeroChainHead();
    error InvalidQuality(uint16 score, uint16 max);
    error ProofRequired(uint256 taskId);
    error ProofsDisabled();
    error TagNotAFieldElement(uint256 agreementTag);
    error NotResultProofs(uint256 taskId, address caller);
    /// @notice `node` has no posted proof for `taskId` that may still be challenged: it never
    ///         posted one, it is out of the task, or the task left its challenge window.
    error ProofNotChallengeable(uint256 taskId, address node);
    error NotScorer(uint256 taskId, address caller);
    /// @notice The market holds less of `token` than it owes (a token whose balances change on
    ///         their own): claims and new escrow in it stop, nothing owed is lost, governance
    ///         disallows the token.
    error TokenBalanceShortfall(address token, uint256 balance, uint256 owed);
    error NotRevealable(uint256 taskId, address node);
    /// @notice Only the round book bound in the config may admit a replacement.
    error NotRoundBook(address caller);
    /// @notice No applicant of the task may take a seat: each was assigned, dropped, is the
    ///         requester, held a seat of the book already, or is not eligible now.
    error NoReplacementCandidate(uint256 taskId);

    /// @notice Publishes a task and escrows its budget (ETH as value, or an allow-listed ERC-20
    ///         pulled with `transferFrom`; fee-on-transfer tokens are rejected). The task keeps
    ///         the result-proof verifier in force now for its whole life.
    /// @return taskId The new task's id (ids start at 1).
    function publish(TaskParams calldata params) external payable returns (uint256 taskId);

    /// @notice Cancels a task whose applications are still open; the budget is credited back to
    ///         the requester and every applicant's collateral released (requester only). Once
    ///         applications closed only `expire` ends an unassigned task, so a requester cannot
    ///         re-roll a stake-weighted draw it has seen.
    function cancel(uint256 taskId) external;

    /// @notice Applies the caller as a node for `taskId` while applications are open, locking
    ///         the task's collateral from its free stake. On a full applicant list the caller
    ///         takes the slot of the first applicant that is no longer eligible (which forfeits
    ///         `abandonPenaltyBps` of its collateral to the treasury).
    function applyForTask(uint256 taskId) external;

    /// @notice Runs the task's strategy over the eligible applicants, keeps the selected nodes'
    ///         collateral locked and releases the others' (applicants no longer eligible forfeit
    ///         `abandonPenaltyBps` of it). Anyone may call it once the application window has
    ///         closed, or earlier if the strategy `assignsEarly` and enough eligible nodes
    ///         applied, while at least `minExecutionWindow` is left before the deadline.
    function assign(uint256 taskId) external;

    /// @notice Posts the head of the caller's checkpoint hash chain for `taskId` at `step` (the
    ///         "real-time snapshot"). Assigned nodes only, steps strictly increasing, at most one
    ///         per `minSnapshotInterval` per node. The first snapshot of a task moves it to Running.
    function postSnapshot(uint256 taskId, uint64 step, bytes32 chainHead) external;

    /// @notice Reports the quality score (0..10000) of a submitted task's result and whether it
    ///         meets the spec's acceptance threshold, during its challenge window: an oracle
    ///         (role), or the requester (who holds the key of a private task) unless an oracle
    ///         scored it already; an oracle's report overrides the requester's. A rejected result
    ///         is paid its compute only (the base weight: no quality or reputation share, no
    ///         bonus, no reputation gain). Every report is open to a challenge (arbitration).
    function reportQuality(uint256 taskId, uint16 score, bool accepted) external;

    /// @notice Sets the quality and acceptance arbitration decided for a disputed task (dispute role).
    function setQualityByArbitration(uint256 taskId, uint16 score, bool accepted) external;

    /// @notice Commits the caller's result digest for a task it is assigned to, before the
    ///         deadline (tasks published without a result-proof verifier only).
    function submitResult(uint256 taskId, bytes32 resultDigest) external;

    /// @notice Publishes where the caller's model lives, once every active result of the task
    ///         is committed (Submitted, Verifying or Disputed). A node of the winning result that
    ///         has not revealed by settlement delivered nothing: it is not paid and is recorded Missed.
    function revealResult(uint256 taskId, string calldata resultURI) external;

    /// @notice Submits the caller's result as a zero-knowledge commitment (see {IResultProofs}):
    ///         the agreement tag is recorded as the node's result (settlement's strict majority is
    ///         a majority of tags; outvoted nodes are frozen, `NodeFrozen`) and the proof is
    ///         posted (`ProofPosted`) with a hash of it kept, not verified. Verification is
    ///         optimistic: until the challenge window closes, anyone may have the proof checked
    ///         on-chain through {IResultProofs-challenge}; a proof that fails costs the node its
    ///         seat and its collateral (`ProofRejected`).
    /// @param agreementTag Poseidon(taskKey, digestHi, digestLo), below the BN254 scalar field.
    /// @param proof The Groth16 proof for (taskKey, msg.sender, agreementTag), G2 limbs in EIP-197 order.
    function submitProof(uint256 taskId, uint256 agreementTag, uint256[8] calldata proof) external;

    /// @notice Takes `node` out of the task after its posted proof failed on-chain (only the
    ///         task's {IResultProofs}, which checked the proof against the stored hash), while
    ///         the proof may still be challenged: the node submitted and its bond is locked, the
    ///         task Assigned or Running, or Submitted before `challengeEndsAt`
    ///         (`ProofNotChallengeable` otherwise). Its
    ///         collateral is slashed, `challengerShareBps` of it to `challenger`, the rest to the
    ///         treasury, and its reputation records a failed verification. The task goes on with
    ///         the other nodes (or refunds its requester when none is left).
    /// @return slashed The collateral slashed.
    function rejectProof(uint256 taskId, address node, address challenger, uint16 challengerShareBps)
        external
        returns (uint256 slashed);

    /// @notice Settles a task whose active assignees all submitted, once its challenge (or tie)
    ///         window has passed: the strict-majority result wins and its nodes are paid by the
    ///         formula less the protocol fee; outvoted nodes are released or frozen. Without a
    ///         strict majority the first call opens the tie window (Verifying), the call after
    ///         it pays every active replica. Everything not paid is refunded. Anyone may call it.
    function settle(uint256 taskId) external;

    /// @notice Ends what cannot finish: a published task whose applications closed with fewer
    ///         than `replication` eligible applicants (or too little time left to run), or an
    ///         assigned or running task past its deadline. Assignees that submitted nothing
    ///         lose their collateral to the treasury and drop out; if any result is in, the task
    ///         goes on to settlement with those results, otherwise it expires and the budget is
    ///         refunded. Anyone may call it.
    function expire(uint256 taskId) external;

    /// @notice Gives up a task the caller is assigned to and has not submitted, while it is
    ///         Assigned or Running and before its deadline. The caller drops out and loses
    ///         `abandonPenaltyBps` of its collateral to the treasury (never to the requester);
    ///         the other assignees go on and are paid for their work. When no assignee is left
    ///         the task fails and the whole budget is credited to the requester.
    function abandon(uint256 taskId, AbandonReason reason) external;

    /// @notice Releases the collateral of a frozen node whose freeze window closed without a
    ///         challenge. Anyone may call it.
    function releaseFrozen(uint256 taskId, address node) external;

    /// @notice Sends the caller everything credited to it in `token` (address(0) = ETH).
    function claim(address token) external;

    /// @notice Moves a task between the verification and dispute states (dispute role: the
    ///         spot-check and arbitration contracts): Submitted -> Verifying, Submitted or
    ///         Verifying -> Disputed, Verifying or Disputed -> Submitted (back to Verifying for a
    ///         tied task). Settlement only runs from Submitted (or a tied Verifying).
    function holdForDispute(uint256 taskId, TaskStatus to) external;

    /// @notice Holds a frozen node's collateral for a challenge (dispute role), within the
    ///         freeze window.
    function holdFrozen(uint256 taskId, address node) external;

    /// @notice Releases a held node's collateral after arbitration released it (dispute role).
    function releaseHeld(uint256 taskId, address node) external;

    /// @notice Admits the replacement for a seat the task's round book opened (the bound round
    ///         book only, from `IRoundBook-join`; the task Assigned or Running, before its
    ///         deadline). The candidates are the task's applicants that were not assigned, still
    ///         eligible (free stake for the collateral, hardware class, reputation, an affordable
    ///         price), other than the requester and every node that held a seat of the book; the
    ///         task's strategy picks one of them (`select(taskId, candidates, 1)`), or the first
    ///         in application order when it cannot (a stale random draw, a strategy no longer
    ///         allowed). The pick becomes an assignee like the others: its collateral locked,
    ///         its price fixed, one more active result to wait for.
    /// @return node The node admitted.
    function admitReplacement(uint256 taskId) external returns (address node);

    /// @notice Slashes `node`'s collateral to `recipient` after arbitration upheld a challenge
    ///         (dispute role): a node of a Disputed task (which then resumes; the node is out of
    ///         it and its share goes back to the requester at settlement, the other nodes are
    ///         settled as usual) or a held node of a settled task.
    /// @return slashed The collateral slashed (the task's collateral per node).
    function slashNode(uint256 taskId, address node, address recipient) external returns (uint256 slashed);

    /// @notice Grants DISPUTE_ROLE to the arbitration and spot-check contracts, once (admin
    ///         only). The role can never be granted again, so no later governance action can
    ///         name an account that moves stake.
    function bindDisputeResolvers(address[] calldata resolvers) external;

    /// @notice The parameters and allow-lists (timelock-owned).
    function config() external view returns (IMarketConfig);

    function getTask(uint256 taskId) external view returns (Task memory);
    function applicantsOf(uint256 taskId) external view returns (address[] memory);
    function assigneesOf(uint256 taskId) external view returns (address[] memory);
    function resultOf(uint256 taskId, address node) external view returns (bytes32);
    function participationOf(uint256 taskId, address node) external view returns (Participation memory);
    /// @notice The latest snapshot of `node` for `taskId`: step, chain head and when it was posted.
    function latestSnapshot(uint256 taskId, address node)
        external
        view
        returns (uint64 step, bytes32 chainHead, uint64 postedAt);
    function claimable(address token, address account) external view returns (uint256);
    /// @notice What the market owes in an ERC-20: open escrow plus credits (its balance must cover it).
    function owedIn(address token) external view returns (uint256);
    function taskCount() external view returns (uint256);
}
