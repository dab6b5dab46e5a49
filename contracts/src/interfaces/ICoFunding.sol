// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "./ITaskMarket.sol";

/// @title ICoFundingPool
/// @notice A co-funded task: several funders pay one task's budget together and share what comes
///         back (refunds, leftovers, the requester's share of slashed collateral) pro rata.
/// @dev One pool per task, a minimal-proxy clone made by {ICoFundingFactory}. The pool is the
///      task's requester on the market, which stays unchanged: it escrows the budget, credits
///      refunds to `claimable[token][pool]`, and the pool passes them on.
///
///      Lifecycle (`status`, checked first in every external function):
///      Funding -> Published (the task is on the market with budget = `totalContributed`), or
///      Funding -> Refunding (the funding deadline passed without a publish, or the lead closed
///      the funding): every funder takes its whole contribution back.
///
///      Funding: the lead opens the pool with the task's terms, a target budget, a funding
///      deadline (at most the task's application deadline) and its first contribution. Anyone
///      contributes (ETH, or the task's ERC-20: fee-on-transfer tokens are rejected) until the
///      deadline; a new funder brings at least `target / MAX_FUNDERS` (so dust accounts cannot
///      take the 64 seats), an existing one adds any amount. Once the target is reached anyone
///      may publish; the budget is everything contributed.
///
///      Distribution (pull payments): whatever the pool receives after funding ends, in any
///      token, is shared by contribution: `distribute(token)` pulls what the market owes the
///      pool and credits each funder `floor(amount * contribution / total)`, the rounding
///      remainder (less than one wei per funder) to the lead, so the credits sum to the amount
///      exactly and no dust stays behind; `claim(token)` distributes, then pays the caller its
///      credit. For every token, at every moment after funding:
///      `balance(pool) + market.claimable(token, pool) == sum(claimableOf(funder, token))`,
///      and no funder is ever paid more than its contribution's share of what came back.
///      A pool whose funding lapsed distributes its own balance the same way: each funder's share
///      of the contributions is its contribution, to the wei.
///
///      The lead: opens the pool and acts for the funders where the market asks the requester:
///      it may cancel the published task while the market allows it (everyone is refunded pro
///      rata: nothing is lost but time), turn on spot-checking (paying the fee itself, which comes
///      back to it alone when unused), and report the result's quality (the requester path of
///      `reportQuality`). That report moves money between the nodes and the funders' refund, so
///      funders trust the lead with it: an oracle's report overrides it, and anyone may challenge
///      it in arbitration (`challengeQuality`).
interface ICoFundingPool {
    enum PoolStatus {
        None, // not initialized
        Funding, // taking contributions until the funding deadline
        Published, // the task is on the market; what comes back is shared pro rata
        Refunding // funding ended without a publish: every funder takes its contribution back
    }

    /// @notice The task's parameters, as `ITaskMarket.TaskParams` without the budget (which is
    ///         the sum of the contributions).
    struct Terms {
        bytes32 specDigest;
        string specURI;
        address token;
        uint8 replication;
        address strategy;
        uint96 collateral;
        uint8 minHardwareClass;
        uint64 applyDeadline;
        uint64 deadline;
        uint64 computeUnits;
        uint16 minReputation;
    }

