"""IpfsStore against the real local Helia node: round trips, CID parity, corruption, failures."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import requests

from nnc.errors import ContentNotFoundError, IntegrityError, ServiceUnavailableError, StorageError
from nnc.storage.cid import Cid
from nnc.storage.hashing import CHUNK_SIZE as READ_CHUNK
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import IpfsNode, free_port
from nnc.storage.unixfs import CHUNK_SIZE, file_cid
from tests.storage.conftest import FAST_RETRIES
from tests.storage.test_cid import KUBO_VECTORS, MULTI_CHUNK, pattern


def test_small_round_trip_and_kubo_vector(ipfs: IpfsStore) -> None:
    uri = ipfs.put_bytes(b"hello world\n")
    assert uri == "ipfs://bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    assert ipfs.get_bytes(uri) == b"hello world\n"
    assert ipfs.exists(uri)
    ipfs.pin(uri)


@pytest.mark.parametrize(("data", "version", "expected"), KUBO_VECTORS)
def test_node_gives_kubo_cids(ipfs_node: IpfsNode, data: bytes, version: int, expected: str) -> None:
    store = IpfsStore(ipfs_node.url, cid_version=version)
    uri = store.put_bytes(data)
    assert uri == f"ipfs://{expected}"
    assert store.get_bytes(uri) == data


@pytest.mark.parametrize("version", [0, 1])
def test_multi_chunk_file_round_trip(ipfs_node: IpfsNode, tmp_path: Path, version: int) -> None:
    store = IpfsStore(ipfs_node.url, cid_version=version)
    data = os.urandom(5 * CHUNK_SIZE + 17)  # 1.25 MiB, six chunks
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    uri = store.put_file(source)
    assert store.cid_of(uri) == file_cid(data, version)  # the node's CID is the one computed here
    assert store.cid_of(uri).codec == 0x70
    dest = store.get_file(uri, tmp_path / "out" / "copy.bin")
    assert dest.read_bytes() == data
    assert store.get_bytes(uri) == data


def test_put_file_reports_the_bytes_sent(ipfs: IpfsStore, tmp_path: Path) -> None:
    source = tmp_path / "dataset.npz"
    source.write_bytes(os.urandom(2 * READ_CHUNK + 999))
    size = source.stat().st_size
    calls: list[tuple[int, int]] = []
    uri = ipfs.put_file(source, lambda done, total: calls.append((done, total)))
    assert calls == [(0, size), (READ_CHUNK, size), (2 * READ_CHUNK, size), (size, size)]
    assert ipfs.get_bytes(uri) == source.read_bytes()


@pytest.mark.parametrize(("size", "a", "shift", "v0", "v1"), MULTI_CHUNK)
def test_node_matches_recorded_multi_chunk_vectors(ipfs_node: IpfsNode, size: int, a: int, shift: int,
                                                   v0: str, v1: str) -> None:
    data = pattern(size, a, shift)
    assert IpfsStore(ipfs_node.url, cid_version=1).put_bytes(data) == f"ipfs://{v1}"
    if size < 10 * CHUNK_SIZE:
        assert IpfsStore(ipfs_node.url, cid_version=0).put_bytes(data) == f"ipfs://{v0}"


def test_unseekable_stream_is_stored(ipfs: IpfsStore) -> None:
    data = os.urandom(CHUNK_SIZE + 1)
    read_end, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as writer:
            writer.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    with os.fdopen(read_end, "rb") as reader:
        uri = ipfs.put_stream(reader)  # sent with chunked transfer encoding: the size is unknown
    feeder.join(timeout=10)
    assert uri == ipfs.uri_for(file_cid(data))
    assert ipfs.get_bytes(uri) == data


def _block_file(node: IpfsNode, block: bytes) -> Path:
    """The file in the node's filesystem blockstore that holds `block` (a raw leaf)."""
    matches = [p for p in node.blocks_dir.rglob("*.data") if p.stat().st_size == len(block) and p.read_bytes() == block]
    assert len(matches) == 1
    return matches[0]


def test_corrupted_block_is_detected_and_nothing_is_written(ipfs_node: IpfsNode, ipfs: IpfsStore,
                                                            tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK_SIZE)
    uri = ipfs.put_bytes(data)
    block = _block_file(ipfs_node, data[CHUNK_SIZE:2 * CHUNK_SIZE])  # the second leaf, on disk
    damaged = bytearray(block.read_bytes())
    damaged[1000] ^= 0xFF
    block.chmod(0o644)
    block.write_bytes(bytes(damaged))
    with pytest.raises(IntegrityError) as info:
        ipfs.get_bytes(uri)
    assert info.value.expected == str(ipfs.cid_of(uri)) and info.value.actual != info.value.expected
    assert info.value.expected in str(info.value) and info.value.actual in str(info.value)
    dest = tmp_path / "model.bin"
    with pytest.raises(IntegrityError):
        ipfs.get_file(uri, dest)
    assert list(tmp_path.iterdir()) == []  # no dest, no temporary file


def test_missing_content(ipfs: IpfsStore, tmp_path: Path) -> None:
    absent = ipfs.uri_for(Cid.of_block(os.urandom(16), 0x55))
    assert not ipfs.exists(absent)
    with pytest.raises(ContentNotFoundError, match="no content under ipfs://"):
        ipfs.get_bytes(absent)
    with pytest.raises(ContentNotFoundError):
        ipfs.pin(absent)
    with pytest.raises(ContentNotFoundError):
        ipfs.get_file(absent, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(StorageError, match="malformed IPFS URI"):
        ipfs.get_bytes("ipfs://not-a-cid")


def test_unreachable_service_fails_fast_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = IpfsStore(url, policy=FAST_RETRIES)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match=f"IPFS API at {url} unavailable after 3 attempt") as info:
        store.put_bytes(b"x")
    with pytest.raises(ServiceUnavailableError):
        store.get_bytes("ipfs://bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    assert time.monotonic() - started < 5
    assert info.value.url == url and "Connection" in str(info.value)


def test_content_imported_with_other_settings_is_not_trusted(ipfs_node: IpfsNode) -> None:
    """A DAG built with other chunks than kubo's defaults cannot be re-derived from its bytes, so
    a download refuses it (and `put` refuses a node that builds such DAGs)."""
    data = os.urandom(5 * CHUNK_SIZE)
    reply = requests.post(f"{ipfs_node.url}/api/v0/add", params={"cid-version": "1", "chunker": "size-1048576"},
                          files={"file": ("blob", data)}, timeout=10)
    other = reply.json()["Hash"]
    assert other != str(file_cid(data))
    with pytest.raises(IntegrityError, match=f"expected digest {other}"):
        IpfsStore(ipfs_node.url).get_bytes(f"ipfs://{other}")
