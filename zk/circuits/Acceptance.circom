pragma circom 2.1.0;

// Acceptance of a classifier (../../../shared/DESIGN.md): its predictions on the evaluation set,
// compared with the labels the requester committed at publish time, are right at least
// `threshold` times among the `count` samples (met = 1), or fewer than `threshold` times (met = 0).
//
// N samples (the evaluation set, padded with zeros), class ids of B bits each (B = 4: up to 16
// classes), packed K per field element as B-bit digits (PER = 248 / B, below 2^248); every id is
// range-checked to B bits, which makes the packing injective.
//
// The count is bound in both commitments, so a 150-sample set padded with zeros is a different
// commitment from any 206-sample one:
//   labelsCommitment      = Poseidon(labelsSalt, packed labels, count)   (hidden: salted)
//   predictionsCommitment = Poseidon(0, packed predictions, count)  (unsalted: anyone with the
//                           model and the public evaluation inputs recomputes it)
// where the count is one more digit after the last id of the last packed element (free: linear).
//
// public:  predictionsCommitment, labelsCommitment, threshold, count, met
// private: predictions[N], labels[N], labelsSalt

include "lib/poseidon.circom";
include "lib/bits.circom";
include "lib/compare.circom";

// Poseidon(head, packed values with count appended): the commitment of one vector of B-bit class
// ids and its length (count < 2^(W) is range-checked by the caller; it must fit above the ids).
template PackedCommitment(N, B) {
    var PER = 248 \ B;
    var K = (N + PER - 1) \ PER;
    signal input values[N];
    signal input head;
    signal input count;
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
    packed[K - 1] += count * (1 << (B * (N - (K - 1) * PER)));
    component hash = Poseidon(K + 1);
    hash.inputs[0] <== head;
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
    signal input met;

    signal input predictions[N];
    signal input labels[N];
    signal input labelsSalt;

    component predCommit = PackedCommitment(N, B);
    component labelCommit = PackedCommitment(N, B);
    for (var i = 0; i < N; i++) {
        predCommit.values[i] <== predictions[i];
        labelCommit.values[i] <== labels[i];
    }
    predCommit.head <== 0;
    predCommit.count <== count;
    labelCommit.head <== labelsSalt;
    labelCommit.count <== count;
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

    // met = (threshold <= numCorrect), with threshold range-checked so the comparison cannot wrap.
    var W = 1;
    while ((1 << W) <= N) {
        W++;
    }
    component thresholdBits = ToBits(W);
    thresholdBits.in <== threshold;
    component enough = AtLeast(W);
    enough.a <== numCorrect;
    enough.b <== threshold;
    met * (met - 1) === 0;
    enough.out === met;
}

component main {public [predictionsCommitment, labelsCommitment, threshold, count, met]} = Acceptance(256, 4);
