"""How long a checkpoint holds up the training loop: inline, and behind it (`CheckpointWriter`).

The worker checkpoints every `checkpoint_interval` steps: a copy of the weights and optimizer
state, their rounded digest, a hash-chain link and a `torch.save` flushed to disk. Written inline
that was all on the loop (on the H100, ~25 ms per checkpoint: most of `gpu_overhead_ratio`'s
excess, BENCHMARKS.md). Behind the loop only the copy stays on it.

Measured on the CPU with the GPU bench's model (a 1024x1024 MLP, 1.3 M parameters, Adam), with
idle time between checkpoints as training steps would give (more than a write takes):
`checkpoint_inline_ms` (median per checkpoint), `checkpoint_loop_ms` (the loop's share behind it),
and `checkpoint_stall_fraction` = loop / inline (lower is better).

    .venv/bin/python bench/checkpoint_stall.py [--quick]

`--quick` (run by tests/bench): a tiny model, 3 checkpoints; the keys keep their names.
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

from nnc.runtimes.classifier import ClassifierProgram
from nnc.task import TaskSpec
from nnc.training.checkpoint_writer import CheckpointWriter
from nnc.training.trainer import record_checkpoint

NODE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def _model(spec: TaskSpec) -> tuple[ClassifierProgram, torch.nn.Module, torch.optim.Optimizer]:
    program = ClassifierProgram(spec)
    model = program.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=spec.training.learning_rate)
    sample = program.load_data(None).train_x[:4]
    model(sample).sum().backward()
    optimizer.step()  # Adam's state exists, as in a checkpoint mid-training
    return program, model, optimizer


def measure_checkpoint_stall(quick: bool) -> dict[str, Any]:
    from gpu import mlp_spec  # bench/gpu.py: this script's folder is on sys.path

    spec = mlp_spec(100)
    if quick:
        spec = spec.model_copy(update={"model": spec.model.model_copy(update={"hidden": [32]})})
    count = 3 if quick else 12
    program, model, optimizer = _model(spec)
    with tempfile.TemporaryDirectory(prefix="nnc-checkpoint-stall-") as tmp:  # removed afterwards
        root = Path(tmp)
        inline: list[float] = []
        history: list = []  # type: ignore[type-arg]
        for i in range(count):
            started = time.perf_counter()
            history = record_checkpoint(spec, root / "inline", history, i + 1, 0.5, program.weights(model),
                                        optimizer.state_dict(), None, node=NODE)
            inline.append(time.perf_counter() - started)
        gap = 4 * statistics.median(inline)  # the steps between two checkpoints, longer than a write
        loop: list[float] = []
        with CheckpointWriter(spec, root / "behind", [], None, node=NODE) as writer:
            for i in range(count):
                time.sleep(gap)
                started = time.perf_counter()
                writer.submit(i + 1, 0.5, program.weights(model), optimizer.state_dict())
                loop.append(time.perf_counter() - started)
            behind = writer.close()
    if [c.chain_head for c in behind] != [c.chain_head for c in history]:
        raise SystemExit("the writer's chain differs from the inline chain")
    inline_ms, loop_ms = 1000 * statistics.median(inline), 1000 * statistics.median(loop)
    return {"checkpoint_inline_ms": round(inline_ms, 2), "checkpoint_loop_ms": round(loop_ms, 2),
            "checkpoint_stall_fraction": round(loop_ms / inline_ms, 4),
            "checkpoint_parameters": sum(p.numel() for p in model.parameters())}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run for tests)")
    args = parser.parse_args()
    result = measure_checkpoint_stall(args.quick)
    print(f"a checkpoint holds the loop {result['checkpoint_inline_ms']} ms inline, "
          f"{result['checkpoint_loop_ms']} ms behind it", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
