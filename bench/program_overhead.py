"""What running a requester's program as a node does costs, over a plain loop of the same program.

The example program (`examples/programs/resnet_cnn`, on its toy image folder) is trained two
ways, interleaved over rounds; the ratio is taken within a round and the median reported:
- plain: the program imported in this process and trained by a bare PyTorch loop (seeded, the
  same batches and optimizer; no checkpoints, no sandbox);
- worker: the worker's path, `run_training` in the sandbox (a fresh interpreter, the package
  read-only, bubblewrap's isolation), with checkpoints, the hash chain and the final digest.

The last line is one JSON object with `program_overhead_ratio` (worker / plain; the goal is at
most 1.05 on a task long enough that the sandbox's start, about 2 s, is amortised) and the
seconds of each path.

    .venv/bin/python bench/program_overhead.py [--steps 3000] [--rounds 3] [--quick]

`--quick` (for tests): 20 steps, 1 round; its ratio means nothing, the path is what runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from nnc.paths import REPO_ROOT
from nnc.runtimes.user_program import load_program
from nnc.sandbox import SandboxLimits
from nnc.task import TaskSpec, load_spec
from nnc.training.data import BatchSampler
from nnc.training.program_package import ProgramFiles, package_digest
from nnc.training.trainer import deterministic_torch, make_optimizer
from nnc.worker.sandboxed_training import run_training

EXAMPLE = REPO_ROOT / "examples" / "programs" / "resnet_cnn"
WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def bench_spec(steps: int) -> TaskSpec:
    spec = load_spec(REPO_ROOT / "examples" / "program-resnet-cnn.json")
    training = spec.training.model_copy(update={"steps": steps, "checkpoint_interval": max(1, steps // 10)})
    return spec.model_copy(update={"training": training})


def image_folder(dest: Path) -> Path:
    sys.path.insert(0, str(EXAMPLE))
    try:
        from make_dataset import write_image_folder
    finally:
        sys.path.remove(str(EXAMPLE))
    return write_image_folder(dest, per_class=40)  # type: ignore[no-any-return]


def plain_loop(spec: TaskSpec, package: Path, dataset: Path) -> float:
    """Seconds of the bare loop: load, build, train every step, score."""
    started = time.perf_counter()
    program = load_program(spec, package)
    data = program.load_data(dataset)
    with deterministic_torch(spec.determinism.threads):
        torch.manual_seed(spec.training.seed)
        model = program.build()
        optimizer = make_optimizer(spec, program.trainable(model))
        sampler = BatchSampler(data.n_train, spec.training.batch_size, spec.training.seed)
        for step in range(1, spec.training.steps + 1):
            optimizer.zero_grad(set_to_none=True)
            loss = program.loss(model, data, sampler.indices(step), step)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        program.metric(model, data)
    return time.perf_counter() - started


def measure_program_overhead(quick: bool, steps: int = 3000, rounds: int = 3) -> dict[str, Any]:
    """Trains the example program both ways (see the module's notes); `quick`: 20 steps, 1 round."""
    steps, rounds = (20, 1) if quick else (steps, rounds)
    spec = bench_spec(steps)
    ratios, plain_seconds, worker_seconds = [], [], []
    with tempfile.TemporaryDirectory(prefix="nnc-bench-program-") as tmp:
        package = Path(tmp) / "package"
        shutil.copytree(EXAMPLE, package, ignore=shutil.ignore_patterns("__pycache__"))
        assert spec.program is not None and package_digest(package) == spec.program.digest
        dataset = image_folder(Path(tmp) / "images")
        limits = SandboxLimits(memory_mb=4096, seconds=3600)
        for index in range(rounds):
            plain = plain_loop(spec, package, dataset)
            started = time.perf_counter()
            run_training(spec, Path(tmp) / f"work-{index}", limits, node=WORKER, dataset_file=dataset,
                         files=ProgramFiles(package))
            worker = time.perf_counter() - started
            plain_seconds.append(plain)
            worker_seconds.append(worker)
            ratios.append(worker / plain)
    return {"program_overhead_ratio": statistics.median(ratios),
            "program_plain_seconds": statistics.median(plain_seconds),
            "program_worker_seconds": statistics.median(worker_seconds),
            "program_steps": steps, "program_rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = measure_program_overhead(args.quick, args.steps, args.rounds)
    print(f"plain loop {result['program_plain_seconds']:.2f} s, worker path {result['program_worker_seconds']:.2f} s "
          f"({result['program_steps']} steps, median of {result['program_rounds']})", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
