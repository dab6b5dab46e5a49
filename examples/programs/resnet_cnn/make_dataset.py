"""Writes a toy image folder for the ResNet example: `python make_dataset.py DEST [PER_CLASS]`.

Three classes of 16x16 grey PNGs (horizontal stripes, vertical stripes, a centred square) with
seeded noise, one sub-folder per class. Needs Pillow and numpy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SIZE = 16


def _pattern(kind: str, rng: np.random.Generator) -> np.ndarray:
    image = np.zeros((SIZE, SIZE))
    phase = int(rng.integers(0, 4))
    if kind == "horizontal":
        image[phase::4, :] = 1.0
    elif kind == "vertical":
        image[:, phase::4] = 1.0
    else:
        low = 4 + phase // 2
        image[low:SIZE - low, low:SIZE - low] = 1.0
    return np.clip(image + rng.normal(0.0, 0.2, image.shape), 0.0, 1.0)


def write_image_folder(dest: Path, per_class: int = 20, seed: int = 0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    for kind in ("horizontal", "vertical", "square"):
        (dest / kind).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = (_pattern(kind, rng) * 255).astype(np.uint8)
            Image.fromarray(pixels).save(dest / kind / f"{index:04d}.png")
    return dest


if __name__ == "__main__":
    write_image_folder(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20)
