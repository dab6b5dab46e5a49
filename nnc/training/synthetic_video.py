"""`synthetic-video`: clips of 16 frames of 64x64 grey (uint8), generated one clip at a time.

Clip `i` is a pure function of `i` (numpy PCG64 seeded with `(VIDEO_SEED, i)`), so any clip can be
made without the others and a set of any size never has to be held whole in memory. Six classes
of motion of a bright square over Gaussian noise with a dimmer distractor square drifting at
random: 0-3 moving (up, down, left, right), 4 growing, 5 blinking.

Stored form (`write_shards`): a folder of `.npy` shards, `shard-NNNNN.clips.npy` (uint8,
`(n, 16, 64, 64)`) and `shard-NNNNN.labels.npy` (int64, `(n,)`), read memory-mapped clip by clip
(`ShardedClips`), so training streams batches from storage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from nnc.errors import DatasetError

VIDEO_SEED: Final = 0x71DE0
FRAMES: Final = 16
SIZE: Final = 64
CLASSES: Final = 6
MOVES: Final = ((-2, 0), (2, 0), (0, -2), (0, 2))
"""Per-frame (rows, columns) step of classes 0-3."""


def clip(index: int) -> tuple[npt.NDArray[np.uint8], int]:
    """Clip `index` (uint8 `(FRAMES, SIZE, SIZE)`) and its label."""
    rng = np.random.default_rng([VIDEO_SEED, index])
    label = int(rng.integers(0, CLASSES))
    frames = rng.normal(40.0, 20.0, size=(FRAMES, SIZE, SIZE))
    side = int(rng.integers(6, 11))
    row, col = (int(v) for v in rng.integers(8, SIZE - 8 - side, size=2))
    d_row, d_col = (int(v) for v in rng.integers(0, SIZE - 8, size=2))
    for f in range(FRAMES):
        d_row = int(np.clip(d_row + rng.integers(-2, 3), 0, SIZE - 8))
        d_col = int(np.clip(d_col + rng.integers(-2, 3), 0, SIZE - 8))
        frames[f, d_row:d_row + 8, d_col:d_col + 8] += 90.0  # the distractor
        r, c, s, on = row, col, side, True
        if label < 4:
            r, c = (row + f * MOVES[label][0]) % (SIZE - side), (col + f * MOVES[label][1]) % (SIZE - side)
        elif label == 4:
            s = min(side + f, SIZE - max(row, col))
        else:
            on = f % 4 < 2
        if on:
            frames[f, r:r + s, c:c + s] += 170.0
    return np.clip(frames, 0, 255).astype(np.uint8), label


def write_shards(folder: Path, n: int, shard_size: int = 256) -> list[Path]:
    """Writes clips `0 .. n-1` as `.npy` shards of `shard_size` clips under `folder`; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, start in enumerate(range(0, n, shard_size)):
        count = min(shard_size, n - start)
        clips = np.empty((count, FRAMES, SIZE, SIZE), dtype=np.uint8)
        labels = np.empty(count, dtype=np.int64)
        for k in range(count):
            clips[k], labels[k] = clip(start + k)
        for kind, array in (("clips", clips), ("labels", labels)):
            path = folder / f"shard-{number:05d}.{kind}.npy"
            np.save(path, array)
            written.append(path)
    return written


class ShardedClips:
    """A folder of shards read lazily: `len`, and `batch(indices)` loads only those clips."""

    def __init__(self, folder: Path) -> None:
        clip_files = sorted(folder.rglob("shard-*.clips.npy"))
        if not clip_files:
            raise DatasetError(f"{folder} holds no video shards (shard-NNNNN.clips.npy and .labels.npy)")
        self._clips = [np.load(p, mmap_mode="r", allow_pickle=False) for p in clip_files]
        self._labels = [np.load(p.with_name(p.name.replace(".clips.", ".labels.")), allow_pickle=False)
                        for p in clip_files]
        for path, clips, labels in zip(clip_files, self._clips, self._labels, strict=True):
            if clips.dtype != np.uint8 or clips.ndim != 4 or labels.shape != clips.shape[:1]:
                raise DatasetError(f"video shard {path}: expected uint8 clips (n, frames, h, w) and as many "
                                   f"labels, got {clips.dtype} {clips.shape} and {labels.shape}")
        self._starts = np.cumsum([0] + [len(labels) for labels in self._labels])
        self.labels = np.concatenate(self._labels)

    def __len__(self) -> int:
        return int(self._starts[-1])

    def batch(self, indices: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        """The clips at `indices`, in that order (only those pages are read)."""
        shards = np.searchsorted(self._starts, indices, side="right") - 1
        return np.stack([self._clips[s][i - self._starts[s]] for s, i in zip(shards, indices, strict=True)])
