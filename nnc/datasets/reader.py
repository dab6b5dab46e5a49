"""`open_dataset`: a dataset file or directory, in one of the spec's formats, as arrays or a corpus."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nnc.datasets.arrays import npz_batches, safetensors_batches
from nnc.datasets.batches import Batch, Batches, concatenate
from nnc.datasets.formats import FORMATS, TEXT_FORMATS, DatasetFormat, dataset_root, detect_format, files_with
from nnc.datasets.hf import hf_batches, hf_text
from nnc.datasets.imagefolder import imagefolder_batches
from nnc.datasets.images import ImageDecoder
from nnc.datasets.tables import parquet_batches, parquet_text
from nnc.datasets.webdataset import webdataset_batches
from nnc.errors import DatasetError

MAX_TEXT_BYTES: Final = 64 * 1024 * 1024
"""Largest corpus `Dataset.text` returns (a text task holds its corpus in memory)."""


@dataclass(frozen=True)
class Dataset:
    """A dataset at `path` (a file or directory) in `format`. `input_shape` (channels, height,
    width) is the shape images are decoded to; None keeps the first image's."""

    path: Path
    format: DatasetFormat
    input_shape: tuple[int, ...] | None = None

    def batches(self) -> Batches:
        """The samples in order, a batch (float32 inputs [n, ...], int64 labels [n]) at a time."""
        decoder = ImageDecoder(self.input_shape if self.format in ("imagefolder", "webdataset", "parquet",
                                                                    "hf-datasets") else None)
        if self.format == "npz":
            return npz_batches(self.path)
        if self.format == "safetensors":
            return safetensors_batches(self.path)
        if self.format == "parquet":
            return parquet_batches(self.path, decoder)
        if self.format == "imagefolder":
            return imagefolder_batches(self.path, decoder)
        if self.format == "webdataset":
            return webdataset_batches(self.path, decoder)
        return hf_batches(self.path, decoder)

    def arrays(self) -> Batch:
        """Every sample: inputs float32 [N, ...] and labels int64 [N]."""
        return concatenate(self.batches(), str(self.path))

    def text(self) -> bytes:
        """The corpus of a text dataset: the `text` column's rows (Parquet, HF datasets) joined with
        newlines, or the UTF-8 .txt files of a directory in path order, as UTF-8 bytes."""
        if self.format not in TEXT_FORMATS:
            raise DatasetError(f"{self.path}: format {self.format!r} holds no text corpus "
                               f"(use {' or '.join(sorted(TEXT_FORMATS))} with a 'text' column)")
        rows = parquet_text(self.path) if self.format == "parquet" else hf_text(self.path)
        out, size = bytearray(), 0
        for row in rows:
            data = row.encode("utf-8") + b"\n"
            size += len(data)
            if size > MAX_TEXT_BYTES:
                raise DatasetError(f"{self.path}: text corpus is over {MAX_TEXT_BYTES} bytes")
            out += data
        return bytes(out)


def open_dataset(path: str | Path, format: DatasetFormat | None = None, *,
                 input_shape: tuple[int, ...] | None = None) -> Dataset:
    """The dataset at `path` in `format` (found from its files when None).

    A format that its files do not hold raises DatasetError naming the format and what the files
    look like (`format 'parquet' given, but ... looks like an image folder`).
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such dataset file or directory")
    if format is not None and format not in FORMATS:
        raise DatasetError(f"unknown dataset format {format!r} (one of {', '.join(FORMATS)})")
    found = detect_format(path)
    if format is None:
        if found is None:
            raise DatasetError(f"{path}: cannot tell the dataset's format (one of {', '.join(FORMATS)}): name it")
        format = found
    elif found != format and not _holds(path, format):
        seen = f"looks like {found!r}" if found else "is in no known format"
        raise DatasetError(f"{path}: the spec's format {format!r} does not match the content, which {seen}")
    return Dataset(dataset_root(path), format, input_shape)


def _holds(path: Path, format: DatasetFormat) -> bool:
    """Whether `path` has files of `format` even though another format was detected first."""
    from nnc.datasets.formats import SUFFIXES

    suffixes = SUFFIXES.get(format)
    return suffixes is not None and bool(files_with(dataset_root(path), suffixes))
