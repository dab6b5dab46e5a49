// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeFixture} from "./DisputeFixture.sol";
import {ISpotCheck} from "../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../src/interfaces/ITaskMarket.sol";

/// @notice {DisputeFixture} with nodes[0..3] in the verifier pool and helpers that walk a
///         spot-checked single-trainer task (trainer nodes[0]) through the two-step draw.
abstract contract SpotCheckFixture is DisputeFixture {
    uint256 internal constant FEE = 0.05 ether;
    uint8 internal constant SEGMENTS = 3;
    uint32 internal constant TOLERANCE = 100; // 1e-4
    uint32 internal constant POOL = 4;

    function setUp() public virtual override {
        super.setUp();
        for (uint256 i; i < POOL; ++i) {
            vm.prank(nodes[i]);
            spotCheck.join();
        }
        vm.roll(block.number + 1); // the pool predates every draw
    }

    /// @dev A published single-trainer task with spot-checking enabled (fee FEE).
    function _enabled() internal returns (uint256 taskId) {
        ITaskMarket.TaskParams memory p = _params();
        p.replication = 1;
        taskId = _publish(p);
        vm.prank(requester);
        spotCheck.enable{value: FEE}(taskId, SEGMENTS, TOLERANCE);
    }

    /// @dev A spot-checked single-trainer task, assigned to nodes[0] and submitted.
    function _spotChecked() internal returns (uint256 taskId) {
        taskId = _enabled();
        _apply(taskId, 1);
        market.assign(taskId);
        _submit(taskId, nodes[0], HONEST);
    }

    /// @dev Mines the pending draw's target block with `hash` and draws the verifier.
    function _completeDraw(uint256 taskId, bytes32 hash) internal returns (ISpotCheck.Check memory) {
        uint64 target = spotCheck.getCheck(taskId).drawBlock;
        vm.roll(target + 1);
        vm.setBlockhash(target, hash);
        spotCheck.drawVerifier(taskId);
        return spotCheck.getCheck(taskId);
    }

    function _completeDraw(uint256 taskId) internal returns (ISpotCheck.Check memory) {
        return _completeDraw(taskId, keccak256(abi.encode("target block", taskId, block.number)));
    }

    /// @dev A spot-checked, submitted task whose verifier is drawn.
    function _drawn() internal returns (uint256 taskId, ISpotCheck.Check memory c) {
        taskId = _spotChecked();
        spotCheck.requestVerification(taskId);
        c = _completeDraw(taskId);
    }

    function _assertCheck(uint256 taskId, ISpotCheck.CheckStatus want) internal view {
        assertEq(uint256(spotCheck.getCheck(taskId).status), uint256(want), "check status");
    }
}
