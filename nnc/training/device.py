"""The torch device a spec trains on here, and what keeps training on it deterministic.

`nnc.task.execution.resolve_device` decides (a CPU task on the CPU, `auto` on CUDA where there is
one); this module makes it a `torch.device`, moves data and results across, and pins the CUDA
settings replicas need. Everything that leaves training (checkpoints, the model file, replayed
weights, digests) is on the CPU, so files and digests do not depend on the device.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import torch

from nnc.task import TaskSpec
from nnc.task.execution import resolve_device

logger = logging.getLogger(__name__)

CUBLAS_WORKSPACE_CONFIG: Final = ":4096:8"
"""cuBLAS's deterministic workspace setting (CUDA ≥ 10.2 picks reduction strategies by workspace:
a fixed one makes matmuls reproducible); `:16:8` is the other deterministic value."""
_DETERMINISTIC_WORKSPACES: Final = (":4096:8", ":16:8")

T = TypeVar("T")


def prepare_cuda() -> None:
    """Sets `CUBLAS_WORKSPACE_CONFIG` for deterministic cuBLAS, unless the environment already
    chose a deterministic value. torch fixes the workspace at the process's first cuBLAS call, so
    this runs before any CUDA work (the benchmark, device selection)."""
    current = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    if current not in _DETERMINISTIC_WORKSPACES:
        if current is not None:
            logger.warning("CUBLAS_WORKSPACE_CONFIG=%s is not deterministic: using %s", current,
                           CUBLAS_WORKSPACE_CONFIG)
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE_CONFIG


def training_device(spec: TaskSpec, *, replay: bool = False) -> torch.device:
    """Where this machine trains (`replay=False`) or replays and evaluates (`replay=True`) `spec`;
    see `resolve_device`. Raises `TrainingError` for a `cuda` task trained without CUDA."""
    device = torch.device(resolve_device(spec, torch.cuda.is_available(), replay=replay))
    if device.type == "cuda":
        prepare_cuda()
    return device


@contextmanager
def deterministic_cuda() -> Iterator[None]:
    """cuDNN deterministic and not auto-tuned, TF32 off for matmuls and convolutions (full float32,
    as on the CPU); restored on exit. `torch.use_deterministic_algorithms` is the caller's
    (`trainer.deterministic_torch` sets it for every device)."""
    prepare_cuda()
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    previous = (cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32, matmul.allow_tf32)
    cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32, matmul.allow_tf32 = True, False, False, False
    try:
        yield
    finally:
        cudnn.deterministic, cudnn.benchmark, cudnn.allow_tf32, matmul.allow_tf32 = previous


def to_device(data: T, device: torch.device) -> T:
    """`data` (a dataclass of tensors, as the built-in programs load) with its tensor fields on
    `device`; anything else comes back as it is (a program that loads other data places it)."""
    if device.type == "cpu" or not dataclasses.is_dataclass(data) or isinstance(data, type):
        return data
    moved = {f.name: getattr(data, f.name).to(device) for f in dataclasses.fields(data)
             if f.init and isinstance(getattr(data, f.name), torch.Tensor)}
    return dataclasses.replace(data, **moved) if moved else data


def on_cpu(value: Any, *, copy: bool = False) -> Any:
    """`value` with every tensor in it (nested dicts, lists, tuples) detached and on the CPU: the
    form checkpoints, model files and replayed weights take, whatever trained them. `copy`: CPU
    tensors are copied too (a snapshot that training, going on, cannot change)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=copy)
    if isinstance(value, Mapping):
        return {key: on_cpu(item, copy=copy) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(on_cpu(item, copy=copy) for item in value)
    return value


def cpu_weights(weights: Mapping[str, torch.Tensor], *, copy: bool = False) -> dict[str, torch.Tensor]:
    """`weights` as a name → CPU tensor dict (no copy for tensors already there unless `copy`)."""
    return {name: tensor.detach().to("cpu", copy=copy) for name, tensor in weights.items()}
