// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IMarketConfig
/// @notice The task market's governance-set parameters and allow-lists, in a contract of their
///         own (owned by the timelock) so that the market's bytecode holds the lifecycle only.
///         The market reads `params()` once per call that needs them.
/// @dev Which parameters a task keeps from its publication and which apply to it as they stand:
///      the result-proof verifier is fixed per task at publish (so a change in mid-task cannot
///      freeze honest nodes); the challenge window is fixed when the last result comes in; the
///      fee, weights, bonus and penalties are the ones in force when they are applied.
interface IMarketConfig {
    /// @notice Governance-set settlement parameters (the market's formula, see {ITaskMarket}).
    struct SettlementParams {
        uint16 baseWeightBps;
        uint16 qualityWeightBps;
        uint16 reputationWeightBps;
        uint16 protocolFeeBps;
        uint64 challengeWindow; // seconds between the last submission and settlement
        uint64 minSnapshotInterval; // seconds between two snapshots of one node for one task
        uint256 rewardPerComputeUnit; // NNT-wei bonus per compute unit at quality 10000
    }

    /// @notice Everything the market reads, in one struct.
    struct Params {
        SettlementParams settlement;
        uint16 abandonPenaltyBps; // of its collateral, lost by a node that gives up or squats
        uint64 freezeWindow; // seconds after settlement in which a frozen dissenter can be challenged
        uint64 tieWindow; // seconds a tied task stays open to challenges before every replica is paid
        uint64 minExecutionWindow; // seconds between assignment and the deadline, at least
        address treasury;
        address resultProofs; // the verifier new tasks use (zero: plain digests)
    }

    event TokenAllowed(address indexed token, bool allowed);
    event StrategyAllowed(address indexed strategy, bool allowed);
    event ProtocolFeeSet(uint16 feeBps);
    event TreasurySet(address treasury);
    event SettlementWeightsSet(uint16 baseBps, uint16 qualityBps, uint16 reputationBps);
    event ChallengeWindowSet(uint64 challengeWindow);
    event SnapshotIntervalSet(uint64 minSnapshotInterval);
    event RewardPerComputeUnitSet(uint256 reward);
    event ResultProofsSet(address proofs);
    /// @notice From now on rejections are checked against `book`'s acceptance proofs (zero: none).
    event AcceptanceBookSet(address book);
    /// @notice From now on the market pays each node of a task whose book in `book` started by
    ///         the book's pay shares.
    event RoundBookBound(address book);
    /// @notice From now on each node's payout is offered to `router` at settlement (zero: every
    ///         payout is credited to its node).
    event PayoutRouterSet(address router);
    event AbandonPenaltySet(uint16 penaltyBps);
    event WindowsSet(uint64 freezeWindow, uint64 tieWindow, uint64 minExecutionWindow);
    /// @notice `nntPerToken` NNT-wei is what governance counts 1e18 token-wei as worth, at most.
    event TokenValueSet(address indexed token, uint256 nntPerToken);

