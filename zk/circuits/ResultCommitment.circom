pragma circom 2.1.0;

// The result commitment of one node for one task (../../../shared/DESIGN.md, "Result commitment in
// zero knowledge"). The 256-bit model digest is given as two 128-bit limbs, each range-checked, so
// that no field element can stand for a different digest (BN254's field is ~2^254).
//
// public:  taskKey (the task's statement key, below), worker (the submitting address), agreementTag
// private: digestHi, digestLo (the digest's high and low 128 bits)
//
//   agreementTag == Poseidon(taskKey, digestHi, digestLo)
//
// taskKey = keccak256(abi.encode(chainId, market, taskId)) mod p: the contracts compute it, so a
// proof made for another chain, another market or another task proves nothing here (domain
// separation). Replicas that trained the same model share the tag without revealing the digest.
// `worker` is bound to the proof (a proof copied from another node's submission fails for the
// copier); nothing else in the statement: no salted commitment, which nothing ever opened.

include "lib/poseidon.circom";
include "lib/bits.circom";

template ResultCommitment() {
    signal input taskKey;
    signal input worker;
    signal input agreementTag;

    signal input digestHi;
    signal input digestLo;

    component hiBits = ToBits(128);
    hiBits.in <== digestHi;
    component loBits = ToBits(128);
    loBits.in <== digestLo;

    component tag = Poseidon(3);
    tag.inputs[0] <== taskKey;
    tag.inputs[1] <== digestHi;
    tag.inputs[2] <== digestLo;
    agreementTag === tag.out;

    // a constraint of its own on the worker: the proof is bound to it however the setup treats
    // public inputs that no other constraint uses
    signal workerSquared;
    workerSquared <== worker * worker;
}

component main {public [taskKey, worker, agreementTag]} = ResultCommitment();
