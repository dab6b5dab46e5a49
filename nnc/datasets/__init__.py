"""Reading datasets in their common formats, for the built-in programs and for user programs.

A task's dataset reaches its program as a directory (or a single file): an `.npz` or
safetensors file of `inputs` and `labels`, Parquet files, an image folder (a sub-folder per
class), WebDataset tar shards, or a Hugging Face `save_to_disk` folder. A user program may
import this package inside the sandbox:

    from nnc.datasets import open_dataset
    inputs, labels = open_dataset(dataset_dir, "imagefolder", input_shape=(3, 32, 32)).arrays()
    for x, y in open_dataset(dataset_dir).batches(): ...      # format found from the files

`inputs` are float32 `[N, ...]` (images as `(channels, height, width)` in [0, 1]), `labels`
int64 class indices `[N]`; `Dataset.text()` is the corpus of a text dataset (a `text` column).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnc.datasets.formats import FORMATS, TEXT_FORMATS, DatasetFormat, detect_format

if TYPE_CHECKING:
    from pathlib import Path

    from nnc.datasets.reader import Dataset


def open_dataset(path: str | Path, format: DatasetFormat | None = None, *,
                 input_shape: tuple[int, ...] | None = None) -> Dataset:
    """The dataset at `path` (see `nnc.datasets.reader.open_dataset`); imports numpy and the
    format's reader only when called."""
    from nnc.datasets.reader import open_dataset as open_

    return open_(path, format, input_shape=input_shape)


__all__ = ["FORMATS", "TEXT_FORMATS", "DatasetFormat", "detect_format", "open_dataset"]
