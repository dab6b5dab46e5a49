// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {DisputeFixture} from "./DisputeFixture.sol";
import {ResultProofs, IResultCommitmentVerifier} from "../src/zk/ResultProofs.sol";
import {ResultCommitmentVerifier} from "../src/zk/ResultCommitmentVerifier.sol";
import {IArbitration} from "../src/interfaces/IArbitration.sol";
import {IMarketConfig} from "../src/interfaces/IMarketConfig.sol";
import {IModelRegistry} from "../src/interfaces/IModelRegistry.sol";
import {IModelRatings} from "../src/interfaces/IModelRatings.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {IReputation} from "../src/interfaces/IReputation.sol";
import {IResultProofs} from "../src/interfaces/IResultProofs.sol";
import {IRewardsPool} from "../src/interfaces/IRewardsPool.sol";
import {IRoundBook} from "../src/interfaces/IRoundBook.sol";
import {IScheduleStrategy} from "../src/interfaces/IScheduleStrategy.sol";
import {ISpotCheck} from "../src/interfaces/ISpotCheck.sol";
import {IStakeWeightedRandomStrategy} from "../src/interfaces/IStakeWeightedRandomStrategy.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";
import {IVersioned} from "../src/interfaces/IVersioned.sol";
import {ModelRegistry} from "../src/models/ModelRegistry.sol";
import {ModelRatings} from "../src/models/ModelRatings.sol";
import {RoundBook} from "../src/parallel/RoundBook.sol";

/// @notice Every protocol contract answers ERC-165 for its own interface and says its release.
contract InterfacesTest is DisputeFixture {
    function test_supportsInterface_ownInterfaceVersionedAndErc165() public {
        ResultCommitmentVerifier verifier = new ResultCommitmentVerifier();
        ResultProofs proofs = new ResultProofs(IResultCommitmentVerifier(address(verifier)), address(market), 0.01 ether, 1000, 1_000_000);
        _check(address(market), type(ITaskMarket).interfaceId);
        _check(address(config), type(IMarketConfig).interfaceId);
        _check(address(registry), type(INodeRegistry).interfaceId);
        _check(address(reputation), type(IReputation).interfaceId);
        _check(address(pool), type(IRewardsPool).interfaceId);
        _check(address(arbitration), type(IArbitration).interfaceId);
        _check(address(spotCheck), type(ISpotCheck).interfaceId);
        _check(address(proofs), type(IResultProofs).interfaceId);
        ModelRegistry models = new ModelRegistry(market, 512, address(this));
        _check(address(models), type(IModelRegistry).interfaceId);
        _check(address(new ModelRatings(models, nnt, 10e18, 7 days, address(this))), type(IModelRatings).interfaceId);
        _check(address(new RoundBook(market, registry, 2, 60, address(this))), type(IRoundBook).interfaceId);
        _check(address(firstCome), type(IScheduleStrategy).interfaceId);
        _check(address(lowestPrice), type(IScheduleStrategy).interfaceId);
        _check(address(reputationPriority), type(IScheduleStrategy).interfaceId);
        _check(address(stakeWeighted), type(IScheduleStrategy).interfaceId);
        assertTrue(stakeWeighted.supportsInterface(type(IStakeWeightedRandomStrategy).interfaceId), "two-step draw");
        assertTrue(market.supportsInterface(type(IAccessControl).interfaceId), "AccessControl still answered");
        assertFalse(market.supportsInterface(type(INodeRegistry).interfaceId), "not another contract's interface");
        assertFalse(firstCome.supportsInterface(0xffffffff), "ERC-165's invalid id");
    }

    function _check(address target, bytes4 own) internal view {
        IERC165 c = IERC165(target);
        assertTrue(c.supportsInterface(own), "own interface");
        assertTrue(c.supportsInterface(type(IVersioned).interfaceId), "IVersioned");
        assertTrue(c.supportsInterface(type(IERC165).interfaceId), "ERC-165");
        assertEq(keccak256(bytes(IVersioned(target).version())), keccak256("1.1.0"), "release");
    }
}
