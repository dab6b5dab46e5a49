"""Datasets on the real IPFS node: a directory stored as its canonical tar and fetched back through
a node's cache, `nnc data put DIR`, and the node's chunked upload for browsers."""

from __future__ import annotations

import os
from pathlib import Path

import requests
from click.testing import CliRunner

from nnc.cli import cli
from nnc.storage.archive import content_digest, put_directory
from nnc.storage.cache import ContentCache
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import IpfsNode
from tests.dataset_files import digits, write_imagefolder, write_webdataset


def test_a_directory_round_trips_through_ipfs_and_the_cache(ipfs: IpfsStore, tmp_path: Path) -> None:
    folder = write_webdataset(tmp_path / "shards", digits(30), shard_size=10)
    progress: list[tuple[int, int]] = []
    uri, digest = put_directory(ipfs, folder, lambda done, total: progress.append((done, total)))
    assert uri.startswith("ipfs://") and digest == content_digest(folder)
    assert progress[-1][0] == progress[-1][1] > 0
    cache = ContentCache(tmp_path / "cache", ipfs)
    fetched = cache.materialized(uri)
    assert fetched.is_dir() and content_digest(fetched) == digest
    assert put_directory(ipfs, folder)[0] == uri  # canonical: the same files give the same CID


def test_nnc_data_put_a_directory_prints_uri_and_digest(ipfs_node: IpfsNode, tmp_path: Path) -> None:
    folder = write_imagefolder(tmp_path / "images", digits(20))
    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_DATA_DIR": str(tmp_path / "data"),
           "NNC_STORAGE_URL": f"ipfs+{ipfs_node.url}"}
    result = CliRunner().invoke(cli, ["--progress", "data", "put", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("ipfs://") and lines[1] == f"digest {content_digest(folder)}"
    assert "uploading images/" in result.stderr
    refused = CliRunner().invoke(cli, ["data", "put", str(folder), "--encrypt-to", "00" * 32], env=env)
    assert "is a directory: --encrypt-to takes a single file" in str(refused.exception)


def test_nnc_data_put_program_prints_the_digest_a_node_checks(ipfs_node: IpfsNode, ipfs: IpfsStore,
                                                               tmp_path: Path) -> None:
    from nnc.task import parse_spec
    from nnc.training.program_package import fetch_package, package_digest
    from tests.programs.conftest import RESNET, example_document

    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_DATA_DIR": str(tmp_path / "data"),
           "NNC_STORAGE_URL": f"ipfs+{ipfs_node.url}"}
    result = CliRunner().invoke(cli, ["data", "put", "--program", str(RESNET)], env=env)
    assert result.exit_code == 0, result.output
    uri, digest_line = result.stdout.strip().splitlines()
    assert digest_line == f"digest {package_digest(RESNET)}"
    document = example_document()
    document["program"].update(uri=uri, digest=package_digest(RESNET))
    fetched = fetch_package(parse_spec(document), ipfs, tmp_path / "node-cache")  # what a node does with it
    assert fetched is not None and (fetched / "resnet_cnn.py").read_bytes() == (RESNET / "resnet_cnn.py").read_bytes()
    refused = CliRunner().invoke(cli, ["data", "put", "--program", str(RESNET / "resnet_cnn.py")], env=env)
    assert "--program takes a package directory" in str(refused.exception)


def _post(node: IpfsNode, command: str, **kwargs: object) -> requests.Response:
    return requests.post(f"{node.url}/api/v0/nnc/upload/{command}", timeout=30, **kwargs)  # type: ignore[arg-type]


def test_the_chunked_upload_stores_what_add_would(ipfs_node: IpfsNode, ipfs: IpfsStore, tmp_path: Path) -> None:
    payload = os.urandom(700_000)
    (tmp_path / "payload").write_bytes(payload)
    expected = ipfs.put_file(tmp_path / "payload")
    upload = _post(ipfs_node, "start").json()["Id"]
    chunk = 256 * 1024
    for offset in range(0, len(payload), chunk):
        answer = _post(ipfs_node, "chunk", params={"id": upload, "offset": offset}, data=payload[offset:offset + chunk])
        assert answer.status_code == 200 and answer.json()["Size"] == min(offset + chunk, len(payload))
    again = _post(ipfs_node, "chunk", params={"id": upload, "offset": 0}, data=payload[:chunk])  # a retried chunk
    assert again.status_code == 200 and again.json()["Size"] == len(payload)
    gap = _post(ipfs_node, "chunk", params={"id": upload, "offset": len(payload) + 5}, data=b"x")
    assert gap.status_code == 409 and "leaves a gap" in gap.json()["Message"]
    short = _post(ipfs_node, "finish", params={"id": upload, "size": len(payload) + 1, "cid-version": 1})
    assert short.status_code == 409
    done = _post(ipfs_node, "finish", params={"id": upload, "size": len(payload), "cid-version": 1,
                                              "raw-leaves": "true", "chunker": "size-262144"})
    assert done.status_code == 200 and IpfsStore.uri_for(done.json()["Hash"]) == expected
    assert ipfs.get_bytes(expected) == payload
    assert _post(ipfs_node, "finish", params={"id": upload}).status_code == 404  # staging file gone


def test_only_the_upload_answers_cross_origin(ipfs_node: IpfsNode) -> None:
    preflight = requests.options(f"{ipfs_node.url}/api/v0/nnc/upload/chunk", timeout=10,
                                 headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    add = requests.post(f"{ipfs_node.url}/api/v0/version", timeout=10, headers={"Origin": "http://app.example"})
    assert "Access-Control-Allow-Origin" not in add.headers
