"""DDP inside one node (issue 16, item 4): one node's DiLoCo rounds trained by W = 1 and W = 2 processes.

One node of a parallel task (the digits CNN of `bench/distributed.py`, batch 32, H = 100 inner
Adam steps a round, R = 3 rounds, the inner state carried) trains its rounds:
- at W = 1, in process (`inner_round`, as every node without `parallel.processes` does);
- at W = 2, by a `RankGroup` kept open for the R rounds (gloo, each rank half of every batch);
- at W = 2, by `inner_round` itself, which spawns a group for the round (round 0, once).

Figures (seconds are medians over the rounds):
- `ddp_round_seconds`: `{"1": …, "2": …, "2_spawned": …}`, a round's wall seconds as the caller
  sees it; `ddp_train_seconds` the same for the inner loop alone (rank 0's).
- `ddp_spawn_seconds`: what starting a group of 2 ranks costs (spawn, imports, rendezvous, DDP's
  first set-up), paid once per round by `inner_round` at W > 1, once per group by a kept group.
- `ddp_overhead_fraction_kept` / `ddp_overhead_fraction_spawned`: `1 − train / round` at W = 2.
- `ddp_bitwise_repeat`: whether the spawned round 0 equals the kept group's round 0 bitwise
  (delta and state): two runs at one W.
- `ddp_max_abs_diff_vs_single_process`: the largest elementwise difference between round 0's
  delta at W = 2 and at W = 1 (the order of float additions differs).

    .venv/bin/python bench/node_ddp.py [--quick]

`--quick` (run by tests/bench): a tiny CNN, H = 5, batch 8, 2 rounds; the figures mean nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

from nnc.distributed import InnerRound, initial_weights, inner_round, plan_of, shard_indices, tensor_digest
from nnc.distributed.node_ddp import RankGroup
from nnc.runtimes import builtin_program
from nnc.task import TaskSpec, parse_spec
from nnc.training.data import SplitData

NODES, NODE, PROCESSES = 2, 0, 2


def make_spec(channels: list[int], inner: int, rounds: int, batch: int) -> TaskSpec:
    return parse_spec({
        "version": 1, "name": "bench-node-ddp", "framework": "torch",
        "model": {"kind": "cnn", "channels": channels},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 11, "steps": inner * rounds, "batch_size": batch, "learning_rate": 0.001,
                     "optimizer": "adam", "checkpoint_interval": inner * rounds},
        "acceptance": {"metric": "accuracy", "threshold": 0.5},
        "determinism": {"threads": 1, "digest_decimals": 6},
        "parallel": {"nodes": NODES, "inner_steps": inner, "rounds": rounds, "processes": PROCESSES,
                     "outer": {"optimizer": "sgd", "lr": 1.0, "momentum": 0.0}},
    })


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the figures mean nothing)")
    args = parser.parse_args()
    channels, inner, rounds, batch = ([4], 5, 2, 8) if args.quick else ([32, 64], 100, 3, 32)
    spec = make_spec(channels, inner, rounds, batch)
    program = builtin_program(spec)
    data = program.load_data(None)
    assert isinstance(data, SplitData)
    plan = plan_of(spec)
    shard = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)[NODE]
    start = initial_weights(spec, program)  # every round from the same start: the outer step is not timed here

    alone: list[InnerRound] = []
    single = dataclasses.replace(plan, processes=1)
    inner_round(spec, program, start, shard, NODE, 0, plan=dataclasses.replace(single, inner_steps=1), data=data)
    for round_index in range(rounds):  # warmed up above, as a daemon is
        previous = alone[-1].state if alone else None
        alone.append(inner_round(spec, program, start, shard, NODE, round_index, previous_state=previous,
                                 plan=single, data=data))
    print(f"W=1: rounds {[round(r.seconds, 3) for r in alone]}s", flush=True)

    kept: list[InnerRound] = []
    with RankGroup(spec, program, data, shard, NODE, plan=plan, processes=PROCESSES) as group:
        for round_index in range(rounds):
            previous = kept[-1].state if kept else None
            kept.append(group.round(start, round_index, previous_state=previous))
    print(f"W=2 kept group: started in {group.timing.start_seconds:.2f}s, rounds "
          f"{[round(r.seconds, 3) for r in kept]}s", flush=True)

    started = time.perf_counter()
    spawned = inner_round(spec, program, start, shard, NODE, 0, plan=plan, data=data)
    spawned_seconds = time.perf_counter() - started
    print(f"W=2 spawned for one round: {spawned_seconds:.2f}s", flush=True)

    round_kept, train_kept = median([r.seconds for r in kept]), median([r.train_seconds for r in kept])
    difference = max(float((kept[0].delta[name] - alone[0].delta[name]).abs().max()) for name in alone[0].delta)
    print(json.dumps({
        "inner_steps": inner, "batch_size": batch, "rounds": rounds,
        "ddp_round_seconds": {"1": median([r.seconds for r in alone]), "2": round_kept,
                              "2_spawned": round(spawned_seconds, 4)},
        "ddp_train_seconds": {"1": median([r.train_seconds for r in alone]), "2": train_kept,
                              "2_spawned": round(spawned.train_seconds, 4)},
        "ddp_spawn_seconds": round(group.timing.start_seconds, 4),
        "ddp_overhead_fraction_kept": round(1 - train_kept / round_kept, 4),
        "ddp_overhead_fraction_spawned": round(1 - spawned.train_seconds / spawned_seconds, 4),
        "ddp_bitwise_repeat": (tensor_digest(spawned.delta) == tensor_digest(kept[0].delta)
                               and tensor_digest(spawned.state) == tensor_digest(kept[0].state)),
        "ddp_max_abs_diff_vs_single_process": difference,
    }))


if __name__ == "__main__":
    main()
