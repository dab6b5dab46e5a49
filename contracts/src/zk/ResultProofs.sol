// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Versioned} from "../access/Versioned.sol";
import {IResultProofs} from "../interfaces/IResultProofs.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";

/// @notice The verifier generated from the ResultCommitment circuit's key (nnc/zk/solidity.py).
interface IResultCommitmentVerifier {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[3] calldata pubSignals
    ) external view returns (bool);
}

/// @title ResultProofs
/// @notice Optimistic verification of the task market's result proofs: a posted proof is
///         verified here only when challenged (see {IResultProofs}).
/// @dev The generated verifier returns false both for a bad proof (including a malformed
///      point, which makes a precompile fail) and when a precompile runs out of gas; it gives
///      each precompile all the gas left rather than today's prices. So that a challenger cannot
///      starve the check to brand a valid proof false, `challenge` gives the verifier exactly
///      `verifyGas` (and reverts when less is left): a deployment parameter (1,000,000 on the devnet, over 4 x the
///      EIP-1108 cost of the check and 2 x its pre-1108 cost), raised by deploying a new
///      ResultProofs (`MarketConfig.setResultProofs`; tasks keep the one they were published with).
contract ResultProofs is IResultProofs, ERC165, ReentrancyGuard, Versioned {
    /// @notice BN254's scalar field: every public input must be below it.
    uint256 public constant FIELD_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint16 private constant _BPS = 10_000;

    /// @notice The generated Groth16 verifier.
    IResultCommitmentVerifier public immutable verifier;
    /// @inheritdoc IResultProofs
    address public immutable market;
    /// @inheritdoc IResultProofs
    uint256 public immutable challengeBond;
    /// @inheritdoc IResultProofs
    uint16 public immutable challengerShareBps;
    /// @notice The gas a challenge must have left when it verifies (see the contract's notes).
    uint256 public immutable verifyGas;

    /// @inheritdoc IResultProofs
    mapping(address account => uint256) public owed;

    /// @notice Not enough gas left to verify: the challenge would not be a fair check.
    error VerifyGasTooLow(uint256 left, uint256 needed);

    /// @param verifier_ The ResultCommitmentVerifier generated from the committed zkey.
    /// @param market_ The task market whose posted proofs this contract checks.
    /// @param challengeBond_ Native coin a challenge carries (lost to the node if its proof holds).
    /// @param challengerShareBps_ Share of a rejected node's collateral paid to its challenger.
    /// @param verifyGas_ Gas a challenge must have left to verify (see the contract's notes).
    constructor(
        IResultCommitmentVerifier verifier_,
        address market_,
        uint256 challengeBond_,
        uint16 challengerShareBps_,
        uint256 verifyGas_
    ) {
        if (address(verifier_) == address(0) || market_ == address(0)) revert ZeroAddress();
        if (challengerShareBps_ > _BPS) revert ShareTooHigh(challengerShareBps_);
        verifier = verifier_;
        market = market_;
        challengeBond = challengeBond_;
        challengerShareBps = challengerShareBps_;
        verifyGas = verifyGas_;
    }

    /// @inheritdoc IResultProofs
    function taskKey(uint256 taskId) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, market, taskId))) % FIELD_MODULUS;
    }

    /// @inheritdoc IResultProofs
    /// @dev Reverts `NotAFieldElement` for a tag outside the field (which the verifier would
    ///      refuse anyway), so that no two uint256 values name one field element.
    function isValid(uint256 taskId, address node, uint256 agreementTag, uint256[8] calldata proof)
        public
        view
        returns (bool)
    {
        return _verify(taskId, node, agreementTag, proof, gasleft());
    }

    /// @inheritdoc IResultProofs
    function challenge(uint256 taskId, address node, uint256[8] calldata proof)
        external
        payable
        nonReentrant
        returns (bool fraud)
    {
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
        uint256 tag = _challengeable(taskId, node, proof);
        // the verifier gets exactly `verifyGas`: a malformed point burns that much, not the
        // whole transaction, and no challenger can starve a valid proof into failing
        uint256 left = gasleft();
        if (left < verifyGas + verifyGas / 63 + 5_000) revert VerifyGasTooLow(left, verifyGas);
        fraud = !_verify(taskId, node, tag, proof, verifyGas);
        emit ProofChallenged(taskId, node, msg.sender, fraud);
        address payee = fraud ? msg.sender : node;
        if (msg.value != 0) {
            owed[payee] += msg.value;
            emit Credited(payee, msg.value);
        }
        if (fraud) ITaskMarket(market).rejectProof(taskId, node, msg.sender, challengerShareBps);
    }

    /// @inheritdoc IResultProofs
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    /// @dev The agreement tag `node` posted with `proof`, if the proof is the one it posted
    ///      (`ProofMismatch` otherwise) and may still be challenged (`ProofNotChallengeable`
    ///      otherwise: the market checks the same again when it rejects).
    function _challengeable(uint256 taskId, address node, uint256[8] calldata proof) private view returns (uint256) {
        ITaskMarket m = ITaskMarket(market);
        ITaskMarket.Participation memory p = m.participationOf(taskId, node);
        if (p.proofHash == bytes28(0) || bytes28(keccak256(abi.encode(proof))) != p.proofHash) {
            revert ProofMismatch(taskId, node);
        }
        ITaskMarket.Task memory t = m.getTask(taskId);
        bool open = t.status == ITaskMarket.TaskStatus.Assigned || t.status == ITaskMarket.TaskStatus.Running
            || (t.status == ITaskMarket.TaskStatus.Submitted && block.timestamp < t.challengeEndsAt);
        if (!open || !p.submitted || p.bond != ITaskMarket.Bond.Locked) {
            revert ITaskMarket.ProofNotChallengeable(taskId, node);
        }
        return uint256(p.resultDigest);
    }

    function _verify(uint256 taskId, address node, uint256 agreementTag, uint256[8] calldata proof, uint256 gasLimit)
        private
        view
        returns (bool)
    {
        if (agreementTag >= FIELD_MODULUS) revert NotAFieldElement(agreementTag);
        return verifier.verifyProof{gas: gasLimit}(
            [proof[0], proof[1]],
            [[proof[2], proof[3]], [proof[4], proof[5]]],
            [proof[6], proof[7]],
            [taskKey(taskId), uint256(uint160(node)), agreementTag]
        );
    }

    /// @notice ERC-165: true for {IResultProofs}, {IVersioned} and ERC-165 itself.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IResultProofs).interfaceId || interfaceId == type(IVersioned).interfaceId
            || super.supportsInterface(interfaceId);
    }
}
