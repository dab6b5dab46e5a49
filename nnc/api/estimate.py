"""The dry run: a few real training steps of a spec on this machine, extrapolated to the whole task.

Gives the requester the figures to budget with before any money is escrowed: compute units (what
nodes are paid for), parameters, an estimate of memory, and seconds per step measured here.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from nnc.task import DATASET_SHAPES, TaskSpec, compute_units, model_macs
from nnc.task.dryrun import time_steps

DRY_RUN_STEPS: Final = 10
MAX_DRY_RUN_MACS: Final = 2 * 10**9
"""Largest forward pass (multiply-accumulates per step: model MACs x batch) the API times itself;
bigger specs get their compute units and sizes but no timing (run the dry run on a node instead)."""
_lock = threading.Lock()  # torch's thread and determinism settings are process-wide


def dry_run(spec: TaskSpec, steps: int = DRY_RUN_STEPS) -> dict[str, Any]:
    """Trains min(steps, spec steps) steps and extrapolates; the model is discarded.

    Specs whose step is over MAX_DRY_RUN_MACS, or whose data live elsewhere (`dataset.uri`: the
    server does not download datasets to estimate), are not trained here: the figures that need no
    training come back with `steps_measured` 0 and no timing.
    """
    shape = DATASET_SHAPES[spec.dataset.name]
    macs = model_macs(spec)
    if macs * spec.training.batch_size > MAX_DRY_RUN_MACS or spec.dataset.uri is not None:
        parameters = _parameter_count(spec, shape.n_inputs, shape.n_classes)
        return {"compute_units": compute_units(spec), "model_macs": macs, "parameters": parameters,
                "memory_bytes": parameters * 4 * _state_copies(spec), "steps_measured": 0,
                "seconds_per_step": None, "estimated_seconds": None, "loss_after": None}
    with _lock:
        timing = time_steps(spec, steps)
    return {"compute_units": compute_units(spec), "model_macs": macs, "parameters": timing.parameters,
            "memory_bytes": timing.parameters * 4 * _state_copies(spec), "steps_measured": timing.steps,
            "seconds_per_step": timing.seconds_per_step,
            "estimated_seconds": timing.seconds_per_step * spec.training.steps,
            "loss_after": timing.loss_after if timing.loss_after == timing.loss_after else None}


def _state_copies(spec: TaskSpec) -> int:
    return 4 if spec.training.optimizer == "adam" else 2  # weights, gradients (+ two Adam moments)


def _parameter_count(spec: TaskSpec, inputs: int, classes: int) -> int:
    """Weights and biases of the model `build_model` would build, without building it."""
    if spec.model.kind == "mlp":
        widths = [inputs, *spec.model.hidden, classes]
        return sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    c_in, height, width = DATASET_SHAPES[spec.dataset.name].input_shape
    count = 0
    for c_out in spec.model.channels:
        count += c_in * c_out * 9 + c_out
        c_in = c_out
    return count + c_in * height * width * classes + classes
