"""A requester's own program, loaded inside the sandbox: its package on `sys.path`, its `entry`
factory called with the spec, the result guarded so that whatever it does wrong is a
`TrainingError` naming the program and what failed.

Import this module only in a sandboxed child (`nnc.worker.sandboxed_training`,
`nnc.runtimes.sandboxed`): it runs the requester's code in this process. Everything else reaches
a program through `runtime_for`, which runs it in the sandbox.

The interface a program implements is `nnc.training.program.Program` (see there and
`examples/programs/resnet_cnn`): `load_data(dataset)`, `build()`, `trainable(module)`,
`weights(module)`, `load_weights(module, weights)`, `loss(module, data, batch, step)`,
`metric(module, data)`, and optionally `load_init(module, weights)` for `init` weights that are
not the program's own `weights` (a LoRA's base).
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import torch
from torch import nn

from nnc.errors import TrainingError
from nnc.runtimes.base import ProgramRuntime, Runtime
from nnc.runtimes.requirements import unmet_requirements
from nnc.task import TaskSpec
from nnc.training.init_weights import with_init
from nnc.training.program import Program, TrainData
from nnc.training.program_package import ProgramFiles

PROGRAM_METHODS: Final = ("load_data", "build", "trainable", "weights", "load_weights", "loss", "metric")


class ProgramLoadError(TrainingError):
    """A requester's program cannot be loaded: its entry does not import or is not a program."""


def _out_of_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, MemoryError) or "out of memory" in text or "can't allocate memory" in text


class GuardedProgram:
    """A requester's program whose failures are `TrainingError`s naming it (memory errors pass
    through, for the sandbox to report as a broken limit), and whose loss must stay finite."""

    def __init__(self, program: Any, entry: str) -> None:
        self.program = program
        self.entry = entry
        self.init_loader: Callable[[nn.Module, Mapping[str, torch.Tensor]], None] | None = (
            getattr(program, "load_init", None))
        if self.init_loader is not None:
            self.load_init = self._load_init

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self.program, method)(*args)
        except TrainingError:
            raise
        except Exception as exc:
            if _out_of_memory(exc):
                raise
            raise TrainingError(f"program {self.entry}: {method} raised {type(exc).__name__}: {exc}") from exc

    def load_data(self, dataset_file: Path | None) -> TrainData:
        data = self._call("load_data", dataset_file)
        n_train = getattr(data, "n_train", None)
        if not isinstance(n_train, int) or n_train < 1:
            raise TrainingError(f"program {self.entry}: load_data must return data with n_train >= 1 "
                                f"(got {type(data).__name__} with n_train {n_train!r})")
        return data  # type: ignore[no-any-return]

    def build(self) -> nn.Module:
        module = self._call("build")
        if not isinstance(module, nn.Module):
            raise TrainingError(f"program {self.entry}: build must return a torch.nn.Module, "
                                f"not {type(module).__name__}")
        return module

    def trainable(self, module: nn.Module) -> list[nn.Parameter]:
        return list(self._call("trainable", module))

    def weights(self, module: nn.Module) -> dict[str, torch.Tensor]:
        weights = self._call("weights", module)
        if not isinstance(weights, Mapping) or not all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()):
            raise TrainingError(f"program {self.entry}: weights must return a mapping of name to tensor")
        return dict(weights)

    def load_weights(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        try:
            self.program.load_weights(module, weights)
        except (RuntimeError, ValueError, KeyError) as exc:
            if _out_of_memory(exc):
                raise
            raise TrainingError(f"program {self.entry}: the weights do not fit its model: {exc}") from exc

    def _load_init(self, module: nn.Module, weights: Mapping[str, torch.Tensor]) -> None:
        assert self.init_loader is not None
        self.init_loader(module, weights)

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        loss = self._call("loss", module, data, batch, step)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TrainingError(f"program {self.entry}: loss must return a one-element tensor")
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingError(f"program {self.entry}: the loss is {value} at step {step}: training diverged "
                                f"(a lower learning rate, or a look at the loss, may help)")
        return loss

    def metric(self, module: nn.Module, data: TrainData) -> float:
        value = self._call("metric", module, data)
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise TrainingError(f"program {self.entry}: metric must return a number, not {value!r}") from exc


def load_program(spec: TaskSpec, package: Path) -> Program:
    """The spec's program: its `entry` (`module:factory`) imported from `package` (put first on
    `sys.path`) and called with the spec. Raises `ProgramLoadError` naming what failed."""
    assert spec.program is not None
    entry = spec.program.entry
    unmet = unmet_requirements(spec.program.requires)
    if unmet:
        raise ProgramLoadError(f"program {entry} needs what this node lacks: {'; '.join(unmet)}")
    module_name, factory_name = entry.split(":")
    if str(package) not in sys.path:
        sys.path.insert(0, str(package))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        if _out_of_memory(exc):
            raise
        raise ProgramLoadError(f"program {entry}: cannot import {module_name!r} from its package: "
                               f"{type(exc).__name__}: {exc}") from exc
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise ProgramLoadError(f"program {entry}: module {module_name!r} has no factory {factory_name!r}")
    try:
        program = factory(spec)
    except Exception as exc:
        if _out_of_memory(exc):
            raise
        raise ProgramLoadError(f"program {entry}: the factory raised {type(exc).__name__}: {exc}") from exc
    missing = [name for name in PROGRAM_METHODS if not callable(getattr(program, name, None))]
    if missing:
        raise ProgramLoadError(f"program {entry}: the factory's {type(program).__name__} lacks the Program "
                               f"method(s) {', '.join(missing)}")
    return GuardedProgram(program, entry)


def program_runtime(spec: TaskSpec, files: ProgramFiles) -> Runtime:
    """The runtime a sandboxed child runs `spec`'s program with, in this process (loaded once)."""
    if spec.program is None or files.package is None:
        raise ProgramLoadError(f"{spec.name!r}: no program package to run")
    program = with_init(load_program(spec, files.package), files.init)
    return ProgramRuntime(lambda _: program)
