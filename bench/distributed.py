"""Distributed training (issue 16): DiLoCo rounds by k node processes on this machine.

For k = 1, 2 and 4 node processes (`nnc.distributed.run_local`: spawned processes exchanging
deltas and start weights through a `LocalStore`, the coordinator computing the outer step), a
digits CNN is trained on a fixed number of samples, `SAMPLES` = k × H × R × batch for every k
(so R = SAMPLES / (k·H·batch) rounds), with H inner Adam steps per round (lr 3e-3, `--lr`; each
node's Adam state carried across its rounds, `nnc.distributed.rounds`, and stored with its delta
every round) and the outer optimizer `sgd` with lr 1 and no momentum: the deltas' mean applied
as it is (model averaging). DiLoCo's Nesterov (lr 0.7, momentum 0.9) is tuned for thousands of
rounds; over the 3 to 12 rounds here it overshoots (BENCHMARKS.md has the figures of the inner
learning rates and outer settings tried).

- `round_overhead_fraction`: the largest, over k and rounds, of `1 − (slowest node's inner-loop
  seconds) / (round wall seconds)`: the share of a round spent outside training (fetching the
  start weights, building the model, serialising and storing the delta, waiting, the outer step).
  Goal at most 0.10 at H = 100. `by_nodes[k].overhead_median` gives the typical round, split into
  `node_side_median` (the slowest node's turn outside its inner loop) and
  `coordinator_side_median` (messages, scheduling, the outer step). On a shared machine the
  maximum is mostly scheduling jitter.
- `loss_ratio_vs_single_node`: the largest, over k, of the eval loss (cross-entropy on the eval
  split) of the rounds' final weights over that of plain single-node training of the same
  samples (SAMPLES / batch steps of the same Adam, same lr and batch, one process). Goal at most 1.05.
- `delta_bytes`, `state_bytes`: one node's delta and end inner state as stored (`tensor_bytes`,
  float32 safetensors; Adam's state is two moments per weight and a step counter per tensor).
- `train_step_seconds`: one inner step's seconds (the last k's median round, slowest node), the
  compute side of the on-paper exchange figures; `inner_lr`: the inner Adam lr.
- `k64_exchange_seconds_100mbit` / `_1gbit`: on paper, one round's exchange for 64 nodes when each
  node uploads its delta and its state (the state is read by verifiers only) and downloads the 63
  others' deltas (every node computes the outer step itself): (64 × `delta_bytes` +
  `state_bytes`) × 8 / link bits per second, the download dominating.

    .venv/bin/python bench/distributed.py [--quick]

`--quick` (run by tests/bench): a tiny model, H = 5, k = 1 and 2 only; the figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from nnc.distributed import DilocoPlan, run_local
from nnc.runtimes import builtin_program
from nnc.task import TaskSpec, parse_spec
from nnc.task.parallel_spec import OuterSpec
from nnc.training.data import SplitData
from nnc.training.trainer import deterministic_torch, replay_program

NODES = (1, 2, 4)
QUICK_NODES = (1, 2)
OUTER = OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0)
LINKS_BITS_PER_S = {"100mbit": 100e6, "1gbit": 1e9}
INNER_LR = 0.003


def make_spec(channels: list[int], steps: int, batch: int, nodes: int, inner: int, lr: float = INNER_LR) -> TaskSpec:
    """The digits CNN trained `steps` steps per node; with `parallel` for k ≥ 2 (a spec allows 2..64)."""
    document: dict[str, Any] = {
        "version": 1, "name": f"bench-diloco-k{nodes}", "framework": "torch",
        "model": {"kind": "cnn", "channels": channels},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 11, "steps": steps, "batch_size": batch, "learning_rate": lr, "optimizer": "adam",
                     "checkpoint_interval": steps},
        "acceptance": {"metric": "accuracy", "threshold": 0.5},
        "determinism": {"threads": 1, "digest_decimals": 6},
    }
    if nodes > 1:
        document["parallel"] = {"nodes": nodes, "inner_steps": inner, "rounds": steps // inner,
                                "outer": OUTER.model_dump()}
    return parse_spec(document)


def eval_loss(spec: TaskSpec, weights: dict[str, torch.Tensor], data: SplitData) -> float:
    """Cross-entropy of `weights` on the eval split."""
    program = builtin_program(spec)
    with deterministic_torch(spec.determinism.threads), torch.no_grad():
        model = program.build()
        program.load_weights(model, weights)
        model.eval()
        return float(torch.nn.functional.cross_entropy(model(data.eval_x), data.eval_y).item())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the figures mean nothing)")
    parser.add_argument("--lr", type=float, default=INNER_LR, help="the inner (and single node's) Adam lr")
    args = parser.parse_args()
    channels, inner, batch, rounds_at_most = ([4], 5, 16, 2) if args.quick else ([32, 64], 100, 32, 3)
    all_nodes = QUICK_NODES if args.quick else NODES
    samples = max(all_nodes) * inner * batch * rounds_at_most

    plain_spec = make_spec(channels, samples // batch, batch, 1, inner, args.lr)
    program = builtin_program(plain_spec)
    data = program.load_data(None)
    assert isinstance(data, SplitData)
    started = time.perf_counter()
    plain = replay_program(plain_spec, program, None, samples // batch, data)
    plain_seconds = time.perf_counter() - started
    single_loss = eval_loss(plain_spec, plain, data)
    print(f"plain single node: {samples // batch} steps of {batch} in {plain_seconds:.1f}s, eval loss "
          f"{single_loss:.4f}", flush=True)

    by_nodes: dict[str, dict[str, Any]] = {}
    delta_bytes = state_bytes = 0
    train_step_seconds = 0.0
    for nodes in all_nodes:
        rounds = samples // (nodes * inner * batch)
        spec = make_spec(channels, inner * rounds, batch, nodes, inner, args.lr)
        plan = DilocoPlan(nodes, inner, rounds, OUTER)
        with tempfile.TemporaryDirectory(prefix="nnc-bench-diloco-") as tmp:
            started = time.perf_counter()
            run = run_local(spec, Path(tmp) / "store", plan=plan)
            seconds = time.perf_counter() - started
        overheads = [t.overhead_fraction for t in run.timings]
        loss = eval_loss(spec, run.result.weights, data)
        delta_bytes, state_bytes = run.delta_bytes, run.state_bytes
        train_step_seconds = statistics.median(max(t.train_seconds) for t in run.timings) / inner
        by_nodes[str(nodes)] = {
            "rounds": rounds, "seconds": round(seconds, 2),
            "round_seconds_median": round(statistics.median(t.wall_seconds for t in run.timings), 4),
            "overhead_max": round(max(overheads), 4), "overhead_median": round(statistics.median(overheads), 4),
            # where the median round's overhead went: the slowest node's own turn outside its inner loop
            # (fetch, build, serialise, store), and the rest (messages, scheduling, the outer step)
            "node_side_median": round(statistics.median((max(t.node_seconds) - max(t.train_seconds)) / t.wall_seconds
                                                        for t in run.timings), 4),
            "coordinator_side_median": round(statistics.median(1 - max(t.node_seconds) / t.wall_seconds
                                                               for t in run.timings), 4),
            "eval_loss": round(loss, 4), "loss_ratio": round(loss / single_loss, 4),
        }
        print(f"k={nodes}: {rounds} rounds of H={inner}, overhead max {max(overheads):.3f} median "
              f"{statistics.median(overheads):.3f}, eval loss {loss:.4f} ({loss / single_loss:.3f} of single)",
              flush=True)

    result = {
        "nodes": list(all_nodes), "inner_steps": inner, "batch_size": batch, "samples": samples, "inner_lr": args.lr,
        "single_node_eval_loss": round(single_loss, 4), "by_nodes": by_nodes,
        "round_overhead_fraction": max(v["overhead_max"] for v in by_nodes.values()),
        "loss_ratio_vs_single_node": max(v["loss_ratio"] for v in by_nodes.values()),
        "delta_bytes": delta_bytes, "state_bytes": state_bytes,
        "train_step_seconds": round(train_step_seconds, 5),
        **{f"k64_exchange_seconds_{link}": round((64 * delta_bytes + state_bytes) * 8 / bits, 3)
           for link, bits in LINKS_BITS_PER_S.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
