"""Random access to WebDataset shards whose samples are `.npy` arrays: an index of where each
sample's bytes lie in its (uncompressed) tar, built by reading the member headers once, so a
batch reads only its own samples from disk and a dataset larger than memory can be trained on.

Samples are numbered in the order `webdataset_batches` reads them: shards by sorted path, members
in order within a shard.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import numpy.typing as npt

from nnc.datasets.formats import SUFFIXES, files_with
from nnc.datasets.webdataset import LABEL_EXTENSIONS
from nnc.errors import DatasetError


@dataclass(frozen=True)
class ShardIndex:
    """Where sample `i`'s `.npy` lies: `shards[shard[i]]` at byte `offset[i]`, `size[i]` bytes;
    `labels[i]` its class."""

    shards: tuple[Path, ...]
    shard: npt.NDArray[np.int32]
    offset: npt.NDArray[np.int64]
    size: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.labels)

    def read(self, i: int) -> npt.NDArray[np.generic]:
        """Sample `i`'s array, read from its shard."""
        path = self.shards[int(self.shard[i])]
        with path.open("rb") as fh:
            fh.seek(int(self.offset[i]))
            data = fh.read(int(self.size[i]))
        try:
            array: npt.NDArray[np.generic] = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise DatasetError(f"{path}: sample {i}'s .npy is not an array: {exc}") from exc
        return array


def index_shards(root: Path) -> ShardIndex:
    """The index of every `.npy` sample of the tar shards under `root` (each with a `.cls`
    label); DatasetError naming the shard and sample when one is compressed or incomplete."""
    shards = files_with(root, SUFFIXES["webdataset"])
    if not shards:
        raise DatasetError(f"{root}: no .tar shard for format 'webdataset'")
    where: list[tuple[int, int, int]] = []
    labels: list[int] = []
    for n, shard in enumerate(shards):
        pending: dict[str, tuple[int, int] | int] = {}
        try:
            with tarfile.open(shard, "r:") as archive:
                for member in archive:
                    if not member.isreg():
                        continue
                    path = PurePosixPath(member.name)  # keys as webdataset.py reads them
                    stem, _, ext = path.name.partition(".")
                    key = str(path.parent / stem)
                    if ext == "npy":
                        pending[key + ".npy"] = (member.offset_data, member.size)
                    elif ext in LABEL_EXTENSIONS:
                        handle = archive.extractfile(member)
                        assert handle is not None
                        try:
                            pending[key + ".cls"] = int(handle.read().decode().strip())
                        except (UnicodeDecodeError, ValueError):
                            raise DatasetError(f"{shard}: sample {key!r}: .{ext} is not an integer class index"
                                               ) from None
                    if isinstance(pending.get(key + ".npy"), tuple) and isinstance(pending.get(key + ".cls"), int):
                        offset, size = pending.pop(key + ".npy")  # type: ignore[misc]
                        labels.append(pending.pop(key + ".cls"))  # type: ignore[arg-type]
                        where.append((n, offset, size))
        except tarfile.ReadError as exc:
            raise DatasetError(f"{shard}: not an uncompressed tar shard (random access needs one): {exc}") from exc
        if pending:
            raise DatasetError(f"{shard}: samples without both an .npy and a .cls member: "
                               f"{', '.join(sorted(pending)[:5])}")
    if not labels:
        raise DatasetError(f"{root}: the shards hold no .npy samples")
    table = np.asarray(where, dtype=np.int64)
    return ShardIndex(tuple(shards), table[:, 0].astype(np.int32), table[:, 1], table[:, 2],
                      np.asarray(labels, dtype=np.int64))
