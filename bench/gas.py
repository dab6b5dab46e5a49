"""Gas per protocol operation, and assignment gas against the number of registered nodes.

Assignment must not grow with the node set: the market only loops over a task's (bounded)
applicants. This registers 10, then 100, then 1,000 staked nodes on one devnet and, at each
size, measures `assign` for every scheduling strategy with the same 8 applicants (the last registered) and r = 3.
Each task then runs to settlement the way nodes pay for it: results submitted as zero-knowledge
proofs (`submitProof`, the devnet default), revealed, reported on and settled.
Nodes beyond anvil's funded accounts are driven with `--auto-impersonate` (no keys needed).
The last line is one JSON object; `assign_gas_ratio_1000_over_10` is the worst strategy's ratio.

    .venv/bin/python bench/gas.py [--sizes 10,100,1000] [--quick]

`--quick` (run by tests/bench) measures one size, 10 nodes: the ratio key is then
`assign_gas_ratio_10_over_10`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.types import RPCEndpoint

from nnc.chain.deploy import NNT
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.devnet import Anvil
from nnc.chain.market import Market, PublishRequest
from nnc.devnet import REQUESTER, Devnet
from nnc.zk import prove_commitment

APPLICANTS = 8  # at most the smallest size, so every size assigns from the same number of applicants
REPLICATION = 3
STAKE = 200 * NNT
SPEC_DIGEST = b"\x11" * 32
RESULT_DIGEST = b"\x33" * 32


class Bench:
    def __init__(self, devnet: Devnet) -> None:
        self.devnet = devnet
        self.deployer = devnet.client(0)
        self.w3 = self.deployer.w3
        self.nodes: list[str] = []
        self.gas: dict[str, list[int]] = defaultdict(list)

    def send(self, sender: str, fn: Any, value: int = 0) -> str:
        """An unsigned transaction from any address (anvil auto-impersonation); returns its hash."""
        tx = fn.build_transaction({"from": sender, "value": value, "gas": 3_000_000,
                                   "nonce": self.w3.eth.get_transaction_count(sender, "pending")})
        return str(self.w3.eth.send_transaction(tx).hex())

    def gas_of(self, tx_hash: str) -> int:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"transaction {tx_hash} failed"
        return int(receipt["gasUsed"])

    def register_nodes(self, count: int) -> None:
        token, registry = self.deployer.token, self.deployer.registry
        last = ""
        for i in range(len(self.nodes), count):
            node = to_checksum_address(Web3.keccak(text=f"bench-node-{i}")[:20])
            self.w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [node, hex(10**20)])
            self.send(self.deployer.address, token.functions.transfer(node, STAKE))
            self.send(node, token.functions.approve(registry.address, STAKE))
            reg = self.send(node, registry.functions.register(Web3.keccak(text=node), 1))
            last = self.send(node, registry.functions.stake(STAKE))
            if i < 3:
                self.gas["register"].append(self.gas_of(reg))
                self.gas["stake"].append(self.gas_of(last))
            self.nodes.append(node)
        if last:
            self.gas_of(last)

    def assign_gas(self, strategy: str) -> int:
        requester = Market(self.devnet.client(REQUESTER))
        now = self.deployer.block_timestamp()
        task_id, receipt = requester.publish(PublishRequest(
            spec_digest=SPEC_DIGEST, spec_uri="bench", budget=10**18, replication=REPLICATION, collateral=10 * NNT,
            apply_deadline=now + 100, deadline=now + 10_000, compute_units=1000,
            strategy=str(self.deployer.contract(STRATEGY_CONTRACTS[strategy]).address)))
        self.gas["publish"].append(int(receipt["gasUsed"]))
        market = self.deployer.market
        applicants = self.nodes[-APPLICANTS:]
        for node in applicants:
            self.gas["apply"].append(self.gas_of(self.send(node, market.functions.applyForTask(task_id))))
        if strategy != "first-come":
            self.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [101])
        if strategy == "stake-weighted-random":  # two steps: commit the draw, assign once its block is mined
            draw = self.deployer.contract(STRATEGY_CONTRACTS[strategy])
            self.gas["commitDraw"].append(self.gas_of(self.send(self.deployer.address,
                                                                draw.functions.commitDraw(task_id))))
            self.w3.provider.make_request(RPCEndpoint("anvil_mine"), [hex(draw.functions.DRAW_DELAY().call())])
        gas = self.gas_of(self.send(self.deployer.address, market.functions.assign(task_id)))
        self.finish(task_id, market)
        return gas

    def finish(self, task_id: int, market: Any) -> None:
        """Submits, reports quality, settles: the rest of the per-operation figures."""
        assignees = market.functions.assigneesOf(task_id).call()
        head = b"\x22" * 32
        for node in assignees:
            snapshot = self.send(node, market.functions.postSnapshot(task_id, 10, head))
            self.gas["postSnapshot"].append(self.gas_of(snapshot))
            # what nodes pay: the devnet proves results, so the plain submitResult reverts ProofRequired
            key = Market(self.devnet.client(0)).statement_key(task_id)
            proof = prove_commitment(key, node, RESULT_DIGEST)
            self.gas["submitProof"].append(self.gas_of(self.send(node, market.functions.submitProof(
                task_id, proof.agreement_tag, proof.proof.calldata()))))
        for node in assignees:  # every result committed: each reveals where its model lives
            self.gas["revealResult"].append(self.gas_of(self.send(node, market.functions.revealResult(
                task_id, "bench://model"))))
        oracle = self.devnet.address(1)
        self.gas["reportQuality"].append(self.gas_of(self.send(oracle, market.functions.reportQuality(
            task_id, 9000, True))))
        window = Market(self.devnet.client(0)).settlement_params().challenge_window
        self.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [window + 1])
        self.gas[f"settle_r{REPLICATION}"].append(self.gas_of(self.send(oracle, market.functions.settle(task_id))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--quick", action="store_true", help="one size of 10 nodes (a smoke run for tests)")
    args = parser.parse_args()
    if args.quick:
        args.sizes = "10"
    sizes = [int(s) for s in args.sizes.split(",")]
    assign: dict[str, dict[int, int]] = defaultdict(dict)
    with tempfile.TemporaryDirectory(prefix="nnc-gas-") as tmp:
        # the devnet's parameters, result proofs on: results are submitted as zero-knowledge proofs
        devnet = Devnet(data_dir=Path(tmp), nodes=1, anvil=Anvil(extra_args=("--auto-impersonate",)))
        with devnet:
            bench = Bench(devnet)
            for size in sizes:
                bench.register_nodes(size)
                for strategy in STRATEGY_CONTRACTS:
                    assign[strategy][size] = bench.assign_gas(strategy)
            ops = {op: round(sum(v) / len(v)) for op, v in bench.gas.items()}
    print(f"{'operation':16} {'gas (mean)':>12}")
    for op, value in ops.items():
        print(f"{op:16} {value:>12,}")
    print(f"\nassign, r={REPLICATION}, {APPLICANTS} applicants, by registered nodes:")
    print(f"{'strategy':24}" + "".join(f"{n:>10}" for n in sizes) + f"{'ratio':>8}")
    ratios = {}
    for strategy, by_size in assign.items():
        ratios[strategy] = round(by_size[sizes[-1]] / by_size[sizes[0]], 4)
        print(f"{strategy:24}" + "".join(f"{by_size[n]:>10,}" for n in sizes) + f"{ratios[strategy]:>8}")
    print(json.dumps({"gas": ops, "assign_gas": assign, "assign_gas_ratio_by_strategy": ratios,
                      f"assign_gas_ratio_{sizes[-1]}_over_{sizes[0]}": max(ratios.values())}))


if __name__ == "__main__":
    main()
