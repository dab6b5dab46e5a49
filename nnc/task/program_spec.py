"""The `program` and `init` sections of a task spec: a requester's own training program, and the
weights a model starts from.

`program` names a Python source package by content address (`uri`: an archive, .tar, .tar.gz or
.zip, in any store the node reads), the factory that makes its `nnc.training.program.Program`
(`entry`, `module:factory`), the package's digest (`nnc.training.program_package.package_digest`:
the tree digest of its files, as for a dataset directory, the same for a directory and for any
archive of it) and the packages it imports beyond the
standard library, each with a version specifier a node's installed version must satisfy
(`requires`, e.g. {"torch": ">=2.0"}). Its model is opaque to the protocol: the spec's `model`
section is `{"kind": "program", "macs": ...}`, the requester's count of multiply-accumulates of one
forward pass on one sample, which prices the task (`nnc.task.cost`).

`init` names weights (safetensors, a flat name → tensor file) that the freshly built model loads
before training; with a LoRA (framework `peft`) they are the base model the adapters train on.
Both are checked against their SHA-256 `digest` before anything runs.

`base_model` starts the model from a model of the library instead (`nnc.chain.models`, the
ModelRegistry): `{"id": N}` names registered model N, whose listed digest and URI cannot change,
so the id pins the weights. A node fetches them and checks them against that digest
(`nnc.library.fetch_library_model`) before training from them (full training, or with a LoRA
adapting them as the base). A spec names `init` or `base_model`, not both.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from nnc.task.model_specs import SpecSection

SHA256_HEX: Final = r"^[0-9a-f]{64}$"
ENTRY: Final = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
PACKAGE: Final = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
"""A distribution name (PEP 508), as `importlib.metadata.version` takes it."""
MAX_REQUIRES: Final = 32


class ProgramSpec(SpecSection):
    """A requester's training program (see the module's notes)."""

    uri: str = Field(min_length=1, max_length=500)
    entry: str = Field(min_length=3, max_length=200, description="module:factory, the factory taking the TaskSpec")
    digest: str = Field(pattern=SHA256_HEX)
    requires: dict[str, str] = Field(default_factory=dict, max_length=MAX_REQUIRES)

    @field_validator("entry")
    @classmethod
    def _check_entry(cls, value: str) -> str:
        if not ENTRY.match(value):
            raise PydanticCustomError("bad_entry", "should be module:factory (e.g. 'resnet_cnn.program:make_program')")
        return value

    @field_validator("requires")
    @classmethod
    def _check_requires(cls, value: dict[str, str]) -> dict[str, str]:
        for package, specifier in value.items():
            if not PACKAGE.match(package):
                raise PydanticCustomError("bad_requirement", "{package} is not a package name",
                                          {"package": repr(package)})
            try:
                SpecifierSet(specifier)
            except InvalidSpecifier as exc:
                raise PydanticCustomError(
                    "bad_requirement", "{package}: {specifier} is not a version specifier (e.g. '>=2.0')",
                    {"package": package, "specifier": repr(specifier)}) from exc
        return value


class InitSpec(SpecSection):
    """Weights the model starts from (see the module's notes)."""

    uri: str = Field(min_length=1, max_length=500)
    format: Literal["safetensors"]
    digest: str = Field(pattern=SHA256_HEX, description="SHA-256 (hex) of the weights file")


class BaseModelSpec(SpecSection):
    """A registered model the model starts from (see the module's notes)."""

    id: int = Field(ge=1, lt=2**64, description="the model's id in the ModelRegistry")


INIT_FRAMEWORKS: Final = frozenset({"torch", "transformers", "peft"})
"""The frameworks whose models may start from `init` weights or a `base_model` (a program's model always may)."""
