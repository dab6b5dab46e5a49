pragma circom 2.1.0;

include "bits.circom";

// out = 1 if in == 0, else 0. `inverse` is a hint: in * inverse = 1 - out forces out = 0 for a
// nonzero input (inverse = 1 / in), and in * out = 0 forces out = 0 unless in = 0, where the
// first equation gives out = 1.
template IsZero() {
    signal input in;
    signal output out;
    signal inverse;
    inverse <-- in == 0 ? 0 : 1 / in;
    out <== 1 - in * inverse;
    in * out === 0;
}

// out = 1 if a >= b, else 0, for a and b below 2^n (the caller range-checks them; n < 253).
// a - b + 2^n lies in [1, 2^(n+1)) and its bit n is set exactly when a >= b.
template AtLeast(n) {
    signal input a;
    signal input b;
    signal output out;
    component bits = ToBits(n + 1);
    bits.in <== a - b + (1 << n);
    out <== bits.out[n];
}
