// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ModelLibraryFixture} from "./ModelLibraryFixture.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {FunderShares} from "../src/models/FunderShares.sol";
import {TestCoFundingPool} from "./mocks/TestCoFundingPool.sol";

/// @notice Automatic listing by the registrar (the oracle), owners of co-funded tasks by their
///         funders' contributions, the governed co-funding factory, and the domain field.
contract ModelRegistryRegistrarTest is ModelLibraryFixture {
    bytes32 internal constant RESULT = keccak256("library model");

    // ================================================================ registerTask

    function test_registerTask_listsTheModelForTheRequester() public {
        uint256 taskId = _settledTaskBy(requester, RESULT, 8000, true);
        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.ModelRegistered(
            1, taskId, registrar, RESULT, 0, IModelRegistry.Visibility.Public, "ipfs://model", "MIT"
        );
        uint256 id = _registerByOracle(taskId, 0);
        IModelRegistry.Model memory m = models.model(id);
        assertEq(m.modelDigest, RESULT, "the market's agreed result");
        assertEq(uint256(m.metricValue), 8000);
        assertTrue(m.verified);
        assertEq(m.registrant, registrar);
        assertEq(m.metadata.domain, "vision");
        assertEq(uint256(models.shareOf(id, requester)), 10_000, "the requester owns it, not the registrar");
        assertEq(uint256(models.shareOf(id, registrar)), 0);
        assertEq(models.modelOfTask(taskId), id);
    }

    function test_registerTask_revertsForAnyoneWithoutTheRole() public {
        uint256 taskId = _settledTaskBy(requester, RESULT, 8000, true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, requester, models.REGISTRAR_ROLE()
            )
        );
        vm.prank(requester); // the requester has its own way in, registerFromTask
        models.registerTask(taskId, _libraryMetadata(), 0, IModelRegistry.Visibility.Public);
    }

    function test_registerTask_keepsTheMarketsChecks() public {
        uint256 open = _publish(_params());
        uint256 rejected = _settledTaskBy(requester, RESULT, 1000, false);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TaskRejected.selector, rejected, 1000));
        vm.prank(registrar);
        models.registerTask(rejected, _libraryMetadata(), 0, IModelRegistry.Visibility.Public);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TaskNotSettled.selector, open, 1)); // Published
        vm.prank(registrar);
        models.registerTask(open, _libraryMetadata(), 0, IModelRegistry.Visibility.Public);
    }

    function test_registerTask_theRequesterWhoListedFirstWins() public {
        uint256 taskId = _settledTaskBy(requester, RESULT, 8000, true);
        vm.prank(requester);
        uint256 id = models.registerFromTask(taskId, _libraryMetadata(), 0, IModelRegistry.Visibility.Sealed);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TaskAlreadyUsed.selector, taskId, id));
        vm.prank(registrar);
        models.registerTask(taskId, _libraryMetadata(), 0, IModelRegistry.Visibility.Public);
        assertEq(uint256(models.model(id).visibility), uint256(IModelRegistry.Visibility.Sealed), "unchanged");
    }

    function test_registerTask_revertsOnAnOverlongDomain() public {
        uint256 taskId = _settledTaskBy(requester, RESULT, 8000, true);
        IModelRegistry.Metadata memory md = _libraryMetadata();
        md.domain = string(new bytes(33));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.FieldTooLong.selector, "domain", 33, 32));
        vm.prank(registrar);
        models.registerTask(taskId, md, 0, IModelRegistry.Visibility.Public);
    }

    // ================================================================ co-funded owners

    function test_registerTask_coFundedTaskIsOwnedByItsFundersByContribution() public {
        address[] memory funders = _addresses("funder", 3);
        uint256[] memory amounts = new uint256[](3);
        (amounts[0], amounts[1], amounts[2]) = (1 ether, 3 ether, 2 ether); // 1/6, 3/6, 2/6
        TestCoFundingPool pool = _pool(funders, amounts);
        uint256 taskId = _settledTaskBy(address(pool), RESULT, 8000, true);
        uint256 id = _registerByOracle(taskId, 0);

        IModelRegistry.Owner[] memory owners = models.ownersOf(id);
        assertEq(owners.length, 3);
        assertEq(owners[0].account, funders[0]);
        assertEq(uint256(owners[0].shareBps), 1666, "floored");
        assertEq(uint256(owners[1].shareBps), 5000 + 1, "the largest gets the remainder (1666 + 5000 + 3333 = 9999)");
        assertEq(uint256(owners[2].shareBps), 3333, "floored");
        assertEq(uint256(models.shareOf(id, address(pool))), 0, "the pool itself owns nothing");
        assertEq(models.modelsOf(funders[2])[0], id);
    }

    function test_taskOwners_leavesOutADustFunderAndFallsBackOutsideTheFactory() public {
        address[] memory funders = _addresses("funder", 2);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (1, 100_000); // the first's share floors to 0 bps
        TestCoFundingPool pool = _pool(funders, amounts);
        uint256 taskId = _settledTaskBy(address(pool), RESULT, 8000, true);
        IModelRegistry.Owner[] memory owners = models.taskOwners(taskId);
        assertEq(owners.length, 1);
        assertEq(owners[0].account, funders[1]);
        assertEq(uint256(owners[0].shareBps), 10_000);

        // a look-alike pool the factory did not make is an ordinary requester
        TestCoFundingPool fake = new TestCoFundingPool();
        fake.add(stranger, 1 ether);
        uint256 other = _settledTaskBy(address(fake), RESULT, 8000, true);
        owners = models.taskOwners(other);
        assertEq(owners.length, 1);
        assertEq(owners[0].account, address(fake));
    }

    function test_registerTask_revertsOnAnEmptyOrOversizedPool() public {
        TestCoFundingPool empty = _pool(new address[](0), new uint256[](0));
        uint256 taskId = _settledTaskBy(address(empty), RESULT, 8000, true);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.EmptyCoFundingPool.selector, address(empty)));
        vm.prank(registrar);
        models.registerTask(taskId, _libraryMetadata(), 0, IModelRegistry.Visibility.Public);

        address[] memory funders = _addresses("f", 65);
        uint256[] memory amounts = new uint256[](65);
        for (uint256 i; i < 65; ++i) {
            amounts[i] = 1 ether;
        }
        TestCoFundingPool big = _pool(funders, amounts);
        uint256 bigTask = _settledTaskBy(address(big), RESULT, 8000, true);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.TooManyFunders.selector, address(big), 65, 64));
        vm.prank(registrar);
        models.registerTask(bigTask, _libraryMetadata(), 0, IModelRegistry.Visibility.Public);
    }

    function test_setCoFundingFactory_adminOnlyWithAnEvent() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, models.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        models.setCoFundingFactory(address(0));
        vm.expectEmit(true, true, true, true, address(models));
        emit IModelRegistry.CoFundingFactorySet(address(factory), address(0));
        models.setCoFundingFactory(address(0));
        assertEq(address(models.coFundingFactory()), address(0));

        // with no factory, a pool is an ordinary requester
        address[] memory funders = _addresses("funder", 2);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (1 ether, 1 ether);
        TestCoFundingPool pool = _pool(funders, amounts);
        uint256 taskId = _settledTaskBy(address(pool), RESULT, 8000, true);
        assertEq(models.taskOwners(taskId)[0].account, address(pool));
    }

    // ================================================================ FunderShares

    /// @dev Whatever the contributions, the shares sum to 10,000, each is within one basis point
    ///      under its exact proportion but the largest contributor's, which takes the rest.
    function testFuzz_split_sumsToWholeAndIsProportional(uint256[8] memory raw, uint8 count) public pure {
        uint256 n = bound(count, 1, 8);
        uint256[] memory c = new uint256[](n);
        uint256 total;
        uint256 largest;
        for (uint256 i; i < n; ++i) {
            c[i] = bound(raw[i], 0, 1e30);
            total += c[i];
            if (c[i] > c[largest]) largest = i;
        }
        uint16[] memory shares = FunderShares.split(c);
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            sum += shares[i];
            if (total == 0) {
                assertEq(uint256(shares[i]), 0, "nothing to split");
                continue;
            }
            uint256 exact = c[i] * 10_000 / total; // floored
            if (i == largest) assertGe(uint256(shares[i]), exact, "the largest keeps at least its part");
            else assertEq(uint256(shares[i]), exact, "floored proportion");
        }
        assertEq(sum, total == 0 ? 0 : 10_000, "whole");
    }
}
