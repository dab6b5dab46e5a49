"""Torch's own count of one optimisation step of a built-in program (forward and backward, every
op FlopCounterMode knows), what the runtimes' pricing tests hold their compute units against."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from nnc.task import TaskSpec
from nnc.training import deterministic_torch
from nnc.training.program import Program


def one_step(spec: TaskSpec) -> TaskSpec:
    """`spec` cut to one step (and one checkpoint)."""
    return spec.model_copy(update={"training": spec.schedule.model_copy(update={"steps": 1,
                                                                                "checkpoint_interval": 1})})


def counted_step_flops(program: Program, spec: TaskSpec) -> int:
    """FLOPs torch counts in `program`'s first training step of `spec`'s batch size."""
    data = program.load_data(None)
    with deterministic_torch(1):
        torch.manual_seed(0)
        model = program.build()
        batch = torch.arange(spec.schedule.batch_size)
        with FlopCounterMode(display=False) as counter:
            program.loss(model, data, batch, 1).backward()  # type: ignore[no-untyped-call]
    return int(counter.get_total_flops())
