// A long-lived Groth16 prover for NNC's circuits, driven by nnc.zk.prover over stdin/stdout.
//
// Requests and answers are JSON, one per line:
//   -> {"id": 1, "circuit": "ResultCommitment", "input": {"taskId": "1", ...}}
//   <- {"id": 1, "proof": {...}, "publicSignals": ["1", ...]}      or {"id": 1, "error": "..."}
// Each circuit's zkey is read once and kept in memory and its wasm witness calculator is compiled
// and instantiated once (circom_runtime, Apache-2.0), and snarkjs keeps its BN254 curve (and its
// worker threads) between proofs, so a warm proof pays no start-up: the witness is computed in
// this process in ~1-5 ms and handed to groth16.prove in memory (fullProve would recompile the
// wasm on every proof, 20-40 ms).
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const snarkjs = require("snarkjs");
const { WitnessCalculatorBuilder } = require("circom_runtime");

const artifactsDir = process.argv[2] || path.join(__dirname, "artifacts");
const cache = new Map();

async function load(circuit) {
  if (!/^[A-Za-z0-9]+$/.test(circuit)) throw new Error(`bad circuit name ${JSON.stringify(circuit)}`);
  let entry = cache.get(circuit);
  if (!entry) {
    const read = (file) => new Uint8Array(fs.readFileSync(path.join(artifactsDir, file)));
    const witness = await WitnessCalculatorBuilder(read(`${circuit}.wasm`));
    entry = { witness, zkey: { type: "mem", data: read(`${circuit}.zkey`) } };
    cache.set(circuit, entry);
  }
  return entry;
}

async function answer(line) {
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id;
    const { witness, zkey } = await load(request.circuit);
    const wtns = { type: "mem", data: await witness.calculateWTNSBin(request.input, true) };
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns);
    return { id, proof, publicSignals };
  } catch (err) {
    return { id, error: String((err && err.message) || err) };
  }
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  for await (const line of lines) {
    if (!line.trim()) continue;
    process.stdout.write(JSON.stringify(await answer(line)) + "\n");
  }
  const curve = globalThis.curve_bn128;
  if (curve) await curve.terminate();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`prover: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
