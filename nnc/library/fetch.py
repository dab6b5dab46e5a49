"""Fetching a model of the library: read its listing, fetch its file (through a spot-check bundle
when the listing names one), decrypt it when it is sealed and a key is given, and check its
weights against the registered model digest, rounded as the spec it was trained with rounds them
(or, for a task proven in zero knowledge, the agreement tag of that digest). A listing's digest
and URI never change, so a model id pins its weights; a checked file is cached under
`cache_dir/library/<model digest>.pt` and re-checked whenever it is loaded.
"""

from __future__ import annotations

import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.chain.models import Models, ModelView, Visibility
from nnc.errors import IntegrityError, StorageError, TaskSpecError
from nnc.storage import Store
from nnc.task import DATASET_SHAPES, ProgramModelSpec, TaskSpec, parse_spec, spec_digest
from nnc.task.publish import published_spec
from nnc.training.program_package import ProgramFiles, fetch_program_files
from nnc.verification.result import committed_digest, fetch_result_model


class LibraryModelError(TaskSpecError):
    """A library model cannot be used as asked: not listed, sealed, or not a model the spec can start from."""


@dataclass(frozen=True)
class LibraryModel:
    """A registered model, fetched and checked: its listing, the spec its digest was made with
    (which also builds it), its plain model file in the cache, and its weights on the CPU."""

    model: ModelView
    spec: TaskSpec
    path: Path
    weights: dict[str, torch.Tensor]

    @property
    def digest(self) -> bytes:
        return self.model.model_digest


def model_spec(client: ChainClient, store: Store, m: ModelView) -> TaskSpec:
    """The spec whose digest rounding the model's digest was made with: the verifying task's, else
    the lister's spec URI (checked against the registered spec digest when there is one)."""
    if m.verified_by:
        return published_spec(Market(client), store, m.verified_by)[1]
    if not m.metadata.spec_uri:
        raise TaskSpecError(f"model {m.model_id} has no task and no spec URI: its digest's rounding is unknown")
    spec = parse_spec(store.get_bytes(m.metadata.spec_uri), source=f"model {m.model_id}'s spec")
    if any(m.spec_digest) and spec_digest(spec) != m.spec_digest:
        raise TaskSpecError(f"model {m.model_id}'s spec at {m.metadata.spec_uri} does not match its spec digest")
    return spec


def _listing(client: ChainClient, model_id: int) -> ModelView:
    models = Models(client)
    count = models.count()
    if not 1 <= model_id <= count:
        listed = f"its models are 1..{count}" if count else "it lists no model yet"
        raise LibraryModelError(f"model {model_id} is not in the library ({listed})")
    return models.model(model_id)


def _load(data: bytes, where: str) -> dict[str, torch.Tensor]:
    try:
        weights: Any = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for bytes that are no model file
        raise StorageError(f"{where} is not a model file torch can load: {exc}") from None
    return dict(weights)


def fetch_library_model(client: ChainClient, store: Store, model_id: int, cache_dir: Path,
                        key: X25519PrivateKey | None = None) -> LibraryModel:
    """Registered model `model_id`, its weights checked against its listed digest.

    `cache_dir/library/<digest>.pt` keeps the checked plain file, so a model is downloaded once
    per cache (and again if the cached file no longer checks); `key` (an owner's X25519 private
    key) opens a sealed model. Raises `LibraryModelError` for an id the registry does not list
    or a sealed model without a key, `DecryptionError` for a key the model was not sealed to, and
    `IntegrityError` (naming both digests) when the weights are not the listed ones. Unverified
    (shared) models are fetched too: their digest is the sharer's, checked the same way.
    """
    m = _listing(client, model_id)
    if m.visibility == Visibility.SEALED and key is None:
        raise LibraryModelError(f"model {model_id} is sealed: its file is encrypted to its owners' keys (give the "
                                "X25519 private key of one of them to open it)")
    spec = model_spec(client, store, m)
    tag_key = Market(client).agreement_key(m.task_id) if m.task_id else None
    cached = cache_dir / "library" / f"{m.model_digest.hex()}.pt"

    def checked(uri: str, data: bytes) -> dict[str, torch.Tensor]:
        weights = _load(data, uri)
        digest = committed_digest(weights, spec.determinism.digest_decimals, tag_key)
        if digest != m.model_digest:
            raise IntegrityError(uri, f"0x{m.model_digest.hex()} (model {model_id}'s registered digest)",
                                 f"0x{digest.hex()}: refusing to use it")
        return weights

    if cached.is_file():
        try:
            return LibraryModel(m, spec, cached, checked(str(cached), cached.read_bytes()))
        except (StorageError, OSError):  # a damaged cache (IntegrityError is a StorageError): fetched again
            cached.unlink(missing_ok=True)
    result = fetch_result_model(store, m.metadata.model_uri, key)
    weights = checked(result.uri, result.data)
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cached.parent, prefix=".fetch-", delete=False) as handle:
        handle.write(result.data)
    Path(handle.name).replace(cached)
    return LibraryModel(m, spec, cached, weights)


