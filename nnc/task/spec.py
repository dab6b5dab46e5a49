"""The task spec: what a requester asks a node to train, and how its cost and identity are derived.

A spec is a JSON document validated by the pydantic models below. Its identity on chain is
`spec_digest(spec)`, the SHA-256 of `canonical_json(spec)`; its price is measured in
`compute_units(spec)`, a deterministic figure derived from the model and the training schedule.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from nnc.errors import TaskSpecError

SPEC_VERSION: Final = 1
"""The only spec format version this code understands."""

MAX_LAYERS: Final = 8
MAX_HIDDEN: Final = 4096
MAX_CHANNELS: Final = 1024


@dataclass(frozen=True)
class DatasetShape:
    """Shape of one sample of a dataset: `input_shape` as (channels, height, width) and class count."""

    input_shape: tuple[int, int, int]
    n_classes: int

    @property
    def n_inputs(self) -> int:
        return math.prod(self.input_shape)


DATASET_SHAPES: Final[Mapping[str, DatasetShape]] = {
    "sklearn-digits": DatasetShape(input_shape=(1, 8, 8), n_classes=10),
}
"""Sample shape of every dataset a spec may name; models are built for these shapes."""


class _SpecModel(BaseModel):
    """Common configuration: strict types (no "3" for 3), no unknown keys, no NaN, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class ModelSpec(_SpecModel):
    """The network to train.

    `mlp`: fully connected layers of the `hidden` widths with ReLU between them (`channels` empty).
    `cnn`: 3x3 convolutions (padding 1, ReLU) with the given output `channels`, then a linear head
    (`hidden` empty).
    """

    kind: Literal["mlp", "cnn"]
    hidden: list[Annotated[int, Field(ge=1, le=MAX_HIDDEN)]] = Field(
        default_factory=list, validate_default=True, max_length=MAX_LAYERS
    )
    channels: list[Annotated[int, Field(ge=1, le=MAX_CHANNELS)]] = Field(
        default_factory=list, validate_default=True, max_length=MAX_LAYERS
    )

    @field_validator("hidden")
    @classmethod
    def _check_hidden(cls, value: list[int], info: ValidationInfo) -> list[int]:
        kind = info.data.get("kind")
        if kind == "cnn" and value:
            raise PydanticCustomError("kind_mismatch", "must be empty for kind 'cnn' (use channels)")
        return value

    @field_validator("channels")
    @classmethod
    def _check_channels(cls, value: list[int], info: ValidationInfo) -> list[int]:
        kind = info.data.get("kind")
        if kind == "mlp" and value:
            raise PydanticCustomError("kind_mismatch", "must be empty for kind 'mlp' (use hidden)")
        if kind == "cnn" and not value:
            raise PydanticCustomError("kind_mismatch", "kind 'cnn' needs at least one conv layer")
        return value


class DatasetSpec(_SpecModel):
    """The dataset and its train/eval split.

    `uri` locates a stored copy of the data (an .npz of `inputs` and `labels`, fetched and checked
    against its content id; its arrays must have the named dataset's shapes), else the bundled copy
    is used. `digest`, when given, must equal the SHA-256 (hex) of the loaded arrays.
    """

    name: Literal["sklearn-digits"]
    eval_fraction: float = Field(gt=0.0, le=0.5)
    uri: str | None = Field(default=None, min_length=1)
    digest: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class TrainingSpec(_SpecModel):
    """The training schedule. Every `checkpoint_interval` steps (and at the last) a checkpoint is taken."""

    seed: int = Field(ge=0, lt=2**63)
    steps: int = Field(ge=1, le=1_000_000)
    batch_size: int = Field(ge=1, le=4096)
    learning_rate: float = Field(gt=0.0)
    optimizer: Literal["sgd", "adam"]
    checkpoint_interval: int = Field(ge=1)

    @field_validator("checkpoint_interval")
    @classmethod
    def _check_interval(cls, value: int, info: ValidationInfo) -> int:
        steps = info.data.get("steps")
        if steps is not None and value > steps:
            raise PydanticCustomError(
                "interval_too_large", "should be at most training.steps ({steps})", {"steps": steps}
            )
        return value


class AcceptanceSpec(_SpecModel):
    """The result is accepted when `metric` on the eval split is at least `threshold`."""

    metric: Literal["accuracy"]
    threshold: float = Field(ge=0.0, le=1.0)


class DeterminismSpec(_SpecModel):
    """What replicas pin so that they agree: the CPU thread count and the digest's rounding."""

    threads: int = Field(default=1, ge=1, le=64)
    digest_decimals: int = Field(default=6, ge=0, le=12)


