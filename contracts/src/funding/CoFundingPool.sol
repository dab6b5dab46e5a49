// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Versioned} from "../access/Versioned.sol";
import {IArbitration} from "../interfaces/IArbitration.sol";
import {ISpotCheck} from "../interfaces/ISpotCheck.sol";
import {ICoFundingPool} from "../interfaces/ICoFunding.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";

/// @title CoFundingPool
/// @notice The requester of one co-funded task: takes contributions, publishes the task with
///         their sum as budget, and shares everything that comes back by contribution.
/// @dev See {ICoFundingPool}. Used through minimal-proxy clones ({CoFundingFactory}); the
///      implementation itself can never be initialized. The pool holds, per token, exactly
///      `_outstanding[token]` (credited, unpaid) plus what it has not distributed yet; the only
///      loop runs over the funders (at most MAX_FUNDERS).
contract CoFundingPool is ICoFundingPool, Initializable, ReentrancyGuard, ERC165, Versioned {
    using SafeERC20 for IERC20;

    /// @notice Most funders one pool takes (bounds the distribution loop).
    uint256 public constant MAX_FUNDERS = 64;

    /// @inheritdoc ICoFundingPool
    ITaskMarket public market;
    /// @inheritdoc ICoFundingPool
    address public arbitration;
    /// @inheritdoc ICoFundingPool
    address public spotCheck;
    /// @notice The factory that made and initialized this pool.
    address public factory;
    /// @inheritdoc ICoFundingPool
    address public lead;
    /// @inheritdoc ICoFundingPool
    uint64 public fundingDeadline;
    PoolStatus private _status;
    /// @inheritdoc ICoFundingPool
    uint256 public target;
    /// @inheritdoc ICoFundingPool
    uint256 public totalContributed;
    /// @inheritdoc ICoFundingPool
    uint256 public taskId;
    Terms private _terms;
    address[] private _funders;
    /// @inheritdoc ICoFundingPool
    mapping(address funder => uint256) public contributionOf;
    /// @inheritdoc ICoFundingPool
    mapping(address funder => mapping(address token => uint256)) public paidTo;
    mapping(address funder => mapping(address token => uint256)) private _credit;
    /// @dev Per token: credited to funders and not yet paid (the pool holds at least this much).
    mapping(address token => uint256) private _outstanding;

    modifier onlyLead() {
        if (msg.sender != lead) revert NotLead(msg.sender, lead);
        _;
    }

    constructor() {
        _disableInitializers();
    }

    /// @notice Only the market (refunds, pulled by `distribute`) and the spot-check contract (an
    ///         unused fee, pulled by `collectSpotCheckFee`) send the pool ETH.
    receive() external payable {
        if (msg.sender != address(market) && msg.sender != spotCheck) revert UnexpectedEth(msg.sender, msg.value);
    }

    // ---------------------------------------------------------------- funding

    /// @inheritdoc ICoFundingPool
    function initialize(
        ITaskMarket market_,
        address arbitration_,
        address spotCheck_,
        address lead_,
        Terms calldata terms_,
        uint256 target_,
        uint64 fundingDeadline_,
        uint256 amount
    ) external payable initializer {
        if (target_ == 0) revert ZeroTarget();
        uint64 nowTs = uint64(block.timestamp);
        if (fundingDeadline_ <= nowTs || fundingDeadline_ > terms_.applyDeadline) {
            revert FundingDeadlineInvalid(fundingDeadline_, nowTs, terms_.applyDeadline);
        }
        factory = msg.sender;
        market = market_;
        arbitration = arbitration_;
        spotCheck = spotCheck_;
        lead = lead_;
        _terms = terms_;
        target = target_;
        fundingDeadline = fundingDeadline_;
        _status = PoolStatus.Funding;
        emit PoolOpened(lead_, terms_.token, terms_.specDigest, target_, fundingDeadline_);
        // the factory moved an ERC-20 contribution here already (checking what arrived)
        if (terms_.token == address(0)) {
            if (msg.value != amount) revert WrongEthContribution(msg.value, amount);
        } else if (msg.value != 0) {
            revert EthSentWithToken(msg.value);
        }
        _record(lead_, amount);
    }

    /// @inheritdoc ICoFundingPool
    function contribute(uint256 amount) external payable nonReentrant {
        _requireFunding();
        address token = _terms.token;
        if (token == address(0)) {
            if (msg.value != amount) revert WrongEthContribution(msg.value, amount);
        } else if (msg.value != 0) {
            revert EthSentWithToken(msg.value);
        }
        _record(msg.sender, amount);
        if (token != address(0)) {
            IERC20 erc20 = IERC20(token);
            uint256 before = erc20.balanceOf(address(this));
            erc20.safeTransferFrom(msg.sender, address(this), amount);
            uint256 received = erc20.balanceOf(address(this)) - before;
            if (received != amount) revert FeeOnTransferToken(token, amount, received);
        }
    }

    /// @inheritdoc ICoFundingPool
    function publish() external nonReentrant returns (uint256 id) {
        _requireFunding();
        uint256 budget = totalContributed;
        if (budget < target) revert TargetNotReached(budget, target);
        _status = PoolStatus.Published;
        Terms memory t = _terms;
        ITaskMarket.TaskParams memory p = ITaskMarket.TaskParams({
            specDigest: t.specDigest,
            specURI: t.specURI,
            token: t.token,
            budget: budget,
            replication: t.replication,
            strategy: t.strategy,
            collateral: t.collateral,
            minHardwareClass: t.minHardwareClass,
            applyDeadline: t.applyDeadline,
            deadline: t.deadline,
            computeUnits: t.computeUnits,
            minReputation: t.minReputation
        });
        if (t.token == address(0)) {
            id = market.publish{value: budget}(p);
        } else {
            IERC20(t.token).forceApprove(address(market), budget);
            id = market.publish(p);
        }
        taskId = id;
        emit PoolTaskPublished(id, msg.sender, budget);
    }

    // ---------------------------------------------------------------- the lead, for the funders

    /// @inheritdoc ICoFundingPool
    function cancel() external nonReentrant onlyLead {
        PoolStatus s = status();
        if (s == PoolStatus.Funding) {
            _status = PoolStatus.Refunding;
            emit FundingClosed(msg.sender, true);
        } else if (s == PoolStatus.Published) {
            emit PoolTaskCancelled(taskId, msg.sender);
            market.cancel(taskId); // the market checks it is still Published with applications open
        } else {
            revert InvalidPoolStatus(s, PoolStatus.Funding);
        }
    }

    /// @inheritdoc ICoFundingPool
    function reportQuality(uint16 score, bool accepted) external onlyLead {
        PoolStatus s = _status;
        if (s != PoolStatus.Published) revert InvalidPoolStatus(s, PoolStatus.Published);
        emit PoolQualityReported(taskId, msg.sender, score, accepted);
        market.reportQuality(taskId, score, accepted);
    }

    /// @inheritdoc ICoFundingPool
    function enableSpotCheck(uint8 segments, uint32 toleranceMicros) external payable nonReentrant onlyLead {
        PoolStatus s = _status;
        if (s != PoolStatus.Published) revert InvalidPoolStatus(s, PoolStatus.Published);
        address sc = spotCheck;
        if (sc == address(0)) revert NoSpotCheck();
        emit PoolSpotCheckEnabled(taskId, msg.sender, msg.value);
        ISpotCheck(sc).enable{value: msg.value}(taskId, segments, toleranceMicros);
    }

    /// @inheritdoc ICoFundingPool
    /// @dev The spot-check contract credits a requester only an unused fee, which the lead paid:
    ///      it is credited to the lead whole (and counted as credited, so no distribution shares it).
    function collectSpotCheckFee() external nonReentrant {
        address sc = spotCheck;
        if (sc == address(0)) revert NoSpotCheck();
        uint256 before = address(this).balance;
        ISpotCheck(sc).claim();
        uint256 amount = address(this).balance - before;
        address lead_ = lead;
        _credit[lead_][address(0)] += amount;
        _outstanding[address(0)] += amount;
        emit SpotCheckFeeReturned(lead_, amount);
        emit Credited(lead_, address(0), amount);
    }

    // ---------------------------------------------------------------- sharing what comes back

    /// @inheritdoc ICoFundingPool
    function distribute(address token) external nonReentrant {
        _distribute(token);
    }

    /// @inheritdoc ICoFundingPool
    function collectArbitration() external nonReentrant {
        address a = arbitration;
        if (a == address(0)) revert NoArbitration();
        IArbitration(a).claim();
    }

    /// @inheritdoc ICoFundingPool
    function claim(address token) external nonReentrant {
        _distribute(token);
        uint256 amount = _credit[msg.sender][token];
        if (amount == 0) revert NothingToClaimInToken(msg.sender, token);
        _credit[msg.sender][token] = 0;
        _outstanding[token] -= amount;
        paidTo[msg.sender][token] += amount;
        emit Paid(msg.sender, token, amount);
        if (token == address(0)) {
            (bool ok,) = msg.sender.call{value: amount}("");
            if (!ok) revert EthTransferFailed(msg.sender, amount);
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICoFundingPool
    function status() public view returns (PoolStatus) {
        PoolStatus s = _status;
        if (s == PoolStatus.Funding && block.timestamp >= fundingDeadline) return PoolStatus.Refunding;
        return s;
    }

    /// @inheritdoc ICoFundingPool
    function funders() external view returns (address[] memory) {
        return _funders;
    }

    /// @inheritdoc ICoFundingPool
    function terms() external view returns (Terms memory) {
        return _terms;
    }

    /// @inheritdoc ICoFundingPool
    function minContribution() public view returns (uint256) {
        return target / MAX_FUNDERS;
    }

    /// @inheritdoc ICoFundingPool
    function claimableOf(address funder, address token) external view returns (uint256 amount) {
        amount = _credit[funder][token];
        uint256 c = contributionOf[funder];
        PoolStatus s = status();
        if (c == 0 || s == PoolStatus.Funding) return amount;
        uint256 held = _balanceOf(token);
        if (s == PoolStatus.Published) held += market.claimable(token, address(this));
        uint256 outstanding = _outstanding[token];
        if (held <= outstanding) return amount;
        uint256 fresh = held - outstanding;
        if (funder != lead) return amount + Math.mulDiv(fresh, c, totalContributed);
        uint256 others;
        uint256 total = totalContributed;
        uint256 n = _funders.length;
        for (uint256 i = 1; i < n; ++i) {
            others += Math.mulDiv(fresh, contributionOf[_funders[i]], total);
        }
        return amount + fresh - others;
    }

    /// @inheritdoc ERC165
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ICoFundingPool).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    function _requireFunding() private view {
        PoolStatus s = _status;
        if (s != PoolStatus.Funding) revert InvalidPoolStatus(s, PoolStatus.Funding);
        if (block.timestamp >= fundingDeadline) revert FundingDeadlinePassed(fundingDeadline);
    }

    /// @dev Adds `amount` to `funder`'s contribution, seating it if new.
    function _record(address funder, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        uint256 before = contributionOf[funder];
        if (before == 0) {
            uint256 count = _funders.length;
            if (count == MAX_FUNDERS) revert TooManyFunders(count + 1, MAX_FUNDERS);
            uint256 min = minContribution();
            if (amount < min) revert ContributionTooSmall(amount, min);
            _funders.push(funder);
        }
        uint256 total = totalContributed + amount;
        contributionOf[funder] = before + amount;
        totalContributed = total;
        emit Contributed(funder, amount, before + amount, total);
    }

    /// @dev Pulls what the market owes the pool in `token` and credits every funder its share of
    ///      whatever the pool holds beyond earlier credits; the rounding remainder goes to the
    ///      lead, so the credits add up to the amount exactly.
    function _distribute(address token) private {
        PoolStatus s = status();
        if (s == PoolStatus.Funding || s == PoolStatus.None) revert InvalidPoolStatus(s, PoolStatus.Published);
        if (_status == PoolStatus.Funding) {
            _status = PoolStatus.Refunding; // the funding deadline passed without a publish
            emit FundingClosed(msg.sender, false);
        }
        if (s == PoolStatus.Published && market.claimable(token, address(this)) != 0) market.claim(token);
        uint256 held = _balanceOf(token);
        uint256 outstanding = _outstanding[token];
        if (held <= outstanding) return;
        uint256 fresh = held - outstanding;
        uint256 total = totalContributed;
        uint256 n = _funders.length;
        uint256 shared;
        for (uint256 i = 1; i < n; ++i) {
            address funder = _funders[i];
            uint256 share = Math.mulDiv(fresh, contributionOf[funder], total);
            if (share == 0) continue;
            _credit[funder][token] += share;
            shared += share;
            emit Credited(funder, token, share);
        }
        address lead_ = _funders[0];
        uint256 leadShare = fresh - shared;
        _credit[lead_][token] += leadShare;
        _outstanding[token] = outstanding + fresh;
        emit Credited(lead_, token, leadShare);
        emit Distributed(token, fresh, leadShare - Math.mulDiv(fresh, contributionOf[lead_], total));
    }

    function _balanceOf(address token) private view returns (uint256) {
        return token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
    }
}
