"""A requester's program package and init weights: their digests, and fetching them from storage
into a node's cache (by digest), checked before anything uses them.

The package digest is defined over files, not over an archive's bytes, so that a directory and
any .tar, .tar.gz or .zip of it have the same digest: SHA-256 of the lines
`<file sha256 hex>  <relative path>\\n` of every regular file, sorted by path (UTF-8 bytes,
`/`-separated, no leading `./`), with `__pycache__` directories left out. That is what

    (cd DIR && find . -type f -not -path '*/__pycache__/*' -printf '%P\\n' | LC_ALL=C sort \\
        | xargs -d '\\n' sha256sum) | sha256sum

prints. The package's root is what the sandboxed child puts on `sys.path`: an `entry` of
`resnet_cnn:make_program` is the function `make_program` of `resnet_cnn.py` at the root.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from nnc.errors import TrainingError
from nnc.storage.base import Store
from nnc.storage.hashing import sha256_file
from nnc.task import TaskSpec

MAX_PACKAGE_BYTES: Final = 256 << 20
MAX_PACKAGE_FILES: Final = 10_000
SKIPPED_DIRS: Final = frozenset({"__pycache__"})


class ProgramPackageError(TrainingError):
    """A program package or init weights file cannot be used: unreadable, unsafe or not the digest's."""


@dataclass(frozen=True)
class ProgramFiles:
    """What a spec's `program` and `init` sections name, fetched and checked: the unpacked package
    (its root goes on `sys.path`) and the weights file. None where the spec has no such section."""

    package: Path | None = None
    init: Path | None = None

    def paths(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.package, self.init) if p is not None)

    def to_json(self) -> dict[str, str | None]:
        return {"package": str(self.package) if self.package else None, "init": str(self.init) if self.init else None}

    @classmethod
    def from_json(cls, data: dict[str, str | None] | None) -> ProgramFiles:
        data = data or {}
        package, init = data.get("package"), data.get("init")
        return cls(Path(package) if package else None, Path(init) if init else None)


def _manifest_digest(entries: Iterator[tuple[str, str]]) -> str:
    lines = sorted(entries, key=lambda entry: entry[0].encode())
    return hashlib.sha256("".join(f"{digest}  {path}\n" for path, digest in lines).encode()).hexdigest()


def _skipped(relative: PurePosixPath) -> bool:
    return any(part in SKIPPED_DIRS for part in relative.parts[:-1])


def package_digest(root: Path) -> str:
    """The digest of the package rooted at directory `root` (see the module's notes)."""
    if not root.is_dir():
        raise ProgramPackageError(f"program package {root} is not a directory")

    def entries() -> Iterator[tuple[str, str]]:
        for path in root.rglob("*"):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if path.is_symlink():
                raise ProgramPackageError(f"program package {root}: {relative} is a symbolic link")
            if path.is_file() and not _skipped(relative):
                yield str(relative), sha256_file(path)

    return _manifest_digest(entries())


def _safe_member(name: str) -> PurePosixPath | None:
    """The member's path relative to the package root, or None for the root itself; raises for a
    path that would leave the root."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ProgramPackageError(f"archive member {name!r} leaves the package root")
    parts = [part for part in relative.parts if part != "."]
    return PurePosixPath(*parts) if parts else None


def _archive_files(archive: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Every regular file of a .tar(.gz) or .zip archive, as (relative path, content)."""
    total = count = 0

    def counted(path: PurePosixPath, data: bytes) -> tuple[PurePosixPath, bytes]:
        nonlocal total, count
        total, count = total + len(data), count + 1
        if total > MAX_PACKAGE_BYTES or count > MAX_PACKAGE_FILES:
            raise ProgramPackageError(f"program archive {archive.name} is over {MAX_PACKAGE_BYTES >> 20} MiB "
                                      f"or {MAX_PACKAGE_FILES} files")
        return path, data

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                path = _safe_member(info.filename)
                if path is not None and not info.is_dir():
                    if info.file_size > MAX_PACKAGE_BYTES:
                        raise ProgramPackageError(f"archive member {info.filename!r} is too large")
                    yield counted(path, zipped.read(info))
        return
    try:
        bundle = tarfile.open(archive)  # noqa: SIM115  (closed below; read lazily)
    except tarfile.TarError as exc:
        raise ProgramPackageError(f"program package {archive.name} is not a .tar, .tar.gz or .zip archive: "
                                  f"{exc}") from exc
    with bundle:
        for member in bundle:
            path = _safe_member(member.name)
            if path is None or member.isdir():
                continue
            if not member.isfile():
                raise ProgramPackageError(f"archive member {member.name!r} is not a regular file")
            if member.size > MAX_PACKAGE_BYTES:
                raise ProgramPackageError(f"archive member {member.name!r} is too large")
            reader = bundle.extractfile(member)
            assert reader is not None
            yield counted(path, reader.read())


