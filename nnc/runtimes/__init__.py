"""Training runtimes, one per task-spec `framework`, behind one interface (`Runtime`).

`torch` trains classifiers; `transformers` a byte-level causal LM built from a config in code;
`peft` LoRA adapters on that LM; `diffusers` a tiny class-conditional UNet for image generation
(with or without LoRA); `jax` classifiers in plain JAX; `tensorflow` classifiers as Keras 3 models.
All but `torch` are optional extras of the package (`pip install 'nnc[transformers]'` …). A node
lists the runtimes it has in its hardware profile and never applies for a task whose framework it
lacks.

The torch runtimes drive a `Program` (`nnc.training.program`) through one loop
(`nnc.runtimes.base.ProgramRuntime`): the built-in ones by model kind (`BUILTIN_PROGRAMS`), and a
requester's own program (a spec's `program` section, `nnc.runtimes.user_program`), which runs
only in the sandbox: `runtime_for` gives it as `nnc.runtimes.sandboxed.SandboxedProgramRuntime`.
A spec's `init` weights (or its `base_model`'s) go into whichever program's fresh model
(`nnc.training.init_weights`).

Only this registry is imported eagerly; a runtime's module (and its framework) loads when a task
needs it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Final

from nnc.errors import ConfigError, TrainingError

if TYPE_CHECKING:
    from nnc.runtimes.base import Runtime
    from nnc.sandbox import SandboxLimits
    from nnc.task import TaskSpec
    from nnc.training.program import Program
    from nnc.training.program_package import ProgramFiles


class RuntimeMissingError(TrainingError):
    """The task's framework is not installed on this machine."""


