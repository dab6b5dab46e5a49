"""Training runtimes, one per task-spec `framework`, behind one interface (`Runtime`).

`torch` trains classifiers; `transformers` a byte-level causal LM built from a config in code;
`peft` LoRA adapters on that LM; `diffusers` a tiny class-conditional UNet for image generation
(with or without LoRA); `jax` classifiers in plain JAX. All but `torch` are optional extras of
the package (`pip install 'nnc[transformers]'` …). A node lists the runtimes it has in its
hardware profile and never applies for a task whose framework it lacks.

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
    from nnc.task import TaskSpec


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
}


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


def runtime_for(spec: TaskSpec) -> Runtime:
    """The runtime that trains `spec` (its framework's), imported now."""
    info = require_runtime(spec.framework)
    module_name, attribute = info.implementation.split(":")
    runtime: Runtime = getattr(importlib.import_module(module_name), attribute)
    return runtime
