"""Storing what the browser uploads: task specs (validated, stored canonical), datasets, node profiles,
model review documents.

Nothing here signs or sends a transaction: the browser gets back the URI and digest it needs and
publishes (or registers) with the user's wallet.
"""

from __future__ import annotations

import hashlib
import json
from typing import IO, Any, Final, get_args

from nnc.api.errors import InvalidInputError, PayloadTooLargeError, UnprocessableError
from nnc.api.responses import Upload, UploadKind, UploadTarget, Validation
from nnc.errors import TaskSpecError
from nnc.node.profile import hardware_class, profile_digest, profile_from_json
from nnc.settings import Settings
from nnc.storage import Store
from nnc.task import canonical_json, compute_units, parse_spec, spec_digest

KiB: Final = 1024
MiB: Final = 1024 * KiB
LIMITS: Final[dict[UploadKind, int]] = {"spec": 256 * KiB, "profile": 64 * KiB, "dataset": 16 * MiB,
                                         "review": 16 * KiB}
"""Largest upload of each kind, in bytes; the app's MAX_CONTENT_LENGTH sits just above the largest."""
KINDS: Final[tuple[UploadKind, ...]] = get_args(UploadKind)
CHUNK: Final = 64 * KiB
DIRECT_CHUNK: Final = 8 * MiB
"""Chunk size of the browser's uploads straight to the storage node."""


def parse_kind(raw: str) -> UploadKind:
    """The `kind` of an upload, one of KINDS."""
    for kind in KINDS:
        if raw == kind:
            return kind
    raise InvalidInputError(f"kind must be one of {', '.join(KINDS)} (got {raw[:40]!r})")


def store_upload(store: Store, kind: UploadKind, data: bytes) -> Upload:
    """Stores an uploaded file of `kind` (a spec or profile only once it checks out)."""
    if kind == "spec":
        return store_spec(store, data)
    if kind == "profile":
        return store_profile(store, data)
    if kind == "review":
        return store_review(store, data)
    return store_dataset(store, data)


def upload_target(settings: Settings) -> UploadTarget:
    """Where the browser uploads large datasets: the storage node's Kubo RPC API (`ipfs_upload_url`,
    else `ipfs_api_url`, else `storage_url` when it names IPFS). A URL with credentials in it is
    never handed out (the browser would see them): then there is no target."""
    url = settings.ipfs_upload_url or settings.ipfs_api_url
    if url is None and (settings.storage_url or "").startswith(("ipfs+http://", "ipfs+https://")):
        url = (settings.storage_url or "").split("+", 1)[1]
    if url is not None and "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        url = None
    return {"url": url.rstrip("/") if url else None, "chunk_bytes": DIRECT_CHUNK, "api_limit_bytes": LIMITS["dataset"]}


def read_bounded(stream: IO[bytes], kind: UploadKind) -> bytes:
    """Reads an upload, refusing it as soon as it passes its kind's limit."""
    limit = LIMITS[kind]
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(kind, size, limit)
        chunks.append(chunk)
    if size == 0:
        raise InvalidInputError(f"{kind} upload is empty")
    return b"".join(chunks)


def store_spec(store: Store, document: bytes | dict[str, Any]) -> Upload:
    """Validates a task spec, stores its canonical JSON; returns URI, digest and cost."""
    if isinstance(document, bytes) and len(document) > LIMITS["spec"]:
        raise PayloadTooLargeError("spec", len(document), LIMITS["spec"])
    spec = _parse(document)
    data = canonical_json(spec)
    uri = store.put_bytes(data)
    return {"kind": "spec", "uri": uri, "spec_digest": "0x" + spec_digest(spec).hex(),
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "compute_units": compute_units(spec),
            "name": spec.name}


def validate_spec(document: dict[str, Any]) -> Validation:
    """Checks a spec without storing it: its digest and cost, or every problem found."""
    try:
        spec = parse_spec(document, source="spec")
    except TaskSpecError as exc:
        return {"valid": False, "problems": str(exc).splitlines()}
    return {"valid": True, "problems": [], "spec_digest": "0x" + spec_digest(spec).hex(),
            "compute_units": compute_units(spec)}


def store_dataset(store: Store, data: bytes) -> Upload:
    uri = store.put_bytes(data)
    return {"kind": "dataset", "uri": uri, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def store_profile(store: Store, data: bytes) -> Upload:
    """Checks a hardware profile document (as `nnc` writes it); returns the digest to register."""
    try:
        profile = profile_from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise UnprocessableError(f"not a hardware profile document: {exc.__class__.__name__}: {exc}") from None
    uri = store.put_bytes(data)
    return {"kind": "profile", "uri": uri, "profile_digest": "0x" + profile_digest(profile).hex(),
            "hardware_class": hardware_class(profile), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


REVIEW_KEYS: Final = {"version": int, "model": int, "stars": int, "review": str}


def parse_review(data: bytes) -> dict[str, Any]:
    """A model review document: JSON {"version": 1, "model": id, "stars": 1..5, "review": text}, as
    the web app and `nnc model rate` write it; UnprocessableError naming what is wrong otherwise."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnprocessableError(f"a review document must be JSON: {exc}") from None
    if not isinstance(document, dict) or set(document) != set(REVIEW_KEYS):
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise UnprocessableError(f"a review document holds exactly {', '.join(REVIEW_KEYS)} (got {keys})")
    for key, kind in REVIEW_KEYS.items():
        if not isinstance(document[key], kind) or isinstance(document[key], bool):
            raise UnprocessableError(f"review {key} must be {kind.__name__} (got {document[key]!r:.40})")
    if document["version"] != 1 or not 1 <= document["stars"] <= 5 or document["model"] < 1:
        raise UnprocessableError("review: version must be 1, stars 1..5 and model a model id "
                                 f"(got {document['version']}, {document['stars']}, {document['model']})")
    return document


def store_review(store: Store, data: bytes) -> Upload:
    parse_review(data)
    uri = store.put_bytes(data)
    return {"kind": "review", "uri": uri, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _parse(document: bytes | dict[str, Any]) -> Any:
    try:
        return parse_spec(document, source="spec")
    except TaskSpecError as exc:
        raise UnprocessableError(str(exc)) from None
