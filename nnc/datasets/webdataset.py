"""WebDataset shards: tar files whose members `<key>.<ext>` are grouped into samples by key.

A sample's input is its image member (`.png`, `.jpg`, ...) or an `.npy` array, its label the
integer text of its `.cls` (or `.label`, `.cls.txt`) member. Keys are the member path up to the
first dot of its file name; the members of one sample are adjacent in the shard, as WebDataset
writes them. Shards are read as streams in the sorted order of their paths.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Final

import numpy as np

from nnc.datasets.batches import Batches, checked_batch
from nnc.datasets.formats import IMAGE_SUFFIXES, SUFFIXES, files_with
from nnc.datasets.images import ImageDecoder
from nnc.errors import DatasetError

LABEL_EXTENSIONS: Final = ("cls", "label", "cls.txt", "label.txt")
BATCH_SAMPLES: Final = 256


def _split(name: str) -> tuple[str, str]:
    path = PurePosixPath(name)
    stem, _, ext = path.name.partition(".")
    return str(path.parent / stem), ext.lower()


def _samples(shard: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    key, members = None, {}
    try:
        with tarfile.open(shard, "r|*") as archive:
            for member in archive:
                if not member.isreg():
                    continue
                sample_key, ext = _split(member.name)
                if sample_key != key and key is not None:
                    yield key, members
                    members = {}
                key = sample_key
                handle = archive.extractfile(member)
                assert handle is not None
                members[ext] = handle.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetError(f"{shard}: not a readable tar shard: {exc}") from exc
    if key is not None:
        yield key, members


def _sample(key: str, members: dict[str, bytes], decoder: ImageDecoder, where: str) -> tuple[np.ndarray, int]:
    label_ext = next((e for e in LABEL_EXTENSIONS if e in members), None)
    if label_ext is None:
        raise DatasetError(f"{where}: sample {key!r} has no .cls label (members: {', '.join(sorted(members))})")
    try:
        label = int(members[label_ext].decode().strip())
    except (UnicodeDecodeError, ValueError):
        raise DatasetError(f"{where}: sample {key!r}: .{label_ext} is not an integer class index") from None
    if "npy" in members:
        try:
            return np.load(io.BytesIO(members["npy"]), allow_pickle=False), label
        except ValueError as exc:
            raise DatasetError(f"{where}: sample {key!r}: .npy is not an array: {exc}") from exc
    image_ext = next((e for e in members if "." + e.rsplit(".", 1)[-1] in IMAGE_SUFFIXES), None)
    if image_ext is None:
        raise DatasetError(f"{where}: sample {key!r} has no image or .npy input "
                           f"(members: {', '.join(sorted(members))})")
    return decoder.decode(members[image_ext], f"{where} sample {key!r}"), label


def webdataset_batches(root: Path, decoder: ImageDecoder) -> Batches:
    shards = files_with(root, SUFFIXES["webdataset"])
    if not shards:
        raise DatasetError(f"{root}: no .tar shard for format 'webdataset'")
    for shard in shards:
        xs: list[np.ndarray] = []
        ys: list[int] = []
        for key, members in _samples(shard):
            x, y = _sample(key, members, decoder, str(shard))
            xs.append(x)
            ys.append(y)
            if len(xs) == BATCH_SAMPLES:
                yield checked_batch(np.stack(xs), np.asarray(ys, dtype=np.int64), str(shard))
                xs, ys = [], []
        if xs:
            yield checked_batch(np.stack(xs), np.asarray(ys, dtype=np.int64), str(shard))
