// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";
import {Versioned} from "../access/Versioned.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {ICoFundingFactory, ICoFundingPool} from "../interfaces/ICoFunding.sol";
import {FunderShares} from "./FunderShares.sol";

/// @title ModelRegistry
/// @notice The model library: models trained by settled, accepted tasks, with their provenance,
///         and models shared from outside; see {IModelRegistry}.
/// @dev Reads the market's views only: it needs no role there and moves no value. Its governed
///      parameters (`maxFieldLength`, `coFundingFactory`) and REGISTRAR_ROLE belong to
///      DEFAULT_ADMIN_ROLE, the timelock once governance is in place.
contract ModelRegistry is IModelRegistry, AccessControl, Versioned {
    /// @notice Basis points in one whole: a model's shares sum to it.
    uint16 public constant BPS = 10_000;
    /// @notice The most owners one model may have (bounds every loop over them).
    uint256 public constant MAX_OWNERS = 64;
    /// @notice The bounds governance may set `maxFieldLength` within, in bytes.
    uint256 public constant MIN_FIELD_LENGTH = 64;
    uint256 public constant MAX_FIELD_LENGTH = 4096;
    /// @notice The longest domain name a listing may carry, in bytes ("vision", "text", ...).
    uint256 public constant MAX_DOMAIN_LENGTH = 32;
    /// @notice May list any settled, accepted task's model (`registerTask`): the oracle.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @inheritdoc IModelRegistry
    ITaskMarket public immutable market;

    /// @inheritdoc IModelRegistry
    uint256 public maxFieldLength;

    /// @inheritdoc IModelRegistry
    uint256 public modelCount;

    /// @inheritdoc IModelRegistry
    ICoFundingFactory public coFundingFactory;

    /// @inheritdoc IModelRegistry
    mapping(uint256 taskId => uint256 modelId) public modelOfTask;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 modelId => Owner[]) private _owners;
    mapping(address account => uint256[]) private _modelsOf;
    mapping(uint256 modelId => uint256[]) private _children;

    /// @param market_ The task market.
    /// @param maxFieldLength_ The longest string a listing may carry, in bytes.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the timelock once governance is in place).
    constructor(ITaskMarket market_, uint256 maxFieldLength_, address admin) {
        if (address(market_) == address(0) || admin == address(0)) revert ZeroAddress();
        market = market_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setMaxFieldLength(maxFieldLength_);
    }

    // ---------------------------------------------------------------- listing

    /// @inheritdoc IModelRegistry
    function registerFromTask(uint256 taskId, Metadata calldata metadata, uint256 parentId, Visibility visibility)
        external
        returns (uint256 modelId)
    {
        return _listTask(taskId, metadata, parentId, visibility, true);
    }

    /// @inheritdoc IModelRegistry
    function registerTask(uint256 taskId, Metadata calldata metadata, uint256 parentId, Visibility visibility)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 modelId)
    {
        return _listTask(taskId, metadata, parentId, visibility, false);
    }

    /// @inheritdoc IModelRegistry
    function shareModel(bytes32 modelDigest, Metadata calldata metadata, uint256 parentId, Visibility visibility)
        external
        returns (uint256 modelId)
    {
        if (modelDigest == bytes32(0)) revert ZeroModelDigest();
        modelId = _list(0, modelDigest, metadata, parentId, visibility, _whole(msg.sender));
    }

    /// @inheritdoc IModelRegistry
    function verifyWithTask(uint256 modelId, uint256 taskId) external {
        Model storage m = _model(modelId);
        if (m.verified) revert AlreadyVerified(modelId, m.verifiedBy);
        ITaskMarket.Task memory t = _acceptedTaskOf(taskId);
        if (msg.sender != t.requester) revert NotTaskRequester(taskId, msg.sender, t.requester);
        _verify(m, modelId, taskId, t);
    }

    /// @inheritdoc IModelRegistry
    function setVisibility(uint256 modelId, Visibility visibility) external {
        Model storage m = _model(modelId);
        uint16 share = _shareOf(modelId, msg.sender);
        if (share <= BPS / 2) revert NotMajorityOwner(modelId, msg.sender, share);
        Visibility from = m.visibility;
        m.visibility = visibility;
        emit VisibilityChanged(modelId, msg.sender, from, visibility);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IModelRegistry
    function setMaxFieldLength(uint256 maxFieldLength_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxFieldLength(maxFieldLength_);
    }

    /// @inheritdoc IModelRegistry
    function setCoFundingFactory(address factory) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit CoFundingFactorySet(address(coFundingFactory), factory);
        coFundingFactory = ICoFundingFactory(factory);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IModelRegistry
    function taskOwners(uint256 taskId) external view returns (Owner[] memory) {
        return _ownersOf(market.getTask(taskId).requester);
    }

    /// @inheritdoc IModelRegistry
    function model(uint256 modelId) external view returns (Model memory) {
        return _model(modelId);
    }

    /// @inheritdoc IModelRegistry
    function ownersOf(uint256 modelId) external view returns (Owner[] memory) {
        _model(modelId);
        return _owners[modelId];
    }

    /// @inheritdoc IModelRegistry
    function shareOf(uint256 modelId, address account) external view returns (uint16) {
        _model(modelId);
        return _shareOf(modelId, account);
    }

    /// @inheritdoc IModelRegistry
    function modelsOf(address account) external view returns (uint256[] memory) {
        return _modelsOf[account];
    }

    /// @inheritdoc IModelRegistry
    function childrenOf(uint256 modelId) external view returns (uint256[] memory) {
        _model(modelId);
        return _children[modelId];
    }

    /// @inheritdoc IModelRegistry
    function lineage(uint256 modelId, uint256 maxDepth) external view returns (uint256[] memory ancestors) {
        uint256 first = _model(modelId).parentId;
        uint256 depth;
        for (uint256 id = first; id != 0 && depth < maxDepth; id = _models[id].parentId) {
            ++depth;
        }
        ancestors = new uint256[](depth);
        uint256 ancestor = first;
        for (uint256 i; i < depth; ++i) {
            ancestors[i] = ancestor;
            ancestor = _models[ancestor].parentId;
        }
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IModelRegistry).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The task, checked Settled on an agreed result, not rejected and unused.
    function _acceptedTaskOf(uint256 taskId) internal view returns (ITaskMarket.Task memory t) {
        t = market.getTask(taskId);
        if (t.status != ITaskMarket.TaskStatus.Settled) revert TaskNotSettled(taskId, t.status);
        if (t.resultDigest == bytes32(0)) revert NoAgreedResult(taskId);
        if (t.rejected) revert TaskRejected(taskId, t.qualityScore);
        uint256 used = modelOfTask[taskId];
        if (used != 0) revert TaskAlreadyUsed(taskId, used);
    }

    /// @dev Lists and verifies the model of the accepted task `taskId`, owned by `taskOwners`
    ///      (its caller checked to be the requester when `byRequester`).
    function _listTask(
        uint256 taskId,
        Metadata calldata metadata,
        uint256 parentId,
        Visibility visibility,
        bool byRequester
    ) internal returns (uint256 modelId) {
        ITaskMarket.Task memory t = _acceptedTaskOf(taskId);
        if (byRequester && msg.sender != t.requester) revert NotTaskRequester(taskId, msg.sender, t.requester);
        modelId = _list(taskId, t.resultDigest, metadata, parentId, visibility, _ownersOf(t.requester));
        _verify(_models[modelId], modelId, taskId, t);
    }

    /// @dev Stores a new, unverified model of `taskId` (0: none) owned by `owners`.
    function _list(
        uint256 taskId,
        bytes32 modelDigest,
        Metadata calldata metadata,
        uint256 parentId,
        Visibility visibility,
        Owner[] memory owners
    ) internal returns (uint256 modelId) {
        _checkMetadata(metadata);
        uint256 count = modelCount;
        if (parentId > count) revert UnknownParent(parentId, count);
        modelId = count + 1;
        modelCount = modelId;
        Model storage m = _models[modelId];
        m.taskId = taskId;
        m.parentId = parentId;
        m.modelDigest = modelDigest;
        m.visibility = visibility;
        m.registrant = msg.sender;
        m.registeredAt = uint64(block.timestamp);
        m.metadata = metadata;
        if (parentId != 0) _children[parentId].push(modelId);
        emit ModelRegistered(
            modelId, taskId, msg.sender, modelDigest, parentId, visibility, metadata.modelURI, metadata.licence
        );
        _setOwners(modelId, owners);
    }

    /// @dev The owners a task's requester stands for: itself wholly, or a co-funding pool's
    ///      funders by contribution (those whose share floors to 0 left out).
    function _ownersOf(address requester) internal view returns (Owner[] memory owners) {
        ICoFundingFactory factory = coFundingFactory;
        if (address(factory) == address(0) || !factory.isPool(requester)) return _whole(requester);
        address[] memory funders = ICoFundingPool(requester).funders();
        uint256 n = funders.length;
        if (n > MAX_OWNERS) revert TooManyFunders(requester, n, MAX_OWNERS);
        uint256[] memory contributions = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            contributions[i] = ICoFundingPool(requester).contributionOf(funders[i]);
        }
        uint16[] memory shares = FunderShares.split(contributions);
        uint256 kept;
        for (uint256 i; i < n; ++i) {
            if (shares[i] != 0) ++kept;
        }
        if (kept == 0) revert EmptyCoFundingPool(requester);
        owners = new Owner[](kept);
        uint256 j;
        for (uint256 i; i < n; ++i) {
            if (shares[i] != 0) owners[j++] = Owner({account: funders[i], shareBps: shares[i]});
        }
    }

    function _whole(address account) internal pure returns (Owner[] memory owners) {
        owners = new Owner[](1);
        owners[0] = Owner({account: account, shareBps: BPS});
    }

    /// @dev Records task `taskId` as the model's verification (training or evaluation).
    function _verify(Model storage m, uint256 modelId, uint256 taskId, ITaskMarket.Task memory t) internal {
        modelOfTask[taskId] = modelId;
        m.verified = true;
        m.verifiedBy = taskId;
        m.specDigest = t.specDigest;
        m.metricValue = t.qualityScore;
        m.scoredBy = t.scoredBy;
        emit ModelVerified(modelId, taskId, t.specDigest, t.qualityScore);
    }

    /// @dev Replaces the model's owners: distinct nonzero accounts, each with a nonzero share,
    ///      the shares summing to exactly BPS, at most MAX_OWNERS of them.
    function _setOwners(uint256 modelId, Owner[] memory owners) internal {
        uint256 n = owners.length;
        if (n == 0 || n > MAX_OWNERS) revert TooManyOwners(modelId, n, MAX_OWNERS);
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            Owner memory o = owners[i];
            if (o.account == address(0) || o.shareBps == 0) revert InvalidOwner(modelId, o.account, o.shareBps);
            for (uint256 j; j < i; ++j) {
                if (owners[j].account == o.account) revert DuplicateOwner(modelId, o.account);
            }
            sum += o.shareBps;
        }
        if (sum != BPS) revert SharesNotWhole(modelId, sum);
        address[] memory accounts = new address[](n);
        uint16[] memory shares = new uint16[](n);
        for (uint256 i; i < n; ++i) {
            (accounts[i], shares[i]) = (owners[i].account, owners[i].shareBps);
            if (_shareOf(modelId, accounts[i]) == 0) _modelsOf[accounts[i]].push(modelId);
        }
        delete _owners[modelId];
        for (uint256 i; i < n; ++i) {
            _owners[modelId].push(owners[i]);
        }
        emit OwnersSet(modelId, accounts, shares);
    }

    function _shareOf(uint256 modelId, address account) internal view returns (uint16) {
        Owner[] storage owners = _owners[modelId];
        for (uint256 i; i < owners.length; ++i) {
            if (owners[i].account == account) return owners[i].shareBps;
        }
        return 0;
    }

    function _model(uint256 modelId) internal view returns (Model storage m) {
        if (modelId == 0 || modelId > modelCount) revert UnknownModel(modelId, modelCount);
        m = _models[modelId];
    }

    function _checkMetadata(Metadata calldata metadata) internal view {
        if (bytes(metadata.modelURI).length == 0) revert EmptyField("modelURI");
        if (bytes(metadata.licence).length == 0) revert EmptyField("licence");
        _checkLength("modelURI", metadata.modelURI);
        _checkLength("licence", metadata.licence);
        _checkLength("framework", metadata.framework);
        _checkLength("metric", metadata.metric);
        _checkLength("specURI", metadata.specURI);
        _checkLength("programURI", metadata.programURI);
        _checkLength("datasetURI", metadata.datasetURI);
        uint256 domainLength = bytes(metadata.domain).length;
        if (domainLength > MAX_DOMAIN_LENGTH) revert FieldTooLong("domain", domainLength, MAX_DOMAIN_LENGTH);
    }

    function _checkLength(string memory field, string calldata value) internal view {
        uint256 length = bytes(value).length;
        if (length > maxFieldLength) revert FieldTooLong(field, length, maxFieldLength);
    }

    function _setMaxFieldLength(uint256 maxFieldLength_) internal {
        if (maxFieldLength_ < MIN_FIELD_LENGTH || maxFieldLength_ > MAX_FIELD_LENGTH) {
            revert MaxFieldLengthOutOfRange(maxFieldLength_, MIN_FIELD_LENGTH, MAX_FIELD_LENGTH);
        }
        emit MaxFieldLengthSet(maxFieldLength, maxFieldLength_);
        maxFieldLength = maxFieldLength_;
    }
}