def unpack_package(archive: Path, dest: Path) -> str:
    """Unpacks the program archive into the new directory `dest` (regular files only, none outside
    it) and returns the package's digest."""
    dest.mkdir(parents=True)
    for relative, data in _archive_files(archive):
        if _skipped(relative):
            continue
        target = dest.joinpath(*relative.parts)
        if target.exists():
            raise ProgramPackageError(f"archive member {relative} appears twice")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return package_digest(dest)


def pack_package(root: Path) -> bytes:
    """A .tar.gz of the package at `root` (sorted, no owners or times: the same bytes every time),
    ready to store; its digest is `package_digest(root)`."""
    buffer = io.BytesIO()
    files = sorted((p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
                    and not _skipped(PurePosixPath(p.relative_to(root).as_posix()))),
                   key=lambda p: p.relative_to(root).as_posix().encode())
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as bundle:
        for path in files:
            info = tarfile.TarInfo(path.relative_to(root).as_posix())
            info.size, info.mode = path.stat().st_size, 0o644
            with path.open("rb") as fh:
                bundle.addfile(info, fh)
    return buffer.getvalue()


def fetch_package(spec: TaskSpec, store: Store, cache: Path) -> Path | None:
    """The spec's program package unpacked under `cache/programs/<digest>` (fetched and checked
    once per node); None for a spec without a program. Raises `ProgramPackageError` naming the
    digest found when it is not the spec's."""
    if spec.program is None:
        return None
    program = spec.program
    dest = cache / "programs" / program.digest
    if dest.is_dir():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=dest.parent) as tmp:
        archive = store.get_file(program.uri, Path(tmp) / "package")
        unpacked = Path(tmp) / "unpacked"
        found = unpack_package(archive, unpacked)
        if found != program.digest:
            raise ProgramPackageError(f"program package at {program.uri} has digest {found}, "
                                      f"the spec's program.digest is {program.digest}")
        unpacked.replace(dest)
    return dest


def fetch_init(spec: TaskSpec, store: Store, cache: Path) -> Path | None:
    """The spec's init weights at `cache/weights/<digest>.safetensors` (fetched and checked once per
    node); None for a spec without `init`. Raises `ProgramPackageError` on a digest mismatch."""
    if spec.init is None:
        return None
    init = spec.init
    dest = cache / "weights" / f"{init.digest}.{init.format}"
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=dest.parent) as tmp:
        fetched = store.get_file(init.uri, Path(tmp) / "weights")
        found = sha256_file(fetched)
        if found != init.digest:
            raise ProgramPackageError(f"init weights at {init.uri} have digest {found}, "
                                      f"the spec's init.digest is {init.digest}")
        fetched.replace(dest)
    return dest


def fetch_program_files(spec: TaskSpec, store: Store, cache: Path) -> ProgramFiles:
    """`fetch_package` and `fetch_init` together."""
    return ProgramFiles(fetch_package(spec, store, cache), fetch_init(spec, store, cache))
