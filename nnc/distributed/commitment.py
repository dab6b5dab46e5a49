"""What a node commits for a round: its delta and its end inner state, bound in one digest.

The round book's `commit(round, deltaDigest, startDigest, deltaURI)` is unchanged; its fields
mean, since the inner optimizer state is carried across rounds (`nnc.distributed.inner_state`):

- `deltaDigest` = `round_commitment(delta_sha256, state_sha256)` =
  SHA-256(b"nnc-round-v1" ‖ delta SHA-256 ‖ state SHA-256), the two 32-byte raw digests of the
  delta's and the end state's canonical bytes (`tensor_bytes`);
- `deltaURI` = the URI of the round's manifest, a small canonical JSON document stored
  content-addressed: `{"delta_sha256", "delta_uri", "state_sha256", "state_uri", "version": 1}`
  (hex digests, keys sorted, no whitespace: `RoundManifest.to_bytes`).

A node averaging a round fetches the manifest and the delta (`fetch_round`), checks the delta's
bytes against the manifest and the manifest's binding against the commitment; a verifier fetches
the state too (`with_state=True`). The state is read only for replays, so its upload may lag the
commitment without slowing the round.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from nnc.distributed.tensors import tensor_bytes, tensors_from_bytes
from nnc.errors import TrainingError
from nnc.storage.base import Store

ROUND_DOMAIN = b"nnc-round-v1"
MANIFEST_VERSION = 1


def round_commitment(delta_sha256: str, state_sha256: str) -> bytes:
    """The 32-byte digest a node commits for a round: SHA-256(b"nnc-round-v1" ‖ delta digest ‖
    state digest), the digests given in hex (SHA-256 of `tensor_bytes`)."""
    try:
        delta, state = bytes.fromhex(delta_sha256), bytes.fromhex(state_sha256)
    except ValueError:
        raise TrainingError(f"round digests must be hex SHA-256, not {delta_sha256!r} and {state_sha256!r}") from None
    if len(delta) != 32 or len(state) != 32:
        raise TrainingError(f"round digests must be 32 bytes, not {len(delta)} and {len(state)}")
    return hashlib.sha256(ROUND_DOMAIN + delta + state).digest()


@dataclass(frozen=True)
class RoundManifest:
    """Where a round's delta and end state are, and their SHA-256 (hex)."""

    delta_uri: str
    delta_sha256: str
    state_uri: str
    state_sha256: str

    @property
    def commitment(self) -> bytes:
        """`round_commitment` of the manifest's digests: what the node committed on chain."""
        return round_commitment(self.delta_sha256, self.state_sha256)

    def to_bytes(self) -> bytes:
        """The canonical JSON bytes (see the module's notes)."""
        document = {"delta_sha256": self.delta_sha256, "delta_uri": self.delta_uri,
                    "state_sha256": self.state_sha256, "state_uri": self.state_uri, "version": MANIFEST_VERSION}
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "the round manifest") -> RoundManifest:
        """The manifest in `data`; `TrainingError` naming `what` when it is not one (not canonical
        JSON of the version-1 fields)."""
        try:
            document: Any = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TrainingError(f"{what} is not JSON: {exc}") from None
        fields = ("delta_sha256", "delta_uri", "state_sha256", "state_uri")
        if not isinstance(document, dict) or sorted(document) != sorted((*fields, "version")):
            raise TrainingError(f"{what} is not a round manifest (keys {', '.join(fields)}, version)")
        if document["version"] != MANIFEST_VERSION or not all(isinstance(document[f], str) for f in fields):
            raise TrainingError(f"{what} is not a version-{MANIFEST_VERSION} round manifest of strings")
        manifest = cls(document["delta_uri"], document["delta_sha256"], document["state_uri"],
                       document["state_sha256"])
        manifest.commitment  # noqa: B018 - raises TrainingError on digests that are not 32-byte hex
        if manifest.to_bytes() != data:
            raise TrainingError(f"{what} is not in canonical form")
        return manifest


def publish_round(store: Store, delta: Mapping[str, torch.Tensor],
                  state: Mapping[str, torch.Tensor]) -> tuple[str, RoundManifest]:
    """Stores the delta's and the state's canonical bytes and the manifest naming them; returns
    the manifest's URI (the `deltaURI` to commit) and the manifest (`.commitment`: the digest)."""
    delta_blob, state_blob = tensor_bytes(delta), tensor_bytes(state)
    manifest = RoundManifest(store.put_bytes(delta_blob), hashlib.sha256(delta_blob).hexdigest(),
                             store.put_bytes(state_blob), hashlib.sha256(state_blob).hexdigest())
    return store.put_bytes(manifest.to_bytes()), manifest


@dataclass(frozen=True)
class FetchedRound:
    """A committed round read back: its manifest, delta and (when asked for) end state."""

    manifest: RoundManifest
    delta: dict[str, torch.Tensor]
    state: dict[str, torch.Tensor] | None


def fetch_round(store: Store, manifest_uri: str, committed: bytes, *, with_state: bool = False,
                what: str = "the round") -> FetchedRound:
    """The manifest at `manifest_uri`, the delta it names (and its state with `with_state`), each
    checked: the manifest's binding against `committed` (the on-chain digest), the bytes against
    the manifest's digests. `TrainingError` naming `what` when a check fails or a blob is not
    tensors (every honest reader of the same commitment fails alike); the store's own errors
    (unreachable, content not matching its URI) propagate."""
    manifest = RoundManifest.from_bytes(store.get_bytes(manifest_uri), f"{what}'s manifest at {manifest_uri}")
    if manifest.commitment != committed:
        raise TrainingError(f"{what}'s manifest at {manifest_uri} binds 0x{manifest.commitment.hex()}, the node "
                            f"committed 0x{committed.hex()}")
    delta = _fetch_tensors(store, manifest.delta_uri, manifest.delta_sha256, f"{what}'s delta")
    state = _fetch_tensors(store, manifest.state_uri, manifest.state_sha256, f"{what}'s state") if with_state else None
    return FetchedRound(manifest, delta, state)


def _fetch_tensors(store: Store, uri: str, sha256: str, what: str) -> dict[str, torch.Tensor]:
    blob = store.get_bytes(uri)
    if hashlib.sha256(blob).hexdigest() != sha256:
        raise TrainingError(f"{what} at {uri} is not the manifest's 0x{sha256}")
    return tensors_from_bytes(blob, f"{what} at {uri}")