    event PoolOpened(
        address indexed lead, address indexed token, bytes32 specDigest, uint256 target, uint64 fundingDeadline
    );
    /// @notice `funder` added `amount`; it has contributed `contribution` in all, the pool `total`.
    event Contributed(address indexed funder, uint256 amount, uint256 contribution, uint256 total);
    /// @notice The pool published its task on the market with budget `budget` (by `caller`).
    event PoolTaskPublished(uint256 indexed taskId, address indexed caller, uint256 budget);
    /// @notice Funding ended without a publish: the lead closed it (`byLead`) or its deadline passed.
    event FundingClosed(address indexed caller, bool byLead);
    /// @notice The lead cancelled the published task on the market (its budget comes back pro rata).
    event PoolTaskCancelled(uint256 indexed taskId, address indexed lead);
    /// @notice The lead reported the task's quality on the market, for the funders.
    event PoolQualityReported(uint256 indexed taskId, address indexed lead, uint16 score, bool accepted);
    /// @notice `amount` of `token` was shared among the funders; `remainder` of it (rounding) went to the lead.
    event Distributed(address indexed token, uint256 amount, uint256 remainder);
    /// @notice `funder` was credited `amount` of `token` by a distribution.
    event Credited(address indexed funder, address indexed token, uint256 amount);
    /// @notice `funder` was paid `amount` of `token`.
    event Paid(address indexed funder, address indexed token, uint256 amount);
    /// @notice The lead turned on spot-checking of the task, paying the verification `fee` itself.
    event PoolSpotCheckEnabled(uint256 indexed taskId, address indexed lead, uint256 fee);
    /// @notice An unused spot-check fee came back: `amount` ETH credited to the lead, who paid it.
    event SpotCheckFeeReturned(address indexed lead, uint256 amount);

    error NotLead(address caller, address lead);
    error InvalidPoolStatus(PoolStatus have, PoolStatus want);
    error ZeroAmount();
    error ZeroTarget();
    error FundingDeadlineInvalid(uint64 fundingDeadline, uint64 currentTime, uint64 applyDeadline);
    error FundingDeadlinePassed(uint64 fundingDeadline);
    error TargetNotReached(uint256 total, uint256 target);
    error TooManyFunders(uint256 count, uint256 max);
    /// @notice A new funder's first contribution is below the seat minimum (`target / MAX_FUNDERS`).
    error ContributionTooSmall(uint256 amount, uint256 min);
    error WrongEthContribution(uint256 sent, uint256 amount);
    error EthSentWithToken(uint256 sent);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    /// @notice Only the market sends this pool ETH (a contribution goes through `contribute`).
    error UnexpectedEth(address sender, uint256 amount);
    error NothingToClaimInToken(address account, address token);
    error EthTransferFailed(address to, uint256 amount);
    error NoArbitration();
    error NoSpotCheck();

    /// @notice Sets the pool up with its first contribution (the factory only, once, in the
    ///         transaction that made the clone). For an ERC-20 the factory has moved `amount`
    ///         to the pool already; for ETH it is the call's value.
    function initialize(
        ITaskMarket market_,
        address arbitration_,
        address spotCheck_,
        address lead_,
        Terms calldata terms_,
        uint256 target_,
        uint64 fundingDeadline_,
        uint256 amount
    ) external payable;

    /// @notice Adds `amount` to the caller's contribution while funding is open (before the
    ///         funding deadline): ETH as value, or the task's ERC-20 pulled with `transferFrom`
    ///         (approve the pool first). A new funder brings at least `minContribution()`; at most
    ///         MAX_FUNDERS funders.
    function contribute(uint256 amount) external payable;

    /// @notice Publishes the task on the market with every contribution as its budget, the pool
    ///         as requester (anyone, once the target is reached, before the funding deadline).
    /// @return taskId The market's id of the task.
    function publish() external returns (uint256 taskId);

    /// @notice Lead only. While funding: closes it (every funder takes its contribution back).
    ///         Once published: cancels the task on the market, which allows it until its
    ///         applications close; the budget comes back to the pool and is shared pro rata.
    function cancel() external;

    /// @notice Lead only: reports the task's quality score and acceptance on the market as its
    ///         requester (see `ITaskMarket.reportQuality`). The lead acts for every funder here:
    ///         an oracle's report overrides it and anyone may challenge it in arbitration.
    function reportQuality(uint16 score, bool accepted) external;

    /// @notice Lead only: turns on spot-checking of the published single-trainer task (see
    ///         `ISpotCheck.enable`), paying the verification fee (`msg.value`) itself. The fee is
    ///         the lead's: if no verification uses it, it comes back to the lead alone
    ///         (`collectSpotCheckFee`), not to the funders.
    function enableSpotCheck(uint8 segments, uint32 toleranceMicros) external payable;

