"""SHA-256 helpers shared by the storage backends."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO, Final

CHUNK_SIZE: Final = 1 << 20
"""Bytes read at a time when streaming files (1 MiB)."""


def sha256_hex(data: bytes) -> str:
    """SHA-256 of `data` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def sha256_stream(handle: IO[bytes]) -> str:
    """SHA-256 of what is left to read from `handle` as 64 lowercase hex digits, in constant memory."""
    hasher = hashlib.sha256()
    while chunk := handle.read(CHUNK_SIZE):
        hasher.update(chunk)
    return hasher.hexdigest()


def sha256_file(path: Path | str) -> str:
    """SHA-256 of the file at `path` as 64 lowercase hex digits, read in constant memory."""
    with open(path, "rb") as handle:
        return sha256_stream(handle)
