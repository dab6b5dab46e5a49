// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Versioned} from "../access/Versioned.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {CrossChainMessages as Msg} from "./CrossChainMessages.sol";
import {HomeTokenPools} from "./HomeTokenPools.sol";
import {IMailbox, IMessageRecipient, ISpecifiesInterchainSecurityModule} from "./IHyperlane.sol";
import {OriginPayouts} from "./OriginPayouts.sol";
import {TaskAccount} from "./TaskAccount.sol";

/// @title HomeGateway
/// @notice The home chain's end of the cross-chain route: publishes on the {ITaskMarket} the
///         tasks that {SpokeGateway}s escrowed on their chains, and sends each spoke back what its
///         escrow owes once the task is final.
/// @dev Value: the budget a spoke escrows stays on the spoke; the home task is funded from this
///      gateway's **liquidity pool** (native coin deposited by governance or anyone with {fund}),
///      which the spoke escrow backs 1:1 in wei (the route is for chains whose native coins are
///      worth the same, e.g. ETH on both). Per task, with budget B and market refund R:
///      the pool pays B into the market. With this gateway the market's payout router
///      ({OriginPayouts}), the nodes are paid on the origin chain: the market credits their
///      payouts N to the task's account, the relay takes R + N back into the pool, and SETTLE
///      credits each node its payout on the spoke, the route's `backer` (the pool's account
///      there) B - R - N (the treasury's fee and any node that asked to be paid on home, which
///      the market paid here) and the payer R. Without it (no router), N = 0: every node is
///      paid on home and the backer is credited B - R. Either way the escrow B = payouts +
///      backer + refund, to the wei. Moving the backer's coin on the spoke back into the pool on home (a bridge,
///      a warp route or an exchange) is governance's business, outside the protocol.
///      The requester of record of each task is a fresh {TaskAccount} clone, so each task's
///      refund is measured exactly (the market credits per account, not per task).
///
///      PUBLISH `spec`: `abi.encode(ITaskMarket.TaskParams)`; its `token` and `budget` are
///      replaced by the native coin and the escrowed budget. A PUBLISH that cannot be published
///      (a duplicate, delivered later than `ackMargin` before its deadline, malformed, more than
///      the free liquidity, or refused by the market) is marked refused for good and ignored with
///      {MessageIgnored}, never reverted (the relayer would retry it forever): the payer reclaims
///      on the spoke after the deadline. A published task is answered with ACK, paid from the pool.
///
///      Trust: only messages the Mailbox delivers from the gateway enrolled for their origin
///      domain are accepted, verified by {interchainSecurityModule} (governance; address(0) = the
///      Mailbox default, Hyperlane's accept-everything test ISM on the devnet: never in production).
///      Known race: the spoke lets its payer reclaim an escrow still unacknowledged at its
///      deadline; an ACK delayed past that (relayer down) while the task runs here would let the
///      payer reclaim there and this pool pay the nodes here. `ackMargin` (refuse PUBLISH
///      delivered later than that before the deadline) narrows it to a relayer stalled for longer
///      than the margin.
///
///      ERC-20 escrows (PUBLISH_TOKEN) work the same way from a pool per home token
///      ({HomeTokenPools}): the task is published in the route's home token, its refund returns
///      to that pool, SETTLE credits the spoke in the escrow's token. ACK and SETTLE fees are
///      native coin either way (the ACK's from the native pool).
contract HomeGateway is
    IMessageRecipient,
    ISpecifiesInterchainSecurityModule,
    HomeTokenPools,
    OriginPayouts,
    Versioned
{
    /// @notice Where a bridged task stands.
    enum BridgedStatus {
        None,
        Published, // on the market, not yet relayed back
        Relayed // SETTLE sent: the spoke escrow's amounts are fixed
    }

    /// @notice A spoke chain's enrolment.
    struct Route {
        bytes32 gateway; // the SpokeGateway there, left-padded (0: not enrolled)
        address backer; // credited on the spoke with what the pool paid on home
    }

    /// @notice One bridged task.
    struct Bridged {
        uint32 origin;
        BridgedStatus status;
        address payer;
        address account;
        address backer; // the route's backer when the task was bridged
        bytes32 spoke; // the spoke gateway when the task was bridged
        uint256 escrowId;
        uint256 budget;
    }

    /// @dev `taskOf` value of a PUBLISH that was refused.
    uint256 private constant REFUSED = type(uint256).max;
    /// @notice Gas a PUBLISH delivery must have left when {handle} starts on it, or it reverts
    ///         {OutOfGas} (and is delivered again). An out-of-gas deep inside the market call
    ///         comes back as an ordinary revert, which would refuse the PUBLISH for good; and a
    ///         relayer's gas estimate (the least gas with which the delivery does not revert)
    ///         finds exactly that path. A whole delivery took 0.61 M gas (native) and 0.88 M
    ///         (token) in the forge tests, ACK included; relayers must give PUBLISH this much.
    uint256 public constant MIN_PUBLISH_GAS = 1_500_000;

    /// @notice The local Hyperlane Mailbox.
    IMailbox public immutable mailbox;
    /// @notice The market tasks are published on.
    ITaskMarket public immutable market;
    /// @notice The {TaskAccount} implementation every task's account is a clone of.
    address public immutable accountImplementation;

    /// @inheritdoc ISpecifiesInterchainSecurityModule
    address public interchainSecurityModule;
    /// @notice A PUBLISH must arrive at least this long before its deadline (seconds).
    uint64 public ackMargin;
    /// @notice Free native coin for budgets and the Hyperlane fees of ACK messages.
    uint256 public liquidity;
    /// @notice Enrolled spoke routes, by Hyperlane domain.
    mapping(uint32 domain => Route) public routes;
    /// @notice The home task of each escrow (REFUSED = type(uint256).max: refused; 0: not seen).
    mapping(uint32 origin => mapping(uint256 escrowId => uint256 taskId)) public taskOf;
    /// @notice Bridged tasks by market task id.
    mapping(uint256 taskId => Bridged) public bridged;
    /// @notice Which addresses are task accounts (the only senders {receive} accepts).
    mapping(address account => bool) public isAccount;

    /// @notice Escrow `escrowId` of `origin` (paid by `payer`) was published as task `taskId`.
    event TaskBridged(
        uint256 indexed taskId, uint32 indexed origin, uint256 indexed escrowId, address payer, address account, uint256 budget
    );
    /// @notice Task `taskId` was final: `paid` (B - R: its routed payouts to their nodes, the rest
    ///         to the backer) and `refund` to the payer are credited on the spoke by message
    ///         `messageId`.
    event SettlementRelayed(uint256 indexed taskId, uint32 indexed origin, uint256 indexed escrowId, uint256 paid, uint256 refund, bytes32 messageId);
    /// @notice A delivered PUBLISH was refused: `reason` says why.
    event MessageIgnored(uint32 indexed origin, uint256 indexed escrowId, uint8 kind, string reason);
    /// @notice The pool's free liquidity changed by a deposit from `from`.
    event LiquidityAdded(address indexed from, uint256 amount);
    /// @notice Governance withdrew `amount` of free liquidity to `to`.
    event LiquidityWithdrawn(address indexed to, uint256 amount);
    /// @notice Governance enrolled (or, with gateway 0, removed) the spoke route of `domain`.
    event RouteEnrolled(uint32 indexed domain, bytes32 gateway, address backer);
    /// @notice Governance set the interchain security module.
    event InterchainSecurityModuleSet(address ism);
    /// @notice Governance set the ACK margin.
    event AckMarginSet(uint64 margin);

    /// @notice The caller of {handle} is not the Mailbox.
    error NotMailbox(address caller);
    /// @notice A message came from an address that is not the enrolled gateway of its domain.
    error UnknownSender(uint32 origin, bytes32 sender);
    /// @notice The task is not a bridged task or was already relayed.
    error NotRelayable(uint256 taskId, BridgedStatus status);
    /// @notice The task is not settled, cancelled, expired or failed yet.
    error TaskNotFinal(uint256 taskId, ITaskMarket.TaskStatus status);
    /// @notice `msg.value` does not cover the Hyperlane fee.
    error FeeTooSmall(uint256 value, uint256 fee);
    /// @notice More than the free liquidity was asked for.
    error InsufficientLiquidity(uint256 amount, uint256 liquidity);
    /// @notice The market refunded more than the budget (cannot happen with a sound market).
    error RefundOverBudget(uint256 taskId, uint256 refund, uint256 budget);
    /// @notice The task's account held less than its routed payouts (cannot happen with a sound
    ///         market).
    error PayoutsNotCollected(uint256 taskId, uint256 collected, uint256 routed);
    /// @notice Coin sent by something other than a task account ({fund} adds liquidity).
    error UnexpectedCoin(address from);
    /// @notice Sending native coin to `to` failed.
    error TransferFailed(address to, uint256 amount);
    /// @notice A call inside {handle} ran out of gas: deliver the message again with more gas.
    error OutOfGas();

    constructor(IMailbox mailbox_, ITaskMarket market_, uint64 ackMargin_, address owner_) Ownable(owner_) {
        if (address(mailbox_) == address(0)) revert ZeroArgument("mailbox");
        if (address(market_) == address(0)) revert ZeroArgument("market");
        mailbox = mailbox_;
        market = market_;
        accountImplementation = address(new TaskAccount(market_));
        ackMargin = ackMargin_;
        emit AckMarginSet(ackMargin_);
    }

    // ------------------------------------------------------------------ Hyperlane

    /// @inheritdoc IMessageRecipient
    /// @dev Reverts only for messages not from the Mailbox, not from an enrolled spoke gateway,
    ///      or of a kind the home side never receives; a PUBLISH that cannot be published is
    ///      refused with {MessageIgnored}. Coin sent along is added to the liquidity.
    function handle(uint32 origin, bytes32 sender, bytes calldata message) external payable nonReentrant {
        if (msg.sender != address(mailbox)) revert NotMailbox(msg.sender);
        bytes32 spoke = routes[origin].gateway;
        if (spoke == bytes32(0) || sender != spoke) revert UnknownSender(origin, sender);
        if (msg.value != 0) _addLiquidity(msg.sender, msg.value);
        uint8 kind = Msg.kindOf(message);
        Bridged memory b;
        (b.origin, b.spoke, b.backer) = (origin, spoke, routes[origin].backer);
        uint64 deadline;
        bytes memory spec;
        address spokeToken; // address(0): the native coin
        if (kind == Msg.PUBLISH) {
            (, b.escrowId, b.payer, b.budget, deadline, spec) =
                abi.decode(message, (uint8, uint256, address, uint256, uint64, bytes));
        } else if (kind == Msg.PUBLISH_TOKEN) {
            (, b.escrowId, b.payer, spokeToken, b.budget, deadline, spec) =
                abi.decode(message, (uint8, uint256, address, address, uint256, uint64, bytes));
        } else {
            revert Msg.UnknownMessageKind(kind);
        }
        if (gasleft() < MIN_PUBLISH_GAS) revert OutOfGas();
        _publish(b, spokeToken, deadline, spec);
    }

    function _publish(Bridged memory b, address spokeToken, uint64 deadline, bytes memory spec) private {
        (address homeToken, string memory refusal) = _refusal(b, spokeToken, deadline);
        if (bytes(refusal).length != 0) {
            _ignore(b, refusal);
            return;
        }
        ITaskMarket.TaskParams memory params;
        uint256 gasBefore = gasleft();
        try this.decodeTaskParams(spec) returns (ITaskMarket.TaskParams memory p) {
            params = p;
        } catch {
            _revertIfOutOfGas(gasBefore);
            _ignore(b, "malformed spec");
            return;
        }
        (params.token, params.budget) = (homeToken, b.budget);
        b.account = Clones.clone(accountImplementation);
        bool ok;
        uint256 taskId;
        gasBefore = gasleft();
        if (homeToken != address(0)) {
            (ok, taskId) = _tryPublishToken(b.account, params);
        } else {
            try TaskAccount(payable(b.account)).publish{value: b.budget}(params) returns (uint256 id) {
                (ok, taskId) = (true, id);
            } catch {}
        }
        if (!ok) {
            _revertIfOutOfGas(gasBefore);
            _ignore(b, "market refused");
            return;
        }
        if (homeToken != address(0)) _recordTokenTask(taskId, spokeToken, homeToken, b.budget);
        _record(b, taskId, homeToken == address(0) ? b.budget : 0);
    }

    /// @dev Records published task `taskId`, takes `coin` (its native budget, 0 for a token
    ///      task) and the ACK's fee from the native pool, and answers the spoke with ACK.
    function _record(Bridged memory b, uint256 taskId, uint256 coin) private {
        bytes memory ack = Msg.encodeAck(b.escrowId);
        bytes memory metadata = Msg.hookMetadata(Msg.ACK_GAS, b.backer);
        uint256 fee = mailbox.quoteDispatch(b.origin, b.spoke, ack, metadata);
        liquidity -= coin + fee;
        taskOf[b.origin][b.escrowId] = taskId;
        isAccount[b.account] = true;
        b.status = BridgedStatus.Published;
        bridged[taskId] = b;
        emit TaskBridged(taskId, b.origin, b.escrowId, b.payer, b.account, b.budget);
        mailbox.dispatch{value: fee}(b.origin, b.spoke, ack, metadata);
    }

    /// @dev Why a PUBLISH is refused before trying the market ("" if it is not) and the home
    ///      token it would be paid in; marks the escrow seen either way (a published one gets
    ///      its task id afterwards).
    function _refusal(Bridged memory b, address spokeToken, uint64 deadline)
        private
        returns (address homeToken, string memory)
    {
        if (taskOf[b.origin][b.escrowId] != 0) return (homeToken, "duplicate");
        taskOf[b.origin][b.escrowId] = REFUSED; // until published
        if (uint256(block.timestamp) + ackMargin > deadline) return (homeToken, "past deadline");
        uint256 fee =
            mailbox.quoteDispatch(b.origin, b.spoke, Msg.encodeAck(b.escrowId), Msg.hookMetadata(Msg.ACK_GAS, b.backer));
        uint256 coin = b.budget; // drawn from the native pool with the ACK's fee
        if (spokeToken != address(0)) {
            string memory reason;
            (homeToken, reason) = _tokenRefusal(b.origin, spokeToken, b.budget);
            if (bytes(reason).length != 0) return (homeToken, reason);
            coin = 0;
        }
        if (b.budget == 0 || coin + fee > liquidity) return (homeToken, "insufficient liquidity");
        return (homeToken, "");
    }

    /// @dev A call that failed for lack of gas (the relayer gave too little) must not refuse
    ///      the PUBLISH for good: revert so that it is delivered again with more gas.
    function _revertIfOutOfGas(uint256 gasBefore) private view {
        if (gasleft() <= gasBefore / 63) revert OutOfGas();
    }

    function _ignore(Bridged memory b, string memory reason) private {
        emit MessageIgnored(b.origin, b.escrowId, Msg.PUBLISH, reason);
    }

    /// @notice Decodes a PUBLISH spec (external so that {handle} can catch a malformed one).
    function decodeTaskParams(bytes calldata spec) external pure returns (ITaskMarket.TaskParams memory) {
        return abi.decode(spec, (ITaskMarket.TaskParams));
    }

    // ------------------------------------------------------------------ settlement

    /// @notice The Hyperlane fee {relaySettlement} needs for `taskId`.
    function quoteRelay(uint256 taskId) external view returns (uint256) {
        Bridged storage b = bridged[taskId];
        (address[] memory payees, uint256[] memory amounts) = _settlePayees(taskId, b.backer, b.budget);
        return mailbox.quoteDispatch(
            b.origin,
            b.spoke,
            Msg.encodeSettle(b.escrowId, payees, amounts),
            Msg.hookMetadata(Msg.settleGas(payees.length), msg.sender)
        );
    }

    /// @notice Once task `taskId` is final (settled, cancelled, expired or failed), anyone may
    ///         relay its settlement: collects the task's refund R and its routed payouts N
    ///         ({OriginPayouts}) from the market into the pool (the pool of the task's token) and
    ///         sends SETTLE to the spoke: each routed node its payout, B - R - N to the route's
    ///         backer, R (the rest of the escrow) to the payer (backer and spoke gateway as
    ///         enrolled when the task was bridged). Once per task. `msg.value` pays the
    ///         Hyperlane fee ({quoteRelay}); any excess is returned to the caller.
    function relaySettlement(uint256 taskId) external payable nonReentrant returns (bytes32 messageId) {
        Bridged storage b = bridged[taskId];
        if (b.status != BridgedStatus.Published) revert NotRelayable(taskId, b.status);
        ITaskMarket.TaskStatus s = market.getTask(taskId).status;
        if (
            s != ITaskMarket.TaskStatus.Settled && s != ITaskMarket.TaskStatus.Cancelled
                && s != ITaskMarket.TaskStatus.Expired && s != ITaskMarket.TaskStatus.Failed
        ) revert TaskNotFinal(taskId, s);
        b.status = BridgedStatus.Relayed;

        (uint256 refund, uint256 routed) = _collect(taskId, b);
        uint256 paid = b.budget - refund;
        (address[] memory payees, uint256[] memory amounts) = _settlePayees(taskId, b.backer, paid - routed);
        uint256 fee;
        (messageId, fee) = _dispatchSettle(b, payees, amounts);
        emit SettlementRelayed(taskId, b.origin, b.escrowId, paid, refund, messageId);
        if (msg.value > fee) _send(msg.sender, msg.value - fee);
    }

    /// @dev Sends SETTLE, paying its fee (destination gas for each credit) from `msg.value`.
    function _dispatchSettle(Bridged storage b, address[] memory payees, uint256[] memory amounts)
        private
        returns (bytes32 messageId, uint256 fee)
    {
        bytes memory body = Msg.encodeSettle(b.escrowId, payees, amounts);
        bytes memory metadata = Msg.hookMetadata(Msg.settleGas(payees.length), msg.sender);
        fee = mailbox.quoteDispatch(b.origin, b.spoke, body, metadata);
        if (msg.value < fee) revert FeeTooSmall(msg.value, fee);
        messageId = mailbox.dispatch{value: fee}(b.origin, b.spoke, body, metadata);
    }

    /// @dev Collects what the market credited task `taskId`'s account, its refund and its routed
    ///      payouts, into the pool of the task's token.
    function _collect(uint256 taskId, Bridged storage b) private returns (uint256 refund, uint256 routed) {
        address token = taskToken[taskId];
        uint256 collected = token == address(0)
            ? TaskAccount(payable(b.account)).collect()
            : _collectTokenRefund(b.account, token);
        routed = _routedTotal(taskId);
        if (collected > b.budget) revert RefundOverBudget(taskId, collected, b.budget);
        if (collected < routed) revert PayoutsNotCollected(taskId, collected, routed);
        if (token == address(0)) liquidity += collected;
        refund = collected - routed;
    }

    /// @dev The market the gateway publishes on is the one allowed to offer payouts.
    function _payoutMarket() internal view override returns (address) {
        return address(market);
    }

    /// @dev A payout is routable while its task is bridged here and not relayed yet.
    function _routable(uint256 taskId, address requester) internal view override returns (bool, uint32) {
        Bridged storage b = bridged[taskId];
        return (b.status == BridgedStatus.Published && b.account == requester, b.origin);
    }

    // ------------------------------------------------------------------ liquidity

    /// @notice Adds `msg.value` to the pool's free liquidity.
    function fund() external payable {
        _addLiquidity(msg.sender, msg.value);
    }

    /// @notice Accepts the refunds task accounts pass on (inside {relaySettlement}); use {fund}
    ///         to add liquidity.
    receive() external payable {
        if (!isAccount[msg.sender]) revert UnexpectedCoin(msg.sender);
    }

    function _addLiquidity(address from, uint256 amount) private {
        liquidity += amount;
        emit LiquidityAdded(from, amount);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Withdraws `amount` of free liquidity (never the budgets of running tasks, which
    ///         are in the market) to `to`.
    function withdrawLiquidity(address to, uint256 amount) external onlyOwner nonReentrant {
        if (to == address(0)) revert ZeroArgument("to");
        if (amount > liquidity) revert InsufficientLiquidity(amount, liquidity);
        liquidity -= amount;
        emit LiquidityWithdrawn(to, amount);
        _send(to, amount);
    }

    /// @notice Enrols `gateway` as the spoke gateway of `domain`, its payouts credited to
    ///         `backer` there; gateway address(0) closes the route to new PUBLISH messages
    ///         (tasks already bridged still relay their settlement).
    function enrollSpoke(uint32 domain, address gateway, address backer) external onlyOwner {
        if (gateway != address(0) && backer == address(0)) revert ZeroArgument("backer");
        bytes32 g = Msg.toBytes32(gateway);
        routes[domain] = Route(g, backer);
        emit RouteEnrolled(domain, g, backer);
    }

    /// @notice Sets the interchain security module for messages to this gateway (address(0):
    ///         the Mailbox default). Production deployments must set a multisig or validator ISM.
    function setInterchainSecurityModule(address ism) external onlyOwner {
        interchainSecurityModule = ism;
        emit InterchainSecurityModuleSet(ism);
    }

    /// @notice Sets how long before its deadline a PUBLISH must arrive (see the contract notes).
    function setAckMargin(uint64 margin) external onlyOwner {
        ackMargin = margin;
        emit AckMarginSet(margin);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
