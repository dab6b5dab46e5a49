"""Datasets in every format: read to the classification split (or a text corpus), checked against
the spec (format, input shape, classes, digest), stored as directories, fetched through a node's
cache."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnc.datasets import FORMATS, detect_format, open_dataset
from nnc.errors import DatasetError, StorageError, TaskSpecError
from nnc.runtimes.dispatch import train
from nnc.storage import LocalStore
from nnc.storage.archive import (
    DirectoryTar,
    archive_entries,
    content_digest,
    directory_entries,
    extract_archive,
    put_directory,
    tree_digest,
)
from nnc.storage.cache import ContentCache
from nnc.task import parse_spec, spec_digest
from nnc.training.data import fetch_dataset, load_data, load_dataset_digest
from nnc.training.text import load_text
from tests.dataset_files import WRITERS, digits, spec_with, write_imagefolder, write_parquet
from tests.nodes import NODE

ROOT = Path(__file__).resolve().parents[2]
TINY = json.loads((ROOT / "tests" / "data" / "tiny-spec.json").read_text())
ARRAYS = digits(60)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("formats")
    return {name: writer(base / name, ARRAYS) for name, writer in WRITERS.items()}


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_reads_to_the_same_samples(written: dict[str, Path], name: str) -> None:
    assert detect_format(written[name]) == name
    inputs, labels = open_dataset(written[name], name, input_shape=(1, 8, 8)).arrays()
    order = np.argsort(ARRAYS[1], kind="stable") if name == "imagefolder" else np.arange(len(ARRAYS[1]))
    assert inputs.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_allclose(inputs.reshape(60, -1), ARRAYS[0][order].reshape(60, -1), atol=1e-6)
    np.testing.assert_array_equal(labels, ARRAYS[1][order])


def test_images_are_resized_to_the_models_input(written: dict[str, Path]) -> None:
    inputs, _ = open_dataset(written["imagefolder"], input_shape=(3, 16, 16)).arrays()
    assert inputs.shape == (60, 3, 16, 16)


def test_a_format_that_does_not_match_the_content_is_named(written: dict[str, Path]) -> None:
    with pytest.raises(DatasetError, match="the spec's format 'parquet' does not match the content, which "
                                           "looks like 'imagefolder'"):
        open_dataset(written["imagefolder"], "parquet")


def test_a_parquet_file_without_a_labels_column_is_named(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"inputs": [[0.0, 1.0]], "klass": [1]}), tmp_path / "x.parquet")
    with pytest.raises(DatasetError, match=r"no labels column \(looked for labels, label, y, target; it has inputs, "
                                           "klass\\)"):
        open_dataset(tmp_path, "parquet").arrays()


def test_a_webdataset_sample_without_a_label_is_named(tmp_path: Path) -> None:
    with tarfile.open(tmp_path / "shard.tar", "w") as shard:
        info = tarfile.TarInfo("a.npy")
        data = io.BytesIO()
        np.save(data, np.zeros(4, np.float32))
        info.size = len(data.getvalue())
        shard.addfile(info, io.BytesIO(data.getvalue()))
    with pytest.raises(DatasetError, match="sample 'a' has no .cls label"):
        open_dataset(tmp_path, "webdataset").arrays()


# --- against the spec ---------------------------------------------------------------------------

def _spec(**dataset: Any) -> Any:
    return parse_spec(spec_with(TINY, **dataset))


@pytest.mark.parametrize("name", FORMATS)
def test_a_spec_trains_on_every_format(written: dict[str, Path], name: str) -> None:
    spec = _spec(uri="ipfs://unused", format=name)
    data = load_data(spec, written[name])
    assert data.train_x.shape[1] == 64 and data.n_train + len(data.eval_y) == 60


def test_a_pinned_tree_digest_is_checked(written: dict[str, Path]) -> None:
    digest = tree_digest(directory_entries(written["imagefolder"]))
    assert load_dataset_digest(_spec(uri="ipfs://x", format="imagefolder"), written["imagefolder"]) == digest
    load_data(_spec(uri="ipfs://x", format="imagefolder", digest=digest), written["imagefolder"])
    with pytest.raises(DatasetError, match=f"has digest {digest}, the spec pins 0000"):
        load_data(_spec(uri="ipfs://x", format="imagefolder", digest="0" * 64), written["imagefolder"])


def test_samples_of_the_wrong_shape_do_not_fit_the_model(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", inputs=np.zeros((10, 3, 4, 4), np.float32), labels=np.zeros(10, np.int64))
    with pytest.raises(DatasetError, match=r"samples of shape \(3, 4, 4\) \(48 values\) do not fit the model, which "
                                           r"takes \(1, 8, 8\) \(64 values\)"):
        load_data(_spec(uri="ipfs://x", format="npz"), tmp_path)


def test_labels_out_of_range_for_the_classes_are_named(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", inputs=np.zeros((10, 64), np.float32), labels=np.arange(10, dtype=np.int64) + 3)
    with pytest.raises(DatasetError, match=r"label 12 is out of range for the model's 10 classes \(0 to 9\)"):
        load_data(_spec(uri="ipfs://x", format="npz"), tmp_path)


def test_a_legacy_npz_file_keeps_its_arrays_digest(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", inputs=ARRAYS[0].reshape(60, 64), labels=ARRAYS[1])
    spec = _spec(uri="ipfs://x")
    digest = load_dataset_digest(spec, tmp_path / "d.npz")
    assert digest != content_digest(tmp_path / "d.npz")
    load_data(_spec(uri="ipfs://x", digest=digest), tmp_path / "d.npz")


def test_the_format_field_leaves_older_specs_digests_alone() -> None:
    assert "format" not in json.dumps(parse_spec(TINY).model_dump(mode="json"))
    assert spec_digest(parse_spec(TINY)) != spec_digest(_spec(uri="ipfs://x", format="npz"))


def test_a_format_the_spec_cannot_use_is_refused() -> None:
    text = json.loads((ROOT / "examples" / "text-generation-transformers.json").read_text())
    with pytest.raises(TaskSpecError, match="format 'imagefolder' cannot hold a text corpus"):
        parse_spec(spec_with(text, uri="ipfs://x", format="imagefolder"))
    with pytest.raises(TaskSpecError, match="format 'parquet' needs a uri"):
        _spec(format="parquet")


def test_a_text_dataset_reads_a_parquet_text_column(tmp_path: Path) -> None:
    text = json.loads((ROOT / "examples" / "text-generation-transformers.json").read_text())
    lines = ["the quick brown fox jumps over the lazy dog " * 4] * 40
    root = write_parquet(tmp_path / "corpus", ARRAYS, text=lines)
    spec = parse_spec(spec_with(text, uri="ipfs://x", format="parquet", digest=content_digest(root)))
    data = load_text(spec, root)
    assert data.n_train > 0


def test_training_runs_on_an_image_folder(written: dict[str, Path], tmp_path: Path) -> None:
    document = spec_with(TINY, uri="ipfs://x", format="imagefolder",
                         digest=tree_digest(directory_entries(written["imagefolder"])))
    document["training"].update({"steps": 4, "checkpoint_interval": 2})  # type: ignore[index]
    result = train(parse_spec(document), tmp_path, node=NODE, dataset_file=written["imagefolder"])
    assert result.steps == 4


# --- directories as content -----------------------------------------------------------------------

def test_the_tree_digest_is_the_same_for_a_folder_and_its_archives(written: dict[str, Path], tmp_path: Path) -> None:
    folder = written["imagefolder"]
    expected = content_digest(folder)
    shutil.make_archive(str(tmp_path / "a"), "gztar", folder)
    shutil.make_archive(str(tmp_path / "b"), "zip", folder)
    tar = DirectoryTar(folder)
    (tmp_path / "c.tar").write_bytes(tar.read())
    assert len((tmp_path / "c.tar").read_bytes()) == tar.size and tar.digest == expected
    for archive in ("a.tar.gz", "b.zip", "c.tar"):
        assert tree_digest(archive_entries(tmp_path / archive)) == expected, archive
        assert content_digest(extract_archive(tmp_path / archive, tmp_path / f"{archive}.d")) == expected
    assert DirectoryTar(folder).read() == (tmp_path / "c.tar").read_bytes()  # canonical: same bytes again


def test_an_archive_escaping_its_folder_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("../outside.txt", b"x")
    with pytest.raises(StorageError, match="unsafe member name '../outside.txt'"):
        extract_archive(tmp_path / "evil.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "outside.txt").exists()


def test_the_cache_fetches_once_and_refetches_a_corrupt_copy(written: dict[str, Path], tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    uri, digest = put_directory(store, written["webdataset"])
    calls: list[str] = []

    class CountingStore(LocalStore):
        def get_file(self, uri: str, dest: Path) -> Path:
            calls.append(uri)
            return super().get_file(uri, dest)

    spec = _spec(uri=uri, format="webdataset", digest=digest)
    counting = CountingStore(tmp_path / "store")
    first = fetch_dataset(spec, counting, tmp_path / "task-1", cache=tmp_path / "cache")
    second = fetch_dataset(spec, counting, tmp_path / "task-2", cache=tmp_path / "cache")
    assert first is not None and second is not None and len(calls) == 1
    assert load_data(spec, second).n_train == 48
    cached = ContentCache(tmp_path / "cache", counting).file(uri)
    cached.write_bytes(cached.read_bytes()[:-10] + b"corrupted!")
    third = fetch_dataset(spec, counting, tmp_path / "task-3", cache=tmp_path / "cache")
    assert len(calls) == 2 and third is not None and content_digest(third) == digest


def test_a_directory_stored_and_fetched_keeps_its_digest(tmp_path: Path) -> None:
    folder = write_imagefolder(tmp_path / "images", digits(12))
    store = LocalStore(tmp_path / "store")
    uri, digest = put_directory(store, folder)
    fetched = fetch_dataset(_spec(uri=uri, format="imagefolder", digest=digest), store, tmp_path / "work")
    assert fetched is not None and fetched.is_dir() and content_digest(fetched) == digest