    /// @notice Pulls what the spot-check contract credited the pool (the unused fee of a check
    ///         the lead paid for) and credits it to the lead (anyone).
    function collectSpotCheckFee() external;

    /// @notice Pulls what the market owes the pool in `token` and credits every funder its share
    ///         of all `token` the pool holds beyond earlier credits (anyone; a no-op when there is
    ///         nothing new; reverts while funding).
    function distribute(address token) external;

    /// @notice Pulls the NNT that arbitration credited the pool as requester (its share of a
    ///         slashed node's collateral) into the pool, for `distribute(nnt)` (anyone).
    function collectArbitration() external;

    /// @notice Distributes `token`, then pays the caller everything credited to it in `token`
    ///         (address(0) = ETH).
    function claim(address token) external;

    /// @notice Every funder, in the order of their first contribution (the lead first).
    function funders() external view returns (address[] memory);
    /// @notice What `funder` contributed in all (0: not a funder).
    function contributionOf(address funder) external view returns (uint256);
    /// @notice The sum of the contributions (the task's budget once published).
    function totalContributed() external view returns (uint256);
    /// @notice What `funder` could claim in `token` now: its credit plus its share of what the
    ///         pool holds or is owed by the market and has not yet distributed.
    function claimableOf(address funder, address token) external view returns (uint256);
    /// @notice What `funder` has been paid in `token`, in all.
    function paidTo(address funder, address token) external view returns (uint256);
    /// @notice The status now (Refunding once a Funding pool's deadline has passed).
    function status() external view returns (PoolStatus);
    function lead() external view returns (address);
    function market() external view returns (ITaskMarket);
    function arbitration() external view returns (address);
    /// @notice The spot-check contract the lead may enable (0: none).
    function spotCheck() external view returns (address);
    function terms() external view returns (Terms memory);
    function target() external view returns (uint256);
    function fundingDeadline() external view returns (uint64);
    /// @notice The market's id of the task (0 until published).
    function taskId() external view returns (uint256);
    /// @notice The least first contribution of a new funder: `target / MAX_FUNDERS`.
    function minContribution() external view returns (uint256);
}

/// @title ICoFundingFactory
/// @notice Opens co-funding pools: minimal-proxy clones of one pool implementation, each the
///         requester of one co-funded task. `isPool` tells contracts (the model registry) that a
///         requester is a pool whose funders own the task's result by their contributions.
interface ICoFundingFactory {
    event PoolCreated(
        address indexed pool, address indexed lead, address indexed token, uint256 target, uint64 fundingDeadline
    );

    error ZeroAddress();
    error TokenNotAllowed(address token);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);

    /// @notice Opens a pool for a task with `terms`, a `target` budget and a `fundingDeadline`
    ///         (after now, at most the task's application deadline), with the caller as lead and
    ///         its first contribution `amount`: ETH as value, or the ERC-20 pulled from the caller
    ///         (approve this factory first).
    /// @return pool The new pool.
    function open(ICoFundingPool.Terms calldata terms, uint256 target, uint64 fundingDeadline, uint256 amount)
        external
        payable
        returns (address pool);

    /// @notice Whether `account` is a pool this factory made.
    function isPool(address account) external view returns (bool);
    /// @notice The pool implementation every pool is a clone of.
    function implementation() external view returns (address);
    function market() external view returns (ITaskMarket);
    /// @notice The arbitration contract that credits requesters a share of slashed collateral (0: none).
    function arbitration() external view returns (address);
    /// @notice The spot-check contract whose checks a pool's lead may turn on (0: none).
    function spotCheck() external view returns (address);
    /// @notice How many pools were opened; `poolAt(i)` for i below it.
    function poolCount() external view returns (uint256);
    function poolAt(uint256 index) external view returns (address);
}
