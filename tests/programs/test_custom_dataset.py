"""A program's own dataset (`dataset.name: custom`): only with a program, always pinned, and checked
against its pin when a node fetches it, before the program sees a byte of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.errors import DatasetError, TaskSpecError
from nnc.storage import LocalStore
from nnc.storage.archive import put_directory
from nnc.task import parse_spec
from nnc.training.data import fetch_dataset
from tests.programs.conftest import example_document


def test_custom_needs_a_program_and_a_pinned_uri() -> None:
    document = example_document()
    del document["dataset"]["digest"]
    with pytest.raises(TaskSpecError, match="dataset 'custom' has no bundled copy"):
        parse_spec(document)
    document = example_document()
    del document["program"]
    document["model"] = {"kind": "mlp", "hidden": [8], "channels": []}
    with pytest.raises(TaskSpecError, match="cannot read dataset 'custom'"):
        parse_spec(document)


def test_a_program_s_dataset_is_checked_against_its_digest_when_fetched(image_folder: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    uri, digest = put_directory(store, image_folder)
    document = example_document()
    document["dataset"].update(uri=uri, digest=digest)
    fetched = fetch_dataset(parse_spec(document), store, tmp_path / "work")
    assert fetched is not None and fetched.is_dir()
    document["dataset"]["digest"] = "0" * 64
    with pytest.raises(DatasetError, match=f"has digest {digest}, the spec pins 0000"):
        fetch_dataset(parse_spec(document), store, tmp_path / "other")
