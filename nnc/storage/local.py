"""A content-addressed store on the local filesystem.

Content with SHA-256 `<hex>` lives at `root/sha256/<hex[:2]>/<hex>` and is named by the URI
`local://sha256/<hex>`. Writes go to a temporary file under `root/tmp` and are renamed into place,
so a reader never sees a partial object; every read re-hashes the content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Final

from nnc.errors import ContentNotFoundError, IntegrityError, StorageError
from nnc.storage.base import ProgressCallback
from nnc.storage.hashing import CHUNK_SIZE

logger = logging.getLogger(__name__)

URI_PREFIX: Final = "local://sha256/"
_URI: Final = re.compile(r"^local://sha256/([0-9a-f]{64})$")


class LocalStore:
    """`Store` backed by a directory; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    @staticmethod
    def uri_for(digest_hex: str) -> str:
        """The URI of content whose SHA-256 is `digest_hex`."""
        return URI_PREFIX + digest_hex

    def _digest_of(self, uri: str) -> str:
        match = _URI.match(uri)
        if match is None:
            raise StorageError(f"malformed storage URI {uri!r}: expected local://sha256/<64 lowercase hex digits>")
        return match.group(1)

    def _object_path(self, digest_hex: str) -> Path:
        return self.root / "sha256" / digest_hex[:2] / digest_hex

    def _existing(self, uri: str) -> tuple[str, Path]:
        digest_hex = self._digest_of(uri)
        path = self._object_path(digest_hex)
        if not path.is_file():
            raise ContentNotFoundError(f"no content under {uri} in {self.root}")
        return digest_hex, path

    def _temp_file(self, directory: Path) -> tuple[BinaryIO, Path]:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".nnc-", suffix=".part", dir=directory)
        except OSError as exc:
            raise StorageError(f"cannot write in {directory}: {exc}") from exc
        return os.fdopen(fd, "wb"), Path(name)

    def _commit(self, temp: Path, digest_hex: str) -> str:
        final = self._object_path(digest_hex)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            temp.chmod(0o444)
            os.replace(temp, final)  # same content under the same name: replacing also repairs a damaged copy
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StorageError(f"cannot store object {digest_hex} in {self.root}: {exc}") from exc
        uri = self.uri_for(digest_hex)
        logger.debug("stored %s", uri)
        return uri

    def put_bytes(self, data: bytes) -> str:
        digest_hex = hashlib.sha256(data).hexdigest()
        handle, temp = self._temp_file(self.root / "tmp")
        try:
            with handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self._commit(temp, digest_hex)

    def put_file(self, path: Path, on_progress: ProgressCallback | None = None) -> str:
        try:
            with open(path, "rb") as source:
                if on_progress is None:
                    return self._put(source, None)
                total = os.fstat(source.fileno()).st_size
                on_progress(0, total)
                return self._put(source, lambda done: on_progress(done, total))
        except OSError as exc:
            raise StorageError(f"cannot store file {path}: {exc}") from exc

    def put_stream(self, stream: BinaryIO) -> str:
        return self._put(stream, None)

    def _put(self, stream: BinaryIO, copied: Callable[[int], None] | None) -> str:
        """Copies the rest of `stream` into place, calling `copied(bytes so far)` after each chunk."""
        hasher = hashlib.sha256()
        handle, temp = self._temp_file(self.root / "tmp")
        done = 0
        try:
            with handle:
                while chunk := stream.read(CHUNK_SIZE):
                    hasher.update(chunk)
                    handle.write(chunk)
                    if copied is not None:
                        done += len(chunk)
                        copied(done)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StorageError(f"cannot store stream in {self.root}: {exc}") from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self._commit(temp, hasher.hexdigest())

    def get_bytes(self, uri: str) -> bytes:
        digest_hex, path = self._existing(uri)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {uri} from {path}: {exc}") from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest_hex:
            raise IntegrityError(uri, digest_hex, actual)
        return data

    def get_file(self, uri: str, dest: Path) -> Path:
        digest_hex, path = self._existing(uri)
        dest = Path(dest)
        hasher = hashlib.sha256()
        handle, temp = self._temp_file(dest.parent)
        try:
            with handle, open(path, "rb") as source:
                while chunk := source.read(CHUNK_SIZE):
                    hasher.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            actual = hasher.hexdigest()
            if actual != digest_hex:
                raise IntegrityError(uri, digest_hex, actual)
            os.replace(temp, dest)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StorageError(f"cannot copy {uri} to {dest}: {exc}") from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return dest

    def exists(self, uri: str) -> bool:
        return self._object_path(self._digest_of(uri)).is_file()

    def pin(self, uri: str) -> None:
        """Local content is never collected, so pinning only checks that the content is there."""
        self._existing(uri)
