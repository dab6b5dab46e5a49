// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IResultProofs
/// @notice Zero-knowledge result commitments of the task market's nodes (circuit
///         `zk/circuits/ResultCommitment.circom`, Groth16 on BN254).
/// @dev A node proves, without revealing its 256-bit result digest `d` (two 128-bit limbs
///      `dHi`, `dLo`) or its salt `s`, that
///        commitment   == Poseidon(taskId, node, dHi, dLo, s)
///        agreementTag == Poseidon(taskId, dHi, dLo).
///      The market passes `msg.sender` as `node`, so a proof made for one address fails for any
///      other; replicas that trained the same model share the agreement tag, which the market
///      counts in place of the digest.
interface IResultProofs {
    /// @notice A node's commitment and agreement tag for a task, proven and recorded.
    event ResultCommitted(uint256 indexed taskId, address indexed node, uint256 commitment, uint256 agreementTag);

    error NotMarket(address caller);
    error InvalidResultProof(uint256 taskId, address node);
    error NotAFieldElement(uint256 value);
    error ZeroAddress();

    /// @notice Verifies `proof` for (taskId, node, commitment, agreementTag) and records the
    ///         commitment; reverts `InvalidResultProof` if the proof does not verify (market only).
    /// @param proof (A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y): the Groth16 proof with
    ///        each G2 coordinate's limbs in EIP-197 order.
    function record(uint256 taskId, address node, uint256 commitment, uint256 agreementTag, uint256[8] calldata proof)
        external;

    /// @notice Whether `proof` is valid for these public inputs (no state change).
    function isValid(uint256 taskId, address node, uint256 commitment, uint256 agreementTag, uint256[8] calldata proof)
        external
        view
        returns (bool);

    /// @notice The recorded commitment of `node` for `taskId` (0 before it submits).
    function commitmentOf(uint256 taskId, address node) external view returns (uint256);

    /// @notice The only caller of `record`.
    function market() external view returns (address);
}
