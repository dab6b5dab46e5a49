"""The dry run: a few real training steps of a spec on this machine, extrapolated to the whole task.

Gives the requester the figures to budget with before any money is escrowed: compute units (what
nodes are paid for), parameters, an estimate of memory, and seconds per step measured here.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from nnc.runtimes import RUNTIMES
from nnc.task import DATASET_SHAPES, TEXT_VOCAB, CausalLMSpec, ModelSpec, TaskSpec, compute_units, model_macs
from nnc.task.cost import LM_TARGET_SHAPES
from nnc.task.dryrun import time_steps

DRY_RUN_STEPS: Final = 10
MAX_DRY_RUN_MACS: Final = 2 * 10**9
"""Largest forward pass (multiply-accumulates per step: model MACs x batch) the API times itself;
bigger specs get their compute units and sizes but no timing (run the dry run on a node instead)."""
_lock = threading.Lock()  # torch's thread and determinism settings are process-wide


def dry_run(spec: TaskSpec, steps: int = DRY_RUN_STEPS) -> dict[str, Any]:
    """Trains min(steps, spec steps) steps and extrapolates; the model is discarded.

    Specs whose step is over MAX_DRY_RUN_MACS, whose data live elsewhere (`dataset.uri`: the
    server does not download datasets to estimate) or whose framework this server lacks are not
    trained here: the figures that need no training come back with `steps_measured` 0 and no
    timing (and no parameter count where that needs the framework to build the model).
    """
    macs = model_macs(spec)
    if (macs * spec.training.batch_size > MAX_DRY_RUN_MACS or spec.dataset.uri is not None
            or not RUNTIMES[spec.framework].installed()):
        parameters = _parameter_count(spec)
        return {"compute_units": compute_units(spec), "model_macs": macs, "parameters": parameters,
                "memory_bytes": None if parameters is None else parameters * 4 * _state_copies(spec),
                "steps_measured": 0, "seconds_per_step": None, "estimated_seconds": None, "loss_after": None}
    with _lock:
        timing = time_steps(spec, steps)
    return {"compute_units": compute_units(spec), "model_macs": macs, "parameters": timing.parameters,
            "memory_bytes": timing.parameters * 4 * _state_copies(spec), "steps_measured": timing.steps,
            "seconds_per_step": timing.seconds_per_step,
            "estimated_seconds": timing.seconds_per_step * spec.training.steps,
            "loss_after": timing.loss_after if timing.loss_after == timing.loss_after else None}


def _state_copies(spec: TaskSpec) -> int:
    return 4 if spec.training.optimizer == "adam" else 2  # weights, gradients (+ two Adam moments)


def _parameter_count(spec: TaskSpec) -> int | None:
    """Trained weights and biases of the model the runtime would build, without building it
    (None for a UNet: its size depends on the framework's block layout)."""
    model = spec.model
    if isinstance(model, CausalLMSpec):
        w = model.width
        if model.lora is not None:  # only the adapters train
            return model.layers * sum(model.lora.rank * (a + b) * w for t in model.lora.targets
                                      for a, b in LM_TARGET_SHAPES[t])
        return model.layers * (12 * w * w + 13 * w) + TEXT_VOCAB * w + model.context * w + 2 * w
    if not isinstance(model, ModelSpec):
        return None
    shape = DATASET_SHAPES[spec.dataset.name]
    inputs, classes = shape.n_inputs, shape.n_classes
    if model.kind == "mlp":
        widths = [inputs, *model.hidden, classes]
        return sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    c_in, height, width = shape.input_shape
    count = 0
    for c_out in model.channels:
        count += c_in * c_out * 9 + c_out
        c_in = c_out
    return count + c_in * height * width * classes + classes
