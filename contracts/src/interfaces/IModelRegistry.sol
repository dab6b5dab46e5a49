// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITaskMarket} from "./ITaskMarket.sol";
import {ICoFundingFactory} from "./ICoFunding.sol";

/// @title IModelRegistry
/// @notice The model library: every model a settled, accepted task trained, with its
///         provenance, and the models anyone shares from outside.
/// @dev Three ways in, one listing per task at most:
///
///      - `registerFromTask`: the requester of a Settled, accepted task lists its model. What the
///        chain knows is read from the market and cannot be faked: the task id, the spec digest,
///        the agreed result digest (the model's digest; for a task proven in zero knowledge, its
///        agreement tag), the quality score (the agreed metric's value, in basis points) and who
///        scored it. What the chain does not know comes from the requester (`Metadata`: spec,
///        program and dataset URIs, the program digest, the model URI, the metric's name, the
///        framework, the SPDX licence and the domain). Only the requester may register, because the market
///        keeps no revealed model URI in storage (only `Participation.revealed` and the
///        `ResultRevealed` event): the requester paid for the model and holds it, and a URI it
///        names wrongly harms only its own listing, while the digest read from the market lets
///        anyone check the file behind any URI.
///      - `registerTask`: the same listing, made by a REGISTRAR_ROLE account (the oracle, which
///        reads the revealed result URI from the `ResultRevealed` event and the licence,
///        visibility and domain from the task's published spec), so that every accepted task's
///        model is listed without its requester acting. Whoever lists a task first wins.
///      - `shareModel`: anyone lists a model trained elsewhere. It is unverified (no task
///        provenance) until the requester of a Settled, accepted task that evaluated it calls
///        `verifyWithTask`: the evaluating task's spec digest is on chain, so anyone can check
///        off-chain that its spec pins this model's digest.
///
///      Owners: a list of accounts with shares in basis points summing to exactly 10,000: the
///      sharer, or the requester of the task with all of it; when that requester is a co-funding
///      pool (`coFundingFactory().isPool`), every funder by its contribution (`taskOwners`).
///      An owner holding a strict majority of the shares may change the model's visibility.
///      Visibility is a declaration: a Sealed model's file is encrypted to its owners' keys
///      off-chain; the registry itself stores only public data.
///
///      Lineage: a model may name a parent (a model it was fine-tuned from, listed before it;
///      0 = none), so parents always have smaller ids and lineage has no cycles.
interface IModelRegistry {
    /// @notice Who may fetch a model's file: anyone, or only its owners (encrypted to their keys).
    enum Visibility {
        Public,
        Sealed
    }

    /// @notice One owner of a model and its share (basis points; a model's shares sum to 10,000).
    struct Owner {
        address account;
        uint16 shareBps;
    }

    /// @notice What the caller states about a model (the chain cannot see it).
    struct Metadata {
        string modelURI; // where the model file lives (required)
        string licence; // SPDX licence identifier, e.g. "Apache-2.0" (required)
        string framework; // e.g. "pytorch-2.4"
        string metric; // the name of the agreed metric, e.g. "accuracy"
        string specURI; // where the training (or evaluating) task's spec lives
        bytes32 programDigest; // SHA-256 of the training program
        string programURI;
        string datasetURI;
        string domain; // "vision", "text", "audio", "video", "custom" or empty (only its length is checked here)
    }

    /// @notice A listed model.
    struct Model {
        uint256 taskId; // the task that trained it; 0: shared from outside
        uint256 verifiedBy; // the task that trained or evaluated it; 0: unverified
        uint256 parentId; // the model it was fine-tuned from; 0: none
        bytes32 modelDigest; // the market's agreed result digest, or the sharer's digest
        bytes32 specDigest; // the spec digest of the task in `verifiedBy` (0 while unverified)
        uint16 metricValue; // the agreed metric's value in bps, from the market (0 while unverified)
        ITaskMarket.QualitySource scoredBy; // who set `metricValue` (None: unscored, neutral value)
        bool verified;
        Visibility visibility;
        address registrant;
        uint64 registeredAt;
        Metadata metadata;
    }

    /// @notice Model `modelId` was listed: trained by `taskId` (0: shared from outside, unverified).
    event ModelRegistered(
        uint256 indexed modelId,
        uint256 indexed taskId,
        address indexed registrant,
        bytes32 modelDigest,
        uint256 parentId,
        Visibility visibility,
        string modelURI,
        string licence
    );
    /// @notice The owners of `modelId` are now `accounts`, with `sharesBps` (summing to 10,000).
    event OwnersSet(uint256 indexed modelId, address[] accounts, uint16[] sharesBps);
    /// @notice Task `taskId` (Settled, accepted) trained `modelId`, or evaluated it (a shared model).
    event ModelVerified(uint256 indexed modelId, uint256 indexed taskId, bytes32 specDigest, uint16 metricValue);
    event VisibilityChanged(uint256 indexed modelId, address indexed by, Visibility from, Visibility to);
    /// @notice Governance set the longest string a listing may carry, in bytes.
    event MaxFieldLengthSet(uint256 from, uint256 to);
    /// @notice Governance set the factory whose pools count as co-funded requesters (0: none).
    event CoFundingFactorySet(address from, address to);

