"""What the worker adds to training: checkpoints, the hash chain, storage and the zk proof.

The same spec is trained four ways in one run, interleaved over several rounds; each path's
ratio to the plain loop is taken within a round and the median over rounds is reported (the
machine's speed drifts between rounds):
- plain: a bare PyTorch loop over the same steps (seed, batches, optimizer; no checkpoints);
- worker: what the worker does in process: `train` (checkpoints every `checkpoint_interval`
  steps, hash chain, final digest), the model stored, the result commitment proven;
- sandboxed: the same with training in the sandbox (a fresh Python process per task), which adds
  a process start and torch import per task;
- standby: in the sandbox as the worker runs it by default: a child started when the node
  applied (before the clock starts here; it has warmed up by the time the task is assigned).

The last line is one JSON object with `worker_overhead_ratio` (worker / plain; the goal is at
most 1.05), `sandboxed_overhead_ratio` and `standby_overhead_ratio`.

    .venv/bin/python bench/worker_overhead.py [--steps 10000] [--rounds 5] [--quick]

`--quick` (run by tests/bench): 20 steps, 1 round; its ratios mean nothing, the path is what runs.

The worker's costs are per task, not per step (about 0.1 s of data loading, checkpoint files and
digests, and 0.35 s for the zk proof), so the ratio depends on the task's length: 10,000 steps
(about 15 s here) is the default; a 3,000-step run shows about 1.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nnc.node.estimate import time_steps
from nnc.paths import REPO_ROOT
from nnc.runtimes.dispatch import train
from nnc.sandbox import SandboxLimits
from nnc.storage import LocalStore
from nnc.task import TaskSpec, load_spec
from nnc.worker.sandboxed_training import run_training, start_standby
from nnc.zk import prove_commitment

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def bench_spec(steps: int) -> TaskSpec:
    spec = load_spec(REPO_ROOT / "examples" / "digits-mlp.json")
    training = spec.training.model_copy(update={"steps": steps, "checkpoint_interval": max(1, steps // 10)})
    return spec.model_copy(update={"training": training,
                                   "model": spec.model.model_copy(update={"hidden": [256, 256]})})


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20 steps, 1 round (a smoke run for tests)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.rounds = 20, 1
    spec = bench_spec(args.steps)
    times: dict[str, list[float]] = {"plain": [], "worker": [], "sandboxed": [], "standby": []}
    with tempfile.TemporaryDirectory(prefix="nnc-bench-worker-") as tmp:
        root = Path(tmp)
        store = LocalStore(root / "store")
        time_steps(spec, 20)  # warm-up: imports, allocator, kernels
        prove_commitment(1, WORKER, b"\x01" * 32)  # starts the long-lived prover

        def as_worker(trainer: Callable[[Path], object], name: str, round_: int) -> None:
            workdir = root / f"{name}-{round_}"
            result = trainer(workdir)
            store.put_file(result.model_path)  # type: ignore[attr-defined]
            prove_commitment(round_ + 1, WORKER, result.result_digest)  # type: ignore[attr-defined]

        limits = SandboxLimits(memory_mb=4096, seconds=3600)
        for round_ in range(args.rounds):
            times["plain"].append(timed(lambda: time_steps(spec, spec.training.steps)))
            times["worker"].append(timed(lambda: as_worker(lambda w: train(spec, w, node=WORKER), "worker", round_)))  # noqa: B023
            times["sandboxed"].append(timed(
                lambda: as_worker(lambda w: run_training(spec, w, limits, node=WORKER), "sandboxed", round_)))  # noqa: B023
            warm = start_standby(spec, root / f"standby-{round_}", limits)
            warm.wait_for("ready")  # applied earlier: warm by the time the task is assigned
            times["standby"].append(timed(
                lambda: as_worker(lambda w: run_training(spec, w, limits, node=WORKER, warm=warm), "standby", round_)))  # noqa: B023
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    medians = {k: statistics.median(v) for k, v in times.items()}

    def paired(path: str) -> float:  # median over rounds of path / plain in the same round: drift cancels
        return statistics.median(t / p for t, p in zip(times[path], times["plain"], strict=True))

    worker_ratio, sandboxed_ratio, standby_ratio = paired("worker"), paired("sandboxed"), paired("standby")
    print(f"{spec.training.steps} steps, MLP [256, 256], checkpoint every {spec.training.checkpoint_interval}: "
          f"plain {medians['plain']:.2f} s, worker {medians['worker']:.2f} s ({worker_ratio:.3f}x), "
          f"sandboxed {medians['sandboxed']:.2f} s ({sandboxed_ratio:.3f}x), "
          f"standby {medians['standby']:.2f} s ({standby_ratio:.3f}x)")
    print(json.dumps({"steps": spec.training.steps, "seconds": {k: round(v, 3) for k, v in medians.items()},
                      "worker_overhead_ratio": round(worker_ratio, 4),
                      "sandboxed_overhead_ratio": round(sandboxed_ratio, 4),
                      "standby_overhead_ratio": round(standby_ratio, 4)}))


if __name__ == "__main__":
    main()
