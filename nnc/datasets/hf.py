"""A Hugging Face `datasets` folder written by `save_to_disk`, read with pyarrow alone.

A `Dataset` folder holds `state.json` (its `_data_files`, Arrow IPC stream files, in order) and
`dataset_info.json`; a `DatasetDict` folder holds `dataset_dict.json` naming its splits, each a
`Dataset` folder. Every split is read, in the order listed (the task makes its own split).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from nnc.datasets.batches import Batches
from nnc.datasets.formats import dataset_root
from nnc.datasets.images import ImageDecoder
from nnc.datasets.tables import record_batches, record_text
from nnc.errors import DatasetError


def _json(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a readable JSON file: {exc}") from exc
    if not isinstance(value, dict):
        raise DatasetError(f"{path}: expected a JSON object")
    return value


def arrow_files(root: Path) -> list[Path]:
    """The Arrow files of a `save_to_disk` folder, every split in order."""
    root = dataset_root(root)
    if (root / "dataset_dict.json").is_file():
        splits = _json(root / "dataset_dict.json").get("splits")
        if not isinstance(splits, list) or not splits:
            raise DatasetError(f"{root / 'dataset_dict.json'}: no 'splits' list")
        return [f for split in splits for f in arrow_files(root / str(split))]
    state = root / "state.json"
    if not state.is_file():
        raise DatasetError(f"{root}: not a Hugging Face save_to_disk folder (no state.json or dataset_dict.json)")
    data_files = _json(state).get("_data_files")
    if not isinstance(data_files, list) or not data_files:
        raise DatasetError(f"{state}: no '_data_files' list")
    files = [root / str(entry.get("filename")) for entry in data_files if isinstance(entry, dict)]
    for path in files:
        if not path.is_file() or path.parent != root:
            raise DatasetError(f"{state} names {path.name}, which is not a file of the folder")
    return files


def _record_batches(path: Path) -> Iterator[object]:
    import pyarrow as pa

    try:
        with pa.memory_map(str(path)) as source:
            try:
                reader = pa.ipc.open_stream(source)
            except pa.ArrowInvalid:
                source.seek(0)
                reader = pa.ipc.open_file(source)  # an older datasets release wrote the file format
                for index in range(reader.num_record_batches):
                    yield reader.get_batch(index)
                return
            yield from reader
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{path}: not a readable Arrow file: {exc}") from exc


def hf_batches(root: Path, decoder: ImageDecoder) -> Batches:
    for path in arrow_files(root):
        yield from record_batches(_record_batches(path), decoder, str(path))


def hf_text(root: Path) -> Iterator[str]:
    for path in arrow_files(root):
        yield from record_text(_record_batches(path), str(path))