    error ZeroAddress();
    error UnknownModel(uint256 modelId, uint256 modelCount);
    error UnknownParent(uint256 parentId, uint256 modelCount);
    error TaskNotSettled(uint256 taskId, ITaskMarket.TaskStatus status);
    error TaskRejected(uint256 taskId, uint16 qualityScore);
    /// @notice `taskId` settled a tie (no strict majority): it agreed on no model.
    error NoAgreedResult(uint256 taskId);
    error NotTaskRequester(uint256 taskId, address caller, address requester);
    /// @notice Each task lists (or verifies) one model: `taskId` is already `modelId`'s.
    error TaskAlreadyUsed(uint256 taskId, uint256 modelId);
    error AlreadyVerified(uint256 modelId, uint256 verifiedBy);
    error ZeroModelDigest();
    /// @notice A required string (`field`: "modelURI" or "licence") is empty.
    error EmptyField(string field);
    error FieldTooLong(string field, uint256 length, uint256 max);
    error SharesNotWhole(uint256 modelId, uint256 sumBps);
    error InvalidOwner(uint256 modelId, address account, uint16 shareBps);
    error DuplicateOwner(uint256 modelId, address account);
    error TooManyOwners(uint256 modelId, uint256 count, uint256 max);
    error NotMajorityOwner(uint256 modelId, address caller, uint16 shareBps);
    error MaxFieldLengthOutOfRange(uint256 value, uint256 min, uint256 max);
    /// @notice The co-funding pool `pool` (a task's requester) holds no contribution.
    error EmptyCoFundingPool(address pool);
    error TooManyFunders(address pool, uint256 count, uint256 max);

    /// @notice Lists the model of `taskId` (its requester only; the task Settled on an agreed
    ///         result and not rejected), owned wholly by the requester. Chain facts are read from the market.
    /// @param parentId The model it was fine-tuned from (0: none).
    /// @return modelId The new model's id (ids start at 1).
    function registerFromTask(uint256 taskId, Metadata calldata metadata, uint256 parentId, Visibility visibility)
        external
        returns (uint256 modelId);

    /// @notice Lists the model of `taskId` as `registerFromTask` does, for a REGISTRAR_ROLE account
    ///         (the oracle): the same checks but the requester's, owned by `taskOwners(taskId)`.
    /// @return modelId The new model's id.
    function registerTask(uint256 taskId, Metadata calldata metadata, uint256 parentId, Visibility visibility)
        external
        returns (uint256 modelId);

    /// @notice Lists a model trained elsewhere, unverified, owned wholly by the caller.
    /// @return modelId The new model's id.
    function shareModel(bytes32 modelDigest, Metadata calldata metadata, uint256 parentId, Visibility visibility)
        external
        returns (uint256 modelId);

    /// @notice Verifies the shared model `modelId` by task `taskId`, which evaluated it (the
    ///         task's requester only; the task Settled on an agreed result, not rejected, and
    ///         used by no other model). Records the task's spec digest, quality score and scorer.
    function verifyWithTask(uint256 modelId, uint256 taskId) external;

    /// @notice Sets the model's visibility (an owner holding more than half of the shares).
    function setVisibility(uint256 modelId, Visibility visibility) external;

    /// @notice Sets the longest string (URI, name) a listing may carry, in bytes (admin: the timelock).
    function setMaxFieldLength(uint256 maxFieldLength) external;

    /// @notice Sets the factory whose pools count as co-funded requesters (admin: the timelock; 0: none).
    function setCoFundingFactory(address factory) external;

    /// @notice The factory whose pools count as co-funded requesters (0: none).
    function coFundingFactory() external view returns (ICoFundingFactory);

    /// @notice Who a task's model belongs to: its requester with all of it, or, when the requester
    ///         is a co-funding pool, every funder by its contribution (shares in basis points,
    ///         floored, the remainder to the largest contributor; a funder whose share floors to
    ///         0 is left out). Also the accounts that count as having used a model in the task.
    function taskOwners(uint256 taskId) external view returns (Owner[] memory);

    /// @notice The task market whose settled tasks give models their provenance.
    function market() external view returns (ITaskMarket);
    function maxFieldLength() external view returns (uint256);
    /// @notice How many models are listed (ids run from 1 to it).
    function modelCount() external view returns (uint256);
    function model(uint256 modelId) external view returns (Model memory);
    function ownersOf(uint256 modelId) external view returns (Owner[] memory);
    /// @notice `account`'s share of `modelId`, in basis points (0: not an owner).
    function shareOf(uint256 modelId, address account) external view returns (uint16);
    /// @notice The model `taskId` trained or verified (0: none).
    function modelOfTask(uint256 taskId) external view returns (uint256);
    /// @notice Every model `account` was made an owner of, in that order, each once (`shareOf`
    ///         tells whether it still is).
    function modelsOf(address account) external view returns (uint256[] memory);
    /// @notice The models that name `modelId` as their parent, in listing order.
    function childrenOf(uint256 modelId) external view returns (uint256[] memory);
    /// @notice `modelId`'s ancestors, parent first, at most `maxDepth` of them.
    function lineage(uint256 modelId, uint256 maxDepth) external view returns (uint256[] memory);
}
