"""One `Store` over several backends: writes go to a default backend (or one named), reads go to
the backend that the URI's scheme names (`local://`, `ipfs://`, `ar://`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Final

from nnc.errors import StorageError
from nnc.storage.base import ProgressCallback, Store

BACKEND_SCHEMES: Final = {"local": "local", "ipfs": "ipfs", "arweave": "ar"}
"""Backend name (as in settings and `--backend`) -> URI scheme of the content it stores."""


class MultiStore:
    """Routes by URI scheme. `backends` maps backend names (local, ipfs, arweave) to stores.

    `archive` names the backend for what must last (final models, audit records): Arweave where
    it is configured to write, else the default backend.
    """

    def __init__(self, backends: Mapping[str, Store], default: str, archive: str | None = None) -> None:
        unknown = sorted(set(backends) - set(BACKEND_SCHEMES))
        if unknown:
            raise StorageError(f"unknown storage backend(s) {', '.join(unknown)} (known: {', '.join(BACKEND_SCHEMES)})")
        if default not in backends:
            raise StorageError(f"default backend {default!r} is not configured (configured: {', '.join(backends)})")
        if archive is not None and archive not in backends:
            raise StorageError(f"archive backend {archive!r} is not configured (configured: {', '.join(backends)})")
        self.backends = dict(backends)
        self.default = default
        self.archive = archive or default
        self._by_scheme = {BACKEND_SCHEMES[name]: store for name, store in backends.items()}

    def __repr__(self) -> str:
        return f"MultiStore(default={self.default!r}, archive={self.archive!r}, backends={self.backends!r})"

    def backend(self, name: str | None = None) -> Store:
        """The store of backend `name` (the default one when None)."""
        name = name or self.default
        if name not in self.backends:
            raise StorageError(f"storage backend {name!r} is not configured (configured: {', '.join(self.backends)})")
        return self.backends[name]

    def archival(self) -> Store:
        """The store of the archive backend: where final models and audit records go."""
        return self.backends[self.archive]

    def for_uri(self, uri: str) -> Store:
        """The store that can read `uri`, chosen by its scheme."""
        scheme = uri.split("://", 1)[0] if "://" in uri else ""
        store = self._by_scheme.get(scheme)
        if store is None:
            configured = ", ".join(f"{s}://" for s in self._by_scheme)
            raise StorageError(f"no configured backend reads {uri!r} (configured: {configured})")
        return store

    def put_bytes(self, data: bytes) -> str:
        return self.backend().put_bytes(data)

    def put_file(self, path: Path, on_progress: ProgressCallback | None = None) -> str:
        return self.backend().put_file(path, on_progress)

    def put_stream(self, stream: BinaryIO) -> str:
        return self.backend().put_stream(stream)

    def get_bytes(self, uri: str) -> bytes:
        return self.for_uri(uri).get_bytes(uri)

    def get_file(self, uri: str, dest: Path) -> Path:
        return self.for_uri(uri).get_file(uri, dest)

    def exists(self, uri: str) -> bool:
        return self.for_uri(uri).exists(uri)

    def pin(self, uri: str) -> None:
        self.for_uri(uri).pin(uri)
