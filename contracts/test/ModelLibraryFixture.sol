// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Fixture} from "./Fixture.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {ModelRegistry} from "../src/models/ModelRegistry.sol";
import {TestCoFundingFactory, TestCoFundingPool} from "./mocks/TestCoFundingPool.sol";

/// @notice The protocol with a model registry (the test contract its admin, `registrar` holding
///         REGISTRAR_ROLE as the oracle does) and a co-funding factory test double, with helpers
///         that settle tasks for any requester (a co-funding pool included).
abstract contract ModelLibraryFixture is Fixture {
    ModelRegistry internal models;
    TestCoFundingFactory internal factory;
    address internal registrar;

    function setUp() public virtual override {
        super.setUp();
        registrar = makeAddr("registrar");
        models = new ModelRegistry(market, 512, address(this));
        models.grantRole(models.REGISTRAR_ROLE(), registrar);
        factory = new TestCoFundingFactory();
        models.setCoFundingFactory(address(factory));
    }

    /// @dev A settled 3-replica ETH task of `by` whose nodes agreed on `result`, scored by the oracle.
    function _settledTaskBy(address by, bytes32 result, uint16 score, bool accepted) internal returns (uint256 taskId) {
        ITaskMarket.TaskParams memory p = _params();
        p.applyDeadline = uint64(block.timestamp + 1 hours);
        p.deadline = uint64(block.timestamp + 1 days);
        vm.deal(by, by.balance + p.budget);
        vm.prank(by);
        taskId = market.publish{value: p.budget}(p);
        _apply(taskId, p.replication);
        market.assign(taskId);
        _submitAll(taskId, _same(3, result));
        vm.prank(oracle);
        market.reportQuality(taskId, score, accepted);
        _settle(taskId);
        assertEq(uint256(market.getTask(taskId).status), uint256(ITaskMarket.TaskStatus.Settled));
    }

    /// @dev A co-funding pool whose funders contributed `amounts`.
    function _pool(address[] memory funders, uint256[] memory amounts) internal returns (TestCoFundingPool pool) {
        pool = factory.make();
        for (uint256 i; i < funders.length; ++i) {
            pool.add(funders[i], amounts[i]);
        }
    }

    /// @dev Lists task `taskId`'s model by the registrar (the oracle's way in).
    function _registerByOracle(uint256 taskId, uint256 parentId) internal returns (uint256 id) {
        vm.prank(registrar);
        id = models.registerTask(taskId, _libraryMetadata(), parentId, IModelRegistry.Visibility.Public);
    }

    function _libraryMetadata() internal pure returns (IModelRegistry.Metadata memory) {
        return IModelRegistry.Metadata({
            modelURI: "ipfs://model",
            licence: "MIT",
            framework: "torch",
            metric: "accuracy",
            specURI: "ipfs://spec",
            programDigest: bytes32(0),
            programURI: "",
            datasetURI: "ipfs://data",
            domain: "vision"
        });
    }

    function _addresses(string memory prefix, uint256 n) internal returns (address[] memory a) {
        a = new address[](n);
        for (uint256 i; i < n; ++i) {
            a[i] = makeAddr(string.concat(prefix, Strings.toString(i)));
        }
    }
}
