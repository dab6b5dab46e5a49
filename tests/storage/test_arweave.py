"""ArweaveStore against real arlocal: round trips, chunked uploads, signed digests, failures."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from nnc.errors import ContentNotFoundError, IntegrityError, ServiceUnavailableError, StorageError
from nnc.storage.arweave import DIGEST_TAG, ArweaveStore
from nnc.storage.arweave_tx import b64url, chunk_ranges, generate_wallet, verify_header
from nnc.storage.services import ArLocal, free_port
from tests.storage.conftest import FAST_RETRIES

KIB = 1024


@pytest.mark.parametrize("size", [0, 5, 256 * KIB, 256 * KIB + 1, 1536 * KIB + 3])
def test_round_trip(arweave: ArweaveStore, size: int) -> None:
    """Empty, tiny, exactly one chunk, one byte over (the last two chunks rebalanced), six chunks."""
    data = os.urandom(size)
    uri = arweave.put_bytes(data)
    assert uri.startswith("ar://") and len(uri) == 5 + 43
    assert arweave.get_bytes(uri) == data
    assert arweave.digest_of(uri) == hashlib.sha256(data).hexdigest()
    assert arweave.exists(uri)


def test_file_round_trip_and_confirmation(arlocal: ArLocal, arweave: ArweaveStore, tmp_path: Path) -> None:
    data = os.urandom(3 * 256 * KIB + 100)
    source = tmp_path / "model.pt"
    source.write_bytes(data)
    uri = arweave.put_file(source)
    txid = arweave.txid_of(uri)
    assert requests.get(f"{arlocal.url}/tx/{txid}/status", timeout=5).text == "Pending"
    arlocal.mine()
    assert "block_height" in requests.get(f"{arlocal.url}/tx/{txid}/status", timeout=5).json()
    assert arweave.get_file(uri, tmp_path / "copy.pt").read_bytes() == data
    arweave.pin(uri)


@pytest.mark.parametrize("size", [5, 3 * 256 * KIB + 100])
def test_put_file_reports_the_bytes_posted(arweave: ArweaveStore, tmp_path: Path, size: int) -> None:
    """One chunk goes with the transaction; more are posted one by one, each reported."""
    source = tmp_path / "model.pt"
    source.write_bytes(os.urandom(size))
    calls: list[tuple[int, int]] = []
    uri = arweave.put_file(source, lambda done, total: calls.append((done, total)))
    posted = [end for start, end in chunk_ranges(size) if end > start]
    assert calls == [(0, size)] + [(end, size) for end in posted]
    assert len(calls) == (2 if size == 5 else 5)
    assert arweave.get_bytes(uri) == source.read_bytes()


def test_repeated_chunks_survive(arweave: ArweaveStore) -> None:
    """Equal 256 KiB chunks (zeros) come back whole: arlocal's server wrapper serves one chunk per position."""
    data = bytes(1024 * KIB)
    assert arweave.get_bytes(arweave.put_bytes(data)) == data


def test_chunk_split_follows_arweave() -> None:
    assert chunk_ranges(0) == [(0, 0)]
    assert chunk_ranges(256 * KIB) == [(0, 256 * KIB), (256 * KIB, 256 * KIB)]
    assert chunk_ranges(256 * KIB + 1) == [(0, 128 * KIB + 1), (128 * KIB + 1, 256 * KIB + 1)]
    assert [e - s for s, e in chunk_ranges(600_000)] == [256 * KIB, 256 * KIB, 600_000 - 512 * KIB]


def test_tampered_data_is_detected(arlocal: ArLocal, arweave: ArweaveStore, tmp_path: Path) -> None:
    data = os.urandom(2 * 256 * KIB)
    uri = arweave.put_bytes(data)
    header = requests.get(f"{arlocal.url}/tx/{arweave.txid_of(uri)}", timeout=5).json()
    with sqlite3.connect(arlocal.workdir / "db" / "db.sqlite") as db:  # rewrite a stored chunk on disk
        db.execute("UPDATE chunks SET chunk = ? WHERE data_root = ? AND data_size = ?",
                   (b64url(os.urandom(256 * KIB)), header["data_root"], len(data)))
    with pytest.raises(IntegrityError) as info:
        arweave.get_bytes(uri)
    assert info.value.expected == hashlib.sha256(data).hexdigest()
    dest = tmp_path / "x.bin"
    with pytest.raises(IntegrityError):
        arweave.get_file(uri, dest)
    assert list(tmp_path.iterdir()) == []


def test_tampered_header_is_detected(arlocal: ArLocal, arweave: ArweaveStore) -> None:
    uri = arweave.put_bytes(b"audit record")
    txid = arweave.txid_of(uri)
    header = requests.get(f"{arlocal.url}/tx/{txid}", timeout=5).json()
    assert verify_header(header, txid, uri)[DIGEST_TAG] == hashlib.sha256(b"audit record").hexdigest()
    forged = dict(header, tags=[{"name": b64url(DIGEST_TAG.encode()), "value": b64url(b"0" * 64)}])
    with pytest.raises(IntegrityError, match="signature that does not verify"):
        verify_header(forged, txid, uri)
    with pytest.raises(IntegrityError, match=f"expected digest {'A' * 43}"):
        verify_header(header, "A" * 43, "ar://" + "A" * 43)


def test_unfunded_wallet_upload_raises(arlocal: ArLocal) -> None:
    poor = ArweaveStore(arlocal.url, generate_wallet())
    with pytest.raises(StorageError, match=r"refused to post transaction .*HTTP 410.*fund wallet"):
        poor.put_bytes(os.urandom(1000))


def test_read_only_store_and_bad_uris(arlocal: ArLocal) -> None:
    reader = ArweaveStore(arlocal.url)
    with pytest.raises(StorageError, match="no Arweave wallet configured"):
        reader.put_bytes(b"x")
    absent = "ar://" + "b" * 43
    assert not reader.exists(absent)
    with pytest.raises(ContentNotFoundError, match="no transaction ar://b"):
        reader.get_bytes(absent)
    with pytest.raises(StorageError, match="malformed Arweave URI"):
        reader.get_bytes("ar://short")


def test_unreachable_gateway_fails_fast() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match=f"Arweave gateway at {url} unavailable after 3 attempt"):
        ArweaveStore(url, policy=FAST_RETRIES).get_bytes("ar://" + "c" * 43)
    assert time.monotonic() - started < 5
