"""Gas per lifecycle step and wall time per phase, on a fresh anvil devnet with real training.

Runs one task through publish -> apply -> assign -> train -> submit -> settle -> claim with
`--nodes` replicas (default 2), once with ETH and once with an ERC-20 (NNT) budget. Gas figures
are exact (the EVM is deterministic); times are wall-clock and noisy, so the chain's share of
the wall time is also given as a ratio to the training time measured in the same run.
The last line is one JSON object with the key figures.

    .venv/bin/python bench/lifecycle.py [--nodes 2] [--quick]

`--quick` (run by tests/bench): one node, the ETH task only, training cut to 10 steps.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from nnc.chain.deploy import NNT
from nnc.chain.market import Market, PublishRequest
from nnc.chain.registry import Registry
from nnc.devnet import REQUESTER, Devnet
from nnc.node.profile import collect_profile, hardware_class, profile_digest
from nnc.runtimes.dispatch import train
from nnc.storage import LocalStore
from nnc.task import canonical_json, load_spec, spec_digest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "digits-mlp.json"


class Recorder:
    def __init__(self) -> None:
        self.gas: dict[str, list[int]] = defaultdict(list)
        self.seconds: dict[str, float] = defaultdict(float)

    def tx(self, step: str, receipt: Any) -> None:
        self.gas[step].append(int(receipt["gasUsed"]))

    def timed(self, phase: str) -> _Timer:
        return _Timer(self, phase)


class _Timer:
    def __init__(self, rec: Recorder, phase: str) -> None:
        self.rec, self.phase = rec, phase

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.rec.seconds[self.phase] += time.perf_counter() - self.start


def run_task(devnet: Devnet, rec: Recorder, store: LocalStore, workdir: Path, token: str, tag: str,
             steps: int | None = None) -> None:
    spec = load_spec(SPEC)
    if steps is not None:  # --quick: the same path on a shorter training
        training = spec.training.model_copy(update={"steps": steps, "checkpoint_interval": max(1, steps // 2)})
        spec = spec.model_copy(update={"training": training})
    requester = Market(devnet.client(REQUESTER))
    nodes = [Market(devnet.client(i)) for i in devnet.node_indices()]
    budget = 10**18 if token == "ETH" else 1000 * NNT
    token_address = "0x" + "00" * 20 if token == "ETH" else str(devnet.client(0).token.address)
    with rec.timed(f"{tag}:publish"):
        uri = store.put_bytes(canonical_json(spec))
        now = devnet.client(0).block_timestamp()
        task_id, receipt = requester.publish(PublishRequest(
            spec_digest=spec_digest(spec), spec_uri=uri, budget=budget, replication=len(nodes),
            collateral=10 * NNT, apply_deadline=now + 60, deadline=now + 3600, token=token_address))
        rec.tx(f"publish_{tag}", receipt)
    with rec.timed(f"{tag}:apply+assign"):
        for market in nodes:
            rec.tx("apply", market.apply(task_id))
        rec.tx(f"assign_r{len(nodes)}", requester.assign(task_id))
    model_uris = []
    for i, market in enumerate(nodes):
        with rec.timed(f"{tag}:train"):
            result = train(spec, workdir / f"{tag}-{task_id}-{i}", node=market.client.address)
        with rec.timed(f"{tag}:submit"):
            model_uri = store.put_file(result.model_path)
            receipt = market.submit_result(task_id, result.result_digest, model_uri)  # a zk proof when on
            rec.tx("submit", receipt)
            model_uris.append(model_uri)
    with rec.timed(f"{tag}:reveal"):  # every result committed: the others reveal where their models live
        for market, model_uri in zip(nodes, model_uris, strict=True):
            revealed = market.reveal_if_due(task_id, model_uri)
            if revealed is not None:
                rec.tx("reveal", revealed)
    w3 = devnet.client(0).w3  # past the challenge window (not timed: a real chain just waits)
    w3.provider.make_request("evm_increaseTime", [requester.settlement_params().challenge_window + 1])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    with rec.timed(f"{tag}:settle+claim"):
        rec.tx(f"settle_r{len(nodes)}", requester.settle(task_id))
        for market in nodes:
            rec.tx(f"claim_{tag}", market.claim(token_address))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help="one node, the ETH task only, 10 training steps (a smoke run for tests)")
    args = parser.parse_args()
    if args.quick:
        args.nodes = 1
    steps = 10 if args.quick else None
    rec = Recorder()
    with tempfile.TemporaryDirectory(prefix="nnc-bench-") as tmp:
        data = Path(tmp)
        with rec.timed("devnet+deploy"):
            devnet = Devnet(data_dir=data, nodes=args.nodes).start()
        try:
            with rec.timed("join"):
                profile = collect_profile(0.2)
                for i in devnet.node_indices():
                    registry = Registry(devnet.client(i))
                    rec.tx("register", registry.register(profile_digest(profile), hardware_class(profile)))
                    rec.tx("stake", registry.stake(200 * NNT))  # the stake call; its approve is not counted
            store = LocalStore(data / "store")
            run_task(devnet, rec, store, data / "work", "ETH", "eth", steps)
            if not args.quick:
                run_task(devnet, rec, store, data / "work", "NNT", "erc20")
        finally:
            devnet.stop()
    gas = {step: round(sum(v) / len(v)) for step, v in rec.gas.items()}
    train_s = rec.seconds["eth:train"] + rec.seconds.get("erc20:train", 0.0)
    chain_s = sum(s for p, s in rec.seconds.items() if p.startswith(("eth:", "erc20:")) and not p.endswith("train"))
    print(f"{'step':24} {'gas (mean)':>12}")
    for step, value in gas.items():
        print(f"{step:24} {value:>12,}")
    print(f"\n{'phase':24} {'seconds':>12}")
    for phase, seconds in rec.seconds.items():
        print(f"{phase:24} {seconds:>12.2f}")
    lifecycle_gas = gas["publish_eth"] + args.nodes * (gas["apply"] + gas["submit"]) + gas[f"assign_r{args.nodes}"] \
        + gas[f"settle_r{args.nodes}"]
    print(json.dumps({
        "nodes": args.nodes, "gas": gas, "lifecycle_gas_eth": lifecycle_gas,
        "seconds": {k: round(v, 3) for k, v in rec.seconds.items()},
        "chain_to_training_time_ratio": round(chain_s / train_s, 3) if train_s else None,
    }))


if __name__ == "__main__":
    main()