@dataclass(frozen=True)
class RuntimeInfo:
    """A runtime: the packages (import name, distribution name) it needs, the extra that installs
    them, and where its implementation lives (`module:attribute`, a `Runtime`)."""

    framework: str
    packages: tuple[tuple[str, str], ...]
    extra: str | None
    implementation: str

    def installed(self) -> bool:
        return all(importlib.util.find_spec(module) is not None for module, _ in self.packages)

    def versions(self) -> dict[str, str]:
        """Installed version of each package it needs (what replicas should agree on)."""
        found = {}
        for _, dist in self.packages:
            try:
                found[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
        return found


RUNTIMES: Final[Mapping[str, RuntimeInfo]] = {
    "torch": RuntimeInfo("torch", (("torch", "torch"),), None, "nnc.runtimes.classifier:RUNTIME"),
    "transformers": RuntimeInfo("transformers", (("transformers", "transformers"),), "transformers",
                                "nnc.runtimes.causal_lm:RUNTIME"),
    "peft": RuntimeInfo("peft", (("transformers", "transformers"), ("peft", "peft")), "peft",
                        "nnc.runtimes.causal_lm:RUNTIME"),
    "diffusers": RuntimeInfo("diffusers", (("diffusers", "diffusers"), ("peft", "peft")), "diffusers",
                             "nnc.runtimes.diffusion:RUNTIME"),
    "jax": RuntimeInfo("jax", (("jax", "jax"), ("jaxlib", "jaxlib")), "jax", "nnc.runtimes.jax_classifier:RUNTIME"),
    "tensorflow": RuntimeInfo("tensorflow", (("tensorflow", "tensorflow-cpu"), ("keras", "keras")), "tensorflow",
                              "nnc.runtimes.keras_classifier:RUNTIME"),
}


BUILTIN_PROGRAMS: Final[Mapping[str, str]] = {
    "mlp": "nnc.runtimes.classifier:ClassifierProgram",
    "cnn": "nnc.runtimes.classifier:ClassifierProgram",
    "causal-lm": "nnc.runtimes.causal_lm:CausalLMProgram",
    "rwkv": "nnc.runtimes.rwkv_lm:RwkvLMProgram",
    "unet": "nnc.runtimes.diffusion:DiffusionProgram",
    "whisper": "nnc.runtimes.whisper_asr:WhisperProgram",
    "face-embedding": "nnc.runtimes.face_embedding:FaceEmbeddingProgram",
    "conv3d": "nnc.runtimes.video_classifier:VideoClassifierProgram",
}
"""The programs shipped with the package, by model kind (`module:class`, made from the spec): what
the torch-based runtimes train. (`jax` trains its `mlp` and `cnn` in plain JAX, without a torch program.)"""


def builtin_program(spec: TaskSpec) -> Program:
    """The built-in program that trains `spec`'s model kind, imported now."""
    where = BUILTIN_PROGRAMS.get(spec.model.kind)
    if where is None:
        raise TrainingError(f"model kind {spec.model.kind!r} has no built-in program")
    require_runtime(spec.framework)
    module_name, attribute = where.split(":")
    program: Program = getattr(importlib.import_module(module_name), attribute)(spec)
    return program


def rounds_program(spec: TaskSpec, files: ProgramFiles | None = None) -> Program:
    """The program a data-parallel task trains in rounds, in the caller's process (a worker, a
    verifier, anyone recomputing its rounds): the built-in one for its model kind, starting from
    its `init` weights or `base_model` (`files.init`, from `nnc.library.fetch_task_files`) when it
    names them. A requester's own program is not trained in rounds (`TrainingError`)."""
    if spec.program is not None:
        raise TrainingError(f"{spec.name!r}: parallel rounds train built-in model kinds in the worker's process; a "
                            "requester's program is not supported in rounds yet")
    program = builtin_program(spec)
    if not spec.starts_from_weights:
        return program
    from nnc.training.init_weights import with_init

    return with_init(program, _files_for(spec, files).init)


def installed_runtimes() -> list[str]:
    """The frameworks this machine can train, in registry order."""
    return [name for name, info in RUNTIMES.items() if info.installed()]


def offered_runtimes(wanted: list[str] | None) -> list[str]:
    """The frameworks a worker takes tasks of: `wanted` (an operator's choice), each of which must
    be installed, or every installed runtime when None. Raises ConfigError naming what is missing."""
    installed = installed_runtimes()
    if wanted is None:
        return installed
    unknown = [name for name in wanted if name not in RUNTIMES]
    missing = [name for name in wanted if name in RUNTIMES and name not in installed]
    if unknown or missing:
        problems = [f"unknown framework(s) {', '.join(unknown)} (known: {', '.join(RUNTIMES)})"] if unknown else []
        problems += [f"{name} is not installed (pip install 'nnc[{RUNTIMES[name].extra}]')" for name in missing]
        raise ConfigError(f"settings runtimes: {'; '.join(problems)}")
    return list(dict.fromkeys(wanted))


def require_runtime(framework: str) -> RuntimeInfo:
    """The runtime for `framework`; raises RuntimeMissingError naming the extra to install."""
    info = RUNTIMES.get(framework)
    if info is None:
        raise RuntimeMissingError(f"unknown framework {framework!r} (known: {', '.join(RUNTIMES)})")
    if not info.installed():
        missing = [dist for module, dist in info.packages if importlib.util.find_spec(module) is None]
        hint = f"pip install 'nnc[{info.extra}]'" if info.extra else f"pip install {' '.join(missing)}"
        raise RuntimeMissingError(f"framework {framework!r} needs {', '.join(missing)}, not installed here ({hint}); "
                                  f"installed runtimes: {', '.join(installed_runtimes()) or 'none'}")
    return info


def runtime_for(spec: TaskSpec, files: ProgramFiles | None = None, limits: SandboxLimits | None = None) -> Runtime:
    """The runtime that trains `spec` (its framework's), imported now. `files` are the spec's
    fetched `program` package and `init` weights (`nnc.training.program_package`), needed when it
    names them (`files.init` holds a `base_model`'s weights too: `nnc.library.fetch_task_files`).
    A requester's program runs in the sandbox under `limits` (default limits when None), each call
    in a fresh child; a spec with `init` or `base_model` starts its built-in program from them."""
    if spec.program is not None:
        from nnc.runtimes.sandboxed import SandboxedProgramRuntime

        return SandboxedProgramRuntime(_files_for(spec, files), limits)
    info = require_runtime(spec.framework)
    if spec.starts_from_weights:
        from nnc.runtimes.base import ProgramRuntime
        from nnc.training.init_weights import with_init

        init = _files_for(spec, files).init
        return ProgramRuntime(lambda s: with_init(builtin_program(s), init))
    module_name, attribute = info.implementation.split(":")
    runtime: Runtime = getattr(importlib.import_module(module_name), attribute)
    return runtime


def _files_for(spec: TaskSpec, files: ProgramFiles | None) -> ProgramFiles:
    """`files`, checked to hold what `spec` names (fetched by `fetch_program_files`)."""
    if (spec.program is not None and (files is None or files.package is None)) or (
            spec.starts_from_weights and (files is None or files.init is None)):
        raise TrainingError(f"{spec.name!r} names a program package, init weights or a base model that were not "
                            f"fetched (nnc.library.fetch_task_files)")
    assert files is not None
    return files
