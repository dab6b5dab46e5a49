"""The interface every storage backend implements."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol, TypeAlias, runtime_checkable

ProgressCallback: TypeAlias = Callable[[int, int], None]
"""Called with (bytes sent so far, total bytes) as an upload goes out; a retried transfer starts
again from 0. Called once per chunk (1 MiB or less): it should be cheap."""


@runtime_checkable
class Store(Protocol):
    """Content-addressed storage: content goes in, a URI that names it comes out.

    Every read checks the content against its URI (raising `IntegrityError` on mismatch, and
    `ContentNotFoundError` when nothing is stored under the URI); a URI a backend cannot parse
    raises `StorageError` naming it.
    """

    def put_bytes(self, data: bytes) -> str:
        """Store `data` and return its URI."""
        ...

    def put_file(self, path: Path, on_progress: ProgressCallback | None = None) -> str:
        """Store the file at `path` (streamed, constant memory) and return its URI; `on_progress`
        follows the bytes as they go out."""
        ...

    def put_stream(self, stream: BinaryIO) -> str:
        """Store the rest of `stream` (read in chunks, constant memory) and return its URI."""
        ...

    def get_bytes(self, uri: str) -> bytes:
        """The verified content stored under `uri`."""
        ...

    def get_file(self, uri: str, dest: Path) -> Path:
        """Write the verified content under `uri` to `dest` (nothing is left there on failure)."""
        ...

    def exists(self, uri: str) -> bool:
        """Whether content is stored under `uri`."""
        ...

    def pin(self, uri: str) -> None:
        """Keep the content under `uri` from being garbage-collected."""
        ...
