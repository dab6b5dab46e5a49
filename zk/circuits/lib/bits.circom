pragma circom 2.1.0;

// The n-bit binary expansion of `in`, least significant bit first. The constraints admit a
// solution only when in < 2^n (as an integer below the field modulus), so this is also NNC's
// range check; n must stay below 254 for the expansion to be unique.
template ToBits(n) {
    signal input in;
    signal output out[n];
    var total = 0;
    for (var i = 0; i < n; i++) {
        out[i] <-- (in >> i) & 1;
        out[i] * (1 - out[i]) === 0;
        total += (1 << i) * out[i];
    }
    total === in;
}
