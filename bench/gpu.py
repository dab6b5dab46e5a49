"""Training on a GPU: the worker's overhead there, and the figures the GPU mode rules rest on.

Measured on the first CUDA device, with the torch runtime on generated data (no download, no
scikit-learn): `examples/digits-mlp.json` on `synthetic-tones` widened to an MLP [1024, 1024],
batch 256, and `examples/audio-tones-cnn.json` for cuDNN convolutions:
- `gpu_overhead_ratio`: the worker's full path on CUDA (`train`: deterministic algorithms forced,
  checkpoints every `checkpoint_interval` steps moved to the CPU and digested, the hash chain,
  the model file) over a plain CUDA loop of the same model (same seed, batches and optimizer,
  torch's default settings, no checkpoints); the median over rounds of the paired ratio (goal at
  most 1.05). Training runs in process here: the sandbox is not timed (`bench/worker_overhead.py`).
  Each round also times the plain loop under the worker's deterministic settings:
  `determinism_cost_ratio` (that loop over the plain one) and `gpu_overhead_ratio_vs_deterministic`
  (the worker over it) split the overhead into determinism and the worker's own path.
- `cpu_cuda_replay_distance`: every checkpoint segment of a CUDA training replayed on the CPU
  from its start checkpoint, the largest relative L2 distance from the CUDA checkpoint (per
  model): what `nnc.task.execution.GPU_MIN_TOLERANCE` must cover.
- `cuda_bitwise_agreement`: two CUDA trainings of each spec give bitwise equal weights (and a
  CUDA replay of each segment lands exactly on the checkpoint): replicate mode on one GPU model.
- `cpu_steps_per_s`, `cuda_steps_per_s`: the dry run's timed steps on each device.
- `cuda_paths`: the worker's other CUDA paths, each true when it holds: `resume_equal` (a
  training resumed on CUDA from a checkpoint ends with the uninterrupted run's digest and chain
  head), `spot_check_passed` (the verifier's procedure, replaying on CUDA, passes a CUDA
  training at tolerance 0), `dry_run_reproducible` (the dry run's determinism check),
  `sandbox_sees_cuda` (a child in the worker's sandbox finds the GPU with `SandboxLimits.gpu`, and
  not without it, under bubblewrap), `sandboxed_train_equal` (the worker's sandboxed training on
  CUDA ends with the in-process CUDA training's digest and chain head).

The last line is one JSON object. Without CUDA only `cuda_available` (false), `reason`, `steps`
and `cpu_steps_per_s` are in it, and the reason is printed.

    .venv/bin/python bench/gpu.py [--quick]    (2000 steps, 7 rounds; quick: 10 steps, 1 round)

`--quick` (run by tests/bench): a few steps, 1 round; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from nnc.node.determinism import check_determinism
from nnc.node.estimate import time_steps
from nnc.paths import REPO_ROOT
from nnc.runtimes import runtime_for
from nnc.runtimes.classifier import ClassifierProgram
from nnc.runtimes.dispatch import train
from nnc.sandbox import SandboxLimits, isolation, run_sandboxed
from nnc.task import ExecutionSpec, TaskSpec, load_spec
from nnc.training import load_checkpoint
from nnc.training.checkpoints import list_checkpoints
from nnc.training.data import BatchSampler
from nnc.training.device import prepare_cuda
from nnc.training.trainer import deterministic_torch
from nnc.verification.procedure import relative_distance, verify_submission
from nnc.worker.sandboxed_training import run_training

WORKER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def on(spec: TaskSpec, device: str) -> TaskSpec:
    """`spec` trained on `device` ("cpu" or "cuda")."""
    return spec.model_copy(update={"execution": None if device == "cpu" else ExecutionSpec(device="cuda")})


def mlp_spec(steps: int) -> TaskSpec:
    spec = load_spec(REPO_ROOT / "examples" / "digits-mlp.json")
    training = spec.training.model_copy(update={"steps": steps, "batch_size": 256,
                                                "checkpoint_interval": max(1, steps // 10)})
    dataset = spec.dataset.model_copy(update={"name": "synthetic-tones"})
    return spec.model_copy(update={"training": training, "dataset": dataset,
                                   "model": spec.model.model_copy(update={"hidden": [1024, 1024]})})


def cnn_spec(steps: int) -> TaskSpec:
    spec = load_spec(REPO_ROOT / "examples" / "audio-tones-cnn.json")
    training = spec.training.model_copy(update={"steps": steps, "checkpoint_interval": max(1, steps // 10)})
    return spec.model_copy(update={"training": training})


def steps_per_s(spec: TaskSpec, steps: int) -> float:
    time_steps(spec, 2)  # warm-up: imports, allocator, kernels
    return 1.0 / time_steps(spec, steps).seconds_per_step


def plain_cuda_loop(spec: TaskSpec) -> None:
    """The same training as `train` on CUDA, written as a user would: torch's defaults, no checkpoints."""
    program = ClassifierProgram(spec)
    data = program.load_data(None)
    x, y = data.train_x.cuda(), data.train_y.cuda()
    torch.manual_seed(spec.training.seed)
    model = program.build().cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=spec.training.learning_rate)
    sampler = BatchSampler(data.n_train, spec.training.batch_size, spec.training.seed)
    for step in range(1, spec.training.steps + 1):
        batch = sampler.indices(step).cuda()
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        loss.item()  # the worker reads every step's loss too
    program.weights(model)


