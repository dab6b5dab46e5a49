// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IResultProofs
/// @notice Zero-knowledge result commitments of the task market's nodes (circuit
///         `zk/circuits/ResultCommitment.circom`, Groth16 on BN254), verified optimistically.
/// @dev A node proves, without revealing its 256-bit result digest `d` (two 128-bit limbs
///      `dHi`, `dLo`), that agreementTag == Poseidon(taskKey, dHi, dLo), for the public inputs
///      (taskKey, node, agreementTag). `taskKey(taskId)` binds the statement to this chain, this
///      market and the task (domain separation); `node` is the submitter, so a proof copied
///      from another node fails. The market stores the tag and a hash of the proof and posts
///      the proof in an event (`ITaskMarket.ProofPosted`); nothing is verified on submission.
///      While the task's challenge window is open anyone may `challenge` a posted proof with a
///      bond: the proof is then verified here. A proof that fails takes its node out of the
///      task and slashes its collateral (a share to the challenger, the rest to the treasury),
///      and the bond is returned; a proof that verifies keeps its node and earns it the bond.
///      The oracle verifies every posted proof off-chain and challenges the ones that fail.
interface IResultProofs {
    /// @notice `challenger` had `node`'s proof for `taskId` verified: `fraud` when it failed.
    event ProofChallenged(uint256 indexed taskId, address indexed node, address indexed challenger, bool fraud);
    /// @notice `account` may withdraw `amount` more native coin (`withdraw`).
    event Credited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    error NotAFieldElement(uint256 value);
    error ZeroAddress();
    error ShareTooHigh(uint16 shareBps);
    error WrongBond(uint256 sent, uint256 bond);
    /// @notice The proof given is not the one `node` posted (its hash differs from the stored one).
    error ProofMismatch(uint256 taskId, address node);
    error NothingToClaim(address account);
    error TransferFailed(address to, uint256 amount);

    /// @notice The statement key of `taskId`: keccak256(abi.encode(chainid, market, taskId))
    ///         reduced modulo the BN254 scalar field (the circuit's public input `taskKey`).
    function taskKey(uint256 taskId) external view returns (uint256);

    /// @notice Whether `proof` is valid for (taskKey(taskId), node, agreementTag) (no state change).
    /// @param proof (A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y): the Groth16 proof with
    ///        each G2 coordinate's limbs in EIP-197 order.
    function isValid(uint256 taskId, address node, uint256 agreementTag, uint256[8] calldata proof)
        external
        view
        returns (bool);

    /// @notice Verifies the proof `node` posted for `taskId` (`proof` must hash to what the
    ///         market stored), sending exactly `challengeBond()` wei, within the task's challenge
    ///         window (see `ITaskMarket-rejectProof`). A failing proof: the market rejects it
    ///         (`ITaskMarket-rejectProof`), the bond is credited back to the caller. A valid
    ///         proof: the bond is credited to `node`. Credits are withdrawn with `withdraw`.
    /// @return fraud Whether the proof failed.
    function challenge(uint256 taskId, address node, uint256[8] calldata proof) external payable returns (bool fraud);

    /// @notice Sends the caller everything credited to it (pull payment).
    function withdraw() external;

    /// @notice The native coin `account` may withdraw.
    function owed(address account) external view returns (uint256);

    /// @notice The bond a challenge must carry (native coin, wei).
    function challengeBond() external view returns (uint256);

    /// @notice The share of a rejected node's collateral paid to its challenger (basis points).
    function challengerShareBps() external view returns (uint16);

    /// @notice The task market whose proofs this contract checks.
    function market() external view returns (address);
}
