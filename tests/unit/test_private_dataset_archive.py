"""A private dataset directory: archived, encrypted to the chosen nodes (`nnc data put --encrypt-to`
takes the archive), decrypted and extracted by a chosen node, unreadable to others."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from nnc.storage.archive import content_digest
from nnc.storage.crypto import NotARecipientError, encrypt_file, parse_public_key
from nnc.worker.privacy import NodeKey


def test_a_chosen_node_opens_an_encrypted_archive_as_the_requester_s_directory(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    for label in ("circle", "square"):
        (folder / label).mkdir(parents=True)
        for index in range(3):
            (folder / label / f"{index}.png").write_bytes(f"{label}-{index}".encode() * 50)
    archive = tmp_path / "images.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=".")
    chosen, stranger = NodeKey(tmp_path / "chosen.key"), NodeKey(tmp_path / "stranger.key")
    fetched = tmp_path / "work" / "dataset-0123.npz"
    fetched.parent.mkdir()
    encrypt_file(archive, fetched, [parse_public_key(chosen.public_hex)])

    opened = chosen.open_dataset(fetched)
    assert opened is not None and opened.is_dir()
    assert content_digest(opened) == content_digest(folder) == content_digest(archive)  # what the spec pins
    assert chosen.open_dataset(fetched) == opened  # a second task reuses it
    with pytest.raises(NotARecipientError):
        NodeKey(tmp_path / "stranger.key").open_dataset(fetched.rename(tmp_path / "work" / "other.npz"))
    assert stranger.public_hex != chosen.public_hex
