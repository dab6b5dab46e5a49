"""The local content-addressed store and `open_store`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from nnc.errors import ContentNotFoundError, IntegrityError, StorageError
from nnc.storage import LocalStore, Store, open_store, sha256_file
from nnc.storage.hashing import CHUNK_SIZE

MISSING = "local://sha256/" + "ab" * 32


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def object_path(store: LocalStore, uri: str) -> Path:
    digest = uri.removeprefix("local://sha256/")
    return store.root / "sha256" / digest[:2] / digest


def corrupt(path: Path, data: bytes) -> None:
    path.chmod(0o644)
    path.write_bytes(data)


def test_local_store_is_a_store(store: LocalStore) -> None:
    assert isinstance(store, Store)


def test_bytes_round_trip(store: LocalStore) -> None:
    data = b"hello nnc\x00\xff"
    uri = store.put_bytes(data)
    assert uri == "local://sha256/" + hashlib.sha256(data).hexdigest()
    assert store.exists(uri)
    assert store.get_bytes(uri) == data
    assert object_path(store, uri).read_bytes() == data
    assert store.put_bytes(data) == uri  # idempotent
    store.pin(uri)


def test_empty_content(store: LocalStore) -> None:
    uri = store.put_bytes(b"")
    assert store.get_bytes(uri) == b""


def test_multi_mib_file_round_trip(store: LocalStore, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(5 * 1024 * 1024 + 123))
    uri = store.put_file(source)
    assert uri == "local://sha256/" + sha256_file(source)
    dest = tmp_path / "out" / "copy.bin"
    dest.parent.mkdir()
    assert store.get_file(uri, dest) == dest
    assert dest.read_bytes() == source.read_bytes()
    assert store.get_bytes(uri) == source.read_bytes()
    assert store.put_bytes(source.read_bytes()) == uri
    assert list((store.root / "tmp").iterdir()) == []


def test_put_file_reports_progress_per_chunk_up_to_the_size(store: LocalStore, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(2 * CHUNK_SIZE + 12_345))
    size = source.stat().st_size
    calls: list[tuple[int, int]] = []
    uri = store.put_file(source, lambda done, total: calls.append((done, total)))
    assert calls == [(0, size), (CHUNK_SIZE, size), (2 * CHUNK_SIZE, size), (size, size)]
    assert store.get_bytes(uri) == source.read_bytes()
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    calls.clear()
    store.put_file(empty, lambda done, total: calls.append((done, total)))
    assert calls == [(0, 0)]


def test_get_file_overwrites_dest(store: LocalStore, tmp_path: Path) -> None:
    uri = store.put_bytes(b"new")
    dest = tmp_path / "dest"
    dest.write_bytes(b"old content")
    store.get_file(uri, dest)
    assert dest.read_bytes() == b"new"


def test_corrupted_content_raises_integrity_error(store: LocalStore, tmp_path: Path) -> None:
    uri = store.put_bytes(b"the real bytes")
    corrupt(object_path(store, uri), b"the fake bytes")
    with pytest.raises(IntegrityError) as info:
        store.get_bytes(uri)
    assert info.value.uri == uri
    assert info.value.expected == hashlib.sha256(b"the real bytes").hexdigest()
    assert info.value.actual == hashlib.sha256(b"the fake bytes").hexdigest()

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(IntegrityError):
        store.get_file(uri, out / "file")
    assert list(out.iterdir()) == []  # neither dest nor a temporary file is left


def test_put_repairs_a_damaged_copy(store: LocalStore) -> None:
    uri = store.put_bytes(b"precious")
    corrupt(object_path(store, uri), b"damaged")
    assert store.put_bytes(b"precious") == uri
    assert store.get_bytes(uri) == b"precious"


def test_missing_content(store: LocalStore, tmp_path: Path) -> None:
    assert not store.exists(MISSING)
    with pytest.raises(ContentNotFoundError, match=MISSING):
        store.get_bytes(MISSING)
    with pytest.raises(ContentNotFoundError):
        store.get_file(MISSING, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    with pytest.raises(ContentNotFoundError):
        store.pin(MISSING)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "local://sha256/" + "AB" * 32,
        "local://sha256/" + "ab" * 31,
        "local://sha1/" + "ab" * 20,
        "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "local://sha256/" + "ab" * 32 + "/../x",
    ],
)
def test_malformed_uri_is_named(store: LocalStore, uri: str) -> None:
    for call in (store.get_bytes, store.exists, store.pin):
        with pytest.raises(StorageError, match="malformed storage URI") as info:
            call(uri)
        assert repr(uri) in str(info.value)
        assert not isinstance(info.value, ContentNotFoundError)


def test_put_file_of_a_missing_path(store: LocalStore, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="absent"):
        store.put_file(tmp_path / "absent")
    assert not (store.root / "tmp").exists() or list((store.root / "tmp").iterdir()) == []


def test_open_store_local_url(tmp_path: Path) -> None:
    store = open_store(f"local://{tmp_path}/s")
    assert isinstance(store, LocalStore) and store.root == tmp_path / "s"
    uri = store.put_bytes(b"x")
    assert open_store(str(tmp_path / "s")).get_bytes(uri) == b"x"


def test_open_store_rejects_other_backends() -> None:
    with pytest.raises(StorageError, match=r"unsupported storage URL 'ipfs://127.0.0.1:5001'.*ipfs\+http://host:port"):
        open_store("ipfs://127.0.0.1:5001")  # a content URI, not the address of a store
    with pytest.raises(StorageError, match="expected ipfs\\+http://host:port"):
        open_store("ipfs+http://")
    with pytest.raises(StorageError, match="local:///absolute/path"):
        open_store("local://relative/dir")
    with pytest.raises(StorageError):
        open_store("")
