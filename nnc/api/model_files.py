"""What the web app fetches of a library model through the API: its spec (to fine-tune it or run
it) and its file, checked against the registered digest before it is sent.

The registry commits to the digest of the model's weights rounded as its spec rounds them (or to
a zero-knowledge agreement tag of it), which a browser cannot recompute. The server checks the
file with `nnc.library.fetch_library_model`, as `nnc model get` does, and sends the bytes with
their SHA-256, which the browser checks on what it receives.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError, UnprocessableError
from nnc.api.responses.models import ModelSpec
from nnc.chain.models import Models
from nnc.errors import IntegrityError, TaskSpecError
from nnc.library import fetch_library_model, model_spec
from nnc.task import TaskSpec, canonical_json, dataset_kind, spec_digest

REGISTRY = "ModelRegistry"


@dataclass(frozen=True)
class CheckedFile:
    """A model's file as the library checked it: its bytes, their SHA-256 and the registered digest."""

    model_id: int
    data: bytes
    sha256: str
    model_digest: str


def check_model_id(ctx: ApiContext, model_id: int) -> None:
    """NotFoundError unless the registry lists `model_id`."""
    count = Models(ctx.client).count() if ctx.has(REGISTRY) else 0
    if not 1 <= model_id <= count:
        raise NotFoundError(f"unknown model {model_id} (registered models: {f'1..{count}' if count else 'none'})")


def get_model_spec(ctx: ApiContext, model_id: int) -> ModelSpec:
    """The spec model `model_id` was trained (or verified) with, checked against its spec digest,
    and how many inputs its dataset holds when that is known here (a bundled dataset)."""
    check_model_id(ctx, model_id)
    try:
        spec = model_spec(ctx.client, ctx.store, Models(ctx.client).model(model_id))
    except TaskSpecError as exc:
        raise UnprocessableError(str(exc)) from None
    return {"model_id": model_id, "spec": json.loads(canonical_json(spec)),
            "spec_digest": "0x" + spec_digest(spec).hex(), "dataset_inputs": bundled_inputs(spec)}


def bundled_inputs(spec: TaskSpec) -> int | None:
    """How many samples the spec's bundled classification dataset holds (None: the requester's
    own data, a text corpus, or a training spec this server cannot load)."""
    if spec.dataset.uri or dataset_kind(spec.dataset.name) != "classification" or spec.training is None:
        return None
    from nnc.training.data import load_data  # torch and the bundled sets: only when asked

    try:
        data = load_data(spec)
    except (TaskSpecError, ValueError):
        return None
    return data.n_train + len(data.eval_y)


def get_model_file(ctx: ApiContext, model_id: int) -> CheckedFile:
    """Model `model_id`'s file, its weights checked against the registered digest (cached by
    digest under the API's data directory). 422 for a sealed model or one whose file does not
    match its digest (the message names both digests)."""
    check_model_id(ctx, model_id)
    try:
        model = fetch_library_model(ctx.client, ctx.store, model_id, ctx.settings.data_dir / "api-cache")
    except IntegrityError as exc:
        raise UnprocessableError(f"model {model_id}'s file does not match its registered digest: {exc}") from None
    except TaskSpecError as exc:
        raise UnprocessableError(str(exc)) from None
    data = model.path.read_bytes()
    return CheckedFile(model_id, data, hashlib.sha256(data).hexdigest(), "0x" + model.digest.hex())


__all__ = ["CheckedFile", "bundled_inputs", "get_model_file", "get_model_spec"]