def _architecture(spec: TaskSpec) -> dict[str, Any]:
    """What must match for one spec's weights to load into another's model: the model section
    without its adapters, and a classifier's input shape and classes."""
    shape = DATASET_SHAPES.get(spec.dataset.name)
    return {"model": spec.model.model_dump(mode="json", exclude={"lora"}),
            "shape": None if shape is None or spec.model.kind == "causal-lm" else
            [list(shape.input_shape), shape.n_classes]}


def _describe(architecture: dict[str, Any]) -> str:
    text = json.dumps(architecture["model"], sort_keys=True, separators=(",", ":"))
    shape = architecture["shape"]
    return text if shape is None else f"{text} for {'x'.join(map(str, shape[0]))} inputs and {shape[1]} classes"


def check_base(spec: TaskSpec, model_id: int, base: TaskSpec) -> None:
    """Raises `LibraryModelError` when model `model_id`, made by spec `base`, cannot be the
    starting point of `spec`'s model: a LoRA's adapters alone (no whole model), or another
    architecture (a program's model is checked by the program when it loads the weights)."""
    if getattr(base.model, "lora", None) is not None:
        raise LibraryModelError(f"{spec.name!r}: base_model {model_id} holds LoRA adapters only (trained with "
                                f"framework {base.framework!r}); a base_model must be a whole model")
    if isinstance(spec.model, ProgramModelSpec) or isinstance(base.model, ProgramModelSpec):
        return
    mine, theirs = _architecture(spec), _architecture(base)
    if mine != theirs:
        raise LibraryModelError(f"{spec.name!r}: base_model {model_id}'s weights would not fit this spec's model: it "
                                f"is {_describe(theirs)}, this spec's is {_describe(mine)}")


def fetch_task_files(spec: TaskSpec, client: ChainClient, store: Store, cache: Path,
                     key: X25519PrivateKey | None = None) -> ProgramFiles:
    """Everything `spec` names beyond its dataset, fetched and checked, for `runtime_for`: its
    program package and `init` weights (`fetch_program_files`), or its `base_model`'s file
    (`fetch_library_model`, which caches it under `cache`; `key` opens a sealed one) as the
    weights its model starts from."""
    files = fetch_program_files(spec, store, cache)
    base = fetch_base_model(spec, client, store, cache, key)
    return files if base is None else ProgramFiles(files.package, base.path)


def fetch_base_model(spec: TaskSpec, client: ChainClient, store: Store, cache: Path,
                     key: X25519PrivateKey | None = None) -> LibraryModel | None:
    """`spec`'s `base_model` fetched and checked (`fetch_library_model`), and checked to be a
    start for the spec's model (`check_base`); None for a spec without one."""
    if spec.base_model is None:
        return None
    base = fetch_library_model(client, store, spec.base_model.id, cache, key)
    check_base(spec, spec.base_model.id, base.spec)
    return base


def check_base_model(client: ChainClient, store: Store, spec: TaskSpec) -> None:
    """What can be checked of `spec`'s `base_model` without its file (before publishing): that the
    library lists it, and that it can be the start of the spec's model (`check_base`)."""
    if spec.base_model is None:
        return
    m = _listing(client, spec.base_model.id)
    check_base(spec, m.model_id, model_spec(client, store, m))
