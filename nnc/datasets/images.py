"""Images decoded to the arrays a classifier takes: float32 `(channels, height, width)` in [0, 1]."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nnc.errors import DatasetError

_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


class ImageDecoder:
    """Decodes images to one fixed shape: `shape` (channels, height, width) when given (the
    model's input; other sizes are resized, colours converted), else the first image's."""

    def __init__(self, shape: tuple[int, ...] | None = None) -> None:
        if shape is not None and (len(shape) != 3 or shape[0] not in _MODES):
            raise DatasetError(f"images decode to (channels, height, width) with 1, 3 or 4 channels, not {shape}")
        self.shape = shape

    def decode(self, source: bytes | Path, name: str) -> npt.NDArray[np.float32]:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
                if self.shape is None:
                    channels = 1 if image.mode in ("1", "L", "I", "I;16", "F") else 3
                    self.shape = (channels, image.height, image.width)
                channels, height, width = self.shape
                converted = image.convert(_MODES[channels])
                if converted.size != (width, height):
                    converted = converted.resize((width, height), Image.Resampling.BILINEAR)
                pixels = np.asarray(converted, dtype=np.float32) / 255.0
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DatasetError(f"{name}: not a readable image: {exc}") from exc
        return pixels.reshape(height, width, channels).transpose(2, 0, 1).copy()
