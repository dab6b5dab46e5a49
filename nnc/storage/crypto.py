"""Private payloads: a dataset or model encrypted to the X25519 keys of its recipients.

Format (version 1), all integers big-endian:

    header  = b"NNCE\\x01" | chunk_size u32 | ephemeral public key (32) | count u16
              | count x (recipient public key (32) | wrapped file key (32 + 16))
    chunks  = ChaCha20-Poly1305(payload key, nonce = index u88 | final u8, aad = SHA-256(header))

A random 32-byte file key is wrapped for each recipient with ChaCha20-Poly1305 under
HKDF-SHA256(X25519(ephemeral, recipient), salt = ephemeral | recipient). The payload key is
HKDF-SHA256(file key, info = "nnc payload"). Every chunk carries its index and a final-chunk flag
in its nonce (the STREAM construction), so reordering, truncation and appending all fail to
decrypt; the header hash in every chunk's AAD ties the chunks to this header. Memory stays at one
chunk (64 KiB by default) whatever the payload's size.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from nnc.errors import ConfigError, DecryptionError, NotARecipientError, StorageError

MAGIC: Final = b"NNCE\x01"
CHUNK_SIZE: Final = 64 * 1024
MAX_RECIPIENTS: Final = 1024
_KEY: Final = 32
_TAG: Final = 16
_FIXED: Final = struct.Struct(">I32sH")  # chunk size, ephemeral public key, recipient count
_ENTRY: Final = _KEY + _KEY + _TAG


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_hex(key: X25519PrivateKey | X25519PublicKey) -> str:
    """The 64-hex-digit form of a public key (what the node registry stores as `bytes32`)."""
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return _raw(public).hex()


def parse_public_key(text: str) -> X25519PublicKey:
    """A recipient key from 64 hex digits (with or without 0x); `ConfigError` naming it otherwise."""
    digits = text.removeprefix("0x")
    try:
        raw = bytes.fromhex(digits)
        if len(raw) != _KEY:
            raise ValueError(f"{len(raw)} bytes")
        return X25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ConfigError(f"invalid X25519 public key {text!r}: expected 64 hex digits ({exc})") from None


def generate_key(path: Path) -> X25519PrivateKey:
    """A new private key, written to `path` as 64 hex digits readable by its owner only."""
    key = X25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(raw.hex() + "\n")
    return key


def load_key(path: Path) -> X25519PrivateKey:
    """The private key in `path` (64 hex digits); `ConfigError` naming the file otherwise."""
    try:
        raw = bytes.fromhex(Path(path).read_text().strip())
        return X25519PrivateKey.from_private_bytes(raw)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read X25519 private key {path}: {exc}") from None


def _hkdf(secret: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY, salt=salt, info=info).derive(secret)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        piece = stream.read(size - len(data))
        if not piece:
            break
        data += piece
    return bytes(data)


def is_encrypted(path: Path) -> bool:
    """Whether the file starts like an encrypted payload (a directory, an extracted dataset, is not one)."""
    if path.is_dir():
        return False
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def payload_recipients(path: Path) -> list[str]:
    """The public keys (hex) an encrypted payload was sealed to, read from its header alone."""
    with open(path, "rb") as handle:
        prefix = _read_exact(handle, len(MAGIC) + _FIXED.size)
        if len(prefix) < len(MAGIC) + _FIXED.size or not prefix.startswith(MAGIC):
            raise DecryptionError(f"{path} is not an NNC encrypted payload (bad magic or short header)")
        count = _FIXED.unpack(prefix[len(MAGIC):])[2]
        entries = _read_exact(handle, count * _ENTRY)
    if not 0 < count <= MAX_RECIPIENTS or len(entries) != count * _ENTRY:
        raise DecryptionError(f"{path}: truncated or implausible header ({count} recipients)")
    return [entries[i * _ENTRY: i * _ENTRY + _KEY].hex() for i in range(count)]


def encrypt_stream(source: BinaryIO, dest: BinaryIO, recipients: Sequence[X25519PublicKey],
                   chunk_size: int = CHUNK_SIZE) -> None:
    """Encrypts the rest of `source` into `dest` for `recipients` (at least one)."""
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise StorageError(f"an encrypted payload needs 1 to {MAX_RECIPIENTS} recipients, got {len(recipients)}")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw(ephemeral.public_key())
    file_key = os.urandom(_KEY)
    header = bytearray(MAGIC + _FIXED.pack(chunk_size, ephemeral_public, len(recipients)))
    for recipient in recipients:
        recipient_raw = _raw(recipient)
        wrap_key = _hkdf(ephemeral.exchange(recipient), ephemeral_public + recipient_raw, b"nnc file key")
        header += recipient_raw + ChaCha20Poly1305(wrap_key).encrypt(bytes(12), file_key, MAGIC)
    dest.write(header)
    aad = hashlib.sha256(header).digest()
    cipher = ChaCha20Poly1305(_hkdf(file_key, None, b"nnc payload"))
    index = 0
    chunk = _read_exact(source, chunk_size)
    while True:
        following = _read_exact(source, chunk_size) if len(chunk) == chunk_size else b""
        final = not following
        dest.write(cipher.encrypt(_nonce(index, final), chunk, aad))
        if final:
            return
        chunk, index = following, index + 1


def decrypt_stream(source: BinaryIO, dest: BinaryIO, key: X25519PrivateKey) -> None:
    """Decrypts a payload from `source` into `dest` with one recipient's private key.

    Raises `NotARecipientError` for a key the payload was not encrypted to, `DecryptionError` for a
    malformed, truncated or altered payload. `dest` may hold partial plaintext after an error: use
    `decrypt_file`, which removes it.
    """
    prefix = _read_exact(source, len(MAGIC) + _FIXED.size)
    if len(prefix) < len(MAGIC) + _FIXED.size or not prefix.startswith(MAGIC):
        raise DecryptionError("not an NNC encrypted payload (bad magic or short header)")
    chunk_size, ephemeral_public, count = _FIXED.unpack(prefix[len(MAGIC):])
    if not 0 < chunk_size <= 1 << 24 or not 0 < count <= MAX_RECIPIENTS:
        raise DecryptionError(f"implausible header: chunk size {chunk_size}, {count} recipients")
    entries = _read_exact(source, count * _ENTRY)
    if len(entries) != count * _ENTRY:
        raise DecryptionError("truncated header")
    header = prefix + entries
    mine = public_key_hex(key)
    recipients = [entries[i * _ENTRY: i * _ENTRY + _KEY].hex() for i in range(count)]
    if mine not in recipients:
        raise NotARecipientError(mine, recipients)
    offset = recipients.index(mine) * _ENTRY + _KEY
    ephemeral = X25519PublicKey.from_public_bytes(ephemeral_public)
    wrap_key = _hkdf(key.exchange(ephemeral), ephemeral_public + bytes.fromhex(mine), b"nnc file key")
    try:
        file_key = ChaCha20Poly1305(wrap_key).decrypt(bytes(12), entries[offset: offset + _KEY + _TAG], MAGIC)
    except InvalidTag:
        raise DecryptionError(f"the file key wrapped for {mine[:16]}… does not decrypt: header altered") from None
    aad = hashlib.sha256(header).digest()
    cipher = ChaCha20Poly1305(_hkdf(file_key, None, b"nnc payload"))
    index = 0
    block = _read_exact(source, chunk_size + _TAG)
    while True:
        following = _read_exact(source, chunk_size + _TAG) if len(block) == chunk_size + _TAG else b""
        final = not following
        try:
            dest.write(cipher.decrypt(_nonce(index, final), block, aad))
        except InvalidTag:
            where = "payload truncated or altered" if final else "chunk altered or reordered"
            raise DecryptionError(f"chunk {index} does not authenticate: {where}") from None
        if final:
            return
        block, index = following, index + 1


def encrypt_file(source: Path, dest: Path, recipients: Sequence[X25519PublicKey]) -> Path:
    with open(source, "rb") as plain, open(dest, "wb") as sealed:
        encrypt_stream(plain, sealed, recipients)
    return dest


def decrypt_file(source: Path, dest: Path, key: X25519PrivateKey) -> Path:
    """Decrypts `source` into `dest`; on any error no file is left at `dest`."""
    try:
        with open(source, "rb") as sealed, open(dest, "wb") as plain:
            decrypt_stream(sealed, plain, key)
    except BaseException:
        Path(dest).unlink(missing_ok=True)
        raise
    return dest
