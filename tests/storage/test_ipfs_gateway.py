"""The IPFS node's HTTP gateway (GET /ipfs/<cid>), as a browser or another IPFS tool fetches
content: the file's bytes with byte ranges, the raw block (checked against its CID here), and a
CAR whose every block is checked against its CID and whose leaves, in order, are the file."""

from __future__ import annotations

import os

import pytest
import requests

from nnc.storage.cid import DAG_PB, RAW, Cid, _read_varint
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import IpfsNode

DATA = os.urandom(600_000)  # three 256 KiB chunks: a dag-pb root over raw leaves


@pytest.fixture(scope="module")
def stored(ipfs: IpfsStore) -> Cid:
    return Cid.parse(ipfs.put_bytes(DATA).removeprefix("ipfs://"))


def gateway(node: IpfsNode, path: str, **kwargs: object) -> requests.Response:
    return requests.get(f"{node.url}/ipfs/{path}", timeout=30, **kwargs)  # type: ignore[arg-type]


def test_a_file_is_served_whole_and_by_byte_range(ipfs_node: IpfsNode, stored: Cid) -> None:
    whole = gateway(ipfs_node, str(stored))
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers["ETag"] == f'"{stored}"'
    assert "immutable" in whole.headers["Cache-Control"]
    for header, start, end in [("bytes=262000-262299", 262000, 262299), ("bytes=599990-", 599990, 599999),
                               ("bytes=-10", 599990, 599999), ("bytes=0-0", 0, 0)]:
        part = gateway(ipfs_node, str(stored), headers={"Range": header})
        assert part.status_code == 206 and part.content == DATA[start:end + 1], header
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    outside = gateway(ipfs_node, str(stored), headers={"Range": "bytes=600000-"})
    assert outside.status_code == 416
    head = requests.head(f"{ipfs_node.url}/ipfs/{stored}", timeout=30)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(DATA) and not head.content


def test_a_raw_block_is_what_its_cid_hashes(ipfs_node: IpfsNode, stored: Cid) -> None:
    for kwargs in ({"params": {"format": "raw"}}, {"headers": {"Accept": "application/vnd.ipld.raw"}}):
        raw = gateway(ipfs_node, str(stored), **kwargs)
        assert raw.status_code == 200 and raw.headers["Content-Type"] == "application/vnd.ipld.raw"
        assert Cid.of_block(raw.content, DAG_PB) == stored


def read_car(body: bytes) -> tuple[bytes, list[tuple[Cid, bytes]]]:
    """The header bytes and the (CID, block) sections of a CARv1."""
    length, pos = _read_varint(body, 0)
    header, pos = body[pos:pos + length], pos + length
    blocks = []
    while pos < len(body):
        length, pos = _read_varint(body, pos)
        section, pos = body[pos:pos + length], pos + length
        version, at = _read_varint(section, 0)
        codec, at = _read_varint(section, at)
        assert version == 1 and section[at:at + 2] == bytes([0x12, 0x20])
        cid = Cid(1, codec, section[at + 2:at + 34])
        blocks.append((cid, section[at + 34:]))
    return header, blocks


def test_a_car_holds_every_block_checked_against_its_cid(ipfs_node: IpfsNode, stored: Cid) -> None:
    car = gateway(ipfs_node, str(stored), params={"format": "car"})
    assert car.status_code == 200 and car.headers["Content-Type"].startswith("application/vnd.ipld.car; version=1")
    header, blocks = read_car(car.content)
    link = b"\x00" + stored.to_bytes()  # dag-cbor {roots: [tag 42 over the CID], version: 1}
    assert header == b"\xa2\x65roots\x81\xd8\x2a\x58" + bytes([len(link)]) + link + b"\x67version\x01"
    assert blocks[0][0] == stored
    for cid, block in blocks:
        assert Cid.of_block(block, cid.codec) == cid  # a client trusts nothing but the hashes
    leaves = [block for cid, block in blocks if cid.codec == RAW]
    assert len(leaves) == 3 and b"".join(leaves) == DATA  # depth first: the leaves in file order
    accepted = gateway(ipfs_node, str(stored), headers={"Accept": "application/vnd.ipld.car"})
    assert accepted.content == car.content


def test_bad_requests_are_named(ipfs_node: IpfsNode, stored: Cid) -> None:
    missing = Cid.of_block(b"never stored here", RAW)
    assert gateway(ipfs_node, str(missing)).status_code == 404
    bad = gateway(ipfs_node, "not-a-cid")
    assert bad.status_code == 400 and "invalid CID" in bad.text
    assert gateway(ipfs_node, str(stored), params={"format": "tar"}).status_code == 400
    posted = requests.post(f"{ipfs_node.url}/ipfs/{stored}", timeout=30)
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD"
