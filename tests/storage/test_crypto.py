"""Private payloads: only recipients decrypt; truncation, reordering and tampering are caught."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from nnc.errors import ConfigError, DecryptionError, NotARecipientError
from nnc.storage.arweave import ArweaveStore
from nnc.storage.crypto import (
    CHUNK_SIZE,
    MAGIC,
    decrypt_file,
    decrypt_stream,
    encrypt_file,
    encrypt_stream,
    generate_key,
    load_key,
    parse_public_key,
    public_key_hex,
)
from nnc.storage.ipfs import IpfsStore


def seal(data: bytes, *keys: X25519PrivateKey) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, [k.public_key() for k in keys])
    return out.getvalue()


def unseal(sealed: bytes, key: X25519PrivateKey) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed), out, key)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 5])
def test_each_recipient_decrypts(size: int) -> None:
    data = os.urandom(size)
    requester, node_a, node_b = (X25519PrivateKey.generate() for _ in range(3))
    sealed = seal(data, requester, node_a, node_b)
    assert sealed.startswith(MAGIC)
    assert size < 16 or data[:16] not in sealed
    for key in (requester, node_a, node_b):
        assert unseal(sealed, key) == data


def test_non_recipient_gets_a_clear_error() -> None:
    recipient, outsider = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    sealed = seal(b"private dataset", recipient)
    with pytest.raises(NotARecipientError, match=f"not encrypted to key {public_key_hex(outsider)}") as info:
        unseal(sealed, outsider)
    assert info.value.recipients == [public_key_hex(recipient)]


@pytest.mark.parametrize("cut", ["last chunk", "last byte", "chunk boundary", "appended"])
def test_truncation_and_extension_fail(cut: str) -> None:
    key = X25519PrivateKey.generate()
    sealed = seal(os.urandom(2 * CHUNK_SIZE + 10), key)
    block = CHUNK_SIZE + 16
    header = len(sealed) - (2 * block + 10 + 16)
    damaged = {"last chunk": sealed[:header + 2 * block], "last byte": sealed[:-1],
               "chunk boundary": sealed[:header + block], "appended": sealed + sealed[-26:]}[cut]
    with pytest.raises(DecryptionError, match="does not authenticate"):
        unseal(damaged, key)


def test_reordered_or_flipped_chunks_fail() -> None:
    key = X25519PrivateKey.generate()
    sealed = bytearray(seal(os.urandom(3 * CHUNK_SIZE), key))
    block = CHUNK_SIZE + 16
    header = len(sealed) - 3 * block
    swapped = sealed[:header] + sealed[header + block:header + 2 * block] + sealed[header:header + block] \
        + sealed[header + 2 * block:]
    with pytest.raises(DecryptionError, match="chunk 0"):
        unseal(bytes(swapped), key)
    sealed[header + 5] ^= 1
    with pytest.raises(DecryptionError):
        unseal(bytes(sealed), key)
    with pytest.raises(DecryptionError, match="not an NNC encrypted payload"):
        unseal(b"plain text", key)


def test_keys_on_disk(tmp_path: Path) -> None:
    key = generate_key(tmp_path / "k" / "encryption.key")
    assert (tmp_path / "k" / "encryption.key").stat().st_mode & 0o777 == 0o600
    assert public_key_hex(load_key(tmp_path / "k" / "encryption.key")) == public_key_hex(key)
    assert public_key_hex(parse_public_key("0x" + public_key_hex(key))) == public_key_hex(key)
    with pytest.raises(ConfigError, match="invalid X25519 public key 'abc'"):
        parse_public_key("abc")


def test_decrypt_file_leaves_nothing_on_failure(tmp_path: Path) -> None:
    recipient, outsider = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    (tmp_path / "plain").write_bytes(b"weights" * 1000)
    sealed = encrypt_file(tmp_path / "plain", tmp_path / "sealed", [recipient.public_key()])
    with pytest.raises(NotARecipientError):
        decrypt_file(sealed, tmp_path / "out", outsider)
    assert not (tmp_path / "out").exists()
    assert decrypt_file(sealed, tmp_path / "out", recipient).read_bytes() == b"weights" * 1000


@pytest.mark.parametrize("backend", ["ipfs", "arweave"])
def test_private_payload_through_a_backend(backend: str, ipfs: IpfsStore, arweave: ArweaveStore) -> None:
    store = ipfs if backend == "ipfs" else arweave
    requester, node, outsider = (X25519PrivateKey.generate() for _ in range(3))
    data = os.urandom(300_000)
    uri = store.put_bytes(seal(data, requester, node))
    stored = store.get_bytes(uri)  # anyone can fetch the ciphertext, verified...
    assert data[:32] not in stored
    assert unseal(stored, node) == data and unseal(stored, requester) == data
    with pytest.raises(NotARecipientError):  # ...but only recipients can read it
        unseal(stored, outsider)
