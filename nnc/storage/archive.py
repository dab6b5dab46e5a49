"""Directories as content: a canonical tar stream to store one, safe extraction of an archive, and
the tree digest that names a directory's content the same way whether it is given as a folder or
as a .tar, .tar.gz or .zip of it.

A directory is stored as one file, its canonical tar (`DirectoryTar`): regular files only, in
sorted order of their relative paths, with zero mtime, uid and gid and mode 0644, so the same
files always give the same bytes and so the same content id. Downloading it is verified like any
file (by CID or SHA-256); extracting it refuses absolute paths, `..`, links and devices.

The tree digest (`tree_digest`) is the SHA-256 of `nnc-tree-v1\\n` followed by one line
`<relative path>\\t<size>\\t<sha256 hex>\\n` per regular file, sorted by path (code points, `/`
separators); empty directories do not count.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Final, Literal

from nnc.errors import StorageError
from nnc.storage.base import ProgressCallback, Store
from nnc.storage.hashing import CHUNK_SIZE, sha256_file, sha256_stream

ArchiveKind = Literal["tar", "tar.gz", "zip"]
Exclude = Callable[[str], bool]
"""Leaves a file out of a tree by its relative path (a program package's `__pycache__`)."""
TREE_MAGIC: Final = b"nnc-tree-v1\n"
_BLOCK: Final = tarfile.BLOCKSIZE
_RECORD: Final = tarfile.RECORDSIZE


@dataclass(frozen=True)
class TreeEntry:
    """One regular file of a tree: its relative path (with `/`), size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


def tree_digest(entries: Iterable[TreeEntry]) -> str:
    """The tree digest (hex) of a set of files, whatever order they are given in."""
    hasher = hashlib.sha256(TREE_MAGIC)
    for entry in sorted(entries, key=lambda e: e.path):
        hasher.update(f"{entry.path}\t{entry.size}\t{entry.sha256}\n".encode())
    return hasher.hexdigest()


def _checked_name(name: str, where: object) -> str:
    """A member name as a safe relative POSIX path, or StorageError naming the archive."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or any(c in name for c in "\t\n\r\0"):
        raise StorageError(f"{where}: unsafe member name {name!r} (absolute, '..', or a tab or newline in it)")
    return path.as_posix().removeprefix("./")


def directory_files(root: Path, exclude: Exclude | None = None) -> list[tuple[str, Path]]:
    """(relative path, absolute path) of every regular file under `root` but those `exclude`
    leaves out, sorted by relative path; StorageError for a link or special file (a dataset is
    plain files)."""
    if not root.is_dir():
        raise StorageError(f"{root} is not a directory")
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in (*filenames, *dirnames):
            path = Path(dirpath) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise StorageError(f"{path}: not a regular file or directory (links and devices are not stored)")
            if stat.S_ISREG(mode):
                relative = _checked_name(path.relative_to(root).as_posix(), root)
                if exclude is None or not exclude(relative):
                    found.append((relative, path))
    return sorted(found)


def directory_entries(root: Path, exclude: Exclude | None = None) -> list[TreeEntry]:
    return [TreeEntry(rel, path.stat().st_size, sha256_file(path)) for rel, path in directory_files(root, exclude)]


def archive_kind(path: Path) -> ArchiveKind | None:
    """What archive the file at `path` is, by its first bytes; None for anything else, an .npz
    (a zip of .npy arrays only) included."""
    with open(path, "rb") as fh:
        head = fh.read(_BLOCK)
    if head[:2] == b"\x1f\x8b":
        return "tar.gz"
    if head[257:262] == b"ustar":
        return "tar"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
        except zipfile.BadZipFile:
            return None
        return None if names and all(n.endswith(".npy") for n in names) else "zip"
    return None


def _tar_members(path: Path) -> Iterator[tuple[str, tarfile.TarFile, tarfile.TarInfo]]:
    try:
        with tarfile.open(path, "r|*") as archive:
            for member in archive:
                if member.isdir():
                    continue
                if not member.isreg():
                    raise StorageError(f"{path}: member {member.name!r} is a link or special file")
                yield _checked_name(member.name, path), archive, member
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise StorageError(f"{path}: not a readable tar archive: {exc}") from exc


def archive_entries(path: Path) -> list[TreeEntry]:
    """The tree entries of an archive's files, read as a stream (nothing extracted)."""
    entries = []
    if archive_kind(path) == "zip":
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                with archive.open(info) as fh:
                    entries.append(TreeEntry(_checked_name(info.filename, path), info.file_size, sha256_stream(fh)))
        return entries
    for name, tar, member in _tar_members(path):
        handle = tar.extractfile(member)
        assert handle is not None
        entries.append(TreeEntry(name, member.size, sha256_stream(handle)))
    return entries


def content_digest(path: Path) -> str:
    """The digest a spec pins for content at `path`: the tree digest of a directory or archive,
    else the file's SHA-256."""
    if path.is_dir():
        return tree_digest(directory_entries(path))
    if archive_kind(path) is not None:
        return tree_digest(archive_entries(path))
    return sha256_file(path)


@dataclass(frozen=True)
class ExtractLimits:
    """The most an extraction may write: bytes in all and files (a package's bounds, against an
    archive that inflates without end)."""

    max_bytes: int
    max_files: int


def extract_archive(path: Path, dest: Path, *, exclude: Exclude | None = None,
                    limits: ExtractLimits | None = None) -> Path:
    """Extracts the archive at `path` into the new directory `dest` (built beside it and renamed
    into place, so `dest` is complete or absent), leaving out the files `exclude` names. Unsafe
    members, a member given twice, or going over `limits` raise StorageError."""
    kind = archive_kind(path)
    if kind is None:
        raise StorageError(f"{path} is not a .tar, .tar.gz or .zip archive")
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    written = files = 0

    def write(name: str, source: IO[bytes]) -> None:
        nonlocal written, files
        if exclude is not None and exclude(name):
            return
        target = temp / name
        if target.exists():
            raise StorageError(f"{path}: member {name!r} appears twice")
        target.parent.mkdir(parents=True, exist_ok=True)
        files += 1
        with open(target, "wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                written += len(chunk)
                if limits is not None and (written > limits.max_bytes or files > limits.max_files):
                    raise StorageError(f"{path}: extracts to over {limits.max_bytes} bytes or "
                                       f"{limits.max_files} files")
                out.write(chunk)

    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        with archive.open(info) as source:
                            write(_checked_name(info.filename, path), source)
        else:
            for name, tar, member in _tar_members(path):
                handle = tar.extractfile(member)
                assert handle is not None
                write(name, handle)
        os.replace(temp, dest)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return dest


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = size, 0, 0o644, 0, 0, "", ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class DirectoryTar:
    """The canonical tar of a directory as a read-only stream of known `size`, produced as it is
    read (constant memory). Once read to the end, `digest` is the directory's tree digest, from
    the bytes that went out."""

    def __init__(self, root: Path, exclude: Exclude | None = None) -> None:
        self.root = root
        self._files = directory_files(root, exclude)
        self._sizes = [path.stat().st_size for _, path in self._files]
        body = sum(len(_header(rel, size)) + -(-size // _BLOCK) * _BLOCK
                   for (rel, _), size in zip(self._files, self._sizes, strict=True))
        self.size = -(-(body + 2 * _BLOCK) // _RECORD) * _RECORD
        self._entries: list[TreeEntry] = []
        self._chunks = self._generate()
        self._buffer = b""

    def _generate(self) -> Iterator[bytes]:
        written = 0
        for (rel, path), size in zip(self._files, self._sizes, strict=True):
            header = _header(rel, size)
            written += len(header)
            yield header
            hasher, seen = hashlib.sha256(), 0
            with open(path, "rb") as fh:
                while chunk := fh.read(min(CHUNK_SIZE, size - seen)):
                    hasher.update(chunk)
                    seen += len(chunk)
                    yield chunk
            if seen != size:
                raise StorageError(f"{path} changed size while being stored ({size} -> {seen} bytes)")
            padding = -size % _BLOCK
            written += size + padding
            yield b"\0" * padding
            self._entries.append(TreeEntry(rel, size, hasher.hexdigest()))
        yield b"\0" * (self.size - written)

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def digest(self) -> str:
        if next(self._chunks, None) is not None or len(self._entries) != len(self._files):
            raise RuntimeError("DirectoryTar.digest is known once the stream has been read to the end")
        return tree_digest(self._entries)


class _ProgressReader:
    """A stream that reports (bytes read so far, `total`) to `on_progress` as it is read."""

    def __init__(self, stream: DirectoryTar, on_progress: ProgressCallback | None) -> None:
        self._stream, self._on_progress, self._done = stream, on_progress, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._done += len(chunk)
        if self._on_progress is not None and (chunk or self._done == 0):
            self._on_progress(self._done, self._stream.size)
        return chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def put_directory(store: Store, root: Path, on_progress: ProgressCallback | None = None,
                  exclude: Exclude | None = None) -> tuple[str, str]:
    """Stores the directory `root` (but the files `exclude` names) as its canonical tar, streamed
    (constant memory); returns its URI and its tree digest (what a spec's `dataset.digest` or
    `program.digest` pins)."""
    tar = DirectoryTar(root, exclude)
    if on_progress is not None:
        on_progress(0, tar.size)
    uri = store.put_stream(_ProgressReader(tar, on_progress))  # type: ignore[arg-type]
    return uri, tar.digest