def timed(action: Any) -> float:
    torch.cuda.synchronize()
    started = time.perf_counter()
    action()
    torch.cuda.synchronize()
    return time.perf_counter() - started


def deterministic_plain_loop(spec: TaskSpec) -> None:
    """`plain_cuda_loop` under the settings the worker trains with (deterministic algorithms,
    cuDNN and cuBLAS pinned, TF32 off): what the worker costs beyond determinism itself."""
    with deterministic_torch(spec.determinism.threads, torch.device("cuda")):
        plain_cuda_loop(spec)


def overhead(spec: TaskSpec, rounds: int, root: Path) -> dict[str, float]:
    """The worker's time over the plain loop's and over the deterministic plain loop's: medians
    of the paired ratios over `rounds` interleaved rounds, and the median seconds of each."""
    cuda = on(spec, "cuda")
    plain_cuda_loop(spec)  # warm-up
    deterministic_plain_loop(spec)
    train(cuda, root / "warm-up", node=WORKER)
    plain, pinned, worker = [], [], []
    for round_ in range(rounds):
        plain.append(timed(lambda: plain_cuda_loop(spec)))
        pinned.append(timed(lambda: deterministic_plain_loop(spec)))
        worker.append(timed(lambda: train(cuda, root / f"worker-{round_}", node=WORKER)))  # noqa: B023
        print(f"round {round_ + 1}: plain {plain[-1]:.3f} s, deterministic plain {pinned[-1]:.3f} s, "
              f"worker {worker[-1]:.3f} s", flush=True)
    return {"gpu_overhead_ratio": round(statistics.median(w / p for w, p in zip(worker, plain, strict=True)), 4),
            "gpu_overhead_ratio_vs_deterministic": round(
                statistics.median(w / p for w, p in zip(worker, pinned, strict=True)), 4),
            "determinism_cost_ratio": round(statistics.median(d / p for d, p in zip(pinned, plain, strict=True)), 4),
            "plain_cuda_s": round(statistics.median(plain), 3),
            "deterministic_plain_cuda_s": round(statistics.median(pinned), 3),
            "worker_cuda_s": round(statistics.median(worker), 3)}


def replays(spec: TaskSpec, root: Path) -> dict[str, Any]:
    """Trains `spec` twice on CUDA; replays every segment on CUDA and on the CPU."""
    cuda, cpu = on(spec, "cuda"), on(spec, "cpu")
    first = train(cuda, root / "first", node=WORKER)
    second = train(cuda, root / "second", node=WORKER)
    a = torch.load(first.model_path, weights_only=True)
    b = torch.load(second.model_path, weights_only=True)
    bitwise = first.result_digest == second.result_digest and all(torch.equal(a[k], b[k]) for k in a)
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    states = [load_checkpoint(path) for _, path in list_checkpoints(root / "first")]
    cpu_distances, cuda_distances = [], []
    for start, end in zip([None, *states[:-1]], states, strict=True):
        cuda_distances.append(relative_distance(runtime.replay(cuda, start, end.step, data), end.model))
        cpu_distances.append(relative_distance(runtime.replay(cpu, start, end.step, data), end.model))
    cpu_trained = train(cpu, root / "cpu", node=WORKER)
    return {"cuda_bitwise": bitwise and max(cuda_distances) == 0.0, "cpu_cuda_replay_distance": max(cpu_distances),
            "segments": len(states), "cpu_cuda_digest_equal": cpu_trained.result_digest == first.result_digest}


def sandbox_sees_cuda(root: Path, gpu: bool) -> bool:
    """Whether a child in the worker's sandbox (`SandboxLimits.gpu`) finds a CUDA device."""
    probe = "import json, torch; print(json.dumps({'event': 'cuda', 'available': torch.cuda.is_available()}))"
    events = run_sandboxed([sys.executable, "-c", probe], root / f"probe-{gpu}", SandboxLimits(seconds=120, gpu=gpu))
    return bool(events and events[-1].get("available"))


