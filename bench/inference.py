"""Inference tasks: what the worker adds to a plain forward loop, what a spot-check costs, and how
surely it catches made-up outputs.

One spec (an MLP [1024, 1024] over tiled digits, `--inputs` inputs in `--shards` shards) is run,
interleaved over `--rounds` rounds, four ways; each ratio is taken within a round and the median
reported:
- plain: a bare batched `torch.no_grad()` forward loop of the same module over the same inputs
  (built and loaded before the clock starts);
- worker: as the worker runs the task by default: in the standby sandbox it started when it
  applied (`start_standby`, warm before the clock starts), which loads the weights and inputs,
  runs every shard, writes and digests the outputs;
- cold: the same in a sandbox started for the job (process start and torch's import included);
- in process: `nnc.inference.run_inference`, without the sandbox.
Then the drawn verifier's check of the worker's outputs (`verify_outputs`: read and digest the
whole outputs file, re-run `--checked` shards) is timed.

Detection: a node that makes up `--fabricated` of the shards (never the last, which every check
re-runs) is caught unless the draw misses all of them: the analytic probability
(`detection_probability`) and a simulation of the real draw (`choose_segments` with random seeds)
over `--trials` trials; and `--real-trials` real spot-checks of a forged outputs file.

The last line is one JSON object: `inference_overhead_ratio` (worker / plain; goal ≤ 1.05),
`inference_overhead_ratio_cold`, `inference_overhead_ratio_in_process`,
`inference_verification_cost_fraction` (verifier / worker; goal ≤ 0.10),
`detection_fabricated_outputs` (simulated; goal ≥ 0.99), `detection_fabricated_outputs_analytic`,
`detection_real_trials`, and the sizes and seconds.

    .venv/bin/python bench/inference.py [--inputs 200000] [--shards 1000] [--checked 45] [--rounds 3]
                                        [--quick]

`--quick` (run by tests/bench): a few thousand inputs, 1 round; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from nnc.inference import outputs_digest, read_outputs, run_inference, shard_digest, write_outputs
from nnc.inference.sandboxed import run_sandboxed, start_standby
from nnc.runtimes.sandboxed import program_limits
from nnc.sandbox import SandboxLimits
from nnc.storage import sha256_file
from nnc.task import DATASET_SHAPES, DatasetSpec, ModelSpec, TaskSpec, parse_spec
from nnc.training.data import export_dataset
from nnc.training.models import build_model
from nnc.training.program_package import ProgramFiles
from nnc.verification.inference import detection_probability, verify_outputs
from nnc.verification.segments import choose_segments

HIDDEN = [1024, 1024]
BATCH = 200


def bench_spec(weights: Path, dataset: Path, inputs: int, shards: int) -> TaskSpec:
    shard_size = -(-inputs // shards)
    return parse_spec({
        "version": 1, "name": "inference bench", "framework": "torch",
        "model": {"kind": "mlp", "hidden": HIDDEN, "channels": []},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2, "uri": f"local://sha256/{sha256_file(dataset)}"},
        "init": {"uri": f"local://sha256/{sha256_file(weights)}", "format": "safetensors",
                 "digest": sha256_file(weights)},
        "inference": {"inputs": inputs, "batch_size": min(BATCH, shard_size), "shard_size": shard_size,
                      "decimals": 4, "outputs": "logits"},
        "determinism": {"threads": 1, "digest_decimals": 6}})


def write_files(root: Path, inputs: int) -> tuple[Path, Path, torch.nn.Module]:
    torch.manual_seed(1)
    module = build_model(ModelSpec(kind="mlp", hidden=HIDDEN, channels=[]), DATASET_SHAPES["sklearn-digits"])
    weights = root / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(weights))
    digits_spec = DatasetSpec(name="sklearn-digits", eval_fraction=0.2)  # the bundled digits, tiled to `inputs`
    with np.load(export_dataset(digits_spec, root / "digits.npz")) as archive:
        digits, labels = archive["inputs"], archive["labels"]
    reps = -(-inputs // len(digits))
    dataset = root / "inputs.npz"
    with dataset.open("wb") as fh:
        np.savez(fh, inputs=np.tile(digits, (reps, 1))[:inputs], labels=np.tile(labels, reps)[:inputs])
    return weights, dataset, module


def plain_loop(module: torch.nn.Module, inputs: torch.Tensor) -> None:
    torch.set_num_threads(1)
    with torch.no_grad():
        for first in range(0, len(inputs), BATCH):
            module(inputs[first:first + BATCH]).numpy()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def simulate(shards: int, fabricated: int, checked: int, trials: int, rng: random.Random) -> float:
    caught = 0
    for _ in range(trials):
        made_up = set(rng.sample(range(shards - 1), fabricated))
        caught += bool(made_up & set(choose_segments(rng.getrandbits(256), shards, checked)))
    return caught / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=200_000)
    parser.add_argument("--shards", type=int, default=1000)
    parser.add_argument("--checked", type=int, default=45, help="shards a spot-check re-runs")
    parser.add_argument("--fabricated", type=float, default=0.10, help="fraction of shards a cheat makes up")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--real-trials", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run for tests")
    args = parser.parse_args()
    if args.quick:
        args.inputs, args.shards, args.checked, args.rounds, args.trials, args.real_trials = 4000, 40, 12, 1, 200, 1
    limits = SandboxLimits(memory_mb=4096, seconds=3600)
    times: dict[str, list[float]] = {"plain": [], "worker": [], "cold": [], "in_process": [], "verifier": []}
    fabricated = max(1, round(args.fabricated * args.shards))
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="nnc-bench-inference-") as tmp:
        root = Path(tmp)
        weights, dataset, module = write_files(root, args.inputs)
        spec = bench_spec(weights, dataset, args.inputs, args.shards)
        assert spec.inference is not None
        files = ProgramFiles(init=weights)
        with np.load(dataset) as archive:
            inputs = torch.from_numpy(archive["inputs"].reshape(args.inputs, -1))
        module.eval()
        plain_loop(module, inputs[:20 * BATCH])  # warm-up: allocator, kernels
        warm_up = bench_spec(weights, dataset, args.inputs, args.shards)
        run_inference(warm_up, root / "warm-up", dataset_file=dataset, files=files)  # imports, first calls
        result = None
        for round_ in range(args.rounds):
            times["plain"].append(timed(lambda: plain_loop(module, inputs)))
            workdir = root / f"worker-{round_}"
            warm = start_standby(workdir, program_limits(limits, files, dataset))
            warm.wait_for("ready")  # started when the worker applied: warm by the time the task is assigned
            started = time.perf_counter()
            result = run_sandboxed(spec, workdir, limits, dataset_file=dataset, files=files, warm=warm)
            times["worker"].append(time.perf_counter() - started)
            assert warm.process.returncode == 0, "the standby child did not run the job"
            times["cold"].append(timed(lambda: run_sandboxed(  # noqa: B023
                spec, root / f"cold-{round_}", limits, dataset_file=dataset, files=files)))  # noqa: B023
            times["in_process"].append(timed(lambda: run_inference(  # noqa: B023
                spec, root / f"local-{round_}", dataset_file=dataset, files=files)))  # noqa: B023
            seed = rng.getrandbits(256)
            started = time.perf_counter()
            report = verify_outputs(spec, result.outputs_path, result.result_digest, seed=seed, shards=args.checked,
                                    tolerance=1e-4, dataset_file=dataset, files=files, limits=limits)
            times["verifier"].append(time.perf_counter() - started)
            assert report.passed, report.reason
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        assert result is not None
        real_caught = 0
        honest = read_outputs(result.outputs_path, spec.inference)
        for trial in range(args.real_trials):  # real checks of a forged file, each with its own draw
            shards = list(honest)
            for shard in rng.sample(range(args.shards - 1), fabricated):
                shards[shard] = np.random.default_rng(shard).normal(size=shards[shard].shape).astype(np.float32)
            forged = write_outputs(root / f"forged-{trial}.npz", shards)
            digest = outputs_digest(spec, [shard_digest(s, spec.inference.decimals) for s in shards])
            report = verify_outputs(spec, forged, digest, seed=rng.getrandbits(256), shards=args.checked,
                                    tolerance=1e-4, dataset_file=dataset, files=files)
            real_caught += not report.passed

    def paired(path: str, over: str) -> float:  # median over rounds of path / over in the same round
        return statistics.median(t / p for t, p in zip(times[path], times[over], strict=True))

    analytic = detection_probability(args.shards, fabricated, args.checked)
    simulated = simulate(args.shards, fabricated, args.checked, args.trials, rng)
    medians = {k: round(statistics.median(v), 3) for k, v in times.items()}
    print(f"{args.inputs} inputs, MLP {HIDDEN}, {args.shards} shards, batch {BATCH}: " +
          ", ".join(f"{k} {v:.2f} s" for k, v in medians.items()) +
          f"; {args.checked} shards checked catch {fabricated} made-up shard(s) with p = {analytic:.4f} "
          f"(simulated {simulated:.4f})")
    print(json.dumps({
        "inputs": args.inputs, "shards": args.shards, "checked_shards": args.checked,
        "fabricated_shards": fabricated, "seconds": medians,
        "inference_overhead_ratio": round(paired("worker", "plain"), 4),
        "inference_overhead_ratio_cold": round(paired("cold", "plain"), 4),
        "inference_overhead_ratio_in_process": round(paired("in_process", "plain"), 4),
        "inference_verification_cost_fraction": round(paired("verifier", "worker"), 4),
        "detection_fabricated_outputs": round(simulated, 4),
        "detection_fabricated_outputs_analytic": round(analytic, 6),
        "detection_real_trials": f"{real_caught}/{args.real_trials}"}))


if __name__ == "__main__":
    main()
