pragma circom 2.1.0;

// Acceptance of a classifier (../../../shared/DESIGN.md): its predictions on the evaluation set,
// compared with the labels the requester committed at publish time, are right at least
// `threshold` times among the first `count` samples.
//
// N samples (the evaluation set, padded), class ids of B bits each (B = 4: up to 16 classes).
// Each vector is committed as Poseidon(salt, packed[0..K-1]) where packed[k] holds the class ids
// k*PER .. k*PER+PER-1 as B-bit digits (PER = 248 / B, so a packed element stays below 2^248).
// Every id is range-checked to B bits, which makes the packing injective.
//
// public:  predictionsCommitment, labelsCommitment, threshold, count
// private: predictions[N], labels[N], predictionsSalt, labelsSalt

include "lib/poseidon.circom";
include "lib/bits.circom";
include "lib/compare.circom";

// Poseidon(salt, packed values): the commitment of one vector of B-bit class ids.
template PackedCommitment(N, B) {
    var PER = 248 \ B;
    var K = (N + PER - 1) \ PER;
    signal input values[N];
    signal input salt;
    signal output out;

    component bits[N];
    var packed[K];
    for (var k = 0; k < K; k++) {
        packed[k] = 0;
    }
    for (var i = 0; i < N; i++) {
        bits[i] = ToBits(B);
        bits[i].in <== values[i];
        packed[i \ PER] += values[i] * (1 << (B * (i % PER)));
    }
    component hash = Poseidon(K + 1);
    hash.inputs[0] <== salt;
    for (var k = 0; k < K; k++) {
        hash.inputs[k + 1] <== packed[k];
    }
    out <== hash.out;
}

template Acceptance(N, B) {
    signal input predictionsCommitment;
    signal input labelsCommitment;
    signal input threshold;
    signal input count;

    signal input predictions[N];
    signal input labels[N];
    signal input predictionsSalt;
    signal input labelsSalt;

    component predCommit = PackedCommitment(N, B);
    component labelCommit = PackedCommitment(N, B);
    for (var i = 0; i < N; i++) {
        predCommit.values[i] <== predictions[i];
        labelCommit.values[i] <== labels[i];
    }
    predCommit.salt <== predictionsSalt;
    labelCommit.salt <== labelsSalt;
    predictionsCommitment === predCommit.out;
    labelsCommitment === labelCommit.out;

    // active[i] = (i < count): boolean, non-increasing, summing to count (so count <= N).
    signal active[N];
    var activeSum = 0;
    for (var i = 0; i < N; i++) {
        active[i] <-- i < count ? 1 : 0;
        active[i] * (active[i] - 1) === 0;
        if (i > 0) {
            active[i] * (1 - active[i - 1]) === 0;
        }
        activeSum += active[i];
    }
    activeSum === count;

    component same[N];
    signal correct[N];
    var numCorrect = 0;
    for (var i = 0; i < N; i++) {
        same[i] = IsZero();
        same[i].in <== predictions[i] - labels[i];
        correct[i] <== same[i].out * active[i];
        numCorrect += correct[i];
    }

    // threshold <= numCorrect, with threshold range-checked so the comparison cannot wrap.
    var W = 1;
    while ((1 << W) <= N) {
        W++;
    }
    component thresholdBits = ToBits(W);
    thresholdBits.in <== threshold;
    component enough = AtLeast(W);
    enough.a <== numCorrect;
    enough.b <== threshold;
    enough.out === 1;
}

component main {public [predictionsCommitment, labelsCommitment, threshold, count]} = Acceptance(256, 4);
