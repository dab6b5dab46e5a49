"""Each training runtime on its example spec: speed, and what the deterministic training layer
(checkpoints, hash chain, digest, evaluation) adds to the framework's bare training step.

For every installed runtime (and the `rwkv` and `whisper` model kinds of `transformers`, the
`cnn` kind of `jax`, `jax-cnn`, and the `face-embedding` and `conv3d` kinds of `torch`, each its own row), the
example spec under examples/ is cut to `--steps` steps with a checkpoint every quarter, then, in
the same run:
- bare: `time_steps`: the runtime's own optimisation step in a loop (model built, data loaded
  and the first step taken before the clock starts);
- full: `train` in a fresh directory (data, model, checkpoints, chain, final evaluation, model file).
Both are repeated `--rounds` times, interleaved, and the medians compared. The torch digits
example is the baseline that the others' throughput (priced MFLOP per second: the spec's compute
units per step over the seconds per step) is divided by.

The last line is one JSON object: `runtimes`, per name measured `seconds_per_step`,
`train_seconds`, `layer_overhead_ratio` (full / (bare per step x steps)) and
`throughput_vs_torch`; and `max_layer_overhead_ratio`, the largest ratio among the runtimes whose
step takes at least 10 ms (the goal, at most 1.05, is for those; null when none does).

    .venv/bin/python bench/runtimes.py [--steps 100] [--rounds 3] [--quick]

`--quick` (run by tests/bench): 4 steps, 1 round, `torch` and `jax` only (the bench's path and
keys; every runtime's `time_steps` and example are tested in tests/runtimes and tests/unit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from nnc.node.estimate import time_steps
from nnc.paths import REPO_ROOT
from nnc.runtimes import installed_runtimes
from nnc.runtimes.dispatch import train
from nnc.task import TaskSpec, compute_units, load_spec

NODE = "0x" + "be" * 20  # trains as a node would: the chain starts from this address's genesis

SLOW_STEP_S = 0.010
"""The overhead goal (at most 1.05) holds for runtimes whose step takes at least this long; a faster
step's ratio is mostly the layer's fixed cost per step."""

EXAMPLES = {
    "torch": "digits-mlp.json",
    "jax": "digits-mlp-jax.json",
    "transformers": "text-generation-transformers.json",
    "rwkv": "text-generation-rwkv.json",  # a model kind of `transformers`, measured as its own row
    "peft": "text-lora-peft.json",
    "diffusers": "image-generation-lora-diffusers.json",
    "jax-cnn": "digits-cnn-jax.json",  # a model kind of `jax`, measured as its own row
    "tensorflow": "digits-cnn-keras.json",
    "whisper": "speech-digits-whisper.json",  # a model kind of `transformers`, measured as its own row
    "face-embedding": "face-verification-arcface.json",  # a model kind of `torch`, its own row
    "conv3d": "video-actions-conv3d.json",  # a model kind of `torch`, its own row
}
QUICK_RUNTIMES = ("torch", "jax")  # the baseline and one other framework


def cut(spec: TaskSpec, steps: int) -> TaskSpec:
    training = spec.training.model_copy(update={"steps": steps, "checkpoint_interval": max(1, steps // 4)})
    return spec.model_copy(update={"training": training})


def measure(spec: TaskSpec, rounds: int) -> dict[str, float]:
    bare, full = [], []
    time_steps(spec, 2)  # warm-up: imports, compilation, allocator
    for _ in range(rounds):
        bare.append(time_steps(spec, spec.training.steps).seconds_per_step)
        with tempfile.TemporaryDirectory(prefix="nnc-bench-") as tmp:
            started = time.perf_counter()
            train(spec, Path(tmp), node=NODE)
            full.append(time.perf_counter() - started)
    per_step, seconds = statistics.median(bare), statistics.median(full)
    mflops = compute_units(spec) / spec.training.steps / per_step  # priced MFLOP per second
    return {"seconds_per_step": per_step, "train_seconds": seconds,
            "layer_overhead_ratio": seconds / (per_step * spec.training.steps), "priced_mflops": mflops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="4 steps, 1 round, torch and jax (a smoke run for tests)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.rounds = 4, 1
    results: dict[str, dict[str, float]] = {}
    installed = installed_runtimes()
    for name, example in EXAMPLES.items():  # a runtime, or a model kind of one
        if args.quick and name not in QUICK_RUNTIMES:
            continue
        spec = cut(load_spec(REPO_ROOT / "examples" / example), args.steps)
        if spec.framework not in installed:
            continue
        results[name] = measure(spec, args.rounds)
        row = results[name]
        print(f"{name:13s} {row['seconds_per_step'] * 1000:8.2f} ms/step  train {row['train_seconds']:6.2f} s  "
              f"layer x{row['layer_overhead_ratio']:.2f}  {row['priced_mflops']:9.1f} priced MFLOP/s", flush=True)
    baseline = results["torch"]["priced_mflops"]
    for row in results.values():
        row["throughput_vs_torch"] = row["priced_mflops"] / baseline
    slow = [row["layer_overhead_ratio"] for row in results.values() if row["seconds_per_step"] >= SLOW_STEP_S]
    print(json.dumps({"steps": args.steps, "rounds": args.rounds, "runtimes": results,
                      "max_layer_overhead_ratio": max(slow) if slow else None}, sort_keys=True))


if __name__ == "__main__":
    main()
