pragma circom 2.1.0;

// The result commitment of one node for one task (../../../shared/DESIGN.md, "Result commitment in
// zero knowledge"). The 256-bit model digest is given as two 128-bit limbs, each range-checked, so
// that no field element can stand for a different digest (BN254's field is ~2^254).
//
// public:  taskId, worker (the submitting address), commitment, agreementTag
// private: digestHi, digestLo (the digest's high and low 128 bits), salt
//
//   commitment   == Poseidon(taskId, worker, digestHi, digestLo, salt)
//   agreementTag == Poseidon(taskId, digestHi, digestLo)
//
// Replicas that trained the same model share the tag without revealing the digest; the salt
// hides the digest inside the commitment, which binds it to the worker for a later opening.

include "lib/poseidon.circom";
include "lib/bits.circom";

template ResultCommitment() {
    signal input taskId;
    signal input worker;
    signal input commitment;
    signal input agreementTag;

    signal input digestHi;
    signal input digestLo;
    signal input salt;

    component hiBits = ToBits(128);
    hiBits.in <== digestHi;
    component loBits = ToBits(128);
    loBits.in <== digestLo;

    component commit = Poseidon(5);
    commit.inputs[0] <== taskId;
    commit.inputs[1] <== worker;
    commit.inputs[2] <== digestHi;
    commit.inputs[3] <== digestLo;
    commit.inputs[4] <== salt;
    commitment === commit.out;

    component tag = Poseidon(3);
    tag.inputs[0] <== taskId;
    tag.inputs[1] <== digestHi;
    tag.inputs[2] <== digestLo;
    agreementTag === tag.out;
}

component main {public [taskId, worker, commitment, agreementTag]} = ResultCommitment();
