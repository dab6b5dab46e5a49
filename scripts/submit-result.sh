#!/usr/bin/env bash
# Submit a trained model's result to the task market the way a third-party client would: the
# zero-knowledge part from `nnc zk prove-result` (Poseidon agreement tag and Groth16 proof, bound
# to this chain, this market and the sending address), the transactions from Foundry's `cast`. For a task whose results are proven (the
# default); a task without proofs takes `cast send $MARKET "submitResult(uint256,bytes32)" ID DIGEST`.
#
#   RPC_URL=http://127.0.0.1:8545 PRIVATE_KEY=0x... MARKET=0x... \
#     scripts/submit-result.sh TASK_ID MODEL_DIGEST RESULT_URI
#
# MODEL_DIGEST is the model's result digest (`nnc task train` prints it), RESULT_URI where the model
# file is stored (`nnc data put model.pt`). Writes result-proof-TASK_ID.json. The market posts the
# proof unverified (optimistic verification): the oracle checks it, and a proof that fails is
# challenged and costs the node its collateral, so check it first if in doubt. The reveal goes through once every assignee has committed;
# until then it is refused (InvalidStatus or ResultsNotCommitted), and this script says so: run
# the reveal line again later.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: RPC_URL=… PRIVATE_KEY=… MARKET=… $0 TASK_ID MODEL_DIGEST RESULT_URI" >&2
  exit 2
fi
: "${RPC_URL:?set RPC_URL}" "${PRIVATE_KEY:?set PRIVATE_KEY}" "${MARKET:?set MARKET (the TaskMarket address)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cast="${CAST:-$root/node_modules/.bin/cast}"
nnc="${NNC:-$root/.venv/bin/nnc}"
task="$1" digest="$2" uri="$3"

worker="$("$cast" wallet address --private-key "$PRIVATE_KEY")"
record="result-proof-$task.json"
chain_id="$("$cast" chain-id --rpc-url "$RPC_URL")"
"$nnc" zk prove-result "$task" "$digest" --worker "$worker" --chain-id "$chain_id" --market "$MARKET" > "$record"
read -r -a args < <(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["cast_args"]))' "$record")
echo "proof for task $task by $worker written to $record"

"$cast" send --rpc-url "$RPC_URL" --private-key "$PRIVATE_KEY" "$MARKET" \
  "submitProof(uint256,uint256,uint256[8])" "${args[@]}" > /dev/null
echo "committed: submitProof($task, agreement tag, proof)"

if "$cast" send --rpc-url "$RPC_URL" --private-key "$PRIVATE_KEY" "$MARKET" \
    "revealResult(uint256,string)" "$task" "$uri" > /dev/null 2>reveal.err; then
  echo "revealed $uri"
else
  echo "not revealed yet ($(tail -c 300 reveal.err | tr '\n' ' ')): run again once every assignee committed:" >&2
  echo "  cast send --rpc-url \$RPC_URL --private-key \$PRIVATE_KEY $MARKET 'revealResult(uint256,string)' $task $uri" >&2
fi
rm -f reveal.err
