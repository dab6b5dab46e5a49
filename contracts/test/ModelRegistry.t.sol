// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Fixture} from "./Fixture.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {ModelRegistry} from "../src/models/ModelRegistry.sol";

/// @dev Exposes the owners' check so that its property can be fuzzed directly (co-funded tasks
///      will set several owners through it).
contract ModelRegistryHarness is ModelRegistry {
    constructor(ITaskMarket market_, address admin) ModelRegistry(market_, 512, admin) {}

    function exposedSetOwners(uint256 modelId, Owner[] memory owners) external {
        _setOwners(modelId, owners);
    }
}

/// @notice Listing models from settled tasks and from outside, verification, owners, visibility,
///         lineage and the governed field length.
contract ModelRegistryTest is Fixture {
    ModelRegistryHarness internal models;

    bytes32 internal constant PROGRAM = keccak256("program");
    bytes32 internal constant OUTSIDE = keccak256("outside model");

    function setUp() public override {
        super.setUp();
        models = new ModelRegistryHarness(market, address(this));
    }

    // ================================================================ registerFromTask

    function test_registerFromTask_recordsTheChainsFactsAndTheRequestersMetadata() public {
        uint256 taskId = _settledTask(7500, true);
        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.ModelRegistered(
            1, taskId, requester, RESULT_A, 0, IModelRegistry.Visibility.Public, "ipfs://model", "Apache-2.0"
        );
        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.ModelVerified(1, taskId, SPEC, 7500);
        vm.prank(requester);
        uint256 id = models.registerFromTask(taskId, _metadata(), 0, IModelRegistry.Visibility.Public);

        assertEq(id, 1);
        assertEq(models.modelCount(), 1);
        IModelRegistry.Model memory m = models.model(id);
        assertEq(m.taskId, taskId);
        assertEq(m.verifiedBy, taskId);
        assertTrue(m.verified, "verified by its task");
        assertEq(m.modelDigest, RESULT_A, "the market's agreed result");
        assertEq(m.specDigest, SPEC, "the market's spec digest");
        assertEq(uint256(m.metricValue), 7500, "the market's quality score");
        assertEq(uint256(m.scoredBy), uint256(ITaskMarket.QualitySource.Oracle));
        assertEq(m.registrant, requester);
        assertEq(uint256(m.registeredAt), block.timestamp);
        assertEq(m.metadata.modelURI, "ipfs://model");
        assertEq(m.metadata.licence, "Apache-2.0");
        assertEq(m.metadata.framework, "pytorch-2.4");
        assertEq(m.metadata.metric, "accuracy");
        assertEq(m.metadata.programDigest, PROGRAM);
        assertEq(m.metadata.datasetURI, "ipfs://data");
        assertEq(models.modelOfTask(taskId), id);
        IModelRegistry.Owner[] memory owners = models.ownersOf(id);
        assertEq(owners.length, 1);
        assertEq(owners[0].account, requester);
        assertEq(uint256(owners[0].shareBps), 10_000);
        assertEq(uint256(models.shareOf(id, requester)), 10_000);
        assertEq(models.modelsOf(requester).length, 1);
    }

    function test_registerFromTask_unscoredTaskCountsAsAccepted() public {
        uint256 taskId = _assigned(_params());
        _submitAll(taskId, _same(3, RESULT_A));
        _settle(taskId);
        uint256 id = _register(taskId);
        assertEq(uint256(models.model(id).metricValue), 5000, "neutral");
        assertEq(uint256(models.model(id).scoredBy), uint256(ITaskMarket.QualitySource.None));
    }

    function test_registerFromTask_revertsUnlessSettled() public {
        uint256 taskId = _assigned(_params());
        _submitAll(taskId, _same(3, RESULT_A));
        _expectRegisterRevert(
            taskId,
            abi.encodeWithSelector(IModelRegistry.TaskNotSettled.selector, taskId, ITaskMarket.TaskStatus.Submitted)
        );
        _expectRegisterRevert(
            99, abi.encodeWithSelector(IModelRegistry.TaskNotSettled.selector, 99, ITaskMarket.TaskStatus.None)
        );
    }

    function test_registerFromTask_revertsForARejectedResult() public {
        uint256 taskId = _settledTask(9000, false);
        _expectRegisterRevert(taskId, abi.encodeWithSelector(IModelRegistry.TaskRejected.selector, taskId, 9000));
    }

    function test_registerFromTask_revertsForATieThatAgreedOnNoModel() public {
        ITaskMarket.TaskParams memory p = _paramsFromNow();
        p.replication = 2;
        uint256 taskId = _assigned(p);
        bytes32[] memory split = new bytes32[](2);
        (split[0], split[1]) = (RESULT_A, RESULT_B);
        _submitAll(taskId, split);
        _settle(taskId); // no strict majority: the tie window opens
        vm.warp(market.getTask(taskId).challengeEndsAt);
        market.settle(taskId); // every replica paid, nothing agreed
        assertEq(uint256(market.getTask(taskId).status), uint256(ITaskMarket.TaskStatus.Settled));
        _expectRegisterRevert(taskId, abi.encodeWithSelector(IModelRegistry.NoAgreedResult.selector, taskId));
    }

    function test_registerFromTask_revertsForAnyoneButTheRequester() public {
        uint256 taskId = _settledTask(7500, true);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotTaskRequester.selector, taskId, stranger, requester));
        vm.prank(stranger);
        models.registerFromTask(taskId, _metadata(), 0, IModelRegistry.Visibility.Public);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotTaskRequester.selector, taskId, nodes[0], requester));
        vm.prank(nodes[0]); // a paid node cannot list the requester's model either
        models.registerFromTask(taskId, _metadata(), 0, IModelRegistry.Visibility.Public);
    }

    function test_registerFromTask_revertsTheSecondTime() public {
        uint256 taskId = _settledTask(7500, true);
        uint256 id = _register(taskId);
        _expectRegisterRevert(taskId, abi.encodeWithSelector(IModelRegistry.TaskAlreadyUsed.selector, taskId, id));
    }

    function test_registerFromTask_revertsOnMissingOrOverlongFields() public {
        uint256 taskId = _settledTask(7500, true);
        IModelRegistry.Metadata memory md = _metadata();
        md.modelURI = "";
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.EmptyField.selector, "modelURI"));
        vm.prank(requester);
        models.registerFromTask(taskId, md, 0, IModelRegistry.Visibility.Public);
        md = _metadata();
        md.licence = "";
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.EmptyField.selector, "licence"));
        vm.prank(requester);
        models.registerFromTask(taskId, md, 0, IModelRegistry.Visibility.Public);
        md = _metadata();
        md.datasetURI = string(new bytes(513));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.FieldTooLong.selector, "datasetURI", 513, 512));
        vm.prank(requester);
        models.registerFromTask(taskId, md, 0, IModelRegistry.Visibility.Public);
    }

    // ================================================================ shareModel and verification

    function test_shareModel_isUnverifiedAndOwnedByTheSharer() public {
        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.ModelRegistered(
            1, 0, stranger, OUTSIDE, 0, IModelRegistry.Visibility.Sealed, "ipfs://model", "Apache-2.0"
        );
        uint256 id = _share(stranger, 0);
        IModelRegistry.Model memory m = models.model(id);
        assertFalse(m.verified, "no task provenance");
        assertEq(m.taskId, 0);
        assertEq(m.verifiedBy, 0);
        assertEq(m.specDigest, bytes32(0));
        assertEq(uint256(m.metricValue), 0);
        assertEq(uint256(m.visibility), uint256(IModelRegistry.Visibility.Sealed));
        assertEq(uint256(models.shareOf(id, stranger)), 10_000);
        assertEq(uint256(models.shareOf(id, requester)), 0);
    }

    function test_shareModel_revertsOnAZeroDigest() public {
        vm.expectRevert(IModelRegistry.ZeroModelDigest.selector);
        models.shareModel(bytes32(0), _metadata(), 0, IModelRegistry.Visibility.Public);
    }

    function test_verifyWithTask_byTheRequesterOfAnAcceptedEvaluation() public {
        uint256 id = _share(stranger, 0);
        uint256 evalTask = _settledTask(8100, true);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotTaskRequester.selector, evalTask, stranger, requester));
        vm.prank(stranger);
        models.verifyWithTask(id, evalTask);

        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.ModelVerified(id, evalTask, SPEC, 8100);
        vm.prank(requester);
        models.verifyWithTask(id, evalTask);
        IModelRegistry.Model memory m = models.model(id);
        assertTrue(m.verified);
        assertEq(m.verifiedBy, evalTask);
        assertEq(m.taskId, 0, "still not trained by a task");
        assertEq(uint256(m.metricValue), 8100);
        assertEq(models.modelOfTask(evalTask), id);

        uint256 other = _share(stranger, 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TaskAlreadyUsed.selector, evalTask, id));
        vm.prank(requester);
        models.verifyWithTask(other, evalTask);
        uint256 second = _settledTask(8200, true);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.AlreadyVerified.selector, id, evalTask));
        vm.prank(requester);
        models.verifyWithTask(id, second);
    }

    function test_verifyWithTask_revertsForARejectedEvaluation() public {
        uint256 id = _share(stranger, 0);
        uint256 evalTask = _settledTask(2000, false);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TaskRejected.selector, evalTask, 2000));
        vm.prank(requester);
        models.verifyWithTask(id, evalTask);
    }

    // ================================================================ lineage

    function test_lineage_walksParentsAndChildren() public {
        uint256 base = _share(stranger, 0);
        uint256 taskId = _settledTask(7500, true);
        vm.prank(requester);
        uint256 tuned = models.registerFromTask(taskId, _metadata(), base, IModelRegistry.Visibility.Public);
        uint256 tunedAgain = _share(stranger, tuned);
        uint256 sibling = _share(requester, base);

        assertEq(models.model(tuned).parentId, base);
        uint256[] memory up = models.lineage(tunedAgain, 10);
        assertEq(up.length, 2);
        assertEq(up[0], tuned);
        assertEq(up[1], base);
        assertEq(models.lineage(tunedAgain, 1).length, 1, "bounded by maxDepth");
        assertEq(models.lineage(base, 10).length, 0);
        uint256[] memory children = models.childrenOf(base);
        assertEq(children.length, 2);
        assertEq(children[0], tuned);
        assertEq(children[1], sibling);
    }

    function test_shareModel_revertsOnAnUnknownParent() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownParent.selector, 1, 0));
        models.shareModel(OUTSIDE, _metadata(), 1, IModelRegistry.Visibility.Public);
    }

    function test_model_revertsForAnUnknownId() public {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, 0, 0));
        models.model(0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, 1, 0));
        models.ownersOf(1);
    }

    // ================================================================ owners and visibility

    function test_setVisibility_byAMajorityOwnerOnly() public {
        uint256 id = _share(stranger, 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotMajorityOwner.selector, id, requester, 0));
        vm.prank(requester);
        models.setVisibility(id, IModelRegistry.Visibility.Public);

        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.VisibilityChanged(
            id, stranger, IModelRegistry.Visibility.Sealed, IModelRegistry.Visibility.Public
        );
        vm.prank(stranger);
        models.setVisibility(id, IModelRegistry.Visibility.Public);
        assertEq(uint256(models.model(id).visibility), uint256(IModelRegistry.Visibility.Public));

        // split 50/50: no strict majority, nobody may change it alone
        models.exposedSetOwners(id, _split(stranger, requester, 5000));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.NotMajorityOwner.selector, id, stranger, 5000));
        vm.prank(stranger);
        models.setVisibility(id, IModelRegistry.Visibility.Sealed);
    }

    /// @dev Whatever the split, owners are accepted exactly when their shares are nonzero and sum
    ///      to 10,000, and the stored shares then sum to 10,000.
    function testFuzz_setOwners_sharesSumToWhole(uint8 count, uint256 seed, bool perturb) public {
        uint256 n = bound(count, 1, 16);
        uint256 id = _share(stranger, 0);
        IModelRegistry.Owner[] memory owners = new IModelRegistry.Owner[](n);
        uint256 left = 10_000;
        for (uint256 i; i < n; ++i) {
            uint256 share = i + 1 == n ? left : bound(uint256(keccak256(abi.encode(seed, i))), 1, left - (n - 1 - i));
            left -= share;
            owners[i] = IModelRegistry.Owner({account: address(uint160(0x1000 + i)), shareBps: uint16(share)});
        }
        if (perturb) {
            uint256 last = owners[n - 1].shareBps;
            owners[n - 1].shareBps = uint16(last == 10_000 ? 9999 : last + 1);
            vm.expectRevert(
                abi.encodeWithSelector(IModelRegistry.SharesNotWhole.selector, id, last == 10_000 ? 9999 : 10_001)
            );
            models.exposedSetOwners(id, owners);
            return;
        }
        models.exposedSetOwners(id, owners);
        IModelRegistry.Owner[] memory stored = models.ownersOf(id);
        uint256 sum;
        for (uint256 i; i < stored.length; ++i) {
            sum += stored[i].shareBps;
            assertEq(uint256(models.shareOf(id, owners[i].account)), owners[i].shareBps);
        }
        assertEq(stored.length, n);
        assertEq(sum, 10_000, "shares sum to the whole");
    }

    function test_setOwners_revertsOnZeroDuplicateOrTooMany() public {
        uint256 id = _share(stranger, 0);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.InvalidOwner.selector, id, requester, 0));
        models.exposedSetOwners(id, _split(stranger, requester, 10_000));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.DuplicateOwner.selector, id, stranger));
        models.exposedSetOwners(id, _split(stranger, stranger, 5000));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TooManyOwners.selector, id, 0, 64));
        models.exposedSetOwners(id, new IModelRegistry.Owner[](0));
    }

    // ================================================================ governance and ERC-165

    function test_setMaxFieldLength_adminOnlyWithinBounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, models.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        models.setMaxFieldLength(1024);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.MaxFieldLengthOutOfRange.selector, 63, 64, 4096));
        models.setMaxFieldLength(63);
        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.MaxFieldLengthSet(512, 1024);
        models.setMaxFieldLength(1024);
        assertEq(models.maxFieldLength(), 1024);
    }

    function test_supportsInterface_andVersion() public view {
        assertTrue(models.supportsInterface(type(IModelRegistry).interfaceId));
        assertTrue(models.supportsInterface(0x01ffc9a7), "ERC-165");
        assertFalse(models.supportsInterface(0xffffffff));
        assertEq(models.version(), "1.1.0");
    }

    // ================================================================ helpers

    /// @dev A settled 3-replica task whose nodes agreed on RESULT_A, scored by the oracle.
    function _settledTask(uint16 score, bool accepted) internal returns (uint256 taskId) {
        taskId = _assigned(_paramsFromNow());
        _submitAll(taskId, _same(3, RESULT_A));
        vm.prank(oracle);
        market.reportQuality(taskId, score, accepted);
        _settle(taskId);
        assertEq(uint256(market.getTask(taskId).status), uint256(ITaskMarket.TaskStatus.Settled));
    }

    /// @dev `_params()` with its windows starting now (tests settle several tasks one after another).
    function _paramsFromNow() internal view returns (ITaskMarket.TaskParams memory p) {
        p = _params();
        p.applyDeadline = uint64(block.timestamp + 1 hours);
        p.deadline = uint64(block.timestamp + 1 days);
    }

    function _register(uint256 taskId) internal returns (uint256 id) {
        vm.prank(requester);
        id = models.registerFromTask(taskId, _metadata(), 0, IModelRegistry.Visibility.Public);
    }

    function _expectRegisterRevert(uint256 taskId, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(requester);
        models.registerFromTask(taskId, _metadata(), 0, IModelRegistry.Visibility.Public);
    }

    function _share(address sharer, uint256 parentId) internal returns (uint256 id) {
        vm.prank(sharer);
        id = models.shareModel(OUTSIDE, _metadata(), parentId, IModelRegistry.Visibility.Sealed);
    }

    function _metadata() internal pure returns (IModelRegistry.Metadata memory) {
        return IModelRegistry.Metadata({
            modelURI: "ipfs://model",
            licence: "Apache-2.0",
            framework: "pytorch-2.4",
            metric: "accuracy",
            specURI: "ipfs://spec",
            programDigest: PROGRAM,
            programURI: "ipfs://program",
            datasetURI: "ipfs://data",
            domain: "vision"
        });
    }

    function _split(address a, address b, uint16 aBps) internal pure returns (IModelRegistry.Owner[] memory o) {
        o = new IModelRegistry.Owner[](2);
        o[0] = IModelRegistry.Owner({account: a, shareBps: aBps});
        o[1] = IModelRegistry.Owner({account: b, shareBps: 10_000 - aBps});
    }
}
