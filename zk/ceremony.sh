#!/usr/bin/env bash
# Trusted setup for NNC's circuits (Groth16 on BN254): powers of tau (phase 1, any circuit) and a
# per-circuit phase 2, each with any number of contributions and a random beacon at the end.
# `local` runs a single-party ceremony for devnets. A real network uses the multi-party phase 2 of
# `nnc zk ceremony init|contribute|verify|finalize` (nnc/zk/ceremony.py, files on IPFS; zk/README.md).
#
#   zk/ceremony.sh compile                  circuits -> build/zk (r1cs, wasm)
#   zk/ceremony.sh local                    compile + every step below with one local party
#   zk/ceremony.sh ptau-new                 phase 1 start: build/zk-ceremony/pot_0000.ptau
#   zk/ceremony.sh ptau-contribute NAME     adds NAME's contribution on the latest ptau
#   zk/ceremony.sh ptau-beacon HEX [ITER]   closes phase 1 with a public beacon, prepares phase 2
#   zk/ceremony.sh zkey-new                 phase 2 start, one zkey per circuit
#   zk/ceremony.sh zkey-contribute NAME     adds NAME's contribution to every circuit's latest zkey
#   zk/ceremony.sh zkey-beacon HEX [ITER]   closes phase 2 and exports into zk/artifacts and
#                                           contracts/src/zk (zkey, vkey, wasm, r1cs, verifiers)
#   zk/ceremony.sh verify                   checks the whole transcript (phase 1 and every zkey)
#
# Entropy for contributions comes from /dev/urandom unless NNC_ZK_ENTROPY is set. Never run
# inside the tests: phase 1 preparation alone takes over a minute.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SNARKJS="node node_modules/snarkjs/build/cli.cjs"
CIRCOM="node_modules/.bin/circom2"
POWER="${NNC_ZK_POWER:-12}"
CIRCUITS=(ResultCommitment Acceptance)
BUILD="build/zk"
WORK="build/zk-ceremony"
ARTIFACTS="zk/artifacts"
VERIFIERS="contracts/src/zk"
mkdir -p "$BUILD" "$WORK" "$ARTIFACTS" "$VERIFIERS"

entropy() { echo "${NNC_ZK_ENTROPY:-$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')}"; }
latest() { ls -1 "$WORK"/$1_*.$2 2>/dev/null | sort | tail -1; }
next_name() {  # next numbered file after the latest one: pot_0003.ptau
    local last n; last="$(latest "$1" "$2")"
    n="${last##*_}"; n="${n%%.*}"; printf '%s/%s_%04d.%s' "$WORK" "$1" $((10#$n + 1)) "$2"
}

compile() {
    for c in "${CIRCUITS[@]}"; do
        $CIRCOM "zk/circuits/$c.circom" --r1cs --wasm --O2 -o "$BUILD" >/dev/null
        echo "compiled $c: $($SNARKJS r1cs info "$BUILD/$c.r1cs" | grep -o 'Constraints: [0-9]*')"
    done
}

ptau_new() { $SNARKJS powersoftau new bn128 "$POWER" "$WORK/pot_0000.ptau"; }

ptau_contribute() {
    local out; out="$(next_name pot ptau)"
    $SNARKJS powersoftau contribute "$(latest pot ptau)" "$out" --name="$1" -e="$(entropy)"
}

ptau_beacon() {
    $SNARKJS powersoftau beacon "$(latest pot ptau)" "$WORK/beacon.ptau" "$1" "${2:-10}" -n="final beacon"
    $SNARKJS powersoftau prepare phase2 "$WORK/beacon.ptau" "$WORK/final.ptau"
}

zkey_new() {
    for c in "${CIRCUITS[@]}"; do
        $SNARKJS groth16 setup "$BUILD/$c.r1cs" "$WORK/final.ptau" "$WORK/${c}_0000.zkey"
    done
}

zkey_contribute() {
    for c in "${CIRCUITS[@]}"; do
        local out; out="$(next_name "$c" zkey)"
        $SNARKJS zkey contribute "$(latest "$c" zkey)" "$out" --name="$1" -e="$(entropy)"
    done
}

zkey_beacon() {
    for c in "${CIRCUITS[@]}"; do
        $SNARKJS zkey beacon "$(latest "$c" zkey)" "$ARTIFACTS/$c.zkey" "$1" "${2:-10}" -n="final beacon"
        $SNARKJS zkey export verificationkey "$ARTIFACTS/$c.zkey" "$ARTIFACTS/$c.vkey.json"
        cp "$BUILD/$c.r1cs" "$ARTIFACTS/$c.r1cs"
        cp "$BUILD/${c}_js/$c.wasm" "$ARTIFACTS/$c.wasm"
        # NNC's verifier template (Apache-2.0), not snarkjs's GPL-3.0 one: see nnc/zk/solidity.py
        .venv/bin/python -m nnc.zk.solidity "$ARTIFACTS/$c.vkey.json" "${c}Verifier" > "$VERIFIERS/${c}Verifier.sol"
    done
    cp "$WORK/final.ptau" "$ARTIFACTS/pot${POWER}_final.ptau"
}

verify() {
    local ptau="$ARTIFACTS/pot${POWER}_final.ptau"
    [ -f "$ptau" ] || ptau="$WORK/final.ptau"
    $SNARKJS powersoftau verify "$ptau"
    for c in "${CIRCUITS[@]}"; do
        $SNARKJS zkey verify "$ARTIFACTS/$c.r1cs" "$ptau" "$ARTIFACTS/$c.zkey"
    done
}

case "${1:-}" in
    compile) compile ;;
    ptau-new) ptau_new ;;
    ptau-contribute) ptau_contribute "${2:?name}" ;;
    ptau-beacon) ptau_beacon "${2:?beacon hex}" "${3:-}" ;;
    zkey-new) compile; zkey_new ;;
    zkey-contribute) zkey_contribute "${2:?name}" ;;
    zkey-beacon) zkey_beacon "${2:?beacon hex}" "${3:-}" ;;
    verify) verify ;;
    local)
        rm -rf "$WORK"; mkdir -p "$WORK"
        compile
        ptau_new
        ptau_contribute "nnc devnet"
        ptau_beacon "$(entropy | head -c 64)" 10
        zkey_new
        zkey_contribute "nnc devnet"
        zkey_beacon "$(entropy | head -c 64)" 10
        verify 2>&1 | sed "s/\x1b\[[0-9;]*m//g" | tee "$ARTIFACTS/transcript.txt"
        # the manifest `nnc deploy --profile production` reads (nnc/zk/trust.py): one party, refused there
        cat > "$ARTIFACTS/ceremony.json" <<'JSON'
{
  "format": "nnc-ceremony/1",
  "kind": "single-party devnet ceremony (zk/ceremony.sh local): NOT safe for real value",
  "contributions": [{"name": "nnc devnet", "hashes": {}, "zkeys": {}}],
  "beacon": null,
  "final": {}
}
JSON
        ;;
    *) sed -n '2,18p' "$0"; exit 2 ;;
esac
