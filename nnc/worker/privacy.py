"""Private tasks on the node's side: the node's X25519 key, encrypted datasets, sealed models.

A node keeps an X25519 key next to its state (or at settings `encryption_key_file`) and registers
its public half in the node registry, where requesters find it. A private task's dataset may be
stored encrypted to the nodes the requester chose: a node that is not among its recipients does
not apply. Its final model is stored encrypted to the requester's key (from the spec) and to the
node that trained it, so nobody else can read it: not the public, and not the other replicas,
which could otherwise copy a model instead of training it (a node that has the weights can
compute their digest and prove the agreement tag). The result digest is over the plain weights,
so replicas agree whatever the ciphertext.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from nnc.chain.registry import Registry
from nnc.storage.archive import archive_kind, extract_archive
from nnc.storage.crypto import (
    decrypt_file,
    encrypt_file,
    generate_key,
    is_encrypted,
    load_key,
    parse_public_key,
    payload_recipients,
    public_key_hex,
)
from nnc.task import TaskSpec

log = logging.getLogger(__name__)


class NodeKey:
    """The node's X25519 key at `path`, created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.private: X25519PrivateKey = load_key(path) if path.exists() else generate_key(path)
        self.public_hex = public_key_hex(self.private)

    def register(self, registry: Registry, node: str) -> None:
        """Publishes the public key in the registry unless it is there already."""
        if registry.node(node).encryption_key.hex() != self.public_hex:
            registry.set_encryption_key(bytes.fromhex(self.public_hex))
            log.info("node %s: encryption key %s… registered", node[:10], self.public_hex[:12])

    def can_read(self, dataset_file: Path | None) -> bool:
        """Whether this node can read the dataset: plain, or encrypted with it among the recipients."""
        return dataset_file is None or not is_encrypted(dataset_file) or \
            self.public_hex in payload_recipients(dataset_file)

    def open_dataset(self, dataset_file: Path | None) -> Path | None:
        """The plain dataset: decrypted next to the fetched file when it is encrypted, and
        extracted beside it when what was encrypted is an archive (a private dataset directory,
        stored as `nnc data put --encrypt-to` stores an archive of it)."""
        if dataset_file is None or not is_encrypted(dataset_file):
            return dataset_file
        plain = dataset_file.with_name(dataset_file.stem + ".plain.npz")
        if not plain.exists():
            decrypt_file(dataset_file, plain, self.private)
        if archive_kind(plain) is None:
            return plain
        extracted = dataset_file.with_name(dataset_file.stem + ".plain.d")
        return extracted if extracted.is_dir() else extract_archive(plain, extracted)


def model_recipients(spec: TaskSpec, node_key: NodeKey) -> list[X25519PublicKey]:
    """Who may read a private task's model: its requester and the node that trained it."""
    assert spec.privacy is not None
    return [parse_public_key(spec.privacy.requester_key), node_key.private.public_key()]


def seal_model(model_path: Path, recipients: list[X25519PublicKey]) -> Path:
    """The model file encrypted to `recipients`, written beside it."""
    return encrypt_file(model_path, model_path.with_suffix(".sealed"), recipients)
