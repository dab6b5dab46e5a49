"""Content-addressed storage: the `Store` interface, its backends and `open_store`.

Only the local backend exists so far; IPFS and Arweave backends will implement the same `Store`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from nnc.errors import ContentNotFoundError, IntegrityError, StorageError
from nnc.storage.base import Store
from nnc.storage.hashing import sha256_file, sha256_hex
from nnc.storage.local import LocalStore

SUPPORTED_BACKENDS: Final = ("local",)
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.DOTALL)


def open_store(url: str) -> Store:
    """The store a URL names: `local:///abs/path` or a plain directory path (local backend).

    Raises `StorageError` for other schemes and for a `local:` URL without an absolute path.
    """
    match = _SCHEME.match(url)
    if match is None:
        if not url:
            raise StorageError("empty storage URL (expected local:///abs/path or a directory path)")
        return LocalStore(Path(url))
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme != "local":
        raise StorageError(f"unsupported storage backend {scheme!r} (supported: {', '.join(SUPPORTED_BACKENDS)})")
    if not rest.startswith("/"):
        raise StorageError(f"malformed storage URL {url!r}: expected local:///absolute/path")
    return LocalStore(Path(rest))


__all__ = [
    "ContentNotFoundError",
    "IntegrityError",
    "LocalStore",
    "StorageError",
    "Store",
    "open_store",
    "sha256_file",
    "sha256_hex",
]
