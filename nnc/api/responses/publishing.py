"""Bodies the publish page gets: stored uploads, spec verdicts, dry-run estimates, templates, runtimes."""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from nnc.api.responses.scalars import Framework, Hex32, Sha256, TaskSpecDocument, UploadKind


class Upload(TypedDict):
    """What was stored, where, and (per kind) the figures to publish or register with."""

    kind: UploadKind
    uri: str
    sha256: Sha256
    size: int
    spec_digest: NotRequired[Hex32]
    compute_units: NotRequired[int]
    name: NotRequired[str]
    profile_digest: NotRequired[Hex32]
    hardware_class: NotRequired[int]


class UploadTarget(TypedDict):
    """Where the browser sends a dataset too large for `/api/uploads`: the storage node's Kubo RPC
    base URL (null when this API stores elsewhere), in chunks of `chunk_bytes`."""

    url: str | None
    chunk_bytes: int
    api_limit_bytes: int


class Validation(TypedDict):
    valid: bool
    problems: list[str]
    spec_digest: NotRequired[Hex32]
    compute_units: NotRequired[int]


class Estimate(TypedDict):
    compute_units: int
    model_macs: int
    parameters: Annotated[int | None, Field(description="null when counting needs the framework to build the "
                                                         "model (a UNet not trained here)")]
    memory_bytes: int | None
    steps_measured: int
    seconds_per_step: float | None
    estimated_seconds: float | None
    loss_after: float | None


class Template(TypedDict):
    id: Annotated[str, Field(description="the file name in examples/")]
    name: str
    framework: Framework
    model_kind: str
    dataset: str
    compute_units: int
    runtime_installed: Annotated[bool, Field(description="whether this server has the framework (else its dry run "
                                                         "is not timed here)")]
    spec: TaskSpecDocument


class TemplateList(TypedDict):
    items: list[Template]


class Runtime(TypedDict):
    framework: Framework
    versions: dict[str, str]


class RuntimeList(TypedDict):
    items: list[Runtime]
    known: list[Framework]