    error ZeroAddress();
    error RoundBookAlreadyBound(address book);
    error FeeTooHigh(uint16 feeBps, uint16 max);
    error InvalidWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps);
    error WindowTooLong(uint64 value, uint64 max);
    error PenaltyTooHigh(uint16 penaltyBps, uint16 max);

    /// @notice Everything the market reads.
    function params() external view returns (Params memory);

    /// @notice The settlement parameters alone (for clients).
    function settlementParams() external view returns (SettlementParams memory);

    /// @notice The challenge window alone (one storage read: the market opens it on every last
    ///         submission; the single-value views keep the market's bytecode free of the
    ///         decoder of `Params`).
    function challengeWindow() external view returns (uint64);

    /// @notice Seconds between two snapshots of one node for one task, at least.
    function minSnapshotInterval() external view returns (uint64);

    /// @notice Seconds between assignment and the deadline, at least.
    function minExecutionWindow() external view returns (uint64);

    /// @notice Whether `token` may pay for tasks (always true for ETH, `address(0)`).
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice Whether `strategy` may schedule tasks.
    function isStrategyAllowed(address strategy) external view returns (bool);

    /// @notice NNT-wei that 1e18 token-wei counts as, at most (0: unpriced). Bounds NNT bonuses
    ///         by the protocol fee actually paid and weights reputation gains by value paid.
    ///         NNT itself is worth 1e18. Governance must keep it at or below the token's market
    ///         value: then no self-dealing loop earns more NNT than it pays in fees.
    function tokenValue(address token) external view returns (uint256);

    /// @notice Allows or disallows an ERC-20 as payment token (admin only).
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Allows or disallows a scheduling strategy (admin only).
    function setStrategyAllowed(address strategy, bool allowed) external;

    /// @notice Sets the protocol fee in basis points of what nodes earn (admin only, at most MAX_FEE_BPS).
    function setProtocolFee(uint16 feeBps) external;

    /// @notice Sets the address credited the protocol fee, penalties and forfeits (admin only).
    function setTreasury(address treasury) external;

    /// @notice Sets the settlement weights (admin only): they sum to 10000 and the base weight
    ///         is at least MIN_BASE_WEIGHT_BPS.
    function setSettlementWeights(uint16 baseBps, uint16 qualityBps, uint16 reputationBps) external;

    /// @notice Sets the challenge window in seconds (admin only, at most MAX_WINDOW).
    function setChallengeWindow(uint64 challengeWindow) external;

    /// @notice Sets the minimum seconds between two snapshots of a node (admin only, at most MAX_WINDOW).
    function setSnapshotInterval(uint64 minSnapshotInterval) external;

    /// @notice Sets the result-proof verifier for tasks published from now on (admin only).
    function setResultProofs(address proofs) external;

    /// @notice Sets the acceptance book (admin only): a task whose requester committed hidden
    ///         evaluation labels there settles as rejected only if it was reported not accepted
    ///         and "not met" is proven for it and "met" is not; otherwise a report of "not
    ///         accepted" is void at settlement (zero: no check).
    function setAcceptanceBook(address book) external;

    /// @notice The acceptance book rejections are checked against (zero: none).
    function acceptanceBook() external view returns (address);

    /// @notice Binds the round book of data-parallel tasks, once (admin only): never swapped
    ///         after, so no later governance action can re-divide a task's node pay. At
    ///         settlement a task whose book started (Running, Finished or Frozen) pays each node
    ///         its cost scaled by its book share times k ({TaskSettlement}); others are unchanged.
    function bindRoundBook(address book) external;

    /// @notice The round book bound by `bindRoundBook` (address(0): none; no task pays by shares).
    function roundBook() external view returns (address);

    /// @notice Sets the payout router (admin only): at settlement the market offers it each
    ///         node's payout, and credits a payout the router takes to the task's requester of
    ///         record (a cross-chain task's account, collected by the home gateway, which pays
    ///         the node on the task's origin chain). Zero: every payout is credited to its node.
    ///         A router that reverts or runs out of gas leaves the payout with its node.
    function setPayoutRouter(address router) external;

    /// @notice The payout router (address(0): none).
    function payoutRouter() external view returns (address);

    /// @notice Sets the NNT bonus per compute unit at full quality (admin only).
    function setRewardPerComputeUnit(uint256 reward) external;

    /// @notice Sets the share of its collateral a node loses by giving a task up or squatting
    ///         an applicant slot (admin only, at most MAX_ABANDON_PENALTY_BPS).
    function setAbandonPenalty(uint16 penaltyBps) external;

    /// @notice Sets the frozen-dissenter dispute window, the tie window and the minimum
    ///         execution window (admin only, each at most MAX_WINDOW).
    function setWindows(uint64 freezeWindow, uint64 tieWindow, uint64 minExecutionWindow) external;

    /// @notice Sets what 1e18 wei of `token` counts as in NNT-wei (admin only; see `tokenValue`).
    function setTokenValue(address token, uint256 nntPerToken) external;
}
