"""A trainer's evidence for spot-checks: its checkpoint files and model, stored content-addressed.

The bundle is a JSON manifest `{"format": 1, "model": uri, "checkpoints": {step: uri}}`; for a
spot-checked task the trainer submits the manifest's URI as its result URI. Every file is
hash-checked by the store on the way back.
"""

from __future__ import annotations

import json
from pathlib import Path

from nnc.errors import VerificationError
from nnc.storage import Store
from nnc.training import list_checkpoints
from nnc.training.checkpoints import checkpoint_path

BUNDLE_FORMAT = 1


def publish_bundle(store: Store, workdir: Path, model_path: Path) -> str:
    """Uploads every checkpoint in `workdir` and the model; returns the manifest's URI."""
    checkpoints = {str(step): store.put_file(path) for step, path in list_checkpoints(workdir)}
    manifest = {"format": BUNDLE_FORMAT, "model": store.put_file(model_path), "checkpoints": checkpoints}
    return store.put_bytes(json.dumps(manifest, sort_keys=True).encode())


def is_bundle(data: bytes) -> bool:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == BUNDLE_FORMAT


def model_uri_of(data: bytes) -> str:
    """The model URI inside a manifest."""
    return str(json.loads(data)["model"])


def fetch_bundle(store: Store, uri: str, dest: Path) -> tuple[Path, Path]:
    """Downloads a bundle into `dest` in the trainer's layout; returns (workdir, model path)."""
    data = store.get_bytes(uri)
    if not is_bundle(data):
        raise VerificationError(f"{uri} is not a checkpoint bundle (format {BUNDLE_FORMAT})")
    manifest = json.loads(data)
    for step, file_uri in manifest["checkpoints"].items():
        target = checkpoint_path(dest, int(step))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get_bytes(str(file_uri)))
    model_path = dest / "model.pt"
    model_path.write_bytes(store.get_bytes(str(manifest["model"])))
    return dest, model_path