def cuda_paths(spec: TaskSpec, root: Path) -> dict[str, Any]:
    """Resumption, the spot-check procedure and the dry run's determinism check, on CUDA."""
    cuda = on(spec, "cuda")
    cuda = cuda.model_copy(update={"acceptance": cuda.acceptance.model_copy(update={"threshold": 0.0})})  # short run
    full = train(cuda, root / "run", node=WORKER)
    report = verify_submission(cuda, root / "run", full.model_path, full.result_digest, node=WORKER, seed=7,
                               segments=3, tolerance=0.0)
    interrupted = root / "interrupted"
    train(cuda, interrupted, node=WORKER)
    for step, path in list_checkpoints(interrupted):
        if step > cuda.training.checkpoint_interval:
            path.unlink()
    resumed = train(cuda, interrupted, node=WORKER)
    check = check_determinism(cuda, steps=20)
    sandboxed = run_training(cuda, root / "sandboxed", SandboxLimits(memory_mb=8192, seconds=600, gpu=True),
                             node=WORKER)
    return {"resume_equal": resumed.resumed_from > 0 and (resumed.result_digest, resumed.chain_head)
            == (full.result_digest, full.chain_head), "spot_check_passed": report.passed,
            "sandbox": isolation(), "sandbox_sees_cuda": {"gpu": sandbox_sees_cuda(root, True),
                                                          "cpu_only": sandbox_sees_cuda(root, False)},
            "sandboxed_train_equal": (sandboxed.result_digest, sandboxed.chain_head)
            == (full.result_digest, full.chain_head),
            "dry_run_reproducible": check.reproducible, "dry_run_cpu_cuda_distance": check.cpu_cuda_distance,
            "dry_run_warning": check.warning}


def measure_gpu_overhead(quick: bool) -> dict[str, Any]:
    """The figures of this module's notes (`quick`: a smoke run's sizes)."""
    steps, rounds, replay_steps = (10, 1, 10) if quick else (2000, 7, 500)
    mlp = mlp_spec(steps)
    result: dict[str, Any] = {"steps": steps, "cpu_steps_per_s": round(steps_per_s(mlp, min(steps, 200)), 1)}
    if not torch.cuda.is_available():
        reason = ("torch.cuda.is_available() is false: torch " + torch.__version__ +
                  (" was built without CUDA" if torch.version.cuda is None else
                   f" (CUDA {torch.version.cuda}) finds no CUDA device"))
        print(f"no GPU figures: {reason}", flush=True)
        return {"cuda_available": False, "reason": reason, **result}
    prepare_cuda()
    props = torch.cuda.get_device_properties(0)
    result.update({"cuda_available": True, "device": str(props.name), "capability": f"{props.major}.{props.minor}",
                   "torch": torch.__version__, "cuda": torch.version.cuda,
                   "cuda_steps_per_s": round(steps_per_s(on(mlp, "cuda"), steps), 1)})
    with tempfile.TemporaryDirectory(prefix="nnc-bench-gpu-") as tmp:
        root = Path(tmp)
        result.update(overhead(mlp, rounds, root / "overhead"))
        checks = {"mlp": replays(mlp_spec(replay_steps), root / "mlp"),
                  "cnn": replays(cnn_spec(replay_steps), root / "cnn")}
        result["cuda_paths"] = cuda_paths(cnn_spec(100), root / "paths")
    result["cpu_cuda_replay_distance"] = {name: check["cpu_cuda_replay_distance"] for name, check in checks.items()}
    result["cuda_bitwise_agreement"] = all(check["cuda_bitwise"] for check in checks.values())
    result["cpu_cuda_digest_equal"] = {name: check["cpu_cuda_digest_equal"] for name, check in checks.items()}
    result["replay_steps"] = replay_steps
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps, 1 round (a smoke run for tests)")
    args = parser.parse_args()
    result = measure_gpu_overhead(args.quick)
    if result["cuda_available"]:
        print(f"{result['device']} (capability {result['capability']}): worker {result['worker_cuda_s']} s vs plain "
              f"{result['plain_cuda_s']} s over {result['steps']} steps ({result['gpu_overhead_ratio']}x); "
              f"{result['cuda_steps_per_s']} steps/s on CUDA, {result['cpu_steps_per_s']} on the CPU; CPU replay "
              f"distance {result['cpu_cuda_replay_distance']}; CUDA bitwise {result['cuda_bitwise_agreement']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
