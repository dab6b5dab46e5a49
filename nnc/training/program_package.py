"""A requester's program package and init weights: their digests, and fetching them from storage
into a node's cache (by digest), checked before anything uses them.

A package is a directory stored the way any directory is (`nnc.storage.archive`): its canonical
tar, and its digest the tree digest of its files, the same for the directory and any .tar,
.tar.gz or .zip of it, with `__pycache__` directories left out everywhere (a node never runs
bytecode it did not compile from the package's sources). Unpacking refuses unsafe members, a
member given twice, and more than `MAX_PACKAGE_BYTES` or `MAX_PACKAGE_FILES`. The package's
root is what the sandboxed child puts on `sys.path`: an `entry` of `resnet_cnn:make_program` is
the function `make_program` of `resnet_cnn.py` at the root.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from nnc.errors import StorageError, TrainingError
from nnc.storage.archive import DirectoryTar, ExtractLimits, directory_entries, extract_archive, tree_digest
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


def compiled(relative: str) -> bool:
    """Whether a package file lies in a `__pycache__` directory (left out of digests and unpacking)."""
    return any(part in SKIPPED_DIRS for part in PurePosixPath(relative).parts[:-1])


def package_digest(root: Path) -> str:
    """The digest of the package rooted at directory `root` (see the module's notes)."""
    if not root.is_dir():
        raise ProgramPackageError(f"program package {root} is not a directory")
    try:
        return tree_digest(directory_entries(root, compiled))
    except StorageError as exc:
        raise ProgramPackageError(f"program package {root}: {exc}") from None


def unpack_package(archive: Path, dest: Path) -> str:
    """Unpacks the program archive into the new directory `dest` (regular files only, none outside
    it, within the package limits) and returns the package's digest."""
    try:
        extract_archive(archive, dest, exclude=compiled, limits=ExtractLimits(MAX_PACKAGE_BYTES, MAX_PACKAGE_FILES))
    except StorageError as exc:
        raise ProgramPackageError(f"program package {exc}") from None
    return package_digest(dest)


def pack_package(root: Path) -> bytes:
    """The canonical tar of the package at `root` (the same bytes every time), ready to store; its
    digest is `package_digest(root)`."""
    package_digest(root)  # a package that is not one fails here
    return DirectoryTar(root, compiled).read()


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
