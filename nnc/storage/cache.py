"""A node's cache of fetched content, by URI: a second task on the same dataset downloads nothing.

Each entry is the verified download `<root>/<key>` (the key is the CID of an `ipfs://` URI, else
a hash of the URI), its SHA-256 in `<key>.sha256` (written once the store has verified the
download against the URI), and, for an archive, its extraction `<key>.d/` (complete or absent)
with its tree digest in `<key>.tree`.
A hit is checked again before use: a file whose SHA-256 (or an extraction whose tree digest) no
longer matches (a disk error, a
truncated copy, a program that wrote to a linked copy) is dropped and fetched again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Final

from nnc.errors import StorageError
from nnc.storage.archive import archive_kind, content_digest, extract_archive
from nnc.storage.base import Store
from nnc.storage.hashing import sha256_file

log = logging.getLogger(__name__)

DATASET_CACHE: Final = "datasets"
"""The folder, under a node's home, of its cache of fetched datasets (by content id)."""


def cache_key(uri: str) -> str:
    """The entry name of `uri`: the CID of an ipfs:// URI, else SHA-256 of the URI (32 hex digits)."""
    if uri.startswith("ipfs://") and uri[7:].isalnum():
        return uri[7:]
    return "u" + hashlib.sha256(uri.encode()).hexdigest()[:32]


class ContentCache:
    """Verified downloads from `store` under `root`."""

    def __init__(self, root: Path, store: Store) -> None:
        self.root = root
        self.store = store

    def file(self, uri: str) -> Path:
        """The verified content of `uri` as a file, fetched (streamed to disk) unless cached intact."""
        key = cache_key(uri)
        path, sidecar = self.root / key, self.root / f"{key}.sha256"
        if path.is_file() and sidecar.is_file():
            if sha256_file(path) == sidecar.read_text().strip():
                log.debug("cache hit: %s at %s", uri, path)
                return path
            log.warning("cached copy of %s at %s is corrupt: fetching it again", uri, path)
        self.drop(uri)
        self.root.mkdir(parents=True, exist_ok=True)
        self.store.get_file(uri, path)  # verified against the URI as it streams in
        temp = sidecar.with_suffix(".sha256.part")
        temp.write_text(sha256_file(path) + "\n")
        os.replace(temp, sidecar)
        return path

    def materialized(self, uri: str) -> Path:
        """The content of `uri` ready to read: the extracted directory of an archive, else the file."""
        path = self.file(uri)
        if archive_kind(path) is None:
            return path
        extracted, sidecar = path.with_name(path.name + ".d"), path.with_name(path.name + ".tree")
        if extracted.is_dir() and sidecar.is_file():
            if content_digest(extracted) == sidecar.read_text().strip():
                return extracted
            log.warning("cached extraction of %s at %s is corrupt: extracting it again", uri, extracted)
        shutil.rmtree(extracted, ignore_errors=True)
        extract_archive(path, extracted)
        temp = sidecar.with_suffix(".tree.part")
        temp.write_text(content_digest(extracted) + "\n")
        os.replace(temp, sidecar)
        return extracted

    def drop(self, uri: str) -> None:
        """Forgets `uri`'s entry (file, checksum and extraction)."""
        key = cache_key(uri)
        for name in (key, f"{key}.sha256", f"{key}.tree"):
            (self.root / name).unlink(missing_ok=True)
        shutil.rmtree(self.root / f"{key}.d", ignore_errors=True)


def link_copy(source: Path, dest: Path) -> Path:
    """`dest` as a copy of the file or directory `source`, made of hard links where the file system
    allows (no bytes copied), else of copies. An existing `dest` is replaced."""
    if dest.is_dir() and not dest.is_symlink():
        shutil.rmtree(dest)
    elif dest.exists() or dest.is_symlink():
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    try:
        if source.is_dir():
            shutil.copytree(source, dest, copy_function=link)
        else:
            link(str(source), str(dest))
    except OSError as exc:
        raise StorageError(f"cannot place {source} at {dest}: {exc}") from exc
    return dest
