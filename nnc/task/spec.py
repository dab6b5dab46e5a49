"""The task spec: what a requester asks a node to train, and how its cost and identity are derived.

A spec is a JSON document validated by the pydantic models below. Its identity on chain is
`spec_digest(spec)`, the SHA-256 of `canonical_json(spec)`; its price is measured in
`compute_units(spec)`, a deterministic figure derived from the model and the training schedule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from nnc.datasets.formats import FORMATS, TEXT_FORMATS, DatasetFormat
from nnc.errors import TaskSpecError
from nnc.task.datasets import CUSTOM_DATASET, DATASET_SHAPES, DatasetName, dataset_kind
from nnc.task.inference_spec import InferenceSpec
from nnc.task.library_spec import LibrarySpec
from nnc.task.model_specs import AnyModelSpec, FaceEmbeddingSpec, ProgramModelSpec, SpecSection, TextLMSpec, UNetSpec
from nnc.task.parallel_spec import ParallelSpec
from nnc.task.program_spec import INIT_FRAMEWORKS, BaseModelSpec, InitSpec, ProgramSpec

SPEC_VERSION: Final = 1
"""The only spec format version this code understands."""

DEFAULT_FAR: Final = 0.01
"""The false-accept rate `tar_at_far` is measured at when the acceptance section names none."""

Framework = Literal["torch", "transformers", "peft", "jax", "diffusers", "tensorflow"]


@dataclass(frozen=True)
class FrameworkRule:
    """What a framework trains: the model kinds, the dataset kind, the acceptance metric, and
    whether the model must (True), must not (False) or may (None) carry a `lora` section."""

    kinds: frozenset[str]
    dataset: Literal["classification", "text"]
    metric: Literal["accuracy", "eval_loss", "tar_at_far"]
    lora: bool | None


FRAMEWORK_RULES: Final[Mapping[str, FrameworkRule]] = {
    "torch": FrameworkRule(frozenset({"mlp", "cnn", "face-embedding", "conv3d"}), "classification", "accuracy", False),
    "jax": FrameworkRule(frozenset({"mlp", "cnn"}), "classification", "accuracy", False),
    "tensorflow": FrameworkRule(frozenset({"mlp", "cnn"}), "classification", "accuracy", False),
    "transformers": FrameworkRule(frozenset({"causal-lm", "rwkv", "whisper"}), "text", "eval_loss", False),
    "peft": FrameworkRule(frozenset({"causal-lm"}), "text", "eval_loss", True),
    "diffusers": FrameworkRule(frozenset({"unet"}), "classification", "eval_loss", None),
}
"""Which spec each `framework` accepts (a node runs a task only with that runtime installed)."""

KIND_METRICS: Final[Mapping[str, str]] = {"face-embedding": "tar_at_far", "whisper": "eval_wer"}
"""Model kinds scored by another metric than their framework's (`FrameworkRule.metric`)."""

KIND_DATASETS: Final[Mapping[str, str]] = {"whisper": "speech"}
"""Model kinds trained on another dataset kind than their framework's (`FrameworkRule.dataset`):
`transformers` trains `whisper` speech recognisers on speech."""

HIGHER_IS_BETTER: Final = frozenset({"accuracy", "tar_at_far"})
"""Metrics in [0, 1] that a model must reach (at least the threshold); the others are losses
(and word error rates)."""

