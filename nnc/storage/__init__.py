"""Content-addressed storage: the `Store` interface, its backends and how to open them.

Backends and the URIs of what they store:
- local (`local://sha256/<hex>`): a directory, for unit tests and single-machine runs;
- ipfs (`ipfs://<cid>`): an IPFS node's Kubo RPC API, for working data (specs, datasets, checkpoints);
- arweave (`ar://<txid>`): an Arweave gateway, for what must last (final models, audit records).

Every read is verified against the URI (CID or signed SHA-256) before the bytes are used.
`open_store(url)` opens one backend (`nnc.storage.arweave` is imported on first use);
`store_from_settings` opens a `MultiStore` that writes to the configured default backend and reads
any URI whose backend is configured.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from nnc.errors import ContentNotFoundError, IntegrityError, StorageError
from nnc.settings import Settings
from nnc.storage.base import ProgressCallback, Store
from nnc.storage.hashing import sha256_file, sha256_hex
from nnc.storage.ipfs import IpfsStore
from nnc.storage.local import LocalStore
from nnc.storage.router import BACKEND_SCHEMES, MultiStore

SUPPORTED_BACKENDS: Final = tuple(BACKEND_SCHEMES)
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.DOTALL)
_URL_FORMS: Final = "local:///abs/path, a directory path, ipfs+http://host:port or ar+http://host:port"


def backend_of(url: str) -> str:
    """The backend a storage URL opens: local, ipfs or arweave."""
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else "local"
    if scheme == "local":
        return "local"
    if scheme in ("ipfs+http", "ipfs+https"):
        return "ipfs"
    if scheme in ("ar+http", "ar+https"):
        return "arweave"
    raise StorageError(f"unsupported storage URL {url!r} (expected {_URL_FORMS})")


def open_store(url: str, arweave_wallet: Path | None = None) -> Store:
    """The store a URL names (see `backend_of`); `arweave_wallet` (a JWK file) signs Arweave uploads.

    Raises `StorageError` for other schemes and for a `local:` URL without an absolute path.
    """
    if not url:
        raise StorageError(f"empty storage URL (expected {_URL_FORMS})")
    backend = backend_of(url)
    match = _SCHEME.match(url)
    if match is None:
        return LocalStore(Path(url))
    rest = match.group(2)
    if backend == "local":
        if not rest.startswith("/"):
            raise StorageError(f"malformed storage URL {url!r}: expected local:///absolute/path")
        return LocalStore(Path(rest))
    endpoint = url.split("+", 1)[1].rstrip("/")
    if not re.match(r"^https?://[^/\s]+", endpoint):
        raise StorageError(f"malformed storage URL {url!r}: expected {match.group(1)}://host:port")
    if backend == "ipfs":
        return IpfsStore(endpoint)
    return _arweave_store(endpoint, arweave_wallet)


def _arweave_store(endpoint: str, wallet: Path | None) -> Store:
    # imported here: the Arweave client's imports take ~0.2 s, which commands that never touch Arweave skip
    from nnc.storage.arweave import ArweaveStore
    from nnc.storage.arweave_tx import load_wallet

    return ArweaveStore(endpoint, load_wallet(wallet) if wallet else None)


def store_from_settings(settings: Settings) -> MultiStore:
    """Writes go to `storage_url`'s backend; reads of local://, ipfs:// and ar:// URIs go to the
    local store (`<data_dir>/store` unless `storage_url` names another), `ipfs_api_url` and
    `arweave_url` (or `storage_url`, when it names that backend). What must last is archived on
    Arweave when a wallet can sign there, else on the default backend."""
    url = settings.resolved_storage_url
    default = backend_of(url)
    backends: dict[str, Store] = {default: open_store(url, settings.arweave_wallet)}
    backends.setdefault("local", LocalStore((settings.data_dir / "store").resolve()))
    if settings.ipfs_api_url and "ipfs" not in backends:
        backends["ipfs"] = IpfsStore(settings.ipfs_api_url)
    if settings.arweave_url and "arweave" not in backends:
        backends["arweave"] = _arweave_store(settings.arweave_url, settings.arweave_wallet)
    can_archive = "arweave" in backends and (default == "arweave" or settings.arweave_wallet is not None)
    return MultiStore(backends, default, archive="arweave" if can_archive else None)


__all__ = [
    "ContentNotFoundError",
    "IntegrityError",
    "IpfsStore",
    "LocalStore",
    "MultiStore",
    "ProgressCallback",
    "StorageError",
    "Store",
    "SUPPORTED_BACKENDS",
    "backend_of",
    "open_store",
    "sha256_file",
    "sha256_hex",
    "store_from_settings",
]
