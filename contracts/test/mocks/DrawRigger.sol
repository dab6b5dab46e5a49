// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ISpotCheck} from "../../src/interfaces/ISpotCheck.sol";
import {ITaskMarket} from "../../src/interfaces/ITaskMarket.sol";

/// @notice An attacker that tries to choose who is drawn: it asks for the draw and tries to
///         complete it in the same transaction, and reverts (undoing everything) unless its
///         accomplice came out. If the seed is known inside the transaction, a loop of such
///         calls always ends with the accomplice drawn.
contract DrawRigger {
    error NotTheAccomplice(address drawn);

    /// @notice requestVerification (+ drawVerifier, where it exists) in one transaction.
    function requestAndKeep(ISpotCheck spotCheck, uint256 taskId, address accomplice) external {
        spotCheck.requestVerification(taskId);
        _tryDraw(spotCheck, taskId);
        address drawn = spotCheck.getCheck(taskId).verifier;
        if (drawn != accomplice) revert NotTheAccomplice(drawn);
    }

    /// @notice replaceVerifier (+ drawVerifier, where it exists) in one transaction.
    function replaceAndKeep(ISpotCheck spotCheck, uint256 taskId, address accomplice) external {
        spotCheck.replaceVerifier(taskId);
        _tryDraw(spotCheck, taskId);
        address drawn = spotCheck.getCheck(taskId).verifier;
        if (drawn != accomplice) revert NotTheAccomplice(drawn);
    }

    /// @notice TaskMarket.assign (after committing the draw, where the strategy has one) in one
    ///         transaction.
    function assignAndKeep(ITaskMarket market, address strategy, uint256 taskId, address accomplice) external {
        // a low-level call: a strategy without a two-step draw has no commitDraw
        (bool committed,) = strategy.call(abi.encodeWithSignature("commitDraw(uint256)", taskId));
        committed; // whatever happened, try to assign now
        market.assign(taskId);
        address[] memory assigned = market.assigneesOf(taskId);
        for (uint256 i; i < assigned.length; ++i) {
            if (assigned[i] == accomplice) return;
        }
        revert NotTheAccomplice(assigned.length == 0 ? address(0) : assigned[0]);
    }

    function _tryDraw(ISpotCheck spotCheck, uint256 taskId) private {
        (bool drawn,) = address(spotCheck).call(abi.encodeWithSignature("drawVerifier(uint256)", taskId));
        drawn; // a failed draw leaves the verifier unset, which the caller checks
    }
}