class DatasetSpec(SpecSection):
    """The dataset and its train/eval split.

    `uri` locates a stored copy of the data, fetched and checked against its content id, else the
    bundled (or generated) copy is used. Without a `format`, as before: for a classification set an
    .npz of `inputs` and `labels` with the named dataset's shapes, for a text set a UTF-8 text
    file. With one (`nnc.datasets.FORMATS`), `uri` names a file, or a directory or archive (.tar,
    .tar.gz, .zip) as `nnc data put DIR` stores it, holding that format; the samples must fit the
    named dataset's input shape and classes (images are decoded to it).

    `digest`, when given, pins the content: for a single .npz (or text) file the SHA-256 (hex) of
    the loaded arrays (or bytes), as before; for a directory or archive its tree digest
    (`nnc.storage.archive.tree_digest`, the same for a folder and any archive of it); for any
    other file its SHA-256.
    """

    name: DatasetName
    eval_fraction: float = Field(gt=0.0, le=0.5)
    uri: str | None = Field(default=None, min_length=1)
    digest: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    format: DatasetFormat | None = Field(default=None, description=f"one of {', '.join(FORMATS)}; "
                                         "absent: an .npz (classification) or a UTF-8 text file (text)")

    @model_validator(mode="after")
    def _check_format(self) -> DatasetSpec:
        if self.format is not None and dataset_kind(self.name) == "speech":
            raise PydanticCustomError("format_mismatch", "a speech dataset is stored as an .npz of 'audio' and "
                                      "'transcripts' (no format)")
        if self.format is not None and dataset_kind(self.name) == "text" and self.format not in TEXT_FORMATS:
            raise PydanticCustomError(
                "format_mismatch", "format '{format}' cannot hold a text corpus (use {allowed}, with a 'text' column)",
                {"format": self.format, "allowed": " or ".join(sorted(TEXT_FORMATS))})
        if self.name == CUSTOM_DATASET and (self.uri is None or self.digest is None):
            raise PydanticCustomError("custom_without_uri", "dataset 'custom' has no bundled copy: it needs a uri "
                                      "and the digest `nnc data put` printed")
        if self.format is not None and self.uri is None:
            raise PydanticCustomError("format_without_uri", "format '{format}' needs a uri (the bundled copy has "
                                      "its own)", {"format": self.format})
        return self

    @model_serializer(mode="wrap")
    def _omit_default_format(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """An absent format stays absent from the canonical JSON: older specs keep their digest."""
        data: dict[str, Any] = handler(self)
        if self.format is None:
            data.pop("format", None)
        return data


class TrainingSpec(SpecSection):
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


class AcceptanceSpec(SpecSection):
    """When the result is accepted: `accuracy` (fraction of the eval split classified right) at
    least `threshold`, or `eval_loss` (mean loss on the eval split: next-byte cross-entropy for a
    language model, noise-prediction MSE at fixed noise for a diffusion model) or `eval_wer` (word
    error rate of a speech recogniser's transcripts of the eval clips) at most `threshold`,
    or `tar_at_far` (face verification: the fraction of genuine pairs of the eval split accepted at
    the similarity threshold that accepts a fraction `far` of its impostor pairs, default
    `DEFAULT_FAR`; `nnc.runtimes.face_embedding`) at least `threshold`. `far` is for `tar_at_far`
    only, and absent from the canonical form when absent."""

    metric: Literal["accuracy", "eval_loss", "tar_at_far", "eval_wer"]
    threshold: float = Field(ge=0.0, le=1000.0)
    far: float | None = Field(default=None, gt=0.0, lt=1.0)

    @field_validator("threshold")
    @classmethod
    def _check_threshold(cls, value: float, info: ValidationInfo) -> float:
        if info.data.get("metric") in HIGHER_IS_BETTER and value > 1.0:
            raise PydanticCustomError("bad_threshold", "a threshold for {metric} (a fraction) is at most 1.0",
                                      {"metric": info.data.get("metric")})
        return value

    @model_validator(mode="after")
    def _check_far(self) -> AcceptanceSpec:
        if self.far is not None and self.metric != "tar_at_far":
            raise PydanticCustomError("far_without_tar", "far (a false-accept rate) is for metric 'tar_at_far', "
                                      "not {metric!r}", {"metric": self.metric})
        return self

    @model_serializer(mode="wrap")
    def _omit_absent_far(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """An absent far stays absent from the canonical JSON: older specs keep their digest."""
        data: dict[str, Any] = handler(self)
        if self.far is None:
            data.pop("far", None)
        return data

    @property
    def false_accept_rate(self) -> float:
        """The FAR `tar_at_far` is measured at: `far`, or `DEFAULT_FAR`."""
        return DEFAULT_FAR if self.far is None else self.far

    def accepts(self, metric: float) -> bool:
        """Whether a result scoring `metric` meets the threshold (NaN never does)."""
        if self.metric in HIGHER_IS_BETTER:
            return metric >= self.threshold
        return metric <= self.threshold

    def quality(self, metric: float) -> float:
        """The result's quality in [0, 1]: the accuracy itself, or for a loss (or a word error
        rate) `threshold / loss` capped at 1 (a model at or under its target loss scores 1, twice
        the loss scores 0.5)."""
        if metric != metric:  # NaN
            return 0.0
        if self.metric in HIGHER_IS_BETTER:
            return max(0.0, min(1.0, metric))
        return 1.0 if metric <= self.threshold else self.threshold / metric


class DeterminismSpec(SpecSection):
    """What replicas pin so that they agree: the CPU thread count and the digest's rounding."""

    threads: int = Field(default=1, ge=1, le=64)
    digest_decimals: int = Field(default=6, ge=0, le=12)


Device = Literal["auto", "cpu", "cuda"]


class ExecutionSpec(SpecSection):
    """Where the task trains. `device`: `cpu` (the default, as when the section is absent), `cuda`
    (only nodes with a CUDA GPU take the task) or `auto` (CUDA where the node has it, else the CPU).

    A task that may train on a GPU (`cuda`, `auto`) is verified by spot-check with a tolerance
    calibrated on CPU↔CUDA replays, or replicated only among nodes whose GPU is `device_model`
    (the CUDA device name, e.g. "NVIDIA H100 80GB HBM3"): GPUs of different models do not
    promise bitwise agreement. The rules are `nnc.task.execution`'s.
    """

    device: Device = "cpu"
    device_model: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_model(self) -> ExecutionSpec:
        if self.device_model is not None and self.device == "cpu":
            raise PydanticCustomError("device_model_on_cpu",
                                      "device_model names a GPU: it needs device 'cuda' or 'auto', not 'cpu'")
        return self


class PrivacySpec(SpecSection):
    """A private task. Its dataset may be stored encrypted to the nodes the requester trusts (their
    registered X25519 keys): other nodes cannot read it and do not apply. Its final model is stored
    encrypted to `requester_key` and the assigned nodes only."""

    requester_key: str = Field(pattern=r"^[0-9a-f]{64}$", description="the requester's X25519 public key (hex)")


class TaskSpec(SpecSection):
    """A complete task spec (format version 1). `privacy` is optional: absent, the task is public.
    `execution` is optional: absent, the task trains on the CPU.
    `program` (framework `torch`, model kind `program`) trains a requester's own program; `init`
    starts the model from stored weights, `base_model` from a model of the library (one or the
    other: `nnc.task.program_spec`). All optional: absent, they are absent from the canonical form
    too, so a spec without them keeps its digest.
    `inference` makes it an inference task (`nnc.task.inference_spec`): it runs the model over
    the dataset instead of training it, so it has neither `training` nor `acceptance`, which
    every other spec must have.
    `parallel` has several nodes train it together in rounds (`nnc.task.parallel_spec`)."""

    version: int = SPEC_VERSION
    name: str = Field(min_length=1, max_length=200)
    framework: Framework
    model: AnyModelSpec
    dataset: DatasetSpec
    training: TrainingSpec | None = None
    acceptance: AcceptanceSpec | None = None
    determinism: DeterminismSpec
    execution: ExecutionSpec | None = None
    privacy: PrivacySpec | None = None
    program: ProgramSpec | None = None
    init: InitSpec | None = None
    base_model: BaseModelSpec | None = None
    library: LibrarySpec | None = None  # how the model library lists the model (nnc.task.library_spec)
    inference: InferenceSpec | None = None
    parallel: ParallelSpec | None = None  # several nodes train it together (nnc.task.parallel_spec)

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

    @property
    def device(self) -> Device:
        """The spec's `execution.device` (`cpu` when the section is absent)."""
        return "cpu" if self.execution is None else self.execution.device

    @property
    def starts_from_weights(self) -> bool:
        """Whether the model starts from given weights (`init` or `base_model`), which a node fetches
        before training and hands to the runtime as `ProgramFiles.init`."""
        return self.init is not None or self.base_model is not None

    @property
    def is_inference(self) -> bool:
        """Whether the spec is an inference task (it has an `inference` section)."""
        return self.inference is not None

    @property
    def schedule(self) -> TrainingSpec:
        """The `training` section; `TaskSpecError` for an inference task, which trains nothing."""
        if self.training is None:
            raise TaskSpecError(f"{self.name!r} is an inference task: it has no training schedule")
        return self.training

    @property
    def goal(self) -> AcceptanceSpec:
        """The `acceptance` section; `TaskSpecError` for an inference task, which has none."""
        if self.acceptance is None:
            raise TaskSpecError(f"{self.name!r} is an inference task: it has no acceptance threshold")
        return self.acceptance

    @model_validator(mode="after")
    def _check_kind(self) -> TaskSpec:
        """A training task has `training` and `acceptance`; an inference task neither."""
        if self.inference is None:
            missing = [name for name in ("training", "acceptance") if getattr(self, name) is None]
            if missing:
                raise PydanticCustomError(
                    "training_sections_missing", "a training task needs {missing} (only an inference task, with "
                    "an `inference` section, goes without)", {"missing": " and ".join(missing)})
        else:
            extra = [name for name in ("training", "acceptance") if getattr(self, name) is not None]
            if extra:
                raise PydanticCustomError(
                    "inference_with_training", "an inference task trains nothing: drop {extra} (or the "
                    "`inference` section)", {"extra": " and ".join(extra)})
        return self

    @model_validator(mode="after")
    def _check_framework(self) -> TaskSpec:
        if self.init is not None and self.base_model is not None:
            raise PydanticCustomError("init_and_base_model", "a spec starts from init weights or from a base_model, "
                                      "not both (`init` names a stored file, `base_model` a model of the library)")
        if self.inference is not None:
            problem: str | None = self._inference_problem()
            if problem is not None:
                raise PydanticCustomError("framework_mismatch", "framework '{framework}' {problem}",
                                          {"framework": self.framework, "problem": problem})
            return self
        if self.acceptance is None:
            return self  # `_check_kind` names what is missing
        rule = FRAMEWORK_RULES[self.framework]
        lora = getattr(self.model, "lora", None) is not None
        problem = None
        if self.program is not None or isinstance(self.model, ProgramModelSpec):
            problem = self._program_problem()
        elif self.dataset.name == CUSTOM_DATASET:
            problem = "cannot read dataset 'custom' (only a task's own program does: name one in `program`)"
        elif self.starts_from_weights and self.framework not in INIT_FRAMEWORKS:
            what = "init weights" if self.init is not None else "a base_model"
            problem = f"cannot start from {what} (frameworks that can: {', '.join(sorted(INIT_FRAMEWORKS))})"
        elif self.model.kind not in rule.kinds:
            problem = f"needs model.kind {' or '.join(repr(k) for k in sorted(rule.kinds))}"
        elif dataset_kind(self.dataset.name) != KIND_DATASETS.get(self.model.kind, rule.dataset):
            problem = f"needs a {KIND_DATASETS.get(self.model.kind, rule.dataset)} dataset"
        elif self.acceptance.metric != KIND_METRICS.get(self.model.kind, rule.metric):
            problem = f"needs acceptance.metric {KIND_METRICS.get(self.model.kind, rule.metric)!r}"
        elif rule.lora is True and not lora:
            problem = "needs a model.lora section (it trains adapters)"
        elif rule.lora is False and lora:
            problem = "cannot train a model.lora section (use framework 'peft' or 'diffusers')"
        elif self.framework in ("jax", "tensorflow") and self.device != "cpu":
            problem = f"trains on the CPU only (execution.device 'cpu', not {self.device!r})"
        elif (isinstance(self.model, FaceEmbeddingSpec) and self.dataset.uri is None
              and self.model.identities < DATASET_SHAPES[self.dataset.name].n_classes):
            problem = (f"needs model.identities of at least {DATASET_SHAPES[self.dataset.name].n_classes}, the "
                       f"identities of {self.dataset.name!r}")
        elif isinstance(self.model, UNetSpec):
            _, height, width = DATASET_SHAPES[self.dataset.name].input_shape
            if height % 2 ** (len(self.model.channels) - 1) or width % 2 ** (len(self.model.channels) - 1):
                problem = f"cannot halve {height}x{width} images {len(self.model.channels) - 1} times"
        if problem is not None:
            raise PydanticCustomError("framework_mismatch", "framework '{framework}' {problem}",
                                      {"framework": self.framework, "problem": problem})
        return self

    @model_validator(mode="after")
    def _check_parallel(self) -> TaskSpec:
        """A `parallel` task trains a torch `Program` on the CPU, `inner_steps × rounds` steps per node."""
        if self.parallel is None:
            return self
        parallel, problem = self.parallel, None
        if self.inference is not None:
            problem = "an inference task trains nothing: drop `parallel` (or the `inference` section)"
        elif self.framework in ("jax", "tensorflow"):
            problem = (f"framework {self.framework!r} trains no torch Program: parallel rounds need torch, "
                       "transformers, peft or diffusers")
        elif self.device != "cpu":
            problem = f"parallel rounds train on the CPU only for now (execution.device 'cpu', not {self.device!r})"
        elif self.training is not None and self.training.steps != parallel.inner_steps * parallel.rounds:
            problem = (f"training.steps ({self.training.steps}) must equal parallel.inner_steps × parallel.rounds "
                       f"({parallel.inner_steps} × {parallel.rounds} = {parallel.inner_steps * parallel.rounds}): "
                       "the steps each node trains")
        elif self.training is not None and self.training.batch_size % parallel.processes:
            problem = (f"training.batch_size ({self.training.batch_size}) must split evenly over "
                       f"parallel.processes ({parallel.processes}): each of a node's processes trains "
                       "batch_size / processes samples a step")
        if problem is not None:
            raise PydanticCustomError("parallel_mismatch", "parallel: {problem}", {"problem": problem})
        return self

    def _inference_problem(self) -> str | None:
        """What is wrong with an inference spec: its weights, model kind and outputs must fit."""
        assert self.inference is not None
        outputs = self.inference.outputs
        if not self.starts_from_weights:
            return "cannot run a model without weights: an inference task needs `init` or `base_model`"
        if self.program is not None or isinstance(self.model, ProgramModelSpec):
            return self._program_problem()
        if self.framework not in INIT_FRAMEWORKS:
            return f"cannot load given weights (frameworks that can: {', '.join(sorted(INIT_FRAMEWORKS))})"
        if self.dataset.name == CUSTOM_DATASET:
            return "cannot read dataset 'custom' (only a task's own program does: name one in `program`)"
        if outputs in ("logits", "classes") and self.model.kind not in ("mlp", "cnn"):
            return f"cannot give {outputs} of model.kind {self.model.kind!r} (a classifier does: 'mlp' or 'cnn')"
        if outputs in ("logits", "classes") and dataset_kind(self.dataset.name) != "classification":
            return f"cannot classify the text dataset {self.dataset.name!r} (a classification dataset holds the inputs)"
        if outputs == "tokens" and (self.framework != "transformers" or not isinstance(self.model, TextLMSpec)):
            return "cannot generate tokens (framework 'transformers' with a model.kind 'causal-lm' or 'rwkv' does)"
        if outputs == "tokens" and dataset_kind(self.dataset.name) != "text":
            return f"generates from the lines of a text dataset, not {self.dataset.name!r}"
        if isinstance(self.model, TextLMSpec) and (self.inference.max_new_tokens or 0) >= self.model.context:
            return (f"cannot generate {self.inference.max_new_tokens} tokens within a context of "
                    f"{self.model.context} (leave room for the prompt)")
        return None

    def _program_problem(self) -> str | None:
        """What is wrong with a program spec: it trains a torch `Program` whose model is `program`
        (dataset kind and metric are the program's own business)."""
        if self.program is None:
            return "needs a program section for model.kind 'program'"
        if not isinstance(self.model, ProgramModelSpec):
            return f"trains a program's own model: model.kind must be 'program', not {self.model.kind!r}"
        if self.framework != "torch":
            return "cannot run a program (programs run on framework 'torch'; name other packages in program.requires)"
        return None


_MODEL_KINDS: Final = frozenset({"mlp", "cnn", "causal-lm", "rwkv", "unet", "program", "face-embedding", "whisper",
                          "conv3d"})


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
    if len(loc) > 1 and loc[0] == "model" and loc[1] in _MODEL_KINDS:  # the union's tag: not a field
        loc = (loc[0], *loc[2:])
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
        loc, given = item["loc"], item["input"]
        if item["type"] in ("union_tag_invalid", "union_tag_not_found") and isinstance(given, Mapping):
            loc, given = (*loc, "kind"), given.get("kind")  # the model's kind names the wrong thing
        line = f"{source}: {_format_loc(loc)}: {item['msg']}"
        if item["type"] not in ("missing", "union_tag_not_found"):
            line += f" (got {_format_input(given)})"
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


_OPTIONAL_SECTIONS: Final = ("execution", "privacy", "program", "init", "base_model", "library", "inference",
                             "training", "acceptance", "parallel")
"""Sections absent from the canonical form when absent from the spec (older specs keep their digest)."""


def canonical_json(spec: TaskSpec) -> bytes:
    """The spec as canonical JSON: every field (defaults included; an absent optional section such
    as `privacy`, `execution`, `program`, `init`, `base_model`, `library`, `inference` or `parallel`, or an
    inference task's absent `training` and `acceptance`, stays absent, so a spec written before a
    section existed keeps its digest; so does an inference section's absent `sampling`), keys
    sorted, no whitespace, UTF-8.

    Numbers are written as Python's `json` writes them (floats by their shortest repr), so the
    bytes are a pure function of the validated spec.
    """
    absent: dict[str, Any] = {name: True for name in _OPTIONAL_SECTIONS if getattr(spec, name) is None}
    if spec.inference is not None and spec.inference.sampling is None:
        absent["inference"] = {"sampling": True}  # greedy inference specs keep their digest
    document = spec.model_dump(mode="json", exclude=absent or None)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def spec_digest(spec: TaskSpec) -> bytes:
    """The spec's identity: SHA-256 (32 bytes) of `canonical_json(spec)`."""
    return hashlib.sha256(canonical_json(spec)).digest()