class PrivacySpec(_SpecModel):
    """A private task. Its dataset may be stored encrypted to the nodes the requester trusts (their
    registered X25519 keys): other nodes cannot read it and do not apply. Its final model is stored
    encrypted to `requester_key` and the assigned nodes only."""

    requester_key: str = Field(pattern=r"^[0-9a-f]{64}$", description="the requester's X25519 public key (hex)")


class TaskSpec(_SpecModel):
    """A complete task spec (format version 1). `privacy` is optional: absent, the task is public."""

    version: int = SPEC_VERSION
    name: str = Field(min_length=1, max_length=200)
    framework: Literal["torch"]
    model: ModelSpec
    dataset: DatasetSpec
    training: TrainingSpec
    acceptance: AcceptanceSpec
    determinism: DeterminismSpec
    privacy: PrivacySpec | None = None

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: int) -> int:
        if value != SPEC_VERSION:
            raise PydanticCustomError(
                "unsupported_version",
                "unsupported spec version (supported: {supported})",
                {"supported": SPEC_VERSION},
            )
        return value


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(root)"


def _format_input(value: object) -> str:
    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_errors(source: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False):
        line = f"{source}: {_format_loc(item['loc'])}: {item['msg']}"
        if item["type"] != "missing":
            line += f" (got {_format_input(item['input'])})"
        lines.append(line)
    return "\n".join(lines)


def parse_spec(data: bytes | str | Mapping[str, Any], *, source: str | None = None) -> TaskSpec:
    """Validate a spec given as JSON text or as an already decoded mapping.

    Raises `TaskSpecError` whose message names `source` (a file name, if any) and, one line each,
    every bad field with what was expected and what was given. JSON must be strict: no duplicate
    keys, no NaN or Infinity.
    """
    where = source or "task spec"
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TaskSpecError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    if isinstance(data, str):
        try:
            data = json.loads(data, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise TaskSpecError(f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
        except _DuplicateKeyError as exc:
            raise TaskSpecError(f"{where}: invalid JSON: duplicate key {exc.key!r}") from exc
        except ValueError as exc:
            raise TaskSpecError(f"{where}: invalid JSON: {exc}") from exc
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise TaskSpecError(_format_errors(where, exc)) from exc


def load_spec(path: str | Path) -> TaskSpec:
    """Read and validate the spec file at `path`; errors name the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaskSpecError(f"{path}: cannot read task spec: {exc.strerror or exc}") from exc
    return parse_spec(raw, source=str(path))


def canonical_json(spec: TaskSpec) -> bytes:
    """The spec as canonical JSON: every field (defaults included; an absent optional section such
    as `privacy` stays absent), keys sorted, no whitespace, UTF-8.

    Numbers are written as Python's `json` writes them (floats by their shortest repr), so the
    bytes are a pure function of the validated spec.
    """
    document = spec.model_dump(mode="json", exclude={"privacy"} if spec.privacy is None else None)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def spec_digest(spec: TaskSpec) -> bytes:
    """The spec's identity: SHA-256 (32 bytes) of `canonical_json(spec)`."""
    return hashlib.sha256(canonical_json(spec)).digest()


def model_macs(spec: TaskSpec) -> int:
    """Multiply-accumulates of one forward pass of the spec's model on one sample.

    mlp: sum of `fan_in * fan_out` over the linear layers (inputs → hidden... → classes).
    cnn: per conv layer `c_in * c_out * 3 * 3 * H * W` (padding 1 keeps H x W), then the head
    `c_last * H * W * classes`. Biases, activations and the loss are not counted.
    """
    shape = DATASET_SHAPES[spec.dataset.name]
    if spec.model.kind == "mlp":
        widths = [shape.n_inputs, *spec.model.hidden, shape.n_classes]
        return sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    c_in, height, width = shape.input_shape
    macs = 0
    for c_out in spec.model.channels:
        macs += c_in * c_out * 9 * height * width
        c_in = c_out
    return macs + c_in * height * width * shape.n_classes


def compute_units(spec: TaskSpec) -> int:
    """The task's deterministic cost in compute units (1 CU = 1 MFLOP = 10^6 floating point ops).

    CU = ceil(6 × model_macs(spec) × batch_size × steps / 10^6): a forward pass costs 2 FLOPs per
    multiply-accumulate, and forward plus backward is counted as 3 forward passes. Evaluation,
    biases and activations are not counted. The figure depends only on the spec, never on the
    node's speed, so a slow node is not paid more for the same work.
    """
    flops = 6 * model_macs(spec) * spec.training.batch_size * spec.training.steps
    return -(-flops // 1_000_000)
