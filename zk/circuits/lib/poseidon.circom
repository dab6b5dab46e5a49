pragma circom 2.1.0;

// Poseidon over BN254 (Grassi, Khovratovich, Rechberger, Roy, Schofnegger, USENIX Security 2021):
// the permutation of (0, inputs) with the x^5 S-box, 8 full rounds and the partial rounds of the
// paper's table; the hash is the first element of the result. Each round adds its t constants,
// applies the S-box (to every element in the first and last 4 rounds, to the first element in
// the partial rounds) and multiplies the state by the MDS matrix. The constants come from
// zk/scripts/poseidon_params.py (poseidon_constants.circom); nnc/zk/poseidon.py computes the same.
//
// Only the S-boxes cost constraints (3 each): 3 * (8 * t + R_P) per hash. The additions and the
// matrix products stay linear combinations.

include "poseidon_constants.circom";

// out = in^5
template Pow5() {
    signal input in;
    signal output out;
    signal square;
    signal fourth;
    square <== in * in;
    fourth <== square * square;
    out <== fourth * in;
}

template Poseidon(nInputs) {
    signal input inputs[nInputs];
    signal output out;

    var t = nInputs + 1;
    var FULL = 8;
    var HALF = FULL \ 2;
    var PARTIAL = POSEIDON_PARTIAL_ROUNDS(t);
    var C[t * (FULL + PARTIAL)] = POSEIDON_C(t);
    var M[t][t] = POSEIDON_M(t);

    component sbox[FULL * t + PARTIAL];
    var used = 0;
    var state[t];
    state[0] = 0;
    for (var i = 1; i < t; i++) {
        state[i] = inputs[i - 1];
    }
    for (var r = 0; r < FULL + PARTIAL; r++) {
        var full = r < HALF || r >= HALF + PARTIAL;
        for (var i = 0; i < t; i++) {
            state[i] = state[i] + C[r * t + i];
            if (full || i == 0) {
                sbox[used] = Pow5();
                sbox[used].in <== state[i];
                state[i] = sbox[used].out;
                used++;
            }
        }
        var mixed[t];
        for (var i = 0; i < t; i++) {
            mixed[i] = 0;
            for (var j = 0; j < t; j++) {
                mixed[i] += M[i][j] * state[j];
            }
        }
        state = mixed;
    }
    out <== state[0];
}
