// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Versioned} from "../access/Versioned.sol";
import {CrossChainMessages as Msg} from "./CrossChainMessages.sol";
import {IMailbox, IMessageRecipient, ISpecifiesInterchainSecurityModule} from "./IHyperlane.sol";
import {WarpClaims} from "./WarpClaims.sol";

/// @title SpokeGateway
/// @notice Publishes tasks on the home chain from a spoke chain over Hyperlane, paid in the
///         spoke's native coin ({publish}) or an allow-listed ERC-20 ({publishToken}): escrows the requester's budget here, sends a PUBLISH message home,
///         and credits the settlement's payouts and refund here, claimed by pull payment here
///         or, over a token's warp route, on another chain ({WarpClaims.claimTo}).
/// @dev Trust: only messages the Mailbox delivers from `homeGateway` on `homeDomain` are
///      accepted, verified by the interchain security module {interchainSecurityModule}
///      (governance parameter; address(0) = the Mailbox default, which on the devnet is
///      Hyperlane's test ISM that accepts EVERY message: never use that in production).
///      Nothing lost: an escrow not acknowledged by its deadline is reclaimable by its payer
///      (the home gateway must refuse PUBLISH messages delivered after their deadline); an escrow
///      pays out once (the state machine rejects replayed or duplicate ACK/SETTLE messages
///      without reverting, so a relayer never retries them forever). Conservation per escrow:
///      escrowed = sum of payouts credited + refund credited, or = reclaimed, all in the escrow's
///      token (address(0) = native coin): credits are kept per token and claimed per token.
contract SpokeGateway is
    IMessageRecipient,
    ISpecifiesInterchainSecurityModule,
    Ownable2Step,
    ReentrancyGuard,
    Versioned,
    WarpClaims
{
    /// @notice Where an escrow stands.
    enum Status {
        None,
        Pending, // escrowed, PUBLISH sent, no ACK yet
        Acknowledged, // the home chain published the task
        Settled, // payouts and refund credited
        Reclaimed // not acknowledged by the deadline; budget returned to the payer
    }

    /// @notice One requester's escrowed budget.
    struct Escrow {
        address payer;
        uint64 deadline;
        Status status;
        uint256 budget;
        bytes32 messageId;
    }

    /// @notice The local Hyperlane Mailbox.
    IMailbox public immutable mailbox;
    /// @notice The home chain's Hyperlane domain.
    uint32 public immutable homeDomain;
    /// @notice The home gateway, left-padded.
    bytes32 public immutable homeGateway;
    /// @notice How long the home chain has to acknowledge a PUBLISH before the payer may reclaim.
    uint64 public immutable ackWindow;

    /// @inheritdoc ISpecifiesInterchainSecurityModule
    address public interchainSecurityModule;
    /// @notice Whether new publications are refused (reclaims and claims still work).
    bool public paused;
    /// @notice Escrows by id (ids start at 1).
    mapping(uint256 escrowId => Escrow) public escrows;
    /// @notice Credited and not yet claimed, per account.
    mapping(address account => uint256) public credits;
    /// @notice The number of escrows opened.
    uint256 public escrowCount;
    /// @notice The ERC-20 each escrow is in (address(0): the native coin).
    mapping(uint256 escrowId => address token) public escrowToken;
    /// @notice ERC-20s governance lets requesters escrow ({publishToken}).
    mapping(address token => bool) public tokenAllowed;
    /// @notice Credited in ERC-20 `token` and not yet claimed, per account.
    mapping(address token => mapping(address account => uint256)) public tokenCredits;

    /// @notice A requester escrowed `budget` and sent PUBLISH message `messageId`.
    event Published(uint256 indexed escrowId, address indexed payer, uint256 budget, uint64 deadline, bytes32 messageId);
    /// @notice A requester escrowed `budget` of ERC-20 `token` and sent PUBLISH_TOKEN message
    ///         `messageId` (the native coin's escrows emit {Published}).
    event PublishedToken(
        uint256 indexed escrowId,
        address indexed payer,
        address indexed token,
        uint256 budget,
        uint64 deadline,
        bytes32 messageId
    );
    /// @notice The home chain acknowledged escrow `escrowId`.
    event Acknowledged(uint256 indexed escrowId);
    /// @notice Escrow `escrowId` settled: `paid` credited to payees and `refund` to the payer.
    event Settled(uint256 indexed escrowId, uint256 paid, uint256 refund);
    /// @notice `account` was credited `amount` from escrow `escrowId`.
    event Credited(uint256 indexed escrowId, address indexed account, uint256 amount);
    /// @notice The payer reclaimed escrow `escrowId` after its deadline.
    event Reclaimed(uint256 indexed escrowId, address indexed payer, uint256 budget);
    /// @notice `account` withdrew `amount` of its credits.
    event Claimed(address indexed account, uint256 amount);
    /// @notice `account` was credited `amount` of ERC-20 `token` from escrow `escrowId`.
    event TokenCredited(uint256 indexed escrowId, address indexed token, address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount` of its credits in ERC-20 `token`.
    event TokenClaimed(address indexed account, address indexed token, uint256 amount);
    /// @notice Governance allowed or disallowed escrows in ERC-20 `token`.
    event TokenAllowed(address indexed token, bool allowed);
    /// @notice A delivered message was ignored (replay, late or inconsistent): `reason` says why.
    event MessageIgnored(uint256 indexed escrowId, uint8 kind, string reason);
    /// @notice Governance set the interchain security module.
    event InterchainSecurityModuleSet(address ism);
    /// @notice Governance paused or resumed new publications.
    event PausedSet(bool paused);

    /// @notice The caller of {handle} is not the Mailbox.
    error NotMailbox(address caller);
    /// @notice A message came from somewhere else than the home gateway.
    error UnknownSender(uint32 origin, bytes32 sender);
    /// @notice New publications are paused.
    error RoutePaused();
    /// @notice `msg.value` does not cover the Hyperlane fee plus a positive budget.
    error BudgetTooSmall(uint256 value, uint256 fee);
    /// @notice `msg.value` does not cover the Hyperlane fee of {publishToken}.
    error FeeTooSmall(uint256 value, uint256 fee);
    /// @notice ERC-20 `token` is not allow-listed on this gateway.
    error TokenNotAllowed(address token);
    /// @notice The gateway received another amount than was sent (a fee-on-transfer token).
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    /// @notice An ERC-20 budget of zero.
    error ZeroBudget();
    /// @notice The escrow is not pending (it is acknowledged, settled, reclaimed or unknown).
    error NotReclaimable(uint256 escrowId, Status status);
    /// @notice The escrow's deadline has not passed yet.
    error AckDeadlineNotReached(uint256 escrowId, uint64 deadline);
    /// @notice Only the escrow's payer may reclaim it.
    error NotPayer(uint256 escrowId, address caller);
    /// @notice Nothing to claim.
    error NothingToClaim(address account);
    /// @notice Sending native coin to `to` failed.
    error TransferFailed(address to, uint256 amount);
    /// @notice A constructor argument is zero.
    error ZeroArgument(string name);

    constructor(IMailbox mailbox_, uint32 homeDomain_, address homeGateway_, uint64 ackWindow_, address owner_)
        Ownable(owner_)
    {
        if (address(mailbox_) == address(0)) revert ZeroArgument("mailbox");
        if (homeGateway_ == address(0)) revert ZeroArgument("homeGateway");
        if (ackWindow_ == 0) revert ZeroArgument("ackWindow");
        mailbox = mailbox_;
        homeDomain = homeDomain_;
        homeGateway = Msg.toBytes32(homeGateway_);
        ackWindow = ackWindow_;
    }

    // ------------------------------------------------------------------ requester

    /// @notice The Hyperlane fee {publish} adds on top of the budget for `spec`.
    function quotePublish(bytes calldata spec) external view returns (uint256) {
        bytes memory body = Msg.encodePublish(escrowCount + 1, msg.sender, 0, 0, spec);
        return mailbox.quoteDispatch(homeDomain, homeGateway, body, _publishMetadata());
    }

    /// @notice Escrows `msg.value` minus the Hyperlane fee as the budget of a task described by
    ///         `spec` (the home gateway's task arguments) and sends the PUBLISH message home.
    /// @return escrowId The escrow's id, carried by every message about it.
    function publish(bytes calldata spec) external payable nonReentrant returns (uint256 escrowId) {
        if (paused) revert RoutePaused();
        escrowId = ++escrowCount;
        // The fee does not depend on the budget's or deadline's value (fixed-size fields).
        uint256 fee = mailbox.quoteDispatch(
            homeDomain, homeGateway, Msg.encodePublish(escrowId, msg.sender, 0, 0, spec), _publishMetadata()
        );
        if (msg.value <= fee) revert BudgetTooSmall(msg.value, fee);
        Escrow storage e = escrows[escrowId];
        e.payer = msg.sender;
        e.deadline = uint64(block.timestamp) + ackWindow;
        e.status = Status.Pending;
        e.budget = msg.value - fee;
        e.messageId = _dispatchPublish(escrowId, e, fee, spec);
        emit Published(escrowId, msg.sender, e.budget, e.deadline, e.messageId);
    }

    /// @notice The Hyperlane fee (native coin, `msg.value`) {publishToken} needs for `spec`.
    function quotePublishToken(address token, bytes calldata spec) external view returns (uint256) {
        bytes memory body = Msg.encodePublishToken(escrowCount + 1, msg.sender, token, 0, 0, spec);
        return mailbox.quoteDispatch(homeDomain, homeGateway, body, _publishMetadata());
    }

    /// @notice Escrows `amount` of allow-listed ERC-20 `token` (pulled from the caller, who
    ///         approved it) as the budget of a task described by `spec` and sends the
    ///         PUBLISH_TOKEN message home. `msg.value` pays the Hyperlane fee
    ///         ({quotePublishToken}); any excess is returned. A token that delivers less than
    ///         `amount` (fee on transfer) is refused: the escrow holds exactly what it records.
    /// @return escrowId The escrow's id, carried by every message about it.
    function publishToken(address token, uint256 amount, bytes calldata spec)
        external
        payable
        nonReentrant
        returns (uint256 escrowId)
    {
        if (paused) revert RoutePaused();
        if (!tokenAllowed[token]) revert TokenNotAllowed(token);
        if (amount == 0) revert ZeroBudget();
        escrowId = ++escrowCount;
        bytes memory body = Msg.encodePublishToken(escrowId, msg.sender, token, 0, 0, spec);
        uint256 fee = mailbox.quoteDispatch(homeDomain, homeGateway, body, _publishMetadata());
        if (msg.value < fee) revert FeeTooSmall(msg.value, fee);
        uint256 before = IERC20(token).balanceOf(address(this));
        SafeERC20.safeTransferFrom(IERC20(token), msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert FeeOnTransferToken(token, amount, received);
        Escrow storage e = escrows[escrowId];
        (e.payer, e.deadline, e.status, e.budget) =
            (msg.sender, uint64(block.timestamp) + ackWindow, Status.Pending, amount);
        escrowToken[escrowId] = token;
        body = Msg.encodePublishToken(escrowId, msg.sender, token, amount, e.deadline, spec);
        e.messageId = mailbox.dispatch{value: fee}(homeDomain, homeGateway, body, _publishMetadata());
        emit PublishedToken(escrowId, msg.sender, token, amount, e.deadline, e.messageId);
        if (msg.value > fee) _sendCoin(msg.sender, msg.value - fee);
    }

    function _dispatchPublish(uint256 escrowId, Escrow storage e, uint256 fee, bytes calldata spec)
        private
        returns (bytes32)
    {
        bytes memory body = Msg.encodePublish(escrowId, e.payer, e.budget, e.deadline, spec);
        return mailbox.dispatch{value: fee}(homeDomain, homeGateway, body, _publishMetadata());
    }

    /// @dev A PUBLISH pays for the home gateway's gas (its quote is exact: nothing to refund).
    function _publishMetadata() private view returns (bytes memory) {
        return Msg.hookMetadata(Msg.PUBLISH_GAS, msg.sender);
    }

    /// @notice Returns a pending escrow's budget to its payer after its deadline (the PUBLISH was
    ///         never delivered in time, or the route was paused or misconfigured). Credited, then
    ///         withdrawn with {claim}.
    function reclaim(uint256 escrowId) external nonReentrant {
        Escrow storage e = escrows[escrowId];
        if (e.status != Status.Pending) revert NotReclaimable(escrowId, e.status);
        if (msg.sender != e.payer) revert NotPayer(escrowId, msg.sender);
        if (block.timestamp <= e.deadline) revert AckDeadlineNotReached(escrowId, e.deadline);
        e.status = Status.Reclaimed;
        emit Reclaimed(escrowId, e.payer, e.budget);
        _credit(escrowId, escrowToken[escrowId], e.payer, e.budget);
    }

    /// @notice Withdraws all the caller's native-coin credits (payouts, refunds, reclaims).
    function claim() external nonReentrant {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        credits[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        _sendCoin(msg.sender, amount);
    }

    /// @notice Withdraws all the caller's credits in ERC-20 `token` (payouts, refunds, reclaims
    ///         of escrows in that token). Named apart from {claim} so that clients need no
    ///         overload resolution.
    function claimToken(address token) external nonReentrant {
        uint256 amount = tokenCredits[token][msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        tokenCredits[token][msg.sender] = 0;
        emit TokenClaimed(msg.sender, token, amount);
        SafeERC20.safeTransfer(IERC20(token), msg.sender, amount);
    }

    /// @dev Credits `amount` of escrow `escrowId`'s `token` (address(0): native) to `account`.
    function _credit(uint256 escrowId, address token, address account, uint256 amount) private {
        if (token == address(0)) {
            credits[account] += amount;
            emit Credited(escrowId, account, amount);
        } else {
            tokenCredits[token][account] += amount;
            emit TokenCredited(escrowId, token, account, amount);
        }
    }

    function _creditOf(address token, address account) internal view override returns (uint256) {
        return token == address(0) ? credits[account] : tokenCredits[token][account];
    }

    function _setCredit(address token, address account, uint256 amount) internal override {
        if (token == address(0)) credits[account] = amount;
        else tokenCredits[token][account] = amount;
    }

    function _sendCoin(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    // ------------------------------------------------------------------ Hyperlane

    /// @inheritdoc IMessageRecipient
    /// @dev Reverts only for messages that did not come from the home gateway; a valid message
    ///      that does not apply (replay, late ACK, settlement of a reclaimed escrow, payouts over
    ///      the budget) is ignored with {MessageIgnored}, so the relayer does not retry it forever.
    function handle(uint32 origin, bytes32 sender, bytes calldata message) external payable nonReentrant {
        if (msg.sender != address(mailbox)) revert NotMailbox(msg.sender);
        if (origin != homeDomain || sender != homeGateway) revert UnknownSender(origin, sender);
        uint8 kind = Msg.kindOf(message);
        if (kind == Msg.ACK) {
            (, uint256 escrowId) = abi.decode(message, (uint8, uint256));
            _acknowledge(escrowId);
        } else if (kind == Msg.SETTLE) {
            (, uint256 escrowId, address[] memory payees, uint256[] memory amounts) =
                abi.decode(message, (uint8, uint256, address[], uint256[]));
            _settle(escrowId, payees, amounts);
        } else {
            revert Msg.UnknownMessageKind(kind);
        }
    }

    function _acknowledge(uint256 escrowId) private {
        Escrow storage e = escrows[escrowId];
        if (e.status != Status.Pending) {
            // Replay, ACK after SETTLE (out of order), or ACK of a reclaimed escrow.
            emit MessageIgnored(escrowId, Msg.ACK, "not pending");
            return;
        }
        e.status = Status.Acknowledged;
        emit Acknowledged(escrowId);
    }

    function _settle(uint256 escrowId, address[] memory payees, uint256[] memory amounts) private {
        Escrow storage e = escrows[escrowId];
        // Pending is allowed: the SETTLE may overtake its ACK (out-of-order delivery).
        if (e.status != Status.Pending && e.status != Status.Acknowledged) {
            emit MessageIgnored(escrowId, Msg.SETTLE, "not open");
            return;
        }
        if (payees.length != amounts.length) {
            emit MessageIgnored(escrowId, Msg.SETTLE, "length mismatch");
            return;
        }
        uint256 paid;
        for (uint256 i; i < amounts.length; ++i) {
            paid += amounts[i];
        }
        if (paid > e.budget) {
            emit MessageIgnored(escrowId, Msg.SETTLE, "payouts over budget");
            return;
        }
        e.status = Status.Settled;
        address token = escrowToken[escrowId]; // the escrow's own token, whatever SETTLE meant
        for (uint256 i; i < payees.length; ++i) {
            if (amounts[i] == 0) continue;
            _credit(escrowId, token, payees[i], amounts[i]);
        }
        uint256 refund = e.budget - paid;
        if (refund > 0) _credit(escrowId, token, e.payer, refund);
        emit Settled(escrowId, paid, refund);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Sets the interchain security module for messages to this gateway (address(0):
    ///         the Mailbox default). Production deployments must set a multisig or validator ISM.
    function setInterchainSecurityModule(address ism) external onlyOwner {
        interchainSecurityModule = ism;
        emit InterchainSecurityModuleSet(ism);
    }

    /// @notice Allows or disallows escrows in ERC-20 `token` (for a Hyperlane warp route: its
    ///         collateral token on this chain). Disallowing stops new escrows only: existing
    ///         ones settle, reclaim and claim in it as before.
    function setTokenAllowed(address token, bool allowed) external onlyOwner {
        if (token == address(0)) revert ZeroArgument("token");
        tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @notice Pauses or resumes new publications; pending escrows stay reclaimable.
    function setPaused(bool paused_) external onlyOwner {
        paused = paused_;
        emit PausedSet(paused_);
    }
}
