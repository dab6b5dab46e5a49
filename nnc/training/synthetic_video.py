"""`synthetic-video`: generated grey clips of 16 frames of 64x64, six classes of motion.

Clip `i` is a pure function of `i` (NumPy's PCG64 seeded with `(VIDEO_SEED, i)`), so any clip can
be generated on demand: the bundled set is never held in memory whole, and `write_shards` stores
any number of clips as WebDataset tar shards (`<key>.npy`: uint8 `(16, 64, 64)`, `<key>.cls`)
that a spec's `uri` may point to.

Class `i % 6`: a disc moving right, left, down or up (0-3), growing (4) or blinking (5), with a
random radius, brightness, speed and start, on a noisy background with a drifting distractor
square. Which way a disc moves shows only across frames, so a model must use time.
"""

from __future__ import annotations

import functools
import hashlib
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

VIDEO_SEED: Final = 20261126
FRAMES: Final = 16
SIZE: Final = 64
CLASSES: Final = 6
BUNDLED_CLIPS: Final = 600
"""Clips in the bundled `synthetic-video` (39 MB as uint8, generated on demand)."""
SHARD_CLIPS: Final = 256

_T = np.arange(FRAMES, dtype=np.float64)[:, None, None]
_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)


def clip(i: int) -> tuple[npt.NDArray[np.uint8], int]:
    """Clip `i` (uint8 `(16, 64, 64)`) and its class."""
    rng = np.random.default_rng([VIDEO_SEED, i])
    label = i % CLASSES
    radius = rng.uniform(4.0, 8.0)
    level = rng.uniform(0.55, 1.0)
    speed = rng.uniform(1.5, 3.0)
    travel = speed * (FRAMES - 1)
    lo, hi = radius + 1, SIZE - radius - 1
    cy, cx = np.full(FRAMES, rng.uniform(lo, hi)), np.full(FRAMES, rng.uniform(lo, hi))
    r = np.full(FRAMES, radius)
    on = np.ones(FRAMES)
    start = rng.uniform(lo, hi - travel)
    path = start + speed * _T[:, 0, 0]
    if label == 0:
        cx = path
    elif label == 1:
        cx = SIZE - 1 - path
    elif label == 2:
        cy = path
    elif label == 3:
        cy = SIZE - 1 - path
    elif label == 4:
        r = 2.0 + (radius - 1.0) * _T[:, 0, 0] / (FRAMES - 1)
    else:
        on = ((_T[:, 0, 0] + rng.integers(0, 4)) // 2 % 2).astype(np.float64)
    dist = (_YY - cy[:, None, None].astype(np.float32)) ** 2 + (_XX - cx[:, None, None].astype(np.float32)) ** 2
    disc = dist <= (r.astype(np.float32) ** 2)[:, None, None]
    frames = np.float32(rng.uniform(0.0, 0.25)) + np.float32(0.08) * rng.standard_normal((FRAMES, SIZE, SIZE),
                                                                                         dtype=np.float32)
    shown = on.astype(np.float32)[:, None, None]  # a blinking disc is off: the background shows
    frames = np.where(disc, np.float32(level) * shown + (1 - shown) * frames, frames)
    walk = np.cumsum(rng.integers(-2, 3, (2, FRAMES)), axis=1) + rng.integers(8, SIZE - 8, (2, 1))
    dy, dx = np.clip(walk, 0, SIZE - 4).tolist()
    for t in range(FRAMES):
        frames[t, dy[t]:dy[t] + 4, dx[t]:dx[t] + 4] = 0.6
    return np.round(np.clip(frames, 0.0, 1.0) * 255).astype(np.uint8), label


def clips(n: int) -> Iterator[tuple[npt.NDArray[np.uint8], int]]:
    for i in range(n):
        yield clip(i)


@functools.cache
def video_digest(n: int = BUNDLED_CLIPS) -> str:
    """SHA-256 (hex) of clips 0..n-1: each clip's uint8 bytes, then the labels as int64
    little-endian (computed a clip at a time; once per process, as the clips are this code's)."""
    hasher = hashlib.sha256()
    labels = []
    for frames, label in clips(n):
        hasher.update(frames.tobytes())
        labels.append(label)
    hasher.update(np.asarray(labels, dtype="<i8").tobytes())
    return hasher.hexdigest()


def write_shards(directory: Path, n: int, per_shard: int = SHARD_CLIPS) -> Path:
    """Clips 0..n-1 as WebDataset shards `shard-00000.tar`, ... under `directory` (created),
    written a clip at a time; returns `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for first in range(0, n, per_shard):
        with tarfile.open(directory / f"shard-{first // per_shard:05d}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
            for i in range(first, min(n, first + per_shard)):
                frames, label = clip(i)
                buffer = io.BytesIO()
                np.save(buffer, frames, allow_pickle=False)
                for ext, data in (("npy", buffer.getvalue()), ("cls", str(label).encode())):
                    info = tarfile.TarInfo(f"{i:08d}.{ext}")
                    info.size, info.mtime, info.mode = len(data), 0, 0o644
                    tar.addfile(info, io.BytesIO(data))
    return directory
