"""An image folder: one sub-folder per class, named as the class; classes are numbered in the sorted
order of their names (`cat/`, `dog/` → 0, 1), images in the sorted order of their file names."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np

from nnc.datasets.batches import Batches, checked_batch
from nnc.datasets.formats import IMAGE_SUFFIXES, dataset_root
from nnc.datasets.images import ImageDecoder
from nnc.errors import DatasetError

BATCH_IMAGES: Final = 256


def class_names(root: Path) -> list[str]:
    """The class folders of an image folder, in class-index order."""
    root = dataset_root(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: an image folder is a directory with one sub-folder per class")
    names = sorted(c.name for c in root.iterdir() if c.is_dir() and not c.name.startswith("."))
    if not names:
        raise DatasetError(f"{root}: no class sub-folders for format 'imagefolder'")
    return names


def imagefolder_batches(root: Path, decoder: ImageDecoder) -> Batches:
    root = dataset_root(root)
    for label, name in enumerate(class_names(root)):
        files = sorted(f for f in (root / name).iterdir() if f.is_file() and not f.name.startswith("."))
        others = [f.name for f in files if f.suffix.lower() not in IMAGE_SUFFIXES]
        if others:
            raise DatasetError(f"{root / name}: {others[0]} is not an image ({', '.join(sorted(IMAGE_SUFFIXES))})")
        if not files:
            raise DatasetError(f"{root / name}: class folder with no images")
        for start in range(0, len(files), BATCH_IMAGES):
            chunk = files[start:start + BATCH_IMAGES]
            images = np.stack([decoder.decode(f, str(f)) for f in chunk])
            yield checked_batch(images, np.full(len(chunk), label, dtype=np.int64), str(root / name))
