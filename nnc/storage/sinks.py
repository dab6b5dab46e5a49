"""Where a download goes while it is checked: memory for `get_bytes`, a temporary file beside the
destination for `get_file`. Nothing reaches the caller (no bytes returned, no file at `dest`)
until the content has been verified; `reset` starts over for a retried transfer.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from nnc.errors import StorageError


class BytesSink:
    """Collects a download in memory."""

    def __init__(self) -> None:
        self._data = bytearray()

    def reset(self) -> None:
        self._data.clear()

    def write(self, chunk: bytes) -> None:
        self._data += chunk

    def value(self) -> bytes:
        return bytes(self._data)


class FileSink:
    """Writes a download to a temporary file in `dest`'s folder; `commit` renames it to `dest`.

    Use as a context manager: leaving it without `commit` (on any error) deletes the temporary file.
    """

    def __init__(self, dest: Path) -> None:
        self.dest = Path(dest)
        self._temp: Path | None = None
        self._handle: BinaryIO | None = None

    def __enter__(self) -> FileSink:
        try:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{self.dest.name}.", suffix=".part", dir=self.dest.parent)
        except OSError as exc:
            raise StorageError(f"cannot write in {self.dest.parent}: {exc}") from exc
        self._temp = Path(name)
        self._handle = os.fdopen(fd, "wb")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)

    @property
    def handle(self) -> BinaryIO:
        if self._handle is None:
            raise RuntimeError("FileSink used outside its `with` block")
        return self._handle

    def reset(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()

    def write(self, chunk: bytes) -> None:
        try:
            self.handle.write(chunk)
        except OSError as exc:
            raise StorageError(f"cannot write {self.dest}: {exc}") from exc

    def commit(self) -> Path:
        """Flushes the verified content and moves it to `dest`."""
        handle, temp = self.handle, self._temp
        assert temp is not None
        try:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(temp, self.dest)
        except OSError as exc:
            raise StorageError(f"cannot move the download to {self.dest}: {exc}") from exc
        self._handle = self._temp = None
        return self.dest
