"""Columnar datasets (Parquet files, and the Arrow files of a Hugging Face `save_to_disk` folder):
which columns are the inputs, the labels or the text, and how they become arrays.

Inputs are the first column named one of `INPUT_COLUMNS`: lists of numbers (nested lists for
several dimensions), or images (a binary column of encoded images, or Hugging Face's image struct
of `bytes` and `path`). Labels are the first of `LABEL_COLUMNS`, integer class indices. A text
corpus is the `text` column, rows joined with newlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from nnc.datasets.batches import Batches, checked_batch
from nnc.datasets.formats import SUFFIXES, files_with
from nnc.datasets.images import ImageDecoder
from nnc.errors import DatasetError

if TYPE_CHECKING:
    import pyarrow as pa

INPUT_COLUMNS: Final = ("inputs", "image", "img", "pixel_values", "x", "features")
LABEL_COLUMNS: Final = ("labels", "label", "y", "target")
TEXT_COLUMN: Final = "text"
BATCH_ROWS: Final = 1024


def _pick(names: Iterable[str], wanted: tuple[str, ...], what: str, where: str) -> str:
    present = list(names)
    for name in wanted:
        if name in present:
            return name
    raise DatasetError(f"{where}: no {what} column (looked for {', '.join(wanted)}; it has {', '.join(present)})")


def classification_columns(names: Iterable[str], where: str) -> tuple[str, str]:
    """(inputs column, labels column) among `names`."""
    names = list(names)
    return _pick(names, INPUT_COLUMNS, "inputs", where), _pick(names, LABEL_COLUMNS, "labels", where)


def _numbers(column: pa.Array, where: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    rows, dims = len(column), []
    while pa.types.is_list(column.type) or pa.types.is_large_list(column.type) or \
            pa.types.is_fixed_size_list(column.type):
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        if len(lengths) and (lengths != lengths[0]).any():
            raise DatasetError(f"{where}: input rows of different lengths ({lengths.min()} to {lengths.max()})")
        dims.append(int(lengths[0]) if len(lengths) else 0)
        column = pc.list_flatten(column)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise DatasetError(f"{where}: inputs must be numbers or images, not {column.type}")
    if column.null_count:
        raise DatasetError(f"{where}: {column.null_count} missing input values")
    values: np.ndarray = column.to_numpy(zero_copy_only=False)
    return values.reshape(rows, *dims) if dims else values.reshape(rows, 1)


def column_arrays(inputs: pa.Array, labels: pa.Array, decoder: ImageDecoder, where: str) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """One batch's inputs (numbers or decoded images) and labels as numpy arrays."""
    import pyarrow as pa

    if isinstance(inputs, pa.ChunkedArray):
        inputs = inputs.combine_chunks()
    if isinstance(labels, pa.ChunkedArray):
        labels = labels.combine_chunks()
    if pa.types.is_struct(inputs.type) and inputs.type.get_field_index("bytes") >= 0:
        inputs = inputs.field("bytes")
    if pa.types.is_binary(inputs.type) or pa.types.is_large_binary(inputs.type):
        images = [decoder.decode(data, f"{where} row {i}") for i, data in enumerate(inputs.to_pylist())]
        x = np.stack(images) if images else np.zeros((0, 1), np.float32)
    else:
        x = _numbers(inputs, where)
    if not pa.types.is_integer(labels.type):
        raise DatasetError(f"{where}: labels must be integer class indices, not {labels.type}")
    if labels.null_count:
        raise DatasetError(f"{where}: {labels.null_count} missing labels")
    return x, labels.to_numpy(zero_copy_only=False)


def record_batches(batches: Iterable[pa.RecordBatch], decoder: ImageDecoder, where: str) -> Batches:
    for batch in batches:
        x_name, y_name = classification_columns(batch.schema.names, where)
        x, y = column_arrays(batch.column(x_name), batch.column(y_name), decoder, where)
        yield checked_batch(x, y, where)


def record_text(batches: Iterable[pa.RecordBatch], where: str) -> Iterator[str]:
    import pyarrow as pa

    for batch in batches:
        if TEXT_COLUMN not in batch.schema.names:
            raise DatasetError(f"{where}: no '{TEXT_COLUMN}' column for a text dataset (it has "
                               f"{', '.join(batch.schema.names)})")
        column = batch.column(TEXT_COLUMN)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            raise DatasetError(f"{where}: the '{TEXT_COLUMN}' column holds {column.type}, not strings")
        yield from (row for row in column.to_pylist() if row is not None)


def _parquet_files(root: Path) -> list[Path]:
    files = files_with(root, SUFFIXES["parquet"])
    if not files:
        raise DatasetError(f"{root}: no .parquet file for format 'parquet'")
    return files


def _parquet_batches(path: Path, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file: {exc}") from exc


def parquet_batches(root: Path, decoder: ImageDecoder) -> Batches:
    """Classification batches of every .parquet file under `root`, read a row group at a time."""
    import pyarrow.parquet as pq

    for path in _parquet_files(root):
        try:
            names = pq.read_schema(path).names
        except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
            raise DatasetError(f"{path}: not a readable Parquet file: {exc}") from exc
        columns = list(classification_columns(names, str(path)))
        yield from record_batches(_parquet_batches(path, columns), decoder, str(path))


def parquet_text(root: Path) -> Iterator[str]:
    for path in _parquet_files(root):
        yield from record_text(_parquet_batches(path), str(path))
