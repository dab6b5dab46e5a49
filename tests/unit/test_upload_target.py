"""Where the web app uploads large datasets: the storage node's URL, never one carrying credentials."""

from __future__ import annotations

from pathlib import Path

from nnc.api.uploads import DIRECT_CHUNK, LIMITS, upload_target
from nnc.settings import load_settings


def test_the_target_is_the_ipfs_node_the_browser_reaches(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, ipfs_api_url="http://10.0.0.2:5001",
                             ipfs_upload_url="https://ipfs.example.org/")
    assert upload_target(settings) == {"url": "https://ipfs.example.org", "chunk_bytes": DIRECT_CHUNK,
                                       "api_limit_bytes": LIMITS["dataset"]}
    assert upload_target(load_settings(data_dir=tmp_path, storage_url="ipfs+http://127.0.0.1:5001"))["url"] == \
        "http://127.0.0.1:5001"


def test_no_target_without_ipfs_or_with_credentials_in_the_url(tmp_path: Path) -> None:
    assert upload_target(load_settings(data_dir=tmp_path))["url"] is None
    secret = load_settings(data_dir=tmp_path, ipfs_api_url="https://user:token@pinning.example.com")
    assert upload_target(secret)["url"] is None
