"""A submitted result's model as the chain committed to it: fetched (through a spot-check bundle
to the model it names), loaded, and digested as the task committed (the model digest, or for a
task whose results were proven in zero knowledge, the agreement tag of that digest)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from nnc.errors import DecryptionError, StorageError
from nnc.storage import Store
from nnc.storage.crypto import MAGIC, decrypt_stream
from nnc.training import model_digest
from nnc.verification.bundle import is_bundle, model_uri_of
from nnc.zk import agreement_tag


@dataclass(frozen=True)
class ResultModel:
    uri: str  # the model file's own URI (the bundle's model, for a spot-checked task)
    data: bytes
    weights: dict[str, torch.Tensor]


def fetch_result_model(store: Store, uri: str, key: X25519PrivateKey | None = None) -> ResultModel:
    """The model at `uri`, or the one a spot-check bundle at `uri` names, loaded on the CPU; a
    sealed model file (`nnc.storage.crypto`) is decrypted with `key` (`data` is then the plain
    file). Raises `DecryptionError` for a sealed file without a key, or a key it was not sealed to."""
    data = store.get_bytes(uri)
    if is_bundle(data):  # a spot-checked task's result: checkpoints and model
        uri = model_uri_of(data)
        data = store.get_bytes(uri)
    if data.startswith(MAGIC):
        if key is None:
            raise DecryptionError(f"{uri} is sealed (encrypted to its owners' keys): it needs the private key "
                                  "of one of them")
        plain = io.BytesIO()
        decrypt_stream(io.BytesIO(data), plain, key)
        data = plain.getvalue()
    try:
        weights = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for bytes that are no model file
        raise StorageError(f"{uri} is not a model file torch can load: {exc}") from None
    return ResultModel(uri, data, weights)


def committed_digest(weights: Mapping[str, torch.Tensor], decimals: int, tag_key: int | None) -> bytes:
    """What the chain holds for these weights: their model digest, or with `tag_key` (a task's
    statement key, `Market.agreement_key`) the agreement tag the nodes of that task proved for it."""
    digest = model_digest(weights, decimals)
    if tag_key is not None:
        digest = agreement_tag(tag_key, digest).to_bytes(32, "big")
    return digest
